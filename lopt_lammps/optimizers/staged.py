"""Two update rules in sequence: a first rule for a fixed number of steps, then a polish.

Per replica, :class:`Staged` runs ``first`` for ``steps`` evaluations while keeping the
lowest point it reached, then jumps there and relaxes with ``polish`` (for example the
learned rule, which keeps moving, then L-BFGS to the nearest minimum). Both rules step
at every call for every replica, so a replica's run never depends on the others' stages.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from .base import State, UpdateRule, reset_replicas


_FIRST, _POLISH = "first.", "polish."


def _split(state: State) -> tuple[State, State]:
    """The two rules' states out of the joint one (one pass over its entries)."""
    first, polish = {}, {}
    for key, value in state.items():
        if key.startswith(_FIRST):
            first[key[len(_FIRST):]] = value
        elif key.startswith(_POLISH):
            polish[key[len(_POLISH):]] = value
    return first, polish


def _join(prefix: str, state: State) -> State:
    return {prefix + key: value for key, value in state.items()}


@dataclass(frozen=True)
class Staged:
    """``first`` for ``steps`` evaluations, then ``polish`` from the lowest point of ``first``."""

    first: UpdateRule
    polish: UpdateRule
    steps: int

    @property
    def name(self) -> str:
        return f"{self.first.name}+{self.polish.name}"

    @property
    def persistent(self) -> tuple[str, ...]:
        """What a restart keeps: the persistent entries of both rules."""
        return tuple(f"{prefix}{key}" for prefix, rule in ((_FIRST, self.first), (_POLISH, self.polish))
                     for key in getattr(rule, "persistent", ()))

    def init(self, x: np.ndarray, f: np.ndarray, e: np.ndarray) -> State:
        return {
            **_join(_FIRST, self.first.init(x, f, e)),
            **_join(_POLISH, self.polish.init(x, f, e)),
            "count": np.zeros(x.shape[0], dtype=np.int64),
            "best_energy": np.full(x.shape[0], np.inf),
            "best_positions": x.copy(),
        }

    def step(self, state: State, x: np.ndarray, f: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, State]:
        first_state, polish_state = _split(state)
        first_x, first_state = self.first.step(first_state, x, f, e)
        polish_x, polish_state = self.polish.step(polish_state, x, f, e)
        b = x.shape[0]
        count, best_energy, best_positions = np.empty(b, dtype=np.int64), np.empty(b), np.empty_like(x)
        new_x, switching = np.empty_like(x), np.empty(b, dtype=bool)
        if _choose(self.steps, state["count"], state["best_energy"], state["best_positions"], x, e, np.asarray(first_x),
                   np.asarray(polish_x), count, best_energy, best_positions, new_x, switching):
            # the polish starts afresh from the first stage's lowest point
            polish_state = reset_replicas(self.polish, polish_state, switching, best_positions, np.zeros_like(f), best_energy)
        return new_x, {**_join(_FIRST, first_state), **_join(_POLISH, polish_state), "count": count,
                       "best_energy": best_energy, "best_positions": best_positions}


@numba.njit(cache=True, error_model="numpy")
def _choose(steps, count, best_energy, best_positions, x, e, first_x, polish_x, new_count, new_best_energy,
            new_best_positions, new_x, switching):
    """Per replica: count the step, keep the first stage's lowest point, and take the first
    rule's proposal during the first stage, that lowest point at the switch (``switching``),
    the polish's after. Returns whether any replica switches now."""
    any_switching = False
    for b in range(x.shape[0]):
        c = count[b] + 1
        new_count[b] = c
        better = c <= steps and e[b] < best_energy[b]
        new_best_energy[b] = e[b] if better else best_energy[b]
        new_best_positions[b] = x[b] if better else best_positions[b]
        switching[b] = c == steps
        any_switching = any_switching or switching[b]
        if switching[b]:
            new_x[b] = new_best_positions[b]
        elif c <= steps:
            new_x[b] = first_x[b]
        else:
            new_x[b] = polish_x[b]
    return any_switching
