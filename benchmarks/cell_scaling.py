"""Cost of a large periodic cell per atom-step, against atoms and MPI ranks (``relax-cell``).

For each size (diamond Si, Stillinger-Weber) and each number of ranks, starts
``mpirun -np K`` on this script's worker mode, which times, in one process group:

* ``adam``: ``relax_cell`` with the per-atom Adam rule inside the ``fix external`` callback;
* ``learned``: the same with the learned update rule (coordination over own and ghost atoms);
* ``native``: LAMMPS alone relaxing the same cell, its own FIRE minimiser (``min_style
  fire``) for the same number of evaluations (what a relaxation costs without Python).

Each run does about 1,500,000 atom-steps (at least 100 evaluations). The cost per atom-step
must stay flat as the cell grows (the work is linear in atoms) and fall with ranks.
Writes section ``cell-scaling`` of docs/benchmarks.md and figure
``docs/figures/cell-scaling.png``.

Usage: ``python benchmarks/cell_scaling.py [--sizes 512 1000 4096] [--ranks 1 2] [--json] [--no-write]``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from _report import machine, publish  # noqa: E402

FIGURE = Path(__file__).resolve().parent.parent / "docs" / "figures" / "cell-scaling.png"
ATOM_STEPS = 1_500_000
RULES = ("adam", "learned")


def evaluations_for(n_atoms: int) -> int:
    return max(100, ATOM_STEPS // n_atoms)


def native_seconds(formula: str, evaluations: int) -> float:
    """LAMMPS alone: its FIRE minimiser on the rattled cell, ``evaluations`` force evaluations."""
    from lopt_lammps.distributed import Crystal, create_cell
    from lopt_lammps.lammps_runtime import start_lammps

    crystal = Crystal.parse(formula)
    lmp = start_lammps(parallel=True)
    try:
        create_cell(lmp, crystal, crystal.positions(0.08, seed=0), commands=("thermo 0", "min_style fire"))
        lmp.command("run 0 post no")
        started = time.perf_counter()
        lmp.command(f"minimize 0.0 0.0 {evaluations - 1} {evaluations}")  # tolerances 0: every iteration runs
        return time.perf_counter() - started
    finally:
        lmp.close()


def worker(formula: str) -> None:
    """Under mpirun: time both runs of one size, print one JSON line from rank 0."""
    from lopt_lammps.distributed import Crystal, relax_cell

    crystal = Crystal.parse(formula)
    evaluations = evaluations_for(crystal.n_atoms)
    runs = {}
    for rule in RULES:
        relax_cell(crystal, rule, 3)  # compiles (or loads) the compiled kernels before anything is timed
        runs[rule] = relax_cell(crystal, rule, evaluations)
    native = native_seconds(formula, evaluations)
    if runs["adam"].rank == 0:
        per = 1e6 / (evaluations * crystal.n_atoms)
        print(json.dumps({"atoms": crystal.n_atoms, "ranks": runs["adam"].ranks, "evaluations": evaluations,
                          **{f"{rule}_us_per_atom_step": run.seconds * per for rule, run in runs.items()},
                          "native_us_per_atom_step": native * per}))


def measure(n_atoms: int, ranks: int) -> dict:
    mpirun = shutil.which("mpirun", path=str(Path(sys.executable).parent)) or shutil.which("mpirun")
    if mpirun is None:
        sys.exit("no mpirun found: install lammps[mpi] (its mpich provides mpirun)")
    done = subprocess.run([mpirun, "-np", str(ranks), sys.executable, __file__, "--worker", f"Si{n_atoms}"],
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def plot(rows: list[dict], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(6, 4))
    for ranks in sorted({r["ranks"] for r in rows}):
        mine = [r for r in rows if r["ranks"] == ranks]
        atoms = [r["atoms"] for r in mine]
        ax.plot(atoms, [r["adam_us_per_atom_step"] for r in mine], "o-", label=f"Adam in the callback, {ranks} rank(s)")
        ax.plot(atoms, [r["learned_us_per_atom_step"] for r in mine], "^-", label=f"learned rule, {ranks} rank(s)")
        ax.plot(atoms, [r["native_us_per_atom_step"] for r in mine], "s--", label=f"LAMMPS's FIRE minimiser, {ranks} rank(s)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("atoms in the cell (diamond Si, Stillinger-Weber)")
    ax.set_ylabel("wall-clock microseconds per atom-step")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", type=int, default=[512, 1000, 4096], help="atoms (8 k^3; the learned rule needs 512 or more)")
    parser.add_argument("--ranks", nargs="+", type=int, default=[1, 2], help="MPI ranks to compare")
    parser.add_argument("--json", action="store_true", help="end with the table as one line of JSON")
    parser.add_argument("--no-write", action="store_true", help="print only, do not update docs/benchmarks.md")
    parser.add_argument("--worker", metavar="FORMULA", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return
    rows = [measure(n, k) for k in sorted(args.ranks) for n in sorted(args.sizes)]
    single = {r["atoms"]: r for r in rows if r["ranks"] == 1}
    lines = [
        "## Large periodic cells over MPI ranks (`benchmarks/cell_scaling.py`)",
        "",
        f"Measured on {machine()}. `mpirun -np K` on a rattled diamond Si cell (Stillinger-Weber);",
        "wall-clock time per atom-step of `relax_cell` (`lopt-lammps relax-cell`) with the per-atom Adam rule",
        "and with the learned update rule in the callback, and of LAMMPS alone relaxing the same cell with its own",
        f"FIRE minimiser (`min_style fire`); about {ATOM_STEPS:,} atom-steps per run. Speed-up: one rank's time over",
        "K ranks'.",
        "",
        "| atoms | ranks | evaluations | Adam (us/atom-step) | learned (us/atom-step) | LAMMPS FIRE (us/atom-step) | Adam / LAMMPS FIRE | speed-up over 1 rank (Adam; learned) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        base = single.get(r["atoms"])
        speedup = "; ".join(f"{base[f'{rule}_us_per_atom_step'] / r[f'{rule}_us_per_atom_step']:.2f}" for rule in RULES) if base else "-"
        lines.append(f"| {r['atoms']} | {r['ranks']} | {r['evaluations']} | {r['adam_us_per_atom_step']:.3f} | "
                     f"{r['learned_us_per_atom_step']:.3f} | {r['native_us_per_atom_step']:.3f} | "
                     f"{r['adam_us_per_atom_step'] / r['native_us_per_atom_step']:.2f} | {speedup} |")
    lines += ["", "![cost per atom-step](figures/cell-scaling.png)"]
    if not args.no_write:
        plot(rows, FIGURE)
    publish("cell-scaling", lines, rows, not args.no_write, args.json)


if __name__ == "__main__":
    main()
