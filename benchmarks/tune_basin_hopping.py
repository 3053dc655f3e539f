"""Choose basin hopping's defaults by a sweep on systems outside the held-out set.

Starting from a base setting, each knob of :class:`BasinHoppingSettings` is varied in turn
(the others at their base values), then the best value of every knob is combined and run
too. Each setting runs ``--seeds`` chains of ``--budget`` evaluations on each tuning system;
a chain succeeds when it reaches the lowest energy known for the system (the reference
where one exists, else the lowest energy any setting of the sweep found). Settings are
ranked by their mean success rate over the systems, then by the mean over systems of the
median evaluations to the first hit. The tuning systems must not be among those the
search-quality benchmark holds out (Ag-Cu 34-38 atoms and LJ38); the script refuses them.

Usage: ``python benchmarks/tune_basin_hopping.py --systems Ag22Cu7 Ag25Cu7 LJ31 --budget 50000
--seeds 12 --processes 2``; ``--from-results`` re-summarises an earlier sweep. Each batch of chains is kept in
``OUT/batches`` as soon as it finishes: the same command resumes an interrupted sweep.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
from _kept import run_kept
from _report import machine, update_section

from lopt_lammps.references import load_references
from lopt_lammps.search import BasinHoppingSettings
from lopt_lammps.systems import System, default_boundary, parse_formula

TOLERANCE = 1e-3
#: the knobs swept one at a time, and their values
KNOBS = {
    "temperature": [0.02, 0.035, 0.05, 0.08, 0.12],
    "step": [0.3, 0.4, 0.5, 0.6],
    "swap_probability": [0.0, 0.15, 0.3, 0.5],
    "atom_move_probability": [0.0, 0.1, 0.2, 0.3],
    "atom_move_target": ["surface", "random"],
    "patience": [0, 100, 200, 500],
    "minimizer": ["lbfgs", "cg"],
}
BASE = BasinHoppingSettings(temperature=0.05, step=0.4, swap_probability=0.3, atom_move_probability=0.1,
                            atom_move_target="surface", patience=200, minimizer="lbfgs")


def held_out(formula: str) -> bool:
    """The search-quality benchmark's held-out systems: Ag-Cu of 34-38 atoms, and LJ38."""
    counts = dict(parse_formula(formula))
    size = sum(counts.values())
    return formula == "LJ38" or (set(counts) <= {"Ag", "Cu"} and len(counts) == 2 and 34 <= size <= 38)


def sweep_settings() -> list[tuple[str, BasinHoppingSettings]]:
    """The base, then every knob's other values (name, settings)."""
    out = [("base", BASE)]
    for knob, values in KNOBS.items():
        out += [(f"{knob}={v}", replace(BASE, **{knob: v})) for v in values if v != getattr(BASE, knob)]
    return out


def run_chains(job: tuple[str, str, dict, int, list[int]]) -> list[dict]:
    """Chains of one setting on one system, batched in one search (L-BFGS runs them side by
    side; a chain's result does not depend on its batch)."""
    from lopt_lammps.search import search

    formula, name, settings, budget, seeds = job
    system = System.parse(formula, boundary=default_boundary(formula))
    result = search(system, "bh", budget, seeds, bh_settings=BasinHoppingSettings(**settings))
    return [{"system": formula, "setting": name, "settings": settings, "seed": run.seed,
             "trace_evaluations": run.trace_evaluations, "trace_energies": run.trace_energies} for run in result.runs]


def batch_file(folder: Path, job: tuple[str, str, dict, int, list[int]]) -> Path:
    formula, _, settings, budget, seeds = job
    tag = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:10]
    return folder / f"{formula}-{tag}-{budget}-seeds{seeds[0]}-{seeds[-1]}.json"


def run_batches(jobs: list, processes: int, folder: Path) -> list[dict]:
    """Every job's chains, each batch kept in ``folder`` (an interrupted sweep resumes)."""
    batches = run_kept(run_chains, jobs, lambda job: batch_file(folder, job), processes, "sweep")
    return [{**r, "setting": job[1]} for job, batch in zip(jobs, batches) for r in batch]


def first_hit(record: dict, target: float) -> float:
    hit = next((ev for ev, en in zip(record["trace_evaluations"], record["trace_energies"]) if en <= target + TOLERANCE), None)
    return math.inf if hit is None else float(hit)


