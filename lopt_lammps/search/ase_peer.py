"""ASE's own global optimisers, the peers a user would pick instead of this package.

``ase-bh`` runs :class:`ase.optimize.basin.BasinHopping` and ``ase-mh``
:class:`ase.optimize.minimahopping.MinimaHopping` unchanged, on the system's LAMMPS
potential through :class:`EngineCalculator`: an ASE calculator over a one-replica
:class:`~lopt_lammps.engine.BatchedEngine` that counts every energy+force evaluation
(one call, whatever ASE asks of it, is one evaluation) and ends the run when the seed's
budget is spent. A seed's trace and minima are those of the other methods: the energy of
every converged local optimisation is a minimum, and the trace is the best minimum so far
against evaluations. Seed s starts from the same structure as seed s of every other method
(:class:`.common.StartGenerator`); ASE's random numbers (numpy's global generator, and the
MinimaHopping ``rng``) are seeded from s, so a seed's run is reproducible.

The parameters are those an ASE user would pick (see :func:`basin_hopping_parameters` and
:func:`minima_hopping_parameters`), with local optimisations to the package's force
tolerance so that minima are as tightly relaxed as every other method's.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from typing import Any, Callable, Iterator

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator, all_changes
from ase.data import atomic_masses, atomic_numbers
from ase.optimize import FIRE, QuasiNewton
from ase.optimize.basin import BasinHopping
from ase.optimize.minimahopping import MinimaHopping
from ase.optimize.optimize import Optimizer
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from ..engine import BatchedEngine
from ..errors import ReplicaEscapeError
from ..lammps_runtime import Accelerator
from ..replica_layout import dissociation_detector
from ..structures import to_atoms
from ..systems import COHESIVE_ENERGY, NEAREST_NEIGHBOUR, System
from .common import MINIMA_FORCE_TOLERANCE, StartGenerator, distinct_minima, force_unit
from .executors import Progress, reporter
from .result import SeedRun

#: Metropolis kT of ase-bh in cohesive energies per atom (about 0.12 eV for Ag-Cu)
BH_TEMPERATURE = 0.04
#: ase-bh's dr, the largest displacement per coordinate, in nearest-neighbour distances
BH_STEP = 0.4


class _BudgetSpent(Exception):
    """Raised by the calculator when the seed's evaluations are used up."""


class EngineCalculator(Calculator):
    """Energy and forces from one replica of ``engine``; at most ``budget`` evaluations."""

    implemented_properties = ["energy", "free_energy", "forces"]

    def __init__(self, engine: BatchedEngine, budget: int):
        super().__init__()
        self.engine = engine
        self.budget = budget
        self.evaluations = 0

    def check_state(self, atoms: Atoms, tol: float = 1e-15) -> list[str]:
        """Only positions can change (the system fixes elements and cell): comparing them
        alone spares ASE's full comparison, which costs more than a LAMMPS evaluation."""
        if self.atoms is None or not np.array_equal(atoms.positions, self.atoms.positions):
            return ["positions"]
        return []

    def calculate(self, atoms: Atoms | None = None, properties: Any = ("energy",), system_changes: Any = all_changes) -> None:
        super().calculate(atoms, properties, system_changes)
        if self.evaluations >= self.budget:
            raise _BudgetSpent
        energies, forces = self.engine.energy_forces(self.atoms.positions[None], check=False)
        self.evaluations += 1
        energy = float(energies[0])
        self.results = {"energy": energy, "free_energy": energy, "forces": forces[0].copy()}


def ase_units(system: System) -> tuple[float, float, float]:
    """Factors (energy, length, time) from ASE's eV, Angstrom and fs to the system's units.

    1 for potentials in LAMMPS ``metal`` units (eV, Angstrom). Reduced Lennard-Jones units
    (epsilon, sigma, mass 1) are mapped as if the system were silver: ASE's defaults, set
    for materials like it, become the same fractions of the cohesive energy, the
    nearest-neighbour distance and the vibrational time sqrt(m L^2 / E).
    """
    if system.potential.units == "metal":
        return 1.0, 1.0, 1.0
    mass = float(to_atoms(system, np.zeros((system.n_atoms, 3))).get_masses().mean())
    energy = system.energy_scale() / COHESIVE_ENERGY["Ag"]
    length = system.nearest_neighbour() / NEAREST_NEIGHBOUR["Ag"]
    time = length * math.sqrt(mass / atomic_masses[atomic_numbers["Ag"]] / energy)
    return energy, length, time


def fmax(system: System) -> float:
    """ASE's largest per-atom force at which a local optimisation has converged: low enough
    that the force 2-norm is below ``MINIMA_FORCE_TOLERANCE`` (the package's minima)."""
    return MINIMA_FORCE_TOLERANCE * force_unit(system) / math.sqrt(system.n_atoms)


def basin_hopping_parameters(system: System) -> dict[str, Any]:
    """``BasinHopping``'s arguments: kT = 0.04 E0 (0.12 eV for Ag-Cu, 0.34 epsilon for LJ),
    dr = 0.4 nearest-neighbour distances, ASE's FIRE (``BasinHopping``'s default, with its own
    defaults) to :func:`fmax`. ASE's basin hopping displaces every atom; it has no swap or
    single-atom moves and never restarts."""
    return {"temperature": BH_TEMPERATURE * system.energy_scale(), "dr": BH_STEP * system.nearest_neighbour(),
            "fmax": fmax(system), "optimizer": "FIRE"}


