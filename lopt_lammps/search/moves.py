"""Moves that take a relaxed structure to a trial structure (pure functions over arrays).

Lengths are in the system's length unit; every move returns a new array.
"""

from __future__ import annotations

import numpy as np

from ..systems import System


def displace_all(x: np.ndarray, length: float, rng: np.random.Generator) -> np.ndarray:
    """Every coordinate of every atom shifted uniformly within +-``length``."""
    return x + rng.uniform(-length, length, size=x.shape)


def swap_unlike(types: np.ndarray, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One atom of one element exchanged with one atom of another (types (N,) of >= 2 kinds)."""
    a, b = rng.choice(np.unique(types), size=2, replace=False)
    i = rng.choice(np.flatnonzero(types == a))
    j = rng.choice(np.flatnonzero(types == b))
    moved = x.copy()
    moved[[i, j]] = moved[[j, i]]
    return moved


def coordination(x: np.ndarray, radius: float, cell: float | None = None) -> np.ndarray:
    """Number of other atoms within ``radius`` of each atom (N,); minimum image in a cubic ``cell``."""
    d = x[:, None, :] - x[None, :, :]
    if cell is not None:
        d -= cell * np.round(d / cell)
    return ((d * d).sum(-1) < radius**2).sum(axis=1) - 1


def least_coordinated(x: np.ndarray, radius: float, rng: np.random.Generator, cell: float | None = None) -> int:
    """A random atom among those with the fewest neighbours within ``radius``."""
    counts = coordination(x, radius, cell)
    return int(rng.choice(np.flatnonzero(counts == counts.min())))


def surface_sites(x: np.ndarray, atom: int, distance: float, directions: np.ndarray) -> np.ndarray:
    """Where a single-atom move along each of ``directions`` (K, 3; unit vectors) puts atom
    ``atom`` (K, 3): ``distance`` beyond the other atom that reaches farthest along it."""
    others = np.delete(np.arange(len(x)), atom)
    reach = (x[others] - x[others].mean(axis=0)) @ directions.T
    outermost = others[np.argmax(reach, axis=0)]
    return x[outermost] + distance * directions


def random_directions(count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` directions uniform on the sphere (count, 3)."""
    u = rng.normal(size=(count, 3))
    return u / np.linalg.norm(u, axis=1, keepdims=True)


def move_to_surface(x: np.ndarray, atom: int, distance: float, rng: np.random.Generator) -> np.ndarray:
    """Atom ``atom`` taken off and put back ``distance`` outside the cluster in a random
    direction: beyond the atom that reaches farthest along that direction."""
    moved = x.copy()
    moved[atom] = surface_sites(x, atom, distance, random_directions(1, rng))[0]
    return moved


def move_into_cell(x: np.ndarray, atom: int, cell: float, rng: np.random.Generator) -> np.ndarray:
    """Atom ``atom`` put at a uniformly random point of a cubic periodic cell."""
    moved = x.copy()
    moved[atom] = rng.uniform(0.0, cell, size=3)
    return moved


def move_one_atom(system: System, x: np.ndarray, rng: np.random.Generator, target: str = "surface") -> np.ndarray:
    """A single-atom move: the least coordinated atom (``target="surface"``) or a random one
    (``"random"``) moved to the surface of a cluster, or anywhere in a periodic cell."""
    length = system.nearest_neighbour()
    cell = system.cell_length() if system.periodic else None
    if target == "surface":
        atom = least_coordinated(x, 1.35 * length, rng, cell)
    else:
        atom = int(rng.integers(len(x)))
    if cell is not None:
        return move_into_cell(x, atom, cell, rng)
    return move_to_surface(x, atom, length, rng)
