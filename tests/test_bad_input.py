"""A catalogue of bad inputs: each is refused before any work with one line that says what to fix."""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
from pathlib import Path

import numpy as np
import pytest
import torch
from ase import Atoms
from ase.db import connect
from hypothesis import given, settings
from hypothesis import strategies as st

from lopt_lammps.cli import main
from lopt_lammps.errors import CheckpointError, ConfigError, LoptError, StructureError
from lopt_lammps.lammps_runtime import build_info
from lopt_lammps.metatrain import STATE_FILE, TrainConfig, train
from lopt_lammps.optimizers import LearnedOptimizerNet
from lopt_lammps.search import METHODS, BasinHoppingSettings, search
from lopt_lammps.search.learned_policy import N_PARAMETERS, initial_parameters, save_policy
from lopt_lammps.structures import random_positions, read_starts, to_atoms, write_extxyz
from lopt_lammps.systems import MAX_ATOMS, MIN_ATOMS, System


def error_of(capsys, *argv: str) -> str:
    """The one-line error of ``lopt-lammps ARGV`` (which must fail with status 2)."""
    capsys.readouterr()
    try:
        code = main(list(argv))
    except SystemExit as exit_:
        code = exit_.code
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lopt-lammps: error: "), err
    return lines[0]


# -- arguments ----------------------------------------------------------------------------

SEARCH = ["search", "LJ13", "--method", "fire", "--db", "unused.db"]


@pytest.mark.parametrize(
    "argv, message",
    [
        ([*SEARCH, "--budget", str(2**63)], "argument --budget: 9223372036854775808 is out of range; give a whole number from 1 to 1000000000"),
        ([*SEARCH, "--budget", "1000000000000000"], "argument --budget: 1000000000000000 is out of range"),
        ([*SEARCH, "--budget", "1e15"], "argument --budget: '1e15' is not a whole number"),
        ([*SEARCH, "--budget", "0"], "argument --budget: 0 is out of range"),
        ([*SEARCH, "--budget", "10", "--first-seed", "-1"], "argument --first-seed: -1 is out of range; give a whole number of at least 0"),
        ([*SEARCH, "--budget", "10", "--seeds", "0"], "argument --seeds: 0 is out of range"),
        ([*SEARCH, "--budget", "10", "--density", "nan"], "argument --density: nan is not a finite number above zero"),
        ([*SEARCH, "--budget", "10", "--density", "-1"], "argument --density: -1 is not a finite number above zero"),
        (["search", "LJ13", "--method", "annealing", "--budget", "10", "--db", "x.db"], "argument --method: invalid choice: 'annealing'"),
        (["train", "--out", "unused", "--workers", "0"], "argument --workers: 0 is out of range"),
        (["train", "--out", "unused", "--iterations", "ten"], "argument --iterations: 'ten' is not a whole number"),
        (["train", "--out", "unused", "--start-policy", "stage1.json"], "start_policy is for learner: hops"),
        (["db", "export", "x.db", "--top", "0", "-o", "x.extxyz"], "argument --top: 0 is out of range"),
        (["db", "best", "x.db", "--top", "-3"], "argument --top: -3 is out of range"),
        (["db", "seeds", "x.db", "Ag6", "--first-seed", "-2", "-o", "x.extxyz"], "argument --first-seed: -2 is out of range"),
        (["relax-cell", "Si512", "--rattle", "-1"], "argument --rattle: -1 is not a finite number of zero or above"),
        (["relax-cell", "Si512", "--learning-rate", "0"], "argument --learning-rate: 0 is not a finite number above zero"),
        (["relax-cell", "Si512", "--rule", "fire"], "argument --rule: invalid choice: 'fire'"),
        (["relax-cell", "Si999"], "a cubic diamond cell of Si holds 8 k^3 atoms"),
        (["relax-cell", "Ag30Cu8"], "relax-cell builds crystals of one element"),
        (["relax-cell", "Si216", "--rule", "learned"], "too small for the learned rule over ranks"),
        (["relax-cell", "Si512", "--rule", "learned", "--max-step", "0.1"], "--max-step: only adam and gd take step settings"),
    ],
)
def test_bad_arguments_are_refused_at_parsing(capsys, argv, message):
    assert message in error_of(capsys, *argv)


