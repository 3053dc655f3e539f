"""What a trained hop policy learned, part by part: each ablation differs from the policy in one slice."""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import policy_ablations  # noqa: E402

from lopt_lammps.search.learned_policy import initial_parameters, slices  # noqa: E402
from lopt_lammps.search.policies import BasinHoppingSettings  # noqa: E402


def test_ablations_reset_one_slice_to_the_untrained_start_or_to_an_earlier_stage():
    untrained = initial_parameters(BasinHoppingSettings())
    stage = untrained.copy()
    stage[slices()["swap_weak"]] = [0.8, -0.1, -0.8]
    stage[slices()["log_kt"]] -= 0.3
    later = stage.copy()
    later[slices()["log_kt"]] -= 0.1

    from_untrained = policy_ablations.ablations(later, untrained)
    assert set(from_untrained) == {f"{kind}-{name}" for kind in ("without", "only") for name in ("swap_weak", "log_kt")}
    without_kt, what = from_untrained["without-log_kt"]
    np.testing.assert_array_equal(without_kt[slices()["log_kt"]], untrained[slices()["log_kt"]])
    np.testing.assert_array_equal(without_kt[slices()["swap_weak"]], later[slices()["swap_weak"]])
    assert what == "log_kt reset to its untrained start"

    from_stage = policy_ablations.ablations(later, stage, "start stage.json")
    assert set(from_stage) == {"without-log_kt", "only-log_kt"}  # the stage's swap scores are not this training's
    np.testing.assert_array_equal(from_stage["without-log_kt"][0], stage)
    np.testing.assert_array_equal(from_stage["only-log_kt"][0], later)
