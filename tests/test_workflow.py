"""The Snakemake workflow for real: submit path, resume after kill, pyiron records, database, bad config."""

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from ase.db import connect
from environment import bare_environment
from pausing import release, wait_until_reached

from lopt_lammps.faults import ENVIRONMENT_VARIABLE
from lopt_lammps.search import METHODS

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def campaign_config(results: str, systems: list[str], budget: int, seeds: int = 2, per_chunk: int = 1) -> dict:
    return {
        "results": results,
        "campaigns": {"agcu": {"title": "test", "systems": systems, "boundary": "cluster", "method": "bh",
                               "budget": budget, "seeds": seeds, "seeds_per_chunk": per_chunk, "export_top": 2,
                               "refine": {"rounds": 0, "budget": 1}}},  # keys merge with the default config's
    }


def workdir(tmp_path: Path, config: dict) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    for item in ("Snakefile", "workflows"):
        source = ROOT / item
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / item)
    (tmp_path / "test.yaml").write_text(yaml.safe_dump(config))
    return tmp_path


def snakemake(cwd: Path, *args: str, background: bool = False, **extra_environment: str):
    # the environment is not activated, as with `make search`
    env = bare_environment(cwd, LOPT_LAMMPS_CACHE=str(cwd / "cache"), **extra_environment)
    command = [str(BIN / "snakemake"), "search_agcu", "--configfile", "test.yaml", *args]
    if background:
        return subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)


def rows(db: Path) -> list[tuple]:
    return sorted((r.composition, r.rank, round(r.energy, 6), r.seed, r.evaluations, r.found_by) for r in connect(str(db)).select())


@pytest.mark.slow

def test_submit_path_through_a_cluster_profile(tmp_path):
    cwd = workdir(tmp_path, campaign_config("results", ["Ag4Cu2"], 1500))
    done = snakemake(cwd, "--profile", "workflows/profiles/local-submit")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    exits = list((cwd / ".snakemake" / "local-submit").glob("*.exit"))
    assert len(exits) >= 4 and all(e.read_text().strip() == "0" for e in exits)
    assert (cwd / "results" / "agcu" / "report.md").is_file()
    assert (cwd / "results" / "agcu" / "best.extxyz").is_file()


@pytest.mark.slow

def test_database_and_pyiron_records(tmp_path):
    config = campaign_config("results", ["Ag4Cu2", "Ag6"], 1500)
    config["campaigns"]["agcu"]["refine"] = {"rounds": 1, "budget": 500, "top": 1, "neighbours": 1}
    cwd = workdir(tmp_path, config)
    done = snakemake(cwd, "--cores", "2")
    assert done.returncode == 0, done.stderr[-3000:]
    db = connect(str(cwd / "results" / "agcu" / "minima.db"))
    best = {row.composition: row for row in db.select(rank=1)}
    assert set(best) == {"Ag4Cu2", "Ag6"}
    for row in best.values():
        assert row.method == "bh" and row.size in (6,) and row.found_by >= 1 and row.evaluations <= 1500
        assert row.potential.startswith("smatb-agcu:")
    assert best["Ag4Cu2"].x_Cu == pytest.approx(2 / 6)
    listing = subprocess.run([str(BIN / "ase"), "db", str(cwd / "results" / "agcu" / "minima.db")], capture_output=True, text=True)
    assert listing.returncode == 0 and "Ag4Cu2" in listing.stdout
    # pyiron_base: one finished job per chunk, with inputs, in the campaign's own job table
    code = (
        "from lopt_lammps.jobs import open_project\n"
        "pr = open_project('results/agcu/pyiron')\n"
        "t = pr.job_table()\n"
        "print(len(t), sorted(set(t.status)))\n"
        "job = pr.load(t.job.iloc[0])\n"
        "print(job.input['request']['method'], job.input['request']['budget'])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True,
                         env=bare_environment(cwd, os.environ["PATH"]))
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.splitlines()[0] == "6 ['finished']"  # 4 search chunks, 2 refinement chunks
    assert out.stdout.splitlines()[1] == "bh 1500"
    # refinement: seeded from the search's minima, its own seeds and stage, never losing the search's best
    refined = [r for r in connect(str(cwd / "results" / "agcu" / "chunks" / "Ag4Cu2-refine1.db")).select()]
    assert refined and {r.stage for r in refined} == {"refine1"} and {r.seed for r in refined} <= {100, 101}
    searched = {r.composition: r.energy for r in connect(str(cwd / "results" / "agcu" / "stages" / "minima-0.db")).select(rank=1)}
    assert all(best[c].energy <= searched[c] + 1e-9 for c in searched)
    # a minimum the search found and a seeded chain found again is credited to the search
    assert all(best[c].stage == "search" for c in searched if abs(best[c].energy - searched[c]) < 1e-6)
    assert not (cwd / "pyiron.db").exists()  # never the user's home
    # a second run finds everything up to date
    again = snakemake(cwd, "--cores", "2")
    assert again.returncode == 0 and "Nothing to be done" in again.stdout + again.stderr


