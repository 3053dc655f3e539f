"""Statistics for comparing search methods over seeds: intervals, tests, hit curves.

A method's result on a system is, per seed, the evaluation (or second) at which it first
reached the best-known energy, ``inf`` where it never did within the budget (a censored
time). From these:

* success rate with an exact (Clopper-Pearson) 95 % interval;
* the fraction of seeds that have hit by n evaluations, with a bootstrap band over seeds;
* the median time to hit (``inf`` when fewer than half hit) with a bootstrap interval;
* two-sided tests between two methods: Fisher's exact test on success counts, the
  log-rank test on the censored times to hit; for paired per-seed values (the same first
  structure per seed), the Wilcoxon signed-rank test, and the mean paired difference with a
  bootstrap interval.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

#: bootstrap resamples for bands and intervals
BOOTSTRAP = 2000


def success_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval of a success rate."""
    ci = stats.binomtest(successes, n).proportion_ci(confidence_level=confidence, method="exact")
    return float(ci.low), float(ci.high)


def fisher_p(successes_a: int, n_a: int, successes_b: int, n_b: int) -> float:
    """Two-sided Fisher's exact test of equal success rates."""
    table = [[successes_a, n_a - successes_a], [successes_b, n_b - successes_b]]
    return float(stats.fisher_exact(table).pvalue)


def logrank_p(times_a: np.ndarray, times_b: np.ndarray, horizon: float) -> float:
    """Two-sided log-rank test of equal time-to-hit distributions, misses (``inf``)
    censored at ``horizon``; 1.0 where neither method ever hits."""
    a, b = np.asarray(times_a, dtype=float), np.asarray(times_b, dtype=float)
    if not (np.isfinite(a).any() or np.isfinite(b).any()):
        return 1.0

    def censored(t: np.ndarray) -> stats.CensoredData:
        return stats.CensoredData(uncensored=t[np.isfinite(t)], right=np.full(int((~np.isfinite(t)).sum()), horizon))

    return float(stats.logrank(censored(a), censored(b)).pvalue)


def wilcoxon_p(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sided Wilcoxon signed-rank test of paired values; 1.0 when all pairs are equal."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if np.allclose(a, b, rtol=0, atol=1e-9):
        return 1.0
    return float(stats.wilcoxon(a, b, zero_method="zsplit").pvalue)


def paired_difference(a: np.ndarray, b: np.ndarray, confidence: float = 0.95, seed: int = 0) -> tuple[float, tuple[float, float]]:
    """Mean of the paired differences ``a - b`` and its bootstrap percentile interval over the pairs."""
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    return float(d.mean()), _percentile_interval(d[_resamples(len(d), seed)].mean(axis=1), confidence)


def median_time(times: np.ndarray) -> float:
    """Median time to hit over seeds (a miss counts as ``inf``)."""
    return float(np.median(np.asarray(times, dtype=float)))


def _resamples(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(n, size=(BOOTSTRAP, n))


def _percentile_interval(statistics: np.ndarray, confidence: float) -> tuple[float, float]:
    """Percentile interval of :data:`BOOTSTRAP` resampled statistics."""
    ordered = np.sort(statistics)
    tail = (1 - confidence) / 2
    return float(ordered[int(math.floor(tail * (BOOTSTRAP - 1)))]), float(ordered[int(math.ceil((1 - tail) * (BOOTSTRAP - 1)))])


def median_interval(times: np.ndarray, confidence: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Bootstrap percentile interval of the median time to hit (bounds may be ``inf``)."""
    t = np.asarray(times, dtype=float)
    return _percentile_interval(np.median(t[_resamples(len(t), seed)], axis=1), confidence)


def hit_curve(times: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Fraction of seeds that have hit by each point of ``grid``."""
    t = np.sort(np.asarray(times, dtype=float))
    return np.searchsorted(t, np.asarray(grid, dtype=float), side="right") / len(t)


def hit_curve_band(times: np.ndarray, grid: np.ndarray, confidence: float = 0.95, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap band (over seeds) of :func:`hit_curve`."""
    t = np.asarray(times, dtype=float)
    samples = np.sort(t[_resamples(len(t), seed)], axis=1)
    curves = np.stack([np.searchsorted(row, grid, side="right") for row in samples]) / len(t)
    tail = (1 - confidence) / 2
    return np.quantile(curves, tail, axis=0), np.quantile(curves, 1 - tail, axis=0)


def verdict(p: float, level: float = 0.05) -> str:
    """``"p = 0.003"`` or ``"p = 0.31, not significant"``."""
    text = f"p = {p:.2g}" if p >= 1e-4 else "p < 1e-4"
    return text if p < level else f"{text}, not significant"
