"""Executors: run the local stages of many chains within one evaluation budget each.

* :func:`run_sequentially`: LAMMPS ``minimize`` relaxes each chain's structures, one chain
  after the other (one replica); a chain's best energy is recorded when a relaxation ends.
* :func:`run_batched`: all chains are replicas of one LAMMPS instance and an update rule
  (L-BFGS, FIRE, the learned rule, a staged pair) moves them inside one LAMMPS ``run``;
  a replica whose forces have converged, or that relaxed for ``max_relaxation``
  evaluations, is a minimum and hops at once; a chain's best energy is recorded at every
  evaluation.

Every force evaluation counts against a chain's budget; a relaxation that the budget cuts
short yields no minimum. Afterwards each chain's lowest evaluated structure, when lower
than every minimum it recorded, is relaxed (not counted) and stored, so the lowest
structure a run saw is never lost.
"""

from __future__ import annotations

from typing import Callable, Union

import numpy as np
from tqdm import tqdm

from ..engine import BatchedEngine
from ..fix import OptimizerFix
from ..lammps_runtime import Accelerator
from ..optimizers import UpdateRule
from ..replica_layout import CONTAINMENT, dissociation_detector
from ..systems import System
from .chain import Chain
from .common import Relaxer, force_unit
from .result import SeedRun

#: a progress bar (True), none (False), or report(evaluations) called as evaluations are spent
Progress = Union[bool, Callable[[int], None]]


def reporter(progress: Progress) -> Callable[[int], None]:
    """The function to call with the evaluations spent (doing nothing unless ``progress`` is one)."""
    return progress if callable(progress) else (lambda _evaluations: None)


def run_sequentially(chains: list[Chain], budget: int, relaxer: Relaxer, progress: Progress = False) -> list[SeedRun]:
    """Each chain relaxed by ``relaxer`` (LAMMPS ``minimize``) until its budget is spent."""
    system = relaxer.engine.system
    detect = dissociation_detector(system, relaxer.engine.slot_radius)
    report = reporter(progress)
    runs = []
    for chain in tqdm(chains, desc=f"{system.formula}", unit="seed", disable=progress is not True):
        used, x = 0, chain.start()
        while used < budget:
            cap = min(relaxer.max_evaluations, budget - used)
            xr, energy, n = relaxer(x, max_evaluations=cap)
            report(min(n, budget - used))
            used += n
            if n >= cap and cap < relaxer.max_evaluations:  # cut off by the budget
                break
            lost = detect is not None and detect(xr[None])[0]
            x = chain.lost() if lost else chain.relaxed(xr, energy, used)
        runs.append(chain.seed_run(min(used, budget)))
    return runs


def run_batched(
    system: System,
    chains: list[Chain],
    budget: int,
    rule: UpdateRule,
    tolerance: float,
    max_relaxation: int,
    accelerator: Accelerator | str | None = None,
    progress: Progress = False,
) -> list[SeedRun]:
    """All chains at once, each a replica moved by ``rule``, relaxed to a force 2-norm
    below ``tolerance`` (in E0 per nearest-neighbour distance)."""
    n = len(chains)
    with BatchedEngine(system, n, accelerator) as engine:
        def relaxed(replicas: list[int], x: np.ndarray, e: np.ndarray) -> np.ndarray:
            return np.stack([chains[r].relaxed(x[r], e[r], fix.evaluations[r]) for r in replicas])

        def lost(replicas: list[int], _x: np.ndarray) -> np.ndarray:
            return np.stack([chains[r].lost() for r in replicas])

        fix = OptimizerFix(
            rule, n, budget,
            # rules cap their own steps; this only stops a broken rule (a staged rule's jump may be long)
            max_displacement=system.cell_length() if system.periodic else engine.slot_radius,
            converged_force=tolerance * force_unit(system),
            max_relaxation=max_relaxation,
            on_relaxed=relaxed,
            dissociated=dissociation_detector(system, engine.slot_radius),
            on_dissociated=lost,
            containment_radius=None if system.periodic else CONTAINMENT * engine.slot_radius,
        )
        engine.set_positions(np.stack([chain.start() for chain in chains]), check=False)
        report = reporter(progress)
        with tqdm(total=budget, desc=f"{system.formula} x {n} seeds", unit="eval", disable=progress is not True,
                  miniters=max(1, budget // 100)) as bar:
            def step(x: np.ndarray, f: np.ndarray, e: np.ndarray) -> np.ndarray:
                bar.update(1)
                report(n)
                return fix(x, f, e)

            engine.run(budget, step)
    _keep_lowest(system, chains, fix, accelerator)
    runs = []
    for r, chain in enumerate(chains):
        chain.trace_evaluations, chain.trace_energies = fix.trace.evaluations[r], fix.trace.energies[r]
        runs.append(chain.seed_run(fix.evaluations[r], {"stopped": fix.stopped.get(r, "")}))
    return runs


def _keep_lowest(system: System, chains: list[Chain], fix: OptimizerFix, accelerator: Accelerator | str | None) -> None:
    """Relax (uncounted) each chain's lowest evaluated structure where no recorded minimum is as low."""
    pending = [r for r, chain in enumerate(chains)
               if np.isfinite(fix.best_energy[r]) and fix.best_energy[r] < min((e for e, _, _ in chain.found), default=np.inf) - 1e-9]
    if not pending:
        return
    relaxer = Relaxer.for_system(system, accelerator)
    try:
        for r in pending:
            x, energy, _ = relaxer(fix.best_positions[r])
            chains[r].found.append((energy, x, int(fix.best_evaluation[r])))
    finally:
        relaxer.close()
