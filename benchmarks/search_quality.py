"""Search quality at equal evaluation budgets, with enough paired seeds to tell methods apart.

For each system (with a best-known energy in ``lopt_lammps/data/references.yaml``) and
each method, runs ``--seeds`` searches of ``--budget`` energy+force evaluations. Seed s
of every method starts from the same structure (paired seeds). A seed *hits* when its
best energy comes within 1e-3 (eV, or epsilon for Lennard-Jones) of the best-known energy.
Per system and method it reports

* the success rate at the budget with an exact 95 % interval;
* the median evaluations to the first hit and the median CPU seconds to it, with bootstrap
  95 % intervals (a miss counts as never, so the median is "> budget" when fewer than half
  hit); seconds are a seed's share of its process's time;
* the mean CPU seconds of a whole search per seed (the same share);
* the median gap of the best energy to the best-known one at the budget;
* over all the systems together, per method against ``--versus``: the mean paired difference
  of the anytime log gap (the hop policy's meta-objective: the mean over the budget of
  log10(best - best-known + 1e-3)) and of the final log gap, with bootstrap 95 % intervals
  and the Wilcoxon signed-rank test over all (system, seed) pairs;
* against ``bh``: Fisher's exact test on success and the log-rank test on evaluations to
  hit, written as "not significant" where p >= 0.05;
* one figure per system: the fraction of seeds that have hit by n evaluations (left) and
  by t CPU seconds (right), all methods, with bootstrap 95 % bands.

Methods are those of ``lopt-lammps search`` plus ``untrained`` (the learned search with the
untrained hop policy: basin hopping's defaults as a policy) and ``loop-untrained`` (the
``loop-learned`` search with the untrained network); ``--learned LABEL=POLICY`` adds
learned searches with other hop-policy files. ``--json`` prints the table as a JSON list on the last line. Each job's traces are kept in
``OUT/jobs`` as soon as it finishes: running the same command again resumes, and runs with
other ``--methods`` into the same ``--out`` share what is done (delete ``OUT/jobs`` to rerun). A
learned variant's jobs are named by its file's fingerprint too: a retrained file under the
same label or path runs again.

Usage: ``python benchmarks/search_quality.py --systems Ag27Cu7 LJ38 --methods bh learned
untrained loop-fire --budget 200000 --seeds 30 --processes 2 --section search-quality-held-out``.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import itertools
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from _kept import run_kept  # noqa: E402
from _report import machine, update_section  # noqa: E402

from lopt_lammps import statistics as st  # noqa: E402
from lopt_lammps.metatrain.objective import GAP_FLOOR, HIT_TOLERANCE, log_gap_loss  # noqa: E402
from lopt_lammps.references import load_references, references_fingerprint  # noqa: E402
from lopt_lammps.search import METHODS  # noqa: E402
from lopt_lammps.search.result import SearchResult, traces_from_json, traces_to_json  # noqa: E402
from lopt_lammps.systems import System, default_boundary  # noqa: E402

FIGURES = Path(__file__).resolve().parent.parent / "docs" / "figures"
#: methods that run all their seeds at once (a job takes a share of the seeds, not one; bh with
#: its default L-BFGS minimiser)
BATCHED = {"bh", "learned", "loop-learned", "loop-fire", "loop-adam", "adam", "gd"}


@dataclass(frozen=True)
class Variant:
    """A benchmarked method: a search method and, for learned searches, its optimizer."""

    label: str
    method: str
    optimizer: str | None = None

    @property
    def batched(self) -> bool:
        return self.method in BATCHED


def variants(methods: list[str], extra: list[str]) -> list[Variant]:
    out = []
    for label in methods:
        if label in ("untrained", "loop-untrained"):
            out.append(Variant(label, label.replace("untrained", "learned"), "untrained"))
        elif label in METHODS:
            out.append(Variant(label, label))
        else:
            raise SystemExit(f"unknown method {label!r}: one of {', '.join(METHODS)}, untrained, or --learned LABEL=CHECKPOINT")
    for item in extra:
        label, _, path = item.partition("=")
        out.append(Variant(label, "learned", path))
    return out


#: an untimed search before each job's timed one (its seed is no benchmark seed)
WARM_UP_EVALUATIONS, WARM_UP_SEED = 1000, 999_999


def run_job(job: tuple[str, Variant, int, list[int]]) -> dict:
    """One process's share of a (system, method): its seeds' traces and CPU seconds."""
    from lopt_lammps.search import search

    formula, variant, budget, seeds = job
    system = System.parse(formula, boundary=default_boundary(formula))
    # untimed: compiling the kernels and LAMMPS's first set-up would be charged to the first job of a process
    search(system, variant.method, min(budget, WARM_UP_EVALUATIONS), [WARM_UP_SEED], optimizer=variant.optimizer)
    start = time.process_time()
    result = search(system, variant.method, budget, seeds, optimizer=variant.optimizer)
    seconds = time.process_time() - start
    data = traces_to_json(result)
    data["method"] = variant.label
    for run in data["runs"]:  # seeds of a batched job share its time, in proportion to their evaluations
        run["notes"]["seconds"] = seconds * run["evaluations"] / sum(r["evaluations"] for r in data["runs"])
    return data


def jobs_for(systems: list[str], chosen: list[Variant], budget: int, seeds: list[int], processes: int) -> list:
    """The jobs, the methods' jobs of a system taken in turn (the first seed group of each method,
    then the second, ...), so that processes running side by side time different methods under the
    same conditions of the machine."""
    jobs = []
    for formula in systems:
        per_method = []
        for variant in chosen:
            groups = [list(map(int, g)) for g in np.array_split(seeds, processes) if len(g)] if variant.batched else [[s] for s in seeds]
            per_method.append([(formula, variant, budget, group) for group in groups])
        jobs += [job for turn in itertools.zip_longest(*per_method) for job in turn if job is not None]
    return jobs


@functools.lru_cache(maxsize=None)
def learned_fingerprint(method: str, optimizer: str | None) -> str | None:
    """The fingerprint of the trained file a learned variant runs (the shipped one when it names
    none); None for untrained and for methods without one."""
    if optimizer == "untrained" or method not in ("learned", "loop-learned"):
        return None
    if method == "learned":
        from lopt_lammps.pretrained import pretrained_policy_path
        from lopt_lammps.search.learned_policy import load_policy, policy_fingerprint

        return policy_fingerprint(*load_policy(Path(optimizer) if optimizer else pretrained_policy_path())[:2])
    from lopt_lammps.optimizers import LearnedOptimizerNet
    from lopt_lammps.pretrained import pretrained_path

    return LearnedOptimizerNet.load(Path(optimizer) if optimizer else pretrained_path()).fingerprint()


def job_file(out: Path, job: tuple[str, Variant, int, list[int]]) -> Path:
    """Where a job's traces are kept: named by system, method, budget and seeds, and for a learned
    variant by its file's fingerprint, so that a file retrained under the same label or path is
    run again rather than read from the jobs of the one before."""
    formula, variant, budget, seeds = job
    fingerprint = learned_fingerprint(variant.method, variant.optimizer)
    tag = hashlib.sha256((repr(variant) + (fingerprint or "")).encode()).hexdigest()[:8]
    return out / "jobs" / f"{formula}-{variant.label}-{tag}-{budget}-seeds{seeds[0]}-{seeds[-1]}.json"


@dataclass
class Outcome:
    """One (system, method): per seed, evaluations and seconds to the first hit (inf: never), CPU
    seconds of the whole search, final gap, and anytime log gap (mean over the budget of
    log10(gap + GAP_FLOOR))."""

    evaluations: np.ndarray
    seconds: np.ndarray
    cpu: np.ndarray
    gaps: np.ndarray
    anytime: np.ndarray

    @classmethod
    def of(cls, results: list[SearchResult], reference: float, budget: int) -> "Outcome":
        runs = sorted((run for result in results for run in result.runs), key=lambda run: run.seed)
        hits = [run.first_hit(reference, HIT_TOLERANCE) for run in runs]
        evaluations = np.array([math.inf if h is None else h for h in hits], dtype=float)
        seconds = np.array([math.inf if h is None else h / run.evaluations * run.notes["seconds"] for h, run in zip(hits, runs)])
        cpu = np.array([run.notes["seconds"] for run in runs])
        gaps = np.array([min(run.trace_energies, default=math.inf) - reference for run in runs])
        anytime = np.array([log_gap_loss(run.trace_evaluations, run.trace_energies, budget, reference) for run in runs])
        return cls(evaluations, seconds, cpu, gaps, anytime)

    @property
    def final_log_gaps(self) -> np.ndarray:
        return np.log10(np.maximum(self.gaps, 0.0) + GAP_FLOOR)

    @property
    def successes(self) -> int:
        return int(np.isfinite(self.evaluations).sum())


def show_median(value: float, interval: tuple[float, float], budget: int) -> str:
    """``1,234 [800, 2,000]`` evaluations, ``> budget`` when fewer than half of the seeds hit."""
    if math.isinf(value):
        return f"> {budget:,}"
    low, high = interval
    return f"{value:,.0f} [{low:,.0f}, {'never' if math.isinf(high) else f'{high:,.0f}'}]"


def show_seconds(value: float, interval: tuple[float, float]) -> str:
    if math.isinf(value):
        return "-"
    low, high = interval
    return f"{value:.3g} s [{low:.3g}, {'never' if math.isinf(high) else f'{high:.3g}'}]"


def table_rows(system: str, reference: float, outcomes: dict[str, Outcome], budget: int, versus: str = "bh") -> list[dict]:
    """The table's rows; every method is tested against the method ``versus``."""
    rows = []
    baseline = outcomes.get(versus)
    for label, o in outcomes.items():
        n = len(o.evaluations)
        low, high = st.success_interval(o.successes, n)
        row = {
            "system": system, "method": label, "reference": reference, "seeds": n, "successes": o.successes,
            "success_rate": o.successes / n, "success_interval": [low, high],
            "median_evaluations_to_hit": st.median_time(o.evaluations),
            "median_evaluations_interval": list(st.median_interval(o.evaluations)),
            "median_seconds_to_hit": st.median_time(o.seconds),
            "median_seconds_interval": list(st.median_interval(o.seconds)),
            "mean_cpu_seconds_per_seed": float(o.cpu.mean()),
            "median_gap": float(np.median(o.gaps)),
        }
        if baseline is not None and label != versus:
            row["p_success_vs_baseline"] = st.fisher_p(o.successes, n, baseline.successes, len(baseline.evaluations))
            row["p_time_vs_baseline"] = st.logrank_p(o.evaluations, baseline.evaluations, budget)
            row["p_gap_vs_baseline"] = st.wilcoxon_p(o.gaps, baseline.gaps)
            row["gap_lower_than_baseline"] = int((o.gaps < baseline.gaps - HIT_TOLERANCE).sum())
        rows.append(row)
    return rows


