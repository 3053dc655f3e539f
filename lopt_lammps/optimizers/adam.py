"""Adam (Kingma and Ba, 2015) on atomic positions, with a per-atom step cap."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import State, cap_step


@dataclass(frozen=True)
class Adam:
    """Adam with the gradient -f; ``learning_rate`` is in length units."""

    learning_rate: float = 0.02
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    max_step: float = 0.2
    name: str = "adam"

    def init(self, x: np.ndarray, f: np.ndarray, e: np.ndarray) -> State:
        return {"m": np.zeros_like(x), "v": np.zeros_like(x), "t": np.zeros(x.shape[0])}

    def step(self, state: State, x: np.ndarray, f: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, State]:
        t = state["t"] + 1
        m = self.beta1 * state["m"] - (1 - self.beta1) * f
        v = self.beta2 * state["v"] + (1 - self.beta2) * f * f
        tt = t[:, None, None]
        m_hat = m / (1 - self.beta1**tt)
        v_hat = v / (1 - self.beta2**tt)
        dx = -self.learning_rate * m_hat / (np.sqrt(v_hat) + self.eps)
        return x + cap_step(dx, self.max_step), {"m": m, "v": v, "t": t}