KILL_CONFIG = campaign_config("results", ["Ag6Cu2", "Ag5Cu3"], 8000)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> list[tuple]:
    cwd = workdir(tmp_path_factory.mktemp("reference"), KILL_CONFIG)
    assert snakemake(cwd, "--cores", "2").returncode == 0
    return rows(cwd / "results" / "agcu" / "minima.db")


@pytest.mark.slow
@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
def test_resume_after_kill_loses_nothing_and_counts_nothing_twice(tmp_path, how, uninterrupted):
    cwd = workdir(tmp_path, KILL_CONFIG)
    pause = tmp_path / "pause"
    pause.mkdir()
    process = snakemake(cwd, "--cores", "1", background=True, **{ENVIRONMENT_VARIABLE: f"search-chunk:{pause}"})
    wait_until_reached(pause, "search-chunk", process, 1)
    release(pause, "search-chunk", 1)  # the first chunk runs to its end
    wait_until_reached(pause, "search-chunk", process, 2)  # the second is inside its pyiron job
    os.killpg(process.pid, getattr(signal, how))
    process.wait(timeout=60)
    assert len(list((cwd / "results" / "agcu" / "chunks").glob("*.db"))) == 1
    if how == "SIGKILL":
        assert snakemake(cwd, "--unlock").returncode == 0
    done = snakemake(cwd, "--cores", "1", "--rerun-incomplete")
    assert done.returncode == 0, done.stderr[-3000:]
    assert rows(cwd / "results" / "agcu" / "minima.db") == uninterrupted


