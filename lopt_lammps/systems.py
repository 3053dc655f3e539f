"""Systems to optimise: elements and counts, potential, and boundary conditions."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Mapping

from ase.data import atomic_numbers

from .errors import ConfigError, PotentialError
from .potentials import LJ_ELEMENT, Potential, default_potential, get_potential

_FORMULA = re.compile(r"(LJ|[A-Z][a-z]?)(\d*)")

#: nearest-neighbour distance (length units of the potential) used to size structures
NEAREST_NEIGHBOUR = {LJ_ELEMENT: 2 ** (1 / 6), "Ag": 2.89, "Cu": 2.56, "Si": 2.3517}
#: volume per atom of the condensed phase (fcc for LJ and metals, diamond for Si)
_VOLUME_PER_ATOM = {e: d**3 / math.sqrt(2) for e, d in NEAREST_NEIGHBOUR.items()}
_VOLUME_PER_ATOM["Si"] = 5.431**3 / 8
#: sizes a system may have: one atom has no structure to search; beyond a few thousand atoms the
#: structure comparison and random starts (which grow with the square of the size) take minutes
MIN_ATOMS, MAX_ATOMS = 2, 2000
#: magnitude of the bulk cohesive energy per atom (energy units of the potential)
COHESIVE_ENERGY = {LJ_ELEMENT: 8.61, "Ag": 2.95, "Cu": 3.50, "Si": 4.3366}


def nearest_neighbour(element: str) -> float:
    """Typical nearest-neighbour distance of the element (2.5 length units if unknown)."""
    return NEAREST_NEIGHBOUR.get(element, 2.5)


def cohesive_energy(element: str) -> float:
    """Magnitude of the element's bulk cohesive energy per atom (3 energy units if unknown)."""
    return COHESIVE_ENERGY.get(element, 3.0)


def volume_per_atom(element: str) -> float:
    """Volume per atom of the element's condensed phase (fcc; diamond for Si)."""
    try:
        return _VOLUME_PER_ATOM[element]
    except KeyError:
        raise PotentialError(f"no reference density for element {element}") from None


def parse_formula(formula: str) -> list[tuple[str, int]]:
    """``"Ag30Cu8"`` -> ``[("Ag", 30), ("Cu", 8)]``; ``"LJ38"`` and ``"Si64"`` work too."""
    text = formula.strip()
    parts = _FORMULA.findall(text)
    if not text or "".join(e + n for e, n in parts) != text:
        raise ConfigError(
            f"cannot read the formula {formula!r}: write element symbols each followed by a "
            "count, e.g. Ag30Cu8, LJ38 or Si64"
        )
    counts: dict[str, int] = {}
    for element, number in parts:
        if element != LJ_ELEMENT and element not in atomic_numbers:
            raise ConfigError(f"{element!r} in {formula!r} is not an element symbol")
        counts[element] = counts.get(element, 0) + int(number or 1)
    if any(n <= 0 for n in counts.values()):
        raise ConfigError(f"every count in {formula!r} must be positive")
    if LJ_ELEMENT in counts and len(counts) > 1:
        raise ConfigError("Lennard-Jones particles (LJ) cannot be mixed with elements")
    return list(counts.items())


def default_boundary(formula: str) -> str:
    """Silicon is searched as a periodic cell (a bulk material), everything else as a free cluster."""
    return "periodic" if {e for e, _ in parse_formula(formula)} == {"Si"} else "cluster"


def composition_counts(fractions: Mapping[str, float], size: int) -> list[tuple[str, int]]:
    """Atom counts for a composition given as fractions that sum to one."""
    total = sum(fractions.values())
    if any(f < 0 for f in fractions.values()) or abs(total - 1.0) > 1e-6:
        raise ConfigError(
            f"composition fractions {dict(fractions)} must be non-negative and sum to 1 "
            f"(they sum to {total:g})"
        )
    counts = [(e, int(round(f * size))) for e, f in fractions.items()]
    if sum(n for _, n in counts) != size:
        raise ConfigError(
            f"composition {dict(fractions)} cannot be realised with {size} atoms; give counts instead"
        )
    return [(e, n) for e, n in counts if n > 0]


@dataclass(frozen=True)
class Scales:
    """Natural units of a system, the units update rules work in: nearest-neighbour
    distance, cohesive energy per atom, atom count and (periodic cells) the cell edge."""

    length: float
    energy: float
    n_atoms: int
    cell: float | None = None


