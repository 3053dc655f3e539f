"""Where a search's results go: checked before the search, saved after it, rescued if saving fails.

A search can take hours; its outputs (the minima database, the trace file) are checked
before it starts, so that a wrong path fails at once. If saving still fails at the end
(the disk filled up, another process held the database too long, the folder vanished),
the results are written to a rescue file pair ``<database>.rescue-<time>-<process>.json`` and
``.extxyz`` next to the database, or in the working folder if that is impossible, and
the error says where; ``lopt-lammps db add RESCUE.json DATABASE`` stores them later.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .database import Written, check_writable, minima_rows, write_result
from .errors import LoptError
from .paths import atomic_write_text, check_output_file
from .structures import write_extxyz

if TYPE_CHECKING:
    from .search import SearchResult


@dataclass(frozen=True)
class SearchOutputs:
    """The minima database (replaced, or added to) and the optional trace file of a search."""

    db: Path
    trace: Path | None = None
    replace: bool = False

    def check(self) -> None:
        """Raise a :class:`LoptError` now if the outputs could not be written later."""
        check_writable(self.db)
        if self.trace is not None:
            check_output_file(self.trace, "trace file")

    def save(self, result: SearchResult, stage: str = "search") -> Written:
        """Write the trace and the minima; on failure rescue the result and say where it is."""
        from .search.result import traces_to_json

        try:
            if self.trace is not None:
                atomic_write_text(self.trace, json.dumps(traces_to_json(result)))
            return write_result(self.db, result, stage, replace=self.replace)
        except (LoptError, OSError) as err:
            rescued = rescue(result, stage, self.db)
            raise LoptError(
                f"saving the results failed: {err}. Nothing is lost: the minima are in {rescued.with_suffix('.extxyz')} "
                f"and the whole result in {rescued}; store them with `lopt-lammps db add {rescued} DATABASE`"
            ) from err


def rescue(result: SearchResult, stage: str, near: Path) -> Path:
    """Write ``result`` to a rescue JSON (and extxyz of its minima) next to ``near``, else in the
    working folder; returns the JSON path."""
    from .search.result import result_to_json

    name = f"{near.name}.rescue-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    data = json.dumps({"stage": stage, "result": result_to_json(result)})
    for folder in (near.parent, Path.cwd()):
        path = folder / f"{name}.json"
        try:
            atomic_write_text(path, data)
        except OSError:
            continue
        structures = []
        for atoms, pairs in minima_rows(result, stage):
            atoms.info.update(pairs)
            structures.append(atoms)
        write_extxyz(path.with_suffix(".extxyz"), structures)
        return path
    raise LoptError(f"the search's results could not be saved anywhere: neither {near.parent} nor {Path.cwd()} is writable")


def read_rescue(path: Path) -> tuple[SearchResult, str]:
    """The result and stage of a rescue file written by :func:`rescue`."""
    from .search.result import result_from_json

    try:
        data = json.loads(Path(path).read_text())
        return result_from_json(data["result"]), str(data["stage"])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise LoptError(f"{path} is not a lopt-lammps rescue file ({type(err).__name__}: {err})") from err
