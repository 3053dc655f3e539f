"""Where lopt-lammps finds its data files and keeps generated ones."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
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


def check_output_folder(path: Path, what: str = "output folder") -> None:
    """Raise :class:`ConfigError` now unless ``path`` is, or can be created as, a writable folder."""
    from .errors import ConfigError

    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{what} {path} is a file; give a folder")
    if not path.exists():
        check_output_file(path, what)
    elif not os.access(path, os.W_OK | os.X_OK):
        raise ConfigError(f"{what} {path} is not writable; check the permissions or give another folder")


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A fresh temporary path beside ``path`` to write to; renamed over ``path`` when the block
    ends, removed if it fails: readers see the old file or the new one, never a partial one."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers never see a partial file."""
    with replacing(path) as tmp, open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


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


def torch_load(path: Path, what: str, remedy: str) -> object:
    """``torch.load`` of plain data and tensors only (never code), with one-line errors.

    ``what`` names the expected file ("learned-optimizer checkpoint"), ``remedy`` says what
    to do with a corrupt one.
    """
    import pickle

    import torch

    from .errors import CheckpointError

    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        if "GLOBAL" not in str(err):  # not a class or function the file asked for: bytes that are no pickle
            raise CheckpointError(f"{path} is not a readable {what} (corrupt or truncated); {remedy}") from None
        raise CheckpointError(
            f"{path} is not a lopt-lammps {what}: it holds Python objects that lopt-lammps never writes, "
            "so it was not loaded (loading it could run code)"
        ) from None
    except Exception as err:  # torch raises RuntimeError, EOFError, zip and OS errors for broken files
        raise CheckpointError(f"{path} is not a readable {what} (corrupt or truncated: {err}); {remedy}") from None
