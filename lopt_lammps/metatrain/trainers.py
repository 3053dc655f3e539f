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

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch


def _noise(seed: int, iteration: int, count: int, scale: torch.Tensor, blocks: tuple[int, ...] | None = None) -> torch.Tensor:
    """Perturbation directions (count, n), each coordinate scaled by ``scale`` (n,).

    ``blocks``: widths (summing to n) of consecutive parameter blocks, each drawn from a
    stream of its own (the first from the one a single block uses), so that parameters
    appended as a new block leave the perturbations of the others as they were."""
    blocks = blocks or (len(scale),)
    if sum(blocks) != len(scale):
        raise ValueError(f"noise blocks {blocks} do not add up to the {len(scale)} parameters")
    parts = [np.random.default_rng([seed, iteration, 5, *([k] if k else [])]).standard_normal((count, width))
             for k, width in enumerate(blocks)]
    return torch.from_numpy(np.concatenate(parts, axis=1)) * scale


def sign_flip_p(contributions: np.ndarray, rng: np.random.Generator, flips: int = 4000) -> float:
    """p-value of "the pairs' estimates (P, n) carry no common direction": the squared norm of
    their sum against its distribution when each pair's sign is flipped at random.

    Without a gradient, a pair's (L+ - L-) z is as likely as its negative (the loss
    difference does not depend on the direction's sign), so every sign pattern is as
    likely as the observed one; a common direction makes the observed sum longer than
    most. All pairs count together, unlike the cosine between two halves.
    """
    observed = float(np.square(contributions.sum(0)).sum())
    signs = rng.choice([-1.0, 1.0], size=(flips, len(contributions)))
    null = np.square(signs @ contributions).sum(1)
    return float((1 + np.count_nonzero(null >= observed)) / (1 + flips))


@dataclass
class AntitheticES:
    """Antithetic evolution strategies; ``clip`` turns on meta-loss clipping (ESMC).

    The learning rate follows ``schedule``: ``constant``, or ``cosine`` decay to a tenth
    of it over ``iterations``. :meth:`tell` returns signal diagnostics: the cosine between
    the gradient estimates of the two halves of the pairs (independent estimates at the
    same parameters: near 0 when the estimate is noise), a sign-flip test pooling all
    pairs (:func:`sign_flip_p`), the gradient norm, and the parameters' distance from where
    training started against the distance Adam drifts on pure noise (about
    ``learning_rate * sqrt(iterations * n)``).
    """

    seed: int
    scale: torch.Tensor
    pairs: int = 8
    sigma: float = 0.02
    learning_rate: float = 0.01
    clip: bool = True
    schedule: str = "constant"
    iterations: int = 1
    blocks: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        self.optimizer: torch.optim.Adam | None = None
        self.start: torch.Tensor | None = None

    @property
    def name(self) -> str:
        return "esmc" if self.clip else "es"

    def ask(self, theta: torch.Tensor, iteration: int) -> torch.Tensor:
        z = _noise(self.seed, iteration, self.pairs, self.scale, self.blocks)
        members = [theta + self.sigma * z, theta - self.sigma * z]
        if self.clip:
            members.insert(0, theta[None])
        return torch.cat(members).detach()

    def rate(self, iteration: int) -> float:
        if self.schedule == "constant":
            return self.learning_rate
        progress = min(iteration / max(self.iterations - 1, 1), 1.0)
        return self.learning_rate * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))

    def tell(self, theta: torch.nn.Parameter, population: torch.Tensor, losses: np.ndarray, iteration: int) -> dict[str, float]:
        z = _noise(self.seed, iteration, self.pairs, self.scale, self.blocks)
        losses = torch.from_numpy(np.asarray(losses, dtype=float))
        offset = 1 if self.clip else 0
        plus, minus = losses[offset : offset + self.pairs], losses[offset + self.pairs :]
        if self.clip:
            baseline = losses[0]
            plus, minus = torch.minimum(plus, baseline), torch.minimum(minus, baseline)
        contributions = (plus - minus)[:, None] * z  # each pair's estimate, up to a common factor
        # parameters with scale 0 are not trained: no perturbation, no gradient
        trained = self.scale > 0
        gradient = torch.where(trained, contributions.mean(0) / (2 * self.sigma * torch.where(trained, self.scale, 1.0) ** 2), 0.0)
        if self.optimizer is None:
            self.optimizer = torch.optim.Adam([theta], lr=self.learning_rate)
        if self.start is None:
            self.start = theta.detach().clone()
        for group in self.optimizer.param_groups:
            group["lr"] = self.rate(iteration)
        theta.grad = gradient.to(theta.dtype)
        self.optimizer.step()
        self.optimizer.zero_grad()
        half = self.pairs // 2
        first, second = contributions[:half].mean(0), contributions[half:].mean(0)
        cosine = float(first @ second / (first.norm() * second.norm()).clamp_min(1e-300))
        n = int(trained.sum())  # the parameters trained
        p_value = sign_flip_p(contributions.numpy(), np.random.default_rng([self.seed, iteration, 7]))
        return {"gradient_cosine_halves": cosine, "gradient_signal_p": p_value, "gradient_norm": float(gradient.norm()),
                "learning_rate": self.rate(iteration),
                "drift": float((theta.detach() - self.start).norm()),
                "random_walk": self.learning_rate * math.sqrt((iteration + 1) * n)}

    def state_dict(self) -> dict[str, Any]:
        return {"optimizer": self.optimizer.state_dict() if self.optimizer else None, "start": self.start}

    def load_state_dict(self, state: dict[str, Any], theta: torch.nn.Parameter) -> None:
        if state.get("optimizer") is not None:
            self.optimizer = torch.optim.Adam([theta], lr=self.learning_rate)
            self.optimizer.load_state_dict(state["optimizer"])
        self.start = state.get("start")


