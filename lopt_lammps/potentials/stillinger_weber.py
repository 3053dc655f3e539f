"""Stillinger-Weber potentials (``pair_style sw``) from a LAMMPS ``.sw`` parameter file."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Sequence

from ase.data import atomic_masses, atomic_numbers

from ..errors import PotentialError
from .base import Potential

_FIELDS_PER_ENTRY = 14


class StillingerWeber(Potential):
    """Stillinger-Weber from a LAMMPS ``.sw`` file (metal units)."""

    units = "metal"

    def __init__(self, path: str | Path, name: str = "sw"):
        self.path = Path(path)
        self.name = name
        self.text, self.entries = _read_sw(self.path)
        self.elements = tuple(sorted({e[0] for e in self.entries}))

    def cutoff(self, elements: Sequence[str]) -> float:
        self.check_elements(elements)
        relevant = [e for e in self.entries if e[0] in elements and e[1] in elements]
        return max(float(e[4]) * float(e[5]) for e in relevant)  # sigma * a

    def lammps_commands(self, elements: Sequence[str]) -> list[str]:
        self.check_elements(elements)
        masses = [f"mass {i + 1} {float(atomic_masses[atomic_numbers[e]])!r}" for i, e in enumerate(elements)]
        return masses + ["pair_style sw", f"pair_coeff * * \"{self.path}\" {' '.join(elements)}"]

    def identity(self) -> str:
        return f"{self.name}:{hashlib.sha256(self.text.encode()).hexdigest()[:12]}"


def _read_sw(path: Path) -> tuple[str, list[list[str]]]:
    """Read and check a ``.sw`` file: entries of 14 fields, numeric parameters."""
    if not path.is_file():
        raise PotentialError(
            f"Stillinger-Weber file {path} not found; pass an existing .sw file or use the "
            "shipped potentials/Si.sw"
        )
    text = path.read_text()
    words = [w for line in text.splitlines() for w in line.split("#")[0].split()]
    if not words or len(words) % _FIELDS_PER_ENTRY:
        raise PotentialError(
            f"Stillinger-Weber file {path} is malformed: expected entries of "
            f"{_FIELDS_PER_ENTRY} fields (3 elements and 11 parameters), found {len(words)} fields"
        )
    entries = [words[i : i + _FIELDS_PER_ENTRY] for i in range(0, len(words), _FIELDS_PER_ENTRY)]
    for entry in entries:
        if any(e not in atomic_numbers for e in entry[:3]):
            raise PotentialError(f"{path}: {' '.join(entry[:3])} are not all element symbols")
        try:
            [float(v) for v in entry[3:]]
        except ValueError:
            raise PotentialError(f"{path}: non-numeric parameter in entry {' '.join(entry)}") from None
    return text, entries
