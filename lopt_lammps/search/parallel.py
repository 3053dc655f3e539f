"""One search's seeds over several worker processes.

A seed's run never depends on the seeds run beside it, so a search splits its seeds into
contiguous groups, runs each group in its own worker process (one thread each for torch,
BLAS and OpenMP) and puts the runs back in seed order: the result is the one a single
process gives. Workers count the evaluations they spend in a shared counter, which feeds
one progress bar in the parent.

Workers are forked from a fork server that has loaded the search modules once
(:mod:`.preload`) and never ran LAMMPS, MPI or threads itself: starting them costs a
fraction of a second, not the seconds of fresh imports (``spawn`` where there is no fork
server). As with any process pool, a script that searches on several cores must guard its
top level with ``if __name__ == "__main__":``.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import numpy as np
from tqdm import tqdm

#: environment variables that make numerical libraries in a worker use one thread
_ONE_THREAD = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

#: in a worker: the shared count of evaluations spent by all workers
_spent: Any = None


def split(seeds: list[int], parts: int) -> list[list[int]]:
    """``seeds`` in at most ``parts`` contiguous groups of nearly equal size, in order."""
    return [[int(s) for s in group] for group in np.array_split(np.asarray(seeds), min(parts, len(seeds)))]


def _start_worker(spent: Any) -> None:
    import torch

    global _spent
    _spent = spent
    torch.set_num_threads(1)


def _report(evaluations: int) -> None:
    with _spent.get_lock():
        _spent.value += evaluations


def _run_group(function: Callable[..., Any], seeds: list[int], progress: bool, kwargs: dict[str, Any]) -> Any:
    return function(seeds=seeds, progress=_report if progress else False, **kwargs)


@contextmanager
def _one_thread_environment() -> Iterator[None]:
    """Spawned workers inherit the environment: one thread per numerical library."""
    saved = {name: os.environ.get(name) for name in _ONE_THREAD}
    os.environ.update({name: "1" for name in _ONE_THREAD})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["lopt_lammps.search.preload"])
    return context


def run_in_processes(function: Callable[..., tuple[list, dict]], seeds: list[int], processes: int, progress: bool,
                     total: int, label: str, **kwargs: Any) -> tuple[list, dict]:
    """``function(seeds=group, progress=report, **kwargs) -> (runs, settings)`` for each
    group of ``seeds`` in its own process; the runs in seed order and the first group's settings.

    ``function`` calls ``report(evaluations)`` as it spends evaluations (``total`` in all),
    which a progress bar labelled ``label`` shows when ``progress`` is true. ``function``
    and ``kwargs`` must be picklable (``function`` defined at module level).
    """
    groups = split(seeds, processes)
    context = _context()
    spent = context.Value("q", 0)
    with _one_thread_environment():  # the fork server, started on first use, and its workers inherit it
        pool = ProcessPoolExecutor(len(groups), mp_context=context, initializer=_start_worker, initargs=(spent,))
        futures = [pool.submit(_run_group, function, group, progress, kwargs) for group in groups]
    with pool, tqdm(total=total, desc=f"{label} on {len(groups)} processes", unit="eval", disable=not progress) as bar:
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=0.5, return_when=FIRST_EXCEPTION)
            bar.update(spent.value - bar.n)
            failed = [future.exception() for future in done if future.exception() is not None]
            if failed:  # the other groups' results are of no use: stop what has not started
                pool.shutdown(wait=False, cancel_futures=True)
                raise failed[0]
        results = [future.result() for future in futures]
    runs = [run for group_runs, _ in results for run in group_runs]
    return runs, results[0][1]
