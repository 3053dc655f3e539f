"""LAMMPS energies and forces against the independent numpy references in tests/reference.

Tolerances: energies to 1e-8 (eV or eps) and forces to 1e-6 per component on random
structures; a wrong polynomial tail or a missing factor 2 shows up at 1e-3 or more.
"""

import re
import subprocess
import sys

import numpy as np
import pytest
from environment import without_simd_dispatch
from reference import lennard_jones, smatb, stillinger_weber

from lopt_lammps.engine import BatchedEngine
from lopt_lammps.errors import PotentialError
from lopt_lammps.lammps_runtime import has_style
from lopt_lammps.paths import potential_file
from lopt_lammps.potentials import Smatb, StillingerWeber, TableGrid, get_potential
from lopt_lammps.structures import random_batch
from lopt_lammps.systems import System

ENERGY_TOL, FORCE_TOL = 1e-8, 1e-6


def test_references_themselves():
    """The references reproduce diamond Si and agree with central differences of their own energy."""
    from ase.build import bulk

    diamond = bulk("Si", "diamond", a=5.431, cubic=True).repeat(2).positions
    e, f = stillinger_weber.energy_forces(diamond, cell=2 * 5.431)
    assert e / 64 == pytest.approx(-4.3366, abs=5e-5) and np.abs(f).max() < 1e-10
    x = random_batch(System.parse("Ag3Cu2"), 1, seed=0)[0]
    _, f = smatb.energy_forces(x, ["Ag", "Ag", "Ag", "Cu", "Cu"])
    h = 1e-6
    for i, k in [(0, 0), (4, 2)]:
        xp, xm = x.copy(), x.copy()
        xp[i, k] += h
        xm[i, k] -= h
        numeric = -(smatb.energy(xp, ["Ag", "Ag", "Ag", "Cu", "Cu"]) - smatb.energy(xm, ["Ag", "Ag", "Ag", "Cu", "Cu"])) / (2 * h)
        assert f[i, k] == pytest.approx(float(numeric.real), abs=1e-6)


def lammps(system: System, x: np.ndarray):
    with BatchedEngine(system, len(x)) as engine:
        return engine.energy_forces(x, check=False)


@pytest.mark.parametrize("formula", ["LJ13", "LJ38"])
def test_lennard_jones_matches_reference(formula):
    system = System.parse(formula)
    x = random_batch(system, 2, seed=1)
    e, f = lammps(system, x)
    for b in range(2):
        e_ref, f_ref = lennard_jones.energy_forces(x[b])
        assert e[b] == pytest.approx(e_ref, abs=ENERGY_TOL, rel=1e-12)
        np.testing.assert_allclose(f[b], f_ref, atol=FORCE_TOL * max(1, np.abs(f_ref).max()))


@pytest.mark.parametrize("formula", ["Ag30Cu8", "Ag10", "Cu12", "Ag3Cu9"])
def test_smatb_table_matches_reference(formula):
    system = System.parse(formula, potential="smatb-agcu-table")
    x = random_batch(system, 2, seed=2)
    e, f = lammps(system, x)
    for b in range(2):
        e_ref, f_ref = smatb.energy_forces(x[b], system.symbols)
        assert e[b] == pytest.approx(e_ref, abs=ENERGY_TOL)
        np.testing.assert_allclose(f[b], f_ref, atol=FORCE_TOL)


@pytest.mark.parametrize("pair", [("Ag", "Ag"), ("Ag", "Cu"), ("Cu", "Cu")])
def test_smatb_polynomial_tail(pair):
    """Two bound dimers whose cross pairs sweep the polynomial tail (each atom keeps a dense neighbour)."""
    a, b = pair
    potential = get_potential("smatb-agcu-table")
    params = potential.pair(a, b)
    gaps = np.linspace(params.cutoff_start - 0.3, params.cutoff_end + 0.1, 25)
    r_a, r_b = potential.pair(a, a).r0, potential.pair(b, b).r0
    system = System.parse(f"{a}2{b}2" if a != b else f"{a}4", potential=potential)
    symbols = system.symbols  # element-ordered: a a b b
    x = np.zeros((len(gaps), 4, 3))
    x[:, 1, 1] = r_a
    x[:, 2, 0] = gaps
    x[:, 3, 0] = gaps
    x[:, 3, 1] = r_b
    e, f = lammps(system, x)
    for k in range(len(gaps)):
        e_ref, f_ref = smatb.energy_forces(x[k], symbols)
        assert e[k] == pytest.approx(e_ref, abs=ENERGY_TOL), f"gap {gaps[k]:.3f}"
        np.testing.assert_allclose(f[k], f_ref, atol=FORCE_TOL)


