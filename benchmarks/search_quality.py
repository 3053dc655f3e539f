"""Search quality at equal evaluation budgets: success rate and evaluations to first hit.

For each system (with a best-known energy in ``lopt_lammps/data/references.yaml``) and
each method, runs ``--seeds`` independent searches of ``--budget`` energy+force
evaluations and reports

* success rate: the fraction of seeds whose best energy came within 1e-3 (eV, or eps for
  Lennard-Jones) of the best-known energy within the budget;
* median evaluations to first hit over all seeds (a seed that never hits counts as
  infinite, so the median is "> budget" when fewer than half succeed);
* a plot of the median gap to the best-known energy against evaluations.

Learned optimizers: ``learned`` uses the shipped pretrained one (or, if none ships, the
untrained network, which starts as Adam-like momentum steps; the table says which);
``--learned LABEL=CHECKPOINT`` adds more (for ablations).

Usage: ``python benchmarks/search_quality.py --systems LJ13 Ag10Cu3 --methods learned bh fire adam
--budget 20000 --seeds 10 --processes 2``.
"""

from __future__ import annotations

import argparse
import json
import math
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from _report import machine, update_section

from lopt_lammps.errors import CheckpointError
from lopt_lammps.optimizers import LearnedOptimizerNet
from lopt_lammps.pretrained import pretrained_path
from lopt_lammps.references import load_references
from lopt_lammps.report import plot_convergence
from lopt_lammps.search import search
from lopt_lammps.search.result import traces_to_json
from lopt_lammps.systems import System

TOLERANCE = 1e-3
FIGURES = Path(__file__).resolve().parent.parent / "docs" / "figures"


def learned_optimizers(extra: list[str]) -> dict[str, tuple[str | None, str]]:
    """label -> (checkpoint or None for untrained, description)."""
    try:
        shipped = str(pretrained_path())
        found = {"learned": (shipped, f"shipped pretrained optimizer {LearnedOptimizerNet.load(shipped).fingerprint()}")}
    except CheckpointError:
        found = {"learned": (None, "untrained network (Adam-like initialisation): no pretrained optimizer ships yet")}
    for item in extra:
        label, _, path = item.partition("=")
        found[label] = (path, f"checkpoint {Path(path).name} ({LearnedOptimizerNet.load(path).fingerprint()})")
    return found


def run_job(job: tuple[str, str, str, int, list[int], str | None]) -> dict:
    formula, label, method, budget, seeds, checkpoint = job
    system = System.parse(formula, boundary="periodic" if formula.startswith("Si") else "cluster")
    optimizer = LearnedOptimizerNet.load(checkpoint) if checkpoint else LearnedOptimizerNet()
    result = search(system, method, budget, seeds, optimizer=optimizer if method == "learned" else None)
    data = traces_to_json(result)
    data["method"] = label
    return data


def split(seeds: list[int], parts: int) -> list[list[int]]:
    return [[int(s) for s in part] for part in np.array_split(seeds, parts) if len(part)]


def first_hits(traces: list[dict], reference: float, budget: int) -> list[float]:
    """Evaluations at which each seed first came within the tolerance (inf: never)."""
    hits = []
    for t in traces:
        for run in t["runs"]:
            hit = next((ev for ev, en in zip(run["trace_evaluations"], run["trace_energies"]) if en <= reference + TOLERANCE and ev <= budget), None)
            hits.append(math.inf if hit is None else hit)
    return hits


def success_rate(hits: list[float], evaluations: float) -> float:
    return sum(h <= evaluations for h in hits) / len(hits)


def median_best(traces: list[dict]) -> float:
    return float(np.nanmedian([min(run["trace_energies"], default=math.nan) for t in traces for run in t["runs"]]))


