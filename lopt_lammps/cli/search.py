"""Commands that search: search, init, relax, job search, job table."""

from __future__ import annotations

import argparse
import json
import sys

from .arguments import file_hash, resolve_method, starts_from_file, system_from_args


def cmd_search(args: argparse.Namespace) -> int:
    from ..database import check_writable, write_result
    from ..search import search
    from ..search.result import traces_to_json

    check_writable(args.db)
    system = system_from_args(args)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    method, reason = resolve_method(args.method, args.optimizer)
    print(f"searching {system.describe()}: {reason}; {args.budget} evaluations x {len(seeds)} seeds", file=sys.stderr)
    result = search(system, method, args.budget, seeds, optimizer=args.optimizer, accelerator=args.accelerator,
                    starts=starts_from_file(args.starts, seeds), progress=not args.quiet)
    result.settings["method_choice"] = reason
    if args.trace:
        args.trace.write_text(json.dumps(traces_to_json(result)))
    rows = write_result(args.db, result)
    best = result.best()
    print(f"{rows} minima written to {args.db}; lowest energy {best.energy:.6f} (seed {best.seed})" if best else "no minima found")
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    from ..search.common import StartGenerator
    from ..structures import to_atoms, write_extxyz

    system = system_from_args(args)
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    structures = [to_atoms(system, StartGenerator(system, seed)(), seed=seed) for seed in seeds]
    write_extxyz(args.output, structures)
    print(f"{len(structures)} starting structures of {system.describe()} written to {args.output}")
    return 0


def cmd_relax(args: argparse.Namespace) -> int:
    from ..search.common import Relaxer
    from ..structures import from_atoms, read_extxyz, to_atoms, write_extxyz

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


def cmd_job_search(args: argparse.Namespace) -> int:
    """A search chunk as a pyiron_base job; writes the chunk database and trace from the job's record."""
    from ..database import check_writable, write_result
    from ..jobs import open_project, run_chunk
    from ..search.result import result_from_json, traces_to_json

    check_writable(args.db)
    system = system_from_args(args)
    method, reason = resolve_method(args.method, args.optimizer)
    optimizer_hash = ""
    if method == "learned":
        from ..search import load_optimizer

        net = load_optimizer(args.optimizer)
        optimizer_hash = net.fingerprint()
    inputs = {
        "system": system.formula, "boundary": system.boundary, "density": args.density, "potential": args.potential or "",
        "method": method, "method_choice": reason, "budget": args.budget,
        "seeds": list(range(args.first_seed, args.first_seed + args.seeds)),
        "starts": str(args.starts.resolve()) if args.starts else "", "optimizer": str(args.optimizer or ""),
        "starts_hash": file_hash(args.starts) if args.starts else "", "optimizer_hash": optimizer_hash, "accelerator": args.accelerator or "",
    }
    project = open_project(args.project)
    data, reused = run_chunk(project, args.name, inputs)
    result = result_from_json(data)
    if args.trace:
        args.trace.write_text(json.dumps(traces_to_json(result)))
    extra = {"stage": args.stage} | ({"optimizer": optimizer_hash} if optimizer_hash else {})
    rows = write_result(args.db, result, extra, replace=True)
    print(f"{args.name}: {'reused the finished pyiron job' if reused else 'ran'}; {rows} minima written to {args.db}")
    return 0


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
