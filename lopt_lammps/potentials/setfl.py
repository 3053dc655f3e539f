"""Writing tabulated potentials in the LAMMPS ``eam/fs`` (Finnis-Sinclair setfl) format."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np


@dataclass
class SetflTable:
    """Tabulated eam/fs potential on uniform grids ``r`` and ``rho`` starting at 0.

    ``density[a, b]`` is the density that an atom of element ``b`` contributes at an
    atom of element ``a``; ``r_phi[a, b]`` is r times the pair energy phi_ab(r).
    """

    comments: Sequence[str]
    elements: Sequence[str]
    masses: Sequence[float]
    atomic_numbers: Sequence[int]
    lattice_constants: Sequence[float]
    lattice_types: Sequence[str]
    r: np.ndarray
    rho: np.ndarray
    embedding: Mapping[str, np.ndarray]
    density: Mapping[tuple[str, str], np.ndarray]
    r_phi: Mapping[tuple[str, str], np.ndarray]


def _block(values: np.ndarray, per_line: int = 5) -> list[str]:
    text = [f"{v: .16e}" for v in np.asarray(values, dtype=float)]
    return [" ".join(text[i : i + per_line]) for i in range(0, len(text), per_line)]


def write_setfl(table: SetflTable) -> str:
    """The text of an ``eam/fs`` file (three comment lines, then the LAMMPS layout)."""
    comments = list(table.comments)[:3]
    comments += [""] * (3 - len(comments))
    lines = [c.replace("\n", " ") for c in comments]
    lines.append(f"{len(table.elements)} {' '.join(table.elements)}")
    n_rho, n_r = len(table.rho), len(table.r)
    d_rho = table.rho[1] - table.rho[0]
    d_r = table.r[1] - table.r[0]
    lines.append(f"{n_rho} {float(d_rho)!r} {n_r} {float(d_r)!r} {float(table.r[-1])!r}")
    for i, a in enumerate(table.elements):
        lines.append(
            f"{table.atomic_numbers[i]} {table.masses[i]!r} {table.lattice_constants[i]!r} {table.lattice_types[i]}"
        )
        lines += _block(table.embedding[a])
        for b in table.elements:
            lines += _block(table.density[a, b])
    for i, a in enumerate(table.elements):
        for b in table.elements[: i + 1]:
            lines += _block(table.r_phi[a, b])
    return "\n".join(lines) + "\n"
