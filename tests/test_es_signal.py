"""The ES-signal summary of a finished training run, whole or after its first iterations."""

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import es_signal  # noqa: E402


def test_a_trained_run_is_summarised_over_its_iterations_after_the_first_n(tmp_path):
    config = tmp_path / "train.yaml"
    config.write_text("learner: hops\ntrained: [log_kt]\npairs: 3\n")
    history = [{"iteration": i, "gradient_cosine_halves": cosine, "gradient_signal_p": p, "drift": 0.1 * (i + 1), "random_walk": 0.1}
               for i, (cosine, p) in enumerate([(0.9, 0.01), (0.1, 0.5), (0.3, 0.2)])]
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "history.json").write_text(json.dumps(history))
    whole = es_signal.trained_row(config, tmp_path / "run")
    assert whole["first_iteration"] == 1 and whole["cosines"] == [0.9, 0.1, 0.3]
    later = es_signal.trained_row(config, tmp_path / "run", after=1)
    assert later["first_iteration"] == 2 and later["iterations"] == 2 and later["cosines"] == [0.1, 0.3]
    assert later["combined_p"] == pytest.approx(es_signal.fisher_combined([0.5, 0.2]))
    with pytest.raises(SystemExit, match="lower --after"):
        es_signal.trained_row(config, tmp_path / "run", after=3)