@pytest.mark.parametrize(
    "change, message, flags",
    [
        ({"colour": "blue"}, "Additional properties are not allowed ('colour' was unexpected)", []),
        ({"campaigns": {"agcu": {"systems": ["Ag6"], "method": "annealing", "budget": 10, "seeds": 1}}}, "'annealing' is not one of", []),
        ({"campaigns": {"agcu": {"systems": ["Au38"], "method": "bh", "budget": 10, "seeds": 1}}}, "no shipped potential has parameters for Au", []),
        ({"results": "/proc/forbidden"}, "is not writable", []),
        # planning (-n) refuses them too, and creates nothing either
        ({"campaigns": {"agcu": {"systems": ["Ag1"], "method": "bh", "budget": 10, "seeds": 1}}}, "Ag1 has 1 atom", ["-n"]),
        ({"campaigns": {"agcu": {"systems": ["Ag6"], "method": "learned", "optimizer": "missing.json", "budget": 10, "seeds": 1}}},
         "campaign agcu: optimizer: hop-policy file missing.json not found", ["-n"]),
        ({"campaigns": {"agcu": {"systems": ["Ag6"], "method": "loop-learned", "optimizer": "missing.pt", "budget": 10, "seeds": 1}}},
         "campaign agcu: optimizer: optimizer checkpoint missing.pt not found", ["-n"]),
        ({"campaigns": {"agcu": {"systems": ["Ag6"], "method": "bh", "budget": 10, "seeds": 1,
                                 "refine": {"rounds": 1, "budget": 10, "top": 0, "neighbours": 0}}}},
         "campaign agcu: refine: 1 rounds need seeds: set top or neighbours to at least 1", ["-n"]),
        ({"campaigns": {"agcu": {"systems": ["Ag6"], "method": "bh", "budget": 10, "seeds": 1, "bh": {"swap": 0.7, "atom_moves": 0.5}}}},
         "campaign agcu: bh: basin hopping: swap_probability + atom_move_probability must not exceed 1", ["-n"]),
        ({"campaigns": {"agcu": {"systems": ["Ag6"], "method": "bh", "budget": 10, "seeds": 1, "bh": {"heat": 1}}}},
         "Additional properties are not allowed ('heat' was unexpected)", ["-n"]),
    ],
    ids=["unknown-key", "method", "element", "results", "one-atom", "missing-policy", "missing-checkpoint", "refine-without-seeds",
         "bh-probabilities", "bh-unknown-knob"],
)
def test_bad_configuration_fails_before_any_work(tmp_path, change, message, flags):
    config = campaign_config("results", ["Ag6"], 100)
    config.update(change)
    cwd = workdir(tmp_path, config)
    done = snakemake(cwd, "--cores", "1", *flags)
    assert done.returncode != 0
    assert message in done.stdout + done.stderr
    assert not (cwd / "results").exists()


def test_planning_creates_nothing(tmp_path):
    cwd = workdir(tmp_path, campaign_config("results", ["Ag6"], 100))
    done = snakemake(cwd, "--dry-run")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "search_chunk" in done.stdout and not (cwd / "results").exists()


def test_basin_hopping_knobs_reach_the_searches(tmp_path):
    config = campaign_config("results", ["Ag4Cu2"], 100)
    config["campaigns"]["agcu"].update(method="bh", bh={"temperature": 0.08, "atom_target": "random", "minimizer": "cg"},
                                       refine={"rounds": 1, "budget": 50})
    cwd = workdir(tmp_path, config)
    done = snakemake(cwd, "--dry-run", "--printshellcmds")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    commands = [line for line in done.stdout.splitlines() if " job search " in line]
    assert len(commands) >= 2 and any("--stage refine1" in line for line in commands)
    for line in commands:
        assert all(option in line for option in ("--bh-temperature 0.08", "--bh-atom-target random", "--bh-minimizer cg"))


@pytest.mark.slow
@pytest.mark.parametrize("title, results", [("x'; touch SOMEFILE; echo '", "results"),
                                            ("Baletto's clusters", "Baletto's results; touch SOMEFILE")])
def test_no_configuration_value_reaches_a_shell_unquoted(tmp_path, title, results):
    config = campaign_config(results, ["Ag4Cu2"], 300)
    config["campaigns"]["agcu"]["title"] = title
    cwd = workdir(tmp_path, config)
    done = snakemake(cwd, "--cores", "1")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert (cwd / results / "agcu" / "report.md").read_text().startswith(f"# {title}\n")
    assert not list(tmp_path.rglob("SOMEFILE"))


def test_rules_log_and_take_their_defaults_from_the_schema():
    schema = yaml.safe_load((ROOT / "workflows" / "schemas" / "config.schema.yaml").read_text())
    campaign = schema["properties"]["campaigns"]["additionalProperties"]["properties"]
    assert campaign["method"]["enum"] == ["auto", *METHODS]
    rules = "".join(path.read_text() for path in sorted((ROOT / "workflows" / "rules").glob("*.smk")))
    blocks = re.split(r"\nrule ", rules)[1:]
    assert blocks and all("\n    log:" in block for block in blocks), [b.split(":")[0] for b in blocks if "log:" not in b]
    assert ".get(" not in rules.replace('settings.get("seeds_per_chunk"', "")  # defaults live in the schema
    shells = re.findall(r"\{(params|input|output|log|wildcards)[.\w]*(:q)?\}", rules)
    assert shells and all(quoted for _, quoted in shells)


