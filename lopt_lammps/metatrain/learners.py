"""What meta-training learns: a parameter vector, its perturbation scales, how a population
of parameter vectors is scored on a task, and how the result is saved.

* :class:`RuleLearner`: the learned update rule (the per-atom network) on unrolls from
  random starts, scored by the anytime best energy per atom (:func:`anytime_loss`);
* :class:`HopLearner`: the learned hop policy on the deployed search (hop policy + L-BFGS
  to each minimum) over a horizon of evaluations, scored by the anytime log gap to the
  task's best-known energy (:func:`log_gap_loss`) or by the time to the first hit of it
  (:func:`hit_time_loss`), as the configuration's ``objective`` says.

Members of a population run side by side as replicas of one LAMMPS instance, and member
p's replica r starts from the same structure and draws the same random numbers as every
other member's replica r (common random numbers), so members differ only by parameters.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..errors import CheckpointError, ConfigError
from ..optimizers import LearnedOptimizerNet
from ..references import load_references
from ..search.learned_policy import NOISE_BLOCKS, LearnedHopPolicy, initial_parameters, load_policy, perturbation_scale, save_policy
from ..search.policies import BasinHoppingSettings
from .config import TrainConfig
from .evaluate import evaluate_population
from .objective import OBJECTIVES
from .tasks import Task


class RuleLearner:
    """The learned update rule (``config.network``)."""

    output = "optimizer.pt"
    #: one noise block: all parameters
    noise_blocks = None

    def __init__(self, config: TrainConfig):
        self.net = LearnedOptimizerNet(config.network, seed=config.seed)
        self.network_device = config.network_device

    def initial(self) -> torch.Tensor:
        return self.net.theta.detach().clone()

    def scale(self) -> torch.Tensor:
        return self.net.perturbation_scale()

    def evaluate(self, thetas: torch.Tensor, task: Task, replicas: int, accelerator: str | None) -> np.ndarray:
        """Losses (P, replicas)."""
        return evaluate_population(self.net, thetas, task, replicas, accelerator, self.network_device)[0]

    def save(self, theta: torch.Tensor, path: Path, metadata: dict[str, Any]) -> None:
        with torch.no_grad():
            self.net.theta.copy_(theta)
        self.net.save(path, metadata=metadata)


class HopLearner:
    """The learned hop policy, starting from basin hopping with ``config.hops`` settings, or
    from the policy file ``config.start_policy`` (a later stage of a training)."""

    output = "policy.json"
    #: the parameters of version-1 policies, then each group added since, each its own noise
    #: block, so trainings of the earlier parameters perturb them as they did then
    noise_blocks = NOISE_BLOCKS

    def __init__(self, config: TrainConfig):
        self.settings = BasinHoppingSettings(**config.hops)
        self.references = load_references()
        self.trained = config.trained
        self.loss = OBJECTIVES[config.objective]
        self.start = (initial_parameters(self.settings) if config.start_policy is None
                      else self._read_start(Path(config.start_policy)))

    def _read_start(self, path: Path) -> np.ndarray:
        try:
            theta, patience, _ = load_policy(path)
        except CheckpointError as err:
            raise ConfigError(f"start_policy: {err}") from err
        if patience != self.settings.patience:
            raise ConfigError(f"start_policy {path} has patience {patience} but hops sets {self.settings.patience}; "
                              "set hops: {patience: ...} to the policy's")
        return theta

    def initial(self) -> torch.Tensor:
        return torch.from_numpy(self.start.copy())

    def scale(self) -> torch.Tensor:
        """Perturbation scale per parameter; zero for the groups left out of ``trained``."""
        return torch.from_numpy(perturbation_scale(self.trained or None))

    def reference(self, formula: str) -> float:
        if formula not in self.references:
            raise ConfigError(f"no best-known energy for training task {formula}: establish it first "
                              "(benchmarks/establish_references.py) or leave it out of the distribution")
        return float(self.references[formula]["energy"])

    def evaluate(self, thetas: torch.Tensor, task: Task, replicas: int, accelerator: str | None) -> np.ndarray:
        """Losses (P, replicas)."""
        from ..search.chain import Chain
        from ..search.executors import run_batched
        from ..search.methods import MAX_RELAXATION, lbfgs

        system = task.system()
        reference = self.reference(task.formula)
        seeds = [task.seed * 1009 + r for r in range(replicas)]
        chains = [Chain(system, seed, LearnedHopPolicy(system, theta.numpy(), self.settings.patience))
                  for theta in thetas for seed in seeds]
        runs = run_batched(system, chains, task.budget, lbfgs(system), self.settings.tolerance, MAX_RELAXATION, accelerator)
        losses = np.array([self.loss(r.trace_evaluations, r.trace_energies, task.budget, reference) for r in runs])
        return losses.reshape(len(thetas), replicas)

    def save(self, theta: torch.Tensor, path: Path, metadata: dict[str, Any]) -> None:
        save_policy(path, theta.numpy(), self.settings.patience, metadata)


def make_learner(config: TrainConfig) -> RuleLearner | HopLearner:
    return HopLearner(config) if config.learner == "hops" else RuleLearner(config)
