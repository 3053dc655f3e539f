"""Reference Stillinger-Weber silicon (Stillinger and Weber, PRB 31, 5262 (1985)), analytic forces.

E = sum_{i<j} phi2(r_ij) + sum_i sum_{j<k} phi3(r_ij, r_ik, theta_jik) with
phi2 = A eps (B (sigma/r)^p - (sigma/r)^q) exp(sigma / (r - a sigma)) and
phi3 = lambda eps (cos theta_jik - cos theta0)^2 exp(gamma sigma / (r_ij - a sigma))
exp(gamma sigma / (r_ik - a sigma)), all terms zero beyond r = a sigma.
"""

import numpy as np

EPSILON, SIGMA, A_CUT, LAMBDA, GAMMA = 2.1683, 2.0951, 1.80, 21.0, 1.20
COS_THETA0, A, B, P, Q = -1.0 / 3.0, 7.049556277, 0.6022245584, 4.0, 0.0
R_CUT = A_CUT * SIGMA


def _two_body(r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """phi2 and its derivative for distances r < R_CUT."""
    power = B * (SIGMA / r) ** P - (SIGMA / r) ** Q
    dpower = (-P * B * (SIGMA / r) ** P + Q * (SIGMA / r) ** Q) / r
    decay = np.exp(SIGMA / (r - R_CUT))
    ddecay = -SIGMA / (r - R_CUT) ** 2 * decay
    return A * EPSILON * power * decay, A * EPSILON * (dpower * decay + power * ddecay)


def _three_body_at(d: np.ndarray) -> tuple[float, np.ndarray]:
    """Three-body energy around one atom and its gradient wrt the bond vectors d (m, 3) to its neighbours."""
    r = np.linalg.norm(d, axis=1)
    decay = np.exp(GAMMA * SIGMA / (r - R_CUT))
    log_slope = -GAMMA * SIGMA / (r - R_CUT) ** 2  # d ln(decay) / dr
    cos = (d @ d.T) / np.outer(r, r)
    delta = cos - COS_THETA0
    w = LAMBDA * EPSILON * np.outer(decay, decay)
    np.fill_diagonal(w, 0.0)  # j != k; each unordered pair appears twice
    energy = 0.5 * (w * delta**2).sum()
    # d h_jk / d d_j = w [2 delta (d_k / (r_j r_k) - cos d_j / r_j^2) + delta^2 log_slope_j d_j / r_j]
    along_k = (2 * w * delta / r[None, :]) @ d / r[:, None]
    along_j = (w * (-2 * delta * cos / r[:, None] ** 2 + delta**2 * (log_slope / r)[:, None])).sum(axis=1)
    return energy, along_k + along_j[:, None] * d


def energy_forces(positions: np.ndarray, cell: np.ndarray | float | None = None) -> tuple[float, np.ndarray]:
    """Energy and forces (N, 3); cell None = free cluster, else orthorhombic box lengths (minimum image,
    lengths must exceed 2 a sigma)."""
    x = np.asarray(positions, dtype=float)
    n = len(x)
    d = x[None, :, :] - x[:, None, :]  # d[i, j] = x_j - x_i
    if cell is not None:
        box = np.broadcast_to(np.asarray(cell, dtype=float), (3,))
        d -= box * np.round(d / box)
    r = np.linalg.norm(d, axis=-1)
    neighbour = (r < R_CUT) & ~np.eye(n, dtype=bool)
    forces = np.zeros((n, 3))

    pairs = np.triu(neighbour, 1)
    phi2, dphi2 = _two_body(r[pairs])
    energy = phi2.sum()
    push = (dphi2 / r[pairs])[:, None] * d[pairs]  # dE/dx_j for each pair (i < j)
    i, j = np.nonzero(pairs)
    np.add.at(forces, i, push)
    np.add.at(forces, j, -push)

    for centre in range(n):
        (others,) = np.nonzero(neighbour[centre])
        if len(others) < 2:
            continue
        e3, grad = _three_body_at(d[centre, others])
        energy += e3
        forces[others] -= grad
        forces[centre] += grad.sum(axis=0)
    return float(energy), forces
