"""FIRE, the fast inertial relaxation engine (Bitzek et al., PRL 97, 170201, 2006).

Batched over replicas, each with its own velocity, time step and mixing parameter.
Parameters and step follow ASE's ``ase.optimize.FIRE`` (no downhill check), so both
produce the same trajectory from the same start.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .base import State


def _dot(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return (a * b).sum(dim=(1, 2))


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

    def init(self, x: torch.Tensor, f: torch.Tensor, e: torch.Tensor) -> State:
        b = x.shape[0]
        full = lambda value: torch.full((b,), float(value), dtype=x.dtype)  # noqa: E731
        return {
            "v": torch.zeros_like(x),
            "dt": full(self.dt),
            "alpha": full(self.alpha_start),
            "n_pos": full(0),
            "started": torch.zeros(b, dtype=torch.bool),
        }

    def step(self, state: State, x: torch.Tensor, f: torch.Tensor, e: torch.Tensor) -> tuple[torch.Tensor, State]:
        v, dt, alpha, n_pos = state["v"], state["dt"], state["alpha"], state["n_pos"]
        started = state["started"]
        power = _dot(f, v)
        downhill = (power > 0) & started
        uphill = ~downhill & started
        f_norm = _dot(f, f).sqrt().clamp_min(1e-300).view(-1, 1, 1)
        v_norm = _dot(v, v).sqrt().view(-1, 1, 1)
        a = alpha.view(-1, 1, 1)
        mixed = (1 - a) * v + a * f / f_norm * v_norm
        accelerate = downhill & (n_pos > self.n_min)
        v = torch.where(downhill.view(-1, 1, 1), mixed, torch.where(uphill.view(-1, 1, 1), torch.zeros_like(v), v))
        dt = torch.where(accelerate, torch.clamp(dt * self.f_inc, max=self.dt_max), dt)
        alpha = torch.where(accelerate, alpha * self.f_alpha, alpha)
        n_pos = torch.where(downhill, n_pos + 1, n_pos)
        dt = torch.where(uphill, dt * self.f_dec, dt)
        alpha = torch.where(uphill, torch.full_like(alpha, self.alpha_start), alpha)
        n_pos = torch.where(uphill, torch.zeros_like(n_pos), n_pos)
        v = v + dt.view(-1, 1, 1) * f
        dr = dt.view(-1, 1, 1) * v
        norm = _dot(dr, dr).sqrt().view(-1, 1, 1)
        dr = torch.where(norm > self.max_step, dr * self.max_step / norm.clamp_min(1e-300), dr)
        state = {"v": v, "dt": dt, "alpha": alpha, "n_pos": n_pos, "started": torch.ones_like(started)}
        return x + dr, state
