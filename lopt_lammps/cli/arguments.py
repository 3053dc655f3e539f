"""Turning command-line arguments into systems and starting structures; content hashes of input files."""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from ..systems import System


def system_from_args(args: argparse.Namespace):
    from ..systems import System, default_boundary

    boundary = args.boundary if args.boundary != "auto" else default_boundary(args.system)
    return System.parse(args.system, potential=args.potential, boundary=boundary, density=args.density)


def starts_from_file(path: Path | None, system: System, seeds: list[int]) -> dict[int, np.ndarray]:
    """First structures of the seeds, from an extxyz written by ``lopt-lammps init`` (checked against ``system``)."""
    if path is None:
        return {}
    from ..structures import read_starts

    return read_starts(path, system, seeds)


def file_hash(path: Path) -> str:
    """Short content hash of a file (a job's inputs name its starting structures by content)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]

