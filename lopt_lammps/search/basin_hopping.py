"""Basin hopping (Wales and Doye, J. Phys. Chem. A 101, 5111, 1997), with swap moves for alloys.

From a relaxed structure, each hop perturbs it — every atom displaced uniformly within
``step`` nearest-neighbour distances per coordinate, or, for alloys with probability
``swap_probability``, one atom of each of two elements exchanged — relaxes the trial
with LAMMPS ``minimize`` and accepts it with the Metropolis rule at temperature
``temperature`` (in units of the cohesive energy per atom, so 0.1 is about 0.86 eps for
Lennard-Jones, as in Wales and Doye, and 0.3 eV for Ag). Dissociated trials are rejected.
Every force evaluation counts against the budget.
A relaxation still running when the budget runs out does not count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .common import MinimaLog, Relaxer, StartGenerator, dissociation_detector, perturb
from .result import SeedRun


@dataclass(frozen=True)
class BasinHoppingSettings:
    step: float = 0.35
    temperature: float = 0.1
    swap_probability: float = 0.3


def basin_hopping(relaxer: Relaxer, seed: int, budget: int, settings: BasinHoppingSettings = BasinHoppingSettings(), first: np.ndarray | None = None) -> SeedRun:
    """One basin-hopping chain of ``budget`` evaluations."""
    system = relaxer.engine.system
    rng = np.random.default_rng([seed, 3])
    kt = settings.temperature * system.energy_scale()
    detect = dissociation_detector(system, relaxer.engine.slot_radius)
    x, e, used = relaxer(StartGenerator(system, seed, first)(), max_evaluations=budget)
    log = MinimaLog()
    log.add(e, x, used)
    hops = accepted = swaps = rejected_dissociated = 0
    while used < budget:
        trial, swapped = perturb(system, x, settings.step, settings.swap_probability, rng)
        swaps += swapped
        xt, et, n = relaxer(trial, max_evaluations=budget - used)
        used += n
        if used > budget:  # cut off by the budget: this relaxation does not count
            break
        hops += 1
        if detect is not None and detect(xt[None])[0]:
            rejected_dissociated += 1
            continue
        log.add(et, xt, used)
        if et < e or rng.random() < np.exp(-(et - e) / kt):
            x, e = xt, et
            accepted += 1
    notes = {"hops": hops, "accepted": accepted, "swaps": swaps, "rejected_dissociated": rejected_dissociated}
    return log.seed_run(system, seed, min(used, budget), notes)
