"""Searches driven by an update rule inside LAMMPS: the learned optimizer, Adam, GD.

All seeds run at once as replicas of one :class:`BatchedEngine`, through
:class:`OptimizerFix`. A replica whose largest force component drops below
``converged_force`` has found a minimum: it is recorded and the replica restarts from a
new random structure (fresh rule state). A dissociated cluster restarts too.

With ``relax_every`` > 0 (useful for the learned optimizer, whose noise keeps it moving),
every ``relax_every`` evaluations each replica's best structure so far is relaxed with
FIRE for up to ``relax_evaluations`` evaluations (counted against the budget); the
optimizer then continues from where it was.

Every candidate (converged or best) is finally relaxed tightly, which is not counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..engine import BatchedEngine
from ..fix import OptimizerFix
from ..lammps_runtime import Accelerator
from ..optimizers import Fire, UpdateRule
from ..systems import System
from .common import Relaxer, StartGenerator, dissociation_detector, distinct_minima, force_unit
from .result import SeedRun


@dataclass(frozen=True)
class RuleSearchSettings:
    """Lengths in nearest-neighbour distances, forces in cohesive energy per distance."""

    converged_force: float = 1e-3
    relax_every: int = 0
    relax_evaluations: int = 300
    max_displacement: float = 0.5


def rule_search(
    system: System,
    make_rule: Callable[[list[int]], UpdateRule],
    seeds: list[int],
    budget: int,
    settings: RuleSearchSettings = RuleSearchSettings(),
    accelerator: Accelerator | str | None = None,
) -> list[SeedRun]:
    """Run ``make_rule(seeds)`` on one replica per seed for ``budget`` evaluations each."""
    starts = [StartGenerator(system, seed) for seed in seeds]

    def fresh(replicas: list[int], _x: np.ndarray) -> np.ndarray:
        return np.stack([starts[r]() for r in replicas])

    rule = make_rule(list(seeds))
    with BatchedEngine(system, len(seeds), accelerator) as engine:
        fix = OptimizerFix(
            rule,
            len(seeds),
            budget,
            settings.max_displacement * system.nearest_neighbour(),
            converged_force=settings.converged_force * force_unit(system),
            on_converged=fresh,
            dissociated=dissociation_detector(system, engine.slot_radius),
            on_dissociated=fresh,
        )
        engine.set_positions(fresh(list(range(len(seeds))), None))
        if settings.relax_every > 0:
            _run_with_relaxation(engine, fix, settings)
        else:
            engine.run(budget, fix)
        best = [(r, fix.best_evaluation[r], fix.best_energy[r], fix.best_positions[r]) for r in range(len(seeds))]
    candidates = [(c.replica, c.evaluation, c.energy, c.positions) for c in fix.candidates] + best
    relaxer = Relaxer.for_system(system, accelerator)
    try:
        found: dict[int, list[tuple[float, np.ndarray, int]]] = {r: [] for r in range(len(seeds))}
        for replica, evaluation, _, x in candidates:
            xr, er, _ = relaxer(x)
            found[replica].append((er, xr, int(evaluation)))
    finally:
        relaxer.close()
    runs = []
    for r, seed in enumerate(seeds):
        notes = {
            "restarts": starts[r].count - 1,
            "dissociations": sum(1 for rep, _ in fix.dissociations if rep == r),
            "stopped": fix.stopped.get(r, ""),
        }
        runs.append(SeedRun(seed, int(fix.evaluations[r]), fix.trace.evaluations[r], fix.trace.energies[r],
                            distinct_minima(system, seed, found[r]), notes))
    return runs


def _run_with_relaxation(engine: BatchedEngine, fix: OptimizerFix, settings: RuleSearchSettings) -> None:
    """Alternate the rule with FIRE relaxations of each replica's best structure."""
    rule, on_converged = fix.rule, fix.on_converged
    while fix.active.any():
        remaining = int(fix.budget - fix.evaluations.max())
        engine.run(min(settings.relax_every, remaining), fix)
        remaining = int(fix.budget - fix.evaluations.max())
        if remaining <= 0:
            break
        saved_positions, saved_state = engine.positions(), fix.state
        fix.rule, fix.state, fix.on_converged = Fire(max_step=0.1 * engine.system.nearest_neighbour()), None, None
        engine.set_positions(fix.best_positions, check=False)
        engine.run(min(settings.relax_evaluations, remaining), fix)
        fix.rule, fix.state, fix.on_converged = rule, saved_state, on_converged
        engine.set_positions(saved_positions, check=False)
