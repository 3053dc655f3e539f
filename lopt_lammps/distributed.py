"""One large periodic cell relaxed by a per-atom update rule over MPI ranks.

Run under ``mpirun -np K`` (``lopt-lammps relax-cell``): LAMMPS splits the cell into K
subdomains, and at every evaluation each rank applies the rule to the atoms it owns,
inside the ``fix external`` callback. The rule's per-atom state lives in a LAMMPS per-atom
array (``fix property/atom``), so it moves with its atom from rank to rank; the energy the
rule sees is the cell's total, a LAMMPS reduction over the ranks. Every atom's arithmetic
is then the same on any number of ranks, and energies agree with a one-rank run to the
round-off of the force and energy sums.

Rules whose step treats each atom on its own run unchanged (:data:`PER_ATOM_RULES`: Adam
and gradient descent). The learned rule runs with its coordination features summed over
the rank's own and ghost atoms within a cutoff (twice its largest radius; over all atoms
in the single-process engine) and its noise drawn per atom ID (:class:`LearnedCellRule`).
FIRE couples all atoms through its global power and L-BFGS through its dot products: they
are refused.
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
from .optimizers import Adam, GradientDescent, LearnedOptimizer, LearnedOptimizerNet
from .optimizers.base import UpdateRule
from .optimizers.learned_features import coordination_within, counter_normal
from .potentials import Potential, default_potential
from .systems import Scales, cohesive_energy, nearest_neighbour, parse_formula, volume_per_atom

#: rules whose step treats each atom on its own -> (factory, names of their per-atom state
#: entries, each (B, N, 3))
PER_ATOM_RULES: dict[str, tuple[type, tuple[str, ...]]] = {
    "adam": (Adam, ("m", "v")),
    "gd": (GradientDescent, ()),
}
#: the rules relax-cell runs
RULES = ("adam", "gd", "learned")
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

    def scales(self) -> Scales:
        """The crystal's natural units, as update rules take them (like :meth:`System.scales`)."""
        return Scales(nearest_neighbour(self.element), cohesive_energy(self.element), self.n_atoms, self.edge())

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
    n_atoms: int
    rule: str
    ranks: int
    evaluations: int
    energies: list[float]
    seconds: float
    rank: int = 0

    @property
    def microseconds_per_atom_step(self) -> float:
        return 1e6 * self.seconds / (self.evaluations * self.n_atoms)

    def to_json(self) -> str:
        fields = {k: v for k, v in asdict(self).items() if k != "rank"}
        return json.dumps({**fields, "microseconds_per_atom_step": self.microseconds_per_atom_step})


class PerAtomRule:
    """A rule whose step treats every atom on its own (Adam, gradient descent), applied to a
    rank's own atoms; its per-atom state entries (each (B, N, 3)) live in LAMMPS."""

    ghost_cutoff = 0.0

    def __init__(self, rule: UpdateRule, per_atom: tuple[str, ...]):
        self.rule, self.per_atom = rule, per_atom
        self.columns = 3 * max(len(per_atom), 1)
        self.replica_state: dict[str, Any] = {}

    def step(self, x: np.ndarray, n_own: int, ids: np.ndarray, forces: np.ndarray, energy: float,
             store: np.ndarray) -> np.ndarray:
        """New positions (n_own, 3) of the rank's own atoms, the first ``n_own`` of x (M, 3)."""
        here, e = np.ascontiguousarray(x[:n_own][None]), np.array([energy])
        if not self.replica_state:  # the first evaluation: the rule's fresh state
            fresh = self.rule.init(here, forces[None], e)
            self.replica_state = {k: v for k, v in fresh.items() if k not in self.per_atom}
        state = {**self.replica_state, **{k: store[:, 3 * j:3 * j + 3][None] for j, k in enumerate(self.per_atom)}}
        new_x, new_state = self.rule.step(state, here, np.ascontiguousarray(forces[None]), e)
        for j, k in enumerate(self.per_atom):
            store[:, 3 * j:3 * j + 3] = new_state[k][0]
        self.replica_state = {k: v for k, v in new_state.items() if k not in self.per_atom}
        return new_x[0]


