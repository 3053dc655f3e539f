"""The meta-objective: anytime quality of a search, normalised per task.

For a replica of a task with N atoms and cohesive energy scale E0 (see
:meth:`System.energy_scale`), with best energy so far b(t) after t of U evaluations,

    L = (1 / U) * sum_{t=1}^{U} b(t) / (N * E0)

the mean over the unroll of the best-so-far energy per atom in units of the cohesive
energy. Reaching low energies early lowers L; dividing by N * E0 makes clusters of any
size and element weigh alike. The final term F = b(U) / (N * E0) is reported too.
"""

from __future__ import annotations

import numpy as np


def anytime_loss(evaluations: list[int], energies: list[float], budget: int, scale: float) -> float:
    """Mean of the best-so-far energy over evaluations 1..budget, divided by ``scale``.

    ``evaluations`` / ``energies`` are the change points of the best energy (a step
    function starting at the first evaluation).
    """
    if not evaluations:
        return float("nan")
    ev = np.minimum(np.asarray(evaluations + [budget + 1], dtype=float), budget + 1)
    en = np.asarray(energies, dtype=float)
    widths = np.diff(ev)
    return float((en * widths).sum() / (budget - ev[0] + 1) / scale)


def final_loss(energies: list[float], scale: float) -> float:
    return float(energies[-1] / scale) if energies else float("nan")