def test_smatb_isolated_dimer_error_is_bounded():
    """Only an atom whose sole neighbours sit in the tail sees the rho -> 0 grid error (documented)."""
    potential = get_potential("smatb-agcu-table")
    params = potential.pair("Ag", "Ag")
    rs = np.linspace(2.2, params.cutoff_end - 1e-6, 120)
    x = np.zeros((len(rs), 2, 3))
    x[:, 1, 0] = rs
    e, _ = lammps(System.parse("Ag2", potential=potential), x)
    errors = np.array([abs(e[k] - smatb.energy_forces(x[k], ["Ag", "Ag"])[0]) for k in range(len(rs))])
    assert errors[rs < params.cutoff_start].max() < 1e-7
    assert errors.max() < 0.05


@pytest.mark.parametrize("formula, cell", [("Si64", True), ("Si10", False)])
def test_stillinger_weber_matches_reference(formula, cell):
    system = System.parse(formula, boundary="periodic" if cell else "cluster")
    x = random_batch(system, 2, seed=3)
    e, f = lammps(system, x)
    for b in range(2):
        e_ref, f_ref = stillinger_weber.energy_forces(x[b], system.cell_length() if cell else None)
        assert e[b] == pytest.approx(e_ref, abs=ENERGY_TOL)
        np.testing.assert_allclose(f[b], f_ref, atol=FORCE_TOL)


def test_table_is_reproducible_and_carries_provenance(tmp_path):
    spec = potential_file("AgCu.smatb.yaml")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one = Smatb(spec, backend="table").table_file(tmp_path / "a")
    two = Smatb(spec, backend="table").table_file(tmp_path / "b")
    assert one.read_bytes() == two.read_bytes()
    header = one.read_text().splitlines()[:3]
    assert "generated by lopt-lammps from AgCu.smatb.yaml" in header[0]
    assert "source sha256" in header[1] and "n_rho=" in header[2]
    coarse = Smatb(spec, backend="table", grid=TableGrid(n_rho=5001)).table_file(tmp_path)
    assert coarse.name != one.name


def test_the_table_is_the_same_whatever_simd_numpy_dispatches():
    """numpy picks its exp and power loops by processor; with every dispatched loop off, the table's
    text is unchanged (on an AVX-512 machine numpy's own power changed 18 of its numbers)."""
    script = ("import sys; from lopt_lammps.paths import potential_file; from lopt_lammps.potentials import Smatb; "
              "sys.stdout.write(Smatb(potential_file('AgCu.smatb.yaml'), backend='table').table_text())")
    baseline = subprocess.run([sys.executable, "-c", script], env=without_simd_dispatch(), capture_output=True, text=True, check=True).stdout
    assert baseline == Smatb(potential_file("AgCu.smatb.yaml"), backend="table").table_text()


def test_exp_is_rounded_once():
    from decimal import Context, Decimal

    from lopt_lammps.potentials.smatb import exp_rounded_once

    x = np.random.default_rng(0).uniform(-40.0, 10.0, 20000)  # numpy's exp (the C library's here) is off by a bit in about 1 of 1000
    exact = np.array([float(Context(prec=80).exp(Decimal(v))) for v in x])
    rounded = exp_rounded_once(x)
    assert np.array_equal(rounded, exact)
    assert np.abs(rounded / np.exp(x) - 1).max() < 3e-16  # what numpy's exp gives, to its last bit


