"""Polyicosahedral (pIh) frameworks: a compact core whose every atom centres an icosahedron.

The shell is the union of the icosahedra's vertices that are not core atoms, sites
closer than :data:`~.sites.MERGE_DISTANCE` merged (Rossi et al., Phys. Rev. Lett. 93,
105503, 2004: Ag27Cu7 is the pIh of a Cu7 pentagonal bipyramid). Each icosahedron is
turned so that its vertices lie along the directions to its centre's core neighbours
(the best rotation over vertex assignments); a centre whose neighbours leave a turn about
an axis free takes the turn that puts most of its vertices onto sites already placed.
All lengths are in bond units.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist

from .sites import MERGE_DISTANCE, NEIGHBOUR_CUTOFF, merge

_PHI = (1 + 5**0.5) / 2


def icosahedron() -> np.ndarray:
    """The 12 vertices of a regular icosahedron at unit distance from its centre."""
    v = [p for a, b in itertools.product((1, -1), repeat=2) for p in ((0, a, b * _PHI), (a, b * _PHI, 0), (b * _PHI, 0, a))]
    v = np.array(v, dtype=float)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


VERTICES = icosahedron()
#: a fit of vertices to a centre's neighbour directions this good (largest miss, unit vectors) is an icosahedral neighbourhood
GOOD_FIT = 0.1
#: decimals the overlap of a turned icosahedron with placed sites is compared to
OVERLAP_DECIMALS = 6


def _best_rotations(targets: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Rotation matrices R (m, 3, 3) minimising the sum of |R v - t|^2 for each of m sets of
    vectors (m, k, 3) and targets (k, 3) or (m, k, 3) (Kabsch)."""
    u, _, vt = np.linalg.svd(np.swapaxes(vectors, 1, 2) @ targets)
    flip = np.ones((len(u), 3))
    flip[:, 2] = np.sign(np.linalg.det(np.swapaxes(vt, 1, 2) @ np.swapaxes(u, 1, 2)))
    return np.swapaxes(vt, 1, 2) @ (flip[:, :, None] * np.swapaxes(u, 1, 2))


def _fits(directions: np.ndarray, pairs: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """For each pair of vertices taking the first two ``directions``: the rotation that best
    puts vertices along all directions, the rest assigned to the nearest vertices, and its
    misfit (the largest miss)."""
    first = _best_rotations(directions[:2], VERTICES[np.array(pairs)])
    turned = VERTICES @ np.swapaxes(first, 1, 2)
    columns = np.array([linear_sum_assignment(cdist(directions, t))[1] for t in turned])
    rotations = _best_rotations(directions, VERTICES[columns])
    misses = np.linalg.norm(directions - VERTICES[columns] @ np.swapaxes(rotations, 1, 2), axis=2)
    return rotations, misses.max(axis=1)


def _fitted_rotations(directions: np.ndarray) -> list[np.ndarray]:
    """Rotations that best put vertices along ``directions`` (two or more, not all collinear).

    The first direction goes to vertex 0 (the icosahedron's rotations take each vertex to
    every other) and a second, not collinear with it, to each other vertex in turn. Where
    no icosahedron fits (the best misfit above :data:`GOOD_FIT`), the assignment ties that
    this leaves are broken in every way: each ordered pair of vertices takes the first two.
    """
    b = next(k for k in range(1, len(directions)) if abs(directions[0] @ directions[k]) < 0.99)
    ordered = directions[[0, b] + [k for k in range(1, len(directions)) if k != b]]
    rotations, misfits = _fits(ordered, [(0, j) for j in range(1, 12) if VERTICES[0] @ VERTICES[j] > -0.99])
    if misfits.min() > GOOD_FIT:
        pairs = [(i, j) for i, j in itertools.permutations(range(12), 2) if VERTICES[i] @ VERTICES[j] > -0.99]
        rotations, misfits = _fits(ordered, pairs)
    return list(rotations[misfits < misfits.min() + 1e-6])


def _turn(axis: np.ndarray, angle: float) -> np.ndarray:
    """Rotation matrix by ``angle`` about the unit vector ``axis`` (Rodrigues)."""
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * k @ k


def _axis_turns(axis: np.ndarray, steps: int = 72) -> list[np.ndarray]:
    """Rotations putting vertex 0 along ``axis``, turned about it in ``steps`` steps of a fifth turn."""
    base = _best_rotations(np.vstack([axis, _perpendicular(axis)]), np.vstack([VERTICES[0], _perpendicular(VERTICES[0])])[None])[0]
    return [_turn(axis, 2 * np.pi / 5 * k / steps) @ base for k in range(steps)]


def _perpendicular(v: np.ndarray) -> np.ndarray:
    """A unit vector perpendicular to ``v``."""
    w = np.cross(v, [1.0, 0.0, 0.0] if abs(v[0]) < 0.9 else [0.0, 1.0, 0.0])
    return w / np.linalg.norm(w)


def _candidate_rotations(directions: np.ndarray) -> list[np.ndarray]:
    if len(directions) == 0:
        return [np.eye(3)]
    if len(directions) == 1 or np.all(np.abs(directions @ directions[0]) > 0.99):
        return _axis_turns(directions[0])
    return _fitted_rotations(directions)


def _overlap(vertices: np.ndarray, placed: np.ndarray) -> float:
    """How well ``vertices`` fall onto ``placed`` sites: distances to the nearest, capped at one
    merge distance, summed and rounded to :data:`OVERLAP_DECIMALS` (symmetric cores leave many
    turns tied; rounded, the first of them wins on every CPU, not the one rounding noise favours)."""
    if not len(placed):
        return 0.0
    return round(float(np.minimum(cdist(vertices, placed).min(axis=1), MERGE_DISTANCE).sum()), OVERLAP_DECIMALS)


def icosahedra_vertices(core: np.ndarray) -> np.ndarray:
    """The vertices of the icosahedra centred on the atoms of ``core`` (bond units, bonds
    about 1), each turned as the module docstring says; core centres first, most bonded first."""
    core = np.asarray(core, dtype=float)
    bonded = cdist(core, core) < NEIGHBOUR_CUTOFF
    np.fill_diagonal(bonded, False)
    placed = np.zeros((0, 3))
    for i in np.argsort(-bonded.sum(axis=1), kind="stable"):
        gaps = core[bonded[i]] - core[i]
        directions = gaps / np.linalg.norm(gaps, axis=1, keepdims=True)
        known = np.vstack([core, placed])
        best = min(_candidate_rotations(directions), key=lambda r: _overlap(core[i] + VERTICES @ r.T, known))
        placed = np.vstack([placed, core[i] + VERTICES @ best.T])
    return placed


def merged_shell(core: np.ndarray, vertices: np.ndarray, merge_distance: float = MERGE_DISTANCE) -> np.ndarray:
    """Shell sites from icosahedron ``vertices``: merged where closer than ``merge_distance``,
    without those on core atoms."""
    shell = merge(vertices, merge_distance)
    return shell[cdist(shell, core).min(axis=1) > merge_distance]


def polyicosahedral_shell(core: np.ndarray) -> np.ndarray:
    """Shell sites of the polyicosahedron of ``core`` (bond units, bonds about 1)."""
    return merged_shell(core, icosahedra_vertices(core))