# -- outputs: checked before the search -------------------------------------------------


def small_database(path: Path) -> Path:
    with connect(str(path)) as db:
        for k in range(40):
            db.write(Atoms("Cu2", positions=[[0, 0, 0], [0, 0, 2.0 + 0.01 * k]]), system="Cu2", step=k)
    return path


def damaged(path: Path, how: str) -> Path:
    data = bytearray(small_database(path).read_bytes())
    if how == "truncated":
        data = data[: len(data) // 2]
    else:  # garbage over the header of a page of the structures table
        data[4096 * 10 + 1 : 4096 * 10 + 5] = b"\x0f\xff\x0f\xff"
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(
    "make_db, message",
    [
        (lambda tmp: tmp, "is a folder; give a file name such as"),
        (lambda tmp: Path("/dev/null"), "database /dev/null is not a regular file"),
        (lambda tmp: tmp / "notes.db" if (tmp / "notes.db").write_text("my notes\n" * 100) else None,
         "is not a readable ase.db SQLite database (file is not a database)"),
        (lambda tmp: damaged(tmp / "truncated.db", "truncated"), "is not a readable ase.db SQLite database (database disk image is malformed)"),
        (lambda tmp: damaged(tmp / "garbled.db", "garbled"), "is damaged (Page "),
        (lambda tmp: sqlite_table(tmp / "other.db"), "is an SQLite database, but not an ase.db one"),
        (lambda tmp: tmp / "missing" / "x.db", "folder {tmp}/missing for the database x.db does not exist; create it first"),
    ],
    ids=["folder", "dev-null", "text", "truncated", "garbled", "other-sqlite", "missing-folder"],
)
def test_unusable_database_is_refused_before_the_search(tmp_path, capsys, make_db, message):
    db = make_db(tmp_path)
    line = error_of(capsys, "search", "LJ13", "--method", "fire", "--budget", "100", "--db", str(db))
    assert message.format(tmp=tmp_path) in line


def sqlite_table(path: Path) -> Path:
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE measurements (t REAL)")
    return path


def test_database_busy_at_the_start_is_refused_before_the_search(tmp_path, capsys, monkeypatch):
    db = tmp_path / "minima.db"
    monkeypatch.setenv("LOPT_LAMMPS_DB_TIMEOUT", "0.2")
    with sqlite3.connect(small_database(db), isolation_level=None) as holder:
        holder.execute("BEGIN EXCLUSIVE")
        line = error_of(capsys, "search", "LJ13", "--method", "fire", "--budget", "100", "--db", str(db))
        holder.execute("ROLLBACK")
    assert f"database {db} is busy: another process held it for over 0.2 s" in line


@pytest.mark.parametrize(
    "argv, message",
    [
        (["search", "LJ13", "--method", "fire", "--budget", "100", "--db", "{tmp}/x.db", "--trace", "{tmp}/no/trace.json"],
         "folder {tmp}/no for the trace file trace.json does not exist"),
        (["search", "LJ13", "--method", "fire", "--budget", "100", "--db", "{tmp}/x.db", "--trace", "{tmp}"], "trace file {tmp} is a folder"),
        (["relax", "{tmp}/in.extxyz", "-o", "{tmp}/no/out.extxyz"], "folder {tmp}/no for the output file out.extxyz does not exist"),
        (["init", "Ag6", "-o", "{tmp}/no/starts.extxyz"], "folder {tmp}/no for the output file starts.extxyz does not exist"),
        (["db", "export", "{tmp}/x.db", "-o", "{tmp}/no/best.extxyz"], "folder {tmp}/no for the output file best.extxyz does not exist"),
        (["db", "merge", "{tmp}", "{tmp}/x.db"], "database {tmp} is a folder"),
    ],
    ids=["trace-folder", "trace-is-folder", "relax-output", "init-output", "export-output", "merge-output"],
)
def test_unwritable_outputs_are_refused_before_any_work(tmp_path, capsys, argv, message):
    line = error_of(capsys, *[a.format(tmp=tmp_path) for a in argv])
    assert message.format(tmp=tmp_path) in line


# -- systems and densities: refused before any work ---------------------------------------


@pytest.mark.parametrize(
    "argv, message",
    [
        (["Ag1"], "Ag1 has 1 atom; lopt-lammps works on systems of 2 to 2000 atoms"),
        (["Ag100000"], "Ag100000 has 100000 atoms; lopt-lammps works on systems of 2 to 2000 atoms"),
        (["Si8", "--density", "1e-9"], "density 1e-09 puts the atoms of Si8 1e+03 apart on average, beyond the potential's range"),
        (["LJ13", "--boundary", "periodic", "--density", "1e-4"], "beyond the potential's range of 10"),
        (["Ag6", "--density", "0.05"], "a density (0.05) applies only to periodic cells; Ag6 is a free cluster"),
        (["Au13"], "no shipped potential has parameters for Au"),
        (["Ag3x"], "cannot read the formula 'Ag3x'"),
    ],
)
def test_unsearchable_systems_are_refused(tmp_path, capsys, argv, message):
    line = error_of(capsys, "search", *argv, "--method", "bh", "--budget", "100", "--db", str(tmp_path / "x.db"))
    assert message in line
    assert not (tmp_path / "x.db").exists()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="AgCuSiLJXxq0123456789 -.", max_size=14))
