"""L-BFGS (Nocedal, Math. Comp. 35, 773, 1980) with a backtracking step, batched over replicas.

One energy+force evaluation per step, so it runs inside LAMMPS like every other rule:
each step either accepts the evaluated point (sufficient decrease, Armijo) and proposes
the next one from the two-loop recursion over the last ``memory`` steps, or rejects it
and proposes half the step from the last accepted point. A step that would move an atom
farther than ``max_step`` is scaled down; after ``max_backtracks`` halvings, or when the
direction is not downhill, the memory is cleared and the step is steepest descent.

The step is a compiled loop over replicas (numba): each replica's arithmetic is its own,
whatever the batch, and the per-step cost stays a few microseconds per replica. It
updates the state's arrays in place.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from .base import State


@numba.njit(cache=True)
def _step(x, g, e, s, y, rho, stored, head, x0, g0, e0, d, halvings, max_step, first_step, armijo, max_backtracks, out):
    b_count, n = x.shape
    memory = s.shape[1]
    q = np.empty(n)
    alphas = np.empty(memory)
    for b in range(b_count):
        slope = 0.0
        for k in range(n):
            slope += g0[b, k] * (x[b, k] - x0[b, k])
        accept = e[b] <= e0[b] + armijo * slope
        if accept and np.isfinite(e0[b]):
            sy = ss = gg = 0.0
            for k in range(n):
                dk, yk = x[b, k] - x0[b, k], g[b, k] - g0[b, k]
                sy += dk * yk
                ss += dk * dk
                gg += g[b, k] * g[b, k]
            if sy > 1e-12 * np.sqrt(ss * gg):  # positive curvature: remember the pair
                h = head[b]
                for k in range(n):
                    s[b, h, k] = x[b, k] - x0[b, k]
                    y[b, h, k] = g[b, k] - g0[b, k]
                rho[b, h] = 1.0 / sy
                head[b] = (h + 1) % memory
                stored[b] = min(stored[b] + 1, memory)
        if accept:
            halvings[b] = 0
            for k in range(n):
                x0[b, k] = x[b, k]
                g0[b, k] = g[b, k]
            e0[b] = e[b]
        else:
            halvings[b] += 1
        fresh = accept
        if halvings[b] > max_backtracks:  # give up on this direction: steepest descent from the last accepted point
            halvings[b] = 0
            stored[b] = 0
            fresh = True
        if fresh:
            # two-loop recursion, newest pair first
            for k in range(n):
                q[k] = g0[b, k]
            for j in range(stored[b]):
                i = (head[b] - 1 - j) % memory
                a = 0.0
                for k in range(n):
                    a += s[b, i, k] * q[k]
                a *= rho[b, i]
                alphas[j] = a
                for k in range(n):
                    q[k] -= a * y[b, i, k]
            gamma = 0.0
            if stored[b] > 0:
                i = (head[b] - 1) % memory
                yy = 0.0
                for k in range(n):
                    yy += y[b, i, k] * y[b, i, k]
                gamma = 1.0 / max(rho[b, i] * yy, 1e-300)
            for k in range(n):
                q[k] *= gamma
            for j in range(stored[b] - 1, -1, -1):
                i = (head[b] - 1 - j) % memory
                beta = 0.0
                for k in range(n):
                    beta += y[b, i, k] * q[k]
                beta *= rho[b, i]
                for k in range(n):
                    q[k] += (alphas[j] - beta) * s[b, i, k]
            downhill = 0.0
            for k in range(n):
                downhill -= q[k] * g0[b, k]
            if stored[b] == 0 or not downhill < 0.0:
                largest = 0.0
                for a3 in range(0, n, 3):
                    largest = max(largest, g0[b, a3] ** 2 + g0[b, a3 + 1] ** 2 + g0[b, a3 + 2] ** 2)
                scale = first_step / max(np.sqrt(largest), 1e-300)
                for k in range(n):
                    d[b, k] = -g0[b, k] * scale
            else:
                for k in range(n):
                    d[b, k] = -q[k]
        else:
            for k in range(n):
                d[b, k] *= 0.5
        largest = 0.0
        for a3 in range(0, n, 3):
            largest = max(largest, d[b, a3] ** 2 + d[b, a3 + 1] ** 2 + d[b, a3 + 2] ** 2)
        scale = min(max_step / max(np.sqrt(largest), 1e-300), 1.0)
        for k in range(n):
            d[b, k] *= scale
            out[b, k] = x0[b, k] + d[b, k]


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

    def init(self, x: np.ndarray, f: np.ndarray, e: np.ndarray) -> State:
        b, n, _ = x.shape
        return {
            "s": np.zeros((b, self.memory, 3 * n)),
            "y": np.zeros((b, self.memory, 3 * n)),
            "rho": np.zeros((b, self.memory)),
            "stored": np.zeros(b, dtype=np.int64),
            "head": np.zeros(b, dtype=np.int64),
            "x0": np.zeros((b, 3 * n)),
            "g0": np.zeros((b, 3 * n)),
            "e0": np.full(b, np.inf),
            "d": np.zeros((b, 3 * n)),
            "halvings": np.zeros(b, dtype=np.int64),
        }

    def step(self, state: State, x: np.ndarray, f: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, State]:
        b = x.shape[0]
        out = np.empty((b, x[0].size))
        _step(np.ascontiguousarray(x).reshape(b, -1), -np.ascontiguousarray(f).reshape(b, -1), np.ascontiguousarray(e, dtype=np.float64),
              state["s"], state["y"], state["rho"], state["stored"], state["head"], state["x0"], state["g0"], state["e0"],
              state["d"], state["halvings"], self.max_step, self.first_step, self.armijo, self.max_backtracks, out)
        return out.reshape(x.shape), state