@pytest.mark.parametrize("profile", ["slurm", "pbs", "local-submit"])
def test_profiles_are_valid(tmp_path, profile):
    cwd = workdir(tmp_path, campaign_config("results", ["Ag6"], 100))
    done = snakemake(cwd, "--dry-run", "--profile", f"workflows/profiles/{profile}")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "search_chunk" in done.stdout


@pytest.mark.parametrize("target", ["search_si", "search_lj", "metatrain", "benchmark", "relax_cells"])
def test_other_targets_plan(tmp_path, target):
    cwd = workdir(tmp_path, campaign_config("results", ["Ag6"], 100))
    env = bare_environment(cwd, f"{BIN}:/usr/bin:/bin")
    done = subprocess.run([str(BIN / "snakemake"), target, "--dry-run", "--cores", "2", "--configfile", "test.yaml"],
                          cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert target in done.stdout


def test_metatrain_trains_the_hop_policy_in_stages_and_checks_the_last(tmp_path):
    cwd = workdir(tmp_path, {"results": "out dir"})  # a space: every path reaches the shell quoted
    env = bare_environment(cwd, f"{BIN}:/usr/bin:/bin")
    done = subprocess.run([str(BIN / "snakemake"), "metatrain", "--dry-run", "--printshellcmds", "--cores", "2",
                           "--configfile", "test.yaml"], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    commands = [line for line in done.stdout.splitlines() if " -m lopt_lammps.cli " in line]
    for stage, before in (("stage2", "metatrain-hop-policy"), ("stage3", "metatrain-hop-policy-stage2"),
                          ("stage4", "metatrain-hop-policy-stage3")):
        trains = [c for c in commands if f"metatrain-hop-policy-{stage}.yaml" in c]
        assert len(trains) == 1 and f"--start-policy 'out dir/{before}/policy.json'" in trains[0]
    checked = sorted(re.search(r"optimizer compare '([^']+)'", c).group(1) for c in commands if "optimizer compare" in c)
    assert checked == ["out dir/metatrain-hop-policy-stage4/policy.json", "out dir/metatrain/optimizer.pt"]


@pytest.mark.parametrize("profile, launcher", [(None, "mpirun"), ("slurm", "srun")])
def test_cells_run_as_mpi_jobs(tmp_path, profile, launcher):
    config = {**campaign_config("results", ["Ag6"], 100), "cells": {"crystals": ["Si512", "Si1000"], "ranks": 4}}
    cwd = workdir(tmp_path, config)
    env = bare_environment(cwd, f"{BIN}:/usr/bin:/bin")
    where = ["--profile", f"workflows/profiles/{profile}"] if profile else ["--cores", "4"]
    done = subprocess.run([str(BIN / "snakemake"), "relax_cells", "--dry-run", "--printshellcmds", "--configfile", "test.yaml",
                           *where], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    commands = [line for line in done.stdout.splitlines() if " relax-cell " in line]
    assert len(commands) == 2 and all(re.search(rf"\b{launcher} -n 4 .* relax-cell Si(512|1000) ", c) for c in commands)


def test_chunks_use_their_cores(tmp_path):
    config = campaign_config("results", ["Ag6"], 100, seeds=4, per_chunk=2)
    config["campaigns"]["agcu"]["cores_per_chunk"] = 2
    cwd = workdir(tmp_path, config)
    done = snakemake(cwd, "--dry-run", "--printshellcmds", "--cores", "2")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    commands = [line for line in done.stdout.splitlines() if " job search " in line]
    assert len(commands) == 2 and all("--cores 2" in c for c in commands)
    assert "threads: 2" in done.stdout
