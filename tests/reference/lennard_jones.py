"""Reference 12-6 Lennard-Jones: E = sum_{i<j} 4 eps ((s/r)^12 - (s/r)^6), analytic forces."""

import numpy as np


def energy_forces(
    positions: np.ndarray, epsilon: float = 1.0, sigma: float = 1.0, cutoff: float | None = None
) -> tuple[float, np.ndarray]:
    """Energy and forces (N, 3) of a free cluster; pairs with r >= cutoff are dropped (no shift)."""
    x = np.asarray(positions, dtype=float)
    d = x[:, None, :] - x[None, :, :]  # d[i, j] = x_i - x_j
    r = np.linalg.norm(d, axis=-1)
    keep = ~np.eye(len(x), dtype=bool)
    if cutoff is not None:
        keep &= r < cutoff
    r = np.where(keep, r, 1.0)  # dummy distance on dropped entries
    sr6 = (sigma / r) ** 6
    pair = np.where(keep, 4 * epsilon * (sr6 * sr6 - sr6), 0.0)
    dpair_dr = np.where(keep, 4 * epsilon * (-12 * sr6 * sr6 + 6 * sr6) / r, 0.0)
    forces = -np.einsum("ij,ijk->ik", dpair_dr / r, d)
    return float(0.5 * pair.sum()), forces