def target_verdict(hits: list[float], baseline: list[float], budget: int) -> str:
    """At least the baseline's success rate with half its median evaluations to first hit.

    When the baseline succeeds in fewer than half of the seeds its median is beyond the
    budget; the target is then read as reaching the baseline's full-budget success rate
    within half the budget. A baseline that never hits leaves nothing to compare.
    """
    rate = success_rate(baseline, budget)
    if rate == 0:
        return "n/a (bh never hits)"
    median = float(np.median(baseline))
    horizon = median / 2 if math.isfinite(median) else budget / 2
    met = success_rate(hits, budget) >= rate and success_rate(hits, horizon) >= min(rate, 0.5)
    return "met" if met else "not met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--systems", nargs="+", default=["LJ13", "Ag10Cu3"])
    parser.add_argument("--methods", nargs="+", default=["learned", "bh", "fire", "adam"])
    parser.add_argument("--learned", nargs="*", default=[], metavar="LABEL=CHECKPOINT", help="more learned optimizers")
    parser.add_argument("--budget", type=int, default=20000)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("results/benchmark"))
    parser.add_argument("--section", default="search-quality", help="section name in docs/benchmarks.md")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    parser.add_argument("--from-traces", type=Path, metavar="TRACES_JSON",
                        help="summarise the traces.json of an earlier run instead of searching again")
    args = parser.parse_args()
    refs = load_references()
    missing = [s for s in args.systems if s not in refs]
    if missing:
        raise SystemExit(f"no best-known energy for {', '.join(missing)}: run benchmarks/establish_references.py first")
    learned = learned_optimizers(args.learned)
    methods = [(m, m, None) for m in args.methods if m != "learned"]
    methods = [(label, "learned", path) for label, (path, _) in learned.items() if label != "learned" or "learned" in args.methods] + methods
    seeds = list(range(args.seeds))
    jobs = []
    for formula in args.systems:
        for label, method, checkpoint in methods:
            groups = split(seeds, args.processes) if method in ("learned", "adam", "gd") else [[s] for s in seeds]
            jobs += [(formula, label, method, args.budget, group, checkpoint) for group in groups]
    if args.from_traces:
        traces = json.loads(args.from_traces.read_text())
    else:
        with ProcessPoolExecutor(args.processes) as pool:
            traces = list(pool.map(run_job, jobs))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "traces.json").write_text(json.dumps(traces))
    plot = args.out / "search_quality.png"
    plot_convergence(traces, {k: float(v["energy"]) for k, v in refs.items()}, plot)
    lines = [
        f"## Search quality at equal budgets (`benchmarks/search_quality.py`, section {args.section})",
        "",
        f"Measured on {machine()}. {args.seeds} seeds per system and method, {args.budget} energy+force",
        f"evaluations per seed; a hit is a best energy within {TOLERANCE:g} of the best-known energy.",
        "Median evaluations to first hit counts a miss as infinite. *Target vs bh*: at least basin",
        "hopping's success rate with half its median evaluations to first hit (where bh succeeds in",
        "fewer than half of the seeds: bh's full-budget success rate within half the budget).",
        "",
    ]
    lines += [f"- `{label}`: {desc}" for label, (_, desc) in learned.items() if any(m[0] == label for m in methods)]
    lines += ["", "| system | best known | method | success rate | success at half budget | median evaluations to first hit "
              "| median best energy per atom | target vs bh |",
              "| --- | ---: | --- | ---: | ---: | ---: | ---: | :---: |"]
    for formula in args.systems:
        ref = float(refs[formula]["energy"])
        n_atoms = System.parse(formula).n_atoms
        mine = {label: [t for t in traces if t["system"] == formula and t["method"] == label] for label, _, _ in methods}
        hits = {label: first_hits(mine[label], ref, args.budget) for label in mine}
        for label, method, _ in methods:
            median = float(np.median(hits[label]))
            shown = f"> {args.budget}" if math.isinf(median) else f"{median:,.0f}"
            verdict = target_verdict(hits[label], hits["bh"], args.budget) if method == "learned" and "bh" in hits else ""
            best = median_best(mine[label])
            lines.append(f"| {formula} | {ref:.6f} | {label} | {success_rate(hits[label], args.budget):.0%} "
                         f"| {success_rate(hits[label], args.budget / 2):.0%} | {shown} | {best / n_atoms:.5f} | {verdict} |")
    figure = f"figures/{args.section}.png"
    lines += ["", f"![median gap to the best-known energy against evaluations]({figure})"]
    text = "\n".join(lines)
    (args.out / "search_quality.md").write_text(text + "\n")
    print(text)
    if not args.no_write:
        FIGURES.mkdir(parents=True, exist_ok=True)
        (FIGURES / f"{args.section}.png").write_bytes(plot.read_bytes())
        update_section(args.section, text)


if __name__ == "__main__":
    main()
