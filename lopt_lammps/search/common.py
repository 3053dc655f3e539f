"""Pieces shared by the search drivers: force unit, starts, LAMMPS relaxation, distinct minima."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..comparison import StructureComparator
from ..engine import BatchedEngine
from ..lammps_runtime import Accelerator
from ..structures import check_positions, random_positions
from ..systems import System
from .result import Minimum

#: relaxed minima have a force vector 2-norm below this many force units (E0 / L0)
MINIMA_FORCE_TOLERANCE = 1e-3


def force_unit(system: System) -> float:
    """Cohesive energy over nearest-neighbour distance."""
    return system.energy_scale() / system.nearest_neighbour()


class StartGenerator:
    """Starting structures of one seed: ``first`` if given, then random start k from
    stream (seed, 1, k)."""

    def __init__(self, system: System, seed: int, first: np.ndarray | None = None):
        self.system = system
        self.seed = seed
        self.first = None if first is None else check_positions(system, first)
        self.count = 0

    def __call__(self) -> np.ndarray:
        if self.count == 0 and self.first is not None:
            x = np.asarray(self.first, dtype=float)
        else:
            x = random_positions(self.system, np.random.default_rng([self.seed, 1, self.count]))
        self.count += 1
        return x


@dataclass
class Relaxer:
    """Tight local relaxation of single structures with LAMMPS ``minimize`` (one replica)."""

    engine: BatchedEngine
    style: str = "cg"
    tolerance: float = MINIMA_FORCE_TOLERANCE
    max_evaluations: int = 20000

    @classmethod
    def for_system(cls, system: System, accelerator: Accelerator | str | None = None, style: str = "cg",
                   tolerance: float = MINIMA_FORCE_TOLERANCE) -> "Relaxer":
        """A relaxer to a force 2-norm below ``tolerance`` force units (E0 / L0)."""
        return cls(BatchedEngine(system, 1, accelerator), style, tolerance * force_unit(system))

    def __call__(self, x: np.ndarray, max_evaluations: int | None = None) -> tuple[np.ndarray, float, int]:
        """Relaxed positions, energy and the number of evaluations used."""
        self.engine.set_positions(x[None], check=False)
        n, e, _ = self.engine.minimize(self.style, self.tolerance, max_evaluations or self.max_evaluations)
        return self.engine.positions()[0], float(e[0]), n

    def close(self) -> None:
        self.engine.close()


#: distinct minima kept per run (the lowest ones)
MAX_MINIMA = 50


def distinct_minima(system: System, seed: int, found: list[tuple[float, np.ndarray, int]], keep: int = MAX_MINIMA) -> list[Minimum]:
    """Group (energy, positions, evaluation) triples into the ``keep`` lowest distinct minima.

    Each minimum keeps its lowest-energy structure and the earliest evaluation at which
    any of its copies was found.
    """
    if not found:
        return []
    comparator = StructureComparator(system)
    energies = np.array([e for e, _, _ in found])
    groups = comparator.groups(energies, [x for _, x, _ in found], max_groups=keep)
    return [
        Minimum(float(energies[g[0]]), found[g[0]][1], seed, min(found[i][2] for i in g))
        for g in groups
    ]
