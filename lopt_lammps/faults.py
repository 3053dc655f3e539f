"""Pause points, so that tests can interrupt a process at an exact place.

With ``LOPT_LAMMPS_PAUSE_AT=POINT:FOLDER`` in the environment, a process reaching the
pause point ``POINT`` for the n-th time (counted over all processes sharing FOLDER)
creates ``FOLDER/POINT-n.reached`` and waits until ``FOLDER/POINT-n.release`` exists.
A test waits for the first file, then kills the process or changes the world around it,
and creates the second to let it go on. Without the variable a pause point does nothing.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

ENVIRONMENT_VARIABLE = "LOPT_LAMMPS_PAUSE_AT"


def pause_point(name: str) -> None:
    """Pause here if ``LOPT_LAMMPS_PAUSE_AT`` names this point (see the module docstring)."""
    point, _, folder = os.environ.get(ENVIRONMENT_VARIABLE, "").partition(":")
    if point != name or not folder:
        return
    n = 1
    while True:
        try:
            (Path(folder) / f"{name}-{n}.reached").open("x").close()
            break
        except FileExistsError:
            n += 1
    release = Path(folder) / f"{name}-{n}.release"
    while not release.exists():
        time.sleep(0.02)

