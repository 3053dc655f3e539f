"""The batched engine: independence of replicas, the step callback, containment, bad input."""

import numpy as np
import pytest

from lopt_lammps.engine import BatchedEngine
from lopt_lammps.errors import EngineError, ReplicaEscapeError, StructureError
from lopt_lammps.structures import random_batch
from lopt_lammps.systems import System

SYSTEMS = [("LJ13", "cluster"), ("Ag30Cu8", "cluster"), ("Si64", "periodic")]


@pytest.mark.parametrize("formula, boundary", SYSTEMS)
def test_replica_energy_does_not_depend_on_the_others(formula, boundary):
    system = System.parse(formula, boundary=boundary)
    x = random_batch(system, 5, seed=1)
    with BatchedEngine(system, 5) as batch, BatchedEngine(system, 1) as single:
        e, f = batch.energy_forces(x)
        for b in range(5):
            e1, f1 = single.energy_forces(x[b : b + 1])
            assert e[b] == pytest.approx(e1[0], rel=1e-12, abs=1e-10)
            np.testing.assert_allclose(f[b], f1[0], rtol=1e-10, atol=1e-10)
        # changing the other replicas leaves replica 0 untouched
        other = x.copy()
        other[1:] = random_batch(system, 5, seed=2)[1:]
        e2, f2 = batch.energy_forces(other)
        assert e2[0] == pytest.approx(e[0], rel=1e-12, abs=1e-10)
        np.testing.assert_allclose(f2[0], f[0], rtol=1e-10, atol=1e-10)


def test_periodic_replicas_overlap_without_interacting():
    """Periodic cells share one box; identical cells must give identical energies."""
    system = System.parse("Si64", boundary="periodic")
    x = random_batch(system, 1, seed=3)
    with BatchedEngine(system, 3) as batch, BatchedEngine(system, 1) as single:
        e, _ = batch.energy_forces(np.repeat(x, 3, axis=0))
        np.testing.assert_allclose(e, single.energy_forces(x)[0][0], rtol=1e-12)


def test_run_calls_back_once_per_evaluation_with_current_energies():
    system = System.parse("LJ13")
    x = random_batch(system, 2, seed=0)
    seen = []
    with BatchedEngine(system, 2) as engine, BatchedEngine(system, 2) as check:
        engine.set_positions(x)

        def descend(pos, forces, energies):
            # energies and forces must be those of the positions handed in
            e_ref, f_ref = check.energy_forces(pos)
            np.testing.assert_allclose(energies, e_ref, rtol=1e-10)
            np.testing.assert_allclose(forces, f_ref, rtol=1e-8, atol=1e-8)
            seen.append(energies.copy())
            return pos + np.clip(1e-3 * forces, -0.05, 0.05)

        assert engine.run(25, descend) == 25
        assert len(seen) == 25 and engine.evaluations == 25
        assert np.all(seen[-1] < seen[0])


def test_stop_ends_a_run_early():
    system = System.parse("LJ13")
    with BatchedEngine(system, 1) as engine:
        engine.set_positions(random_batch(system, 1, seed=0))
        calls = []

        def three_then_stop(pos, forces, energies):
            calls.append(1)
            if len(calls) == 3:
                engine.stop()
            return pos

        assert engine.run(1000, three_then_stop) == 3
        assert len(calls) == 3


def test_drifting_cluster_is_recentred_and_exploding_one_rejected():
    system = System.parse("LJ13")
    x = random_batch(system, 2, seed=5)
    with BatchedEngine(system, 2) as engine:
        e0, _ = engine.energy_forces(x)
        engine.set_positions(x + np.array([0.0, 0.0, 0.9 * engine.slot_radius]))
        e1, _ = engine.energy_forces()
        # recentring rounds coordinates to the QUANTUM grid anew: the energy moves by round-off only
        np.testing.assert_allclose(e1, e0, rtol=1e-9)
        assert np.abs(engine.positions().mean(axis=1)).max() < 1e-9
        spread = x.copy()
        spread[1, 0] += [2 * engine.slot_radius, 0, 0]
        with pytest.raises(ReplicaEscapeError, match=r"replica\(s\) \[1\].*dissociated") as info:
            engine.set_positions(spread)
        assert info.value.replicas == [1]

        def explode(pos, forces, energies):
            out = pos.copy()
            out[0, 3] += 100.0
            return out

        with pytest.raises(ReplicaEscapeError):
            engine.run(5, explode)


