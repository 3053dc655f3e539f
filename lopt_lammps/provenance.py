"""Provenance: which code produced a result."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from . import __version__

#: the folder holding the ``lopt_lammps`` package: a git checkout's top when run from source
PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def git_commit(root: Path = PACKAGE_ROOT) -> str:
    """``<commit>`` (``+dirty`` with uncommitted changes) when the package runs from its own git
    checkout ``root``, else ``lopt-lammps <version> (no git)``.

    Git is asked without its optional locks (``GIT_OPTIONAL_LOCKS=0``: ``git status`` then never
    writes ``.git/index``), and only when ``root`` itself is the top of a checkout, so a package
    installed in a virtual environment inside someone's repository neither touches that
    repository nor reports its commit.
    """
    fallback = f"lopt-lammps {__version__} (no git)"
    if not (Path(root) / ".git").exists():
        return fallback
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, text=True, check=True).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return fallback
    return commit + ("+dirty" if dirty else "")
