"""The optimizer fix: best-so-far, bad steps, dissociation, plain LAMMPS scripts."""

import numpy as np
import pytest

from lopt_lammps.engine import BatchedEngine
from lopt_lammps.fix import OptimizerFix, attach
from lopt_lammps.lammps_runtime import start_lammps
from lopt_lammps.optimizers import Fire
from lopt_lammps.replica_layout import dissociation_detector
from lopt_lammps.structures import random_batch
from lopt_lammps.systems import System

LJ13 = System.parse("LJ13")


class NaNAfter:
    """Fire, but replica 1 steps to NaN after a few steps."""

    name = "nan"

    def __init__(self, after: int):
        self.fire, self.after = Fire(), after

    def init(self, x, f, e):
        return {**self.fire.init(x, f, e), "n": np.zeros(x.shape[0])}

    def step(self, state, x, f, e):
        n = state.pop("n") + 1
        new, state = self.fire.step(state, x, f, e)
        if n[0] > self.after:
            new[1] = float("nan")
        return new, {**state, "n": n}


class Explode:
    name = "explode"

    def init(self, x, f, e):
        return {}

    def step(self, state, x, f, e):
        return x + 1e6, state


def test_best_so_far_is_current_and_consistent():
    with BatchedEngine(LJ13, 3) as engine, BatchedEngine(LJ13, 3) as check:
        engine.set_positions(random_batch(LJ13, 3, seed=0))
        fix = OptimizerFix(Fire(), 3, 400, max_displacement=0.3)
        engine.run(400, fix)
        e, _ = check.energy_forces(fix.best_positions)
    np.testing.assert_allclose(e, fix.best_energy, rtol=1e-12)
    assert np.all(fix.evaluations == 400)
    for r in range(3):  # the trace ends at the best, found at best_evaluation
        assert fix.trace.energies[r][-1] == fix.best_energy[r]
        assert fix.trace.evaluations[r][-1] == fix.best_evaluation[r]
        assert np.all(np.diff(fix.trace.energies[r]) < 0)


def test_nan_step_stops_only_that_replica():
    with BatchedEngine(LJ13, 3) as engine:
        engine.set_positions(random_batch(LJ13, 3, seed=0))
        fix = OptimizerFix(NaNAfter(10), 3, 200, max_displacement=0.3)
        engine.run(200, fix)
    assert fix.stopped == {1: "non-finite step"}
    assert fix.evaluations.tolist() == [200, 11, 200]
    assert np.isfinite(fix.best_energy).all() and np.isfinite(fix.best_positions).all()


def test_exploding_step_is_capped():
    with BatchedEngine(LJ13, 1) as engine:
        x0 = random_batch(LJ13, 1, seed=0)
        engine.set_positions(x0)
        fix = OptimizerFix(Explode(), 1, 1, max_displacement=0.1)
        engine.run(1, fix)
        moved = np.linalg.norm(engine.positions() - x0, axis=-1)
    assert moved.max() == pytest.approx(0.1, rel=1e-9)


def test_zero_budget_is_refused():
    with pytest.raises(ValueError, match="budget must be positive"):
        OptimizerFix(Fire(), 1, 0, max_displacement=0.1)


def test_dissociated_cluster_is_detected_restarted_and_reported():
    with BatchedEngine(LJ13, 2) as engine:
        x = random_batch(LJ13, 2, seed=0)
        engine.set_positions(x)
        fresh = random_batch(LJ13, 2, seed=9)
        restarted = []

        def restart(replicas, _x):
            restarted.extend(replicas)
            return fresh[replicas]

        def drift_away(x, f, e):
            out = x.copy()
            out[0, 0] += [0.2, 0, 0]  # atom 0 of replica 0 leaves its cluster
            return out

        class Drift:
            name = "drift"

            def init(self, x, f, e):
                return {}

            def step(self, state, x, f, e):
                return drift_away(x, f, e), state

        fix = OptimizerFix(Drift(), 2, 60, max_displacement=1.0,
                           dissociated=dissociation_detector(LJ13, engine.slot_radius),
                           on_dissociated=restart, check_every=5)
        engine.run(60, fix)
    assert restarted and set(restarted) == {0}
    assert all(r == 0 for r, _ in fix.dissociations)


def test_attach_to_a_plain_lammps_script():
    lmp = start_lammps()
    x = random_batch(LJ13, 1, seed=4)[0]
    lmp.commands_string(
        "units lj\natom_style atomic\nboundary m m m\nregion b block -5 5 -5 5 -5 5\n"
        "create_box 1 b\nmass 1 1.0\npair_style lj/cut 10.0\npair_coeff 1 1 1.0 1.0"
    )
    lmp.create_atoms(13, list(range(1, 14)), [1] * 13, x.ravel().tolist())
    tracker = attach(lmp, Fire(), budget=2000, max_displacement=0.3)
    lmp.command("run 1999")
    e_final = lmp.get_thermo("pe") * 13  # lj units normalise thermo energy per atom
    lmp.close()
    assert tracker.evaluations[0] == 2000
    assert tracker.best_energy[0] < -39.0
    assert tracker.best_energy[0] == pytest.approx(e_final, abs=1e-4)


def test_a_proposal_beyond_its_slot_counts_as_dissociated_before_it_is_evaluated():
    start = random_batch(LJ13, 2, seed=0)
    lost = []
    with BatchedEngine(LJ13, 2) as engine:
        engine.set_positions(start)

        def relaxed(replicas, x, e):  # a hop that throws an atom out of the slot
            far = x[replicas].copy()
            far[:, 0] += 3 * engine.slot_radius
            return far

        def dissociated(replicas, x):
            lost.extend(replicas)
            return start[replicas]

        fix = OptimizerFix(Fire(), 2, 120, 0.3, max_relaxation=50, on_relaxed=relaxed,
                           dissociated=dissociation_detector(LJ13, engine.slot_radius), on_dissociated=dissociated,
                           containment_radius=0.8 * engine.slot_radius)
        engine.run(120, fix)  # without the check, LAMMPS could not place the proposal
    assert sorted(lost) == [0, 0, 1, 1] and len(fix.dissociations) == 4
    assert np.all(fix.evaluations == 120)
