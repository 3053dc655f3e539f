"""Search drivers on LJ, Ag-Cu Gupta and SW silicon; structure comparison."""

import json
import subprocess
import sys

import numpy as np
import pytest
from ase.cluster import Icosahedron
from environment import without_simd_dispatch

from lopt_lammps.comparison import StructureComparator, fingerprint
from lopt_lammps.search import METHODS, BasinHoppingSettings, search
from lopt_lammps.structures import random_positions
from lopt_lammps.systems import System

LJ13_MIN = -44.326801
SYSTEMS = {
    "LJ13": System.parse("LJ13"),
    "Ag4Cu3": System.parse("Ag4Cu3"),
    "Si8": System.parse("Si8", boundary="periodic", density=8 / 5.431**3),
}


# ASE's peers pay about 25 ms per evaluation of a periodic cell through energy_forces
DRIVER_CASES = [
    pytest.param(method, name, marks=[pytest.mark.slow] if name == "Si8" and method.startswith("ase-") else [])
    for name in sorted(SYSTEMS) for method in METHODS
]


@pytest.mark.parametrize("method, name", DRIVER_CASES)
def test_every_driver_runs_on_every_potential(method, name):
    system = SYSTEMS[name]
    result = search(system, method, 600, seeds=[0, 1], optimizer="untrained")
    assert [run.seed for run in result.runs] == [0, 1]
    for run in result.runs:
        assert 0 < run.evaluations <= 600
        assert run.minima, f"{method} found no minimum on {name}"
        energies = [m.energy for m in run.minima]
        assert energies == sorted(energies)
        assert all(0 < m.evaluation <= 600 for m in run.minima)
        assert all(np.diff(run.trace_energies) < 0) and run.trace_evaluations == sorted(run.trace_evaluations)
        # the best relaxed minimum is at least as low as the best energy seen along the way
        assert run.minima[0].energy <= run.trace_energies[-1] + 1e-6


def test_lj13_global_minimum_is_found_and_hits_counted():
    result = search(SYSTEMS["LJ13"], "fire", 4000, seeds=[0, 1, 2])
    assert result.best().energy == pytest.approx(LJ13_MIN, abs=1e-5)
    hits = result.hits(LJ13_MIN, 1e-3)
    assert sum(h is not None for h in hits) >= 2
    assert all(h is None or 0 < h <= 4000 for h in hits)


def test_basin_hopping_uses_swaps_on_alloys():
    result = search(System.parse("Ag6Cu4"), "bh", 1500, seeds=[3])
    notes = result.runs[0].notes
    assert notes["hops"] > 5 and notes["moves_swap"] > 0 and notes["moves_displace"] > 0


def test_bad_budget_and_method():
    with pytest.raises(ValueError, match="positive"):
        search(SYSTEMS["LJ13"], "bh", 0, seeds=[0])
    with pytest.raises(ValueError, match="unknown method"):
        search(SYSTEMS["LJ13"], "annealing", 10, seeds=[0])


def test_comparison_sees_through_rotation_permutation_translation():
    system = System.parse("LJ13")
    x = Icosahedron("Ar", 2, latticeconstant=2 ** (1 / 6) * np.sqrt(2)).positions
    q, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(3, 3)))
    moved = (x @ q.T + [3.0, -1.0, 2.0])[np.random.default_rng(1).permutation(13)]
    comparator = StructureComparator(system)
    fp_a, fp_b = fingerprint(system, x), fingerprint(system, moved)
    assert comparator.same(-44.3268, fp_a, -44.3268, fp_b)
    other = random_positions(system, 0)
    assert not comparator.same(-44.3268, fp_a, -44.3268, fingerprint(system, other))
    assert not comparator.same(-44.3268, fp_a, -44.0, fp_b)


def test_homotops_are_different_structures():
    system = System.parse("Ag7Cu6")
    x = Icosahedron("Ag", 2, latticeconstant=4.0).positions
    swapped = x.copy()
    swapped[[0, 12]] = swapped[[12, 0]]  # the central Ag and a surface Cu trade places
    comparator = StructureComparator(system)
    assert not comparator.same(0.0, fingerprint(system, x), 0.0, fingerprint(system, swapped))
    groups = comparator.groups(np.array([0.0, 0.0, 1e-4]), [x, swapped, x])
    assert sorted(map(sorted, groups)) == [[0, 2], [1]]


@pytest.mark.parametrize("method, settings", [("learned", {}), pytest.param("loop-learned", {}, marks=pytest.mark.slow), ("adam", {}),
                                              ("bh", {"minimizer": "lbfgs"})])
def test_a_seed_runs_the_same_in_any_batch(method, settings):
    """A seed gives the same trace and minima alone and beside other seeds."""
    system = System.parse("Ag10Cu3")
    options = dict(optimizer="untrained", bh_settings=BasinHoppingSettings(**settings))
    alone = search(system, method, 3000, [2], **options).runs[0]
    batched = search(system, method, 3000, [0, 1, 2], **options).runs[2]
    assert alone.trace_evaluations == batched.trace_evaluations
    assert alone.trace_energies == batched.trace_energies
    assert [m.energy for m in alone.minima] == [m.energy for m in batched.minima]


def test_a_search_is_the_same_whatever_simd_numpy_dispatches():
    """numpy picks its exp, power and other loops by processor; with every dispatched loop off
    the shipped learned search draws the same trace on Ag-Cu (the table is the same either
    way: tests/test_potentials.py)."""
    script = ("import json, sys; from lopt_lammps.search import search; from lopt_lammps.systems import System; "
              "run = search(System.parse('Ag10Cu3'), 'learned', 3000, [1]).runs[0]; "
              "sys.stdout.write(json.dumps([run.trace_evaluations, run.trace_energies]))")
    without = subprocess.run([sys.executable, "-c", script], env=without_simd_dispatch(), capture_output=True, text=True, check=True).stdout
    run = search(System.parse("Ag10Cu3"), "learned", 3000, [1]).runs[0]
    assert json.loads(without) == [list(run.trace_evaluations), list(run.trace_energies)]
