"""Commands on minima databases and campaigns: db best / export / add / merge / seeds, report."""

from __future__ import annotations

import argparse
import json


def cmd_db_best(args: argparse.Namespace) -> int:
    from ..database import best

    rows = best(args.path, args.formula, args.top)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'id':>5} {'formula':<10} {'energy':>14} {'method':<8} {'seed':>5} {'evaluations':>12}")
    for r in rows:
        print(f"{r['id']:>5} {r['formula']:<10} {r['energy']:>14.6f} {r['method']!s:<8} {r['seed']!s:>5} {r['evaluations']!s:>12}")
    return 0


def cmd_db_export(args: argparse.Namespace) -> int:
    from ..database import export_best
    from ..paths import check_output_file

    check_output_file(args.output)
    count = export_best(args.path, args.output, args.top)
    print(f"{count} structures written to {args.output}")
    return 0


def cmd_db_add(args: argparse.Namespace) -> int:
    from ..database import write_result
    from ..outputs import read_rescue
    from .search import describe_written

    result, stage = read_rescue(args.rescue)
    print(describe_written(write_result(args.path, result, stage), args.path))
    return 0


def cmd_db_merge(args: argparse.Namespace) -> int:
    from ..campaign import merge_chunks

    rows = merge_chunks(args.output, args.chunks)
    print(f"{rows} distinct minima in {args.output}")
    return 0


def cmd_db_seeds(args: argparse.Namespace) -> int:
    from ..paths import check_output_file
    from ..seeding import seed_structures
    from ..structures import write_extxyz
    from ..systems import System

    check_output_file(args.output)
    seeds = seed_structures(args.path, System.parse(args.system), args.top, args.neighbours)
    for k, atoms in enumerate(seeds):
        atoms.info = {"seed": args.first_seed + k}
    write_extxyz(args.output, seeds)
    print(f"{len(seeds)} seeds of {args.system} written to {args.output}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from ..report import write_report

    path = write_report(args.campaign, args.title or f"Campaign {args.campaign.name}", args.note)
    print(f"report written to {path}")
    return 0
