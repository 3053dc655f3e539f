"""Published reference energies: LJ clusters, SW diamond silicon, SMATB fcc Ag and Cu."""

import numpy as np
import pytest
from ase.build import bulk
from ase.cluster import Icosahedron
from scipy.optimize import minimize

from lopt_lammps.engine import BatchedEngine
from lopt_lammps.systems import System


def relax(engine: BatchedEngine, x: np.ndarray) -> float:
    """Relax one structure with L-BFGS on LAMMPS energies and forces."""

    def fun(flat):
        e, f = engine.energy_forces(flat.reshape(1, -1, 3))
        return e[0], -f[0].ravel()

    result = minimize(fun, x.ravel(), jac=True, method="L-BFGS-B", options={"gtol": 1e-9, "maxiter": 5000})
    return float(result.fun)


def fcc_octahedral_shells(n_atoms: int, nearest: float) -> np.ndarray:
    """The n fcc sites closest to an octahedral hole (38 gives the truncated octahedron)."""
    a = nearest * np.sqrt(2)
    grid = np.array([(i, j, k) for i in range(-4, 5) for j in range(-4, 5) for k in range(-4, 5)])
    sites = grid[(grid.sum(axis=1) % 2) == 0] * a / 2
    hole = np.array([a / 2, 0.0, 0.0])
    d = np.linalg.norm(sites - hole, axis=1)
    return sites[np.argsort(d, kind="stable")[:n_atoms]] - hole


def test_lj13_icosahedron():
    system = System.parse("LJ13")
    x = Icosahedron("Ar", 2, latticeconstant=2 ** (1 / 6) * np.sqrt(2)).positions
    with BatchedEngine(system, 1) as engine:
        assert relax(engine, x) == pytest.approx(-44.326801, abs=1e-6)


def test_lj38_truncated_octahedron():
    system = System.parse("LJ38")
    with BatchedEngine(system, 1) as engine:
        assert relax(engine, fcc_octahedral_shells(38, 2 ** (1 / 6))) == pytest.approx(-173.928427, abs=1e-6)


def test_sw_diamond_silicon():
    atoms = bulk("Si", "diamond", a=5.431, cubic=True).repeat(2)
    system = System.parse("Si64", boundary="periodic", density=len(atoms) / atoms.get_volume())
    with BatchedEngine(system, 1) as engine:
        e, f = engine.energy_forces(atoms.positions[None])
    assert e[0] / 64 == pytest.approx(-4.3366, abs=5e-5)
    assert np.abs(f).max() < 1e-9


@pytest.mark.parametrize("element, nearest, expected", [("Ag", 2.89, -2.950), ("Cu", 2.56, -3.500)])
def test_smatb_fcc_cohesive_energy(element, nearest, expected):
    atoms = bulk(element, "fcc", a=nearest * np.sqrt(2), cubic=True).repeat(3)
    system = System.parse(f"{element}{len(atoms)}", boundary="periodic", density=len(atoms) / atoms.get_volume())
    with BatchedEngine(system, 1) as engine:
        e, f = engine.energy_forces(atoms.positions[None])
    assert e[0] / len(atoms) == pytest.approx(expected, abs=0.005)
    assert np.abs(f).max() < 1e-6  # third shell sits exactly at the cutoff end
