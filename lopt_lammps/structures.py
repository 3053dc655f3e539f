"""Initial structures, checks on positions, and conversion to and from ASE / extxyz."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import numpy as np
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator
from ase.io import read, write

from .errors import LoptError, StructureError
from .potentials import LJ_ELEMENT, Potential
from .systems import System

#: ASE symbol standing for a Lennard-Jones particle
ASE_LJ_SYMBOL = "X"
#: atoms closer than this fraction of the nearest-neighbour distance count as overlapping
OVERLAP_FRACTION = 0.3


def _rng(seed: int | np.random.Generator, *stream: int) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng([int(seed), *stream])


def random_positions(
    system: System,
    seed: int | np.random.Generator,
    min_distance_fraction: float = 0.7,
    expansion: float = 1.2,
) -> np.ndarray:
    """Random positions (N, 3), reproducible from ``seed``.

    Clusters: uniform in a sphere of ``expansion`` times the radius at condensed
    density; periodic systems: uniform in the cell. Atoms are inserted one by one at
    least ``min_distance_fraction`` nearest-neighbour distances apart.
    """
    rng = _rng(seed)
    d_min = min_distance_fraction * system.nearest_neighbour()
    cell = system.cell_length() if system.periodic else None
    radius = system.cluster_radius() * expansion
    placed = np.zeros((0, 3))
    attempts = 0
    while len(placed) < system.n_atoms:
        if cell is not None:
            trial = rng.uniform(0.0, cell, size=3)
        else:
            direction = rng.normal(size=3)
            trial = direction / np.linalg.norm(direction) * radius * rng.uniform() ** (1 / 3)
        gaps = trial - placed
        if cell is not None:
            gaps -= cell * np.round(gaps / cell)
        if len(placed) == 0 or np.einsum("ij,ij->i", gaps, gaps).min() >= d_min**2:
            placed = np.vstack([placed, trial])
            attempts = 0
            continue
        attempts += 1
        if attempts > 2000:
            if cell is not None:
                raise StructureError(
                    f"cannot place {system.n_atoms} atoms {d_min:.3f} apart in a cell of "
                    f"{cell:.3f}; lower the density"
                )
            radius *= 1.05
            attempts = 0
    return placed if cell is None else placed % cell


def random_batch(system: System, n_replicas: int, seed: int) -> np.ndarray:
    """``n_replicas`` independent random structures (B, N, 3); replica i uses stream (seed, i)."""
    return np.stack([random_positions(system, _rng(seed, i)) for i in range(n_replicas)])


def squared_distances(batch: np.ndarray, cell: float | None = None) -> np.ndarray:
    """Squared interatomic distances (B, N, N) with an infinite diagonal."""
    if cell is None:
        sq = np.einsum("bni,bni->bn", batch, batch)
        d2 = sq[:, :, None] + sq[:, None, :] - 2 * batch @ batch.transpose(0, 2, 1)
    else:
        d = batch[:, :, None, :] - batch[:, None, :, :]
        d -= cell * np.round(d / cell)
        d2 = np.einsum("bijk,bijk->bij", d, d)
    n = batch.shape[1]
    d2[:, np.arange(n), np.arange(n)] = np.inf
    return np.maximum(d2, 0.0)


def closest_pair(positions: np.ndarray, cell: float | None = None) -> tuple[float, int, int]:
    """Smallest interatomic distance and the two atoms (minimum image when ``cell``)."""
    d2 = squared_distances(np.asarray(positions, dtype=float)[None], cell)[0]
    i, j = np.unravel_index(np.argmin(d2), d2.shape)
    return float(np.sqrt(d2[i, j])), int(min(i, j)), int(max(i, j))


def check_positions(system: System, positions: np.ndarray) -> np.ndarray:
    """Validate one structure (N, 3) or a batch (B, N, 3); return it as float array.

    Raises :class:`StructureError` for a wrong shape, non-finite coordinates or atoms
    on top of each other.
    """
    x = np.asarray(positions, dtype=float)
    if x.shape[-2:] != (system.n_atoms, 3):
        raise StructureError(
            f"positions of shape {x.shape} do not fit {system.formula}: expected (..., {system.n_atoms}, 3)"
        )
    batch = x.reshape(-1, system.n_atoms, 3)
    bad = ~np.isfinite(batch).all(axis=(1, 2))
    if bad.any():
        raise StructureError(
            f"non-finite coordinates (NaN or inf) in structure(s) {np.flatnonzero(bad).tolist()}"
        )
    if system.n_atoms < 2:
        return x
    limit = OVERLAP_FRACTION * system.nearest_neighbour()
    cell = system.cell_length() if system.periodic else None
    closest = squared_distances(batch, cell).min(axis=(1, 2))
    if closest.min() < limit**2:
        b = int(np.argmin(closest))
        dist, i, j = closest_pair(batch[b], cell)
        where = f" of structure {b}" if batch.shape[0] > 1 else ""
        raise StructureError(
            f"atoms {i} and {j}{where} are {dist:.4f} apart, closer than {limit:.3f} "
            f"({OVERLAP_FRACTION} of the nearest-neighbour distance): they sit on top of each "
            "other. Move them apart or generate a random start."
        )
    return x


def to_atoms(system: System, positions: np.ndarray, energy: float | None = None, **info: object) -> Atoms:
    """An ``ase.Atoms`` for one structure; ``energy`` is attached as its calculator result
    (so ``ase db`` and extxyz keep it), ``info`` goes to ``atoms.info``."""
    symbols = [ASE_LJ_SYMBOL if s == LJ_ELEMENT else s for s in system.symbols]
    atoms = Atoms(symbols=symbols, positions=np.asarray(positions, dtype=float))
    if system.periodic:
        atoms.cell = [system.cell_length()] * 3
        atoms.pbc = True
    atoms.info.update({"system": system.formula, "potential": system.potential.name, **info})
    if energy is not None:
        atoms.calc = SinglePointCalculator(atoms, energy=float(energy))
    return atoms


def from_atoms(atoms: Atoms, potential: Potential | str | None = None) -> tuple[System, np.ndarray]:
    """System and positions of an ``ase.Atoms``, atoms reordered element by element."""
    symbols = [LJ_ELEMENT if s == ASE_LJ_SYMBOL else s for s in atoms.get_chemical_symbols()]
    elements = sorted(set(symbols))
    order = np.concatenate([[i for i, s in enumerate(symbols) if s == e] for e in elements]).astype(int)
    formula = "".join(f"{e}{symbols.count(e)}" for e in elements)
    periodic = bool(np.any(atoms.pbc))
    density = None
    if periodic:
        lengths = atoms.cell.lengths()
        if not (np.allclose(atoms.cell.angles(), 90.0) and np.allclose(lengths, lengths[0])):
            raise StructureError("only cubic periodic cells are supported")
        density = len(atoms) / atoms.get_volume()
    system = System.parse(formula, potential, "periodic" if periodic else "cluster", density)
    return system, check_positions(system, atoms.positions[order])


def write_extxyz(path: str | Path, structures: Iterable[Atoms]) -> None:
    """Write structures (with their ``info``) to an extended-XYZ file."""
    write(str(path), list(structures), format="extxyz")


def read_extxyz(path: str | Path) -> list[Atoms]:
    """Read all structures of an extended-XYZ file; :class:`StructureError` if it is not one."""
    if not Path(path).is_file():
        raise StructureError(f"structure file {path} not found")
    try:
        return read(str(path), index=":", format="extxyz")
    except (OSError, ValueError, KeyError, IndexError, UnicodeDecodeError) as err:
        raise StructureError(
            f"{path} is not a readable extended-XYZ file ({type(err).__name__}: {err}); "
            "write it with ase.io.write(..., format='extxyz') or lopt-lammps init"
        ) from None


def read_starts(path: str | Path, system: System, seeds: Iterable[int]) -> dict[int, np.ndarray]:
    """First structures of ``seeds`` from an extxyz file of seed-tagged frames (``lopt-lammps init``).

    Every frame needs a whole-number ``seed`` in its comment line, a seed at most once, and
    the atoms, boundary and cell of ``system``; seeds without a frame start at random.
    """
    frames = read_extxyz(path)
    if not frames:
        raise StructureError(f"{path} holds no structures; write the starts with lopt-lammps init")
    wanted = set(seeds)
    by_seed: dict[int, np.ndarray] = {}
    for k, atoms in enumerate(frames):
        seed = atoms.info.get("seed")
        seed = seed.item() if isinstance(seed, np.generic) else seed
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise StructureError(
                f"frame {k} of {path} has {'no seed tag' if seed is None else f'seed={seed!r}, not a whole number'}; "
                "tag each frame with the seed it starts, e.g. seed=3 in its comment line (lopt-lammps init does)"
            )
        seed = int(seed)
        if seed in by_seed:
            raise StructureError(f"{path} has two frames for seed {seed}; give each seed one starting structure")
        try:
            frame_system, x = from_atoms(atoms, system.potential)
        except LoptError as err:
            raise StructureError(f"frame {k} (seed {seed}) of {path}: {err}") from None
        if frame_system.formula != system.formula or frame_system.boundary != system.boundary:
            raise StructureError(
                f"frame {k} (seed {seed}) of {path} is {_describe_frame(frame_system)}, but the search is for "
                f"{_describe_frame(system)}; give starts of this system (lopt-lammps init {system.formula})"
            )
        if system.periodic and not np.isclose(frame_system.cell_length(), system.cell_length(), rtol=1e-6):
            raise StructureError(
                f"frame {k} (seed {seed}) of {path} has a cell of {frame_system.cell_length():.4f}, but the search's "
                f"is {system.cell_length():.4f}; give starts at the search's density"
            )
        by_seed[seed] = x
    return {s: x for s, x in by_seed.items() if s in wanted}


def _describe_frame(system: System) -> str:
    where = "a periodic cell" if system.periodic else "a free cluster"
    return f"{system.formula} ({system.n_atoms} atoms, {where})"
