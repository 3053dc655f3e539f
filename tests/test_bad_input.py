"""A catalogue of bad inputs: each is refused before any work with one line that says what to fix."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
from ase import Atoms
from ase.db import connect

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


# -- outputs: checked before the search -------------------------------------------------


def small_database(path: Path) -> Path:
    with connect(str(path)) as db:
        for k in range(40):
            db.write(Atoms("Cu2", positions=[[0, 0, 0], [0, 0, 2.0 + 0.01 * k]]), system="Cu2", step=k)
    return path


def damaged(path: Path, how: str) -> Path:
    data = bytearray(small_database(path).read_bytes())
    if how == "truncated":
        data = data[: len(data) // 2]
    else:  # garbage over the header of a page of the structures table
        data[4096 * 10 + 1 : 4096 * 10 + 5] = b"\x0f\xff\x0f\xff"
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(
    "make_db, message",
    [
        (lambda tmp: tmp, "is a folder; give a file name such as"),
        (lambda tmp: Path("/dev/null"), "database /dev/null is not a regular file"),
        (lambda tmp: tmp / "notes.db" if (tmp / "notes.db").write_text("my notes\n" * 100) else None,
         "is not a readable ase.db SQLite database (file is not a database)"),
        (lambda tmp: damaged(tmp / "truncated.db", "truncated"), "is not a readable ase.db SQLite database (database disk image is malformed)"),
        (lambda tmp: damaged(tmp / "garbled.db", "garbled"), "is damaged (Page "),
        (lambda tmp: sqlite_table(tmp / "other.db"), "is an SQLite database, but not an ase.db one"),
        (lambda tmp: tmp / "missing" / "x.db", "folder {tmp}/missing for the database x.db does not exist; create it first"),
    ],
    ids=["folder", "dev-null", "text", "truncated", "garbled", "other-sqlite", "missing-folder"],
)
def test_unusable_database_is_refused_before_the_search(tmp_path, capsys, make_db, message):
    db = make_db(tmp_path)
    line = error_of(capsys, "search", "LJ13", "--method", "fire", "--budget", "100", "--db", str(db))
    assert message.format(tmp=tmp_path) in line


def sqlite_table(path: Path) -> Path:
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE measurements (t REAL)")
    return path


def test_database_busy_at_the_start_is_refused_before_the_search(tmp_path, capsys, monkeypatch):
    db = tmp_path / "minima.db"
    monkeypatch.setenv("LOPT_LAMMPS_DB_TIMEOUT", "0.2")
    with sqlite3.connect(small_database(db), isolation_level=None) as holder:
        holder.execute("BEGIN EXCLUSIVE")
        line = error_of(capsys, "search", "LJ13", "--method", "fire", "--budget", "100", "--db", str(db))
        holder.execute("ROLLBACK")
    assert f"database {db} is busy: another process held it for over 0.2 s" in line


@pytest.mark.parametrize(
    "argv, message",
    [
        (["search", "LJ13", "--method", "fire", "--budget", "100", "--db", "{tmp}/x.db", "--trace", "{tmp}/no/trace.json"],
         "folder {tmp}/no for the trace file trace.json does not exist"),
        (["search", "LJ13", "--method", "fire", "--budget", "100", "--db", "{tmp}/x.db", "--trace", "{tmp}"], "trace file {tmp} is a folder"),
        (["relax", "{tmp}/in.extxyz", "-o", "{tmp}/no/out.extxyz"], "folder {tmp}/no for the output file out.extxyz does not exist"),
        (["init", "Ag6", "-o", "{tmp}/no/starts.extxyz"], "folder {tmp}/no for the output file starts.extxyz does not exist"),
        (["db", "export", "{tmp}/x.db", "-o", "{tmp}/no/best.extxyz"], "folder {tmp}/no for the output file best.extxyz does not exist"),
        (["db", "merge", "{tmp}", "{tmp}/x.db"], "database {tmp} is a folder"),
    ],
    ids=["trace-folder", "trace-is-folder", "relax-output", "init-output", "export-output", "merge-output"],
)
def test_unwritable_outputs_are_refused_before_any_work(tmp_path, capsys, argv, message):
    line = error_of(capsys, *[a.format(tmp=tmp_path) for a in argv])
    assert message.format(tmp=tmp_path) in line
