"""Commands that search: search, init, relax, relax-cell, motifs, job search, job table."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..pretrained import resolve_method
from .arguments import file_hash, starts_from_file, system_from_args
from .options import basin_hopping_settings

if TYPE_CHECKING:
    from ..database import Written


def cmd_search(args: argparse.Namespace) -> int:
    from ..outputs import SearchOutputs
    from ..search import optimizer_fingerprint, search

    outputs = SearchOutputs(args.db, args.trace)
    outputs.check()
    system = system_from_args(args)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    starts = starts_from_file(args.starts, system, seeds)
    method, reason = resolve_method(args.method, args.optimizer)
    optimizer_fingerprint(method, args.optimizer, basin_hopping_settings(args))  # refuse a bad optimizer file now
    print(f"searching {system.describe()}: {reason}; {args.budget} evaluations x {len(seeds)} seeds", file=sys.stderr)
    result = search(system, method, args.budget, seeds, optimizer=args.optimizer, accelerator=args.accelerator,
                    bh_settings=basin_hopping_settings(args), starts=starts, progress=not args.quiet,
                    cores=args.cores)
    result.settings["method_choice"] = reason
    written = outputs.save(result)
    best = result.best()
    print(f"{describe_written(written, args.db)}; lowest energy {best.energy:.6f} (seed {best.seed})" if best else "no minima found")
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    from ..paths import check_output_file
    from ..search.common import StartGenerator
    from ..structures import to_atoms, write_extxyz

    check_output_file(args.output)
    system = system_from_args(args)
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    structures = [to_atoms(system, StartGenerator(system, seed)(), seed=seed) for seed in seeds]
    write_extxyz(args.output, structures)
    print(f"{len(structures)} starting structures of {system.describe()} written to {args.output}")
    return 0


def cmd_relax(args: argparse.Namespace) -> int:
    from ..paths import check_output_file
    from ..search.common import Relaxer
    from ..structures import from_atoms, read_extxyz, to_atoms, write_extxyz

    check_output_file(args.output)
    relaxed = []
    for atoms in read_extxyz(args.input):
        system, x = from_atoms(atoms, args.potential)
        relaxer = Relaxer.for_system(system, args.accelerator, style=args.style)
        try:
            xr, e, n = relaxer(x)
        finally:
            relaxer.close()
        relaxed.append(to_atoms(system, xr, energy=e, evaluations=n))
        print(f"{system.formula}: {e:.6f} after {n} evaluations")
    write_extxyz(args.output, relaxed)
    return 0


def cmd_relax_cell(args: argparse.Namespace) -> int:
    from ..distributed import Crystal, relax_cell
    from ..paths import check_output_file
    from ..potentials import get_potential

    for path in (args.output, args.json):
        if path is not None:
            check_output_file(path)
    crystal = Crystal.parse(args.system, get_potential(args.potential) if args.potential else None)
    settings = {k: v for k, v in (("learning_rate", args.learning_rate), ("max_step", args.max_step)) if v is not None}
    result = relax_cell(crystal, args.rule, args.evaluations, args.rattle, args.seed, settings, positions_out=args.output,
                        optimizer=args.optimizer, network_device=args.network_device)
    if result.rank == 0:
        if args.json is not None:
            from ..paths import atomic_write_text

            atomic_write_text(args.json, result.to_json())
        print(f"{crystal.formula} on {result.ranks} rank(s), {args.rule}: energy {result.energies[0]:.6f} -> "
              f"{result.energies[-1]:.6f} in {result.evaluations} evaluations, "
              f"{result.microseconds_per_atom_step:.3f} us per atom-step")
    if result.ranks > 1:
        from ..lammps_runtime import finalize_mpi

        finalize_mpi()  # every rank got here: MPI can end collectively
    return 0


def cmd_motifs(args: argparse.Namespace) -> int:
    from ..motifs import relaxed_motifs
    from ..paths import check_output_file
    from ..structures import to_atoms, write_extxyz
    from ..systems import System

    check_output_file(args.output)
    system = System.parse(args.system, potential=args.potential)
    found = relaxed_motifs(system)
    write_extxyz(args.output, [to_atoms(system, m.positions, energy=m.energy, label=m.label, minimum_energy=m.energy)
                               for m in found])
    for m in found:
        print(f"{m.energy:14.6f}  {m.label}")
    print(f"{len(found)} relaxed motifs of {system.describe()} written to {args.output}")
    return 0


def cmd_job_search(args: argparse.Namespace) -> int:
    """A search chunk as a pyiron_base job; writes the chunk database and trace from the job's record."""
    from dataclasses import asdict

    from ..jobs import ChunkRequest, open_project, run_chunk
    from ..outputs import SearchOutputs
    from ..search import optimizer_fingerprint
    from ..search.result import result_from_json

    outputs = SearchOutputs(args.db, args.trace, replace=True)
    outputs.check()
    system = system_from_args(args)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    starts_from_file(args.starts, system, seeds)  # refuse a bad file before any work
    method, reason = resolve_method(args.method, args.optimizer)
    bh = basin_hopping_settings(args)
    request = ChunkRequest(
        system=system.formula, boundary=system.boundary, density=args.density, potential=args.potential,
        method=method, method_choice=reason, budget=args.budget, seeds=seeds,
        starts=str(args.starts.resolve()) if args.starts else None, starts_hash=file_hash(args.starts) if args.starts else None,
        optimizer=str(args.optimizer) if args.optimizer else None, optimizer_hash=optimizer_fingerprint(method, args.optimizer, bh),
        accelerator=args.accelerator, bh_settings=asdict(bh),
    )
    data, reused = run_chunk(open_project(args.project), args.name, request, cores=args.cores)
    written = outputs.save(result_from_json(data), args.stage)
    print(f"{args.name}: {'reused the finished pyiron job' if reused else 'ran'}; {describe_written(written, args.db)}")
    return 0


def describe_written(written: Written, db: Path) -> str:
    """``N minima written to DB`` and how many were there already."""
    return f"{written.added} minima written to {db}" + (f" ({written.present} were there already)" if written.present else "")


def cmd_job_table(args: argparse.Namespace) -> int:
    from ..jobs import job_table

    table = job_table(args.project)
    if args.summary:
        counts = table["status"].value_counts().to_dict() if len(table) else {}
        detail = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        print(f"pyiron_base records: {len(table)} jobs in {args.project}" + (f" ({detail})" if detail else ""))
    else:
        columns = [c for c in ("id", "status", "job", "hamilton", "timestart") if c in table]
        print(table[columns].to_string(index=False) if len(table) else "no jobs")
    return 0
