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


def check_output_file(path: Path, what: str = "output file") -> None:
    """Raise :class:`ConfigError` now, before any work, unless a file can be written at ``path``."""
    from .errors import ConfigError

    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{what} {path} is a folder; give a file name")
    folder = path.parent
    if not folder.is_dir():
        raise ConfigError(f"folder {folder} for the {what} {path.name} does not exist; create it first")
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise ConfigError(f"{what} {path} is not writable; check the permissions or give another path")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers never see a partial file."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers never see a partial file."""
    atomic_write_bytes(path, text.encode())


def atomic_torch_save(obj: object, path: Path) -> None:
    """``torch.save`` that never leaves a half-written file behind."""
    import io

    import torch

    buffer = io.BytesIO()
    torch.save(obj, buffer)
    atomic_write_bytes(path, buffer.getvalue())
