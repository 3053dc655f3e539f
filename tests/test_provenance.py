"""Provenance reads git without writing to the repository, and only in lopt-lammps's own checkout."""

import os
import subprocess
import time

from lopt_lammps import __version__
from lopt_lammps.provenance import git_commit


def git(cwd, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd, check=True,
                          capture_output=True, text=True).stdout.strip()


def test_the_commit_is_read_without_git_locks(tmp_path):
    git(tmp_path, "init", "-q")
    (tmp_path / "f.py").write_text("x = 1\n")
    git(tmp_path, "add", "f.py")
    git(tmp_path, "commit", "-qm", "first")
    index = tmp_path / ".git" / "index"
    before = index.stat().st_mtime_ns, index.read_bytes()
    time.sleep(0.01)
    os.utime(tmp_path / "f.py")  # stale stat data: a plain `git status` rewrites the index under .git/index.lock
    assert git_commit(tmp_path) == git(tmp_path, "rev-parse", "HEAD")
    assert (index.stat().st_mtime_ns, index.read_bytes()) == before
    (tmp_path / "f.py").write_text("x = 2\n")
    assert git_commit(tmp_path).endswith("+dirty")
    assert (index.stat().st_mtime_ns, index.read_bytes()) == before


def test_a_folder_inside_another_repository_is_not_a_checkout(tmp_path):
    git(tmp_path, "init", "-q")
    site = tmp_path / ".venv" / "lib" / "site-packages"
    site.mkdir(parents=True)
    assert git_commit(site) == f"lopt-lammps {__version__} (no git)"
