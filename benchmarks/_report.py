"""Write a benchmark's results into its own section of docs/benchmarks.md."""

from __future__ import annotations

import platform
import re
import json
from datetime import date
from pathlib import Path
from typing import Any

import lopt_lammps
from lopt_lammps.lammps_runtime import build_info

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def machine() -> str:
    """One line describing where the numbers were measured."""
    import os

    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, LAMMPS {build_info()['version']}, lopt-lammps "
        f"{lopt_lammps.__version__}, {date.today().isoformat()}"
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
