"""Cores of polyicosahedra (bond units): a few named small cores and compact ones found by growth.

Named: fragments of the pentagonal bipyramid (whose atoms can all centre icosahedra), the
bipyramid capped on a face, the octahedron (Ag32Cu6's pIh6 core relaxes from it) and the
13-atom icosahedron (whose polyicosahedron is the anti-Mackay cluster). Grown: starting
from a dimer, cores gain one site of their polyicosahedral shell bonded to at least two
core atoms; each size keeps the :data:`BEAM` cores with the most bonds, and the cores
offered for a cluster of N atoms are those whose polyicosahedron has closest to N sites
(a core whose pIh has exactly N sites gives a closed, magic structure: Ag27Cu7 on the
pentagonal bipyramid).
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import cdist

from .polyicosahedra import VERTICES, polyicosahedral_shell
from .sites import NEIGHBOUR_CUTOFF

#: grown cores kept per size
BEAM = 6
#: grown cores offered per size
PER_SIZE = 5
#: grown cores whose polyicosahedron is sized, per size (the best bonded)
SIZED = 30


def _pentagonal_bipyramid() -> np.ndarray:
    """Unit-edge pentagonal bipyramid: the two apices, then the ring in order round the axis."""
    rho = 1 / (2 * np.sin(np.pi / 5))
    turn = 2 * np.pi * np.arange(5) / 5
    ring = np.column_stack([rho * np.cos(turn), rho * np.sin(turn), np.zeros(5)])
    h = np.sqrt(1 - rho**2)
    return np.vstack([[0, 0, h], [0, 0, -h], ring])


def _cap(face: np.ndarray, body: np.ndarray) -> np.ndarray:
    """The site one bond from the three sites of ``face``, on the side away from ``body``'s centroid."""
    centre = face.mean(axis=0)
    normal = np.cross(face[1] - face[0], face[2] - face[0])
    normal *= np.sign(normal @ (centre - body.mean(axis=0))) / np.linalg.norm(normal)
    return centre + normal * np.sqrt(1 - np.sum((face[0] - centre) ** 2))


def named_cores() -> list[tuple[str, np.ndarray]]:
    """(name, sites) of the named cores, smallest first."""
    pbp = _pentagonal_bipyramid()
    octahedron = np.array([[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]]) / 2**0.5
    return [
        ("dimer", pbp[2:4]),
        ("triangle", pbp[:3]),
        ("tetrahedral", pbp[:4]),
        ("trigonal-bipyramid", pbp[:5]),
        ("octahedral", octahedron),
        ("pentagonal-pyramid", pbp[[0, 2, 3, 4, 5, 6]]),
        ("three-tetrahedra", pbp[:6]),
        ("pentagonal-bipyramid", pbp),
        ("capped pentagonal-bipyramid", np.vstack([pbp, _cap(pbp[[0, 2, 3]], pbp)])),
        ("icosahedral", np.vstack([np.zeros(3), VERTICES])),
    ]


def bonds(core: np.ndarray) -> int:
    """Number of pairs of core sites within a bond."""
    return int(np.triu(cdist(core, core) < NEIGHBOUR_CUTOFF, 1).sum())


def shape_key(core: np.ndarray) -> tuple[int, ...]:
    """The sorted distances of ``core`` in steps of 0.15 bonds: equal for cores of the same shape."""
    d = cdist(core, core)[np.triu_indices(len(core), 1)]
    return tuple(np.round(np.sort(d) / 0.15).astype(int))


def _children(core: np.ndarray) -> list[np.ndarray]:
    shell = polyicosahedral_shell(core)
    bonded = (cdist(shell, core) < NEIGHBOUR_CUTOFF).sum(axis=1) >= 2
    return [np.vstack([core, site]) - np.vstack([core, site]).mean(axis=0) for site in shell[bonded]]


def grown_cores(sizes: range, n: int) -> list[tuple[str, np.ndarray]]:
    """(name, sites) of up to :data:`PER_SIZE` grown cores of each size in ``sizes`` whose
    polyicosahedron has closest to ``n`` sites (the best bonded first among equals)."""
    named = {shape_key(core) for _, core in named_cores()}
    level = [named_cores()[0][1]]
    offered = []
    for size in range(3, max(sizes, default=0) + 1):
        unique = {shape_key(c): c for parent in level for c in _children(parent)}
        level = sorted(unique.values(), key=lambda c: -bonds(c))
        if size in sizes:
            sized = [(abs(size + len(polyicosahedral_shell(c)) - n), -bonds(c), k) for k, c in enumerate(level[:SIZED])]
            picks = [level[k] for _, _, k in sorted(sized) if shape_key(level[k]) not in named][:PER_SIZE]
            offered += [(f"{bonds(c)}-bond polytetrahedral", c) for c in picks]
        level = level[:BEAM]
    return offered
