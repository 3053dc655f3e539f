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
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ConfigError, LoptError
from .faults import pause_point

if TYPE_CHECKING:
    from .systems import System

#: the SQLite file of a project's job table
JOB_TABLE = "jobs.db"


def open_project(folder: str | Path) -> Any:
    """The pyiron ``Project`` of ``folder`` (created if needed), configured before import."""
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    if "pyiron_base" not in sys.modules:
        os.environ["PYIRONCONFIG"] = str(folder / "no-user-config")  # never read ~/.pyiron
        os.environ["PYIRONSQLTYPE"] = "SQLalchemy"
        os.environ["PYIRONSQLCONNECTIONSTRING"] = f"sqlite:///{folder / JOB_TABLE}?timeout=60"
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

        expected = f"sqlite:///{folder / JOB_TABLE}?timeout=60"
        if state.database.sql_connection_string != expected:
            raise ConfigError(
                f"this process already uses the pyiron database {state.database.sql_connection_string}; "
                "one process works on one campaign project"
            )
    from pyiron_base import Project

    return Project(str(folder / "jobs"))


@dataclass(frozen=True)
class ChunkRequest:
    """Everything a search chunk depends on (the job's inputs, stored with it by pyiron).

    ``starts_hash`` and ``optimizer_hash`` identify the starting structures and the learned
    optimizer by content; ``bh_settings`` are the fields of :class:`BasinHoppingSettings`.
    """

    system: str
    boundary: str
    method: str
    method_choice: str
    budget: int
    seeds: list[int]
    density: float | None = None
    potential: str | None = None
    starts: str | None = None
    starts_hash: str | None = None
    optimizer: str | None = None
    optimizer_hash: str | None = None
    accelerator: str | None = None
    bh_settings: dict[str, Any] = field(default_factory=dict)

    def parsed_system(self) -> System:
        from .systems import System

        return System.parse(self.system, potential=self.potential, boundary=self.boundary, density=self.density)


def search_chunk(request: dict[str, Any], cores: int = 1) -> str:
    """The job body: run the :class:`ChunkRequest` ``request`` (as a dict) on ``cores``
    processes; returns its result as JSON."""
    from .search import BasinHoppingSettings, search
    from .search.result import result_to_json
    from .structures import read_starts

    pause_point("search-chunk")
    chunk = ChunkRequest(**request)
    system = chunk.parsed_system()
    starts = read_starts(chunk.starts, system, chunk.seeds) if chunk.starts else {}
    result = search(system, chunk.method, chunk.budget, list(chunk.seeds), optimizer=chunk.optimizer,
                    accelerator=chunk.accelerator, bh_settings=BasinHoppingSettings(**chunk.bh_settings), starts=starts,
                    cores=cores)
    result.settings["method_choice"] = chunk.method_choice
    return json.dumps(result_to_json(result))


def job_name(chunk: str, request: ChunkRequest) -> str:
    """The chunk's name and a hash of its inputs."""
    digest = hashlib.sha256(json.dumps(asdict(request), sort_keys=True).encode()).hexdigest()[:10]
    safe = "".join(c if c.isalnum() else "_" for c in chunk)
    return f"{safe}_{digest}"


def run_chunk(project: Any, chunk: str, request: ChunkRequest, cores: int = 1) -> tuple[dict[str, Any], bool]:
    """Run (or reuse) the job of ``chunk`` on ``cores`` processes; returns (result JSON data,
    reused?). The job's name does not depend on ``cores``: neither does its result."""
    name = job_name(chunk, request)
    if project.get_job_id(name) is not None:
        if project.get_job_status(name) == "finished":
            return json.loads(project.inspect(name).content["storage/output/result"]), True
        project.remove_job(name)  # failed, aborted, or left "running" by a killed process
    job = project.wrap_python_function(search_chunk, job_name=name, automatically_rename=False, request=asdict(request),
                                       cores=cores)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            job.run()
    except SystemExit:  # pyiron turns SIGTERM into exit code 0: report it as the signal it was
        raise SystemExit(143) from None
    if not job.status.finished:
        raise LoptError(f"pyiron job {name} ended with status {job.status}: {job.output.get('error')!r}")
    return json.loads(job.output["result"]), False


def job_table(folder: str | Path) -> Any:
    """The campaign's pyiron job table (a pandas DataFrame); the project must exist."""
    if not (Path(folder) / JOB_TABLE).is_file():
        raise ConfigError(f"{folder} holds no pyiron project (no {JOB_TABLE}); give the project folder of a campaign, "
                          "such as results/agcu/pyiron")
    return open_project(folder).job_table()
