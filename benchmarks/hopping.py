"""Does it hop? Single trajectories of the learned optimizer and of FIRE, side by side.

From the same random start, each optimizer runs alone for ``--evaluations`` steps. Every
``--every`` evaluations the current structure is relaxed locally (LAMMPS CG, not counted)
to find which basin the optimizer is in. The figure shows, against evaluations:

* the energy, with the energy of the basin the optimizer is in;
* the step size (RMS displacement per atom, in nearest-neighbour distances);
* the distance of that basin from the start basin — the local minimum of the random
  start — as the RMS difference of the sorted interatomic distances, in
  nearest-neighbour distances (0: the same structure).

A hopping optimizer leaves basins and settles in new ones; FIRE settles once.

Usage: ``python benchmarks/hopping.py --system Ag30Cu8 --evaluations 4000 [--optimizer CKPT]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from _report import machine, update_section  # noqa: E402

from lopt_lammps.comparison import StructureComparator, fingerprint  # noqa: E402
from lopt_lammps.engine import BatchedEngine  # noqa: E402
from lopt_lammps.errors import CheckpointError  # noqa: E402
from lopt_lammps.fix import OptimizerFix  # noqa: E402
from lopt_lammps.optimizers import Fire, LearnedOptimizer, LearnedOptimizerNet  # noqa: E402
from lopt_lammps.pretrained import pretrained_path  # noqa: E402
from lopt_lammps.search.common import Relaxer, StartGenerator  # noqa: E402
from lopt_lammps.systems import System  # noqa: E402

FIGURE = Path(__file__).resolve().parent.parent / "docs" / "figures" / "hopping.png"


def trajectory(system: System, rule, start: np.ndarray, evaluations: int, every: int) -> dict:
    """Energies and step sizes per evaluation, and snapshots every ``every`` evaluations."""
    energies, steps, snapshots = [], [], []
    length = system.nearest_neighbour()
    fix = OptimizerFix(rule, 1, evaluations, 0.5 * length)

    def record(x, f, e):
        new = fix(x, f, e)
        energies.append(float(e[0]))
        steps.append(float(np.sqrt(((new - x) ** 2).sum(-1).mean())) / length)
        if len(energies) % every == 1:
            snapshots.append((len(energies), x[0].copy()))
        return new

    with BatchedEngine(system, 1) as engine:
        engine.set_positions(start[None])
        engine.run(evaluations, record)
    return {"energies": np.array(energies), "steps": np.array(steps), "snapshots": snapshots}


def basins(system: System, snapshots: list, relaxer: Relaxer) -> dict:
    """Basin energy and distance from the start basin of each snapshot; number of distinct basins."""
    evals, energies, distances, fps = [], [], [], []
    for evaluation, x in snapshots:
        xr, er, _ = relaxer(x)
        fps.append(fingerprint(system, xr))
        evals.append(evaluation)
        energies.append(er)
        distances.append(float(np.sqrt(np.mean((fps[-1] - fps[0]) ** 2))))
    changes = sum(1 for a, b in zip(energies, energies[1:]) if abs(a - b) > 1e-3)
    return {"evaluations": np.array(evals), "energies": np.array(energies), "distances": np.array(distances),
            "distinct": _count_distinct(system, np.array(energies), fps), "changes": changes}


def _count_distinct(system: System, energies: np.ndarray, fps: list) -> int:
    comparator = StructureComparator(system)
    kept: list[int] = []
    for i in range(len(energies)):
        if not any(comparator.same(energies[i], fps[i], energies[j], fps[j]) for j in kept):
            kept.append(i)
    return len(kept)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--system", default="Ag30Cu8")
    parser.add_argument("--evaluations", type=int, default=4000)
    parser.add_argument("--every", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--optimizer", type=Path, default=None)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    system = System.parse(args.system)
    try:
        path = args.optimizer or pretrained_path()
        net, label = LearnedOptimizerNet.load(path), f"learned optimizer {LearnedOptimizerNet.load(path).fingerprint()}"
    except CheckpointError:
        net, label = LearnedOptimizerNet(), "untrained learned optimizer (no pretrained one ships)"
    start = StartGenerator(system, args.seed)()
    runs = {
        label: LearnedOptimizer(net, system.scales(), args.evaluations, [args.seed]),
        "FIRE": Fire(max_step=0.1 * system.nearest_neighbour()),
    }
    relaxer = Relaxer.for_system(system)
    results = {}
    for name, rule in runs.items():
        traj = trajectory(system, rule, start, args.evaluations, args.every)
        results[name] = (traj, basins(system, traj["snapshots"], relaxer))
    relaxer.close()
    fig, axes = plt.subplots(3, 2, figsize=(11, 7.5), sharex=True, sharey="row")
    for col, (name, (traj, basin)) in enumerate(results.items()):
        evals = np.arange(1, len(traj["energies"]) + 1)
        ax = axes[0, col]
        ax.plot(evals, traj["energies"], lw=0.6, color="0.5", label="energy")
        ax.plot(basin["evaluations"], basin["energies"], "o", ms=3, color="C3", label="energy of the basin (relaxed)")
        low = min(b["energies"].min() for _, b in results.values())
        ax.set_ylim(low - 0.5, low + 8)
        ax.set_title(f"{name}: {basin['distinct']} distinct basins", fontsize=9)
        ax.legend(fontsize=7)
        axes[1, col].semilogy(evals, np.maximum(traj["steps"], 1e-6), lw=0.6, color="C0")
        axes[2, col].plot(basin["evaluations"], basin["distances"], "o-", ms=3, color="C2")
        axes[2, col].set_xlabel("evaluations")
    axes[0, 0].set_ylabel("energy")
    axes[1, 0].set_ylabel("step (RMS, nn distances)")
    axes[2, 0].set_ylabel("basin distance from start")
    fig.suptitle(f"{system.formula}: one trajectory each from the same random start (seed {args.seed})")
    fig.tight_layout()
    FIGURE.parent.mkdir(parents=True, exist_ok=True)
    out = FIGURE if not args.no_write else Path("results/benchmark/hopping.png")
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    lines = [
        "## Does it hop? (`benchmarks/hopping.py`)",
        "",
        f"Measured on {machine()}. {system.formula}, one trajectory of {args.evaluations} evaluations per",
        f"optimizer from the same random start; every {args.every} evaluations the current structure is",
        "relaxed (not counted) to see which basin the optimizer is in. This is the update rule alone:",
        "the `learned` search driver adds cycles that restart from the perturbed best minimum.",
        "",
        "| optimizer | distinct basins visited | basin changes between snapshots | lowest basin energy | final energy |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, (traj, basin) in results.items():
        lines.append(f"| {name} | {basin['distinct']} | {basin['changes']} | {basin['energies'].min():.4f} | {traj['energies'][-1]:.4f} |")
    lines += ["", "![single trajectories](figures/hopping.png)"]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        update_section("hopping", text)


if __name__ == "__main__":
    main()