def summarise(records: list[dict], systems: list[str], refs: dict) -> tuple[list[dict], dict[str, float]]:
    """Per setting: success and median evaluations to hit per system, and the ranking scores."""
    targets = {}
    for formula in systems:
        found = min(min(r["trace_energies"]) for r in records if r["system"] == formula)
        targets[formula] = min(found, float(refs[formula]["energy"])) if formula in refs else found
    rows = []
    for name in dict.fromkeys(r["setting"] for r in records):
        row = {"setting": name, "systems": {}}
        for formula in systems:
            hits = np.array([first_hit(r, targets[formula]) for r in records if r["setting"] == name and r["system"] == formula])
            row["systems"][formula] = {"successes": int(np.isfinite(hits).sum()), "seeds": len(hits),
                                       "median_evaluations": float(np.median(hits))}
        row["mean_success"] = float(np.mean([v["successes"] / v["seeds"] for v in row["systems"].values()]))
        medians = [v["median_evaluations"] for v in row["systems"].values()]
        row["mean_median"] = float(np.mean(medians)) if all(map(math.isfinite, medians)) else math.inf
        rows.append(row)
    rows.sort(key=lambda r: (-r["mean_success"], r["mean_median"]))
    return rows, targets


def best_combination(rows: list[dict]) -> BasinHoppingSettings:
    """The base with each knob at the value of its best-ranked setting."""
    chosen = {}
    for row in rows:  # best first
        knob, _, value = row["setting"].partition("=")
        if knob in KNOBS and knob not in chosen:
            chosen[knob] = type(getattr(BASE, knob))(value)
    base_rank = next(i for i, r in enumerate(rows) if r["setting"] == "base")
    kept = {k: v for k, v in chosen.items() if next(i for i, r in enumerate(rows) if r["setting"] == f"{k}={v}") < base_rank}
    return replace(BASE, **kept)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--systems", nargs="+", default=["Ag22Cu7", "Ag25Cu7", "LJ31"])
    parser.add_argument("--budget", type=int, default=100_000)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=5000, help="seeds apart from the benchmark's")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("results/tune-bh"))
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--from-results", type=Path, metavar="SWEEP_JSON")
    args = parser.parse_args()
    forbidden = [s for s in args.systems if held_out(s)]
    if forbidden:
        raise SystemExit(f"{', '.join(forbidden)} belong to the held-out set: tune on other systems")
    refs = load_references()
    args.out.mkdir(parents=True, exist_ok=True)
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    if args.from_results:
        records = json.loads(args.from_results.read_text())
    else:
        def run(settings: list[tuple[str, BasinHoppingSettings]]) -> list[dict]:
            groups = [list(map(int, g)) for g in np.array_split(list(seeds), args.processes)]
            jobs = [(f, name, asdict(s), args.budget, g) for name, s in settings for f in args.systems for g in groups]
            return run_batches(jobs, args.processes, args.out / "batches")

        records = run(sweep_settings())
        rows, _ = summarise(records, args.systems, refs)
        combined = best_combination(rows)
        if combined != BASE:
            records += run([("combined", combined)])
        (args.out / "sweep.json").write_text(json.dumps(records))
    rows, targets = summarise(records, args.systems, refs)
    combined = next((r["settings"] for r in records if r["setting"] == "combined"), None)
    lines = [
        "## Basin hopping tuned on systems outside the held-out set (`benchmarks/tune_basin_hopping.py`)",
        "",
        f"Measured on {machine()}. {args.seeds} chains x {args.budget:,} evaluations per setting and system",
        f"(seeds from {args.first_seed}); a chain succeeds when it comes within {TOLERANCE:g} of the lowest energy",
        "known for the system: " + ", ".join(f"{f} {e:.6f}" for f, e in targets.items()) + ".",
        f"Base setting: {asdict(BASE)}; each row changes one knob (`combined`: the best value of every knob",
        f"that beat the base{': ' + str(combined) if combined else ''}). Ranked by mean success rate, then",
        "mean median evaluations to the first hit.",
        "",
        "| setting | " + " | ".join(f"{f}: success, median evaluations" for f in args.systems) + " | mean success |",
        "| --- | " + " | ".join("---:" for _ in args.systems) + " | ---: |",
    ]
    for row in rows:
        cells = [f"{v['successes']}/{v['seeds']}, " + ("> budget" if math.isinf(v["median_evaluations"]) else f"{v['median_evaluations']:,.0f}")
                 for v in row["systems"].values()]
        lines.append(f"| {row['setting']} | " + " | ".join(cells) + f" | {row['mean_success']:.0%} |")
    text = "\n".join(lines)
    (args.out / "sweep.md").write_text(text + "\n")
    print(text)
    if not args.no_write:
        update_section("bh-tuning", text)


if __name__ == "__main__":
    main()
