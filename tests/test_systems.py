"""Systems, formulas, compositions and initial structures."""

import numpy as np
import pytest

from lopt_lammps.errors import ConfigError, PotentialError, StructureError
from lopt_lammps.potentials import get_potential
from lopt_lammps.structures import (
    check_positions,
    closest_pair,
    from_atoms,
    random_batch,
    random_positions,
    read_extxyz,
    to_atoms,
    write_extxyz,
)
from lopt_lammps.systems import System, composition_counts, parse_formula


def test_parse_formula():
    assert parse_formula("Ag30Cu8") == [("Ag", 30), ("Cu", 8)]
    assert parse_formula("LJ38") == [("LJ", 38)]
    assert parse_formula("Si64") == [("Si", 64)]


@pytest.mark.parametrize("bad", ["", "ag30", "Xq12", "Ag0", "LJ10Ag3", "Ag30 Cu8x"])
def test_bad_formula_is_a_clear_error(bad):
    with pytest.raises(ConfigError):
        System.parse(bad)


def test_potential_defaults_from_elements():
    assert System.parse("Ag30Cu8").potential.name == "smatb-agcu"
    assert System.parse("LJ13").potential.name == "lj"
    assert System.parse("Si64", boundary="periodic").potential.name == "sw-si"


def test_element_without_parameters():
    with pytest.raises(PotentialError, match="Au"):
        System.parse("Au38")
    with pytest.raises(PotentialError, match="no parameters for element"):
        System.parse("Ag30Si8", potential="smatb-agcu")
    with pytest.raises(PotentialError, match="unknown potential"):
        System.parse("Ag38", potential="nope")


def test_composition_must_sum():
    assert composition_counts({"Ag": 0.75, "Cu": 0.25}, 8) == [("Ag", 6), ("Cu", 2)]
    with pytest.raises(ConfigError, match="sum to 1"):
        composition_counts({"Ag": 0.7, "Cu": 0.2}, 10)
    with pytest.raises(ConfigError, match="cannot be realised"):
        composition_counts({"Ag": 0.5, "Cu": 0.5}, 7)
    with pytest.raises(ConfigError, match="not the requested 40"):
        System.parse("Ag30Cu8", size=40)


def test_random_structures_are_reproducible_and_spaced():
    system = System.parse("Ag30Cu8")
    a = random_positions(system, 7)
    b = random_positions(system, 7)
    c = random_positions(system, 8)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    assert closest_pair(a)[0] >= 0.7 * 2.56 - 1e-12
    assert np.linalg.norm(a, axis=1).max() <= 1.2 * system.cluster_radius() * 1.05**3
    batch = random_batch(system, 3, seed=1)
    assert batch.shape == (3, 38, 3)
    np.testing.assert_array_equal(batch[1], random_batch(system, 2, seed=1)[1])


def test_random_periodic_cell_at_density():
    system = System.parse("Si64", boundary="periodic")
    assert system.cell_length() == pytest.approx(2 * 5.431)
    x = random_positions(system, 0)
    assert x.min() >= 0 and x.max() < system.cell_length()
    assert closest_pair(x, system.cell_length())[0] >= 0.7 * 2.3517 - 1e-12
    dense = System.parse("Si64", boundary="periodic", density=0.5)
    with pytest.raises(StructureError, match="lower the density"):
        random_positions(dense, 0)


def test_overlapping_and_nonfinite_positions_are_refused():
    system = System.parse("LJ4")
    x = np.array([[0, 0, 0], [1.1, 0, 0], [0, 1.1, 0], [0, 0, 1.1]], dtype=float)
    check_positions(system, x)
    x[3] = x[1] + 1e-3
    with pytest.raises(StructureError, match="atoms 1 and 3 .* on top of each other"):
        check_positions(system, x)
    x[3] = np.nan
    with pytest.raises(StructureError, match="non-finite"):
        check_positions(system, x)
    with pytest.raises(StructureError, match="do not fit"):
        check_positions(system, x[:3])


def test_ase_and_extxyz_round_trip(tmp_path):
    system = System.parse("Ag3Cu2")
    x = random_positions(system, 3)
    atoms = to_atoms(system, x, energy=-1.5, seed=3)
    scrambled = atoms[[3, 0, 1, 4, 2]]  # comes back ordered element by element
    write_extxyz(tmp_path / "s.extxyz", [atoms, scrambled])
    back = read_extxyz(tmp_path / "s.extxyz")
    assert len(back) == 2 and back[0].get_potential_energy() == -1.5 and back[0].info["seed"] == 3
    system2, x2 = from_atoms(back[1])
    assert system2.formula == "Ag3Cu2"
    np.testing.assert_allclose(x2, x)  # same atoms, same order as the system's symbols
    lj_system, _ = from_atoms(to_atoms(System.parse("LJ5"), random_positions(System.parse("LJ5"), 0)))
    assert lj_system.formula == "LJ5" and lj_system.potential.name == "lj"
    si = System.parse("Si8", potential=get_potential("sw-si"), boundary="periodic", density=8 / 5.431**3)
    si_back, _ = from_atoms(to_atoms(si, random_positions(si, 0)))
    assert si_back.periodic and si_back.cell_length() == pytest.approx(5.431)
    with pytest.raises(StructureError, match="not found"):
        read_extxyz(tmp_path / "missing.extxyz")
