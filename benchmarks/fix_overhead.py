"""Overhead of running optimizers inside LAMMPS through the fix.

On B = 64 replicas of Ag30Cu8 packed in one LAMMPS instance, measures atom-steps per
second of each update rule (learned optimizer in both variants, FIRE, Adam) applied
through ``fix external`` inside ``run N``, against native LAMMPS ``run N`` on the same
packed system in the same process (atoms moving under ``fix nve``, per-atom energies
tallied as the fix needs). Target: the learned optimizer at least half as fast as native.

Usage: ``python benchmarks/fix_overhead.py [--steps N] [--no-write]``.
"""

from __future__ import annotations

import argparse
import time

import torch
from _report import machine, update_section
from engine import relaxed_start, time_native  # noqa: I001  (benchmarks/engine.py)

from lopt_lammps.engine import BatchedEngine
from lopt_lammps.fix import OptimizerFix
from lopt_lammps.optimizers import (
    Adam,
    Fire,
    LearnedOptimizer,
    LearnedOptimizerNet,
    NetworkConfig,
    Scales,
)
from lopt_lammps.systems import System


def rules(system: System, n: int, budget: int) -> dict:
    length = system.nearest_neighbour()
    scales = Scales.of(system)
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
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)  # as searches do: per-step tensors are small
    system = System.parse(args.system)
    n, steps = args.replicas, args.steps
    x = relaxed_start(system, n)
    atoms = n * system.n_atoms

    def native() -> float:
        with BatchedEngine(system, n) as engine:
            engine.set_positions(x)
            return time_native(engine, steps, energies=True)

    t_native = min(native() for _ in range(args.repeats))
    rows = []
    for name, rule in rules(system, n, steps).items():
        def measure() -> float:
            with BatchedEngine(system, n) as engine:
                engine.set_positions(x)
                fix = OptimizerFix(rule, n, steps, 0.5 * system.nearest_neighbour())
                start = time.perf_counter()
                engine.run(steps, fix)
                return (time.perf_counter() - start) / steps

        t = min(measure() for _ in range(args.repeats))
        rows.append((name, t))
        print(f"{name}: {t * 1e3:.3f} ms/step, native {t_native * 1e3:.3f} ms/step", flush=True)
    lines = [
        "## Optimizers inside LAMMPS: fix overhead (`benchmarks/fix_overhead.py`)",
        "",
        f"Measured on {machine()}. {n} replicas of {system.formula} ({atoms} atoms) in one LAMMPS",
        f"instance, {steps} steps, best of {args.repeats}. Native: LAMMPS `run N` on the same packed",
        "system (`fix nve`, per-atom energies tallied every step), no Python. Target: learned",
        "optimizer at least 0.5 of native throughput.",
        "",
        "| update rule | ms / step | atom-steps / s | fraction of native throughput |",
        "| --- | ---: | ---: | ---: |",
        f"| native LAMMPS `run N` | {t_native * 1e3:.3f} | {atoms / t_native:,.0f} | 1.00 |",
    ]
    lines += [f"| {name} | {t * 1e3:.3f} | {atoms / t:,.0f} | {t_native / t:.2f} |" for name, t in rows]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        update_section("fix-overhead", text)


if __name__ == "__main__":
    main()
