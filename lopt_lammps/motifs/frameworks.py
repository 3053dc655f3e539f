"""Geometric frameworks of N sites in bond units, ordered so that the sites meant for the
strongly bound element come first: polyicosahedra (their core), icosahedra, fcc clusters
and decahedra (the sites nearest the centre)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from ase.cluster import Decahedron, Icosahedron
from scipy.spatial.distance import cdist

from .cores import grown_cores, named_cores
from .polyicosahedra import icosahedra_vertices, merged_shell, polyicosahedral_shell
from .sites import resize, trim

#: lattice constant of fcc with unit nearest-neighbour distance
_FCC_A = 2**0.5
#: fcc clusters are centred on an atom, an octahedral hole or a tetrahedral hole
_FCC_CENTRES = {"octahedral-hole": (0.5, 0.0, 0.0), "atom": (0.0, 0.0, 0.0), "tetrahedral-hole": (0.25, 0.25, 0.25)}
#: merge distances (bonds) tried for the vertices of the icosahedra of a pIh: they merge the
#: same way round cores that icosahedra fit, differently round others (the octahedron)
MERGE_VARIANTS = (0.5, 0.6, 0.7)
#: decahedra tried per kind (Ino and Marks), the smallest that hold N atoms
_DECAHEDRA_PER_KIND = 2


@dataclass(frozen=True)
class Framework:
    """``sites`` (N, 3) in bond units; the first ``core`` are the core of a polyicosahedron
    (0 for the other frameworks); ``name`` says what it is, ``core_name`` what its core is."""

    name: str
    sites: np.ndarray
    core: int = 0
    core_name: str = ""

    def by_priority(self) -> np.ndarray:
        """Site indices, core sites first, then by distance from the centre."""
        x = self.sites - self.sites.mean(axis=0)
        r = np.linalg.norm(x, axis=1)
        return np.lexsort((r, np.arange(len(x)) >= self.core))


def _unit_bonds(sites: np.ndarray) -> np.ndarray:
    """``sites`` centred and scaled to a shortest distance of 1."""
    sites = np.asarray(sites, dtype=float) - np.mean(sites, axis=0)
    d = cdist(sites, sites)
    np.fill_diagonal(d, np.inf)
    return sites / d.min()


def polyicosahedra(n: int, core_sizes: range) -> list[Framework]:
    """pIh frameworks of ``n`` sites on the named and grown cores whose size is in
    ``core_sizes``; a core whose icosahedra's vertices merge differently with each of
    :data:`MERGE_VARIANTS` gives one framework per distinct shell."""
    cores = [(name, core) for name, core in named_cores() if len(core) in core_sizes and name != "icosahedral"]
    cores += grown_cores(core_sizes, n)
    frameworks = []
    for name, core in cores:
        if len(core) >= n:
            continue
        vertices = icosahedra_vertices(core)
        shells = {len(shell): shell for shell in (merged_shell(core, vertices, d) for d in MERGE_VARIANTS)}
        for shell in shells.values():
            sites = np.vstack([core, shell])
            frameworks.append(Framework("pIh", resize(sites, n, keep=len(core)), len(core), name))
    return frameworks


def anti_mackay(n: int) -> list[Framework]:
    """The 13-atom icosahedron with its anti-Mackay shell (hollow sites over its faces and
    atoms over its vertices: 45 sites), trimmed or grown to ``n`` (from 20 to 60 sites)."""
    if not 20 <= n <= 60:
        return []
    core = dict(named_cores())["icosahedral"]
    sites = np.vstack([core, polyicosahedral_shell(core)])
    return [Framework("anti-Mackay icosahedron", resize(sites, n, keep=len(core)), len(core), "icosahedral")]


def mackay(n: int) -> list[Framework]:
    """The smallest Mackay icosahedron of at least ``n`` sites, trimmed to ``n``."""
    shells = 1
    while len(Icosahedron("Cu", shells)) < n:
        shells += 1
    full = Icosahedron("Cu", shells)
    name = "Mackay icosahedron" + (f" (trimmed from {len(full)})" if len(full) > n else "")
    return [Framework(name, trim(_unit_bonds(full.positions), n))]


def _fcc_lattice(reach: int) -> np.ndarray:
    """fcc sites with unit nearest-neighbour distance, ``reach`` half cells in each direction."""
    grid = np.array(np.meshgrid(*[np.arange(-reach, reach + 1)] * 3, indexing="ij")).reshape(3, -1).T
    return grid[grid.sum(axis=1) % 2 == 0] * (_FCC_A / 2)


def fcc(n: int) -> list[Framework]:
    """fcc clusters: the complete shells round an atom, an octahedral hole or a tetrahedral
    hole that hold ``n`` sites, trimmed to ``n`` (38 round an octahedral hole is the
    truncated octahedron)."""
    lattice = _fcc_lattice(int(np.ceil(n ** (1 / 3))) + 3)
    frameworks = []
    for where, offset in _FCC_CENTRES.items():
        r = np.linalg.norm(lattice - np.array(offset) * _FCC_A, axis=1)
        shells = lattice[r <= np.sort(r)[n - 1] + 1e-6]
        frameworks.append(Framework(f"fcc ({where} centre)", trim(shells, n)))
    return frameworks


@lru_cache(maxsize=1)
def _decahedron_sizes() -> dict[tuple[int, int, int], int]:
    """Number of atoms of the decahedra (p, q, r) tried: p, q up to 5, r up to 2."""
    return {(p, q, r): len(Decahedron("Cu", p, q, r)) for p in range(1, 6) for q in range(1, 6) for r in range(3)}


def decahedra(n: int) -> list[Framework]:
    """The smallest Ino and Marks decahedra (``ase.cluster.Decahedron``) of at least ``n``
    sites (at most three times as many), trimmed to ``n``."""
    sizes = _decahedron_sizes()
    frameworks = []
    for kind, marks in (("Ino", False), ("Marks", True)):
        fitting = sorted((size, pqr) for pqr, size in sizes.items() if n <= size <= 3 * n and (pqr[2] > 0) == marks)
        for size, (p, q, r) in fitting[:_DECAHEDRA_PER_KIND]:
            sites = _unit_bonds(Decahedron("Cu", p, q, r).positions)
            shape = f"{p},{q},{r}" if marks else f"{p},{q}"
            name = f"{kind} decahedron ({shape})" + (f" trimmed from {size}" if size > n else "")
            frameworks.append(Framework(name, trim(sites, n)))
    return frameworks
