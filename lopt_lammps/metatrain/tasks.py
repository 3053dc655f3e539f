"""Meta-training tasks: which system, how long an unroll, which starting structures.

A task is a system (formula, boundary) plus an unroll budget and a seed; the seed fixes
the starting structures and the optimizer noise, identically for every population
member (common random numbers). The sampler draws training tasks from a distribution
of single-element SMATB clusters of Ag and of Cu and of Lennard-Jones clusters; the
held-out set (bimetallic Ag-Cu clusters, Lennard-Jones sizes outside the training
range) is fixed and never trained on. Silicon tasks are periodic cells at crystalline
density (``workflows/config/metatrain-si.yaml``), all others free clusters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import ConfigError, LoptError
from ..systems import System, default_boundary


@dataclass(frozen=True)
class Task:
    formula: str
    budget: int
    seed: int
    boundary: str = "cluster"

    def system(self) -> System:
        return System.parse(self.formula, boundary=self.boundary)


@dataclass(frozen=True)
class TaskDistribution:
    """Training distribution: element families with size ranges, and unroll lengths."""

    families: tuple[tuple[str, int, int], ...] = (("Ag", 10, 40), ("Cu", 10, 40), ("LJ", 10, 40))
    #: fixed compositions sampled alongside the families (each as likely as one family)
    compositions: tuple[str, ...] = ()
    #: share of each iteration's tasks drawn from the families (the nearest whole number of
    #: them, the rest from the compositions: stratified); unset: every family and composition
    #: is one equally likely draw
    family_share: float | None = None
    unroll: tuple[int, int] = (200, 600)
    #: held-out tasks: never trained on
    held_out: tuple[str, ...] = ("Ag10Cu3", "Ag15Cu5", "Ag27Cu7", "Ag30Cu8", "LJ45", "LJ55")
    held_out_budget: int = 600
    held_out_seeds: tuple[int, ...] = field(default=(0, 1))

    def __post_init__(self) -> None:
        if not self.families and not self.compositions:
            raise ConfigError("distribution: give at least one family or composition")
        for element, low, high in self.families:
            if not 2 <= low <= high:
                raise ConfigError(f"distribution: family {element} needs sizes 2 <= low <= high, got {low} to {high}")
        for formula in (*(f"{element}{high}" for element, _, high in self.families), *self.compositions, *self.held_out):
            try:
                System.parse(formula, boundary=default_boundary(formula))
            except LoptError as err:
                raise ConfigError(f"distribution: {formula}: {err}") from None
        if self.family_share is not None and not (0.0 <= self.family_share <= 1.0 and self.families and self.compositions):
            raise ConfigError(f"distribution: family_share ({self.family_share}) needs families and compositions and "
                              "a value from 0 to 1")
        if not 1 <= self.unroll[0] <= self.unroll[1] or self.held_out_budget < 1:
            raise ConfigError("distribution: unroll needs 1 <= shortest <= longest, and held_out_budget must be at least 1")
        if min(self.held_out_seeds, default=0) < 0:
            raise ConfigError("distribution: held_out_seeds must not be negative")

    def sample(self, seed: int, iteration: int, count: int) -> list[Task]:
        """``count`` tasks for ``iteration``; the same arguments give the same tasks."""
        rng = np.random.default_rng([seed, iteration, 11])
        from_families = None if self.family_share is None else round(self.family_share * count)
        tasks = []
        for k in range(count):
            if from_families is None:
                pick = int(rng.integers(len(self.families) + len(self.compositions)))
            elif k < from_families:
                pick = int(rng.integers(len(self.families)))
            else:
                pick = len(self.families) + int(rng.integers(len(self.compositions)))
            if pick < len(self.families):
                element, low, high = self.families[pick]
                formula = f"{element}{int(rng.integers(low, high + 1))}"
            else:
                formula = self.compositions[pick - len(self.families)]
            budget = int(rng.integers(self.unroll[0], self.unroll[1] + 1))
            tasks.append(Task(formula, budget, int(rng.integers(2**31)) + k, default_boundary(formula)))
        return tasks

    def held_out_tasks(self) -> list[Task]:
        return [Task(f, self.held_out_budget, s, default_boundary(f)) for f in self.held_out for s in self.held_out_seeds]
