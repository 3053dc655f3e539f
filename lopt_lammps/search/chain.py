"""A search chain: one seed's walk over local minima, driven by a hop policy.

The chain is told each relaxed minimum (``relaxed``) or that a trial fell apart
(``lost``) and answers with the next structure to relax; it keeps the minima it saw and
the trace of its best energy. How relaxations run (LAMMPS ``minimize`` one chain at a
time, or an update rule for all chains at once inside one LAMMPS run) is the executor's
business (:mod:`.executors`); the chain's decisions depend only on its seed and what it
was told, never on other chains. Each time a minimum is the lowest the chain has seen, it
notes the evaluation, the energy, and what produced the structure relaxed into it: a move
kind and the energy of the minimum it moved from, or ``start`` and None: which moves find
the low minima, and from where.
"""

from __future__ import annotations

import numpy as np

from ..systems import System
from .common import StartGenerator, distinct_minima
from .policies import HopPolicy
from .result import SeedRun


class Chain:
    """The walk of ``seed`` under ``policy``, starting from ``first`` (default: random)."""

    def __init__(self, system: System, seed: int, policy: HopPolicy, first: np.ndarray | None = None):
        self.system = system
        self.seed = seed
        self.policy = policy
        self.starts = StartGenerator(system, seed, first)
        self.rng = np.random.default_rng([seed, 3])
        self.found: list[tuple[float, np.ndarray, int]] = []
        self.trace_evaluations: list[int] = []
        self.trace_energies: list[float] = []
        self.current: tuple[np.ndarray, float] | None = None
        self.segment_best = np.inf
        self.stagnant = 0
        self.counts = {"hops": 0, "accepted": 0, "restarts": 0, "lost": 0}
        #: (evaluation, energy, move kind, energy moved from) of each new lowest minimum
        self.improvements: list[tuple[int, float, str, float | None]] = []
        self.origin: tuple[str, float | None] = ("start", None)  # what produced the structure being relaxed

    def start(self) -> np.ndarray:
        """A new starting structure (the given first one, then random ones)."""
        self.current, self.origin = None, ("start", None)
        return self.starts()

    def relaxed(self, x: np.ndarray, energy: float, evaluation: int) -> np.ndarray:
        """Record the minimum reached at ``evaluation``; return the next structure to relax."""
        if not self.improvements or energy < self.improvements[-1][1] - 1e-9:
            self.improvements.append((int(evaluation), float(energy), *self.origin))
        self.found.append((float(energy), x.copy(), int(evaluation)))
        if not self.trace_energies or energy < self.trace_energies[-1]:
            self.trace_evaluations.append(int(evaluation))
            self.trace_energies.append(float(energy))
        if self.current is None:
            self.current = (x.copy(), float(energy))
        else:
            self.counts["hops"] += 1
            if self.policy.accept(self.current[1], energy, self.rng):
                self.current = (x.copy(), float(energy))
                self.counts["accepted"] += 1
        if energy < self.segment_best - 1e-9:
            self.segment_best, self.stagnant = float(energy), 0
        else:
            self.stagnant += 1
        return self._next()

    def lost(self) -> np.ndarray:
        """A trial dissociated (rejected); return the next structure to relax."""
        self.counts["lost"] += 1
        if self.current is None:
            return self.start()
        self.counts["hops"] += 1
        self.stagnant += 1
        return self._next()

    def _next(self) -> np.ndarray:
        if self.policy.restart(self.stagnant):
            self.counts["restarts"] += 1
            self.segment_best, self.stagnant = np.inf, 0
            return self.start()
        trial, kind = self.policy.propose(self.current[0], self.rng)
        self.counts[f"moves_{kind}"] = self.counts.get(f"moves_{kind}", 0) + 1
        self.origin = (kind, self.current[1])
        return trial

    def seed_run(self, evaluations: int, notes: dict | None = None) -> SeedRun:
        """The chain's result after ``evaluations``; ``notes`` adds to its counters and improvements."""
        improvements = [list(i) for i in self.improvements if i[0] <= evaluations]
        return SeedRun(self.seed, int(evaluations), list(self.trace_evaluations), list(self.trace_energies),
                       distinct_minima(self.system, self.seed, self.found),
                       {**self.counts, "improvements": improvements, **(notes or {})})