def minima_hopping_parameters(system: System) -> dict[str, Any]:
    """``MinimaHopping``'s defaults in the system's units (:func:`ase_units`), its
    quasi-Newton local optimiser, and local optimisations to :func:`fmax`."""
    energy, length, time = ase_units(system)
    defaults = MinimaHopping._default_settings
    return {"T0": defaults["T0"] * energy, "Ediff0": defaults["Ediff0"] * energy, "mdmin": defaults["mdmin"],
            "minima_threshold": defaults["minima_threshold"] * length, "timestep": defaults["timestep"] * time,
            "fmax": fmax(system), "optimizer": "QuasiNewton"}


class _Minima:
    """The minima a seed's ASE run converged to, and its trace of the best one."""

    def __init__(self, detect: Callable[[np.ndarray], np.ndarray] | None):
        self.detect = detect
        self.found: list[tuple[float, np.ndarray, int]] = []
        self.trace_evaluations: list[int] = []
        self.trace_energies: list[float] = []
        self.lost = 0

    def add(self, calculator: EngineCalculator) -> None:
        """The calculator's last evaluation is a minimum; dissociated ones do not count."""
        x, energy = calculator.atoms.positions.copy(), calculator.results["energy"]
        if self.detect is not None and self.detect(x[None])[0]:
            self.lost += 1
            return
        self.found.append((energy, x, calculator.evaluations))
        if not self.trace_energies or energy < self.trace_energies[-1]:
            self.trace_evaluations.append(calculator.evaluations)
            self.trace_energies.append(energy)


def _recording(optimizer: type[Optimizer], minima: _Minima, calculator: EngineCalculator) -> type[Optimizer]:
    """``optimizer`` telling ``minima`` of every minimum it converges to."""

    def run(self: Optimizer, *args: Any, **kwargs: Any) -> bool:
        converged = optimizer.run(self, *args, **kwargs)
        if converged:
            minima.add(calculator)
        return converged

    return type(f"Recording{optimizer.__name__}", (optimizer,), {"run": run})


def _basin_hopping(system: System, atoms: Atoms, local: type[Optimizer], budget: int, _rng: np.random.Generator) -> None:
    p = basin_hopping_parameters(system)
    hopping = BasinHopping(atoms, temperature=p["temperature"], optimizer=local, fmax=p["fmax"], dr=p["dr"],
                           logfile=None, trajectory=None, optimizer_logfile=None, local_minima_trajectory=None)
    hopping.run(budget)  # every hop costs at least one evaluation: the budget ends it first


def _minima_hopping(system: System, atoms: Atoms, local: type[Optimizer], _budget: int, rng: np.random.Generator) -> None:
    p = minima_hopping_parameters(system)
    settings = {k: v for k, v in p.items() if k != "optimizer"}
    with tempfile.TemporaryDirectory(prefix="lopt-lammps-ase-mh-") as folder, _working_directory(folder):
        MinimaHopping(atoms, optimizer=local, rng=rng, **settings)()  # runs until the budget ends it


_PEERS = {"ase-bh": (_basin_hopping, FIRE, basin_hopping_parameters),
          "ase-mh": (_minima_hopping, QuasiNewton, minima_hopping_parameters)}


def run_peer(
    system: System,
    method: str,
    budget: int,
    seeds: list[int],
    starts: dict[int, np.ndarray],
    accelerator: Accelerator | str | None = None,
    progress: Progress = False,
) -> tuple[list[SeedRun], dict[str, Any]]:
    """Each seed's run of ``method`` (``ase-bh`` or ``ase-mh``), one after the other, and its parameters."""
    hop, local, parameters = _PEERS[method]
    report = reporter(progress)
    runs = []
    # ASE's quasi-Newton works on small matrices: BLAS threads would only compete with LAMMPS
    with threadpool_limits(1, user_api="blas"), BatchedEngine(system, 1, accelerator) as engine:
        detect = dissociation_detector(system, engine.slot_radius)
        for seed in tqdm(seeds, desc=system.formula, unit="seed", disable=progress is not True):
            runs.append(_seed_run(system, engine, hop, local, budget, seed, starts.get(seed), detect))
            report(runs[-1].evaluations)
    return runs, parameters(system)


def _seed_run(system: System, engine: BatchedEngine, hop: Callable, local: type[Optimizer], budget: int, seed: int,
              first: np.ndarray | None, detect: Callable | None) -> SeedRun:
    """One seed: ASE runs from the seed's starts until the budget is spent. A run whose
    cluster leaves its slot in the engine (it dissociated) gives way to one from a new start."""
    calculator = EngineCalculator(engine, budget)
    minima = _Minima(detect)
    optimizer = _recording(local, minima, calculator)
    starts = StartGenerator(system, seed, first)
    restarts = 0
    with _numpy_seeded([seed, 4]):
        rng = np.random.default_rng([seed, 5])
        while True:
            atoms = to_atoms(system, starts())
            atoms.calc = calculator
            try:
                hop(system, atoms, optimizer, budget, rng)
            except _BudgetSpent:
                break
            except ReplicaEscapeError:
                pass
            restarts += 1
    return SeedRun(seed, calculator.evaluations, minima.trace_evaluations, minima.trace_energies,
                   distinct_minima(system, seed, minima.found),
                   {"local_minima": len(minima.found), "lost": minima.lost, "restarts": restarts})


@contextlib.contextmanager
def _numpy_seeded(seed: list[int]) -> Iterator[None]:
    """numpy's global generator (ASE's basin hopping draws from it) seeded, then restored."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


@contextlib.contextmanager
def _working_directory(folder: str) -> Iterator[None]:
    """Run in ``folder`` (MinimaHopping writes its logs and trajectories to the current one)."""
    previous = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(previous)
