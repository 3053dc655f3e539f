"""Where B replicas of a system live inside one LAMMPS box.

Free clusters get one slot each on a cubic grid; slots are ``2 * slot_radius + cutoff +
skin`` apart, so clusters that stay within ``slot_radius`` of their centre are farther
apart than the interaction range. Periodic cells all share the same box.
"""

from __future__ import annotations

import math

import numpy as np

from .errors import ReplicaEscapeError
from .systems import System


class ReplicaLayout:
    """Slot offsets, the LAMMPS box, and the containment of free clusters."""

    def __init__(self, system: System, n_replicas: int, cutoff: float, skin: float, slot_radius: float | None = None):
        self.system = system
        self.n_replicas = n_replicas
        self.skin = skin
        radius = system.cluster_radius()
        #: farthest an atom of a free cluster may be from the cluster centre
        self.slot_radius = slot_radius or max(2.0 * radius, radius + cutoff)
        self.spacing = 2 * self.slot_radius + cutoff + skin
        self.offsets = np.zeros((n_replicas, 1, 3))
        if not system.periodic:
            side = math.ceil(n_replicas ** (1 / 3) - 1e-9)
            grid = np.array([(i, j, k) for i in range(side) for j in range(side) for k in range(side)])
            self.offsets = (grid[:n_replicas] * self.spacing)[:, None, :]

    def box_commands(self) -> list[str]:
        """``boundary`` and ``region`` commands of the simulation box."""
        if self.system.periodic:
            length = self.system.cell_length()
            return ["boundary p p p", f"region lopt_box block 0 {length!r} 0 {length!r} 0 {length!r}"]
        lo = -self.slot_radius - self.skin
        hi = self.offsets.max(axis=(0, 1)) + self.slot_radius + self.skin
        bounds = " ".join(f"{lo!r} {float(h)!r}" for h in hi)
        # 'm': shrink-wrapped but never smaller than the slots, so binning stays cheap
        return ["boundary m m m", f"region lopt_box block {bounds}"]

    def contain(self, positions: np.ndarray) -> np.ndarray:
        """Recentre clusters whose centre drifted; raise if one spread beyond its slot."""
        if self.system.periodic:
            return positions
        centres = positions.sum(axis=1, keepdims=True) * (1.0 / positions.shape[1])
        relative = positions - centres
        extent = np.sqrt(np.einsum("bni,bni->bn", relative, relative).max(axis=1))
        escaped = np.flatnonzero(extent > self.slot_radius).tolist()
        if escaped:
            raise ReplicaEscapeError(
                f"replica(s) {escaped} of {self.system.formula} spread to {extent.max():.2f} from "
                f"their centre, beyond the slot radius {self.slot_radius:.2f}: the cluster "
                "dissociated or exploded. Restart those replicas from new structures, lower the "
                "step size, or raise slot_radius.",
                escaped,
            )
        drift = np.einsum("bxi,bxi->b", centres, centres)
        if drift.max() <= (0.25 * self.slot_radius) ** 2:
            return positions
        return np.where((drift > (0.25 * self.slot_radius) ** 2)[:, None, None], relative, positions)