class LearnedCellRule:
    """The learned update rule on a rank's own atoms. Its coordination features are summed
    over own and ghost atoms within twice the largest coordination radius, in the order of
    atom IDs (:func:`~.optimizers.learned_features.coordination_within`); its noise is that of
    each atom's ID; its per-atom moments (3 x 3 and 1 per atom) live in LAMMPS."""

    columns = 10

    def __init__(self, net: LearnedOptimizerNet, crystal: Crystal, evaluations: int, seed: int,
                 network_device: str | None = None):
        scales = crystal.scales()
        self.rule = LearnedOptimizer(net, scales, evaluations, [seed], device=network_device)
        self.length, self.n_atoms, self.seed = scales.length, crystal.n_atoms, seed
        self.radii = np.array(net.config.coordination_radii, dtype=np.float64)
        self.ghost_cutoff = 2 * float(self.radii.max()) * self.length
        if crystal.edge() <= 2 * self.ghost_cutoff:
            raise ConfigError(f"{crystal.formula}'s cell ({crystal.edge():.2f}) is too small for the learned rule over "
                              f"ranks: its edge must exceed {2 * self.ghost_cutoff:.2f}; take a larger cell")
        self.replica_state: dict[str, Any] = {}

    def step(self, x: np.ndarray, n_own: int, ids: np.ndarray, forces: np.ndarray, energy: float,
             store: np.ndarray) -> np.ndarray:
        here, f, e = np.ascontiguousarray(x[:n_own][None]), np.ascontiguousarray(forces[None]), np.array([energy])
        if not self.replica_state:
            self.replica_state = {k: v for k, v in self.rule.init(here, f, e).items() if k not in ("m", "v")}
        state = {**self.replica_state, "m": np.ascontiguousarray(store[:, :9].reshape(n_own, 3, 3).transpose(1, 0, 2)[None]),
                 "v": np.ascontiguousarray(store[:, 9][None])}
        cn = np.empty((1, n_own, len(self.radii)), dtype=np.float32)
        coordination_within(np.ascontiguousarray(x), n_own, ids, self.length, self.radii, self.ghost_cutoff, cn)
        components = (3 * (ids[:n_own, None] - 1) + np.arange(3)).reshape(-1)
        mine = counter_normal(np.array([self.seed]), state["calls"] + 1, 3 * self.n_atoms, components)
        new_x, new_state = self.rule.step(state, here, f, e, cn, mine)
        store[:, :9] = new_state["m"][0].transpose(1, 0, 2).reshape(n_own, 9)
        store[:, 9] = new_state["v"][0]
        self.replica_state = {k: v for k, v in new_state.items() if k not in ("m", "v")}
        return new_x[0]


def make_rule(name: str, crystal: Crystal, evaluations: int, seed: int = 0, optimizer: str | Path | None = None,
              network_device: str | None = None, **settings: float) -> PerAtomRule | LearnedCellRule:
    """The rank-local form of rule ``name`` (``network_device``: the torch device of the
    learned rule's network, default the compiled CPU one); rules that couple atoms get a
    one-line refusal."""
    if network_device is not None and name != "learned":
        raise ConfigError(f"--network-device is for the learned rule; {name} has no network")
    if name == "learned":
        from .search.methods import load_optimizer

        if settings:
            options = ", ".join("--" + key.replace("_", "-") for key in sorted(settings))
            raise ConfigError(f"{options}: only adam and gd take step settings; the learned rule's steps come from its network")

        return LearnedCellRule(load_optimizer(optimizer), crystal, evaluations, seed, network_device)
    if name not in PER_ATOM_RULES:
        raise ConfigError(f"rule {name!r} cannot run over MPI ranks: it couples atoms across the cell; "
                          f"use one of {', '.join(RULES)}")
    factory, per_atom = PER_ATOM_RULES[name]
    return PerAtomRule(factory(**settings), per_atom)


