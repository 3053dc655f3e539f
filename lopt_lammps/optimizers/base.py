"""The update-rule interface shared by every optimizer.

An update rule is a pair of pure functions over a batch of B replicas (after jax-md's
``init_fn, apply_fn``): ``init(x, f, e) -> state`` and ``step(state, x, f, e) ->
(new_x, state)``, with positions and forces of shape (B, N, 3) and energies (B,) as
float64 numpy arrays (LAMMPS's own arrays, no copies). A state is a dict of arrays with
the replica as first axis; a rule may keep torch tensors in it (the learned rule does).
Rules know nothing about LAMMPS; :mod:`lopt_lammps.fix` runs them inside it.
"""

from __future__ import annotations

from typing import Any, Protocol

import numba
import numpy as np

State = dict[str, Any]


class UpdateRule(Protocol):
    """A batched optimizer: ``init`` builds per-replica state, ``step`` proposes new positions."""

    name: str

    def init(self, x: np.ndarray, f: np.ndarray, e: np.ndarray) -> State: ...

    def step(self, state: State, x: np.ndarray, f: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, State]: ...


@numba.njit(cache=True, error_model="numpy")
def atom_scale(dx: float, dy: float, dz: float, max_step: float) -> float:
    """The factor that shortens the displacement (dx, dy, dz) to at most ``max_step``."""
    return min(max_step / max(np.sqrt(dx * dx + dy * dy + dz * dz), 1e-300), 1.0)


@numba.njit(cache=True, error_model="numpy")
def _cap(dx, max_step, out):
    for k in range(dx.shape[0]):
        scale = atom_scale(dx[k, 0], dx[k, 1], dx[k, 2], max_step)
        for axis in range(3):
            out[k, axis] = dx[k, axis] * scale


def cap_step(dx: np.ndarray, max_step: float) -> np.ndarray:
    """Scale each atom's displacement (..., 3) down to at most ``max_step`` in length."""
    dx = np.ascontiguousarray(dx, dtype=np.float64)
    out = np.empty_like(dx)
    _cap(dx.reshape(-1, 3), float(max_step), out.reshape(-1, 3))
    return out


def select(mask: np.ndarray, new: Any, old: Any) -> Any:
    """``new`` where ``mask`` (B,) is true, ``old`` elsewhere, for numpy arrays or torch tensors."""
    if isinstance(old, np.ndarray):
        return np.where(mask.reshape(-1, *([1] * (old.ndim - 1))), new, old)
    import torch

    m = torch.from_numpy(np.asarray(mask)).to(old.device).reshape(-1, *([1] * (old.dim() - 1)))
    return torch.where(m, new, old)


def reset_replicas(rule: UpdateRule, state: State, mask: np.ndarray, x: np.ndarray, f: np.ndarray, e: np.ndarray) -> State:
    """Fresh state for the replicas where ``mask`` (B,) is true, the old one elsewhere.

    Entries a rule names in its ``persistent`` attribute (say, a noise counter) are kept.
    """
    fresh = rule.init(x, f, e)
    keep = set(getattr(rule, "persistent", ()))
    out = {}
    for key, old in state.items():
        if key in keep or old.ndim == 0 or old.shape[0] != mask.shape[0]:
            out[key] = old  # kept, or shared rather than per replica
        else:
            out[key] = select(mask, fresh[key], old)
    return out
