"""One large periodic cell relaxed by a per-atom update rule over MPI ranks.

Run under ``mpirun -np K`` (``lopt-lammps relax-cell``): LAMMPS splits the cell into K
subdomains, and at every evaluation each rank applies the rule to the atoms it owns,
inside the ``fix external`` callback. The rule's per-atom state lives in a LAMMPS per-atom
array (``fix property/atom``), so it moves with its atom from rank to rank; the energy the
rule sees is the cell's total, a LAMMPS reduction over the ranks. Every atom's arithmetic
is then the same on any number of ranks, and energies agree with a one-rank run to the
round-off of the force and energy sums.

Only rules whose step treats each atom on its own can run this way (:data:`PER_ATOM_RULES`:
Adam and gradient descent). FIRE couples all atoms through its global power, L-BFGS
through its dot products, and the learned rule through its coordination features.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .engine import NEIGHBOUR_SKIN
from .errors import ConfigError, EngineError
from .lammps_runtime import start_lammps
from .optimizers import Adam, GradientDescent
from .optimizers.base import UpdateRule
from .potentials import Potential, default_potential
from .systems import parse_formula, volume_per_atom

#: rule name -> (factory, names of its per-atom state entries, each (B, N, 3))
PER_ATOM_RULES: dict[str, tuple[type, tuple[str, ...]]] = {
    "adam": (Adam, ("m", "v")),
    "gd": (GradientDescent, ()),
}
#: atoms in the conventional cubic cell of each crystal
_CELL_ATOMS = {"diamond": 8, "fcc": 4}
#: the fcc sites of the conventional cubic cell, in lattice constants (diamond adds a copy
#: shifted by a quarter of the body diagonal)
_FCC = np.array([[0.0, 0.0, 0.0], [0.0, 0.5, 0.5], [0.5, 0.0, 0.5], [0.5, 0.5, 0.0]])


@dataclass(frozen=True)
class Crystal:
    """A cubic crystal of one element, ``repeats`` conventional cells along each axis."""

    element: str
    structure: str
    repeats: int
    potential: Potential

    @classmethod
    def parse(cls, formula: str, potential: Potential | None = None) -> "Crystal":
        """``Si1000`` -> diamond Si, 5 x 5 x 5 cells; ``Cu4000`` -> fcc Cu, 10 x 10 x 10."""
        counts = parse_formula(formula)
        if len(counts) != 1:
            raise ConfigError(f"relax-cell builds crystals of one element; {formula} has {len(counts)}")
        element, n_atoms = counts[0]
        structure = "diamond" if element == "Si" else "fcc"
        repeats = round((n_atoms / _CELL_ATOMS[structure]) ** (1 / 3))
        if _CELL_ATOMS[structure] * repeats**3 != n_atoms:
            sizes = ", ".join(str(_CELL_ATOMS[structure] * k**3) for k in range(2, 9))
            raise ConfigError(f"a cubic {structure} cell of {element} holds {_CELL_ATOMS[structure]} k^3 atoms "
                              f"({sizes}, ...), not {n_atoms}")
        return cls(element, structure, repeats, potential or default_potential([element]))

    @property
    def n_atoms(self) -> int:
        return _CELL_ATOMS[self.structure] * self.repeats**3

    @property
    def formula(self) -> str:
        return f"{self.element}{self.n_atoms}"

    def lattice_constant(self) -> float:
        return float((_CELL_ATOMS[self.structure] * volume_per_atom(self.element)) ** (1 / 3))

    def edge(self) -> float:
        return self.repeats * self.lattice_constant()

    def positions(self, rattle: float, seed: int) -> np.ndarray:
        """The crystal's sites (N, 3), each displaced by a Gaussian of ``rattle``
        nearest-neighbour distances per axis."""
        basis = _FCC if self.structure == "fcc" else np.vstack([_FCC, _FCC + 0.25])
        cells = np.stack(np.meshgrid(*[np.arange(self.repeats)] * 3, indexing="ij"), axis=-1).reshape(-1, 1, 3)
        sites = ((cells + basis[None]) * self.lattice_constant()).reshape(-1, 3)
        nearest = self.lattice_constant() * (math.sqrt(3) / 4 if self.structure == "diamond" else math.sqrt(0.5))
        return sites + np.random.default_rng(seed).normal(scale=rattle * nearest, size=sites.shape)


@dataclass
class CellRelaxation:
    """What a distributed relaxation measured (the same on every rank, but for ``rank``)."""

    formula: str
    rule: str
    ranks: int
    evaluations: int
    energies: list[float]
    seconds: float
    rank: int = 0

    @property
    def microseconds_per_atom_step(self) -> float:
        n_atoms = Crystal.parse(self.formula).n_atoms
        return 1e6 * self.seconds / (self.evaluations * n_atoms)

    def to_json(self) -> str:
        fields = {k: v for k, v in asdict(self).items() if k != "rank"}
        return json.dumps({**fields, "microseconds_per_atom_step": self.microseconds_per_atom_step})


def make_rule(name: str, **settings: float) -> tuple[UpdateRule, tuple[str, ...]]:
    """A per-atom rule and its per-atom state entries; other rules get a one-line refusal."""
    if name not in PER_ATOM_RULES:
        raise ConfigError(f"rule {name!r} cannot run over MPI ranks: it couples atoms across the cell; "
                          f"use one of {', '.join(PER_ATOM_RULES)}")
    factory, per_atom = PER_ATOM_RULES[name]
    return factory(**settings), per_atom


def relax_cell(crystal: Crystal, rule_name: str, evaluations: int, rattle: float = 0.08, seed: int = 0,
               rule_settings: dict[str, float] | None = None, log_file: str | None = None,
               positions_out: Path | None = None) -> CellRelaxation:
    """Relax the rattled ``crystal`` for ``evaluations`` energy+force evaluations with a
    per-atom rule, on all the ranks this process runs with (collective: every rank calls it)."""
    if evaluations < 1:
        raise ConfigError(f"the number of evaluations must be positive, got {evaluations}")
    rule, per_atom = make_rule(rule_name, **(rule_settings or {}))
    lmp = start_lammps(log_file=log_file, parallel=True)
    try:
        _build(lmp, crystal, crystal.positions(rattle, seed), 3 * max(len(per_atom), 1))
        energies: list[float] = []
        replica_state: dict[str, Any] = {}
        timed = False

        def callback(_caller: object, _step: int, nlocal: int, _tags: np.ndarray, x: np.ndarray, fext: np.ndarray) -> None:
            fext[:] = 0.0
            if not timed:
                return
            energy = float(lmp.numpy.extract_compute("lopt_energy", 0, 0))  # a reduction over the ranks
            energies.append(energy)
            if len(energies) == evaluations:
                return  # the last evaluation: nothing moves after it
            forces = lmp.numpy.extract_atom("f")[:nlocal][None]
            store = lmp.numpy.extract_atom("d2_lopt_state")
            here = x[:nlocal][None]
            if not replica_state:  # the first evaluation: the rule's fresh state
                fresh = rule.init(here, forces, np.array([energy]))
                replica_state.update({k: v for k, v in fresh.items() if k not in per_atom})
            state = {**replica_state, **{k: store[:nlocal, 3 * j:3 * j + 3][None] for j, k in enumerate(per_atom)}}
            new_x, new_state = rule.step(state, np.ascontiguousarray(here), np.ascontiguousarray(forces), np.array([energy]))
            x[:nlocal] = new_x[0]
            for j, k in enumerate(per_atom):
                store[:nlocal, 3 * j:3 * j + 3] = new_state[k][0]
            replica_state.update({k: v for k, v in new_state.items() if k not in per_atom})

        lmp.set_fix_external_callback("lopt_ext", callback)
        _command(lmp, "run 0 post no")  # LAMMPS's set-up (neighbour lists, communication), untimed
        timed = True
        started = time.perf_counter()
        _command(lmp, f"run {evaluations - 1} post no")  # the fix runs at set-up and after each step
        seconds = time.perf_counter() - started
        ranks, rank = int(lmp.extract_setting("world_size")), int(lmp.extract_setting("world_rank"))
        if positions_out is not None:
            _write_positions(lmp, crystal, positions_out)
    finally:
        lmp.close()
    return CellRelaxation(crystal.formula, rule_name, ranks, len(energies), energies, seconds, rank)


def _command(lmp: Any, command: str) -> None:
    try:
        lmp.command(command)
    except Exception as err:
        raise EngineError(f"LAMMPS command {command!r} failed: {err}") from err


def _build(lmp: Any, crystal: Crystal, positions: np.ndarray, state_columns: int) -> None:
    edge = crystal.edge()
    skin = NEIGHBOUR_SKIN[crystal.potential.units]
    reach = crystal.potential.cutoff([crystal.element]) + skin
    # room for the neighbours within the cutoff and skin, with a margin (Lennard-Jones has a long cutoff)
    per_atom = int(1.5 * 4 / 3 * math.pi * reach**3 / volume_per_atom(crystal.element)) + 100
    for command in [
        f"units {crystal.potential.units}",
        "atom_style atomic",
        "atom_modify map array",
        f"region lopt_box block 0 {edge!r} 0 {edge!r} 0 {edge!r}",
        "create_box 1 lopt_box",
        f"fix lopt_state all property/atom d2_lopt_state {state_columns}",
        *crystal.potential.lammps_commands([crystal.element]),
        f"neighbor {skin!r} bin",
        f"neigh_modify one {per_atom} page {max(100_000, 20 * per_atom)}",
        "compute lopt_energy all pe",
        # a fix that asks for the energy every step makes LAMMPS tally it every step
        "fix lopt_tally all ave/time 1 1 1 c_lopt_energy",
        "fix lopt_ext all external pf/callback 1 1",
        "thermo 0",
    ]:
        _command(lmp, command)
    n = crystal.n_atoms
    # every rank passes all atoms; each keeps those inside its subdomain (wrapped into the cell)
    lmp.create_atoms(n, list(range(1, n + 1)), [1] * n, np.mod(positions, edge).ravel().tolist())


def _write_positions(lmp: Any, crystal: Crystal, path: Path) -> None:
    """The final structure, ordered by atom ID, written by rank 0 (collective gather)."""
    x = np.ctypeslib.as_array(lmp.gather_atoms("x", 1, 3)).reshape(crystal.n_atoms, 3)
    if lmp.extract_setting("world_rank") == 0:
        from ase import Atoms
        from ase.io import write

        from .paths import replacing

        atoms = Atoms([crystal.element] * crystal.n_atoms, positions=x, cell=[crystal.edge()] * 3, pbc=True)
        with replacing(path) as tmp:
            write(tmp, atoms, format="extxyz")
