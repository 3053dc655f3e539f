"""Reference second-moment tight binding (Gupta) with LAMMPS pair_style smatb's tail.

E = sum_i [ sum_{j!=i} phi(r_ij) - sqrt(sum_{j!=i} g(r_ij)^2) ], phi = A exp(p(1 - r/r0)),
g = xi exp(q(1 - r/r0)) below r_cs; between r_cs and r_c each is the polynomial
c3 t^3 + c4 t^4 + c5 t^5 (t = r - r_c) matching value, slope and curvature at r_cs, whose
coefficients are found here by solving that 3x3 linear system (not from a closed form).
"""

import numpy as np

from . import complex_step_forces, distances

#: (r0, p, q, A, xi, r_cs, r_c) by element pair (LAMMPS examples/smatb/in.smatbNP)
AGCU = {
    ("Ag", "Ag"): (2.89, 10.85, 3.18, 0.1031, 1.1895, 4.08707719, 5.0056268338740553),
    ("Ag", "Cu"): (2.725, 10.70, 2.805, 0.0977, 1.2275, 4.08707719, 4.4340500673763259),
    ("Cu", "Cu"): (2.56, 10.55, 2.43, 0.0894, 1.2799, 3.62038672, 4.4340500673763259),
}


def tail_coefficients(prefactor: float, decay: float, r0: float, r_cs: float, r_c: float) -> np.ndarray:
    value = prefactor * np.exp(decay * (1 - r_cs / r0))
    slope = -decay / r0 * value
    curvature = (decay / r0) ** 2 * value
    t = r_cs - r_c
    system = np.array([[t**3, t**4, t**5], [3 * t**2, 4 * t**3, 5 * t**4], [6 * t, 12 * t**2, 20 * t**3]])
    return np.linalg.solve(system, [value, slope, curvature])


def radial(r, prefactor, decay, r0, r_cs, r_c):
    c = tail_coefficients(prefactor, decay, r0, r_cs, r_c)
    t = r - r_c
    exponential = prefactor * np.exp(decay * (1 - r / r0))
    polynomial = c[0] * t**3 + c[1] * t**4 + c[2] * t**5
    return np.where(r.real < r_cs, exponential, np.where(r.real < r_c, polynomial, 0.0))


def energy(x: np.ndarray, symbols: list[str], params=AGCU, cell: float | None = None):
    r = distances(x, cell)
    phi = np.zeros(r.shape, dtype=r.dtype)
    g2 = np.zeros(r.shape, dtype=r.dtype)
    symbols = np.asarray(symbols)
    for (a, b), (r0, p, q, A, xi, r_cs, r_c) in params.items():
        mask = ((symbols[:, None] == a) & (symbols[None, :] == b)) | ((symbols[:, None] == b) & (symbols[None, :] == a))
        phi = phi + np.where(mask, radial(r, A, p, r0, r_cs, r_c), 0.0)
        g2 = g2 + np.where(mask, radial(r, xi, q, r0, r_cs, r_c) ** 2, 0.0)
    return phi.sum() - np.sqrt(g2.sum(axis=1)).sum()


def energy_forces(x: np.ndarray, symbols: list[str], **kw) -> tuple[float, np.ndarray]:
    return float(energy(x, symbols, **kw).real), complex_step_forces(lambda z: energy(z, symbols, **kw), x)
