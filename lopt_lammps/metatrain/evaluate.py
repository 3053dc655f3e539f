"""Evaluating a population of learned-optimizer parameters on one task.

All members run side by side as replicas of one LAMMPS instance: member p's replica r
starts from the task's structure r and draws the task's noise stream r, so members
differ only by their parameters (common random numbers). A cluster that dissociates
is stopped and keeps its best energy.
"""

from __future__ import annotations

import numpy as np
import torch

from ..engine import BatchedEngine
from ..fix import OptimizerFix
from ..lammps_runtime import Accelerator
from ..optimizers import LearnedOptimizer, LearnedOptimizerNet
from ..replica_layout import dissociation_detector
from ..structures import random_positions
from .objective import anytime_loss, final_loss
from .tasks import Task


def evaluate_population(
    net: LearnedOptimizerNet,
    thetas: torch.Tensor,
    task: Task,
    replicas: int,
    accelerator: Accelerator | str | None = None,
    network_device: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Anytime and final losses (P, replicas) of each parameter vector in ``thetas`` (P, n) on
    ``task``; ``network_device``: the torch device the networks run on (default: compiled, CPU)."""
    system = task.system()
    members = thetas.shape[0]
    starts = np.stack([random_positions(system, np.random.default_rng([task.seed, r])) for r in range(replicas)])
    seeds = [task.seed * 1009 + r for r in range(replicas)] * members
    rule = LearnedOptimizer(net, system.scales(), task.budget, seeds, theta=thetas.repeat_interleave(replicas, dim=0),
                            device=network_device)
    n = members * replicas
    with BatchedEngine(system, n, accelerator) as engine:
        fix = OptimizerFix(
            rule, n, task.budget, 0.5 * system.nearest_neighbour(),
            dissociated=dissociation_detector(system, engine.slot_radius),
            containment_radius=None if system.periodic else 0.8 * engine.slot_radius,
        )
        engine.set_positions(np.tile(starts, (members, 1, 1)), check=False)
        engine.run(task.budget, fix)
    scale = system.n_atoms * system.energy_scale()
    anytime = np.array([anytime_loss(fix.trace.evaluations[b], fix.trace.energies[b], task.budget, scale) for b in range(n)])
    final = np.array([final_loss(fix.trace.energies[b], scale) for b in range(n)])
    return anytime.reshape(members, replicas), final.reshape(members, replicas)
