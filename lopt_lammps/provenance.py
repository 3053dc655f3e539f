"""Provenance: which code produced a result."""

from __future__ import annotations

import subprocess
from pathlib import Path

from . import __version__


def git_commit() -> str:
    """``<commit>`` (``+dirty`` with uncommitted changes) of the source tree, or the version."""
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return f"lopt-lammps {__version__} (no git)"
    return commit + ("+dirty" if dirty else "")
