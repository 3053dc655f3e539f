"""The stored best-known structures against the independent numpy potentials in tests/reference.

Each structure in ``lopt_lammps/data/references.extxyz`` must have the energy its
``references.yaml`` entry states and be a local minimum: relaxed tightly (L-BFGS to forces
below 1e-4) without LAMMPS, its energy may not drop. A reference that is not a minimum, or
whose energy was mistyped, fails here.
"""

import numpy as np
import pytest
from ase import Atoms
from ase.io import read
from reference import lennard_jones, smatb
from scipy.optimize import minimize

from lopt_lammps.references import load_references, structures_path

STRUCTURES = read(structures_path(), ":")
REFERENCES = load_references()
#: references.yaml keeps 6 decimals; a stored minimum, relaxed to LAMMPS's force tolerance,
#: lies well within this of the tight minimum
ENERGY_TOL = 1e-5


def energy_gradient(atoms: Atoms, flat_positions: np.ndarray) -> tuple[float, np.ndarray]:
    """The independent potential's energy and gradient at flat_positions (atoms gives the species)."""
    positions = flat_positions.reshape(-1, 3)
    if atoms.info["potential"] == "lj":
        energy, forces = lennard_jones.energy_forces(positions)
    else:
        energy, forces = smatb.energy_forces(positions, atoms.get_chemical_symbols())
    return float(energy), -np.asarray(forces).ravel()


def test_every_established_composition_has_its_structure():
    established = {f for f, r in REFERENCES.items() if r["source"].startswith("established here")}
    assert established <= {a.info["system"] for a in STRUCTURES}


@pytest.mark.parametrize("atoms", STRUCTURES, ids=[a.info["system"] for a in STRUCTURES])
def test_reference_structure_is_a_minimum_at_its_energy(atoms):
    energy, _ = energy_gradient(atoms, atoms.positions.ravel())
    assert energy == pytest.approx(float(REFERENCES[atoms.info["system"]]["energy"]), abs=ENERGY_TOL)
    relaxed = minimize(lambda x: energy_gradient(atoms, x), atoms.positions.ravel(), jac=True, method="L-BFGS-B",
                       options={"gtol": 1e-7, "ftol": 1e-15, "maxiter": 5000})
    assert np.abs(relaxed.jac).max() < 1e-4
    assert relaxed.fun > energy - ENERGY_TOL
