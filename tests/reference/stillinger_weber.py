"""Reference Stillinger-Weber silicon (Stillinger and Weber, PRB 31, 5262, 1985).

E = sum_{i<j} phi2(r_ij) + sum_i sum_{j<k} phi3(r_ij, r_ik, theta_jik), standard parameters.
"""

import numpy as np

from . import complex_step_forces, distances

EPS, SIGMA, A_CUT, LAMBDA, GAMMA, COS0, A, B, P, Q = 2.1683, 2.0951, 1.80, 21.0, 1.20, -1.0 / 3.0, 7.049556277, 0.6022245584, 4.0, 0.0


def energy(x: np.ndarray, cell: float | None = None):
    d = x[:, None, :] - x[None, :, :]
    if cell is not None:
        d = d - cell * np.round(d.real / cell)
    r = distances(x, cell)
    rc = A_CUT * SIGMA
    inside = r.real < rc
    safe = np.where(inside, r, rc / 2)  # keep exp arguments finite outside the cutoff
    two = np.where(inside, A * EPS * (B * (SIGMA / safe) ** P - (SIGMA / safe) ** Q) * np.exp(SIGMA / (safe - rc)), 0.0)
    decay = np.where(inside, np.exp(GAMMA * SIGMA / (safe - rc)), 0.0)  # (N, N)
    cos = np.einsum("ijk,ilk->ijl", d, d) / (r[:, :, None] * r[:, None, :])  # angle j-i-l at i
    three = LAMBDA * EPS * (cos - COS0) ** 2 * decay[:, :, None] * decay[:, None, :]
    n = len(x)
    distinct = ~np.eye(n, dtype=bool)
    mask = distinct[:, :, None] & distinct[:, None, :] & distinct[None, :, :]  # i, j, l all different
    return np.triu(two, 1).sum() + 0.5 * np.where(mask, three, 0.0).sum()


def energy_forces(x: np.ndarray, cell: float | None = None) -> tuple[float, np.ndarray]:
    return float(energy(x, cell).real), complex_step_forces(lambda z: energy(z, cell), x)
