"""Deciding whether two minima are the same structure.

Two structures are the same when their energies agree within ``energy_tolerance`` and
their fingerprints agree: the sorted interatomic distances of every element pair
(minimum image for periodic cells), which do not change under permutations of
like atoms, rotations, reflections and translations. Homotops of an alloy (the same
geometry with Ag and Cu arranged differently) have different fingerprints.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .systems import System


def fingerprint(system: System, positions: np.ndarray) -> np.ndarray:
    """Sorted distances per element pair, concatenated, in nearest-neighbour units."""
    x = np.asarray(positions, dtype=float)
    d = x[:, None, :] - x[None, :, :]
    if system.periodic:
        cell = system.cell_length()
        d -= cell * np.round(d / cell)
    r = np.linalg.norm(d, axis=-1) / system.nearest_neighbour()
    types = np.asarray(system.types)
    parts = []
    for a in range(1, len(system.elements) + 1):
        for b in range(a, len(system.elements) + 1):
            rows, cols = np.nonzero((types[:, None] == a) & (types[None, :] == b))
            keep = rows < cols if a == b else np.ones_like(rows, dtype=bool)
            parts.append(np.sort(r[rows[keep], cols[keep]]))
    return np.concatenate(parts)


@dataclass(frozen=True)
class StructureComparator:
    """Same-structure test with an energy and a fingerprint tolerance.

    ``fingerprint_tolerance`` is the largest RMS difference of sorted distances, in
    nearest-neighbour units.
    """

    system: System
    energy_tolerance: float = 1e-3
    fingerprint_tolerance: float = 1e-2

    def same(self, energy_a: float, fp_a: np.ndarray, energy_b: float, fp_b: np.ndarray) -> bool:
        if abs(energy_a - energy_b) > self.energy_tolerance:
            return False
        return float(np.sqrt(np.mean((fp_a - fp_b) ** 2))) <= self.fingerprint_tolerance

    def groups(self, energies: np.ndarray, structures: list[np.ndarray], max_groups: int | None = None) -> list[list[int]]:
        """Indices grouped by structure, groups ordered by energy, lowest member first.

        With ``max_groups``, only the lowest ``max_groups`` distinct structures are kept.
        """
        groups: list[list[int]] = []
        fps: dict[int, np.ndarray] = {}
        for i in sorted(range(len(structures)), key=lambda k: (float(energies[k]), k)):
            if max_groups is not None and len(groups) >= max_groups:
                if energies[i] > energies[groups[-1][0]] + self.energy_tolerance:
                    break
            fps[i] = fingerprint(self.system, structures[i])
            for group in groups:
                j = group[0]
                if self.same(energies[i], fps[i], energies[j], fps[j]):
                    group.append(i)
                    break
            else:
                if max_groups is None or len(groups) < max_groups:
                    groups.append([i])
        return groups