@dataclass(frozen=True)
class System:
    """A cluster or periodic cell: element counts, potential and boundary.

    ``boundary`` is ``"cluster"`` (free, non-periodic) or ``"periodic"`` (cubic cell of
    ``density`` atoms per volume unit; defaults to the crystal density).
    Atoms are ordered element by element as in ``counts``.
    """

    counts: tuple[tuple[str, int], ...]
    potential: Potential = field(compare=False)
    boundary: str = "cluster"
    density: float | None = None

    def __post_init__(self) -> None:
        if self.boundary not in ("cluster", "periodic"):
            raise ConfigError(f"boundary {self.boundary!r} unknown: use 'cluster' or 'periodic'")
        if not MIN_ATOMS <= self.n_atoms <= MAX_ATOMS:
            raise ConfigError(
                f"{self.formula} has {self.n_atoms} atom{'s' if self.n_atoms > 1 else ''}; lopt-lammps works on "
                f"systems of {MIN_ATOMS} to {MAX_ATOMS} atoms (one atom has no structure to search; comparing and "
                "generating structures takes time growing with the square of the size)"
            )
        self.potential.check_elements(self.elements)
        if self.density is not None:
            self._check_density(self.density)

    def _check_density(self, density: float) -> None:
        """Refuse a density without meaning: not a finite positive number, for a cluster, or so low
        that atoms sit farther apart than the potential's range on average."""
        if not (math.isfinite(density) and density > 0):
            raise ConfigError(f"density {density} must be a finite number above zero")
        if not self.periodic:
            raise ConfigError(f"a density ({density:g}) applies only to periodic cells; {self.formula} is a free cluster")
        cutoff = self.potential.cutoff(self.elements)
        spacing = density ** (-1 / 3)
        if spacing > cutoff:
            raise ConfigError(
                f"density {density:g} puts the atoms of {self.formula} {spacing:.3g} apart on average, beyond the "
                f"potential's range of {cutoff:.3g}, so they would hardly interact; give at least {cutoff**-3:.3g} "
                f"atoms per volume unit (the condensed phase has {self.n_atoms / self.condensed_volume():.3g})"
            )

    @classmethod
    def parse(
        cls,
        formula: str,
        potential: Potential | str | None = None,
        boundary: str = "cluster",
        density: float | None = None,
        size: int | None = None,
    ) -> "System":
        """System from a formula such as ``Ag30Cu8``; the potential defaults from the elements.

        Elements are put in alphabetical order (``Cu8Ag30`` is ``Ag30Cu8``). ``size``, when
        given, must equal the total number of atoms of the formula.
        """
        counts = sorted(parse_formula(formula))
        total = sum(n for _, n in counts)
        if size is not None and total != size:
            raise ConfigError(f"{formula} has {total} atoms, not the requested {size}")
        elements = [e for e, _ in counts]
        if potential is None:
            potential = default_potential(elements)
        elif isinstance(potential, str):
            potential = get_potential(potential)
        return cls(tuple(counts), potential, boundary, density)

    @property
    def elements(self) -> list[str]:
        """Distinct elements in order; LAMMPS type i+1 is ``elements[i]``."""
        return [e for e, _ in self.counts]

    @property
    def symbols(self) -> list[str]:
        """Element of every atom, in atom order."""
        return [e for e, n in self.counts for _ in range(n)]

    @property
    def types(self) -> list[int]:
        """LAMMPS atom type (1-based) of every atom."""
        return [i + 1 for i, (_, n) in enumerate(self.counts) for _ in range(n)]

    @property
    def n_atoms(self) -> int:
        return sum(n for _, n in self.counts)

    @property
    def formula(self) -> str:
        return "".join(f"{e}{n}" for e, n in self.counts)

    @property
    def periodic(self) -> bool:
        return self.boundary == "periodic"

    def condensed_volume(self) -> float:
        """Volume of the atoms at the density of their condensed phase."""
        return sum(volume_per_atom(e) * n for e, n in self.counts)

    def nearest_neighbour(self) -> float:
        """Smallest typical nearest-neighbour distance among the elements."""
        return min(nearest_neighbour(e) for e in self.elements)

    def cell_length(self) -> float:
        """Edge of the cubic periodic cell."""
        if not self.periodic:
            raise ConfigError(f"{self.formula} is a free cluster and has no cell")
        if self.density is None:
            return float(self.condensed_volume() ** (1 / 3))
        return float((self.n_atoms / self.density) ** (1 / 3))

    def energy_scale(self) -> float:
        """Composition-weighted cohesive energy per atom, the natural energy unit."""
        return sum(cohesive_energy(e) * n for e, n in self.counts) / self.n_atoms

    def scales(self) -> Scales:
        """The system's natural units, as update rules take them."""
        return Scales(self.nearest_neighbour(), self.energy_scale(), self.n_atoms,
                      self.cell_length() if self.periodic else None)

    def cluster_radius(self) -> float:
        """Radius of a sphere holding the cluster at condensed density."""
        return (3 * self.condensed_volume() / (4 * math.pi)) ** (1 / 3)

    def describe(self) -> str:
        where = f"periodic cell {self.cell_length():.3f}" if self.periodic else "free cluster"
        return f"{self.formula} ({where}, potential {self.potential.name})"

