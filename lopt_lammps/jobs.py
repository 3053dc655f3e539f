"""pyiron_base job records of search chunks.

Every search chunk of a campaign runs as a pyiron_base job (a wrapped Python function)
in a project under the campaign's results folder, with its own SQLite job table
(``<results>/<campaign>/pyiron/jobs.db``): nothing is read from or written to the
user's home. A job stores its inputs (system, method, budget, seeds, the learned
optimizer's hash, ...), its outputs (the minima and traces, as JSON) and its status;
``Project(...).job_table()`` lists the whole campaign.

The job name is the chunk name plus a hash of the inputs: running a chunk whose
finished job exists reuses its stored result; a job left failed, aborted or "running"
by a killed process is removed and run again.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from .errors import ConfigError, LoptError


def open_project(folder: str | Path) -> Any:
    """The pyiron ``Project`` of ``folder`` (created if needed), configured before import."""
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    if "pyiron_base" not in sys.modules:
        os.environ["PYIRONCONFIG"] = str(folder / "no-user-config")  # never read ~/.pyiron
        os.environ["PYIRONSQLTYPE"] = "SQLalchemy"
        os.environ["PYIRONSQLCONNECTIONSTRING"] = f"sqlite:///{folder / 'jobs.db'}?timeout=60"
        cwd = os.getcwd()
        os.chdir(folder)  # pyiron opens its log file in the working folder at import time
        try:
            import pyiron_base  # noqa: F401
        finally:
            os.chdir(cwd)
        for handler in logging.getLogger("pyiron_log").handlers:
            if not isinstance(handler, logging.FileHandler):
                handler.setLevel(logging.ERROR)
    else:
        from pyiron_base import state

        expected = f"sqlite:///{folder / 'jobs.db'}?timeout=60"
        if state.database.sql_connection_string != expected:
            raise ConfigError(
                f"this process already uses the pyiron database {state.database.sql_connection_string}; "
                "one process works on one campaign project"
            )
    from pyiron_base import Project

    return Project(str(folder / "jobs"))


def search_chunk(
    system: str, boundary: str, density: float | None, potential: str, method: str, method_choice: str,
    budget: int, seeds: list[int], starts: str, starts_hash: str, optimizer: str, optimizer_hash: str, accelerator: str,
) -> str:
    """The job body: run one search chunk; returns its result as JSON (pyiron stores it).

    ``starts_hash`` and ``optimizer_hash`` are recorded with the inputs (they identify the
    starting structures and the learned optimizer by content).
    """
    from .search import search
    from .search.result import result_to_json
    from .structures import from_atoms, read_extxyz
    from .systems import System

    parsed = System.parse(system, potential=potential or None, boundary=boundary, density=density)
    first = {}
    if starts:
        by_seed = {int(a.info["seed"]): from_atoms(a, parsed.potential)[1] for a in read_extxyz(starts) if "seed" in a.info}
        first = {s: by_seed[s] for s in seeds if s in by_seed}
    result = search(parsed, method, budget, list(seeds), optimizer=optimizer or None,
                    accelerator=accelerator or None, starts=first)
    result.settings["method_choice"] = method_choice
    return json.dumps(result_to_json(result))


def job_name(chunk: str, inputs: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:10]
    safe = "".join(c if c.isalnum() else "_" for c in chunk)
    return f"{safe}_{digest}"


def run_chunk(project: Any, chunk: str, inputs: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Run (or reuse) the job of ``chunk``; returns (result JSON data, reused?)."""
    name = job_name(chunk, inputs)
    if project.get_job_id(name) is not None:
        if project.get_job_status(name) == "finished":
            return json.loads(project.inspect(name).content["storage/output/result"]), True
        project.remove_job(name)  # failed, aborted, or left "running" by a killed process
    job = project.wrap_python_function(search_chunk, job_name=name, automatically_rename=False, **inputs)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            job.run()
    except SystemExit:  # pyiron turns SIGTERM into exit code 0: report it as the signal it was
        raise SystemExit(143) from None
    if not job.status.finished:
        raise LoptError(f"pyiron job {name} ended with status {job.status}: {job.output.get('error')!r}")
    return json.loads(job.output["result"]), False


def job_table(folder: str | Path) -> Any:
    """The campaign's pyiron job table (a pandas DataFrame)."""
    return open_project(folder).job_table()
