"""The minima database: an ASE SQLite database (``ase db PATH`` lists it).

One row per distinct minimum and seed: the structure, its energy (as the calculator
energy, so ``ase db`` shows it), and key-value pairs ``system``, ``method``, ``seed``,
``stage``, ``evaluations`` (when that seed first found it), ``potential``, ``optimizer``,
``budget``. Every write is one SQLite transaction (:mod:`.dbfile`): an interrupted write
leaves no row behind and no lock. Writing is idempotent: a minimum already stored for the
same system, method, seed and stage (the same structure by energy and fingerprint,
:mod:`.comparison`) is not stored again, so running a search twice adds nothing.
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, NamedTuple

from . import dbfile
from .comparison import StructureComparator, fingerprint
from .paths import replacing
from .structures import to_atoms

if TYPE_CHECKING:
    from .search import SearchResult

#: the kind of database in its lopt-lammps mark
KIND = "minima"
#: keys every minima row has
REQUIRED_KEYS = ("system", "method", "seed", "evaluations", "potential")
#: columns of ``db best``
BEST_KEYS = ("id", "formula", "energy", "method", "seed", "evaluations", "system", "potential")
#: what makes two rows the same minimum, besides the structure
IDENTITY_KEYS = ("system", "method", "seed", "stage")


class Written(NamedTuple):
    """Rows a write added, and minima it found already stored."""

    added: int
    present: int


def minima_rows(result: SearchResult, stage: str = "search") -> Iterable[tuple[Any, dict[str, Any]]]:
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
                "stage": stage,
                "evaluations": int(minimum.evaluation),
                "budget": int(result.budget),
                "potential": system.potential.identity(),
                "boundary": system.boundary,
                "n_atoms": system.n_atoms,
            }
            if "optimizer" in result.settings:
                pairs["optimizer"] = str(result.settings["optimizer"])
            yield atoms, pairs


def check_writable(path: str | Path) -> None:
    """Refuse now, before any work, a database that :func:`write_result` could not write."""
    dbfile.check_writable(Path(path), KIND, REQUIRED_KEYS)


def write_result(path: str | Path, result: SearchResult, stage: str = "search", replace: bool = False) -> Written:
    """Add the minima of ``result`` not yet stored, in a single transaction.

    With ``replace``, the database is built anew in a temporary file and renamed over
    ``path``, so it holds exactly this result whatever was there before.
    """
    rows = list(minima_rows(result, stage))
    path = Path(path)
    if replace:
        dbfile.check_file(path, must_exist=False)
    with replacing(path) if replace else nullcontext(path) as target, dbfile.write(target, KIND, REQUIRED_KEYS) as db:
        stored = _stored_fingerprints(db, result, rows)
        comparator = StructureComparator(result.system)
        added = 0
        for atoms, pairs in rows:
            energy, fp = atoms.get_potential_energy(), fingerprint(result.system, atoms.positions)
            key = tuple(pairs[k] for k in IDENTITY_KEYS)
            if any(comparator.same(energy, fp, e, f) for e, f in stored[key]):
                continue
            db.write(atoms, key_value_pairs=pairs)
            stored[key].append((energy, fp))
            added += 1
    return Written(added, len(rows) - added)


def _stored_fingerprints(db: dbfile.Database, result: SearchResult, rows: list) -> dict[tuple, list]:
    """(energy, fingerprint) of the stored minima with the identity keys of ``rows``."""
    stored: dict[tuple, list] = defaultdict(list)
    for key in {tuple(pairs[k] for k in IDENTITY_KEYS) for _, pairs in rows}:
        for row in db.select(**dict(zip(IDENTITY_KEYS, key))):
            if row.natoms == result.system.n_atoms:
                stored[key].append((float(row.energy), fingerprint(result.system, row.positions)))
    return stored


def best(path: str | Path, formula: str | None = None, top: int = 10) -> list[dict[str, Any]]:
    """The ``top`` lowest-energy rows, optionally of one formula (e.g. ``Ag30Cu8``)."""
    query = {"system": formula} if formula else {}
    out = []
    for row in dbfile.select(Path(path), REQUIRED_KEYS, sort="energy", limit=top, **query):
        record = {key: row.get(key) for key in BEST_KEYS}
        record["formula"] = row.system
        record["energy"] = float(row.energy)
        out.append(record)
    return out


def export_best(path: str | Path, out: str | Path, top: int = 1) -> int:
    """Write the ``top`` lowest structures of every system to an extxyz file; returns the count."""
    from .structures import write_extxyz

    by_system: dict[str, list] = defaultdict(list)
    for row in dbfile.select(Path(path), REQUIRED_KEYS, sort="energy"):
        if len(by_system[row.system]) < top:
            atoms = row.toatoms()
            atoms.info.update(row.key_value_pairs)
            by_system[row.system].append(atoms)
    structures = [atoms for system in sorted(by_system) for atoms in by_system[system]]
    write_extxyz(out, structures)
    return len(structures)
