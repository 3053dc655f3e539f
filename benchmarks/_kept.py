"""Run a benchmark's jobs so that an interrupted run resumes: each job's JSON result is kept
in its own file as soon as it finishes, and jobs already kept are not run again."""

from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any, Callable

from tqdm import tqdm

from lopt_lammps.paths import atomic_write_text


def run_kept(function: Callable[[Any], Any], jobs: list, path_of: Callable[[Any], Path], processes: int,
             desc: str) -> list:
    """``function(job)`` for every job, in job order, each result read back from ``path_of(job)``."""
    todo = [job for job in jobs if not path_of(job).is_file()]
    with ProcessPoolExecutor(processes) as pool:
        futures = {pool.submit(function, job): job for job in todo}
        for future in tqdm(as_completed(futures), total=len(todo), desc=desc, unit="job"):
            path = path_of(futures[future])
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(path, json.dumps(future.result()))
    return [json.loads(path_of(job).read_text()) for job in jobs]
