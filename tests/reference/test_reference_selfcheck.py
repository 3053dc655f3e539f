"""Self-checks of the numpy references: analytic forces against central finite differences of their
own energies, and published numbers (LJ13 icosahedron, fcc Ag and Cu, diamond silicon)."""

import numpy as np
import pytest
from scipy.optimize import minimize

from reference import lennard_jones, smatb, stillinger_weber


def finite_difference_forces(energy, x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """-dE/dx by central differences, one coordinate at a time."""
    forces = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[index] += h
        minus[index] -= h
        forces[index] = -(energy(plus) - energy(minus)) / (2 * h)
    return forces


def assert_forces_match(energy_forces, x: np.ndarray, translation_invariant: bool = True) -> None:
    _, forces = energy_forces(x)
    numeric = finite_difference_forces(lambda y: energy_forces(y)[0], x)
    scale = np.abs(forces).max()
    assert scale > 0
    np.testing.assert_allclose(forces, numeric, rtol=1e-6, atol=1e-6 * scale)
    if translation_invariant:
        np.testing.assert_allclose(forces.sum(axis=0), 0.0, atol=1e-10 * scale * len(x))


def random_structure(rng, n: int, min_distance: float, box: float, periodic: bool = False) -> np.ndarray:
    """n points in a cube of side box, no two (minimum image if periodic) closer than min_distance."""
    points = []
    while len(points) < n:
        candidate = rng.uniform(0, box, 3)
        d = np.array(points).reshape(-1, 3) - candidate
        if periodic:
            d -= box * np.round(d / box)
        if np.all(np.linalg.norm(d, axis=1) >= min_distance):
            points.append(candidate)
    return np.array(points)


def pair_distances(x: np.ndarray) -> np.ndarray:
    return np.linalg.norm(x[:, None] - x[None], axis=-1)[np.triu_indices(len(x), 1)]


# Lennard-Jones


def test_lennard_jones_forces_match_finite_differences(rng):
    x = random_structure(rng, 13, 0.9, 2.6)
    assert_forces_match(lennard_jones.energy_forces, x)
    assert_forces_match(lambda y: lennard_jones.energy_forces(y, epsilon=0.7, sigma=1.3), 1.3 * x)


def test_lennard_jones_cutoff_drops_pairs_without_shift(rng):
    x = random_structure(rng, 20, 0.9, 3.5)
    assert np.any(pair_distances(x) > 2.5)
    assert_forces_match(lambda y: lennard_jones.energy_forces(y, cutoff=2.5), x)
    dimer = np.array([[0.0, 0.0, 0.0], [2.0, 0.0, 0.0]])
    e, _ = lennard_jones.energy_forces(dimer, cutoff=2.0 + 1e-9)
    assert e == pytest.approx(4 * (2.0**-12 - 2.0**-6), rel=1e-14)
    e, f = lennard_jones.energy_forces(dimer, cutoff=2.0)
    assert e == 0.0 and np.all(f == 0.0)


def test_lennard_jones_dimer_minimum():
    e, f = lennard_jones.energy_forces(np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 2 ** (1 / 6) * 1.5]]), 2.0, 1.5)
    assert e == pytest.approx(-2.0, rel=1e-14)
    np.testing.assert_allclose(f, 0.0, atol=1e-12)


def icosahedron(radius: float) -> np.ndarray:
    """13 atoms: centre plus the 12 vertices (0, +-1, +-golden) and cyclic permutations."""
    golden = (1 + np.sqrt(5)) / 2
    vertices = [np.roll([0.0, s1, s2 * golden], shift) for shift in range(3) for s1 in (-1, 1) for s2 in (-1, 1)]
    vertices = np.array(vertices) * radius / np.hypot(1, golden)
    return np.vstack([np.zeros(3), vertices])


def test_lennard_jones_lj13_icosahedron():
    def fun(flat):
        e, f = lennard_jones.energy_forces(flat.reshape(-1, 3))
        return e, -f.ravel()

    result = minimize(fun, icosahedron(1.09).ravel(), jac=True, method="L-BFGS-B", options={"gtol": 1e-10})
    assert result.fun == pytest.approx(-44.326801, abs=1e-6)


# SMATB


PAIRS = [(0, 0), (0, 1), (1, 1)]


def test_smatb_forces_match_finite_differences(rng):
    x = random_structure(rng, 20, 2.3, 7.0)
    types = rng.integers(0, 2, len(x))
    r = pair_distances(x)
    assert np.any((r > 3.62038672) & (r < 5.0056268338740553))  # some pairs sit in the polynomial tail
    assert_forces_match(lambda y: smatb.energy_forces(y, types, smatb.AGCU_PARAMS), x)


