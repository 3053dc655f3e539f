"""The statistics of the search-quality benchmark against textbook cases."""

import math

import numpy as np
import pytest

from lopt_lammps.statistics import (
    fisher_p,
    hit_curve,
    hit_curve_band,
    logrank_p,
    median_interval,
    median_time,
    paired_difference,
    success_interval,
    verdict,
    wilcoxon_p,
)


def test_success_interval_is_the_exact_binomial_interval():
    low, high = success_interval(15, 30)
    assert (low, high) == pytest.approx((0.3130, 0.6870), abs=1e-4)  # Clopper-Pearson, 15/30
    assert success_interval(0, 30)[0] == 0.0 and success_interval(30, 30)[1] == 1.0


def test_fisher_and_logrank_separate_clear_differences_only():
    assert fisher_p(25, 30, 5, 30) < 1e-5
    assert fisher_p(15, 30, 14, 30) > 0.5
    fast = np.array([100.0] * 20 + [math.inf] * 10)
    slow = np.array([5000.0] * 5 + [math.inf] * 25)
    assert logrank_p(fast, slow, 10000) < 1e-4
    assert logrank_p(fast, fast.copy(), 10000) > 0.9
    assert logrank_p(np.full(5, math.inf), np.full(5, math.inf), 100) == 1.0


def test_medians_and_hit_curves_count_misses_as_never():
    times = np.array([10.0, 20.0, 30.0, math.inf, math.inf])
    assert median_time(times) == 30.0
    assert median_time(np.array([10.0, math.inf, math.inf])) == math.inf
    np.testing.assert_allclose(hit_curve(times, [5, 10, 25, 1e9]), [0.0, 0.2, 0.4, 0.6])
    low, high = hit_curve_band(times, np.array([25.0]))
    assert low[0] <= 0.4 <= high[0]
    lo, hi = median_interval(times)
    assert lo <= 30.0 <= hi


def test_paired_test_and_verdicts():
    a = np.arange(30.0)
    assert wilcoxon_p(a, a) == 1.0
    assert wilcoxon_p(a, a + 1.0) < 1e-5
    assert verdict(0.2) == "p = 0.2, not significant" and verdict(0.001) == "p = 0.001"


def test_paired_difference_interval_covers_the_shift_and_excludes_zero_only_for_a_real_one():
    rng = np.random.default_rng(1)
    base = rng.normal(size=120)
    shifted = base - 0.3 + 0.1 * rng.normal(size=120)
    mean, (low, high) = paired_difference(shifted, base)
    assert low < mean < high and low < -0.3 < high and high < 0
    mean, (low, high) = paired_difference(base + 0.1 * rng.normal(size=120), base)
    assert low < 0 < high
