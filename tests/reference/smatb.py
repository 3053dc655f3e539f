"""Reference second-moment tight-binding (Gupta) potential as LAMMPS ``pair_style smatb`` defines it.

E = sum_i [ sum_{j!=i} phi(r_ij) - sqrt(sum_{j!=i} g(r_ij)^2) ] with phi = A exp(p (1 - r/r0)),
g = xi exp(q (1 - r/r0)) below r_cs. Between r_cs and r_c each function is replaced by
c3 t^3 + c4 t^4 + c5 t^5 (t = r - r_c) matching value, slope and curvature at r_cs; the
coefficients are obtained here by solving that 3x3 linear system numerically (not from a
closed form). Both functions are zero from r_c on.
"""

from collections.abc import Mapping, Sequence

import numpy as np

#: element names of the indices used by AGCU_PARAMS
ELEMENTS = ("Ag", "Cu")

#: Ag-Cu parameters (LAMMPS examples/smatb), element index 0 = Ag, 1 = Cu
AGCU_PARAMS = {
    pair: dict(zip(("r0", "p", "q", "A", "xi", "rcs", "rc"), values))
    for pair, values in {
        (0, 0): (2.89, 10.85, 3.18, 0.1031, 1.1895, 4.08707719, 5.0056268338740553),
        (0, 1): (2.725, 10.70, 2.805, 0.0977, 1.2275, 4.08707719, 4.4340500673763259),
        (1, 1): (2.56, 10.55, 2.43, 0.0894, 1.2799, 3.62038672, 4.4340500673763259),
    }.items()
}


def pair_params(params: Mapping, a: int, b: int) -> dict:
    """Parameters of the pair (a, b), keyed in params by a frozenset or a sorted tuple."""
    for key in (frozenset((a, b)), (min(a, b), max(a, b))):
        if key in params:
            return params[key]
    raise KeyError(f"no parameters for element pair ({a}, {b})")


def tail_coefficients(prefactor: float, decay: float, r0: float, rcs: float, rc: float) -> np.ndarray:
    """(c3, c4, c5) of the tail matching prefactor exp(decay (1 - r/r0)) to second order at rcs."""
    value = prefactor * np.exp(decay * (1 - rcs / r0))
    target = value * np.array([1.0, -decay / r0, (decay / r0) ** 2])
    t = rcs - rc
    system = np.array(
        [
            [t**3, t**4, t**5],
            [3 * t**2, 4 * t**3, 5 * t**4],
            [6 * t, 12 * t**2, 20 * t**3],
        ]
    )
    return np.linalg.solve(system, target)


def radial(
    r: np.ndarray, prefactor: float, decay: float, r0: float, rcs: float, rc: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Value, first and second derivative of the cut radial function at distances r."""
    r = np.asarray(r, dtype=float)
    k = decay / r0
    exponential = prefactor * np.exp(decay * (1 - np.minimum(r, rcs) / r0))
    c3, c4, c5 = tail_coefficients(prefactor, decay, r0, rcs, rc)
    t = np.minimum(r, rc) - rc  # clipped: the polynomial is only used below rc
    polynomial = (
        c3 * t**3 + c4 * t**4 + c5 * t**5,
        3 * c3 * t**2 + 4 * c4 * t**3 + 5 * c5 * t**4,
        6 * c3 * t + 12 * c4 * t**2 + 20 * c5 * t**3,
    )
    head = (exponential, -k * exponential, k * k * exponential)
    return tuple(np.where(r < rcs, e, np.where(r < rc, p, 0.0)) for e, p in zip(head, polynomial))


def phi_and_g(r: np.ndarray, pair: Mapping) -> tuple[tuple, tuple]:
    """(phi, phi', phi'') and (g, g', g'') of one pair type at distances r."""
    cut = (pair["r0"], pair["rcs"], pair["rc"])
    return radial(r, pair["A"], pair["p"], *cut), radial(r, pair["xi"], pair["q"], *cut)


def _type_indices(types: Sequence) -> np.ndarray:
    """Integer element indices; element symbols are mapped through ELEMENTS."""
    types = np.asarray(types)
    if types.dtype.kind in "US":
        return np.array([ELEMENTS.index(str(s)) for s in types])
    return types.astype(int)


def energy_forces(
    positions: np.ndarray, types: Sequence, params: Mapping = AGCU_PARAMS
) -> tuple[float, np.ndarray]:
    """Energy and forces (N, 3) of a free cluster; types are element indices (or symbols of ELEMENTS)."""
    x = np.asarray(positions, dtype=float)
    types = _type_indices(types)
    d = x[:, None, :] - x[None, :, :]  # d[i, j] = x_i - x_j
    r = np.linalg.norm(d, axis=-1)
    np.fill_diagonal(r, np.inf)  # no self-interaction
    phi, dphi, g, dg = (np.zeros_like(r) for _ in range(4))
    for a in np.unique(types):
        for b in np.unique(types):
            mask = (types[:, None] == a) & (types[None, :] == b)
            (f, df, _), (h, dh, _) = phi_and_g(r, pair_params(params, int(a), int(b)))
            phi += np.where(mask, f, 0.0)
            dphi += np.where(mask, df, 0.0)
            g += np.where(mask, h, 0.0)
            dg += np.where(mask, dh, 0.0)
    rho = (g * g).sum(axis=1)
    sqrt_rho = np.sqrt(rho)
    energy = phi.sum() - sqrt_rho.sum()
    inv_sqrt = np.divide(1.0, sqrt_rho, out=np.zeros_like(rho), where=rho > 0)
    # dE/dr_ij for the unordered pair: phi counted from both ends, embedding of both atoms
    de_dr = 2 * dphi - g * dg * (inv_sqrt[:, None] + inv_sqrt[None, :])
    np.fill_diagonal(r, 1.0)
    forces = -np.einsum("ij,ijk->ik", de_dr / r, d)
    return float(energy), forces


def energy(positions: np.ndarray, types: Sequence, params: Mapping = AGCU_PARAMS) -> float:
    """Energy only (see energy_forces)."""
    return energy_forces(positions, types, params)[0]


def fcc_energy_per_atom(element_index: int, a_nn: float, params: Mapping = AGCU_PARAMS) -> float:
    """Energy per atom of the perfect bulk fcc crystal of one element, nearest-neighbour distance a_nn."""
    pair = pair_params(params, element_index, element_index)
    half = a_nn / np.sqrt(2)  # half the cubic lattice constant
    n = int(np.ceil(pair["rc"] / half)) + 1
    grid = np.stack(np.meshgrid(*3 * [np.arange(-n, n + 1)], indexing="ij"), axis=-1).reshape(-1, 3)
    sites = grid[(grid.sum(axis=1) % 2 == 0) & grid.any(axis=1)] * half
    (phi, _, _), (g, _, _) = phi_and_g(np.linalg.norm(sites, axis=1), pair)
    return float(phi.sum() - np.sqrt((g * g).sum()))
