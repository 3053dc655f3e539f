"""The learned optimizer as an update rule: features, network, capped step.

Per atom, the rule keeps momenta of the force at three decay rates and a second-moment
estimate of its magnitude (Adam-style bias corrected). Each step it builds

* rotation-invariant features: magnitudes of force and momenta, their alignments, the
  RMS force, radial symmetry functions of the neighbourhood, the fraction of the budget
  used, the energy per atom, the gap to the replica's best energy so far and how long
  ago that best was found;
* vectors: force and momenta normalised by the RMS force, and a Gaussian noise direction;

and the network (:mod:`.network`) turns them into a step of at most ``max_step``
nearest-neighbour distances per atom. Lengths are measured in the system's
nearest-neighbour distance and energies in its cohesive energy, so one network serves
Lennard-Jones, metals and silicon alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from ..systems import System
from .base import State, cap_step
from .network import LearnedOptimizerNet


@dataclass(frozen=True)
class Scales:
    """Natural units of a system: nearest-neighbour distance, cohesive energy, cell edge."""

    length: float
    energy: float
    n_atoms: int
    cell: float | None = None

    @classmethod
    def of(cls, system: System) -> "Scales":
        return cls(system.nearest_neighbour(), system.energy_scale(), system.n_atoms,
                   system.cell_length() if system.periodic else None)


def radial_descriptors(x: torch.Tensor, scales: Scales, centres: torch.Tensor, width: float, cutoff: float) -> torch.Tensor:
    """Gaussian radial symmetry functions (B, N, len(centres)), distances in nn units."""
    d = x[:, :, None, :] - x[:, None, :, :]
    if scales.cell is not None:
        d = d - scales.cell * torch.round(d / scales.cell)
    r = d.norm(dim=-1) / scales.length
    n = x.shape[1]
    r = r + torch.eye(n, dtype=x.dtype) * 1e3  # no self term
    smooth = torch.where(r < cutoff, 0.5 * (torch.cos(math.pi * r / cutoff) + 1), torch.zeros_like(r))
    g = torch.exp(-(((r[..., None] - centres) / width) ** 2)) * smooth[..., None]
    return g.sum(dim=2) / 12.0


class LearnedOptimizer:
    """Update rule driven by a :class:`LearnedOptimizerNet`.

    ``budget`` is the number of evaluations the run will get (for the progress feature);
    ``theta`` optionally gives each replica its own parameters (B, P); ``seeds`` (one per
    replica) fix each replica's noise, independently of the other replicas.
    """

    name = "learned"

    def __init__(self, net: LearnedOptimizerNet, scales: Scales, budget: int, seeds: list[int], theta: torch.Tensor | None = None):
        self.net = net
        self.config = net.config
        self.scales = scales
        self.budget = max(1, int(budget))
        self.theta = theta
        self.generators = [np.random.default_rng([int(s), 2]) for s in seeds]
        self._centres = torch.tensor(self.config.radial_centres, dtype=torch.float64)

    def init(self, x: torch.Tensor, f: torch.Tensor, e: torch.Tensor) -> State:
        b = x.shape[0]
        zeros = torch.zeros_like(x)
        return {
            "m": torch.zeros((3, *x.shape), dtype=x.dtype).transpose(0, 1).contiguous(),  # (B, 3, N, 3)
            "v": torch.zeros(x.shape[:2], dtype=x.dtype),
            "t": torch.zeros(b, dtype=x.dtype),
            "best": e.clone(),
            "since_best": torch.zeros(b, dtype=x.dtype),
            "last_dx": zeros,
        }

    def features(self, state: State, x: torch.Tensor, f: torch.Tensor, e: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, State]:
        """Invariant features (B, N, F), vectors (B, N, 3, 5) and the updated moments."""
        cfg, sc = self.config, self.scales
        force_unit = sc.energy / sc.length
        ft = f / force_unit
        t = state["t"] + 1
        decays = torch.tensor(cfg.momentum_decays, dtype=x.dtype).view(1, 3, 1, 1)
        m = decays * state["m"] + (1 - decays) * ft[:, None]
        v = cfg.second_moment_decay * state["v"] + (1 - cfg.second_moment_decay) * (ft * ft).sum(-1)
        tt = t.view(-1, 1, 1, 1)
        m_hat = m / (1 - decays**tt)
        v_hat = v / (1 - cfg.second_moment_decay ** t.view(-1, 1))
        rms = (v_hat + 1e-12).sqrt()  # (B, N)

        f_norm = ft.norm(dim=-1)
        m_norm = m_hat.norm(dim=-1)  # (B, 3, N)
        cos = (m_hat * ft[:, None]).sum(-1) / (m_norm * f_norm[:, None] + 1e-12)
        best = torch.minimum(state["best"], e)
        improved = e < state["best"]
        since_best = torch.where(improved, torch.zeros_like(t), state["since_best"] + 1)
        per_atom = lambda value: value.view(-1, 1).expand(-1, x.shape[1])  # noqa: E731
        energy_per_atom = (e / sc.n_atoms / sc.energy).clamp(-2.0, 2.0)
        gap = torch.log1p(100.0 * (e - best).clamp_min(0) / (sc.n_atoms * sc.energy))
        invariants = torch.cat(
            [
                torch.log1p(f_norm)[..., None],
                torch.log1p(m_norm).permute(0, 2, 1),
                cos.permute(0, 2, 1),
                torch.log1p(rms)[..., None],
                radial_descriptors(x, sc, self._centres, cfg.radial_width, cfg.radial_cutoff),
                per_atom((t - 1) / self.budget)[..., None],
                per_atom(energy_per_atom)[..., None],
                per_atom(gap)[..., None],
                per_atom(torch.log1p(since_best) / math.log1p(self.budget))[..., None],
            ],
            dim=-1,
        )
        noise = torch.from_numpy(np.stack([g.standard_normal(x.shape[1:]) for g in self.generators]))
        unit = rms[..., None, None]
        vectors = torch.cat([(ft[..., None] / unit), (m_hat.permute(0, 2, 3, 1) / unit), noise[..., None]], dim=-1)
        new_state = {"m": m, "v": v, "t": t, "best": best, "since_best": since_best, "last_dx": state["last_dx"]}
        return invariants, vectors, new_state

    def step(self, state: State, x: torch.Tensor, f: torch.Tensor, e: torch.Tensor) -> tuple[torch.Tensor, State]:
        invariants, vectors, state = self.features(state, x, f, e)
        with torch.no_grad():
            direction = self.net(invariants, vectors, self.theta)
        length = self.scales.length
        dx = cap_step(self.config.step_scale * length * direction, self.config.max_step * length)
        state["last_dx"] = dx
        return x + dx, state
