"""Reference 12-6 Lennard-Jones: E = sum_{i<j} 4 eps ((s/r)^12 - (s/r)^6), optional cutoff, no shift."""

import numpy as np

from . import complex_step_forces, distances


def energy(x: np.ndarray, epsilon: float = 1.0, sigma: float = 1.0, cutoff: float | None = None):
    r = distances(x)
    sr6 = (sigma / r) ** 6
    pair = 4 * epsilon * (sr6 * sr6 - sr6)
    if cutoff is not None:
        pair = np.where(r.real < cutoff, pair, 0.0)
    return np.triu(pair, 1).sum()


def energy_forces(x: np.ndarray, **kw) -> tuple[float, np.ndarray]:
    return float(energy(x, **kw).real), complex_step_forces(lambda z: energy(z, **kw), x)
