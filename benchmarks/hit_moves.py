"""Which moves find the global minimum? Read from the traces of a search-quality run.

A search chain notes, for every minimum lower than all it had seen, what produced it: the
kind of move (``swap``, ``atom``, ``displace``) and the energy of the minimum it moved from,
or a new start. For each (system, method) of ``TRACES_JSON`` (the ``OUT/traces.json`` that
``benchmarks/search_quality.py`` writes), this counts by kind the moves that made each seed's
first hit (a minimum within 1e-3 of the best-known energy) and gives the gaps of the minima
those moves started from; beside them, the same count over every new lowest minimum.

Usage: ``python benchmarks/hit_moves.py results/sq-200k/traces.json [--section hit-moves]
[--no-write] [--json]``.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

import numpy as np
from _report import machine, publish

from lopt_lammps.references import load_references, references_fingerprint

TOLERANCE = 1e-3
KINDS = ("displace", "swap", "atom", "start")


def first_hits(runs: list[dict], reference: float) -> list[tuple[str, float | None]]:
    """Per seed that hits: the kind of the move that first reached the reference, and the gap it moved from."""
    out = []
    for run in runs:
        for _evaluation, energy, kind, source in run["notes"].get("improvements", []):
            if energy <= reference + TOLERANCE:
                out.append((kind, None if source is None else source - reference))
                break
    return out


def by_pair(traces: list[dict]) -> dict[tuple[str, str], dict]:
    """The traces of each (system, method), its jobs' seeds together."""
    pairs: dict[tuple[str, str], dict] = {}
    for data in traces:
        key = (data["system"], data["method"])
        if key in pairs:
            pairs[key]["runs"] = pairs[key]["runs"] + data["runs"]
        else:
            pairs[key] = dict(data)
    return pairs


def row(system: str, method: str, data: dict, reference: float) -> dict:
    """The counts of one (system, method)."""
    runs = data["runs"]
    if not all("improvements" in run["notes"] for run in runs):
        raise SystemExit(f"{system} {method}: its traces hold no improvements (rerun search_quality.py with this lopt-lammps)")
    hits = first_hits(runs, reference)
    every = Counter(kind for run in runs for _, _, kind, _ in run["notes"]["improvements"])
    made = {kind: sum(run["notes"].get(f"moves_{kind}", 0) for run in runs) for kind in KINDS[:3]}
    gaps = [g for kind, g in hits if g is not None]
    return {"system": system, "method": method, "seeds": len(runs), "budget": data["budget"],
            "hits": len(hits), "hit_by": dict(Counter(kind for kind, _ in hits)), "new_lowest_by": dict(every), "moves": made,
            "gap_moved_from": [float(np.min(gaps)), float(np.median(gaps)), float(np.max(gaps))] if gaps else None}


def shares(counts: dict, kinds: tuple[str, ...] = KINDS) -> str:
    return ", ".join(f"{kind} {counts.get(kind, 0):,}" for kind in kinds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("traces", type=Path, help="the traces.json of a benchmarks/search_quality.py run")
    parser.add_argument("--section", default="hit-moves", help="section name in docs/benchmarks.md")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    parser.add_argument("--json", action="store_true", help="print the table as a JSON list on the last line")
    args = parser.parse_args()
    if not args.traces.is_file():
        raise SystemExit(f"{args.traces} not found: give the traces.json that benchmarks/search_quality.py wrote into its --out folder")
    refs = load_references()
    rows = [row(system, method, data, refs[system]["energy"])
            for (system, method), data in by_pair(json.loads(args.traces.read_text())).items()]
    lines = [
        f"## Which moves find the global minimum (`benchmarks/hit_moves.py`, section {args.section})",
        "",
        f"Read on {machine()} from `{args.traces}`. Per seed that hits (a minimum within {TOLERANCE:g} of the",
        f"best-known energy, references file {references_fingerprint()}): the kind of the move whose",
        "relaxation first reached it, and the gap above the best-known energy of the minimum that move",
        "started from (least, median, largest). Then, over all seeds, the moves that produced a minimum",
        "lower than any the chain had seen, and all moves made.",
        "",
        "| system | method | seeds x evaluations | hits | first hit by | gap moved from (min, median, max) | every new lowest minimum by | moves made |",
        "| --- | --- | --- | ---: | --- | --- | --- | --- |",
    ]
    for r in rows:
        gap = "-" if r["gap_moved_from"] is None else ", ".join(f"{g:.3f}" for g in r["gap_moved_from"])
        lines.append(f"| {r['system']} | {r['method']} | {r['seeds']} x {r['budget']:,} | {r['hits']} | {shares(r['hit_by'])} "
                     f"| {gap} | {shares(r['new_lowest_by'])} | {shares(r['moves'], KINDS[:3])} |")
    publish(args.section, lines, rows, not args.no_write, args.json)


if __name__ == "__main__":
    main()
