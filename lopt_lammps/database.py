"""The minima database: an ASE SQLite database (``ase db PATH`` lists it).

One row per distinct minimum and seed: the structure, its energy (as the calculator
energy, so ``ase db`` shows it), and key-value pairs ``system``, ``method``, ``seed``,
``evaluations`` (when that seed first found it), ``potential``, ``optimizer``,
``budget``. Every write is one transaction: an interrupted write leaves no row behind.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable

from ase.db import connect

from .errors import ConfigError
from .search import SearchResult
from .structures import to_atoms

#: columns of ``db best``
BEST_KEYS = ("id", "formula", "energy", "method", "seed", "evaluations", "system", "potential")


def _connect(path: str | Path, must_exist: bool = False):
    path = Path(path)
    if must_exist and not path.is_file():
        raise ConfigError(f"database {path} not found")
    if not must_exist:
        check_writable(path)
    return connect(str(path), type="db")


def check_writable(path: str | Path) -> None:
    """Raise :class:`ConfigError` now, before any work, if ``path`` cannot be written."""
    path = Path(path)
    if not path.parent.is_dir():
        raise ConfigError(f"folder {path.parent} for the database does not exist; create it first")
    if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise ConfigError(f"database {path} is not writable")


def minima_rows(result: SearchResult, extra: dict[str, Any] | None = None) -> Iterable[tuple[Any, dict[str, Any]]]:
    """(atoms, key-value pairs) for every minimum of every seed of ``result``."""
    system = result.system
    for run in result.runs:
        for minimum in run.minima:
            atoms = to_atoms(system, minimum.positions, energy=minimum.energy)
            atoms.info.clear()
            pairs = {
                "system": system.formula,
                "method": result.method,
                "seed": int(run.seed),
                "evaluations": int(minimum.evaluation),
                "budget": int(result.budget),
                "potential": system.potential.identity(),
                "boundary": system.boundary,
                "n_atoms": system.n_atoms,
            }
            if "optimizer" in result.settings:
                pairs["optimizer"] = str(result.settings["optimizer"])
            pairs.update(extra or {})
            yield atoms, pairs


def write_result(path: str | Path, result: SearchResult, extra: dict[str, Any] | None = None, replace: bool = False) -> int:
    """Add the minima of ``result`` in a single transaction; returns the number of rows.

    With ``replace``, the database is built anew in a temporary file and renamed over
    ``path``, so it holds exactly this result whatever was there before.
    """
    rows = list(minima_rows(result, extra))
    target = Path(path)
    if replace:
        check_writable(target)
        target = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        target.unlink(missing_ok=True)
    with _connect(target) as db:
        for atoms, pairs in rows:
            db.write(atoms, key_value_pairs=pairs)
    if replace:
        os.replace(target, path)
    return len(rows)


def best(path: str | Path, formula: str | None = None, top: int = 10) -> list[dict[str, Any]]:
    """The ``top`` lowest-energy rows, optionally of one formula (e.g. ``Ag30Cu8``)."""
    db = _connect(path, must_exist=True)
    query = {"system": formula} if formula else {}
    rows = list(db.select(sort="energy", limit=top, **query))
    out = []
    for row in rows:
        record = {key: row.get(key) for key in BEST_KEYS}
        record["formula"] = row.get("system", row.formula)
        record["energy"] = float(row.energy)
        out.append(record)
    return out


def export_best(path: str | Path, out: str | Path, top: int = 1) -> int:
    """Write the ``top`` lowest structures of every system to an extxyz file; returns the count."""
    from .structures import write_extxyz

    db = _connect(path, must_exist=True)
    systems = sorted({row.get("system", row.formula) for row in db.select()})
    structures = []
    for system in systems:
        for row in db.select(system=system, sort="energy", limit=top):
            atoms = row.toatoms()
            atoms.info.update({key: value for key, value in row.key_value_pairs.items()})
            structures.append(atoms)
    write_extxyz(out, structures)
    return len(structures)
