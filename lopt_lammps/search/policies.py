"""Hop policies: what a chain does between two local relaxations.

A search chain alternates a *local stage* (relax a structure to the nearest minimum) and a
*hop* decided by a policy with three pure decisions:

* ``propose(x, rng)``: a trial structure from the current minimum ``x``, and the kind of move;
* ``accept(current, trial, rng)``: whether the chain moves to the trial's minimum;
* ``restart(stagnant)``: whether to start over from a random structure after
  ``stagnant`` hops without improving the best minimum since the last (re)start.

:class:`BasinHopping` is the hand-written policy of basin hopping (Wales and Doye, J. Phys.
Chem. A 101, 5111 (1997)) with the move set used for alloy clusters (swaps of unlike atoms,
single-atom surface moves); :class:`RandomRestarts` never hops.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ..errors import ConfigError
from ..systems import System
from .moves import displace_all, move_one_atom, swap_unlike

#: local minimisers of basin hopping: L-BFGS runs all chains at once inside one LAMMPS
#: run; cg and fire are LAMMPS ``minimize`` styles, one chain after the other
MINIMIZERS = ("lbfgs", "cg", "fire")


class HopPolicy(Protocol):
    def propose(self, x: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, str]: ...

    def accept(self, current: float, trial: float, rng: np.random.Generator) -> bool: ...

    def restart(self, stagnant: int) -> bool: ...


@dataclass(frozen=True)
class BasinHoppingSettings:
    """Knobs of basin hopping; lengths in nearest-neighbour distances, energies in the
    system's cohesive energy per atom E0 (forces in E0 per nearest-neighbour distance).

    ``temperature``: Metropolis kT / E0 (``kt``, in the potential's energy unit, overrides
    it; 0 accepts only improvements); ``step``: largest displacement per coordinate of the
    all-atom move; ``swap_probability``: exchange an atom of one element with one of
    another (alloys only); ``atom_move_probability``: move one atom to the surface, the
    least coordinated one (``atom_move_target="surface"``) or a random one (``"random"``);
    ``patience``: restart from a random structure after that many hops without a new best
    (0: never); ``minimizer``: ``lbfgs``, ``cg`` or ``fire`` (see MINIMIZERS), relaxing to
    a force 2-norm below ``tolerance``.
    """

    temperature: float = 0.05
    kt: float | None = None
    step: float = 0.4
    swap_probability: float = 0.3
    atom_move_probability: float = 0.1
    atom_move_target: str = "surface"
    patience: int = 200
    minimizer: str = "lbfgs"
    tolerance: float = 1e-3

    def __post_init__(self) -> None:
        checks = [
            (self.temperature >= 0 and math.isfinite(self.temperature), "temperature must be a finite number >= 0"),
            (self.kt is None or (self.kt >= 0 and math.isfinite(self.kt)), "kt must be a finite number >= 0"),
            (self.step > 0 and math.isfinite(self.step), "step must be a positive number"),
            (0 <= self.swap_probability <= 1, "swap_probability must be between 0 and 1"),
            (0 <= self.atom_move_probability <= 1, "atom_move_probability must be between 0 and 1"),
            (self.swap_probability + self.atom_move_probability <= 1,
             "swap_probability + atom_move_probability must not exceed 1"),
            (self.atom_move_target in ("surface", "random"), "atom_move_target must be 'surface' or 'random'"),
            (self.patience >= 0, "patience must be >= 0 (0: never restart)"),
            (self.minimizer in MINIMIZERS, f"minimizer must be one of {', '.join(MINIMIZERS)}"),
            (self.tolerance > 0 and math.isfinite(self.tolerance), "tolerance must be a positive number"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(f"basin hopping: {message}")


class BasinHopping:
    """The basin-hopping policy of ``settings`` for ``system``."""

    def __init__(self, system: System, settings: BasinHoppingSettings = BasinHoppingSettings()):
        self.system = system
        self.settings = settings
        self.kt = settings.kt if settings.kt is not None else settings.temperature * system.energy_scale()
        self.types = np.asarray(system.types)
        self.alloy = len(system.elements) > 1

    def propose(self, x: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, str]:
        s = self.settings
        draw = rng.random()
        if self.alloy and draw < s.swap_probability:
            return swap_unlike(self.types, x, rng), "swap"
        if draw < s.swap_probability + s.atom_move_probability:
            return move_one_atom(self.system, x, rng, s.atom_move_target), "atom"
        return displace_all(x, s.step * self.system.nearest_neighbour(), rng), "displace"

    def accept(self, current: float, trial: float, rng: np.random.Generator) -> bool:
        if trial < current:
            return True
        return self.kt > 0 and rng.random() < math.exp(-(trial - current) / self.kt)

    def restart(self, stagnant: int) -> bool:
        return 0 < self.settings.patience <= stagnant


class RandomRestarts:
    """No hops: every relaxation starts from a new random structure."""

    def propose(self, x: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, str]:
        raise AssertionError("random restarts never propose a hop")

    def accept(self, current: float, trial: float, rng: np.random.Generator) -> bool:
        return trial < current

    def restart(self, stagnant: int) -> bool:
        return True
