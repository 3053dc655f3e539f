"""Establish best-known energies by long basin-hopping runs, and record how.

For each formula, runs basin hopping (with swap moves for alloys) from several seeds
with a large evaluation budget, in parallel processes, and writes the lowest energy
found into ``lopt_lammps/data/references.yaml`` together with the budget, the number of
seeds, how many seeds reached it (within 1e-3), the commit and the date. Published
values already in the file (``source`` not starting with "basin hopping") are kept.

With ``--from-campaign MINIMA_DB`` it instead takes the lowest minimum of each composition
of a campaign database where it is lower (the long seeded campaign of
``workflows/config/references-agcu.yaml`` finds lower Ag-Cu minima than basin hopping from
random starts).

Usage: ``python benchmarks/establish_references.py Ag30Cu8 Ag32Cu6 --budget 400000 --seeds 8 --processes 2``
or ``python benchmarks/establish_references.py --from-campaign results-references/agcu/minima.db``.
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor
from datetime import date

import yaml
from ase.db import connect

from lopt_lammps.provenance import git_commit
from lopt_lammps.references import load_references, references_path
from lopt_lammps.search import search
from lopt_lammps.systems import System


def best_energy(job: tuple[str, int, int]) -> float:
    formula, seed, budget = job
    result = search(System.parse(formula), "bh", budget, [seed])
    return result.best().energy


def record(refs: dict, formula: str, energy: float, source: str) -> bool:
    """Set ``formula``'s best-known energy unless a published, lower or equal value is already there."""
    if formula in refs and not str(refs[formula].get("source", "")).startswith("basin hopping"):
        print(f"{formula}: keeping published {refs[formula]['energy']}, found {energy:.6f}")
        return False
    if formula in refs and refs[formula]["energy"] <= energy + 1e-6:
        print(f"{formula}: keeping the earlier value {refs[formula]['energy']}, found {energy:.6f}")
        return False
    refs[formula] = {"energy": round(energy, 6), "potential": System.parse(formula).potential.name,
                     "source": f"{source}; commit {git_commit()[:12]}, {date.today().isoformat()}"}
    print(f"{formula}: {energy:.6f}", flush=True)
    text = references_path().read_text() if references_path().exists() else ""
    header = "".join(line + "\n" for line in text.splitlines() if line.startswith("#"))
    references_path().write_text(header + yaml.safe_dump(refs, sort_keys=True, width=200))
    return True


def from_campaign(refs: dict, database: str, how: str) -> None:
    """Lower the references to a campaign database's lowest minima where they are lower."""
    for row in connect(database).select(rank=1):
        record(refs, row.composition, float(row.energy), f"basin hopping here, seeded ({how}): found by {row.found_by} runs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("formulas", nargs="*")
    parser.add_argument("--budget", type=int, default=400_000, help="evaluations per seed")
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--first-seed", type=int, default=1000, help="seeds far from those benchmarks use")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--from-campaign", metavar="MINIMA_DB", help="take the lowest minima of a campaign database instead")
    parser.add_argument("--how", default="the search_agcu pipeline with workflows/config/references-agcu.yaml",
                        help="with --from-campaign: how the campaign ran, for the record")
    args = parser.parse_args()
    refs = load_references()
    if args.from_campaign:
        from_campaign(refs, args.from_campaign, args.how)
        return
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    with ProcessPoolExecutor(args.processes) as pool:
        for formula in args.formulas:
            energies = list(pool.map(best_energy, [(formula, s, args.budget) for s in seeds]))
            lowest = min(energies)
            hits = sum(e <= lowest + 1e-3 for e in energies)
            record(refs, formula, lowest, f"basin hopping here: {args.seeds} seeds x {args.budget} evaluations, "
                   f"{hits}/{args.seeds} seeds reached it")


if __name__ == "__main__":
    main()
