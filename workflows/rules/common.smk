# Helpers shared by the rules: campaign settings, chunks of seeds, the check before any work.
# Defaults live in the schema (workflows/schemas/config.schema.yaml); every value a rule
# puts into a shell command is quoted ({...:q}).

import json
import shlex
import subprocess
import sys

RESULTS = config["results"]
ACCELERATOR = config["accelerator"]
# The Python that runs Snakemake, and its CLI: rules work without an activated environment.
PYTHON = shlex.quote(sys.executable)
LOPT = f"{PYTHON} -m lopt_lammps.cli"


def campaign(name):
    try:
        return config["campaigns"][name]
    except KeyError:
        raise ValueError(f"campaign {name!r} is not in the configuration (campaigns: {', '.join(config['campaigns'])})")


def bh_options(name):
    """The campaign's basin-hopping knobs as ``lopt-lammps search`` options (a list: each item quoted)."""
    return [item for key, value in campaign(name)["bh"].items() for item in (f"--bh-{key.replace('_', '-')}", value)]


def seeds_per_chunk(name):
    """Seeds per search job; all of the campaign's seeds when seeds_per_chunk is not set."""
    settings = campaign(name)
    return settings.get("seeds_per_chunk", settings["seeds"])


def chunk_seeds(name, chunk):
    """First seed and number of seeds of chunk ``chunk`` of campaign ``name``."""
    first = int(chunk) * seeds_per_chunk(name)
    return first, min(seeds_per_chunk(name), campaign(name)["seeds"] - first)


def n_chunks(name):
    return -(-campaign(name)["seeds"] // seeds_per_chunk(name))


def chunk_outputs(name, kind):
    folder = "chunks" if kind == "db" else "traces"
    suffix = "db" if kind == "db" else "json"
    return [
        f"{RESULTS}/{name}/{folder}/{system}-chunk{k}.{suffix}"
        for system in campaign(name)["systems"]
        for k in range(n_chunks(name))
    ]


def refine_seeds_per_system(name):
    refine = campaign(name)["refine"]
    return refine["top"] + refine["neighbours"]


def refine_first_seed(round_):
    """Seeds of refinement round r are numbered from 100 r, apart from the search's."""
    return 100 * int(round_)


def refine_note(name):
    r = campaign(name)["refine"]
    if not r["rounds"]:
        return "no refinement rounds"
    return (f"then {r['rounds']} refinement round(s) of basin hopping with swap moves, {refine_seeds_per_system(name)} "
            f"chains x {r['budget']} evaluations per composition, seeded from the {r['top']} lowest minima so far and "
            f"the lowest of the {r['neighbours']} nearest compositions (stage refineN in the database)")


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
    """`lopt-lammps workflow check` on the validated configuration: fail at once, with its message."""
    done = subprocess.run([sys.executable, "-m", "lopt_lammps.cli", "workflow", "check", "-"],
                          input=json.dumps(config), capture_output=True, text=True)
    if done.returncode:
        raise ValueError(done.stderr.strip().removeprefix("lopt-lammps: error: "))


if workflow.is_main_process:
    check_before_work()