def pooled_rows(outcomes: dict[str, dict[str, Outcome]], versus: str) -> list[dict]:
    """Per method, its paired log-gap differences against ``versus`` over every (system, seed)."""
    rows = []
    labels = dict.fromkeys(label for per_system in outcomes.values() for label in per_system if label != versus)
    for label in labels:
        pairs = [(o[label], o[versus]) for o in outcomes.values() if label in o and versus in o]
        if not pairs:
            continue
        row: dict = {"method": label, "versus": versus, "systems": len(pairs), "pairs": sum(len(a.gaps) for a, _ in pairs)}
        for name in ("anytime", "final_log_gaps"):
            a = np.concatenate([getattr(mine, name) for mine, _ in pairs])
            b = np.concatenate([getattr(theirs, name) for _, theirs in pairs])
            mean, interval = st.paired_difference(a, b)
            row[name] = {"mean_difference": mean, "interval": list(interval), "p": st.wilcoxon_p(a, b),
                         "lower": int((a < b - 1e-9).sum()), "higher": int((a > b + 1e-9).sum())}
        rows.append(row)
    return rows


def pooled_markdown(rows: list[dict], versus: str) -> list[str]:
    lines = [
        f"Over all systems together: the paired difference to `{versus}` (negative is better) of the anytime log",
        "gap (mean over the budget of log10(best - best-known + 1e-3)) and of the final log gap, mean over",
        "the (system, seed) pairs with its bootstrap 95 % interval; the Wilcoxon signed-rank test over the pairs;",
        "how many pairs are lower and higher.",
        "",
        f"| method | systems, pairs | anytime log gap - {versus}'s | final log gap - {versus}'s |",
        "| --- | ---: | --- | --- |",
    ]
    for row in rows:
        cells = [f"{c['mean_difference']:+.3f} [{c['interval'][0]:+.3f}, {c['interval'][1]:+.3f}], {st.verdict(c['p'])}, "
                 f"lower {c['lower']}, higher {c['higher']}" for c in (row["anytime"], row["final_log_gaps"])]
        lines.append(f"| {row['method']} | {row['systems']}, {row['pairs']} | {cells[0]} | {cells[1]} |")
    return lines


