"""What the default campaign finds, and how long it takes: ``snakemake search_agcu`` timed.

Runs ``snakemake search_agcu`` on the default configuration (or ``--configfile``) into a
fresh results folder, times it end to end, and writes, per composition, the lowest energy
found, the best-known energy (``lopt_lammps/data/references.yaml``) and the gap, with the
stage that found it, into the section ``campaign`` of docs/benchmarks.md.

Usage: ``python benchmarks/campaign.py --cores 2`` (``--results`` to choose the folder,
``--no-write`` to leave the docs alone, ``--json`` for the rows as JSON on the last line).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from _report import machine, update_section

from lopt_lammps import dbfile
from lopt_lammps.campaign import REQUIRED_KEYS
from lopt_lammps.references import load_references, references_fingerprint

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--results", type=Path, default=ROOT / "results-campaign", help="fresh results folder (replaced)")
    parser.add_argument("--configfile", type=Path, help="campaign configuration (default: the workflow's default)")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    parser.add_argument("--json", action="store_true", help="print the rows as a JSON list on the last line")
    args = parser.parse_args()
    if args.results.exists():
        shutil.rmtree(args.results)
    command = [str(Path(sys.executable).parent / "snakemake"), "search_agcu", "--cores", str(args.cores),
               "--config", f"results={args.results}"]
    if args.configfile:
        command[2:2] = ["--configfile", str(args.configfile)]
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True)
    minutes = (time.perf_counter() - start) / 60
    refs = load_references()
    rows = []
    for row in dbfile.select(args.results / "agcu" / "minima.db", REQUIRED_KEYS, rank=1):
        reference = float(refs[row.composition]["energy"]) if row.composition in refs else None
        rows.append({"composition": row.composition, "lowest": float(row.energy), "reference": reference,
                     "gap": None if reference is None else float(row.energy) - reference,
                     "method": row.method, "stage": row.get("stage", "search")})
    rows.sort(key=lambda r: r["composition"])
    lines = [
        "## The default campaign (`benchmarks/campaign.py`)",
        "",
        f"Measured on {machine()}: `snakemake search_agcu --cores {args.cores}` on the default configuration,",
        f"{minutes:.1f} minutes end to end (installation not counted). Gaps to the best-known energies",
        f"(references file {references_fingerprint()}); the stage is the one that first found the lowest minimum.",
        "",
        "| composition | lowest found (eV) | best known (eV) | gap (eV) | found by |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for r in rows:
        gap = "n/a" if r["gap"] is None else f"{round(r['gap'], 3) or 0.0:+.3f}"  # no -0.000
        known = "n/a" if r["reference"] is None else f"{r['reference']:.6f}"
        lines.append(f"| {r['composition']} | {r['lowest']:.6f} | {known} | {gap} | {r['method']} ({r['stage']}) |")
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        update_section("campaign", text)
    if args.json:
        print(json.dumps({"minutes": minutes, "rows": rows}))


if __name__ == "__main__":
    main()
