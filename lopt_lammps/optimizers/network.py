"""The learned optimizer's network, shared by every atom, and its checkpoints.

Two variants read the same per-atom features (see :mod:`.learned`):

* ``equivariant``: rotation-invariant features go through an MLP that outputs one
  coefficient per vector (force, momenta, a noise direction); the step is their
  weighted sum, so it rotates with the structure and ignores atom order and translation;
* ``per_coordinate``: the MLP sees, for each Cartesian coordinate separately, the
  invariant features plus that coordinate of every vector, and outputs the step along it
  (the classic learned-optimizer layout, not rotation equivariant).

Both start from a linear skip term plus an MLP (SiLU activations) whose last layer is
zero, so an untrained network takes momentum steps like a well-tuned heavy-ball/Adam
optimizer (the skip coefficients were chosen on training-type tasks, see docs).

All weights live in one flat vector ``theta``, so evolution strategies can perturb it and
a batch of replicas can each use its own parameters (``theta`` of shape (B, P)). This
module holds the parameters, their layout and their checkpoints; the network is evaluated
compiled (:mod:`.network_kernel`, called by :class:`.LearnedOptimizer`).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..errors import CheckpointError, ConfigError
from ..paths import atomic_torch_save, torch_load
from ..typed import build

FORMAT = "lopt-lammps/learned-optimizer"
#: bump when the meaning of theta or of the features changes
VERSION = 1

#: vectors the step is built from, in this order
VECTORS = ("force", "momentum_fast", "momentum_mid", "momentum_slow", "noise")

#: skip coefficients (B, K) and the layers [(W (B, in, out), b (B, out)), ...] of parameters (B, P)
Layers = tuple[torch.Tensor, list[tuple[torch.Tensor, torch.Tensor]]]


@dataclass(frozen=True)
class NetworkConfig:
    """Architecture and feature settings (lengths in nearest-neighbour units)."""

    variant: str = "equivariant"
    hidden: tuple[int, ...] = (32, 32)
    momentum_decays: tuple[float, float, float] = (0.5, 0.9, 0.99)
    second_moment_decay: float = 0.999
    coordination_radii: tuple[float, ...] = (1.15, 1.45, 1.8)
    step_scale: float = 0.02
    max_step: float = 0.3
    initial_skip: tuple[float, ...] = field(default=(1.0, 0.0, 3.0, 0.0, 0.0))

    def __post_init__(self) -> None:
        checks = [
            (self.variant in ("equivariant", "per_coordinate"), f"variant {self.variant!r} unknown: equivariant or per_coordinate"),
            (all(n >= 1 for n in self.hidden), "hidden layer sizes must be at least 1"),
            (all(0 < d < 1 for d in (*self.momentum_decays, self.second_moment_decay)), "decays must lie between 0 and 1"),
            (len(self.momentum_decays) == 3, "momentum_decays needs three decays (fast, mid, slow)"),
            (all(r > 0 for r in self.coordination_radii), "coordination_radii must be above zero"),
            (self.step_scale > 0 and self.max_step > 0, "step_scale and max_step must be above zero"),
            (len(self.initial_skip) == len(VECTORS), f"initial_skip needs {len(VECTORS)} coefficients ({', '.join(VECTORS)})"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(f"network: {message}")

    @property
    def n_invariants(self) -> int:
        # |f|, |m_k| (3), cos(f, m_k) (3), rms force, coordination numbers, progress, energy, gap, staleness
        return 1 + 3 + 3 + 1 + len(self.coordination_radii) + 4

    @property
    def layer_sizes(self) -> list[int]:
        n_vec = len(VECTORS)
        if self.variant == "equivariant":
            return [self.n_invariants, *self.hidden, n_vec]
        return [self.n_invariants + n_vec, *self.hidden, 1]


class LearnedOptimizerNet(nn.Module):
    """Per-atom network; ``theta`` holds the skip coefficients, then each layer's W and b."""

    def __init__(self, config: NetworkConfig = NetworkConfig(), seed: int = 0):
        super().__init__()
        self.config = config
        self.metadata: dict[str, Any] = {}
        generator = torch.Generator().manual_seed(seed)
        parts = [torch.tensor(config.initial_skip, dtype=torch.float64)]
        sizes = config.layer_sizes
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            last = i == len(sizes) - 2
            scale = 0.0 if last else (1.0 / n_in) ** 0.5
            parts.append(torch.randn(n_in * n_out, generator=generator, dtype=torch.float64) * scale)
            parts.append(torch.zeros(n_out, dtype=torch.float64))
        self.theta = nn.Parameter(torch.cat(parts))

    @property
    def n_params(self) -> int:
        return self.theta.numel()

    def perturbation_scale(self, skip: float = 5.0) -> torch.Tensor:
        """Relative size of evolution-strategy perturbations per parameter.

        The skip coefficients are of order one and steer the whole step, the MLP weights
        are small: perturbing the former ``skip`` times more lets both move usefully.
        """
        scale = torch.ones(self.n_params, dtype=torch.float64)
        scale[: len(VECTORS)] = skip
        return scale

    def layers(self, theta: torch.Tensor) -> Layers:
        """Split (B, P) parameters into skip (B, K) and per-layer (B, in, out), (B, out)
        (views: writing to them writes to ``theta``). The compiled network
        (:mod:`.network_kernel`) reads ``theta`` in this layout."""
        n_vec = len(VECTORS)
        skip = theta[:, :n_vec]
        offset = n_vec
        layers = []
        sizes = self.config.layer_sizes
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            w = theta[:, offset : offset + n_in * n_out].reshape(-1, n_in, n_out)
            offset += n_in * n_out
            b = theta[:, offset : offset + n_out]
            offset += n_out
            layers.append((w, b))
        return skip, layers

    # -- checkpoints --------------------------------------------------------------------

    def fingerprint(self) -> str:
        """Short hash of configuration and weights (identifies the optimizer in records)."""
        digest = hashlib.sha256(repr(asdict(self.config)).encode())
        digest.update(self.theta.detach().numpy().tobytes())
        return digest.hexdigest()[:16]

    def save(self, path: str | Path, metadata: dict[str, Any] | None = None) -> None:
        """Write weights, configuration, format version and ``metadata`` atomically."""
        payload = {
            "format": FORMAT,
            "version": VERSION,
            "config": asdict(self.config),
            "theta": self.theta.detach().clone(),
            "metadata": metadata or {},
        }
        atomic_torch_save(payload, Path(path))

    @classmethod
    def load(cls, path: str | Path) -> "LearnedOptimizerNet":
        """Read a checkpoint written by :meth:`save`, refusing incompatible or corrupt files."""
        payload = read_checkpoint(path)
        raw, theta, metadata = payload.get("config"), payload.get("theta"), payload.get("metadata", {})
        if not isinstance(raw, dict) or not isinstance(metadata, dict):
            raise CheckpointError(f"{path} is damaged: it lacks the network configuration or its metadata")
        try:
            net = cls(build(NetworkConfig, raw, f"{path}: network configuration"))
        except ConfigError as err:
            raise CheckpointError(str(err)) from None
        if not isinstance(theta, torch.Tensor):
            raise CheckpointError(f"{path} is damaged: it holds no weights (theta)")
        if theta.shape != net.theta.shape:
            raise CheckpointError(f"{path}: weights do not match the configured network")
        if not torch.isfinite(theta).all():
            raise CheckpointError(f"{path}: the weights hold NaN or infinite values; retrain with `lopt-lammps train`")
        with torch.no_grad():
            net.theta.copy_(theta.to(torch.float64))
        net.metadata = metadata
        return net


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load and check the envelope of an optimizer checkpoint."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"optimizer checkpoint {path} not found")
    payload = torch_load(path, "learned-optimizer checkpoint", "re-download it or retrain with `lopt-lammps train`")
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a lopt-lammps learned-optimizer checkpoint")
    version = payload.get("version")
    if version != VERSION:
        raise CheckpointError(
            f"{path} has checkpoint version {version}, but this lopt-lammps reads version "
            f"{VERSION}; use the lopt-lammps release that wrote it, or retrain"
        )
    return payload