def test_periodic_positions_are_unwrapped():
    system = System.parse("Si64", boundary="periodic")
    x = random_batch(system, 1, seed=2)
    length = system.cell_length()
    shift = np.zeros_like(x)
    shift[0, 0] = [0.6 * length, 0, 0]
    with BatchedEngine(system, 1) as engine:
        engine.set_positions(x)
        steps = []

        def walk(pos, forces, energies):
            steps.append(pos.copy())
            return pos + shift / 4

        engine.run(8, walk)
        jumps = np.abs(np.diff(np.array(steps)[:, 0, 0, 0]))
        np.testing.assert_allclose(jumps, 0.15 * length, rtol=1e-9)


def test_bad_input_is_refused():
    system = System.parse("LJ13")
    x = random_batch(system, 2, seed=0)
    with BatchedEngine(system, 2) as engine:
        with pytest.raises(StructureError, match="no positions"):
            engine.energy_forces()
        overlapping = x.copy()
        overlapping[1, 4] = overlapping[1, 2]
        with pytest.raises(StructureError, match="on top of each other"):
            engine.energy_forces(overlapping)
        with pytest.raises(StructureError, match="expected positions of 2 replicas"):
            engine.energy_forces(x[:1])
        engine.set_positions(x)
        with pytest.raises(EngineError, match="must be positive"):
            engine.run(0, lambda p, f, e: p)

        def nan_step(pos, forces, energies):
            return pos * np.nan

        with pytest.raises(StructureError, match="non-finite positions"):
            engine.run(3, nan_step)
        # the engine still works afterwards, with the last good positions
        e, _ = engine.energy_forces()
        assert np.isfinite(e).all()
    with pytest.raises(EngineError, match="at least 1"):
        BatchedEngine(system, 0)


def test_nonfinite_energies_are_reported():
    system = System.parse("LJ2")
    with BatchedEngine(system, 1) as engine:
        engine.set_positions(np.array([[[0.0, 0, 0], [0, 0, 0]]]), check=False)
        with pytest.raises(EngineError, match="non-finite energy or forces"):
            engine.energy_forces()


@pytest.mark.parametrize("formula, boundary", [("Ag27Cu7", "cluster"), ("LJ38", "cluster"), ("Si64", "periodic")])
def test_a_replica_computes_the_same_bits_in_any_batch(formula, boundary):
    """Energies and forces of a structure do not depend on the replicas beside it."""
    system = System.parse(formula, boundary=boundary)
    x = random_batch(system, 9, seed=0)
    with BatchedEngine(system, 1) as alone, BatchedEngine(system, 9) as batch:
        e1, f1 = alone.energy_forces(x[7:8])
        e9, f9 = batch.energy_forces(x)
    assert e1[0] == e9[7]
    assert np.array_equal(f1[0], f9[7])


def test_array_views_follow_lammps_when_its_arrays_grow():
    from lopt_lammps.lammps_runtime import start_lammps
    from lopt_lammps.lammps_views import Views

    lmp = start_lammps()
    try:
        for command in ["units lj", "atom_style atomic", "atom_modify map array", "region box block 0 20 0 20 0 20",
                        "create_box 1 box", "create_atoms 1 single 1 1 1", "mass 1 1", "pair_style lj/cut 2.5",
                        "pair_coeff * * 1 1", "compute pe all pe/atom", "fix tally all ave/atom 1 1 1 c_pe",
                        "fix ext all external pf/callback 1 1"]:
            lmp.command(command)
        views = Views(lmp)
        seen = []
        views.set_fix_external_callback("ext", lambda tags, x, fext: seen.append((tags.copy(), x.copy())))
        lmp.command("run 0 post no")
        assert views.positions(1).shape == (1, 3)
        lmp.command("create_atoms 1 random 5000 7 NULL overlap 0.8")  # LAMMPS grows (moves) its arrays
        lmp.command("run 0 post no")
        n = lmp.get_natoms()
        np.testing.assert_array_equal(views.positions(n), lmp.numpy.extract_atom("x")[:n])
        np.testing.assert_array_equal(views.forces(n), lmp.numpy.extract_atom("f")[:n])
        np.testing.assert_array_equal(views.ids(n), lmp.numpy.extract_atom("id")[:n])
        np.testing.assert_array_equal(views.compute_per_atom("pe", n), lmp.numpy.extract_compute("pe", 1, 1)[:n])
        assert len(seen[0][0]) == 1 and len(seen[-1][0]) == n
        np.testing.assert_array_equal(seen[-1][1], lmp.numpy.extract_atom("x")[:n])
    finally:
        lmp.close()
