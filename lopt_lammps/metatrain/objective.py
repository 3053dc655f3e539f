"""Meta-objectives: anytime quality of a search, normalised per task.

Learned update rules (``anytime_loss``):

For a replica of a task with N atoms and cohesive energy scale E0 (see
:meth:`System.energy_scale`), with best energy so far b(t) after t of U evaluations,

    L = (1 / U) * sum_{t=1}^{U} b(t) / (N * E0)

the mean over the unroll of the best-so-far energy per atom in units of the cohesive
energy. Reaching low energies early lowers L; dividing by N * E0 makes clusters of any
size and element weigh alike. The final term F = b(U) / (N * E0) is reported too.

Hop policies (``OBJECTIVES``, the training configuration's ``objective``): the anytime mean
of the log gap to the best-known energy (``log_gap``), or the share of the budget spent
before the first hit (``hit_time``), the quantity the benchmarks' hit-time targets measure.
"""

from __future__ import annotations

import math

import numpy as np

from ..search.result import first_hit


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


#: gap floor of the log-gap objective, in the potential's energy unit (1 meV; 1e-3 epsilon)
GAP_FLOOR = 1e-3


def log_gap_loss(evaluations: list[int], energies: list[float], budget: int, reference: float) -> float:
    """Hop policies: mean over evaluations 1..budget of log10(best - reference + GAP_FLOOR).

    Finding the best-known minimum early scores best (-3); a gap of 0.1 eV held all the way
    scores -1. A run that records nothing scores as if its gap were 10 (energy units).
    """
    gap = lambda e: math.log10(max(e - reference, 0.0) + GAP_FLOOR)  # noqa: E731
    if not evaluations:
        return gap(reference + 10.0)
    ev = np.minimum(np.asarray(evaluations + [budget + 1], dtype=float), budget + 1)
    logs = np.array([gap(e) for e in energies])
    before = (ev[0] - 1) * gap(reference + 10.0)
    return float((before + (logs * np.diff(ev)).sum()) / budget)


#: a hit: a best energy within this of the best-known one (energy units; the benchmarks' tolerance)
HIT_TOLERANCE = 1e-3


def hit_time_loss(evaluations: list[int], energies: list[float], budget: int, reference: float) -> float:
    """Hop policies: (first hit - 1) / budget, in [0, 1), for a run that comes within
    :data:`HIT_TOLERANCE` of ``reference`` by evaluation ``budget``; a miss scores
    1 + log10(final gap / HIT_TOLERANCE) (above 1), so misses are ordered by where they ended
    and do not tie. A run that records nothing scores as a miss 10 energy units away.
    """
    hit = first_hit(evaluations, energies, reference, HIT_TOLERANCE)
    if hit is not None and hit <= budget:
        return (hit - 1) / budget
    within = [en for ev, en in zip(evaluations, energies) if ev <= budget]
    final_gap = within[-1] - reference if within else 10.0
    return 1.0 + math.log10(final_gap / HIT_TOLERANCE)


#: the hop policies' meta-objectives by name (``TrainConfig.objective``)
OBJECTIVES = {"log_gap": log_gap_loss, "hit_time": hit_time_loss}
