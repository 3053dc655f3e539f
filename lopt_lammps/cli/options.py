"""Options shared by several commands, declared once as parent parsers."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

#: largest budget of one seed: LAMMPS counts the steps of a run in 32-bit integers
MAX_BUDGET = 10**9


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, ``lopt-lammps: error: ...``."""

    def error(self, message: str):
        raise SystemExit(print_error(f"{message} (see {self.prog} --help)"))


def print_error(message: str) -> int:
    """Print ``lopt-lammps: error: message`` as one line; returns the exit status, 2."""
    print(f"lopt-lammps: error: {' '.join(message.split())}", file=sys.stderr)
    return 2


def whole_number(low: int, high: int | None = None) -> Callable[[str], int]:
    """Argument type: an integer from ``low`` to ``high`` (inclusive; no upper limit if None)."""
    allowed = f"a whole number from {low} to {high}" if high is not None else f"a whole number of at least {low}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number; give {allowed}") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{value} is out of range; give {allowed}")
        return value

    return parse


def positive_number(text: str) -> float:
    """Argument type: a finite number above zero."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text} is not a finite number above zero")
    return value


positive = whole_number(1)
non_negative = whole_number(0)


class MethodChoices(Sequence):
    """``auto`` and :data:`lopt_lammps.search.METHODS`, imported when first needed (it loads torch)."""

    def _methods(self) -> tuple[str, ...]:
        from ..search import METHODS

        return ("auto", *METHODS)

    def __getitem__(self, index):
        return self._methods()[index]

    def __len__(self) -> int:
        return len(self._methods())


def system_options() -> argparse.ArgumentParser:
    """SYSTEM and how to build it: potential, boundary, density."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("system", help="formula such as Ag30Cu8, LJ38 or Si64")
    parent.add_argument("--potential", default=None, help="potential name (default from the elements): lj, smatb-agcu, sw-si")
    parent.add_argument("--boundary", default="auto", choices=["auto", "cluster", "periodic"],
                        help="free cluster or periodic cell (auto: periodic for Si, cluster otherwise)")
    parent.add_argument("--density", type=positive_number, default=None,
                        help="atoms per volume for periodic cells (default: the crystal's)")
    return parent


def seed_options() -> argparse.ArgumentParser:
    """How many seeds, numbered from which."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--seeds", type=positive, default=1, help="number of independent runs")
    parent.add_argument("--first-seed", type=non_negative, default=0, help="seeds are first-seed, first-seed+1, ...")
    return parent


def search_options() -> argparse.ArgumentParser:
    """Every option of a search (``search`` and ``job search``)."""
    parent = argparse.ArgumentParser(add_help=False, parents=[system_options(), seed_options()])
    parent.add_argument("--method", required=True, choices=MethodChoices(), metavar="METHOD",
                        help="one of %(choices)s. learned: learned optimizer; bh: basin hopping (with swap moves "
                        "for alloys); fire, cg: LAMMPS relaxations from random restarts; adam: Adam; gd: gradient "
                        "descent; auto: learned when a pretrained optimizer is available, basin hopping otherwise")
    parent.add_argument("--budget", type=whole_number(1, MAX_BUDGET), required=True,
                        help=f"energy+force evaluations per seed (at most {MAX_BUDGET})")
    parent.add_argument("--db", required=True, type=Path, help="ase.db SQLite file to add the minima to")
    parent.add_argument("--optimizer", type=Path, default=None,
                        help="learned-optimizer checkpoint (default: the shipped pretrained one)")
    parent.add_argument("--accelerator", default=None, help="LAMMPS accelerator: none, omp[:threads], kokkos[:threads], gpu[:n]")
    parent.add_argument("--starts", type=Path, default=None, help="extxyz with each seed's first structure (lopt-lammps init)")
    parent.add_argument("--trace", type=Path, default=None, help="write each seed's best energy against evaluations to this JSON file")
    parent.add_argument("--quiet", action="store_true", help="no progress bar")
    return parent
