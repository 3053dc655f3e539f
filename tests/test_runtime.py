"""LAMMPS runtime: loading, quiet instances, accelerator selection, what is reproducible across them."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from environment import MPIRUN

from lopt_lammps.engine import BatchedEngine
from lopt_lammps.errors import AcceleratorError, ConfigError
from lopt_lammps.lammps_runtime import Accelerator, build_info, start_lammps
from lopt_lammps.search import search
from lopt_lammps.structures import random_batch
from lopt_lammps.systems import System


def test_accelerator_parsing():
    assert Accelerator.parse(None) == Accelerator("none")
    assert Accelerator.parse("omp:4") == Accelerator("omp", threads=4)
    assert Accelerator.parse({"kind": "kokkos", "threads": 2}).cmdargs()[:2] == ["-kokkos", "on"]
    assert Accelerator.parse("gpu:2").gpus == 2
    assert Accelerator("omp", threads=3).cmdargs() == ["-suffix", "omp", "-package", "omp", "3"]
    with pytest.raises(ConfigError, match="unknown accelerator"):
        Accelerator.parse("cuda")
    with pytest.raises(ConfigError, match="count"):
        Accelerator.parse("omp:many")


def test_build_has_what_we_rely_on():
    info = build_info()
    for package in ("MANYBODY", "OPENMP"):
        assert package in info["packages"]


def test_instance_is_quiet(tmp_path, monkeypatch, capfd):
    monkeypatch.chdir(tmp_path)
    lmp = start_lammps()
    lmp.command("units lj")
    lmp.close()
    assert list(tmp_path.iterdir()) == []
    assert "LAMMPS" not in capfd.readouterr().out


@pytest.mark.parametrize("kind, package", [("kokkos", "KOKKOS"), ("gpu", "GPU")])
def test_missing_accelerator_is_a_clear_error(kind, package):
    if package in build_info()["packages"]:
        pytest.skip(f"this LAMMPS build has {package}")
    with pytest.raises(AcceleratorError, match=f"needs the LAMMPS {package} package.*-D PKG_{package}=on"):
        start_lammps(kind)


@pytest.mark.parametrize("formula, boundary", [("Ag30Cu8", "cluster"), ("Si64", "periodic"), ("LJ38", "cluster")])
def test_openmp_gives_the_same_energies(formula, boundary):
    system = System.parse(formula, boundary=boundary)
    x = random_batch(system, 3, seed=4)
    with BatchedEngine(system, 3) as plain, BatchedEngine(system, 3, accelerator="omp:2") as omp:
        e1, f1 = plain.energy_forces(x)
        e2, f2 = omp.energy_forces(x)
    np.testing.assert_allclose(e2, e1, rtol=1e-11, atol=1e-10)
    np.testing.assert_allclose(f2, f1, rtol=1e-9, atol=1e-9)


def test_omp_suffix_is_active(tmp_path):
    lmp = start_lammps("omp:2")
    lmp.commands_string(
        "units lj\nregion b block 0 5 0 5 0 5\ncreate_box 1 b\nmass 1 1.0\n"
        "pair_style lj/cut 2.5\npair_coeff 1 1 1.0 1.0\n"
        f"write_data {tmp_path / 'd.data'}"
    )
    lmp.close()
    assert "# lj/cut/omp" in (tmp_path / "d.data").read_text()


def outcome(result) -> list:
    return [(run.trace_evaluations, run.trace_energies, [m.energy for m in run.minima]) for run in result.runs]


@pytest.mark.parametrize("method, accelerator", [
    ("bh", None), ("loop-learned", None), pytest.param("bh", "omp:2", marks=pytest.mark.slow),
    pytest.param("learned", "omp:2", marks=pytest.mark.slow),  # slow where two threads share a busy core
])
def test_a_search_repeats_bit_for_bit_with_the_same_accelerator(method, accelerator):
    """What docs/engine.md promises: the same accelerator and thread count give the same bits,
    whatever torch's thread count (searches run torch on one thread)."""
    system = System.parse("Ag6Cu2")
    first = search(system, method, 1000, [0, 1], optimizer="untrained", accelerator=accelerator)
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        again = search(system, method, 1000, [0, 1], optimizer="untrained", accelerator=accelerator)
    finally:
        torch.set_num_threads(threads)
    assert outcome(again) == outcome(first)


def _segments() -> set[str]:
    return {path.name for path in Path("/dev/shm").glob("mpich_shm_*")}


@pytest.mark.skipif(not Path("/dev/shm").is_dir(), reason="no /dev/shm")
@pytest.mark.parametrize("command", [
    [sys.executable, "-c", "from lopt_lammps.lammps_runtime import start_lammps; start_lammps().close()"],
    [MPIRUN, "-np", "2", sys.executable, "-m", "lopt_lammps.cli", "relax-cell", "Si512", "--evaluations", "3"],
    [sys.executable, "-m", "lopt_lammps.cli", "search", "LJ13", "--method", "bh", "--budget", "300", "--seeds", "2",
     "--cores", "2", "--quiet", "--db", "minima.db"],
], ids=["one process", "two ranks", "worker processes"])
def test_a_process_that_ran_lammps_leaves_no_shared_memory_behind(command, tmp_path):
    """MPICH frees a process's segment in /dev/shm only in MPI_Finalize; without it a container's
    64 MB /dev/shm fills after a few dozen runs and MPI stops starting."""
    if command[0] is None:
        pytest.skip("no mpirun (install lammps[mpi])")
    before = _segments()
    subprocess.run(command, check=True, capture_output=True, timeout=300, cwd=tmp_path)
    assert _segments() - before == set()
