"""The search-quality benchmark keeps each job's traces under a name; a learned variant's name
must change with its file, or a retrained policy would be scored by the jobs of the one before."""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import search_quality  # noqa: E402

from lopt_lammps.search.learned_policy import initial_parameters, save_policy, slices  # noqa: E402
from lopt_lammps.search.policies import BasinHoppingSettings  # noqa: E402


def test_a_retrained_policy_under_the_same_label_and_path_gets_its_own_jobs(tmp_path):
    policy = tmp_path / "policy.json"
    theta = initial_parameters(BasinHoppingSettings())
    variant = search_quality.Variant("mine", "learned", str(policy))
    job = ("Ag27Cu7", variant, 1000, [0, 1])
    save_policy(policy, theta, BasinHoppingSettings().patience, {"note": "first"})
    first = search_quality.job_file(tmp_path, job)
    save_policy(policy, theta, BasinHoppingSettings().patience, {"note": "the same parameters, other metadata"})
    search_quality.learned_fingerprint.cache_clear()
    assert search_quality.job_file(tmp_path, job) == first
    theta = theta.copy()
    theta[slices()["swap_weak"]] = np.array([0.8, -0.1, -0.8])
    save_policy(policy, theta, BasinHoppingSettings().patience, {"note": "retrained"})
    search_quality.learned_fingerprint.cache_clear()
    assert search_quality.job_file(tmp_path, job) != first
    # methods without a trained file keep their names
    bh = ("Ag27Cu7", search_quality.Variant("bh", "bh"), 1000, [0, 1])
    assert search_quality.job_file(tmp_path, bh).name.startswith("Ag27Cu7-bh-22a11429-1000-")
