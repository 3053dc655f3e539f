"""Seeds across compositions: transmutation puts each element where it belongs."""

import numpy as np
import pytest
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator
from ase.cluster import Icosahedron
from ase.db import connect

from lopt_lammps.errors import ConfigError
from lopt_lammps.seeding import seed_structures, transmute
from lopt_lammps.systems import System


def icosahedron(symbol: str) -> Atoms:
    atoms = Icosahedron(symbol, noshells=2, latticeconstant=4.0)  # centre atom first
    atoms.center(vacuum=0.0)
    return atoms


def centre_index(atoms: Atoms) -> int:
    return int(np.argmin(np.linalg.norm(atoms.positions - atoms.positions.mean(axis=0), axis=1)))


def test_copper_goes_to_the_core_silver_to_the_surface():
    from_cu = transmute(icosahedron("Cu"), System.parse("Ag12Cu1"))
    assert from_cu.get_chemical_symbols().count("Cu") == 1
    assert from_cu[centre_index(from_cu)].symbol == "Cu"  # Ag (lower cohesive energy) took the surface
    from_ag = transmute(icosahedron("Ag"), System.parse("Ag12Cu1"))
    assert from_ag[centre_index(from_ag)].symbol == "Cu"  # Cu took the most coordinated site
    assert np.allclose(from_ag.positions, icosahedron("Ag").positions)


def test_transmute_refuses_another_size():
    with pytest.raises(ConfigError, match="different sizes"):
        transmute(icosahedron("Cu"), System.parse("Ag10Cu4"))


def test_seeds_take_own_minima_then_nearest_compositions(tmp_path):
    path = tmp_path / "campaign.db"
    with connect(str(path)) as db:
        for composition, rank, shift in [("Ag13", 1, 0.0), ("Ag12Cu1", 1, 0.1), ("Ag12Cu1", 2, 0.2), ("Ag10Cu3", 1, 0.3), ("Cu13", 1, 0.4)]:
            atoms = icosahedron("Ag")
            atoms.set_chemical_symbols([s for e, n in System.parse(composition).counts for s in [e] * n])
            atoms.positions += shift
            atoms.calc = SinglePointCalculator(atoms, energy=-rank)
            db.write(atoms, composition=composition, rank=rank, size=13, system=composition, method="bh", seed=0,
                     evaluations=1, potential="smatb-agcu")
    seeds = seed_structures(path, System.parse("Ag12Cu1"), top=1, neighbours=2)
    assert len(seeds) == 3
    assert np.allclose(seeds[0].positions, icosahedron("Ag").positions + 0.1)  # own lowest first
    assert {s.get_chemical_formula() for s in seeds} == {"Ag12Cu"}
    assert np.allclose(seeds[1].positions, icosahedron("Ag").positions + 0.0)  # Ag13 (1 atom away) before Ag10Cu3 (2)
    with pytest.raises(ConfigError, match="no minima of size 20"):
        seed_structures(path, System.parse("Ag10Cu10"), top=1, neighbours=1)
