"""Sets of atomic sites in bond units (nearest-neighbour distance 1): merging, trimming, growing."""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial.distance import cdist

#: sites within this many bonds of each other are neighbours
NEIGHBOUR_CUTOFF = 1.25
#: sites closer than this many bonds are one site
MERGE_DISTANCE = 0.6


def coordination(sites: np.ndarray, others: np.ndarray | None = None) -> np.ndarray:
    """Number of neighbours of each of ``sites`` among ``others`` (default: among themselves)."""
    d = cdist(sites, sites if others is None else others)
    own = 1 if others is None else 0
    return (d < NEIGHBOUR_CUTOFF).sum(axis=1) - own


def merge(sites: np.ndarray, distance: float = MERGE_DISTANCE) -> np.ndarray:
    """Sites with every group of sites closer than ``distance`` (in chains) replaced by its mean."""
    sites = np.asarray(sites, dtype=float)
    count, label = connected_components(csr_matrix(cdist(sites, sites) < distance), directed=False)
    return np.array([sites[label == g].mean(axis=0) for g in range(count)])


def trim(sites: np.ndarray, n: int, keep: int = 0) -> np.ndarray:
    """``sites`` cut down to ``n`` by removing, one at a time, the least coordinated site;
    among equals the one nearest the sites already removed (so that a cluster loses a
    facet, not atoms all over), then the outermost. The first ``keep`` sites stay."""
    sites = np.asarray(sites, dtype=float)
    removed = np.zeros((0, 3))
    while len(sites) > n:
        candidates = np.arange(keep, len(sites))
        cn = coordination(sites)[candidates]
        near = cdist(sites[candidates], removed).min(axis=1) if len(removed) else np.zeros(len(candidates))
        r = np.linalg.norm(sites[candidates] - sites.mean(axis=0), axis=1)
        drop = candidates[np.lexsort((-np.round(r, 6), np.round(near, 6), cn))[0]]
        removed = np.vstack([removed, sites[drop]])
        sites = np.delete(sites, drop, axis=0)
    return sites


def hollow_sites(sites: np.ndarray) -> np.ndarray:
    """Points one bond from each of three mutually bonded sites and no nearer than 0.8 bonds to any site."""
    bonded = np.triu(cdist(sites, sites) < NEIGHBOUR_CUTOFF, 1)
    i, j, k = np.nonzero(bonded[:, :, None] & bonded[None, :, :] & bonded[:, None, :])
    a, b, c = sites[i], sites[j], sites[k]
    centre = (a + b + c) / 3
    normal = np.cross(b - a, c - a)
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    height2 = 1.0 - np.sum((a - centre) ** 2, axis=1)
    keep = height2 > 0
    lift = (np.sqrt(height2[keep])[:, None] * normal[keep])
    points = np.vstack([centre[keep] + lift, centre[keep] - lift])
    if not len(points):
        return points
    return points[cdist(points, sites).min(axis=1) > 0.8]


def grow(sites: np.ndarray, n: int) -> np.ndarray:
    """``sites`` grown to ``n`` by adding, one at a time, the hollow site with the most
    neighbours (the innermost among equals; distances rounded to 1e-6 bonds, so that the
    first of sites equal by symmetry wins, not the one rounding noise favours)."""
    sites = np.asarray(sites, dtype=float)
    while len(sites) < n:
        hollows = merge(hollow_sites(sites), 0.3)
        if not len(hollows):
            raise ValueError(f"no hollow site to grow {len(sites)} sites to {n}")
        cn = coordination(hollows, sites)
        r = np.round(np.linalg.norm(hollows - sites.mean(axis=0), axis=1), 6)
        sites = np.vstack([sites, hollows[np.lexsort((r, -cn))[0]]])
    return sites


def resize(sites: np.ndarray, n: int, keep: int = 0) -> np.ndarray:
    """``sites`` trimmed or grown to exactly ``n`` (see :func:`trim` and :func:`grow`)."""
    return trim(sites, n, keep) if len(sites) >= n else grow(sites, n)
