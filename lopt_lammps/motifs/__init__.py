"""Structures built from the motifs the nanoalloy literature reports, relaxed with a system's potential.

For a free cluster of one element or of two, A (the weaker bound, e.g. Ag) and B (the
stronger bound, e.g. Cu), of any size N:

* polyicosahedral (pIh) core-shell clusters: a compact B core whose every atom centres an
  icosahedron, A on the shell (Rossi et al., Phys. Rev. Lett. 93, 105503, 2004: Ag27Cu7 on
  a Cu7 pentagonal bipyramid; Rapallo et al., J. Chem. Phys. 122, 194308, 2005), on the
  cores whose size is near the number of B atoms;
* the 13-atom icosahedron with its anti-Mackay shell, and the Mackay icosahedron;
* fcc clusters (the truncated octahedron at 38 atoms) and Ino and Marks decahedra;

each trimmed or grown to N sites, B on the core (pIh) or the innermost sites, scaled to the
elements' bond lengths, relaxed with LAMMPS as ``lopt-lammps relax`` relaxes, and its
chemical ordering polished by exchanges of unlike atoms (Ferrando, Jellinek and Johnston,
Chem. Rev. 108, 845, 2008, review these motifs). Distinct results are returned lowest first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..comparison import StructureComparator
from ..errors import ConfigError
from ..systems import COHESIVE_ENERGY, NEAREST_NEIGHBOUR, System
from . import frameworks
from .frameworks import Framework
from .ordering import Polisher, positions_in_system_order

#: random displacement (bonds) that breaks the symmetry of a built structure before relaxing
SHAKE = 0.03
#: motifs relaxed to within this many cohesive energies (per atom) of the lowest are polished
POLISH_WINDOW = 0.15
#: pIh cores tried: sizes from this many below the number of B atoms to one above
CORE_SIZES_BELOW, CORE_SIZES_ABOVE = 2, 1
#: the number of B atoms pIh cores are sized for in a cluster of one element (the pentagonal bipyramid's)
SINGLE_ELEMENT_CORE = 7


@dataclass(frozen=True)
class Motif:
    """A structure built from a motif: ``positions`` (N, 3) in ``system`` atom order,
    centred; ``energy`` once relaxed (None before)."""

    label: str
    positions: np.ndarray
    energy: float | None = None


def elements_by_binding(system: System) -> tuple[str, str]:
    """(A, B): the weaker bound element, which goes to the surface, and the stronger bound one."""
    if system.periodic:
        raise ConfigError(f"motifs are built for free clusters; {system.formula} is a periodic cell")
    if len(system.elements) > 2:
        raise ConfigError(f"motifs are built for clusters of one or two elements, not {system.formula}")
    by_binding = sorted(system.elements, key=lambda e: COHESIVE_ENERGY.get(e, 3.0))
    return by_binding[0], by_binding[-1]


def _core_sizes(system: System, b: str) -> range:
    n_b = dict(system.counts)[b] if len(system.elements) == 2 else SINGLE_ELEMENT_CORE
    return range(max(2, n_b - CORE_SIZES_BELOW), min(n_b + CORE_SIZES_ABOVE, system.n_atoms // 2) + 1)


def _label(framework: Framework, a: str, b: str, n_b: int) -> str:
    if a == b:
        return f"{framework.name} ({framework.core}-atom {framework.core_name} core)" if framework.core else framework.name
    if not framework.core:
        return f"{framework.name}, {b}{n_b} innermost"
    core = f"{b}{framework.core}" if n_b == framework.core else f"{framework.core}-atom"
    extra = f", {b}{n_b} in all" if n_b != framework.core else ""
    return f"{framework.name} core-shell ({core} {framework.core_name} core{extra})"


def build_motifs(system: System) -> list[Motif]:
    """The unrelaxed motifs of ``system``: positions in its atom order, B on the core."""
    a, b = elements_by_binding(system)
    n = system.n_atoms
    if n < 4:
        return []
    bond = float(np.mean([NEAREST_NEIGHBOUR.get(e, system.nearest_neighbour()) for e in system.symbols]))
    n_b = dict(system.counts)[b]
    polyicosahedra = sorted(frameworks.polyicosahedra(n, _core_sizes(system, b)), key=lambda f: abs(f.core - n_b))
    exact = [f for f in polyicosahedra if f.core == n_b]
    built = (exact + frameworks.fcc(n) + frameworks.mackay(n) + frameworks.decahedra(n) + frameworks.anti_mackay(n)
             + polyicosahedra[len(exact):])
    motifs = []
    for framework in built:
        x = positions_in_system_order(system, framework.sites * bond, framework.by_priority(), b)
        motifs.append(Motif(_label(framework, a, b, n_b), x - x.mean(axis=0)))
    return motifs


def _distinct(system: System, motifs: list[Motif]) -> list[Motif]:
    """One motif per distinct structure, lowest first, labelled as the first built of its
    copies (pIh core-shell clusters whose core holds all B atoms, then fcc, icosahedra,
    decahedra, the anti-Mackay cluster and the other pIh)."""
    groups = StructureComparator(system).groups(np.array([m.energy for m in motifs]), [m.positions for m in motifs])
    return [Motif(motifs[min(g)].label, motifs[g[0]].positions, motifs[g[0]].energy) for g in groups]


def relaxed_motifs(system: System, seed: int = 0) -> list[Motif]:
    """The distinct motifs of ``system`` relaxed with its potential, lowest energy first
    (empty below 4 atoms). Those within :data:`POLISH_WINDOW` cohesive energies of the
    lowest have their chemical ordering polished by exchanges. ``seed`` draws the small
    random displacements relaxed from after the first relaxation."""
    built = build_motifs(system)
    if not built:
        return []
    polisher = Polisher.for_system(system)
    try:
        relaxed = []
        for k, motif in enumerate(built):
            rng = np.random.default_rng([seed, k])
            x, energy = polisher.relax(motif.positions, SHAKE * system.nearest_neighbour(), rng)
            relaxed.append(Motif(motif.label, x, energy))
        relaxed = _distinct(system, relaxed)
        window = relaxed[0].energy + POLISH_WINDOW * system.energy_scale()
        polished = []
        for motif in relaxed:
            x, energy = motif.positions, motif.energy
            if energy <= window:
                x, energy = polisher.polish(x, energy)
            polished.append(Motif(motif.label, x - x.mean(axis=0), energy))
    finally:
        polisher.close()
    return _distinct(system, polished)
