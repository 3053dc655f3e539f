"""Lennard-Jones in reduced units (``pair_style lj/cut``, no shift)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from .base import Potential

#: the pseudo-element name of Lennard-Jones particles (systems such as ``LJ38``)
LJ_ELEMENT = "LJ"


@dataclass(frozen=True)
class LennardJones(Potential):
    """12-6 Lennard-Jones, E = sum 4 eps ((sigma/r)^12 - (sigma/r)^6), unshifted.

    The default cutoff of 10 sigma is larger than any compact cluster of a few hundred
    atoms, so cluster energies equal those of the uncut potential; a pair beyond the
    cutoff would contribute less than 4e-6 eps.
    """

    epsilon: float = 1.0
    sigma: float = 1.0
    cutoff_sigma: float = 10.0
    name: str = "lj"
    units: str = "lj"
    elements: tuple[str, ...] = (LJ_ELEMENT,)

    def cutoff(self, elements: Sequence[str]) -> float:
        return self.cutoff_sigma * self.sigma

    def lammps_commands(self, elements: Sequence[str]) -> list[str]:
        self.check_elements(elements)
        return [
            "mass * 1.0",
            f"pair_style lj/cut {self.cutoff(elements)!r}",
            f"pair_coeff * * {self.epsilon!r} {self.sigma!r}",
            "pair_modify shift no",
        ]

    def identity(self) -> str:
        return f"lj/cut:eps={self.epsilon:g}:sigma={self.sigma:g}:rc={self.cutoff_sigma:g}"
