"""Independent numpy implementations of the potentials, used only by the tests.

Written from the published functional forms, sharing no code with the package. Forces are
complex-step derivatives of the energy, -Im E(x + i h e_k) / h, exact to rounding error
(no subtractive cancellation, unlike finite differences).
"""

import numpy as np


def complex_step_forces(energy, x: np.ndarray, h: float = 1e-30) -> np.ndarray:
    """-dE/dx for every coordinate of x (N, 3), from an energy function that accepts complex input."""
    forces = np.zeros(x.shape)
    for i in range(x.shape[0]):
        for k in range(3):
            z = x.astype(complex)
            z[i, k] += 1j * h
            forces[i, k] = -np.imag(energy(z)) / h
    return forces


def distances(x: np.ndarray, cell: float | None = None) -> np.ndarray:
    """Pair distances (N, N), complex-safe (no abs), minimum image for a cubic cell."""
    d = x[:, None, :] - x[None, :, :]
    if cell is not None:
        d = d - cell * np.round(d.real / cell)
    r2 = (d * d).sum(-1)
    n = len(x)
    r2 = r2 + np.eye(n) * 1e6  # keep the diagonal away from the cutoffs
    return np.sqrt(r2)
