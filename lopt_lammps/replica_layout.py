"""Where B replicas of a system live inside one LAMMPS box, so that no replica's
arithmetic depends on the others.

A replica's energies and forces must come out bit for bit the same whatever replicas
share the box (a seed's run may not depend on the seeds batched beside it). Two things
would otherwise leak: the round-off of adding a slot offset to the coordinates, and the
order in which LAMMPS sums a pair's contributions, which follows the neighbour bins and
the time of the last neighbour-list rebuild. So:

* coordinates are kept on a grid of ``QUANTUM`` (2^-36 length units); offsets are
  multiples of a power of two, so adding and removing them is exact;
* free clusters: each replica sits at the centre of its own neighbour bin, a cube of edge
  ``pitch`` (a power of two of at least ``2 * slot_radius``), on every other bin of a
  cubic grid, so neighbouring bins are empty. A replica's neighbour list is then its own
  atoms in index order, whenever it is rebuilt;
* periodic cells share one box (replicas overlap and never interact); their neighbour
  lists are rebuilt at every step, so the rebuild time never depends on other replicas.

Replicas never interact in any case: the engine excludes pairs of atoms from different
replicas (molecule IDs) from the neighbour lists.
"""

from __future__ import annotations

import math

import numpy as np

from .errors import ReplicaEscapeError
from .structures import squared_distances
from .systems import System

#: coordinates handed to LAMMPS are multiples of this (exactly representable) length
QUANTUM = 2.0**-36
#: a free cluster that spreads beyond this fraction of its slot radius counts as dissociated
CONTAINMENT = 0.8
#: a cluster whose centre drifts farther than this fraction of the slot radius is recentred
_DRIFT = 0.25


class ReplicaLayout:
    """Slot offsets, the LAMMPS box and neighbour settings, and containment of free clusters."""

    def __init__(self, system: System, n_replicas: int, cutoff: float, skin: float, slot_radius: float | None = None):
        self.system = system
        self.n_replicas = n_replicas
        self.skin = skin
        radius = system.cluster_radius()
        #: farthest an atom of a free cluster may be from the cluster centre
        self.slot_radius = slot_radius or max(2.0 * radius, radius + cutoff)
        #: edge of a free cluster's neighbour bin: a power of two that holds the slot even
        #: when the cluster centre has drifted by the most :meth:`contain` lets it
        self.pitch = 2.0 ** math.ceil(math.log2(max(2 * (1 + _DRIFT) * self.slot_radius, cutoff + skin)))
        self.offsets = np.zeros((n_replicas, 1, 3))
        self.side = 1
        if not system.periodic:
            self.side = math.ceil(n_replicas ** (1 / 3) - 1e-9)
            grid = np.array([(i, j, k) for i in range(self.side) for j in range(self.side) for k in range(self.side)])
            self.offsets = (grid[:n_replicas] * 2 * self.pitch)[:, None, :]

    def box_commands(self) -> list[str]:
        """``boundary`` and ``region`` commands of the simulation box."""
        if self.system.periodic:
            length = self.system.cell_length()
            return ["boundary p p p", f"region lopt_box block 0 {length!r} 0 {length!r} 0 {length!r}"]
        lo = -0.5 * self.pitch
        hi = lo + (2 * self.side - 1) * self.pitch
        bounds = " ".join([f"{lo!r} {hi!r}"] * 3)
        # 'm': shrink-wrapped but never smaller than this box, which holds every slot: the
        # box, and with it the bins, never change
        return ["boundary m m m", f"region lopt_box block {bounds}"]

    def neighbour_commands(self) -> list[str]:
        """``neighbor`` and ``neigh_modify`` settings that keep replicas independent."""
        exclude = "exclude molecule/inter all"
        if self.system.periodic:
            return [f"neighbor {self.skin!r} bin", f"neigh_modify every 1 delay 0 check no {exclude}"]
        return [f"neighbor {self.skin!r} bin", f"neigh_modify every 1 delay 0 check yes binsize {self.pitch!r} {exclude}"]

    @property
    def drift_radius(self) -> float:
        """A free cluster whose centre drifts farther than this from its slot centre is recentred."""
        return _DRIFT * self.slot_radius

    def escape_error(self, positions: np.ndarray, replicas: list[int]) -> ReplicaEscapeError:
        """The error for ``replicas`` of ``positions`` (B, N, 3) spread beyond the slot radius."""
        extent = spread(positions[replicas]).max()
        return ReplicaEscapeError(
            f"replica(s) {replicas} of {self.system.formula} spread to {extent:.2f} from "
            f"their centre, beyond the slot radius {self.slot_radius:.2f}: the cluster "
            "dissociated or exploded. Restart those replicas from new structures, lower the "
            "step size, or raise slot_radius.",
            replicas,
        )


def spread(positions: np.ndarray) -> np.ndarray:
    """Each cluster's largest distance from its centre (B,), for positions (B, N, 3)."""
    centred = positions - positions.mean(axis=1, keepdims=True)
    return np.sqrt(np.einsum("bni,bni->bn", centred, centred).max(axis=1))


def dissociation_detector(system: System, slot_radius: float):
    """``detect(x) -> (B,) bool``: an atom with no neighbour within two nearest-neighbour
    distances, or a cluster spread over 80% of its slot. ``None`` for periodic systems."""
    if system.periodic:
        return None
    limit = 2.0 * system.nearest_neighbour()

    def detect(x: np.ndarray) -> np.ndarray:
        isolated = squared_distances(x).min(axis=2).max(axis=1) > limit**2
        return isolated | (spread(x) > CONTAINMENT * slot_radius)

    return detect
