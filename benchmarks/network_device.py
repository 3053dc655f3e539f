"""The learned rule's step against the number of atoms, its network compiled or on a torch device.

For 10^4 to 10^6 atoms (replicas of Ag30Cu8 side by side, so that the per-atom work, not
the all-pairs coordination of one huge cluster, grows with the atoms) this times one step of
the shipped learned rule outside LAMMPS (features, network, displacement; no forces):
with the compiled single-thread network, and with the network on each torch device given
(``cpu``: torch's own threads; ``cuda`` where a GPU is there; the inputs go to the device and
the outputs come back every step, which is included). Reports microseconds per atom-step,
of which the network and the displacement (the step less its features), and checks that the device's step agrees with the compiled one.

Usage: ``python benchmarks/network_device.py [--devices cpu cuda] [--atoms 10000 100000 1000000]
[--repeats 3] [--json] [--no-write]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from _report import machine, publish

from lopt_lammps.optimizers import LearnedOptimizer, LearnedOptimizerNet
from lopt_lammps.pretrained import pretrained_path
from lopt_lammps.structures import random_batch
from lopt_lammps.systems import System


def timed_step(rule: LearnedOptimizer, x: np.ndarray, f: np.ndarray, e: np.ndarray, repeats: int) -> tuple[float, float, np.ndarray]:
    """Fastest seconds of a whole step and of its features alone over ``repeats``, and the step taken."""
    best, best_features, step = np.inf, np.inf, None
    for _ in range(repeats + 1):  # the first warms up (compilation, device start)
        begin = time.perf_counter()
        rule.features(rule.init(x, f, e), x, f, e)
        features = time.perf_counter() - begin
        state = rule.init(x, f, e)
        begin = time.perf_counter()
        new_x, _ = rule.step(state, x, f, e)
        total = time.perf_counter() - begin
        if step is not None:
            best, best_features = min(best, total), min(best_features, features)
        step = new_x - x
    return best, best_features, step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", nargs="+", default=["cpu"], help="torch devices for the network besides the compiled one")
    parser.add_argument("--atoms", nargs="+", type=int, default=[10_000, 100_000, 1_000_000], help="atoms per step (rounded to whole replicas)")
    parser.add_argument("--repeats", type=int, default=3, help="timed steps per size; the fastest counts")
    parser.add_argument("--json", action="store_true", help="end with the table as one line of JSON")
    parser.add_argument("--no-write", action="store_true", help="print only, do not update docs/benchmarks.md")
    args = parser.parse_args()
    system = System.parse("Ag30Cu8")
    net = LearnedOptimizerNet.load(pretrained_path())
    rows = []
    for atoms in args.atoms:
        replicas = max(1, round(atoms / system.n_atoms))
        x = random_batch(system, replicas, seed=0)
        f = np.random.default_rng(1).normal(0.0, 0.3, x.shape)
        e = np.full(replicas, -100.0)
        compiled = None
        for device in [None, *args.devices]:
            rule = LearnedOptimizer(net, system.scales(), 1000, list(range(replicas)), device=device)
            total, features, step = timed_step(rule, x, f, e, args.repeats)
            compiled = step if device is None else compiled
            n = replicas * system.n_atoms
            rows.append({"device": device or "compiled (1 thread)", "atoms": n, "us_per_atom_step": round(total / n * 1e6, 4),
                         "network_us_per_atom_step": round((total - features) / n * 1e6, 4),
                         "max_difference": float(np.abs(step - compiled).max())})
            print(rows[-1], flush=True)
    lines = [
        "## The learned rule's step against atoms, network compiled or on a torch device (`benchmarks/network_device.py`)",
        "",
        f"Measured on {machine()}, torch {torch.__version__} ({torch.get_num_threads()} threads). One step of the shipped",
        "learned rule outside LAMMPS (features compiled on the CPU, network, displacement) on",
        "replicas of Ag30Cu8 side by side, best of "
        f"{args.repeats}; *network*: the step less its features (network and displacement; moving the",
        "network's inputs to the device and its outputs back included); *largest difference*: of the",
        "step from the compiled one (length units).",
        "",
        "| network | atoms | us / atom-step | of which network | largest difference |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    lines += [f"| {r['device']} | {r['atoms']:,} | {r['us_per_atom_step']:.3f} | {r['network_us_per_atom_step']:.3f} | "
              f"{r['max_difference']:.1e} |" for r in rows]
    publish("network-device", lines, rows, not args.no_write, args.json)


if __name__ == "__main__":
    main()
