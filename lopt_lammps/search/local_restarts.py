"""Local relaxation from random starts, repeated until the budget is spent.

Each seed relaxes fresh random structures with LAMMPS ``minimize`` (``min_style``
``fire`` or ``cg``) one after another; every force evaluation LAMMPS makes counts
against the budget. A minimum counts as found when its relaxation ends.
A relaxation still running when the budget runs out does not count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .common import MinimaLog, Relaxer, StartGenerator
from .result import SeedRun


@dataclass(frozen=True)
class RestartSettings:
    """``style``: LAMMPS min_style (fire or cg)."""

    style: str = "fire"


def random_restarts(relaxer: Relaxer, seed: int, budget: int, settings: RestartSettings = RestartSettings(), first: np.ndarray | None = None) -> SeedRun:
    """Relax random starts until ``budget`` evaluations are used."""
    system = relaxer.engine.system
    relaxer.style = settings.style
    starts = StartGenerator(system, seed, first)
    log = MinimaLog()
    used = 0
    while used < budget:
        x, e, n = relaxer(starts(), max_evaluations=budget - used)
        used += n
        if used > budget:  # cut off by the budget: this relaxation does not count
            break
        log.add(e, x, used)
    return log.seed_run(system, seed, min(used, budget), {"relaxations": starts.count})
