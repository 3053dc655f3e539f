"""Engine throughput: Python-driven evaluations against native LAMMPS steps.

For LJ38 and Ag30Cu8 with B = 1, 8, 64 replicas packed in one LAMMPS instance, this
measures, in one process and side by side:

* ``energy_forces``: evaluations per second when Python asks for energies and forces
  of new positions every call (a capped steepest-descent loop);
* ``run`` + callback: the same loop driven from inside LAMMPS (``fix external``);
* native: LAMMPS ``run N`` with no Python, on the same packed system, once computing
  forces only and once with per-atom energies tallied every step (what the engine needs);
  atoms move by ``fix nve`` so neighbour lists are rebuilt as in a real search.

Usage: ``python benchmarks/engine.py [--evaluations N] [--clock wall|cpu] [--no-write]``
(``--clock cpu``: this process's CPU time instead of elapsed time, for a busy machine).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _report import machine, update_section

from lopt_lammps.engine import BatchedEngine
from lopt_lammps.structures import random_batch
from lopt_lammps.systems import System

SYSTEMS = ("LJ38", "Ag30Cu8")
REPLICAS = (1, 8, 64)
STEP = {"lj": 2e-3, "metal": 2e-3}


def descend(step: float):
    def update(x, f, e):
        return x + np.clip(step * f, -0.02, 0.02)

    return update


def best_of(repeats: int, measure) -> float:
    return min(measure() for _ in range(repeats))


def relaxed_start(system: System, n: int) -> np.ndarray:
    """Random structures after 2000 capped descent steps: every measurement starts here,
    since the cost of a step grows as clusters compact."""
    with BatchedEngine(system, n) as engine:
        engine.set_positions(random_batch(system, n, seed=0))
        engine.run(2000, descend(0.01))
        return engine.positions()


#: what a measurement counts: elapsed time, or this process's CPU time (steadier on a busy machine)
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def time_energy_forces(engine: BatchedEngine, x: np.ndarray, n_evals: int, step: float, clock=time.perf_counter) -> float:
    start = clock()
    for _ in range(n_evals):
        _, f = engine.energy_forces(x, check=False)
        x = x + np.clip(step * f, -0.02, 0.02)
    return (clock() - start) / n_evals


def time_callback(engine: BatchedEngine, x: np.ndarray, n_evals: int, step: float, clock=time.perf_counter) -> float:
    engine.set_positions(x)
    start = clock()
    engine.run(n_evals, descend(step))
    return (clock() - start) / n_evals


def time_native(engine: BatchedEngine, n_steps: int, energies: bool, clock=time.perf_counter) -> float:
    """Seconds per step of a plain LAMMPS run of the engine's packed system."""
    lmp = engine.lmp
    units = engine.system.potential.units
    lmp.command("unfix lopt_ext")
    lmp.command("unfix lopt_halt")
    if not energies:
        lmp.command("unfix lopt_tally")
    lmp.command(f"velocity all create {0.1 if units == 'lj' else 100.0} 1 dist gaussian")
    lmp.command(f"timestep {0.002 if units == 'lj' else 0.001}")
    lmp.command("fix lopt_nve all nve")
    lmp.command("run 0 post no")
    start = clock()
    lmp.command(f"run {n_steps} post no")
    return (clock() - start) / n_steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--evaluations", type=int, default=2000, help="evaluations per measurement")
    parser.add_argument("--repeats", type=int, default=3, help="repeats; the fastest counts")
    parser.add_argument("--clock", choices=CLOCKS, default="wall", help="elapsed time, or CPU time of this process")
    parser.add_argument("--no-write", action="store_true", help="print only, do not update docs/benchmarks.md")
    args = parser.parse_args()
    clock = CLOCKS[args.clock]
    rows = []
    for formula in SYSTEMS:
        system = System.parse(formula)
        step = STEP[system.potential.units]
        for n in REPLICAS:
            evals = max(200, args.evaluations // max(1, n // 8))
            x = relaxed_start(system, n)
            with BatchedEngine(system, n) as engine:
                t_ef = best_of(args.repeats, lambda: time_energy_forces(engine, x, evals, step, clock))
                t_cb = best_of(args.repeats, lambda: time_callback(engine, x, evals, step, clock))
            native = {}
            for energies in (False, True):
                def measure():
                    with BatchedEngine(system, n) as engine:
                        engine.set_positions(x)
                        return time_native(engine, evals, energies, clock)
                native[energies] = best_of(args.repeats, measure)
            rows.append((formula, n, t_ef, t_cb, native[False], native[True]))
            print(formula, n, [f"{v * 1e3:.3f} ms" for v in rows[-1][2:]], flush=True)
    lines = [
        "## Engine throughput (`benchmarks/engine.py`)",
        "",
        f"Measured on {machine()}, {'CPU' if args.clock == 'cpu' else 'elapsed'} time. Per-evaluation times (one evaluation = energies and forces",
        "of all B replicas); *native* is LAMMPS `run N` on the same packed system with no",
        "Python (atoms moving under `fix nve`), with forces only and with the per-atom energies",
        "the engine tallies every step. Ratios are engine time over native-with-energies time.",
        "",
        "| system | B | `energy_forces` | evals/s | `run` + callback | evals/s | native forces | native forces + energies | ratio `energy_forces` | ratio callback |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for formula, n, t_ef, t_cb, t_nat, t_nat_e in rows:
        lines.append(
            f"| {formula} | {n} | {t_ef * 1e3:.3f} ms | {1 / t_ef:,.0f} | {t_cb * 1e3:.3f} ms | {1 / t_cb:,.0f} "
            f"| {t_nat * 1e3:.3f} ms | {t_nat_e * 1e3:.3f} ms | {t_ef / t_nat_e:.2f} | {t_cb / t_nat_e:.2f} |"
        )
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        update_section("engine", text)


if __name__ == "__main__":
    main()