def test_any_formula_is_a_system_or_a_clear_error(text):
    """Property: a formula gives a system of 2 to 2000 atoms with the same formula, or a LoptError."""
    try:
        system = System.parse(text)
    except LoptError as err:
        assert str(err) and "\n" not in str(err)
        return
    assert MIN_ATOMS <= system.n_atoms <= MAX_ATOMS
    assert System.parse(system.formula).formula == system.formula


# -- starting structures ------------------------------------------------------------------


def starts_file(path: Path, formula: str, seeds=(0,), boundary: str = "cluster") -> Path:
    system = System.parse(formula, boundary=boundary)
    write_extxyz(path, [to_atoms(system, random_positions(system, s), seed=s) for s in seeds])
    return path


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("formula", ["Ag4Cu3", "Ag5Cu5", "Ag10Cu10", "Ag3Cu5"])
def test_starts_of_another_system_are_refused_for_every_method(tmp_path, capsys, method, formula):
    """An 8-atom Ag4Cu4 search given 7, 10 or 20 atoms, or the wrong composition, as its start."""
    starts = starts_file(tmp_path / "starts.extxyz", formula)
    line = error_of(capsys, "search", "Ag4Cu4", "--method", method, "--optimizer", "untrained", "--budget", "100",
                    "--starts", str(starts), "--db", str(tmp_path / "x.db"))
    assert f"frame 0 (seed 0) of {starts} is {formula}" in line and "but the search is for Ag4Cu4 (8 atoms" in line


@pytest.mark.parametrize("method", METHODS)
def test_search_refuses_a_start_of_the_wrong_shape(method):
    system = System.parse("Ag4Cu4")
    with pytest.raises(StructureError, match=r"shape \(7, 3\) do not fit Ag4Cu4"):
        search(system, method, 100, [0], optimizer="untrained", starts={0: random_positions(System.parse("Ag4Cu3"), 0)})


@pytest.mark.parametrize(
    "text, message",
    [
        ("3\nProperties=species:S:1:pos:R:3 seed=0\nX 0 0 0\nX 0 0\nX 0 1.1 0\n", "is not a readable extended-XYZ file"),
        ("garbage\n", "is not a readable extended-XYZ file (XYZError"),
        ("", "holds no structures"),
        ("2\nseed=abc\nX 0 0 0\nX 0 0 1.1\n", "frame 0 of {path} has seed='abc', not a whole number"),
        ("2\nseed=1.5\nX 0 0 0\nX 0 0 1.1\n", "has seed=1.5, not a whole number"),
        ("2\nenergy=1\nX 0 0 0\nX 0 0 1.1\n", "frame 0 of {path} has no seed tag"),
        ("2\nseed=0\nX 0 0 0\nX 0 0 1.1\n2\nseed=0\nX 0 0 0\nX 0 0 1.2\n", "has two frames for seed 0"),
        ("2\nseed=0\nX 0 0 0\nX 0 0 0.01\n", "atoms 0 and 1 are 0.0100 apart"),
        ("2\nseed=0\nX 0 0 0\nX nan 0 1\n", "non-finite coordinates"),
        ("2\nseed=0\nQq 0 0 0\nX 0 0 1.1\n", "is not a readable extended-XYZ file (KeyError"),
        ('2\nseed=0 Lattice="3 0 0 0 3 0 0 0 3" pbc="T T T"\nX 0 0 0\nX 0 0 1.1\n', "is LJ2 (2 atoms, a periodic cell), but the search is for LJ2 (2 atoms, a free cluster)"),
    ],
    ids=["short-line", "garbage", "empty", "seed-abc", "seed-float", "no-seed", "seed-twice", "overlap", "nan", "unknown-element", "periodic"],
)
def test_malformed_starts_files_are_refused(tmp_path, capsys, text, message):
    path = tmp_path / "starts.extxyz"
    path.write_text(text)
    line = error_of(capsys, "search", "LJ2", "--method", "fire", "--budget", "100", "--starts", str(path), "--db", str(tmp_path / "x.db"))
    assert message.format(path=path) in line


