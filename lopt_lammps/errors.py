"""Exceptions raised by lopt-lammps.

Every error carries a message that says what went wrong and what to do about it.
"""

import sys


class LoptError(Exception):
    """Base class of all lopt-lammps errors."""


class ConfigError(LoptError, ValueError):
    """A user-supplied setting (system, composition, option) is invalid."""


class PotentialError(LoptError):
    """A potential is unknown, lacks parameters for an element, or its file is missing or broken."""


class StructureError(LoptError, ValueError):
    """Atomic positions are unusable (overlapping atoms, wrong shape, non-finite values)."""


class LammpsUnavailableError(LoptError, ImportError):
    """The LAMMPS Python module or its MPI library cannot be loaded."""


class AcceleratorError(LoptError):
    """The requested accelerator package is not part of this LAMMPS build."""


class EngineError(LoptError):
    """LAMMPS failed, or returned non-finite energies or forces."""


class ReplicaEscapeError(EngineError):
    """A replica left its slot in the packed layout (it drifted or dissociated).

    ``replicas`` lists the offending replica indices so a caller can restart them.
    """

    def __init__(self, message: str, replicas: list[int]):
        super().__init__(message)
        self.replicas = replicas


class CheckpointError(LoptError):
    """An optimizer or training checkpoint is missing, corrupt or from an incompatible version."""


def warn(message: str) -> None:
    """Tell the user, on one line of standard error, about something lopt-lammps worked around."""
    print(f"lopt-lammps: warning: {message}", file=sys.stderr)
