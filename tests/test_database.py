"""The minima database: idempotent writes, foreign rows, no lock files, interrupted and blocked writes."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator
from ase.db import connect
from pausing import pause_environment, release, wait_until_reached

from lopt_lammps.cli import main

SEARCH = ["search", "LJ13", "--method", "fire", "--budget", "600", "--seeds", "2", "--quiet"]


def search(db: Path, *extra: str) -> None:
    assert main([*SEARCH, "--db", str(db), *extra]) == 0


def search_process(db: Path, env: dict[str, str], cwd: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "lopt_lammps.cli", *SEARCH, "--db", str(db), *extra], env=env, cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def listing(db: Path) -> list[tuple]:
    """Rows as (system, method, seed, stage, energy), and ``ase db`` and ``db best`` work on the file."""
    done = subprocess.run([sys.executable, "-m", "ase", "db", str(db)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert main(["db", "best", str(db)]) == 0
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    return sorted((r.system, r.method, r.seed, r.stage, round(r.energy, 6)) for r in connect(str(db)).select())


def foreign_database(path: Path) -> None:
    """An ase.db written by another program: one very low energy, none of lopt-lammps's keys."""
    atoms = Atoms("Cu2", positions=[[0, 0, 0], [0, 0, 2.2]])
    atoms.calc = SinglePointCalculator(atoms, energy=-500.0)
    with connect(str(path)) as db:
        db.write(atoms, project="other")


def test_running_a_search_again_adds_nothing(tmp_path, capsys):
    db = tmp_path / "minima.db"
    search(db)
    first = listing(db)
    assert first and len(set(first)) == len(first)
    for _ in range(3):
        search(db)
    assert listing(db) == first
    assert "0 minima written" in capsys.readouterr().out
    search(db, "--first-seed", "1")  # seed 1 again (nothing new), seed 2 new
    again = listing(db)
    assert set(first) < set(again) and len(set(again)) == len(again)


def test_a_stale_lock_file_does_not_block_writes(tmp_path):
    db = tmp_path / "minima.db"
    Path(f"{db}.lock").touch()
    search(db)
    assert listing(db)


def test_foreign_database_is_refused_for_writing(tmp_path, capsys):
    db = tmp_path / "foreign.db"
    foreign_database(db)
    assert main([*SEARCH, "--db", str(db)]) == 2
    assert "holds rows that lopt-lammps did not write" in capsys.readouterr().err
    assert main(["db", "best", str(db)]) == 2
    assert "holds no rows written by lopt-lammps" in capsys.readouterr().err


def test_foreign_rows_are_skipped_when_reading(tmp_path, capsys):
    db = tmp_path / "minima.db"
    search(db)
    ours = listing(db)
    foreign_database(db)  # another program appends to our database
    capsys.readouterr()
    assert main(["db", "best", str(db), "--json"]) == 0
    captured = capsys.readouterr()
    rows = json.loads(captured.out)
    assert rows[0]["energy"] > -100 and len(rows) == len(ours)
    assert "lopt-lammps: warning: skipped 1 rows" in captured.err
    assert main(["db", "export", str(db), "-o", str(tmp_path / "best.extxyz")]) == 0
    assert main(["db", "merge", str(tmp_path / "campaign.db"), str(db)]) == 0
    search(db)  # the database is marked as ours: adding to it still works


@pytest.mark.slow
def test_kill_during_the_write_leaves_the_database_usable(tmp_path):
    db = tmp_path / "minima.db"
    search(db)
    before = listing(db)
    killed = search_process(db, pause_environment("db-commit", tmp_path / "pause"), tmp_path, "--first-seed", "2")
    wait_until_reached(tmp_path / "pause", "db-commit", killed)  # new rows inserted, not committed
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=60)
    assert listing(db) == before  # the interrupted transaction left nothing behind
    search(db, "--first-seed", "2")  # and the next search completes
    assert set(before) < set(listing(db))


@pytest.mark.slow
def test_a_database_busy_beyond_the_timeout_rescues_the_results(tmp_path, capsys):
    db = tmp_path / "minima.db"
    env = pause_environment("db-write", tmp_path / "pause", LOPT_LAMMPS_DB_TIMEOUT="1")
    process = search_process(db, env, tmp_path)
    wait_until_reached(tmp_path / "pause", "db-write", process)
    with sqlite3.connect(db, isolation_level=None) as holder:
        holder.execute("BEGIN EXCLUSIVE")  # another writer holds the database
        release(tmp_path / "pause", "db-write")
        _, err = process.communicate(timeout=120)
        holder.execute("ROLLBACK")
    assert process.returncode == 2
    assert err.startswith("searching") and len(err.strip().splitlines()) == 2
    assert f"database {db} is busy" in err and "Nothing is lost" in err
    rescued = list(tmp_path.glob("minima.db.rescue-*.json"))
    assert len(rescued) == 1 and rescued[0].with_suffix(".extxyz").is_file()
    assert main(["db", "add", str(rescued[0]), str(db)]) == 0
    stored = listing(db)
    assert stored and {row[2] for row in stored} == {0, 1}
    capsys.readouterr()
    assert main(["db", "add", str(rescued[0]), str(db)]) == 0
    assert capsys.readouterr().out.startswith("0 minima written")