frames = st.lists(
    st.tuples(
        st.sampled_from(["X", "Ag", "Cu"]),
        st.integers(1, 16),
        st.one_of(st.none(), st.integers(-2, 4), st.sampled_from(["abc", "1.5", "T", "[1,2]", '"3"'])),
        st.integers(0, 2**16),
    ),
    max_size=4,
)


@settings(max_examples=150, deadline=None)
@given(frames)
def test_any_starts_file_gives_starts_of_the_system_or_a_clear_error(tmp_path_factory, frames):
    """Property: reading random seed-tagged frames gives starts of the system's shape for the
    wanted seeds, or one StructureError; never another exception, never a start of another shape."""
    path = tmp_path_factory.mktemp("starts") / "starts.extxyz"
    lines = []
    for symbol, n, seed, position_seed in frames:
        x = np.random.default_rng(position_seed).uniform(0, 6, size=(n, 3))
        tag = "" if seed is None else f"seed={seed}"
        lines += [str(n), f"Properties=species:S:1:pos:R:3 {tag}"] + [f"{symbol} {a:.6f} {b:.6f} {c:.6f}" for a, b, c in x]
    path.write_text("\n".join(lines) + "\n")
    system = System.parse("LJ6")
    try:
        starts = read_starts(path, system, range(3))
    except StructureError as err:
        assert "\n" not in str(err)
        return
    assert set(starts) <= {0, 1, 2}
    assert all(x.shape == (6, 3) for x in starts.values())


# -- checkpoints --------------------------------------------------------------------------


