"""Best-known minimum energies that can be defended, and how each was found.

A best-known energy is only an upper bound, so each composition is attacked several ways
and the reference is the lowest structure of all:

* ``run``: many independent basin-hopping chains from random starts (``--chains`` x
  ``--budget`` evaluations, seeds far from those benchmarks use);
* ``motifs``: structures built from the motifs the nanoalloy literature reports
  (``lopt-lammps motifs``: polyicosahedral and icosahedral core-shell, truncated
  octahedra, decahedra), relaxed, their chemical ordering polished by swaps;
* ``seeded``: basin-hopping chains started from the lowest structures found so far for
  the composition and, transmuted, for its neighbouring compositions of the same size;
* ``campaign``: the lowest minima a search campaign stored in its database (``--db``, the
  ``minima.db`` of ``lopt-lammps search`` or ``snakemake search_agcu``), so that a minimum a
  campaign finds below the reference is attacked and recorded like the others;
* ``record``: the lowest structure per composition over all of the above goes into
  ``lopt_lammps/data/references.yaml`` (energy, how it was found, by how many chains)
  and its positions into ``lopt_lammps/data/references.extxyz``. Published values (the
  Lennard-Jones global minima of the Cambridge Cluster Database) are checked, not replaced,
  unless something lower turns up.

Each stage writes ``OUT/FORMULA/STAGE.extxyz`` (one relaxed structure per chain or motif,
with its energy and provenance in ``info``), so stages can run at different times and
``record`` sees them all.

Usage::

    python benchmarks/establish_references.py run Ag27Cu7 Ag30Cu8 --chains 16 --budget 500000
    python benchmarks/establish_references.py motifs Ag27Cu7 Ag30Cu8
    python benchmarks/establish_references.py seeded Ag27Cu7 Ag30Cu8 --chains 8 --budget 200000
    python benchmarks/establish_references.py campaign Ag19Cu19 --db results/agcu/minima.db
    python benchmarks/establish_references.py record Ag27Cu7 Ag30Cu8
"""

from __future__ import annotations

import argparse
import json
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path

import numpy as np
import yaml
from ase import Atoms
from tqdm import tqdm
from _report import machine, update_section

from lopt_lammps.provenance import git_commit
from lopt_lammps.references import load_references, references_fingerprint, references_path, structures_path
from lopt_lammps.search import BasinHoppingSettings, search
from lopt_lammps.seeding import transmute
from lopt_lammps.structures import from_atoms, read_extxyz, to_atoms, write_extxyz
from lopt_lammps.systems import System, default_boundary

OUT = Path("results-references")
#: chains of a stage start at this seed: far from the seeds benchmarks use
FIRST_SEED = {"run": 100_000, "seeded": 200_000}
#: energies within this of the lowest count as reaching it
SAME = 1e-3


def system_of(formula: str) -> System:
    return System.parse(formula, boundary=default_boundary(formula))


def stage_file(out: Path, formula: str, stage: str) -> Path:
    return out / formula / f"{stage}.extxyz"


def best_structures(out: Path, formula: str) -> list[Atoms]:
    """Every structure any stage found for ``formula``, lowest first."""
    found = []
    for path in sorted((out / formula).glob("*.extxyz")):
        found += read_extxyz(path)
    return sorted(found, key=lambda a: a.info["minimum_energy"])


def chains(job: tuple[str, list[int], int, str, dict, dict[int, str]]) -> list[dict]:
    """Basin-hopping chains of one formula, batched in one search; each chain's lowest
    minimum as a JSON-able record (a chain's result does not depend on its batch)."""
    formula, seeds, budget, stage, settings, first = job
    system = system_of(formula)
    starts = {seed: np.array(json.loads(x)) for seed, x in first.items()} or None
    result = search(system, "bh", budget, seeds, bh_settings=BasinHoppingSettings(**settings), starts=starts)
    records = []
    for run in result.runs:
        best = min(run.minima, key=lambda m: m.energy)
        records.append({"formula": formula, "seed": run.seed, "energy": best.energy, "positions": best.positions.tolist(),
                        "evaluation": best.evaluation, "stage": stage})
    return records


def batches(formula: str, seeds: list[int], processes: int, budget: int, stage: str, settings: dict,
            first: dict[int, str] | None = None) -> list:
    """Jobs of :func:`chains`: ``seeds`` split into one batch per process."""
    first = first or {}
    return [(formula, list(map(int, group)), budget, stage, settings, {int(s): first[s] for s in group if s in first})
            for group in np.array_split(seeds, processes) if len(group)]


def run_chains(out: Path, jobs: list, processes: int, stage: str, how: str) -> None:
    """Run basin-hopping chains; each formula's lowest minima go to its stage file as soon as
    all its batches are done (an interrupted stage keeps the formulas it finished)."""
    pending = {job[0]: sum(j[0] == job[0] for j in jobs) for job in jobs}
    by_formula: dict[str, list[dict]] = {}
    with ProcessPoolExecutor(processes) as pool:
        for records in tqdm(pool.map(chains, jobs), total=len(jobs), desc=stage, unit="batch"):
            formula = records[0]["formula"]
            by_formula.setdefault(formula, []).extend(records)
            pending[formula] -= 1
            if not pending[formula]:
                write_stage(out, formula, stage, how, by_formula.pop(formula))


