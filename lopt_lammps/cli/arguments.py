"""Turning command-line arguments into systems, seeds, starting structures and methods."""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path


def system_from_args(args: argparse.Namespace):
    from ..systems import System, default_boundary

    boundary = args.boundary if args.boundary != "auto" else default_boundary(args.system)
    return System.parse(args.system, potential=args.potential, boundary=boundary, density=args.density)


def starts_from_file(path: Path | None, seeds: list[int]) -> dict:
    """First structures of the seeds, from an extxyz written by ``lopt-lammps init``."""
    if path is None:
        return {}
    from ..structures import from_atoms, read_extxyz

    by_seed = {int(a.info["seed"]): from_atoms(a)[1] for a in read_extxyz(path) if "seed" in a.info}
    return {s: by_seed[s] for s in seeds if s in by_seed}


def file_hash(path: Path) -> str:
    """Short content hash of a file (a job's inputs name its starting structures by content)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def resolve_method(method: str, optimizer: str | Path | None) -> tuple[str, str]:
    """``auto`` -> ``learned`` when a learned hop policy is available, else ``bh``; with a reason."""
    if method != "auto":
        return method, f"method {method}"
    if optimizer is not None:
        return "learned", f"method auto: learned hop policy {optimizer}"
    from ..errors import CheckpointError
    from ..pretrained import pretrained_policy_path

    try:
        pretrained_policy_path()
        return "learned", "method auto: the shipped pretrained learned hop policy"
    except CheckpointError:
        return "bh", "method auto: basin hopping, because no pretrained learned hop policy ships with this installation"
