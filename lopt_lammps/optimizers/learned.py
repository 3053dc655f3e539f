"""The learned optimizer as an update rule: features, network, capped step.

Per atom, the rule keeps momenta of the force at three decay rates and a second-moment
estimate of its magnitude (Adam-style bias corrected). Each step it builds

* rotation-invariant features: magnitudes of force and momenta, their alignments, the
  RMS force, smooth coordination numbers at several radii (radial descriptors of the
  neighbourhood), the fraction of the budget used, the energy per atom, the gap to the replica's best energy so far and how long
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

#: features and network run in single precision: ample for a step proposal, twice as fast
FEATURE_DTYPE = torch.float32


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


def coordination_numbers(x: torch.Tensor, scales: Scales, radii: torch.Tensor) -> torch.Tensor:
    """Smooth coordination numbers (B, N, len(radii)): radial descriptors of each atom.

    CN_k(i) = sum_j 1 / (1 + (r_ij / (R_k L))^12) / 12, with L the nearest-neighbour
    distance: about the number of neighbours within R_k L, divided by 12. Computed
    from squared distances only (no square roots or exponentials).
    """
    if scales.cell is None:
        sq = (x * x).sum(-1)
        d2 = (sq[:, :, None] + sq[:, None, :] - 2 * x @ x.transpose(1, 2)).clamp_min(0)
    else:
        d = x[:, :, None, :] - x[:, None, :, :]
        d = d - scales.cell * torch.round(d / scales.cell)
        d2 = (d * d).sum(-1)
    d2 = d2 / scales.length**2
    d2.diagonal(dim1=1, dim2=2).fill_(1e6)  # no self term
    out = []
    for radius in radii.tolist():
        t = d2 / radius**2
        t3 = t * t * t
        out.append((1.0 / (1.0 + t3 * t3)).sum(-1))
    return torch.stack(out, dim=-1) / 12.0


def counter_normal(seeds: np.ndarray, steps: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Standard normal numbers (B, *shape) that depend only on each replica's seed and step.

    A counter-based generator (splitmix64 hashing of seed, step and element index, then
    Box-Muller), so a replica's noise never depends on which other replicas share its batch.
    """
    count = int(np.prod(shape))
    index = np.arange(2 * count, dtype=np.uint64)
    step_key = np.asarray(steps).astype(np.uint64) * np.uint64(0xD1B54A32D192ED03)
    key = (seeds.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) ^ step_key
    z = key[:, None] + index[None, :] * np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    u = ((z >> np.uint64(11)).astype(np.float64) + 0.5) / float(1 << 53)
    u1, u2 = u[:, :count], u[:, count:]
    normal = np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
    return normal.reshape(len(seeds), *shape)


