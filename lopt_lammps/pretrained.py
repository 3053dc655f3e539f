"""The pretrained learned optimizer shipped with the package."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from .errors import CheckpointError

PRETRAINED_NAME = "learned_optimizer.pt"


def pretrained_path() -> Path:
    """Path of the shipped checkpoint; :class:`CheckpointError` if none is shipped."""
    path = Path(str(resources.files("lopt_lammps.data").joinpath(PRETRAINED_NAME)))
    if not path.is_file():
        raise CheckpointError(
            "this installation ships no pretrained learned optimizer; pass a checkpoint "
            "with --optimizer, or train one with `lopt-lammps train`"
        )
    return path
