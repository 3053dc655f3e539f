"""A catalogue of bad inputs: each is refused before any work with one line that says what to fix."""

from __future__ import annotations

import pytest

from lopt_lammps.cli import main


def error_of(capsys, *argv: str) -> str:
    """The one-line error of ``lopt-lammps ARGV`` (which must fail with status 2)."""
    capsys.readouterr()
    try:
        code = main(list(argv))
    except SystemExit as exit_:
        code = exit_.code
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lopt-lammps: error: "), err
    return lines[0]


# -- arguments ----------------------------------------------------------------------------

SEARCH = ["search", "LJ13", "--method", "fire", "--db", "unused.db"]


@pytest.mark.parametrize(
    "argv, message",
    [
        ([*SEARCH, "--budget", str(2**63)], "argument --budget: 9223372036854775808 is out of range; give a whole number from 1 to 1000000000"),
        ([*SEARCH, "--budget", "1000000000000000"], "argument --budget: 1000000000000000 is out of range"),
        ([*SEARCH, "--budget", "1e15"], "argument --budget: '1e15' is not a whole number"),
        ([*SEARCH, "--budget", "0"], "argument --budget: 0 is out of range"),
        ([*SEARCH, "--budget", "10", "--first-seed", "-1"], "argument --first-seed: -1 is out of range; give a whole number of at least 0"),
        ([*SEARCH, "--budget", "10", "--seeds", "0"], "argument --seeds: 0 is out of range"),
        ([*SEARCH, "--budget", "10", "--density", "nan"], "argument --density: nan is not a finite number above zero"),
        ([*SEARCH, "--budget", "10", "--density", "-1"], "argument --density: -1 is not a finite number above zero"),
        (["search", "LJ13", "--method", "annealing", "--budget", "10", "--db", "x.db"], "argument --method: invalid choice: 'annealing'"),
        (["train", "--out", "unused", "--workers", "0"], "argument --workers: 0 is out of range"),
        (["train", "--out", "unused", "--iterations", "ten"], "argument --iterations: 'ten' is not a whole number"),
        (["db", "export", "x.db", "--top", "0", "-o", "x.extxyz"], "argument --top: 0 is out of range"),
        (["db", "best", "x.db", "--top", "-3"], "argument --top: -3 is out of range"),
        (["db", "seeds", "x.db", "Ag6", "--first-seed", "-2", "-o", "x.extxyz"], "argument --first-seed: -2 is out of range"),
    ],
)
def test_bad_arguments_are_refused_at_parsing(capsys, argv, message):
    assert message in error_of(capsys, *argv)
