"""Campaign databases: the distinct minima of many search chunks, merged and ranked.

Each search chunk writes its own database (one row per minimum and seed). Merging reads
all chunk databases, groups the rows of each system into distinct structures (energy
and fingerprint, :mod:`.comparison`), and writes one row per distinct minimum with the
earliest finder (``method``, ``stage``, ``seed``, ``evaluations``; the search before
refinement rounds, then the fewest evaluations), the number of runs — search seeds and
refinement chains — that found it (``found_by``), its ``rank`` within the composition (1 = lowest), ``size``,
``composition`` and per-element fractions (``x_Ag``, ...). The merged database is built in
a temporary file and renamed into place: readers see the old or the new database, never
a half-written one, and merging the same chunks again gives the same result.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable

import numpy as np
from ase.calculators.singlepoint import SinglePointCalculator

from . import dbfile
from .comparison import StructureComparator
from .database import REQUIRED_KEYS as MINIMA_KEYS
from .paths import replacing
from .potentials import potential_by_identity
from .structures import from_atoms

#: the kind of database in its lopt-lammps mark
KIND = "campaign"
#: keys every campaign row has
REQUIRED_KEYS = (*MINIMA_KEYS, "composition", "rank", "size")


def _rows(paths: Iterable[str | Path]) -> dict[str, list[tuple[Any, dict[str, Any]]]]:
    """(atoms, key-value pairs) of every chunk row, by system."""
    by_system: dict[str, list] = defaultdict(list)
    for path in paths:
        for row in dbfile.select(Path(path), MINIMA_KEYS):
            atoms = row.toatoms()
            pairs = dict(row.key_value_pairs)
            pairs["energy"] = float(row.energy)
            by_system[pairs["system"]].append((atoms, pairs))
    return by_system


def stage_order(pairs: dict[str, Any]) -> int:
    """0 for the search, N for refinement round N (``stage=refineN``): earlier stages found it first."""
    stage = str(pairs.get("stage", "search"))
    return int(stage[len("refine"):]) if stage.startswith("refine") and stage[len("refine"):].isdigit() else 0


def merge_chunks(out: str | Path, chunk_dbs: Iterable[str | Path], keep: int = 50) -> int:
    """Merge chunk databases into the campaign database ``out``; returns its row count.

    Only the ``keep`` lowest distinct minima of each system are kept.
    """
    out = Path(out)
    dbfile.check_writable(out, KIND, REQUIRED_KEYS)
    rows: list[tuple[Any, dict[str, Any]]] = []
    for system_name, entries in sorted(_rows(chunk_dbs).items()):
        system, _ = from_atoms(entries[0][0], potential=potential_by_identity(str(entries[0][1]["potential"])))
        energies = np.array([pairs["energy"] for _, pairs in entries])
        structures = [from_atoms(atoms, system.potential)[1] for atoms, _ in entries]
        groups = StructureComparator(system).groups(energies, structures, max_groups=keep)
        for rank, group in enumerate(groups, start=1):
            first = min(group, key=lambda i: (stage_order(entries[i][1]), entries[i][1]["evaluations"], entries[i][1]["seed"]))
            atoms, pairs = entries[group[0]]
            record = dict(pairs)
            record.update(
                method=entries[first][1]["method"],
                stage=entries[first][1].get("stage", "search"),
                seed=int(entries[first][1]["seed"]),
                evaluations=int(entries[first][1]["evaluations"]),
                found_by=len({(entries[i][1]["method"], entries[i][1]["seed"]) for i in group}),
                rank=rank,
                size=system.n_atoms,
                composition=system_name,
            )
            for element, count in system.counts:
                record[f"x_{element}"] = count / system.n_atoms
            rows.append((atoms, record))
    with replacing(out) as tmp, dbfile.write(tmp, KIND, REQUIRED_KEYS) as db:
        for atoms, record in rows:
            energy = record.pop("energy")
            atoms.calc = SinglePointCalculator(atoms, energy=energy)
            db.write(atoms, key_value_pairs=record)
    return len(rows)