class LearnedOptimizer:
    """Update rule driven by a :class:`LearnedOptimizerNet`.

    ``budget`` is the number of evaluations the run will get (for the progress feature);
    ``theta`` optionally gives each replica its own parameters (B, P); ``seeds`` (one per
    replica) fix each replica's noise: it depends only on the seed and the replica's own
    step count (``calls`` in the state, which survives restarts), never on other replicas.
    """

    name = "learned"
    #: state entries that a restart keeps (the noise counter: a restart never replays noise)
    persistent = ("calls",)

    def __init__(self, net: LearnedOptimizerNet, scales: Scales, budget: int, seeds: list[int], theta: torch.Tensor | None = None):
        self.net = net
        self.config = net.config
        self.scales = scales
        self.budget = max(1, int(budget))
        self.theta = theta
        self.seeds = np.asarray(seeds, dtype=np.int64)
        self._radii = torch.tensor(self.config.coordination_radii, dtype=FEATURE_DTYPE)
        self._decays = torch.tensor(self.config.momentum_decays, dtype=FEATURE_DTYPE).view(1, 3, 1, 1)

    def init(self, x: np.ndarray, f: np.ndarray, e: np.ndarray) -> State:
        b, n, _ = x.shape
        return {
            "m": torch.zeros((b, 3, n, 3), dtype=FEATURE_DTYPE),
            "v": torch.zeros((b, n), dtype=FEATURE_DTYPE),
            "t": torch.zeros(b, dtype=FEATURE_DTYPE),
            "best": torch.from_numpy(np.array(e, dtype=np.float64)),
            "since_best": torch.zeros(b, dtype=FEATURE_DTYPE),
            "calls": np.zeros(b, dtype=np.int64),
        }

    def features(self, state: State, x: torch.Tensor, f: torch.Tensor, e: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, State]:
        """Invariant features (B, N, F), vectors (B, N, 3, 5) and the updated state.

        Written with few, large tensor operations: this runs at every step of every replica.
        Every reduction runs within one replica (no matrix product folds replicas together),
        so a replica's features are bit for bit the same in any batch.
        """
        cfg, sc = self.config, self.scales
        b, n, _ = x.shape
        ft = (f * (sc.length / sc.energy)).to(FEATURE_DTYPE)
        f2 = (ft * ft).sum(-1)  # (B, N)
        t = state["t"] + 1
        m = self._decays * state["m"] + (1 - self._decays) * ft[:, None]
        v = cfg.second_moment_decay * state["v"] + (1 - cfg.second_moment_decay) * f2
        m_hat = m / (1 - self._decays ** t.view(-1, 1, 1, 1))
        v_hat = v / (1 - cfg.second_moment_decay ** t.view(-1, 1))
        rms = (v_hat + 1e-12).sqrt()
        m_norm = (m_hat * m_hat).sum(-1).sqrt()  # (B, 3, N)
        f_norm = f2.sqrt()
        cos = (m_hat * ft[:, None]).sum(-1) / (m_norm * f_norm[:, None] + 1e-12)
        best = torch.minimum(state["best"], e)
        since_best = torch.where(e < state["best"], torch.zeros_like(t), state["since_best"] + 1)
        per_replica = torch.stack(
            [
                (t - 1) / self.budget,
                (e / (sc.n_atoms * sc.energy)).clamp(-2.0, 2.0).to(FEATURE_DTYPE),
                torch.log1p(100.0 * (e - best).clamp_min(0) / (sc.n_atoms * sc.energy)).to(FEATURE_DTYPE),
                torch.log1p(since_best) / math.log1p(self.budget),
            ],
            dim=-1,
        )
        magnitudes = torch.cat([f_norm[:, None], m_norm, rms[:, None]], dim=1).transpose(1, 2)  # (B, N, 5)
        invariants = torch.cat(
            [
                torch.log1p(magnitudes),
                cos.transpose(1, 2),
                coordination_numbers(x.to(FEATURE_DTYPE), sc, self._radii),
                per_replica[:, None, :].expand(b, n, 4),
            ],
            dim=-1,
        )
        calls = state["calls"] + 1
        noise = torch.from_numpy(counter_normal(self.seeds, calls, (n, 3)).astype(np.float32))
        scaled = torch.cat([ft[:, None], m_hat], dim=1) / rms[:, None, :, None]  # (B, 4, N, 3)
        vectors = torch.cat([scaled.permute(0, 2, 3, 1), noise[..., None]], dim=-1)
        new_state = {"m": m, "v": v, "t": t, "best": best, "since_best": since_best, "calls": calls}
        return invariants, vectors, new_state

    def step(self, state: State, x: np.ndarray, f: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, State]:
        invariants, vectors, state = self.features(state, torch.from_numpy(x), torch.from_numpy(f), torch.from_numpy(e))
        with torch.no_grad():
            direction = self.net(invariants, vectors, self.theta).double().numpy()
        length = self.scales.length
        dx = cap_step(self.config.step_scale * length * direction, self.config.max_step * length)
        return x + dx, state
