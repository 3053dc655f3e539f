"""Hop searches without LAMMPS: L-BFGS and staged rules on the numpy LJ reference, moves,
the basin-hopping policy and chains."""

import math

import numpy as np
import pytest
from ase.cluster import Icosahedron
from reference import lennard_jones

from lopt_lammps.errors import ConfigError
from lopt_lammps.optimizers import Adam, Fire, Lbfgs, Staged
from lopt_lammps.search.chain import Chain
from lopt_lammps.search.moves import coordination, displace_all, least_coordinated, move_to_surface, swap_unlike
from lopt_lammps.search.policies import BasinHopping, BasinHoppingSettings, RandomRestarts
from lopt_lammps.systems import System

LJ13_MIN = -44.326801


def icosahedron() -> np.ndarray:
    return Icosahedron("Ar", 2, latticeconstant=2 ** (1 / 6) * np.sqrt(2)).positions.copy()


def evaluate(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Energies (B,) and forces (B, N, 3) of LJ clusters from the numpy reference."""
    pairs = [lennard_jones.energy_forces(xb) for xb in x]
    return np.array([e for e, _ in pairs]), np.stack([f for _, f in pairs])


def descend(rule, x: np.ndarray, steps: int, tolerance: float = 1e-4) -> tuple[list[float], int]:
    """Run ``rule`` on a batch; energies of replica 0 and the evaluations it needed to converge."""
    e, f = evaluate(x)
    state = rule.init(x, f, e)
    energies, converged = [], None
    for k in range(1, steps + 1):
        energies.append(float(e[0]))
        if converged is None and float(np.linalg.norm(f[0])) < tolerance:
            converged = k
        x, state = rule.step(state, x, f, e)
        e, f = evaluate(x)
    return energies, converged


def test_lbfgs_relaxes_a_perturbed_icosahedron_quickly():
    x = icosahedron() + np.random.default_rng(0).normal(scale=0.1, size=(13, 3))
    energies, converged = descend(Lbfgs(max_step=0.3, first_step=0.1), x[None], 200)
    assert converged is not None and converged < 120
    assert energies[converged - 1] == pytest.approx(LJ13_MIN, abs=1e-6)
    fire_energies, fire_converged = descend(Fire(max_step=0.1), x[None], 400)
    assert fire_converged is None or fire_converged > converged  # fewer evaluations than FIRE


def test_lbfgs_never_accepts_an_energy_increase():
    x = np.random.default_rng(1).normal(scale=0.9, size=(8, 3)) * 1.5
    rule = Lbfgs(max_step=0.3, first_step=0.1)
    xt = x[None]
    e, f = evaluate(xt)
    state = rule.init(xt, f, e)
    accepted = []
    for _ in range(150):
        xt, state = rule.step(state, xt, f, e)
        accepted.append(float(state["e0"][0]))
        e, f = evaluate(xt)
    assert all(b <= a + 1e-12 for a, b in zip(accepted, accepted[1:]))


def test_lbfgs_replicas_are_independent():
    rng = np.random.default_rng(2)
    x = np.stack([icosahedron() + rng.normal(scale=0.1, size=(13, 3)) for _ in range(3)])
    batch, _ = descend(Lbfgs(max_step=0.3, first_step=0.1), x, 60)
    alone, _ = descend(Lbfgs(max_step=0.3, first_step=0.1), x[:1], 60)
    assert batch == alone


def test_staged_runs_the_first_rule_then_polishes_from_its_lowest_point():
    x = icosahedron() + np.random.default_rng(3).normal(scale=0.05, size=(13, 3))
    rule = Staged(Adam(learning_rate=0.02, max_step=0.1), Lbfgs(max_step=0.3, first_step=0.1), steps=30)
    xt = x[None]
    e, f = evaluate(xt)
    state = rule.init(xt, f, e)
    seen = []
    for k in range(1, 31):
        seen.append((float(e[0]), xt.copy()))
        xt, state = rule.step(state, xt, f, e)
        e, f = evaluate(xt)
    lowest_energy, lowest_x = min(seen, key=lambda pair: pair[0])
    assert np.array_equal(xt, lowest_x)  # step 30 jumps to the first stage's lowest point
    assert float(e[0]) == lowest_energy
    energies, _ = descend(rule, x[None], 200)
    assert min(energies) == pytest.approx(LJ13_MIN, abs=1e-6)


def test_moves_keep_composition_and_do_what_they_say(rng):
    types = np.array([1] * 6 + [2] * 4)
    x = rng.normal(size=(10, 3))
    swapped = swap_unlike(types, x, rng)
    changed = np.flatnonzero((swapped != x).any(axis=1))
    assert len(changed) == 2 and types[changed[0]] != types[changed[1]]
    assert np.array_equal(swapped[changed[::-1]], x[changed])
    displaced = displace_all(x, 0.3, rng)
    assert np.abs(displaced - x).max() <= 0.3
    moved = move_to_surface(x, 0, 1.0, rng)
    assert np.array_equal(moved[1:], x[1:])
    # put beyond the atom reaching farthest along a direction: no other atom is closer than that one
    assert np.linalg.norm(moved[1:] - moved[0], axis=1).min() == pytest.approx(1.0, abs=1e-9)
    ico = icosahedron()
    capped = np.vstack([ico, ico[1] * 1.9])  # an adatom sticking out above vertex 1
    assert least_coordinated(capped, 1.35 * 2 ** (1 / 6), rng) == 13
    assert coordination(ico, 1.2)[0] == 12


def test_metropolis_acceptance_follows_the_boltzmann_factor():
    system = System.parse("LJ13")
    policy = BasinHopping(system, BasinHoppingSettings(kt=0.5))
    rng = np.random.default_rng(4)
    assert policy.accept(-10.0, -11.0, rng)
    rate = np.mean([policy.accept(-10.0, -9.5, rng) for _ in range(20000)])
    assert rate == pytest.approx(math.exp(-1.0), abs=0.01)
    greedy = BasinHopping(system, BasinHoppingSettings(temperature=0.0))
    assert not any(greedy.accept(-10.0, -9.999, rng) for _ in range(100))
    assert BasinHopping(system, BasinHoppingSettings(temperature=0.1)).kt == pytest.approx(0.1 * system.energy_scale())


@pytest.mark.parametrize("bad", [dict(temperature=-1), dict(step=0), dict(swap_probability=1.5),
                                 dict(swap_probability=0.6, atom_move_probability=0.6), dict(minimizer="bfgs"),
                                 dict(atom_move_target="core"), dict(patience=-1), dict(tolerance=float("nan"))])
def test_bad_basin_hopping_settings_are_refused(bad):
    with pytest.raises(ConfigError, match="basin hopping"):
        BasinHoppingSettings(**bad)


def test_chain_hops_accepts_and_restarts_after_stagnation():
    system = System.parse("LJ13")
    chain = Chain(system, 0, BasinHopping(system, BasinHoppingSettings(temperature=0.0, patience=3)))
    x = chain.start()
    chain.relaxed(x, -40.0, 100)
    for k, energy in enumerate([-39.0, -38.0, -39.5]):
        chain.relaxed(x, energy, 200 + k)
    assert chain.counts["restarts"] == 1 and chain.current is None  # three hops without a new best
    chain.relaxed(x, -41.0, 300)
    run = chain.seed_run(300)
    assert run.trace_evaluations == [100, 300] and run.trace_energies == [-40.0, -41.0]
    assert run.notes["hops"] == 3 and run.notes["accepted"] == 0


def test_chain_notes_what_produced_each_new_lowest_minimum():
    system = System.parse("Ag10Cu3")
    chain = Chain(system, 0, BasinHopping(system, BasinHoppingSettings(temperature=0.0, patience=2)))
    x = chain.start()
    for evaluation, energy in enumerate([-30.0, -29.0, -31.0, -30.5, -29.5, -32.0], start=1):
        x = chain.relaxed(x, energy, 100 * evaluation)
    improvements = chain.seed_run(600).notes["improvements"]
    assert [i[:2] for i in improvements] == [[100, -30.0], [300, -31.0], [600, -32.0]]
    assert improvements[0][2:] == ["start", None]
    # -31 came from a hop off the current minimum -30; after -30.5 and -29.5 the chain restarted (patience 2)
    assert improvements[1][2] in ("swap", "atom", "displace") and improvements[1][3] == -30.0
    assert improvements[2][2:] == ["start", None]
    assert chain.seed_run(500).notes["improvements"] == improvements[:2]


def test_random_restarts_never_hop():
    system = System.parse("LJ13")
    chain = Chain(system, 0, RandomRestarts())
    first = chain.start()
    second = chain.relaxed(first, -40.0, 10)
    assert not np.array_equal(first, second) and chain.counts["restarts"] == 1
