"""Driving pause points (lopt_lammps.faults) from tests."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from lopt_lammps.faults import ENVIRONMENT_VARIABLE


def pause_environment(point: str, folder: Path, **extra: str) -> dict[str, str]:
    """The environment of a subprocess that pauses at ``point``, signalling through ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    return {**os.environ, ENVIRONMENT_VARIABLE: f"{point}:{folder}", **extra}


def wait_until_reached(folder: Path, point: str, process: subprocess.Popen, n: int = 1, timeout: float = 300.0) -> None:
    """Wait until ``process`` (or a child of it) reaches ``point`` for the ``n``-th time."""
    reached = folder / f"{point}-{n}.reached"
    deadline = time.monotonic() + timeout
    while not reached.exists():
        assert process.poll() is None, f"the process ended before reaching {point}: {process.communicate()}"
        assert time.monotonic() < deadline, f"no process reached {point} within {timeout} s"
        time.sleep(0.02)


def release(folder: Path, point: str, n: int = 1) -> None:
    """Let the process paused at ``point`` (its ``n``-th arrival) go on."""
    (folder / f"{point}-{n}.release").touch()
