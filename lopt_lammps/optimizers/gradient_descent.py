"""Gradient descent with a cap on the displacement of each atom."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import State, cap_step


@dataclass(frozen=True)
class GradientDescent:
    """x <- x + learning_rate * f, each atom moving at most ``max_step``."""

    learning_rate: float = 0.01
    max_step: float = 0.1
    name: str = "gd"

    def init(self, x: np.ndarray, f: np.ndarray, e: np.ndarray) -> State:
        return {}

    def step(self, state: State, x: np.ndarray, f: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, State]:
        return x + cap_step(self.learning_rate * f, self.max_step), state
