"""Large periodic cells over MPI ranks: the same energies on 1 and 2 ranks, and as the engine gives."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from environment import MPIRUN
from lopt_lammps.distributed import Crystal, relax_cell
from lopt_lammps.engine import BatchedEngine
from lopt_lammps.errors import ConfigError
from lopt_lammps.optimizers import Adam
from lopt_lammps.systems import System


def _relax_over_ranks(ranks: int, tmp_path: Path, evaluations: int = 120, rule: str = "adam") -> dict:
    out = tmp_path / f"{rule}-ranks{ranks}.json"
    run = subprocess.run([MPIRUN, "-np", str(ranks), sys.executable, "-m", "lopt_lammps.cli", "relax-cell", "Si1000", "--rule", rule,
                          "--evaluations", str(evaluations), "--rattle", "0.12", "--json", str(out)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, f"relax-cell on {ranks} rank(s) exited with {run.returncode}:\n{run.stdout}\n{run.stderr}"
    return json.loads(out.read_text())


@pytest.mark.skipif(MPIRUN is None, reason="no mpirun (install lammps[mpi])")
def test_two_ranks_give_the_energies_of_one(tmp_path):
    one, two = _relax_over_ranks(1, tmp_path), _relax_over_ranks(2, tmp_path)
    assert (one["ranks"], two["ranks"]) == (1, 2)
    assert one["evaluations"] == two["evaluations"] == 120
    # the relaxation goes somewhere: the rattled cell falls back towards the crystal
    assert one["energies"][-1] < one["energies"][0] - 500
    np.testing.assert_allclose(two["energies"], one["energies"], rtol=1e-11, atol=1e-8)


@pytest.mark.skipif(MPIRUN is None, reason="no mpirun (install lammps[mpi])")
def test_the_learned_rule_runs_over_ranks(tmp_path):
    one, two = _relax_over_ranks(1, tmp_path, 40, "learned"), _relax_over_ranks(2, tmp_path, 40, "learned")
    assert one["energies"][-1] < one["energies"][0] - 500
    # identical features and arithmetic per atom; the forces' round-off, seen through the
    # single-precision network, drives the trajectories apart only slowly (about 1e-9 after
    # 20 evaluations, 1e-6 after 40 here)
    np.testing.assert_allclose(two["energies"][:20], one["energies"][:20], rtol=1e-7)
    np.testing.assert_allclose(two["energies"], one["energies"], rtol=1e-4)


def test_one_rank_follows_the_engine_step_by_step():
    crystal = Crystal.parse("Si1000")
    start = crystal.positions(0.12, seed=4)
    distributed = relax_cell(crystal, "adam", 40, rattle=0.12, seed=4)
    system = System.parse("Si1000", boundary="periodic")
    rule, energies = Adam(), []

    def step(x, f, e):
        nonlocal state
        energies.append(float(e[0]))
        state = state or rule.init(x, f, e)
        new_x, state = rule.step(state, x, f, e)
        return new_x

    state = None
    with BatchedEngine(system, 1) as engine:
        engine.set_positions(start[None], check=False)
        engine.run(40, step)
    np.testing.assert_allclose(distributed.energies, energies, rtol=1e-11, atol=1e-8)


def test_rules_that_couple_atoms_and_odd_cells_are_refused():
    with pytest.raises(ConfigError, match="cannot run over MPI ranks.*use one of adam, gd, learned"):
        relax_cell(Crystal.parse("Si64"), "fire", 10)
    with pytest.raises(ConfigError, match="8 k\\^3 atoms"):
        Crystal.parse("Si100")
    with pytest.raises(ConfigError, match="one element"):
        Crystal.parse("Ag30Cu8")
    with pytest.raises(ConfigError, match="too small for the learned rule"):
        relax_cell(Crystal.parse("Si216"), "learned", 10)
    with pytest.raises(ConfigError, match="--network-device is for the learned rule"):
        relax_cell(Crystal.parse("Si512"), "adam", 10, network_device="cpu")
    assert Crystal.parse("Cu4000").repeats == 10


def test_the_learned_rule_with_its_network_on_a_torch_device_relaxes_as_compiled():
    """network_device="cpu" takes the path a GPU takes; it agrees with the compiled network to round-off."""
    crystal = Crystal.parse("Si512")
    compiled = relax_cell(crystal, "learned", 12, seed=1)
    on_device = relax_cell(crystal, "learned", 12, seed=1, network_device="cpu")
    np.testing.assert_allclose(on_device.energies, compiled.energies, rtol=1e-7)
    assert compiled.energies[-1] < compiled.energies[0]