def markdown_row(row: dict, budget: int) -> str:
    rate = f"{row['successes']}/{row['seeds']} ({row['success_rate']:.0%}; {row['success_interval'][0]:.0%}-{row['success_interval'][1]:.0%})"
    evals = show_median(row["median_evaluations_to_hit"], row["median_evaluations_interval"], budget)
    secs = show_seconds(row["median_seconds_to_hit"], row["median_seconds_interval"])
    tests = ""
    if "p_success_vs_baseline" in row:
        tests = (f"{st.verdict(row['p_success_vs_baseline'])}; {st.verdict(row['p_time_vs_baseline'])}; "
                 f"lower in {row['gap_lower_than_baseline']}/{row['seeds']}, {st.verdict(row['p_gap_vs_baseline'])}")
    return (f"| {row['system']} | {row['method']} | {rate} | {evals} | {secs} | {row['mean_cpu_seconds_per_seed']:.3g} s "
            f"| {max(row['median_gap'], 0.0) * 1000:.1f} | {tests} |")


def plot_hit_curves(system: str, outcomes: dict[str, Outcome], budget: int, path: Path) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    grid = np.unique(np.geomspace(10, budget, 300))
    longest = max((o.seconds[np.isfinite(o.seconds)].max() for o in outcomes.values() if np.isfinite(o.seconds).any()), default=1.0)
    seconds_grid = np.geomspace(1e-2, max(longest, 1e-1) * 1.05, 300)
    for i, (label, o) in enumerate(outcomes.items()):
        for ax, times, g in ((axes[0], o.evaluations, grid), (axes[1], o.seconds, seconds_grid)):
            low, high = st.hit_curve_band(times, g)
            ax.fill_between(g, low, high, color=f"C{i}", alpha=0.15, lw=0)
            ax.plot(g, st.hit_curve(times, g), color=f"C{i}", label=f"{label} ({o.successes}/{len(times)})")
    for ax, xlabel in zip(axes, ("energy+force evaluations", "CPU seconds (a seed's share)")):
        ax.set_xscale("log")
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("fraction of seeds at the best-known minimum")
        ax.grid(alpha=0.3, which="both")
    axes[0].legend(fontsize=7, loc="upper left")
    fig.suptitle(f"{system}: seeds that have found the best-known minimum (95 % bootstrap bands)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def finite(value):
    """JSON-safe copy: infinite numbers (never hit) become None."""
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite(v) for v in value]
    return None if isinstance(value, float) and math.isinf(value) else value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--systems", nargs="+", default=["LJ13", "Ag10Cu3"])
    parser.add_argument("--methods", nargs="+", default=["bh", "learned", "untrained", "loop-fire", "loop-adam", "fire"])
    parser.add_argument("--versus", default="bh", help="the method every other is tested against")
    parser.add_argument("--learned", nargs="*", default=[], metavar="LABEL=POLICY", help="more learned searches")
    parser.add_argument("--budget", type=int, default=20000)
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("results/benchmark"))
    parser.add_argument("--section", default="search-quality", help="section name in docs/benchmarks.md")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    parser.add_argument("--json", action="store_true", help="print the table as a JSON list on the last line")
    parser.add_argument("--kept-only", action="store_true",
                        help="run nothing: summarise the (system, method) pairs whose jobs are all kept in OUT/jobs")
    parser.add_argument("--from-traces", type=Path, metavar="TRACES_JSON",
                        help="summarise the traces.json of an earlier run instead of searching again")
    args = parser.parse_args()
    refs = load_references()
    missing = [s for s in args.systems if s not in refs]
    if missing:
        raise SystemExit(f"no best-known energy for {', '.join(missing)}: run benchmarks/establish_references.py first")
    chosen = variants(args.methods, args.learned)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    args.out.mkdir(parents=True, exist_ok=True)
    if args.from_traces:
        traces = json.loads(args.from_traces.read_text())
    else:
        jobs = jobs_for(args.systems, chosen, args.budget, seeds, args.processes)
        if args.kept_only:
            pairs = {(j[0], j[1]) for j in jobs}
            incomplete = {(j[0], j[1]) for j in jobs if not job_file(args.out, j).is_file()}
            jobs = [j for j in jobs if (j[0], j[1]) not in incomplete]
            skipped = sorted(f"{f} {v.label}" for f, v in incomplete)
            print(f"summarising {len(pairs) - len(incomplete)} of {len(pairs)} (system, method) pairs; not run: {', '.join(skipped) or 'none'}")
        traces = run_kept(run_job, jobs, lambda job: job_file(args.out, job), args.processes, "search-quality jobs")
        (args.out / "traces.json").write_text(json.dumps(traces))
    results = [traces_from_json(t) for t in traces]
    lines = [
        f"## Search quality at equal budgets (`benchmarks/search_quality.py`, section {args.section})",
        "",
        f"Measured on {machine()}. {args.seeds} paired seeds (seed s starts every method from the same",
        f"structure) x {args.budget:,} energy+force evaluations per system and method. A hit is a best energy",
        f"within {HIT_TOLERANCE:g} of the best-known energy (references file {references_fingerprint()}). Success",
        "rates with exact 95 % intervals; medians over seeds (a miss counts as never) with bootstrap 95 %",
        f"intervals; seconds are CPU seconds, a seed's share of its process (the whole search's, per seed, in the mean column). Tests against `{args.versus}`: Fisher's exact",
        "test on success; the log-rank test on evaluations to hit; the Wilcoxon signed-rank test on the final gaps",
        f"of the paired seeds, with the number of seeds whose gap is lower than {args.versus}'s by more than 1e-3.",
        "",
        "| system | method | success | median evaluations to hit | median CPU time to hit | mean CPU time per seed "
        "| median gap (1e-3 eV or epsilon) | vs " + args.versus + ": success; time to hit; final gap |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    rows, every = [], {}
    for formula in args.systems:
        reference = float(refs[formula]["energy"])
        outcomes = {v.label: Outcome.of(mine, reference, args.budget) for v in chosen
                    if (mine := [r for r in results if r.system.formula == formula and r.method == v.label])}
        if not outcomes:
            continue
        every[formula] = outcomes
        system_rows = table_rows(formula, reference, outcomes, args.budget, args.versus)
        rows += system_rows
        lines += [markdown_row(row, args.budget) for row in system_rows]
        figure = f"{args.section}-{formula}.png"
        plot_hit_curves(formula, outcomes, args.budget, args.out / figure)
        if not args.no_write:
            FIGURES.mkdir(parents=True, exist_ok=True)
            (FIGURES / figure).write_bytes((args.out / figure).read_bytes())
    pooled = pooled_rows(every, args.versus)
    if pooled:
        lines += [""] + pooled_markdown(pooled, args.versus)
    lines += [""] + [f"![{formula}](figures/{args.section}-{formula}.png)" for formula in every]
    text = "\n".join(lines)
    (args.out / "search_quality.md").write_text(text + "\n")
    print(text)
    if not args.no_write:
        update_section(args.section, text)
    if args.json:
        print(json.dumps(finite(rows + [dict(row, system="pooled") for row in pooled])))


if __name__ == "__main__":
    main()
