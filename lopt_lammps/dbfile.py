"""ase.db SQLite files: checked before use, marked as written by lopt-lammps, locked only by SQLite.

ASE's SQLite backend guards writes with a lock file (``X.db.lock``) that a killed process
leaves behind, after which every writer waits forever. Here databases are opened without
it: each write is one SQLite transaction, whose lock the operating system releases when
a process dies (SQLite rolls an interrupted transaction back on the next open). A busy
database is waited for at most ``LOPT_LAMMPS_DB_TIMEOUT`` seconds (default 60).

Databases written by lopt-lammps carry ``{"lopt_lammps": {"kind": ..., "version": 1}}`` in
their ase.db metadata. Rows without the keys lopt-lammps writes (another program's rows)
are never mixed in: writing into such a database is refused, reading skips them with a
warning.
"""

from __future__ import annotations

import math
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from ase.db.sqlite import SQLite3Database

from .errors import ConfigError, LoptError, warn
from .faults import pause_point
from .paths import check_output_file

TIMEOUT_VARIABLE = "LOPT_LAMMPS_DB_TIMEOUT"
DEFAULT_TIMEOUT = 60.0
MARK_KEY = "lopt_lammps"
MARK_VERSION = 1
#: tables of an ase.db SQLite database
_ASE_TABLES = {"systems", "keys", "information"}


class DatabaseBusyError(LoptError):
    """Another process held the database for longer than the timeout."""


def busy_timeout() -> float:
    """Seconds to wait for a database another process is writing to (``LOPT_LAMMPS_DB_TIMEOUT``)."""
    text = os.environ.get(TIMEOUT_VARIABLE, str(DEFAULT_TIMEOUT))
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ConfigError(f"{TIMEOUT_VARIABLE}={text!r} is not a number of seconds above zero")
    return value


class Database(SQLite3Database):
    """An ase.db SQLite database without a lock file, waiting at most :func:`busy_timeout` s."""

    def __init__(self, path: str | Path):
        super().__init__(str(Path(path).absolute()), create_indices=True, use_lock_file=False)
        self.timeout = busy_timeout()

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.filename, timeout=self.timeout)


@contextmanager
def sqlite_errors(path: Path) -> Iterator[None]:
    """Turn SQLite's exceptions into one-line errors that say what to do."""
    try:
        yield
    except sqlite3.OperationalError as err:
        if "locked" in str(err) or "busy" in str(err):
            raise DatabaseBusyError(
                f"database {path} is busy: another process held it for over {busy_timeout():g} s; "
                f"try again when it has finished (or set {TIMEOUT_VARIABLE} to wait longer)"
            ) from err
        raise ConfigError(f"database {path} cannot be used ({err}); check the file and its folder") from err
    except sqlite3.DatabaseError as err:
        raise ConfigError(
            f"{path} is not a readable ase.db SQLite database ({err}); give another file name, "
            "or delete the file if it holds nothing you need"
        ) from err


def check_file(path: Path, must_exist: bool) -> None:
    """Refuse, before any work, a path that is not (and cannot become) an ase.db SQLite database."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"database {path} is a folder; give a file name such as {path / 'minima.db'}")
    if not path.exists():
        if must_exist:
            raise ConfigError(f"database {path} not found")
        check_output_file(path, "database")
        return
    if not path.is_file():
        raise ConfigError(f"database {path} is not a regular file; give the path of an ase.db file")
    with sqlite_errors(path), closing(sqlite3.connect(f"file:{path.absolute()}?mode=ro", uri=True, timeout=busy_timeout())) as con:
        problems = [message for (message,) in con.execute("PRAGMA quick_check")]
        tables = {name for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if problems != ["ok"]:
        detail = next(line for line in "\n".join(problems).splitlines() if not line.startswith("***"))
        raise ConfigError(f"database {path} is damaged ({detail}); restore it from a copy or give another file name")
    if tables and not _ASE_TABLES <= tables:
        raise ConfigError(f"{path} is an SQLite database, but not an ase.db one; give another file name")


def mark(db: Database) -> dict[str, Any] | None:
    """The lopt-lammps mark of a database (None if lopt-lammps never wrote to it)."""
    value = db.metadata.get(MARK_KEY)
    return value if isinstance(value, dict) else None


def foreign_rows(db: Database, required: Sequence[str]) -> int:
    """How many rows lack one of the ``required`` keys (rows another program wrote)."""
    return db.count() - db.count(",".join(required))


def select(path: Path, required: Sequence[str], **query: Any) -> list[Any]:
    """Rows of the database at ``path`` that have every ``required`` key and match ``query``.

    Other rows are skipped with a warning; a database without such rows is refused.
    """
    check_file(path, must_exist=True)
    db = Database(path)
    with sqlite_errors(path):
        skipped = foreign_rows(db, required)
        if skipped and skipped == db.count():
            raise ConfigError(f"{path} holds no rows written by lopt-lammps (they lack the keys {', '.join(required)}); "
                              "give a database that lopt-lammps search or db merge wrote")
        if skipped:
            warn(f"skipped {skipped} rows of {path} that lopt-lammps did not write (they lack {', '.join(required)})")
        return list(db.select(",".join(required), **query))


def check_writable(path: Path, kind: str, required: Sequence[str]) -> None:
    """Refuse now, before any work, a database that a later :func:`write` would refuse."""
    check_file(path, must_exist=False)
    if not path.exists():
        return
    db = Database(path)
    with sqlite_errors(path), closing(db._connect()) as con:
        con.execute("BEGIN IMMEDIATE")  # the write lock is to be had (waits at most the timeout)
        con.rollback()
        _refuse_foreign(db, path, kind, required)


@contextmanager
def write(path: Path, kind: str, required: Sequence[str]) -> Iterator[Database]:
    """One write transaction on the ``kind`` database at ``path``: all of it is written or nothing.

    Refuses databases of another kind and databases holding rows without the ``required`` keys.
    """
    check_file(path, must_exist=False)
    pause_point("db-write")
    db = Database(path)
    with sqlite_errors(path), db:
        db.connection.execute("BEGIN IMMEDIATE")
        _refuse_foreign(db, path, kind, required)
        db.metadata = {**db.metadata, MARK_KEY: {"kind": kind, "version": MARK_VERSION}}
        yield db
        pause_point("db-commit")


def _refuse_foreign(db: Database, path: Path, kind: str, required: Sequence[str]) -> None:
    own = mark(db)
    if own is not None and own.get("kind") != kind:
        raise ConfigError(f"{path} is a lopt-lammps {own.get('kind')} database, not a {kind} database; give another file name")
    if own is None and foreign_rows(db, required):
        raise ConfigError(f"{path} holds rows that lopt-lammps did not write (another program's database); "
                          "give another file name")
