"""The interface every potential specification implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Sequence

from ..errors import PotentialError


class Potential(ABC):
    """A declarative potential: which elements it knows and the LAMMPS commands for it.

    LAMMPS atom type ``i + 1`` is element ``elements[i]`` of the system being built.
    """

    #: short identifier used in configuration files and in the database
    name: str
    #: LAMMPS ``units`` style
    units: str
    #: element symbols this potential has parameters for
    elements: tuple[str, ...]

    def check_elements(self, elements: Sequence[str]) -> None:
        """Raise :class:`PotentialError` unless every element has parameters."""
        missing = [e for e in elements if e not in self.elements]
        if missing:
            raise PotentialError(
                f"potential {self.name!r} has no parameters for element(s) "
                f"{', '.join(missing)}; it covers {', '.join(self.elements)}. "
                "Choose another potential or system."
            )

    @abstractmethod
    def cutoff(self, elements: Sequence[str]) -> float:
        """Largest interaction range among the given elements (length units)."""

    @abstractmethod
    def lammps_commands(self, elements: Sequence[str]) -> list[str]:
        """``mass``, ``pair_style`` and ``pair_coeff`` commands for these elements."""

    @abstractmethod
    def identity(self) -> str:
        """Stable identifier of the parameters (name plus a content hash)."""
