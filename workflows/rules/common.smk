# Helpers shared by the rules: campaign settings, chunks of seeds, checks before any work.

import os
import shlex
import sys
from pathlib import Path

RESULTS = config["results"]
ACCELERATOR = config.get("accelerator", "none")
# The Python that runs Snakemake, and its CLI: rules work without an activated environment.
PYTHON = shlex.quote(sys.executable)
LOPT = f"{PYTHON} -m lopt_lammps.cli"


def campaign(name):
    try:
        return config["campaigns"][name]
    except KeyError:
        raise ValueError(f"campaign {name!r} is not in the configuration (campaigns: {', '.join(config['campaigns'])})")


def chunk_seeds(name, chunk):
    """First seed and number of seeds of chunk ``chunk`` of campaign ``name``."""
    settings = campaign(name)
    per_chunk = settings.get("seeds_per_chunk", settings["seeds"])
    first = int(chunk) * per_chunk
    return first, min(per_chunk, settings["seeds"] - first)


def n_chunks(name):
    settings = campaign(name)
    per_chunk = settings.get("seeds_per_chunk", settings["seeds"])
    return (settings["seeds"] + per_chunk - 1) // per_chunk


def chunk_outputs(name, kind):
    folder = "chunks" if kind == "db" else "traces"
    suffix = "db" if kind == "db" else "json"
    return [
        f"{RESULTS}/{name}/{folder}/{system}-chunk{k}.{suffix}"
        for system in campaign(name)["systems"]
        for k in range(n_chunks(name))
    ]


def refine_settings(name):
    """Refinement rounds of a campaign (0 rounds: none), with defaults."""
    settings = {"rounds": 0, "budget": 1, "top": 2, "neighbours": 2}
    settings.update(campaign(name).get("refine", {}))
    settings["seeds"] = settings["top"] + settings["neighbours"]
    return settings


def refine_first_seed(round_):
    """Seeds of refinement round r are numbered from 100 r, apart from the search's."""
    return 100 * int(round_)


def refine_note(name):
    r = refine_settings(name)
    if not r["rounds"]:
        return "no refinement rounds"
    return (f"then {r['rounds']} refinement round(s) of basin hopping with swap moves, {r['seeds']} chains x "
            f"{r['budget']} evaluations per composition, seeded from the {r['top']} lowest minima so far and the "
            f"lowest of the {r['neighbours']} nearest compositions (stage refineN in the database)")


def stage_chunk_dbs(name, rounds):
    """Chunk databases of the search and of refinement rounds 1..rounds."""
    return chunk_outputs(name, "db") + [
        f"{RESULTS}/{name}/chunks/{system}-refine{r}.db"
        for r in range(1, int(rounds) + 1)
        for system in campaign(name)["systems"]
    ]


def campaign_targets(name):
    return [f"{RESULTS}/{name}/report.md", f"{RESULTS}/{name}/best.extxyz"]


def check_before_work():
    """Fail at start, with a clear message, on systems without potentials or an unwritable results folder."""
    from lopt_lammps.errors import LoptError
    from lopt_lammps.systems import System

    for name, settings in config["campaigns"].items():
        for formula in settings["systems"]:
            try:
                System.parse(formula, boundary=settings.get("boundary", "cluster"))
            except LoptError as err:
                raise ValueError(f"campaign {name}: system {formula}: {err}") from None
    try:
        Path(RESULTS).mkdir(parents=True, exist_ok=True)
        probe = Path(RESULTS) / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as err:
        raise ValueError(f"results folder {RESULTS!r} is not writable ({err}); set 'results' to a writable folder") from None


check_before_work()
