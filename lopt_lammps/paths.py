"""Where lopt-lammps finds its data files and keeps generated ones."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path


def potential_file(name: str) -> Path:
    """Path of a parameter file shipped in the top-level ``potentials/`` folder."""
    return Path(str(resources.files("lopt_lammps.potential_files").joinpath(name)))


def cache_dir() -> Path:
    """Folder for generated files: ``$LOPT_LAMMPS_CACHE`` or ``~/.cache/lopt-lammps``."""
    root = os.environ.get("LOPT_LAMMPS_CACHE") or Path.home() / ".cache" / "lopt-lammps"
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers never see a partial file."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
