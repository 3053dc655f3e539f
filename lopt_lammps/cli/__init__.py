"""The ``lopt-lammps`` command line (parser and entry point)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .. import __version__
from ..errors import LoptError
from .database import cmd_db_add, cmd_db_best, cmd_db_export, cmd_db_merge, cmd_db_seeds, cmd_report
from .options import Parser, accelerator, non_negative, non_negative_number, positive, positive_number, print_error, search_options, seed_options, system_options
from .search import cmd_init, cmd_job_search, cmd_job_table, cmd_motifs, cmd_relax, cmd_relax_cell, cmd_search
from .training import cmd_optimizer_compare, cmd_optimizer_info, cmd_train
from .workflow import cmd_workflow_check

EPILOG = """\
examples:
  lopt-lammps search Ag30Cu8 --method bh --budget 20000 --seeds 4 --db minima.db
  lopt-lammps search LJ38 --method learned --budget 20000 --seeds 8 --db minima.db
  lopt-lammps search Si64 --method fire --budget 50000 --seeds 2 --db si.db
  lopt-lammps db best minima.db --formula Ag30Cu8 --top 5
  lopt-lammps motifs Ag27Cu7 -o motifs.extxyz
  lopt-lammps train workflows/config/metatrain.yaml --out results/metatrain --workers 2