@dataclass
class GeneticAlgorithm:
    """Truncation-selection GA with Gaussian mutations around the elites."""

    seed: int
    scale: torch.Tensor
    population: int = 16
    elites: int = 4
    sigma: float = 0.02
    name: str = "ga"
    blocks: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        self.parents: torch.Tensor | None = None

    def ask(self, theta: torch.Tensor, iteration: int) -> torch.Tensor:
        parents = self.parents if self.parents is not None else theta.detach()[None]
        children = self.population - len(parents)
        rng = np.random.default_rng([self.seed, iteration, 6])
        picks = torch.from_numpy(rng.integers(len(parents), size=children))
        z = _noise(self.seed, iteration, children, self.scale, self.blocks)
        return torch.cat([parents, parents[picks] + self.sigma * z]).detach()

    def tell(self, theta: torch.nn.Parameter, population: torch.Tensor, losses: np.ndarray, iteration: int) -> dict[str, float]:
        order = np.argsort(np.asarray(losses), kind="stable")[: self.elites]
        self.parents = population[torch.from_numpy(order)].clone()
        with torch.no_grad():
            theta.copy_(self.parents[0])
        return {}

    def state_dict(self) -> dict[str, Any]:
        return {"parents": self.parents}

    def load_state_dict(self, state: dict[str, Any], theta: torch.nn.Parameter) -> None:
        self.parents = state.get("parents")


def make_trainer(name: str, seed: int, pairs: int, sigma: float, learning_rate: float, scale: torch.Tensor,
                 schedule: str = "constant", iterations: int = 1, blocks: tuple[int, ...] | None = None):
    """A trainer by name: ``esmc``, ``es`` or ``ga`` (population 2 * pairs + 1, a quarter elites).

    ``scale`` (n,) sets the relative perturbation size of each parameter; ``schedule`` and
    ``iterations`` set the learning-rate schedule of the ES trainers; ``blocks``, the noise
    blocks of the parameters (see :func:`_noise`).
    """
    if name in ("esmc", "es"):
        return AntitheticES(seed, scale, pairs, sigma, learning_rate, clip=name == "esmc", schedule=schedule,
                            iterations=iterations, blocks=blocks)
    if name == "ga":
        population = 2 * pairs + 1
        return GeneticAlgorithm(seed, scale, population, max(2, population // 4), sigma, blocks=blocks)
    raise ValueError(f"unknown outer trainer {name!r}: esmc, es or ga")
