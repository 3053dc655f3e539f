"""Adam (Kingma and Ba, 2015) on atomic positions, with a per-atom step cap.

The step is a compiled loop (numba) writing a new state."""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from .base import State, atom_scale


@numba.njit(cache=True, error_model="numpy")
def _step(x, f, m, v, t, params, new_x, new_m, new_v, new_t):
    learning_rate, beta1, beta2, eps, max_step = params
    n_replicas, n_atoms, _ = x.shape
    dx = np.empty(3)
    for b in range(n_replicas):
        tb = t[b] + 1
        new_t[b] = tb
        correction1, correction2 = 1 / (1 - beta1**tb), 1 / (1 - beta2**tb)
        for i in range(n_atoms):
            for axis in range(3):
                g = f[b, i, axis]
                mk = beta1 * m[b, i, axis] - (1 - beta1) * g
                vk = beta2 * v[b, i, axis] + (1 - beta2) * g * g
                new_m[b, i, axis], new_v[b, i, axis] = mk, vk
                dx[axis] = -learning_rate * (mk * correction1) / (np.sqrt(vk * correction2) + eps)
            scale = atom_scale(dx[0], dx[1], dx[2], max_step)
            for axis in range(3):
                new_x[b, i, axis] = x[b, i, axis] + dx[axis] * scale


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
        new_x = np.empty_like(x)
        new = {"m": np.empty_like(x), "v": np.empty_like(x), "t": np.empty_like(state["t"])}
        params = (self.learning_rate, self.beta1, self.beta2, self.eps, self.max_step)
        _step(x, f, state["m"], state["v"], state["t"], params, new_x, new["m"], new["v"], new["t"])
        return new_x, new