def write_stage(out: Path, formula: str, stage: str, how: str, records: list[dict]) -> None:
    system = system_of(formula)
    atoms = [to_atoms(system, np.array(r["positions"]), minimum_energy=r["energy"], stage=stage, seed=r["seed"], how=how)
             for r in records]
    path = stage_file(out, formula, stage)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_extxyz(path, atoms)
    lowest = min(r["energy"] for r in records)
    tqdm.write(f"{formula} {stage}: lowest {lowest:.6f}, reached by {sum(r['energy'] <= lowest + SAME for r in records)}/{len(records)} chains")


def settings_from(args: argparse.Namespace) -> dict:
    return {"temperature": args.temperature, "step": args.step, "swap_probability": args.swap,
            "atom_move_probability": args.atom_moves, "patience": args.patience, "minimizer": args.minimizer}


def cmd_run(args: argparse.Namespace) -> None:
    settings = settings_from(args)
    how = f"basin hopping from random starts, {args.chains} chains x {args.budget} evaluations, {settings}"
    seeds = [FIRST_SEED["run"] + k for k in range(args.chains)]
    jobs = [job for f in args.formulas for job in batches(f, seeds, args.processes, args.budget, "run", settings)]
    run_chains(args.out, jobs, args.processes, "run", how)


def cmd_seeded(args: argparse.Namespace) -> None:
    """Chains from the lowest structures so far of each formula and of its same-size neighbours."""
    settings = settings_from(args)
    jobs = []
    for formula in args.formulas:
        system = system_of(formula)
        pool = [a for other in args.formulas + args.neighbours for a in best_structures(args.out, other)[:2]
                if len(a) == system.n_atoms]
        starts = [transmute(a, system) for a in sorted(pool, key=lambda a: a.info["minimum_energy"])]
        seeds = [FIRST_SEED["seeded"] + k for k in range(args.chains)]
        first = {s: json.dumps(from_atoms(starts[k % len(starts)])[1].tolist()) for k, s in enumerate(seeds)} if starts else {}
        jobs += batches(formula, seeds, args.processes, args.budget, "seeded", settings, first)
    how = f"basin hopping seeded from the lowest structures so far of this and same-size compositions, {args.chains} chains x {args.budget}"
    run_chains(args.out, jobs, args.processes, "seeded", how)


def cmd_motifs(args: argparse.Namespace) -> None:
    from lopt_lammps.motifs import relaxed_motifs

    for formula in args.formulas:
        system = system_of(formula)
        found = relaxed_motifs(system)
        atoms = [to_atoms(system, m.positions, minimum_energy=m.energy, stage="motifs",
                          how=f"literature motif {m.label}, relaxed, chemical ordering polished by swaps") for m in found]
        path = stage_file(args.out, formula, "motifs")
        path.parent.mkdir(parents=True, exist_ok=True)
        write_extxyz(path, atoms)
        print(f"{formula} motifs: lowest {found[0].energy:.6f} ({found[0].label})")


def cmd_campaign(args: argparse.Namespace) -> None:
    """The ``--top`` lowest minima of each formula in a campaign's database, as a stage."""
    from lopt_lammps.database import REQUIRED_KEYS
    from lopt_lammps.dbfile import select

    for formula in args.formulas:
        system = system_of(formula)
        rows = select(args.db, REQUIRED_KEYS, system=formula, sort="energy", limit=args.top)
        if not rows:
            print(f"{formula}: no minima in {args.db}")
            continue
        atoms = [to_atoms(system, from_atoms(row.toatoms())[1], minimum_energy=float(row.energy), stage="campaign",
                          seed=int(row.seed), how=f"{row.method} ({row.get('stage', 'search')}, seed {row.seed}) in the campaign "
                                                  f"database {args.db}") for row in rows]
        path = stage_file(args.out, formula, "campaign")
        path.parent.mkdir(parents=True, exist_ok=True)
        write_extxyz(path, atoms)
        print(f"{formula} campaign: lowest {atoms[0].info['minimum_energy']:.6f} of {len(atoms)}")


def stage_summary(found: list[Atoms]) -> dict[str, dict]:
    """Per stage: its lowest energy and how many of its chains or motifs came within SAME of it."""
    out = {}
    for stage in sorted({a.info["stage"] for a in found}):
        energies = [float(a.info["minimum_energy"]) for a in found if a.info["stage"] == stage]
        out[stage] = {"lowest": round(min(energies), 6), "reached": sum(e <= min(energies) + SAME for e in energies),
                      "of": len(energies)}
    return out