def test_smatb_forces_across_the_tail(rng):
    """A dense dimer plus a third atom swept through the Ag-Cu tail and beyond."""
    for gap in np.linspace(3.9, 4.6, 8):
        x = np.array([[0.0, 0.0, 0.0], [0.0, 2.7, 0.0], [gap, 0.3, 0.2]])
        assert_forces_match(lambda y: smatb.energy_forces(y, [0, 0, 1]), x)


def test_smatb_parameter_keys_and_symbols(rng):
    x = random_structure(rng, 8, 2.3, 5.0)
    types = np.array([0, 1, 1, 0, 0, 1, 0, 1])
    reference = smatb.energy_forces(x, types, smatb.AGCU_PARAMS)
    by_frozenset = {frozenset(pair): values for pair, values in smatb.AGCU_PARAMS.items()}
    for e, f in [smatb.energy_forces(x, types, by_frozenset), smatb.energy_forces(x, ["Ag", "Cu", "Cu", "Ag", "Ag", "Cu", "Ag", "Cu"])]:
        assert e == reference[0]
        np.testing.assert_array_equal(f, reference[1])


@pytest.mark.parametrize("pair", PAIRS)
def test_smatb_tail_is_smooth(pair):
    params = smatb.pair_params(smatb.AGCU_PARAMS, *pair)
    r0, rcs, rc = params["r0"], params["rcs"], params["rc"]
    for prefactor, decay in [(params["A"], params["p"]), (params["xi"], params["q"])]:
        value = prefactor * np.exp(decay * (1 - rcs / r0))
        exponential = value * np.array([1.0, -decay / r0, (decay / r0) ** 2])
        polynomial = np.array(smatb.radial(np.array(rcs), prefactor, decay, r0, rcs, rc))  # r = rcs: tail branch
        np.testing.assert_allclose(polynomial, exponential, rtol=1e-8)
        below = np.array(smatb.radial(np.array(rcs - 1e-12), prefactor, decay, r0, rcs, rc))
        np.testing.assert_allclose(below, exponential, rtol=1e-8)
        # approaching rc, value, slope and curvature vanish as h^3, h^2 and h
        near = [np.abs(smatb.radial(np.array(rc - h), prefactor, decay, r0, rcs, rc)) for h in (1e-3, 1e-4)]
        np.testing.assert_allclose(near[0] / near[1], [1e3, 1e2, 1e1], rtol=1e-2)
        assert all(np.all(v == 0.0) for v in smatb.radial(np.array([rc, rc + 0.5]), prefactor, decay, r0, rcs, rc))


@pytest.mark.parametrize("element, a_nn, expected", [(0, 2.89, -2.95), (1, 2.56, -3.50)])
def test_smatb_fcc_cohesive_energy(element, a_nn, expected):
    assert smatb.fcc_energy_per_atom(element, a_nn) == pytest.approx(expected, abs=0.01)


# Stillinger-Weber


def diamond_silicon(lattice: float, repeat: int) -> np.ndarray:
    fcc = np.array([[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]])
    basis = np.vstack([fcc, fcc + 0.25])
    shifts = np.array(np.meshgrid(*3 * [np.arange(repeat)], indexing="ij")).reshape(3, -1).T
    return ((shifts[:, None, :] + basis[None]).reshape(-1, 3)) * lattice


def test_stillinger_weber_cluster_forces_match_finite_differences(rng):
    x = random_structure(rng, 12, 2.0, 5.5)
    assert_forces_match(stillinger_weber.energy_forces, x)


def test_stillinger_weber_periodic_forces_match_finite_differences(rng):
    box = 8.0
    x = random_structure(rng, 24, 2.1, box, periodic=True)
    assert_forces_match(lambda y: stillinger_weber.energy_forces(y, cell=np.full(3, box)), x)
    # the energy only sees the positions modulo the box
    e, f = stillinger_weber.energy_forces(x, cell=np.full(3, box))
    e_shifted, f_shifted = stillinger_weber.energy_forces(x + box * rng.integers(-2, 3, x.shape), cell=box)
    assert e_shifted == pytest.approx(e, rel=1e-12)
    np.testing.assert_allclose(f_shifted, f, atol=1e-10 * np.abs(f).max())


def test_stillinger_weber_diamond_silicon():
    lattice = 5.431
    e, f = stillinger_weber.energy_forces(diamond_silicon(lattice, 2), cell=np.full(3, 2 * lattice))
    assert e / 64 == pytest.approx(-4.3366, abs=1e-4)
    np.testing.assert_allclose(f, 0.0, atol=1e-10)