def relax_cell(crystal: Crystal, rule_name: str, evaluations: int, rattle: float = 0.08, seed: int = 0,
               rule_settings: dict[str, float] | None = None, log_file: str | None = None,
               positions_out: Path | None = None, optimizer: str | Path | None = None,
               network_device: str | None = None) -> CellRelaxation:
    """Relax the rattled ``crystal`` for ``evaluations`` energy+force evaluations with rule
    ``rule_name`` (``optimizer``: the learned rule's network file, ``"untrained"``, or None for
    the shipped one; ``network_device``: see :func:`make_rule`), on all the ranks this process
    runs with (collective: every rank calls it)."""
    if evaluations < 1:
        raise ConfigError(f"the number of evaluations must be positive, got {evaluations}")
    rule = make_rule(rule_name, crystal, evaluations, seed, optimizer, network_device, **(rule_settings or {}))
    lmp = start_lammps(log_file=log_file, parallel=True)
    try:
        _build(lmp, crystal, crystal.positions(rattle, seed), rule.columns, rule.ghost_cutoff)
        energies: list[float] = []
        timed = False

        def callback(_caller: object, _step: int, nlocal: int, _tags: np.ndarray, _x: np.ndarray, fext: np.ndarray) -> None:
            fext[:] = 0.0
            if not timed:
                return
            energy = float(lmp.numpy.extract_compute("lopt_energy", 0, 0))  # a reduction over the ranks
            energies.append(energy)
            if len(energies) == evaluations:
                return  # the last evaluation: nothing moves after it
            n_all = nlocal + int(lmp.extract_global("nghost"))
            x = lmp.numpy.extract_atom("x", nelem=n_all, dim=3)
            ids = lmp.numpy.extract_atom("id", nelem=n_all)
            store = lmp.numpy.extract_atom("d2_lopt_state", nelem=nlocal, dim=rule.columns)
            x[:nlocal] = rule.step(x, nlocal, ids, lmp.numpy.extract_atom("f", nelem=nlocal, dim=3), energy, store)

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
    return CellRelaxation(crystal.formula, crystal.n_atoms, rule_name, ranks, len(energies), energies, seconds, rank)


def _command(lmp: Any, command: str) -> None:
    try:
        lmp.command(command)
    except Exception as err:
        raise EngineError(f"LAMMPS command {command!r} failed: {err}") from err


def create_cell(lmp: Any, crystal: Crystal, positions: np.ndarray, ghost_cutoff: float = 0.0,
                commands: tuple[str, ...] = ()) -> None:
    """The crystal's periodic cell in ``lmp``: box, potential, neighbour lists, ghost atoms as far as
    ``ghost_cutoff``, then ``commands``, then the atoms at ``positions`` (collective)."""
    edge = crystal.edge()
    skin = NEIGHBOUR_SKIN[crystal.potential.units]
    reach = crystal.potential.cutoff([crystal.element]) + skin
    # ghost atoms as far as the rule looks, wherever atoms moved since the last neighbour list
    ghosts = [f"comm_modify cutoff {ghost_cutoff + skin!r}"] if ghost_cutoff + skin > reach else []
    # room for the neighbours within the cutoff and skin, with a margin (Lennard-Jones has a long cutoff)
    per_atom = int(1.5 * 4 / 3 * math.pi * reach**3 / volume_per_atom(crystal.element)) + 100
    for command in [
        f"units {crystal.potential.units}",
        "atom_style atomic",
        "atom_modify map array",
        f"region lopt_box block 0 {edge!r} 0 {edge!r} 0 {edge!r}",
        "create_box 1 lopt_box",
        *crystal.potential.lammps_commands([crystal.element]),
        f"neighbor {skin!r} bin",
        f"neigh_modify one {per_atom} page {max(100_000, 20 * per_atom)}",
        *ghosts,
        *commands,
    ]:
        _command(lmp, command)
    n = crystal.n_atoms
    # every rank passes all atoms; each keeps those inside its subdomain (wrapped into the cell)
    lmp.create_atoms(n, list(range(1, n + 1)), [1] * n, np.mod(positions, edge).ravel().tolist())


def _build(lmp: Any, crystal: Crystal, positions: np.ndarray, state_columns: int, ghost_cutoff: float) -> None:
    """The cell with what a rule's relaxation adds: its per-atom state, the energy every step, the callback."""
    create_cell(lmp, crystal, positions, ghost_cutoff, (
        f"fix lopt_state all property/atom d2_lopt_state {state_columns}",
        "compute lopt_energy all pe",
        # a fix that asks for the energy every step makes LAMMPS tally it every step
        "fix lopt_tally all ave/time 1 1 1 c_lopt_energy",
        "fix lopt_ext all external pf/callback 1 1",
        "thermo 0",
    ))


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
