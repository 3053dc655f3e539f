"""What the fork server of parallel searches (:mod:`.parallel`) loads before it forks workers:
the search modules (torch, ASE, the LAMMPS module) and numba's compiler, by loading one
compiled kernel. Workers forked from it start their first step at once. Nothing here starts
LAMMPS, MPI or threads, which a forked process must not inherit."""

import numpy as np

from ..optimizers.base import cap_step
from . import methods  # noqa: F401

cap_step(np.zeros((1, 3)), 1.0)
