"""L-BFGS (Nocedal, Math. Comp. 35, 773, 1980) with a backtracking step, batched over replicas.

One energy+force evaluation per step, so it runs inside LAMMPS like every other rule:
each step either accepts the evaluated point (sufficient decrease, Armijo) and proposes
the next one from the two-loop recursion over the last ``memory`` steps, or rejects it
and proposes half the step from the last accepted point. A step that would move an atom
farther than ``max_step`` is scaled down; after ``max_backtracks`` halvings, or when the
direction is not downhill, the memory is cleared and the step is steepest descent.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .base import State


def _dot(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return (a * b).sum(-1)


@dataclass(frozen=True)
class Lbfgs:
    """``max_step`` (length units) caps each atom's displacement per step; ``first_step``
    is the largest atomic displacement of a steepest-descent step."""

    max_step: float = 0.2
    first_step: float = 0.05
    memory: int = 10
    armijo: float = 1e-4
    max_backtracks: int = 8
    name: str = "lbfgs"

    def init(self, x: torch.Tensor, f: torch.Tensor, e: torch.Tensor) -> State:
        b, n, _ = x.shape
        flat = torch.zeros((b, 3 * n), dtype=x.dtype)
        return {
            "s": torch.zeros((b, self.memory, 3 * n), dtype=x.dtype),
            "y": torch.zeros((b, self.memory, 3 * n), dtype=x.dtype),
            "rho": torch.zeros((b, self.memory), dtype=x.dtype),
            "stored": torch.zeros(b, dtype=torch.long),
            "x0": flat.clone(),
            "g0": flat.clone(),
            "e0": torch.full((b,), float("inf"), dtype=x.dtype),
            "d": flat.clone(),
            "halvings": torch.zeros(b, dtype=torch.long),
        }

    def step(self, state: State, x: torch.Tensor, f: torch.Tensor, e: torch.Tensor) -> tuple[torch.Tensor, State]:
        shape = x.shape
        x, g = x.reshape(shape[0], -1), -f.reshape(shape[0], -1)
        d_taken = x - state["x0"]
        accept = e <= state["e0"] + self.armijo * _dot(state["g0"], d_taken)
        s, y, rho, stored = state["s"], state["y"], state["rho"], state["stored"]
        # accepted points extend the memory (when the curvature is positive), rejected ones halve the step
        sy = _dot(d_taken, g - state["g0"])
        learn = accept & torch.isfinite(state["e0"]) & (sy > 1e-12 * _dot(d_taken, d_taken).sqrt() * _dot(g, g).sqrt())
        if learn.any():
            s = torch.where(learn[:, None, None], torch.roll(s, 1, dims=1), s)
            y = torch.where(learn[:, None, None], torch.roll(y, 1, dims=1), y)
            rho = torch.where(learn[:, None], torch.roll(rho, 1, dims=1), rho)
            s[learn, 0], y[learn, 0] = d_taken[learn], (g - state["g0"])[learn]
            rho[learn, 0] = 1.0 / sy[learn]
            stored = torch.where(learn, torch.clamp(stored + 1, max=self.memory), stored)
        halvings = torch.where(accept, torch.zeros_like(state["halvings"]), state["halvings"] + 1)
        give_up = halvings > self.max_backtracks
        stored = torch.where(give_up, torch.zeros_like(stored), stored)
        halvings = torch.where(give_up, torch.zeros_like(halvings), halvings)
        here = accept | give_up  # new base point: this one (accepted), or the last accepted (given up)
        base_x = torch.where(accept[:, None], x, state["x0"])
        base_g = torch.where(accept[:, None], g, state["g0"])
        base_e = torch.where(accept, e, state["e0"])
        direction = self._direction(base_g, s, y, rho, stored)
        d = torch.where(here[:, None], direction, 0.5 * state["d"])
        d = self._cap(d.reshape(shape)).reshape(shape[0], -1)
        new_state = {"s": s, "y": y, "rho": rho, "stored": stored, "x0": base_x, "g0": base_g, "e0": base_e,
                     "d": d, "halvings": halvings}
        return (base_x + d).reshape(shape), new_state

    def _direction(self, g: torch.Tensor, s: torch.Tensor, y: torch.Tensor, rho: torch.Tensor, stored: torch.Tensor) -> torch.Tensor:
        """-H g by the two-loop recursion (per replica over its stored pairs); steepest
        descent scaled to ``first_step`` where nothing is stored or the result is not downhill."""
        q = g.clone()
        alphas = []
        for k in range(self.memory):
            use = (k < stored).to(g.dtype)
            a = use * rho[:, k] * _dot(s[:, k], q)
            q = q - a[:, None] * y[:, k]
            alphas.append(a)
        yy = _dot(y[:, 0], y[:, 0])
        gamma = torch.where(stored > 0, 1.0 / (rho[:, 0] * yy).clamp_min(1e-300), torch.zeros_like(yy))
        r = gamma[:, None] * q
        for k in reversed(range(self.memory)):
            use = (k < stored).to(g.dtype)
            beta = use * rho[:, k] * _dot(y[:, k], r)
            r = r + (alphas[k] - beta)[:, None] * s[:, k]
        d = -r
        largest = g.reshape(g.shape[0], -1, 3).norm(dim=-1).amax(dim=1).clamp_min(1e-300)
        steepest = -g * (self.first_step / largest)[:, None]
        fallback = (stored == 0) | ~(_dot(d, g) < 0)
        return torch.where(fallback[:, None], steepest, d)

    def _cap(self, d: torch.Tensor) -> torch.Tensor:
        """Scale each replica's step so that no atom moves farther than ``max_step``."""
        largest = d.norm(dim=-1).amax(dim=1)
        scale = torch.clamp(self.max_step / largest.clamp_min(1e-300), max=1.0)
        return d * scale[:, None, None]
