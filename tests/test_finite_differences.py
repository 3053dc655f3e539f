"""LAMMPS forces are minus the gradient of LAMMPS energies (central differences)."""

import numpy as np
import pytest

from lopt_lammps.engine import BatchedEngine
from lopt_lammps.structures import random_positions
from lopt_lammps.systems import System

H = 1e-5


@pytest.mark.parametrize(
    "formula, boundary, tolerance",
    [("LJ13", "cluster", 1e-5), ("Ag30Cu8", "cluster", 1e-5), ("Cu12", "cluster", 1e-5), ("Si64", "periodic", 1e-5)],
)
def test_forces_are_energy_gradients(formula, boundary, tolerance):
    system = System.parse(formula, boundary=boundary)
    x = random_positions(system, 11)
    rng = np.random.default_rng(0)
    atoms = rng.choice(system.n_atoms, size=4, replace=False)
    # displaced copies as replicas: one LAMMPS call gives every central difference
    batch = [x]
    for i in atoms:
        for k in range(3):
            for sign in (1, -1):
                xd = x.copy()
                xd[i, k] += sign * H
                batch.append(xd)
    with BatchedEngine(system, len(batch)) as engine:
        e, f = engine.energy_forces(np.array(batch))
    numeric = -(e[1::2] - e[2::2]) / (2 * H)
    analytic = f[0][atoms].ravel()
    scale = max(1.0, np.abs(analytic).max())
    np.testing.assert_allclose(numeric, analytic, atol=tolerance * scale)