def cmd_record(args: argparse.Namespace) -> None:
    """Write the lowest structure per formula into references.yaml and references.extxyz, and
    what every stage found into the section ``references`` of docs/benchmarks.md."""
    refs = load_references()
    structures = {a.info["system"]: a for a in read_extxyz(structures_path())} if structures_path().exists() else {}
    rows = []
    for formula in args.formulas:
        found = best_structures(args.out, formula)
        if not found:
            print(f"{formula}: nothing found in {args.out}")
            continue
        # a minimum that chains seeded from it reach again is credited to the stage that found it
        best = min(found, key=lambda a: (round(float(a.info["minimum_energy"]), 6), a.info["stage"] == "seeded"))
        energy = float(best.info["minimum_energy"])
        old = refs.get(formula)
        # stages not run again this time keep what they reached before
        stages = {**(old or {}).get("attacked_with", {}), **stage_summary(found)}
        rows.append((formula, old, stages))
        if old is not None and float(old["energy"]) <= energy + 1e-6:
            if energy <= float(old["energy"]) + SAME:
                structures.setdefault(formula, best)
            old["attacked_with"] = stages
            print(f"{formula}: keeping {old['energy']} (lowest found {energy:.6f})")
            continue
        reached = stages[best.info["stage"]]
        refs[formula] = {
            "energy": round(energy, 6),
            "potential": system_of(formula).potential.name,
            "found_by": f"{best.info['how']}; {reached['reached']} of {reached['of']} reached it",
            "attacked_with": stages,
            "source": f"established here; commit {git_commit()[:12]}, {date.today().isoformat()}",
        }
        structures[formula] = best
        print(f"{formula}: {energy:.6f} ({best.info['stage']}; was {old['energy'] if old else 'unknown'})")
    text = references_path().read_text() if references_path().exists() else ""
    header = "".join(line + "\n" for line in text.splitlines() if line.startswith("#"))
    references_path().write_text(header + yaml.safe_dump(refs, sort_keys=True, width=200))
    write_extxyz(structures_path(), [structures[k] for k in sorted(structures)])
    if not args.no_write and rows:
        update_section(args.section, references_table(rows, refs, args.section))


def references_table(rows: list[tuple[str, dict | None, dict]], refs: dict, section: str = "references") -> str:
    names = sorted({stage for _, _, stages in rows for stage in stages})
    lines = [
        f"## Best-known energies and how they were attacked (`benchmarks/establish_references.py`, section {section})",
        "",
        f"Measured on {machine()}. Per composition: the reference before, the lowest energy each stage",
        "found with how many of its chains (or motifs) reached it within 1 meV, and the reference now",
        f"(`lopt_lammps/data/references.yaml`, fingerprint {references_fingerprint()}). Stages: `run`,",
        "basin-hopping chains from random starts; `motifs`, the literature's motifs relaxed and",
        "polished (`lopt-lammps motifs`); `seeded`, chains from the lowest structures so far;",
        "`campaign`, the lowest minima of a search campaign's database.",
        "",
        "| composition | before (eV) | " + " | ".join(f"{n}: lowest, reached" for n in names) + " | now (eV) | lowered by (eV) |",
        "| --- | ---: | " + " | ".join("---:" for _ in names) + " | ---: | ---: |",
    ]
    for formula, old, stages in rows:
        before = float(old["energy"]) if old else None
        now = float(refs[formula]["energy"])
        cells = [f"{stages[n]['lowest']:.6f}, {stages[n]['reached']}/{stages[n]['of']}" if n in stages else "-" for n in names]
        lines.append(f"| {formula} | {'-' if before is None else f'{before:.6f}'} | " + " | ".join(cells)
                     + f" | {now:.6f} | {'-' if before is None else f'{before - now:.3f}'} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="stage", required=True)
    for name, func in (("run", cmd_run), ("seeded", cmd_seeded), ("motifs", cmd_motifs), ("campaign", cmd_campaign),
                       ("record", cmd_record)):
        p = sub.add_parser(name, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
        p.add_argument("formulas", nargs="+")
        p.add_argument("--out", type=Path, default=OUT, help="folder of the stage files")
        if name == "record":
            p.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
            p.add_argument("--section", default="references",
                           help="section of docs/benchmarks.md for the table (one per set of compositions)")
        p.set_defaults(func=func)
        if name in ("run", "seeded"):
            p.add_argument("--chains", type=int, default=16)
            p.add_argument("--budget", type=int, default=500_000, help="evaluations per chain")
            p.add_argument("--processes", type=int, default=2)
            defaults = BasinHoppingSettings()
            p.add_argument("--temperature", type=float, default=defaults.temperature, help="kT / E0")
            p.add_argument("--step", type=float, default=defaults.step)
            p.add_argument("--swap", type=float, default=defaults.swap_probability)
            p.add_argument("--atom-moves", type=float, default=defaults.atom_move_probability)
            p.add_argument("--patience", type=int, default=defaults.patience)
            p.add_argument("--minimizer", choices=["lbfgs", "cg", "fire"], default="lbfgs",
                           help="local minimiser (lbfgs runs a batch of chains in one LAMMPS run)")
        if name == "campaign":
            p.add_argument("--db", type=Path, required=True, help="the campaign's ase database (minima.db)")
            p.add_argument("--top", type=int, default=4, help="lowest minima taken per formula")
        if name == "seeded":
            p.add_argument("--neighbours", nargs="*", default=[], help="more formulas to borrow structures from")
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
