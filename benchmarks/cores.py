"""Search throughput against worker processes (``lopt-lammps search --cores N``).

For each method, runs the same search (same seeds, same budget) on 1, 2, ... worker
processes and measures energy+force evaluations per second of elapsed time (starting the
workers included, not the fork server they come from, which a command starts once); checks
that every seed's trace and minima are those of one process.
Methods: ``bh`` with L-BFGS (all of a process's seeds in one LAMMPS run), ``learned`` (the
shipped hop policy, or the untrained one where none ships) and ``loop-fire``. Target: at
least 1.8x the evaluations per second on 2 cores (it can only be met on two idle cores).

Usage: ``python benchmarks/cores.py [--cores 1 2 4] [--budget N] [--seeds 8 16] [--repeats N] [--json] [--no-write]``.
Each repeat runs every core count in turn and the fastest run of each counts, so that a
machine whose speed drifts (a shared virtual machine) favours no core count.
``--json`` ends the output with the table as one line of JSON.
"""

from __future__ import annotations

import argparse
import os
import time

from _report import machine, publish

from lopt_lammps.errors import CheckpointError
from lopt_lammps.search import BasinHoppingSettings, SearchResult, search
from lopt_lammps.systems import System

METHODS = ("bh", "learned", "loop-fire")


def learned_policy() -> str | None:
    """The shipped hop policy (None), or the untrained one where none ships."""
    from lopt_lammps.pretrained import pretrained_policy_path

    try:
        pretrained_policy_path()
        return None
    except CheckpointError:
        return "untrained"


def same_runs(a: SearchResult, b: SearchResult) -> bool:
    return all(r.seed == s.seed and r.evaluations == s.evaluations and r.trace_energies == s.trace_energies
               and [m.energy for m in r.minima] == [m.energy for m in s.minima] for r, s in zip(a.runs, b.runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--system", default="Ag30Cu8")
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    parser.add_argument("--cores", nargs="+", type=int, default=[1, 2], help="worker processes to compare (1 first)")
    parser.add_argument("--seeds", nargs="+", type=int, default=[8, 16],
                        help="seed counts to measure: a process steps its seeds together, so fewer seeds per process cost more per evaluation")
    parser.add_argument("--budget", type=int, default=60000, help="evaluations per seed (long enough that starting the workers is a small part)")
    parser.add_argument("--repeats", type=int, default=3, help="repeats of each core count, alternating; the fastest counts")
    parser.add_argument("--json", action="store_true", help="end with the table as one line of JSON")
    parser.add_argument("--no-write", action="store_true", help="print only, do not update docs/benchmarks.md")
    args = parser.parse_args()
    cores = sorted(set(args.cores) | {1})
    system = System.parse(args.system)
    policy = learned_policy()
    options = {
        "bh": {"bh_settings": BasinHoppingSettings(minimizer="lbfgs")},
        "learned": {"optimizer": policy},
        "loop-fire": {},
    }
    start = time.perf_counter()  # the first search on several cores starts the fork server its workers come from
    search(system, "bh", 1, [0, 1], cores=max(cores), **options["bh"])
    startup = time.perf_counter() - start
    rows = []
    for method, n_seeds in [(method, n_seeds) for method in args.methods for n_seeds in args.seeds]:
        seeds = list(range(n_seeds))
        # side by side: each repeat runs every core count in turn; the fastest of each counts
        seconds = {n: [] for n in cores}
        reference, same = None, {n: True for n in cores}
        for _ in range(args.repeats):
            for n in cores:
                start = time.perf_counter()
                result = search(system, method, args.budget, seeds, cores=n, **options[method])
                seconds[n].append(time.perf_counter() - start)
                reference = reference or result
                same[n] = same[n] and same_runs(reference, result)
        evaluations = sum(run.evaluations for run in reference.runs)
        for n in cores:
            rate = evaluations / min(seconds[n])
            rows.append({"method": method, "seeds": n_seeds, "cores": n, "seconds": round(min(seconds[n]), 3),
                         "evaluations": evaluations, "evaluations_per_second": round(rate, 1),
                         "speedup": round(min(seconds[1]) / min(seconds[n]), 3), "same_result": same[n]})
            print(rows[-1], flush=True)
    load = os.getloadavg()[0]
    lines = [
        "## Throughput against worker processes (`benchmarks/cores.py`)",
        "",
        f"Measured on {machine()} (load average {load:.1f} at the end). {system.formula}, {args.budget} evaluations per seed",
        f"per method, seed count and core count, best of {args.repeats} (core counts alternating); seeds split into contiguous groups, one",
        "process per group (one thread each); elapsed time includes starting the workers, forked from a",
        f"server that loads the search modules once per command ({startup:.1f} s here, not included).",
        f"`bh`: basin hopping with L-BFGS; `learned`: {'the shipped hop policy' if policy is None else 'the untrained hop policy (none ships)'}.",
        "*same result*: every seed's trace and minima equal those of one process. A process steps all",
        "its seeds together, so the fixed cost of a step (the callback's Python, LAMMPS's own) is shared",
        "by fewer seeds when they are spread over more processes: the speed-up grows with the seeds per",
        "process. Target: at least 1.8x on 2 cores.",
        "",
        "| method | seeds | cores | seconds | evaluations / s | speed-up | same result |",
        "| --- | ---: | ---: | ---: | ---: | ---: | :---: |",
    ]
    lines += [f"| {r['method']} | {r['seeds']} | {r['cores']} | {r['seconds']:.1f} | {r['evaluations_per_second']:,.0f} | "
              f"{r['speedup']:.2f} | {'yes' if r['same_result'] else 'NO'} |" for r in rows]
    publish("cores", lines, rows, not args.no_write, args.json)


if __name__ == "__main__":
    main()