def test_powers_are_rounded_once():
    from decimal import Context, Decimal

    from lopt_lammps.potentials.smatb import power_rounded_once

    t = np.random.default_rng(1).uniform(-1.5, 0.0, 20000)  # the cutoff tail's t = r - cutoff
    for n in (3, 4, 5):
        exact = np.array([float(Context(prec=200).power(Decimal(v), n)) for v in t])  # exact products
        assert np.array_equal(power_rounded_once(t, n), exact)


@pytest.mark.skipif(not has_style("pair", "smatb"), reason="this LAMMPS build has no pair_style smatb (SMTBQ package)")
def test_native_smatb_matches_table():
    x = random_batch(System.parse("Ag30Cu8"), 2, seed=4)
    e_table, f_table = lammps(System.parse("Ag30Cu8", potential="smatb-agcu-table"), x)
    e_native, f_native = lammps(System.parse("Ag30Cu8", potential=Smatb(potential_file("AgCu.smatb.yaml"), backend="native")), x)
    np.testing.assert_allclose(e_native, e_table, atol=1e-7)
    np.testing.assert_allclose(f_native, f_table, atol=1e-6)


def test_missing_and_malformed_parameter_files(tmp_path):
    with pytest.raises(PotentialError, match="not found"):
        Smatb(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text(potential_file("AgCu.smatb.yaml").read_text().replace("  Ag-Cu:", "  #Ag-Cu:"))
    with pytest.raises(PotentialError, match="pair Ag-Cu are missing"):
        Smatb(bad)
    bad.write_text("name: x\nelements: [Ag]\npairs:\n  Ag-Ag: {r0: 2.89}\n")
    with pytest.raises(PotentialError, match="lacks p, q, A, xi"):
        Smatb(bad)
    bad.write_text("name: [unclosed\n")
    with pytest.raises(PotentialError, match="malformed"):
        Smatb(bad)
    with pytest.raises(PotentialError, match="not found"):
        StillingerWeber(tmp_path / "Si.sw")
    sw = tmp_path / "Si.sw"
    sw.write_text("Si Si Si 2.1683 2.0951 1.80 21.0\n")
    with pytest.raises(PotentialError, match="entries of 14 fields"):
        StillingerWeber(sw)
    with pytest.raises(PotentialError, match="unknown backend|backend 'fast' unknown"):
        Smatb(potential_file("AgCu.smatb.yaml"), backend="fast")


@pytest.mark.parametrize("change", ["truncated", "edited"])
def test_a_changed_cached_table_is_detected_and_written_again(tmp_path, monkeypatch, capsys, change):
    """A cached table edited by hand (or cut short) no longer matches its content hash: it is
    generated again, so the energies stay those of the recorded potential identity."""
    monkeypatch.setenv("LOPT_LAMMPS_CACHE", str(tmp_path))
    potential = Smatb(potential_file("AgCu.smatb.yaml"), backend="table")
    system = System.parse("Ag4Cu2", potential=potential)
    x = random_batch(system, 1, seed=5)
    fresh, _ = lammps(system, x)
    table = potential.table_file()
    lines = table.read_text().splitlines()
    if change == "truncated":
        lines = lines[:7]
    else:  # one number of the Ag embedding function, changed in its last digits
        lines[6] = lines[6].replace("e", "1e", 1)
    table.write_text("\n".join(lines) + "\n")
    capsys.readouterr()
    again, _ = lammps(system, x)
    assert f"the cached table {table} was changed since lopt-lammps wrote it" in capsys.readouterr().err
    assert again == pytest.approx(fresh, abs=1e-12)
    assert potential.table_file() == table and not capsys.readouterr().err  # intact again


@pytest.mark.parametrize("key", ["r0", "p", "q", "A", "xi", "cutoff_start", "cutoff_end"])
@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf", "-1.0"])
def test_smatb_parameters_must_be_finite_and_positive(tmp_path, key, value):
    lines = potential_file("AgCu.smatb.yaml").read_text().splitlines()
    k = next(i for i, line in enumerate(lines) if line.startswith("  Ag-Cu:"))
    lines[k] = re.sub(rf"\b{key}: [^,}}]+", f"{key}: {value}", lines[k])
    path = tmp_path / "bad.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(PotentialError, match="pair Ag-Cu (has a parameter that is not a finite number|needs 0 < cutoff_start)"):
        Smatb(path)