"""


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="lopt-lammps",
        description="Global structure search with learned optimizers driving LAMMPS.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"lopt-lammps {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser(
        "search",
        help="find low-energy structures of a system and store its minima in a database",
        description="Run a global search for SYSTEM: each seed is an independent run with BUDGET "
        "energy+force evaluations; the distinct minima each seed found (relaxed) are added to the "
        "ase.db database at --db.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        parents=[search_options()],
    )
    s.set_defaults(func=cmd_search)

    i = sub.add_parser("init", help="write seeded random starting structures to extxyz",
                       description="Write the first starting structure of each seed (the one `search --starts` uses).",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                       parents=[system_options(), seed_options()])
    i.add_argument("-o", "--output", type=Path, required=True, help="extxyz file")
    i.set_defaults(func=cmd_init)

    r = sub.add_parser("relax", help="relax structures locally (LAMMPS minimize)",
                       description="Relax every structure of an extxyz file to a force 2-norm below "
                       "1e-3 cohesive energies per nearest-neighbour distance and write the results.",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    r.add_argument("input", type=Path, help="extxyz file")
    r.add_argument("-o", "--output", type=Path, required=True)
    r.add_argument("--style", default="cg", choices=["cg", "fire"], help="LAMMPS min_style")
    r.add_argument("--potential", default=None)
    r.add_argument("--accelerator", type=accelerator, default=None, help="LAMMPS accelerator (as for search)")
    r.set_defaults(func=cmd_relax)

    rc = sub.add_parser("relax-cell", help="relax one large periodic crystal over MPI ranks (mpirun -np K)",
                        description="Relax a rattled cubic crystal of one element (diamond Si; fcc metals and LJ) with a "
                        "per-atom update rule running inside LAMMPS. Started under `mpirun -np K lopt-lammps relax-cell ...`, "
                        "LAMMPS splits the cell into K subdomains and each rank moves its own atoms; the energies equal "
                        "those of one rank to round-off (the learned rule's single-precision network amplifies it "
                        "slowly). FIRE and L-BFGS, which couple all atoms, are not offered. "
                        "Rank 0 prints the energies and writes the outputs.",
                        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    rc.add_argument("system", help="formula of the crystal: Si512, Si1000, Si4096 (8 k^3 atoms), Cu4000 (4 k^3)")
    rc.add_argument("--rule", default="adam", choices=["adam", "gd", "learned"],
                    help="update rule: adam and gd treat each atom on its own; learned is the learned update rule, "
                    "its coordination features summed within twice its largest radius (cells of at least 512 Si atoms)")
    rc.add_argument("--optimizer", default=None,
                    help="the learned rule's network: a checkpoint file, or 'untrained' (default: the shipped one)")
    rc.add_argument("--network-device", default=None,
                    help="torch device for the learned rule's network (cpu, cuda, cuda:N); default: the compiled "
                    "single-thread CPU network. Each step moves the network's inputs there and its outputs back")
    rc.add_argument("--evaluations", type=positive, default=500, help="energy+force evaluations")
    rc.add_argument("--learning-rate", type=positive_number, default=None, help="the rule's step, in length units (default: the rule's)")
    rc.add_argument("--max-step", type=positive_number, default=None, help="largest displacement of an atom per step")
    rc.add_argument("--rattle", type=non_negative_number, default=0.08,
                    help="Gaussian displacement of every site per axis, in nearest-neighbour distances")
    rc.add_argument("--seed", type=int, default=0, help="seed of the displacements")
    rc.add_argument("--potential", default=None, help="potential name (default from the element)")
    rc.add_argument("-o", "--output", type=Path, default=None, help="extxyz file for the relaxed cell")
    rc.add_argument("--json", type=Path, default=None, help="file for the energies and timings (JSON)")
    rc.set_defaults(func=cmd_relax_cell)

    mo = sub.add_parser("motifs", help="build and relax the structural motifs of the nanoalloy literature",
                        description="Build SYSTEM (a free cluster of one or two elements) from the motifs the "
                        "nanoalloy literature reports: polyicosahedral (pIh) core-shell clusters on compact cores of "
                        "the more strongly bound element (Rossi et al., Phys. Rev. Lett. 93, 105503, 2004), the "
                        "anti-Mackay and Mackay icosahedra, fcc clusters (the truncated octahedron) and Ino and "
                        "Marks decahedra, the strongly bound element (Cu in Ag-Cu) inside. Each is relaxed like "
                        "`lopt-lammps relax` does, its chemical ordering polished by exchanges of unlike atoms, "
                        "and the distinct results are written lowest first with their label and energy "
                        "(info: label, minimum_energy). Clusters under 4 atoms give none.",
                        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    mo.add_argument("system", help="formula of a free cluster, such as Ag27Cu7, Cu38 or LJ38")
    mo.add_argument("--potential", default=None, help="potential name (default from the elements): lj, smatb-agcu")
    mo.add_argument("-o", "--output", type=Path, required=True, help="extxyz file")
    mo.set_defaults(func=cmd_motifs)

    t = sub.add_parser(
        "train",
        help="meta-train a learned optimizer with evolution strategies",
        description="Meta-train the learned optimizer (ESMC, ES or GA over short searches on sampled "
        "training tasks). Progress is checkpointed in OUT; running the same command again resumes. "
        "Across nodes, start it under torchrun (one process per core).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    t.add_argument("config", nargs="?", type=Path, default=None, help="training YAML (default: built-in settings)")
    t.add_argument("--out", type=Path, required=True, help="output folder: state.pt, optimizer.pt, history.json, training_curve.png")
    t.add_argument("--workers", type=positive, default=1, help="local worker processes")
    t.add_argument("--iterations", type=positive, default=None, help="override the number of outer iterations")
    t.add_argument("--start-policy", type=Path, default=None,
                   help="learner hops: the hop-policy file to start from, overriding the configuration's start_policy "
                   "(the output of an earlier stage)")
    t.add_argument("--accelerator", type=accelerator, default=None, help="LAMMPS accelerator for the workers")
    t.set_defaults(func=cmd_train)

    job = sub.add_parser("job", help="search chunks as pyiron_base jobs (used by the workflows)",
                         description="Run search chunks as pyiron_base jobs with their own job table.")
    jobsub = job.add_subparsers(dest="job_command", required=True, metavar="JOB_COMMAND")
    js = jobsub.add_parser("search", help="one search chunk as a pyiron_base job",
                           description="Like `lopt-lammps search`, recorded as a pyiron_base job in PROJECT. "
                           "A finished job with the same inputs is reused; a failed or interrupted one is rerun.",
                           formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                           parents=[search_options()])
    js.add_argument("--project", type=Path, required=True, help="pyiron project folder (holds jobs.db)")
    js.add_argument("--name", required=True, help="chunk name, e.g. Ag30Cu8_chunk0")
    js.add_argument("--stage", default="search", help="stage label stored with every minimum (e.g. refine1)")
    js.set_defaults(func=cmd_job_search)
    jt = jobsub.add_parser("table", help="the pyiron job table of a project")
    jt.add_argument("project", type=Path)
    jt.add_argument("--summary", action="store_true", help="one line: how many jobs in which status")
    jt.set_defaults(func=cmd_job_table)

    wf = sub.add_parser("workflow", help="commands the Snakemake workflows call",
                        description="Commands the Snakemake workflows call.")
    wfsub = wf.add_subparsers(dest="workflow_command", required=True, metavar="WORKFLOW_COMMAND")
    wc = wfsub.add_parser("check", help="check a workflow configuration before any work",
                          description="Check a workflow configuration, as validated against the schema (the Snakefile "
                          "passes it as JSON on standard input): systems, methods and optimizers, refinement rounds and "
                          "the results folder. Creates nothing; prints nothing when all is well.")
    wc.add_argument("config", type=Path, help="JSON file, or - for standard input")
    wc.set_defaults(func=cmd_workflow_check)

    opt = sub.add_parser("optimizer", help="inspect learned-optimizer checkpoints and hop policies",
                         description="Inspect learned-optimizer checkpoints (.pt) and learned hop policies (.json).")
    optsub = opt.add_subparsers(dest="optimizer_command", required=True, metavar="OPTIMIZER_COMMAND")
    oi = optsub.add_parser("info", help="fingerprint, parameters and provenance of a checkpoint or hop policy")
    oi.add_argument("path", type=Path)
    oi.set_defaults(func=cmd_optimizer_info)
    oc = optsub.add_parser("compare", help="is this checkpoint (or hop policy) the shipped pretrained one?")
    oc.add_argument("path", type=Path)
    oc.set_defaults(func=cmd_optimizer_compare)

    rp = sub.add_parser("report", help="write a campaign report (Markdown and figures)",
                        description="Write CAMPAIGN/report.md with figures from CAMPAIGN/minima.db "
                        "(lopt-lammps db merge) and the search traces in CAMPAIGN/traces/*.json.")
    rp.add_argument("campaign", type=Path, help="campaign folder")
    rp.add_argument("--title", default=None)
    rp.add_argument("--note", action="append", default=[], help="a line for the report's preamble (repeatable)")
    rp.set_defaults(func=cmd_report)

    db = sub.add_parser("db", help="query a minima database", description="Query a minima database.")
    dbsub = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    b = dbsub.add_parser("best", help="the lowest-energy structures",
                         description="List the lowest-energy structures of a database, lowest first.",
                         formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    b.add_argument("path", type=Path, help="ase.db file")
    b.add_argument("--formula", default=None, help="only this system, e.g. Ag30Cu8")
    b.add_argument("--top", type=positive, default=10, help="how many")
    b.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    b.set_defaults(func=cmd_db_best)
    e = dbsub.add_parser("export", help="the best K structures of every composition to extxyz",
                         description="Export the K lowest structures of every composition (system) to extxyz.",
                         formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    e.add_argument("path", type=Path, help="ase.db file")
    e.add_argument("--top", type=positive, default=1, help="structures per composition")
    e.add_argument("-o", "--output", type=Path, required=True, help="extxyz file")
    e.set_defaults(func=cmd_db_export)
    a = dbsub.add_parser("add", help="store the results of a rescue file in a database",
                         description="Add the minima of RESCUE (written when a search could not save its results) "
                         "to the database PATH; minima already there are not added again.")
    a.add_argument("rescue", type=Path, help="rescue JSON file named in the search's error message")
    a.add_argument("path", type=Path, help="ase.db file")
    a.set_defaults(func=cmd_db_add)
    m = dbsub.add_parser("merge", help="merge chunk databases into a ranked campaign database",
                         description="Merge search-chunk databases: one row per distinct minimum per "
                         "composition with rank, earliest finder and found_by. Idempotent; the output "
                         "is replaced atomically.")
    m.add_argument("output", type=Path, help="campaign ase.db file")
    m.add_argument("chunks", type=Path, nargs="+", help="chunk ase.db files")
    m.set_defaults(func=cmd_db_merge)
    sd = dbsub.add_parser("seeds", help="starting structures for a refinement stage",
                          description="Write seeds for SYSTEM from a ranked campaign database: its own TOP "
                          "lowest distinct minima and the lowest minimum of each of its NEIGHBOURS nearest "
                          "compositions of the same size, transmuted to SYSTEM's composition (the element "
                          "with the lower cohesive energy onto the least coordinated sites). Each seed is "
                          "tagged with a seed number for `search --starts`.",
                          formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    sd.add_argument("path", type=Path, help="ranked campaign ase.db file (lopt-lammps db merge)")
    sd.add_argument("system", help="formula such as Ag30Cu8")
    sd.add_argument("--top", type=non_negative, default=2, help="own lowest minima")
    sd.add_argument("--neighbours", type=non_negative, default=2, help="nearest compositions to borrow from")
    sd.add_argument("--first-seed", type=non_negative, default=0, help="seed number of the first seed")
    sd.add_argument("-o", "--output", type=Path, required=True, help="extxyz file")
    sd.set_defaults(func=cmd_db_seeds)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        status = args.func(args)
        sys.stdout.flush()  # a closed pipe shows here, not in Python's own flush at exit
        return status
    except (LoptError, ValueError) as err:
        return print_error(str(err))
    except BrokenPipeError:  # the reader of the output left (`... | head`): nothing to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python's own flush at exit would fail too
        return 1
    except OSError as err:
        return print_error(f"{err.filename or ''}: {err.strerror or err}; check the path and its permissions")


