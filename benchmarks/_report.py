"""Write a benchmark's results into its own section of docs/benchmarks.md."""

from __future__ import annotations

import json
import platform
import re
from datetime import date
from importlib import metadata
from pathlib import Path
from typing import Any

import lopt_lammps
from lopt_lammps.lammps_runtime import build_info
from lopt_lammps.provenance import git_commit

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


#: installed packages whose builds can change a search's floating-point results
NUMERIC_PACKAGES = ("lammps", "numpy", "scipy", "numba")


def cpu_model() -> str:
    """The processor's model name (Linux), else what :mod:`platform` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> str:
    """One line describing where the numbers were measured: processor, cores, the versions of
    everything whose arithmetic enters a search, the code's commit and the date. A search is
    chaotic in the last bits of its arithmetic, so another installation can give other numbers
    seed by seed; these say which set-up a table's digits belong to."""
    import os

    packages = ", ".join(f"{name} {metadata.version(name)}" for name in NUMERIC_PACKAGES)
    commit = git_commit()  # a hash, perhaps +dirty, or "lopt-lammps VERSION (no git)"
    code = commit if commit.startswith("lopt-lammps") else f"lopt-lammps {lopt_lammps.__version__} at {commit[:12]}{commit[40:]}"
    return (
        f"{cpu_model()} ({platform.machine()}), {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"LAMMPS {build_info()['version']} ({packages}), {code}, {date.today().isoformat()}"
    )


def update_section(name: str, markdown: str, doc: Path = DOC) -> None:
    """Replace (or append) the section between ``<!-- name:start -->`` and ``<!-- name:end -->``."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{markdown.strip()}\n{end}"
    text = doc.read_text() if doc.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    doc.write_text(text)


def publish(name: str, lines: list[str], rows: list[Any], write: bool, as_json: bool) -> None:
    """Print a benchmark's Markdown ``lines``; write them as section ``name`` when ``write``;
    end with ``rows`` as one line of JSON when ``as_json``."""
    text = "\n".join(lines)
    print(text)
    if write:
        update_section(name, text)
    if as_json:
        print(json.dumps(rows))
