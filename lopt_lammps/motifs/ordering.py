"""Chemical ordering: elements onto framework sites, then exchanges of unlike atoms that lower the energy."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..engine import BatchedEngine
from ..search.common import Relaxer
from ..systems import System

#: random displacements tried after the first relaxation
SHAKES = 3
#: exchange passes at most (each accepts the best exchange of the pass)
MAX_PASSES = 12
#: the exchanges of a pass are first relaxed together for this many evaluations
SCREEN_EVALUATIONS = 30
#: the lowest this many after that are relaxed fully
SHORTLIST = 8
#: an exchange must lower the energy by more than this to be accepted
MIN_GAIN = 1e-6


def positions_in_system_order(system: System, sites: np.ndarray, priority: np.ndarray, inner: str) -> np.ndarray:
    """Positions (N, 3) in ``system``'s atom order with the atoms of element ``inner`` on the
    first sites of ``priority`` and the other atoms on the rest, in order."""
    n_inner = dict(system.counts).get(inner, 0)
    queues = {inner: list(priority[:n_inner]), "rest": list(priority[n_inner:])}
    order = [queues[inner if element == inner else "rest"].pop(0) for element in system.symbols]
    return sites[order]


@dataclass
class Polisher:
    """Relaxes structures of one system and improves their chemical ordering by exchanges.

    A pass takes every exchange of two unlike atoms of the current minimum, relaxes them all
    together (replicas of one LAMMPS instance) for :data:`SCREEN_EVALUATIONS` evaluations,
    relaxes the :data:`SHORTLIST` lowest fully and moves to the lowest if it is lower.
    """

    system: System
    relaxer: Relaxer
    swaps: np.ndarray
    engine: BatchedEngine | None

    @classmethod
    def for_system(cls, system: System) -> "Polisher":
        types = np.asarray(system.types)
        swaps = np.array([(i, j) for i in range(len(types)) for j in range(i + 1, len(types)) if types[i] != types[j]])
        engine = BatchedEngine(system, len(swaps)) if len(swaps) else None
        return cls(system, Relaxer.for_system(system), swaps.reshape(-1, 2), engine)

    def relax(self, x: np.ndarray, shake: float, rng: np.random.Generator) -> tuple[np.ndarray, float]:
        """The lowest of ``x`` relaxed and :data:`SHAKES` relaxations from it relaxed and
        displaced at random by about ``shake`` (length units), so that a symmetric start
        does not stop at a symmetric saddle."""
        x, energy, _ = self.relaxer(x)
        start = x
        for _ in range(SHAKES):
            y, e, _ = self.relaxer(start + rng.normal(0.0, shake, start.shape))
            if e < energy:
                x, energy = y, e
        return x, energy

    def polish(self, x: np.ndarray, energy: float) -> tuple[np.ndarray, float]:
        """Minimum ``x`` of ``energy`` after passes of exchanges until one finds nothing lower
        (at most :data:`MAX_PASSES`); its positions and energy."""
        made = 0
        while self.engine is not None and made < MAX_PASSES:
            trials = np.repeat(x[None], len(self.swaps), axis=0)
            rows = np.arange(len(self.swaps))
            trials[rows, self.swaps[:, 0]], trials[rows, self.swaps[:, 1]] = x[self.swaps[:, 1]], x[self.swaps[:, 0]]
            self.engine.set_positions(trials, check=False)
            _, screened, _ = self.engine.minimize("cg", 0.0, SCREEN_EVALUATIONS)
            screened_x = self.engine.positions()
            best = (energy, x)
            for k in np.argsort(screened)[:SHORTLIST]:
                y, e, _ = self.relaxer(screened_x[k])
                if e < best[0] - MIN_GAIN:
                    best = (e, y)
            if best[1] is x:
                break
            energy, x = best
            made += 1
        return x, energy

    def close(self) -> None:
        self.relaxer.close()
        if self.engine is not None:
            self.engine.close()
