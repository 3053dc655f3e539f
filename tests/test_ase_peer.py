"""ASE's BasinHopping and MinimaHopping as search methods on the engine's potential."""

import numpy as np
import pytest
from ase.cluster import Icosahedron

from lopt_lammps.engine import BatchedEngine
from lopt_lammps.references import reference_energy
from lopt_lammps.search import search
from lopt_lammps.search.ase_peer import EngineCalculator, _BudgetSpent
from lopt_lammps.search.common import MINIMA_FORCE_TOLERANCE, StartGenerator, force_unit
from lopt_lammps.structures import to_atoms
from lopt_lammps.systems import System

LJ13 = System.parse("LJ13")


def test_calculator_counts_every_evaluation_and_stops_at_the_budget():
    x = StartGenerator(LJ13, 0)()
    with BatchedEngine(LJ13, 1) as engine:
        atoms = to_atoms(LJ13, x)
        atoms.calc = EngineCalculator(engine, budget=2)
        energy = atoms.get_potential_energy()
        forces = atoms.get_forces()  # same positions: no new evaluation
        assert atoms.calc.evaluations == 1
        e, f = engine.energy_forces(x[None])
        assert energy == pytest.approx(e[0], abs=1e-10) and np.allclose(forces, f[0], atol=1e-10)
        atoms.positions[0] += 0.01
        atoms.get_forces()
        assert atoms.calc.evaluations == 2
        atoms.positions[0] += 0.01
        with pytest.raises(_BudgetSpent):
            atoms.get_potential_energy()
        assert atoms.calc.evaluations == 2


@pytest.mark.parametrize("method", ["ase-bh", "ase-mh"])
def test_budget_trace_and_minima(method, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = search(LJ13, method, 1500, seeds=[0])
    run = result.runs[0]
    assert run.evaluations == 1500  # the run goes on until the budget is spent, never beyond
    assert run.trace_evaluations == sorted(run.trace_evaluations) and all(np.diff(run.trace_energies) < 0)
    assert 0 < run.trace_evaluations[0] and run.trace_evaluations[-1] <= 1500
    # the trace holds relaxed minima only: its best is the lowest minimum
    assert run.minima[0].energy == pytest.approx(run.trace_energies[-1], abs=1e-9)
    assert run.notes["local_minima"] >= len(run.minima) >= 1 and run.notes["local_minima"] > 1
    assert result.settings["fmax"] * np.sqrt(13) == pytest.approx(MINIMA_FORCE_TOLERANCE * force_unit(LJ13))
    assert list(tmp_path.iterdir()) == []  # MinimaHopping's logs and trajectories went to a temporary folder


@pytest.mark.parametrize("method", ["ase-bh", "ase-mh"])
def test_seeds_are_reproducible_and_independent(method):
    np.random.seed(1)
    alone = search(LJ13, method, 800, seeds=[1]).runs[0]
    np.random.seed(2)
    state = np.random.get_state()
    beside = search(LJ13, method, 800, seeds=[0, 1]).runs[1]
    assert (alone.trace_evaluations, alone.trace_energies) == (beside.trace_evaluations, beside.trace_energies)
    assert [m.energy for m in alone.minima] == [m.energy for m in beside.minima]
    assert np.array_equal(np.random.get_state()[1], state[1])  # the caller's global generator is left as it was


def test_seed_starts_from_the_structure_of_every_other_method(monkeypatch):
    seen = []
    calculate = EngineCalculator.calculate

    def spy(self, atoms=None, *args, **kwargs):
        seen.append(atoms.positions.copy())
        return calculate(self, atoms, *args, **kwargs)

    monkeypatch.setattr(EngineCalculator, "calculate", spy)
    search(LJ13, "ase-bh", 5, seeds=[4])
    np.testing.assert_allclose(seen[0], StartGenerator(LJ13, 4)(), atol=1e-12)


def test_a_given_start_is_used():
    x = Icosahedron("Ar", 2, latticeconstant=2 ** (1 / 6) * np.sqrt(2)).positions
    run = search(LJ13, "ase-mh", 300, seeds=[0], starts={0: x}).runs[0]
    assert run.trace_energies[0] == pytest.approx(reference_energy("LJ13"), abs=1e-5)


def test_basin_hopping_finds_the_lj13_global_minimum():
    result = search(LJ13, "ase-bh", 1500, seeds=[3])
    assert result.hits(reference_energy("LJ13"), 1e-3) != [None]
