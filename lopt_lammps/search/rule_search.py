"""Searches driven by an update rule inside LAMMPS: the learned optimizer, Adam, GD.

All seeds run at once as replicas of one :class:`BatchedEngine`, through
:class:`OptimizerFix`. A replica whose largest force component drops below
``converged_force`` has found a minimum: it is recorded and the replica restarts from a
new random structure (fresh rule state). A dissociated cluster restarts too.

With ``cycle`` > 0 (the learned optimizer, trained on unrolls of about that length, whose
noise keeps it moving), the search runs in cycles: the rule for ``cycle`` evaluations,
then FIRE on each replica's best structure of the cycle for up to ``relax_evaluations``
evaluations, then new starts: random structures, or (``restart_from="best"``) the seed's
lowest minimum so far, perturbed as in basin hopping. Every evaluation counts.

Every candidate (converged or best) is finally relaxed tightly, which is not counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from tqdm import tqdm

from ..engine import BatchedEngine
from ..fix import Candidate, OptimizerFix
from ..lammps_runtime import Accelerator
from ..optimizers import Fire, UpdateRule
from ..systems import System
from .common import (
    Relaxer,
    StartGenerator,
    dissociation_detector,
    distinct_minima,
    force_unit,
    perturb,
)
from .result import SeedRun


@dataclass(frozen=True)
class RuleSearchSettings:
    """Lengths in nearest-neighbour distances, forces in cohesive energy per distance."""

    converged_force: float = 1e-3
    cycle: int = 0
    relax_evaluations: int = 300
    max_displacement: float = 0.5
    #: where a new cycle starts: "random" structures, or the seed's "best" minimum so far, perturbed
    restart_from: str = "random"
    perturbation: float = 0.35
    swap_probability: float = 0.3


def rule_search(
    system: System,
    make_rule: Callable[[list[int]], UpdateRule],
    seeds: list[int],
    budget: int,
    settings: RuleSearchSettings = RuleSearchSettings(),
    accelerator: Accelerator | str | None = None,
    first: dict[int, np.ndarray] | None = None,
    progress: bool = False,
) -> list[SeedRun]:
    """Run ``make_rule(seeds)`` on one replica per seed for ``budget`` evaluations each.

    ``first`` optionally gives a seed's first starting structure; ``progress`` shows a bar.
    """
    first = first or {}
    starts = [StartGenerator(system, seed, first.get(seed)) for seed in seeds]

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
            containment_radius=None if system.periodic else 0.8 * engine.slot_radius,
        )
        engine.set_positions(fresh(list(range(len(seeds))), None))
        with tqdm(total=budget, desc=f"{system.formula} x {len(seeds)} seeds", unit="eval", disable=not progress,
                  miniters=max(1, budget // 100)) as bar:
            def step(x: np.ndarray, f: np.ndarray, e: np.ndarray) -> np.ndarray:
                bar.update(1)
                return fix(x, f, e)

            if settings.cycle > 0:
                _run_in_cycles(engine, fix, settings, fresh, step, list(seeds))
            else:
                engine.run(budget, step)
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


def _run_in_cycles(engine: BatchedEngine, fix: OptimizerFix, settings: RuleSearchSettings, fresh, step, seeds: list[int]) -> None:
    """Cycles of: the rule for ``cycle`` evaluations, FIRE on the cycle's best structures
    for ``relax_evaluations``, then new starts (random, or the best minimum perturbed as in
    basin hopping) with a fresh rule state."""
    rule, on_converged = fix.rule, fix.on_converged
    system = engine.system
    relax = Fire(max_step=0.1 * system.nearest_neighbour())
    everyone = list(range(engine.n_replicas))
    best_energy = np.full(engine.n_replicas, np.inf)
    best = np.zeros((engine.n_replicas, system.n_atoms, 3))
    rngs = [np.random.default_rng([seed, 4]) for seed in seeds]
    while fix.active.any():
        fix.start_window()
        engine.run(min(settings.cycle, _remaining(fix)), step)
        if _remaining(fix) <= 0:
            break
        fix.rule, fix.state, fix.on_converged = relax, None, None
        engine.set_positions(fix.window_positions, check=False)
        fix.start_window()
        engine.run(min(settings.relax_evaluations, _remaining(fix)), step)
        fix.candidates += [Candidate(r, int(fix.window_evaluation[r]), float(fix.window_energy[r]), fix.window_positions[r].copy())
                           for r in everyone if np.isfinite(fix.window_energy[r])]
        improved = fix.window_energy < best_energy
        best_energy[improved] = fix.window_energy[improved]
        best[improved] = fix.window_positions[improved]
        fix.rule, fix.state, fix.on_converged = rule, None, on_converged
        if settings.restart_from == "best":
            starts = np.stack([perturb(system, best[r], settings.perturbation, settings.swap_probability, rngs[r])[0] for r in everyone])
        else:
            starts = fresh(everyone, None)
        engine.set_positions(starts, check=False)


def _remaining(fix: OptimizerFix) -> int:
    return int(fix.budget - fix.evaluations[fix.active].max()) if fix.active.any() else 0
