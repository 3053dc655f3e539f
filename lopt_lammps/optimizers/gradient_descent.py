"""Gradient descent with a cap on the displacement of each atom."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .base import State, cap_step


@dataclass(frozen=True)
class GradientDescent:
    """x <- x + learning_rate * f, each atom moving at most ``max_step``."""

    learning_rate: float = 0.01
    max_step: float = 0.1
    name: str = "gd"

    def init(self, x: torch.Tensor, f: torch.Tensor, e: torch.Tensor) -> State:
        return {}

    def step(self, state: State, x: torch.Tensor, f: torch.Tensor, e: torch.Tensor) -> tuple[torch.Tensor, State]:
        return x + cap_step(self.learning_rate * f, self.max_step), state
