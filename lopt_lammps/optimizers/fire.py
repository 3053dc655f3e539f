"""FIRE, the fast inertial relaxation engine (Bitzek et al., PRL 97, 170201, 2006).

Batched over replicas, each with its own velocity, time step and mixing parameter.
Parameters and step follow ASE's ``ase.optimize.FIRE`` (no downhill check), so both
produce the same trajectory from the same start.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import State


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("bni,bni->b", a, b)


@dataclass(frozen=True)
class Fire:
    """FIRE with ASE's defaults; ``max_step`` caps the whole-replica displacement norm."""

    dt: float = 0.1
    dt_max: float = 1.0
    max_step: float = 0.2
    n_min: int = 5
    f_inc: float = 1.1
    f_dec: float = 0.5
    alpha_start: float = 0.1
    f_alpha: float = 0.99
    name: str = "fire"

    def init(self, x: np.ndarray, f: np.ndarray, e: np.ndarray) -> State:
        b = x.shape[0]
        return {
            "v": np.zeros_like(x),
            "dt": np.full(b, self.dt),
            "alpha": np.full(b, self.alpha_start),
            "n_pos": np.zeros(b),
            "started": np.zeros(b, dtype=bool),
        }

    def step(self, state: State, x: np.ndarray, f: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, State]:
        v, dt, alpha, n_pos, started = state["v"], state["dt"], state["alpha"], state["n_pos"], state["started"]
        downhill = (_dot(f, v) > 0) & started
        uphill = ~downhill & started
        f_norm = np.sqrt(_dot(f, f)).clip(min=1e-300)[:, None, None]
        v_norm = np.sqrt(_dot(v, v))[:, None, None]
        a = alpha[:, None, None]
        mixed = (1 - a) * v + a * f / f_norm * v_norm
        accelerate = downhill & (n_pos > self.n_min)
        v = np.where(downhill[:, None, None], mixed, np.where(uphill[:, None, None], 0.0, v))
        dt = np.where(accelerate, np.minimum(dt * self.f_inc, self.dt_max), dt)
        alpha = np.where(accelerate, alpha * self.f_alpha, alpha)
        n_pos = np.where(downhill, n_pos + 1, n_pos)
        dt = np.where(uphill, dt * self.f_dec, dt)
        alpha = np.where(uphill, self.alpha_start, alpha)
        n_pos = np.where(uphill, 0.0, n_pos)
        v = v + dt[:, None, None] * f
        dr = dt[:, None, None] * v
        norm = np.sqrt(_dot(dr, dr))[:, None, None]
        dr = np.where(norm > self.max_step, dr * self.max_step / norm.clip(min=1e-300), dr)
        return x + dr, {"v": v, "dt": dt, "alpha": alpha, "n_pos": n_pos, "started": np.ones_like(started)}
