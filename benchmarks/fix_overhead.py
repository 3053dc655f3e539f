"""Overhead of running optimizers inside LAMMPS through the fix.

On B = 64 replicas of Ag30Cu8 packed in one LAMMPS instance, measures atom-steps per
second of each update rule (learned optimizer in both variants, FIRE, Adam) applied
through ``fix external`` inside ``run N``, against native LAMMPS ``run N`` on the same
packed system in the same process (atoms moving under ``fix nve``, per-atom energies
tallied as the fix needs). Target: the learned optimizer at least half as fast as native.

Usage: ``python benchmarks/fix_overhead.py [--steps N] [--clock wall|cpu] [--json] [--no-write]``.
``--json`` ends the output with the table as one line of JSON (a list of objects with
``rule``, ``ms_per_step``, ``fraction_of_native``, ``ms_in_fix``, the part of a step spent
in the rule and the fix's bookkeeping, and ``neighbour_builds`` in the run); ``--clock cpu`` counts the process's
CPU time instead of elapsed time, for a machine busy with other work.
"""

from __future__ import annotations

import argparse
import json

import torch
from _report import machine, update_section
from engine import CLOCKS, relaxed_start, time_native  # noqa: I001  (benchmarks/engine.py)

from lopt_lammps.engine import BatchedEngine
from lopt_lammps.fix import OptimizerFix
from lopt_lammps.optimizers import (
    Adam,
    Fire,
    LearnedOptimizer,
    LearnedOptimizerNet,
    NetworkConfig,
)
from lopt_lammps.systems import System


def rules(system: System, n: int, budget: int) -> dict:
    length = system.nearest_neighbour()
    scales = system.scales()
    seeds = list(range(n))
    return {
        "learned (equivariant)": LearnedOptimizer(LearnedOptimizerNet(NetworkConfig("equivariant")), scales, budget, seeds),
        "learned (per-coordinate)": LearnedOptimizer(LearnedOptimizerNet(NetworkConfig("per_coordinate")), scales, budget, seeds),
        "FIRE": Fire(max_step=0.1 * length),
        "Adam": Adam(learning_rate=0.02 * length),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--system", default="Ag30Cu8")
    parser.add_argument("--replicas", type=int, default=64)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--clock", choices=CLOCKS, default="wall", help="elapsed time, or CPU time of this process")
    parser.add_argument("--json", action="store_true", help="end with the table as one line of JSON")
    parser.add_argument("--no-write", action="store_true", help="print only, do not update docs/benchmarks.md")
    args = parser.parse_args()
    clock = CLOCKS[args.clock]
    torch.set_num_threads(1)  # as searches do: per-step tensors are small
    system = System.parse(args.system)
    n, steps = args.replicas, args.steps
    x = relaxed_start(system, n)
    atoms = n * system.n_atoms

    def builds(engine: BatchedEngine) -> int:
        """Neighbour-list builds so far (LAMMPS's ``nbuild``)."""
        engine.lmp.command("variable lopt_builds equal nbuild")
        return int(engine.lmp.extract_variable("lopt_builds"))

    def native() -> tuple[float, int]:
        """Seconds per step and neighbour-list builds of the native run."""
        with BatchedEngine(system, n) as engine:
            engine.set_positions(x)
            return time_native(engine, steps, energies=True, clock=clock), builds(engine)

    def measure(rule, n_steps: int = steps) -> tuple[float, float, int]:
        """Seconds per step, of those the seconds in the fix (rule and bookkeeping), and neighbour-list builds."""
        with BatchedEngine(system, n) as engine:
            engine.set_positions(x)
            fix = OptimizerFix(rule, n, n_steps, 0.5 * system.nearest_neighbour())
            inside = 0.0

            def timed(*arrays):
                nonlocal inside
                begin = clock()
                out = fix(*arrays)
                inside += clock() - begin
                return out

            start = clock()
            engine.run(n_steps, timed)
            return (clock() - start) / n_steps, inside / n_steps, builds(engine)

    for rule in rules(system, n, steps).values():
        measure(rule, 3)  # compiles (or loads) the compiled kernels before anything is timed
    # side by side: every repeat measures native and each rule in turn; the fastest counts
    natives, measured = [], {name: [] for name in rules(system, n, steps)}
    for _ in range(args.repeats):
        natives.append(native())
        for name, rule in rules(system, n, steps).items():
            measured[name].append(measure(rule))
    t_native, native_builds = min(natives)
    rows = [(name, *min(times)) for name, times in measured.items()]  # the fastest run, its time in the fix, its builds
    for name, t, inside, n_builds in rows:
        print(f"{name}: {t * 1e3:.3f} ms/step ({inside * 1e3:.3f} in the fix, {n_builds} neighbour-list builds), "
              f"native {t_native * 1e3:.3f} ms/step", flush=True)
    lines = [
        "## Optimizers inside LAMMPS: fix overhead (`benchmarks/fix_overhead.py`)",
        "",
        f"Measured on {machine()}. {n} replicas of {system.formula} ({atoms} atoms) in one LAMMPS",
        f"instance, {steps} steps, best of {args.repeats}, {'CPU' if args.clock == 'cpu' else 'elapsed'} time. Native: LAMMPS `run N` on the same packed",
        "system (`fix nve`, per-atom energies tallied every step), no Python. Target: learned",
        "optimizer at least 0.5 of native throughput.",
        "",
        "*In the fix*: the rule and the fix's bookkeeping; *rest*: LAMMPS (forces, its fixes, and",
        "neighbour lists, rebuilt more often than in the native run, whose atoms barely move) and",
        "the engine's copies; the rest also grows with the memory the rule's arrays take from LAMMPS's",
        "in the caches.",
        "",
        "| update rule | ms / step | in the fix (ms) | rest (ms) | neighbour-list builds | atom-steps / s | fraction of native throughput |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| native LAMMPS `run N` | {t_native * 1e3:.3f} | | | {native_builds} | {atoms / t_native:,.0f} | 1.00 |",
    ]
    lines += [f"| {name} | {t * 1e3:.3f} | {inside * 1e3:.3f} | {(t - inside) * 1e3:.3f} | {n_builds} | {atoms / t:,.0f} | "
              f"{t_native / t:.2f} |" for name, t, inside, n_builds in rows]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        update_section("fix-overhead", text)
    if args.json:
        table = [("native LAMMPS run N", t_native, 0.0, native_builds), *rows]
        print(json.dumps([{"rule": name, "ms_per_step": round(t * 1e3, 4), "fraction_of_native": round(t_native / t, 4),
                           "ms_in_fix": round(inside * 1e3, 4), "neighbour_builds": n_builds} for name, t, inside, n_builds in table]))


if __name__ == "__main__":
    main()
