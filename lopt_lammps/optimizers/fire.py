"""FIRE, the fast inertial relaxation engine (Bitzek et al., PRL 97, 170201, 2006).

Batched over replicas, each with its own velocity, time step and mixing parameter.
Parameters and step follow ASE's ``ase.optimize.FIRE`` (no downhill check), so both
produce the same trajectory from the same start. The step is a compiled loop over
replicas (numba) writing a new state: each replica's arithmetic is its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from .base import State


@numba.njit(cache=True, error_model="numpy")
def _step(x, f, v, dt, alpha, n_pos, started, params, new_x, new_v, new_dt, new_alpha, new_n_pos):
    dt_max, max_step, n_min, f_inc, f_dec, alpha_start, f_alpha = params
    n_replicas, n_atoms, _ = x.shape
    for b in range(n_replicas):
        fv = ff = vv = 0.0
        for i in range(n_atoms):
            for axis in range(3):
                fv += f[b, i, axis] * v[b, i, axis]
                ff += f[b, i, axis] * f[b, i, axis]
                vv += v[b, i, axis] * v[b, i, axis]
        downhill = fv > 0 and started[b]
        uphill = not downhill and started[b]
        f_norm = max(np.sqrt(ff), 1e-300)
        v_norm = np.sqrt(vv)
        a = alpha[b]
        step, mix, pos = dt[b], alpha[b], n_pos[b]
        if downhill and pos > n_min:
            step = min(step * f_inc, dt_max)
            mix = mix * f_alpha
        if downhill:
            pos += 1
        if uphill:
            step, mix, pos = step * f_dec, alpha_start, 0.0
        new_dt[b], new_alpha[b], new_n_pos[b] = step, mix, pos
        dr2 = 0.0
        for i in range(n_atoms):
            for axis in range(3):
                vel = v[b, i, axis]
                if downhill:
                    vel = (1 - a) * vel + a * f[b, i, axis] / f_norm * v_norm
                elif uphill:
                    vel = 0.0
                vel = vel + step * f[b, i, axis]
                new_v[b, i, axis] = vel
                dr2 += (step * vel) ** 2
        norm = np.sqrt(dr2)
        for i in range(n_atoms):
            for axis in range(3):
                dr = step * new_v[b, i, axis]
                if norm > max_step:
                    dr = dr * max_step / max(norm, 1e-300)
                new_x[b, i, axis] = x[b, i, axis] + dr


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
        new_x = np.empty_like(x)
        new = {"v": np.empty_like(x), "dt": np.empty_like(state["dt"]), "alpha": np.empty_like(state["alpha"]),
               "n_pos": np.empty_like(state["n_pos"]), "started": np.ones_like(state["started"])}
        params = (self.dt_max, self.max_step, float(self.n_min), self.f_inc, self.f_dec, self.alpha_start, self.f_alpha)
        _step(x, f, state["v"], state["dt"], state["alpha"], state["n_pos"], state["started"], params,
              new_x, new["v"], new["dt"], new["alpha"], new["n_pos"])
        return new_x, new
