"""The update-rule interface shared by every optimizer.

An update rule is a pair of pure functions over a batch of B replicas (after jax-md's
``init_fn, apply_fn``): ``init(x, f, e) -> state`` and ``step(state, x, f, e) ->
(new_x, state)``, with positions and forces of shape (B, N, 3) and energies (B,) as
float64 torch tensors. Rules know nothing about LAMMPS; :mod:`lopt_lammps.fix` runs
them inside it.
"""

from __future__ import annotations

from typing import Protocol

import torch

State = dict[str, torch.Tensor]


class UpdateRule(Protocol):
    """A batched optimizer: ``init`` builds per-replica state, ``step`` proposes new positions."""

    name: str

    def init(self, x: torch.Tensor, f: torch.Tensor, e: torch.Tensor) -> State: ...

    def step(self, state: State, x: torch.Tensor, f: torch.Tensor, e: torch.Tensor) -> tuple[torch.Tensor, State]: ...


def cap_step(dx: torch.Tensor, max_step: float) -> torch.Tensor:
    """Scale each atom's displacement down to at most ``max_step`` in length."""
    norm = dx.norm(dim=-1, keepdim=True)
    return dx * torch.clamp(max_step / norm.clamp_min(1e-300), max=1.0)


def reset_replicas(rule: UpdateRule, state: State, mask: torch.Tensor, x: torch.Tensor, f: torch.Tensor, e: torch.Tensor) -> State:
    """Fresh state for the replicas where ``mask`` (B,) is true, the old one elsewhere."""
    fresh = rule.init(x, f, e)
    out = {}
    for key, old in state.items():
        new = fresh[key]
        if old.dim() == 0 or old.shape[0] != mask.shape[0]:
            out[key] = old  # shared, not per replica
            continue
        m = mask.view(-1, *([1] * (old.dim() - 1)))
        out[key] = torch.where(m, new, old)
    return out
