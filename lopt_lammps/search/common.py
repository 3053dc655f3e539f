"""Pieces shared by the search drivers: starts, dissociation, relaxation, minima."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..comparison import StructureComparator
from ..engine import BatchedEngine
from ..lammps_runtime import Accelerator
from ..structures import random_positions
from ..systems import System
from .result import Minimum, SeedRun

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
        self.first = first
        self.count = 0

    def __call__(self) -> np.ndarray:
        if self.count == 0 and self.first is not None:
            x = np.asarray(self.first, dtype=float)
        else:
            x = random_positions(self.system, np.random.default_rng([self.seed, 1, self.count]))
        self.count += 1
        return x


def dissociation_detector(system: System, slot_radius: float):
    """``detect(x) -> (B,) bool``: an atom with no neighbour within two nearest-neighbour
    distances, or a cluster spread over 80% of its slot. ``None`` for periodic systems."""
    if system.periodic:
        return None
    limit = 2.0 * system.nearest_neighbour()

    def detect(x: np.ndarray) -> np.ndarray:
        sq = np.einsum("bni,bni->bn", x, x)
        d2 = sq[:, :, None] + sq[:, None, :] - 2 * x @ x.transpose(0, 2, 1)
        n = x.shape[1]
        d2[:, np.arange(n), np.arange(n)] = np.inf
        isolated = d2.min(axis=2).max(axis=1) > limit**2
        centred = x - x.mean(axis=1, keepdims=True)
        spread = np.sqrt(np.einsum("bni,bni->bn", centred, centred).max(axis=1)) > 0.8 * slot_radius
        return isolated | spread

    return detect


@dataclass
class Relaxer:
    """Tight local relaxation of single structures with LAMMPS ``minimize`` (one replica)."""

    engine: BatchedEngine
    style: str = "cg"
    tolerance: float = MINIMA_FORCE_TOLERANCE
    max_evaluations: int = 20000

    @classmethod
    def for_system(cls, system: System, accelerator: Accelerator | str | None = None, style: str = "cg") -> "Relaxer":
        return cls(BatchedEngine(system, 1, accelerator), style, MINIMA_FORCE_TOLERANCE * force_unit(system))

    def __call__(self, x: np.ndarray, max_evaluations: int | None = None) -> tuple[np.ndarray, float, int]:
        """Relaxed positions, energy and the number of evaluations used."""
        self.engine.set_positions(x[None], check=False)
        n, e, _ = self.engine.minimize(self.style, self.tolerance, max_evaluations or self.max_evaluations)
        return self.engine.positions()[0], float(e[0]), n

    def close(self) -> None:
        self.engine.close()


def perturb(system: System, x: np.ndarray, step: float, swap_probability: float, rng: np.random.Generator) -> tuple[np.ndarray, bool]:
    """A basin-hopping move and whether it was a swap: with ``swap_probability`` (alloys
    only) exchange an atom of one element with one of another, otherwise displace every
    atom uniformly within ``step`` nearest-neighbour distances per coordinate."""
    types = np.asarray(system.types)
    if len(system.elements) > 1 and rng.random() < swap_probability:
        a, b = rng.choice(np.unique(types), size=2, replace=False)
        i = rng.choice(np.flatnonzero(types == a))
        j = rng.choice(np.flatnonzero(types == b))
        moved = x.copy()
        moved[[i, j]] = moved[[j, i]]
        return moved, True
    length = step * system.nearest_neighbour()
    return x + rng.uniform(-length, length, size=x.shape), False


class MinimaLog:
    """The relaxed minima of one seed's run and the trace of its best energy."""

    def __init__(self) -> None:
        self.found: list[tuple[float, np.ndarray, int]] = []
        self.trace_evaluations: list[int] = []
        self.trace_energies: list[float] = []

    def add(self, energy: float, positions: np.ndarray, evaluation: int) -> None:
        self.found.append((energy, positions, evaluation))
        if not self.trace_energies or energy < self.trace_energies[-1]:
            self.trace_evaluations.append(evaluation)
            self.trace_energies.append(energy)

    def seed_run(self, system: System, seed: int, evaluations: int, notes: dict) -> SeedRun:
        return SeedRun(seed, evaluations, self.trace_evaluations, self.trace_energies,
                       distinct_minima(system, seed, self.found), notes)


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
