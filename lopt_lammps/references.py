"""Best-known minimum energies used to judge searches.

Published values where they exist (Lennard-Jones: the Cambridge Cluster Database);
otherwise energies established here by long basin-hopping runs with this package's
potentials, recorded with how they were obtained (``benchmarks/establish_references.py``
writes them). Stored in ``lopt_lammps/data/references.yaml``.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

_FILE = "references.yaml"
_STRUCTURES = "references.extxyz"


def references_path() -> Path:
    return Path(str(resources.files("lopt_lammps.data").joinpath(_FILE)))


def structures_path() -> Path:
    """The reference structures (one per established composition, ``info["system"]``)."""
    return Path(str(resources.files("lopt_lammps.data").joinpath(_STRUCTURES)))


def references_fingerprint(path: Path | None = None) -> str:
    """Short content hash of the references file: reports say which references they used."""
    path = path or references_path()
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.is_file() else "none"


def load_references(path: Path | None = None) -> dict[str, dict[str, Any]]:
    """``{"LJ38": {"energy": ..., "potential": ..., "source": ...}, ...}``."""
    path = path or references_path()
    if not path.is_file():
        return {}
    return yaml.safe_load(path.read_text()) or {}


def reference_energy(formula: str, potential: str | None = None) -> float | None:
    """Best-known energy of ``formula`` (None if unknown or for another potential)."""
    entry = load_references().get(formula)
    if entry is None or (potential is not None and entry.get("potential") != potential):
        return None
    return float(entry["energy"])
