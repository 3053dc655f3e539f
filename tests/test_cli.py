"""The lopt-lammps command line: the search and db best contract."""

import json
import re
import subprocess
import sys

import pytest

from lopt_lammps.cli import main
from lopt_lammps.pretrained import pretrained_path, pretrained_policy_path


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lopt_lammps.cli", *args], capture_output=True, text=True)


def test_help_explains_commands():
    out = run_cli("--help")
    assert out.returncode == 0 and "search" in out.stdout and "examples:" in out.stdout
    out = run_cli("search", "--help")
    assert "--budget" in out.stdout and "energy+force evaluations per seed" in out.stdout
    methods = re.sub(r"-\n\s+", "-", out.stdout)  # argparse may break a name at its hyphen
    assert "ase-bh" in methods and "ase-mh" in methods and "BasinHopping" in out.stdout


@pytest.mark.parametrize("shipped", [pretrained_policy_path, pretrained_path], ids=["hop policy", "update rule"])
def test_output_read_by_a_reader_that_leaves_is_no_error(shipped):
    """`lopt-lammps optimizer info FILE | head -1`: the reader closes the pipe early."""
    process = subprocess.Popen([sys.executable, "-m", "lopt_lammps.cli", "optimizer", "info", str(shipped())],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    process.stdout.close()
    assert process.wait(timeout=120) == 1
    assert process.stderr.read() == ""


def test_search_then_db_best(tmp_path, capsys):
    db = tmp_path / "minima.db"
    assert main(["search", "LJ13", "--method", "fire", "--budget", "2000", "--seeds", "2", "--db", str(db)]) == 0
    assert main(["search", "Ag4Cu2", "--method", "bh", "--budget", "800", "--seeds", "1", "--db", str(db)]) == 0
    capsys.readouterr()
    assert main(["db", "best", str(db), "--top", "3", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 3
    assert {"formula", "energy", "method", "seed", "evaluations", "id"} <= set(rows[0])
    assert [r["energy"] for r in rows] == sorted(r["energy"] for r in rows)
    assert rows[0]["formula"] == "LJ13" and rows[0]["method"] == "fire"
    assert main(["db", "best", str(db), "--formula", "LJ13", "--top", "1", "--json"]) == 0
    lj = json.loads(capsys.readouterr().out)
    assert lj[0]["formula"] == "LJ13" and lj[0]["energy"] == pytest.approx(-44.326801, abs=1e-4)
    assert main(["db", "best", str(db), "--formula", "LJ13"]) == 0
    table = capsys.readouterr().out
    assert "LJ13" in table and "evaluations" in table.splitlines()[0]
    listing = subprocess.run([sys.executable, "-m", "ase", "db", str(db)], capture_output=True, text=True)
    assert listing.returncode == 0 and re.search(r"Rows: \d+", listing.stdout)


def test_errors_are_clear(tmp_path, capsys):
    assert main(["search", "Au13", "--method", "bh", "--budget", "10", "--db", str(tmp_path / "x.db")]) == 2
    assert "no shipped potential has parameters for Au" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="2"):
        main(["search", "LJ13", "--method", "bh", "--budget", "0", "--db", str(tmp_path / "x.db")])
    assert "argument --budget: 0 is out of range" in capsys.readouterr().err
    assert main(["db", "best", str(tmp_path / "missing.db")]) == 2
    assert "not found" in capsys.readouterr().err
    assert main(["search", "LJ13", "--method", "fire", "--budget", "10", "--db", str(tmp_path / "no" / "x.db")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_optimizer_info_and_compare_read_hop_policies(tmp_path, capsys):
    from lopt_lammps.search.learned_policy import initial_parameters, policy_fingerprint, save_policy, slices
    from lopt_lammps.search.policies import BasinHoppingSettings

    theta = initial_parameters(BasinHoppingSettings())
    theta[slices()["swap_strong"].start] = 0.25
    save_policy(tmp_path / "policy.json", theta, 200, {"commit": "abc"})
    assert main(["optimizer", "info", str(tmp_path / "policy.json")]) == 0
    out = capsys.readouterr().out
    assert f"hop policy, fingerprint {policy_fingerprint(theta, 200)}" in out
    assert "swap_strong: 0.25, 0, 0" in out and "commit: abc" in out
    (tmp_path / "broken.json").write_text("{}")
    assert main(["optimizer", "compare", str(tmp_path / "broken.json")]) == 2
    assert "is not a lopt-lammps hop-policy file" in capsys.readouterr().err
