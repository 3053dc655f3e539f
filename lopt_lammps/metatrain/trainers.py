"""Outer trainers: antithetic ES, ES with meta-loss clipping (ESMC), and a genetic algorithm.

Each trainer is an ask/tell pair over the flat parameter vector theta:
``ask(theta, iteration) -> population (P, n)`` and
``tell(theta, population, losses, iteration) -> new theta``. Perturbations come from
a generator seeded by (seed, iteration), so a resumed or distributed run draws exactly
the same population.

* ``es``: antithetic pairs theta +/- sigma s*z (s: per-parameter scale); gradient
  estimate mean((L+ - L-) s*z) / (2 sigma s^2); Adam on theta.
* ``esmc`` (Merchant et al. 2021): as ``es`` plus an unperturbed baseline member whose
  loss L0 clips the others: delta = min(L+, L0) - min(L-, L0).
* ``ga``: keep the ``elites`` best parameter vectors; each generation evaluates them
  with mutated children theta_parent + sigma z; theta is the best elite.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch


def _noise(seed: int, iteration: int, count: int, scale: torch.Tensor) -> torch.Tensor:
    """Perturbation directions (count, n), each coordinate scaled by ``scale`` (n,)."""
    rng = np.random.default_rng([seed, iteration, 5])
    return torch.from_numpy(rng.standard_normal((count, len(scale)))) * scale


@dataclass
class AntitheticES:
    """Antithetic evolution strategies; ``clip`` turns on meta-loss clipping (ESMC)."""

    seed: int
    scale: torch.Tensor
    pairs: int = 8
    sigma: float = 0.02
    learning_rate: float = 0.01
    clip: bool = True

    def __post_init__(self) -> None:
        self.optimizer: torch.optim.Adam | None = None

    @property
    def name(self) -> str:
        return "esmc" if self.clip else "es"

    def ask(self, theta: torch.Tensor, iteration: int) -> torch.Tensor:
        z = _noise(self.seed, iteration, self.pairs, self.scale)
        members = [theta + self.sigma * z, theta - self.sigma * z]
        if self.clip:
            members.insert(0, theta[None])
        return torch.cat(members).detach()

    def tell(self, theta: torch.nn.Parameter, population: torch.Tensor, losses: np.ndarray, iteration: int) -> None:
        z = _noise(self.seed, iteration, self.pairs, self.scale)
        losses = torch.from_numpy(np.asarray(losses, dtype=float))
        offset = 1 if self.clip else 0
        plus, minus = losses[offset : offset + self.pairs], losses[offset + self.pairs :]
        if self.clip:
            baseline = losses[0]
            plus, minus = torch.minimum(plus, baseline), torch.minimum(minus, baseline)
        gradient = ((plus - minus)[:, None] * z).mean(0) / (2 * self.sigma * self.scale**2)
        if self.optimizer is None:
            self.optimizer = torch.optim.Adam([theta], lr=self.learning_rate)
        theta.grad = gradient.to(theta.dtype)
        self.optimizer.step()
        self.optimizer.zero_grad()

    def state_dict(self) -> dict[str, Any]:
        return {"optimizer": self.optimizer.state_dict() if self.optimizer else None}

    def load_state_dict(self, state: dict[str, Any], theta: torch.nn.Parameter) -> None:
        if state.get("optimizer") is not None:
            self.optimizer = torch.optim.Adam([theta], lr=self.learning_rate)
            self.optimizer.load_state_dict(state["optimizer"])


@dataclass
class GeneticAlgorithm:
    """Truncation-selection GA with Gaussian mutations around the elites."""

    seed: int
    scale: torch.Tensor
    population: int = 16
    elites: int = 4
    sigma: float = 0.02
    name: str = "ga"

    def __post_init__(self) -> None:
        self.parents: torch.Tensor | None = None

    def ask(self, theta: torch.Tensor, iteration: int) -> torch.Tensor:
        parents = self.parents if self.parents is not None else theta.detach()[None]
        children = self.population - len(parents)
        rng = np.random.default_rng([self.seed, iteration, 6])
        picks = torch.from_numpy(rng.integers(len(parents), size=children))
        z = _noise(self.seed, iteration, children, self.scale)
        return torch.cat([parents, parents[picks] + self.sigma * z]).detach()

    def tell(self, theta: torch.nn.Parameter, population: torch.Tensor, losses: np.ndarray, iteration: int) -> None:
        order = np.argsort(np.asarray(losses), kind="stable")[: self.elites]
        self.parents = population[torch.from_numpy(order)].clone()
        with torch.no_grad():
            theta.copy_(self.parents[0])

    def state_dict(self) -> dict[str, Any]:
        return {"parents": self.parents}

    def load_state_dict(self, state: dict[str, Any], theta: torch.nn.Parameter) -> None:
        self.parents = state.get("parents")


def make_trainer(name: str, seed: int, pairs: int, sigma: float, learning_rate: float, scale: torch.Tensor):
    """A trainer by name: ``esmc``, ``es`` or ``ga`` (population 2 * pairs + 1, a quarter elites).

    ``scale`` (n,) sets the relative perturbation size of each parameter.
    """
    if name in ("esmc", "es"):
        return AntitheticES(seed, scale, pairs, sigma, learning_rate, clip=name == "esmc")
    if name == "ga":
        population = 2 * pairs + 1
        return GeneticAlgorithm(seed, scale, population, max(2, population // 4), sigma)
    raise ValueError(f"unknown outer trainer {name!r}: esmc, es or ga")
