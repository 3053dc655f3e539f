"""Seeds over several worker processes: the same search, the same database."""

import json

import numpy as np
import pytest
from ase.db import connect

from lopt_lammps.cli import main
from lopt_lammps.search.parallel import split


def test_seeds_are_split_in_order():
    assert split([3, 4, 5, 6, 7], 2) == [[3, 4, 5], [6, 7]]
    assert split([3, 4], 8) == [[3], [4]]
    assert split([9], 1) == [[9]]


def rows(db) -> list[tuple]:
    with connect(db) as database:
        return [(row.key_value_pairs, row.energy, row.numbers.tolist(), row.positions.round(9).tolist())
                for row in database.select(sort="id")]


@pytest.mark.slow
@pytest.mark.parametrize("method, options", [("bh", ["--bh-minimizer", "lbfgs"]), ("bh", ["--bh-minimizer", "cg"]), ("loop-fire", [])],
                         ids=["bh-lbfgs-batched", "bh-cg-sequential", "loop-fire"])
def test_two_cores_give_the_database_one_core_gives(tmp_path, method, options):
    results = {}
    for cores in (1, 2):
        db, trace = tmp_path / f"{cores}.db", tmp_path / f"{cores}.json"
        assert main(["search", "Ag10Cu3", "--method", method, "--budget", "1200", "--seeds", "3", *options,
                     "--db", str(db), "--trace", str(trace), "--cores", str(cores), "--quiet"]) == 0
        results[cores] = rows(db), json.loads(trace.read_text())
    (rows1, trace1), (rows2, trace2) = results[1], results[2]
    assert len(rows1) > 3 and rows2 == rows1
    assert [r["seed"] for r in trace2["runs"]] == [0, 1, 2]
    assert trace2["runs"] == trace1["runs"]  # evaluations, traces and notes of every seed
    assert np.isfinite([r["trace_energies"][-1] for r in trace1["runs"]]).all()


def test_cores_must_be_positive(capsys):
    with pytest.raises(SystemExit):
        main(["search", "LJ13", "--method", "fire", "--budget", "10", "--db", "x.db", "--cores", "0"])
    assert "--cores" in capsys.readouterr().err


@pytest.mark.slow
def test_a_job_run_on_two_cores_is_the_job_of_one(tmp_path, capsys):
    """``job search --cores``: the job's name and result do not depend on the cores."""
    common = ["job", "search", "Ag6Cu2", "--project", str(tmp_path / "pyiron"), "--name", "chunk0", "--method", "bh",
              "--bh-minimizer", "lbfgs", "--budget", "600", "--seeds", "2", "--quiet"]
    assert main([*common, "--db", str(tmp_path / "two.db"), "--cores", "2"]) == 0
    assert "ran" in capsys.readouterr().out
    assert main([*common, "--db", str(tmp_path / "one.db"), "--cores", "1"]) == 0
    assert "reused the finished pyiron job" in capsys.readouterr().out
    assert rows(tmp_path / "one.db") == rows(tmp_path / "two.db")