class Payload:
    """An object whose unpickling would run a shell command."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def checkpoint(path: Path, change: str) -> Path:
    LearnedOptimizerNet().save(path)
    payload = torch.load(path, weights_only=True)
    if change == "nan":
        payload["theta"] = torch.full_like(payload["theta"], float("nan"))
    elif change in ("theta", "config"):
        del payload[change]
    elif change == "config-text":
        payload["config"] = "abc"
    elif change == "config-values":
        payload["config"]["hidden"] = "abc"
    elif change == "metadata":
        payload["metadata"] = "abc"
    elif change == "hostile":
        payload = {"format": "lopt-lammps/learned-optimizer", "trap": Payload(path.with_name("PWNED"))}
    torch.save(payload, path)
    return path


@pytest.mark.parametrize(
    "change, message",
    [
        ("nan", "the weights hold NaN or infinite values"),
        ("theta", "is damaged: it holds no weights (theta)"),
        ("config", "is damaged: it lacks the network configuration or its metadata"),
        ("config-text", "is damaged: it lacks the network configuration or its metadata"),
        ("config-values", "network configuration: hidden: 'abc' is not a list of whole numbers"),
        ("metadata", "is damaged: it lacks the network configuration or its metadata"),
        ("hostile", "is not a lopt-lammps learned-optimizer checkpoint: it holds Python objects that lopt-lammps never writes"),
    ],
)
def test_damaged_and_hostile_checkpoints_are_refused_before_the_search(tmp_path, capsys, change, message):
    path = checkpoint(tmp_path / "optimizer.pt", change)
    line = error_of(capsys, "search", "LJ13", "--method", "loop-learned", "--optimizer", str(path), "--budget", "100",
                    "--db", str(tmp_path / "x.db"))
    assert message in line and "weights_only" not in line
    assert not (tmp_path / "PWNED").exists()
    assert message in error_of(capsys, "optimizer", "info", str(path))


def test_a_hostile_training_checkpoint_is_refused(tmp_path):
    (tmp_path / "run").mkdir()
    torch.save({"format": "lopt-lammps/training-state", "trap": Payload(tmp_path / "PWNED")}, tmp_path / "run" / STATE_FILE)
    with pytest.raises(CheckpointError, match="not a lopt-lammps training checkpoint: it holds Python objects") as caught:
        train(TrainConfig(iterations=1), tmp_path / "run", progress=False)
    assert "weights_only" not in str(caught.value) and not (tmp_path / "PWNED").exists()


def test_a_training_checkpoint_of_another_parameter_count_is_refused(tmp_path):
    from lopt_lammps.metatrain.loop import _save_state

    config = TrainConfig(learner="hops", trainer="es", iterations=1)
    (tmp_path / "run").mkdir()
    _save_state(tmp_path / "run" / STATE_FILE, config, 0, torch.zeros(N_PARAMETERS - 2, dtype=torch.float64),
                type("Trainer", (), {"state_dict": lambda self: {"optimizer": None, "start": None}})(), [])
    with pytest.raises(CheckpointError, match=f"holds {N_PARAMETERS - 2} parameters, this lopt-lammps trains {N_PARAMETERS}"):
        train(config, tmp_path / "run", progress=False)


@pytest.mark.parametrize(
    "theta, message",
    [
        (None, "is not a readable hop-policy file"),
        ("abc", "the parameters are damaged"),
        ([float("nan")] * N_PARAMETERS, "the parameters are damaged"),
        ([1.0, 2.0], "the parameters are damaged"),
    ],
)
def test_damaged_hop_policies_are_refused(tmp_path, capsys, theta, message):
    path = tmp_path / "policy.json"
    save_policy(path, initial_parameters(BasinHoppingSettings()), 10)
    if theta is None:
        path.write_text("theta: [1, 2]\n")
    else:
        path.write_text(json.dumps({**json.loads(path.read_text()), "theta": theta}))
    line = error_of(capsys, "search", "LJ13", "--method", "learned", "--optimizer", str(path), "--budget", "100",
                    "--db", str(tmp_path / "x.db"))
    assert str(path) in line and message in line


# -- training configurations --------------------------------------------------------------


@pytest.mark.parametrize(
    "text, message",
    [
        ("iterations: ten", "training configuration: iterations: 'ten' is not a whole number"),
        ("iterations: 2.5", "iterations: 2.5 is not a whole number"),
        ("iterations: true", "iterations: True is not a whole number"),
        ("sigma: abc", "sigma: 'abc' is not a finite number"),
        ("sigma: .nan", "sigma: nan is not a finite number"),
        ("sigma: -0.1", "sigma (-0.1) and learning_rate (0.01) must be finite numbers above zero"),
        ("learning_rate: 0", "learning_rate (0.0) must be finite numbers above zero"),
        ("seed: -1", "seed and held_out_every must not be negative"),
        ("pairs: 0", "pairs must be at least 1"),
        ("network: {hidden: 5}", "network.hidden: 5 is not a list of whole numbers"),
        ("network: {hidden: [0]}", "network: hidden layer sizes must be at least 1"),
        ("network: {colour: blue}", "unknown settings in network: colour"),
        ("network: 5", "training configuration: network must be a mapping of settings, not 5"),
        ("network: {momentum_decays: [0.5, 1.5, 0.9]}", "network: decays must lie between 0 and 1"),
        ("distribution: {unroll: 5}", "distribution.unroll: 5 is not a list of 2 (whole number, whole number)"),
        ("distribution: {families: [[LJ, 0, 0]]}", "family LJ needs sizes 2 <= low <= high"),
        ("distribution: {family_share: 0.5}", "family_share (0.5) needs families and compositions"),
        ("distribution: {compositions: [Ag3Cu2], family_share: 1.5}", "family_share (1.5) needs families and compositions"),
        ("distribution: {held_out: [Au13]}", "distribution: Au13: no shipped potential has parameters for Au"),
        ("trainer: [esmc]", "trainer: ['esmc'] is not a text"),
        ("trainer: sgd", "trainer 'sgd' unknown: esmc or es or ga"),
        ("hops: 5", "hops: 5 is not a mapping"),
        ("hops: {step: abc}", "hops.step: 'abc' is not a finite number"),
        ("learner: hops\nhops: {step: -1}", "basin hopping: step must be a positive number"),
        ("- iterations", "training configuration must be a mapping of settings"),
        ("colour: blue", "training configuration: unknown settings: colour"),
        ("iterations: [unclosed", "cannot read training configuration"),
    ],
)
def test_bad_training_configurations_are_refused_and_leave_no_folder(tmp_path, capsys, text, message):
    (tmp_path / "train.yaml").write_text(text + "\n")
    line = error_of(capsys, "train", str(tmp_path / "train.yaml"), "--out", str(tmp_path / "out"))
    assert message in line
    assert not (tmp_path / "out").exists()


config_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 1000), st.floats(allow_nan=True), st.text(max_size=5)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=6,
)
config_keys = st.sampled_from([f.name for f in dataclasses.fields(TrainConfig)] + ["colour"])


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(config_keys, config_values, max_size=4))
def test_any_training_configuration_is_read_or_refused_with_one_line(data):
    """Property: a YAML mapping is a TrainConfig whose values have their declared types, or one ConfigError."""
    try:
        config = TrainConfig.from_dict(data)
    except ConfigError as err:
        assert str(err).startswith("training configuration") and "\n" not in str(err)
        return
    assert isinstance(config.iterations, int) and config.sigma > 0 and isinstance(config.network.hidden, tuple)
    assert TrainConfig.from_dict(config.to_dict()) == config


def test_an_unavailable_accelerator_is_refused_before_training(tmp_path, capsys):
    if "KOKKOS" in build_info()["packages"]:
        pytest.skip("this LAMMPS build has KOKKOS")
    line = error_of(capsys, "train", "--out", str(tmp_path / "out"), "--accelerator", "kokkos")
    assert "accelerator 'kokkos' needs the LAMMPS KOKKOS package" in line
    assert not (tmp_path / "out").exists()


def test_a_training_run_that_fails_leaves_no_empty_folder(tmp_path, capsys):
    """A hop-policy training task without a best-known energy fails in the first iteration."""
    (tmp_path / "hops.yaml").write_text("learner: hops\niterations: 1\npairs: 1\ntasks_per_iteration: 1\nreplicas: 1\n"
                                        "distribution: {families: [], compositions: [LJ7], held_out: [LJ13], unroll: [10, 10]}\n")
    capsys.readouterr()
    assert main(["train", str(tmp_path / "hops.yaml"), "--out", str(tmp_path / "out")]) == 2
    assert "lopt-lammps: error: no best-known energy for training task LJ7" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# -- budgets ------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_the_smallest_budget_records_nothing_past_it(tmp_path, method):
    db = tmp_path / "x.db"
    assert main(["search", "LJ13", "--method", method, "--optimizer", "untrained", "--budget", "1", "--seeds", "2",
                 "--db", str(db), "--quiet"]) == 0
    rows = list(connect(str(db)).select()) if db.exists() else []
    assert all(row.evaluations <= 1 and row.budget == 1 for row in rows)


def test_a_search_never_counts_past_its_budget():
    for method in METHODS:
        result = search(System.parse("LJ13"), method, 1, [0, 1], optimizer="untrained")
        for run in result.runs:
            assert run.evaluations <= 1 and all(e <= 1 for e in run.trace_evaluations)
            assert all(m.evaluation <= 1 for m in run.minima), method


# -- projects ------------------------------------------------------------------------------


def test_job_table_of_a_folder_without_a_project_creates_nothing(tmp_path, capsys):
    line = error_of(capsys, "job", "table", str(tmp_path / "nothing"))
    assert f"{tmp_path / 'nothing'} holds no pyiron project (no jobs.db)" in line
    assert not (tmp_path / "nothing").exists()
