"""Options shared by several commands, declared once as parent parsers."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from pathlib import Path

from ..search import METHODS

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


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None


def positive_number(text: str) -> float:
    """Argument type: a finite number above zero."""
    value = _number(text)
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text} is not a finite number above zero")
    return value


def non_negative_number(text: str) -> float:
    """Argument type: a finite number, zero or above."""
    value = _number(text)
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"{text} is not a finite number of zero or above")
    return value


def number_from(low: float, high: float = math.inf, low_inclusive: bool = True) -> Callable[[str], float]:
    """Argument type: a finite number from ``low`` (inclusive unless ``low_inclusive`` is false) to ``high``."""
    allowed = f"a number {'from' if low_inclusive else 'above'} {low:g}" + (f" to {high:g}" if math.isfinite(high) else "")

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number; give {allowed}") from None
        if not (math.isfinite(value) and (value >= low if low_inclusive else value > low) and value <= high):
            raise argparse.ArgumentTypeError(f"{text} is out of range; give {allowed}")
        return value

    return parse


def accelerator(text: str) -> str:
    """Argument type: an accelerator spec (none, omp[:threads], ...) that this LAMMPS build supports."""
    from ..errors import LoptError
    from ..lammps_runtime import Accelerator, check_accelerator

    try:
        check_accelerator(Accelerator.parse(text))
    except LoptError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return text


positive = whole_number(1)
non_negative = whole_number(0)
probability = number_from(0.0, 1.0)


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


def basin_hopping_options() -> argparse.ArgumentParser:
    """The knobs of basin hopping (``--method bh``), defaults from :class:`BasinHoppingSettings`."""
    from ..search import MINIMIZERS, BasinHoppingSettings

    d = BasinHoppingSettings()
    parent = argparse.ArgumentParser(add_help=False)
    g = parent.add_argument_group("basin hopping (--method bh; lengths in nearest-neighbour distances, "
                                  "energies in the cohesive energy per atom E0)")
    g.add_argument("--bh-temperature", type=number_from(0.0), default=d.temperature,
                   help="Metropolis kT / E0 (E0 is about 3 eV for Ag-Cu, 8.6 epsilon for LJ); 0 accepts only improvements")
    g.add_argument("--bh-kt", type=number_from(0.0), default=None,
                   help="Metropolis kT in the potential's energy unit (eV; epsilon for LJ); overrides --bh-temperature")
    g.add_argument("--bh-step", type=number_from(0.0, low_inclusive=False), default=d.step,
                   help="largest displacement per coordinate of the move that shifts every atom")
    g.add_argument("--bh-swap", type=probability, default=d.swap_probability,
                   help="probability of exchanging two atoms of different elements (alloys only)")
    g.add_argument("--bh-atom-moves", type=probability, default=d.atom_move_probability,
                   help="probability of moving a single atom to the cluster surface (anywhere in a periodic cell)")
    g.add_argument("--bh-atom-target", choices=["surface", "random"], default=d.atom_move_target,
                   help="which atom a single-atom move takes: the least coordinated one, or a random one")
    g.add_argument("--bh-patience", type=non_negative, default=d.patience,
                   help="restart from a random structure after this many hops without a new best (0: never)")
    g.add_argument("--bh-minimizer", choices=MINIMIZERS, default=d.minimizer,
                   help="local minimiser: cg or fire (LAMMPS minimize, one seed at a time) or lbfgs (all seeds "
                   "at once inside one LAMMPS run)")
    g.add_argument("--bh-tolerance", type=number_from(0.0, low_inclusive=False), default=d.tolerance,
                   help="relax to a force 2-norm below this many E0 per nearest-neighbour distance")
    return parent


def basin_hopping_settings(args: argparse.Namespace):
    """:class:`BasinHoppingSettings` from the ``--bh-*`` options."""
    from ..search import BasinHoppingSettings

    return BasinHoppingSettings(
        temperature=args.bh_temperature, kt=args.bh_kt, step=args.bh_step, swap_probability=args.bh_swap,
        atom_move_probability=args.bh_atom_moves, atom_move_target=args.bh_atom_target, patience=args.bh_patience,
        minimizer=args.bh_minimizer, tolerance=args.bh_tolerance)


def search_options() -> argparse.ArgumentParser:
    """Every option of a search (``search`` and ``job search``)."""
    parent = argparse.ArgumentParser(add_help=False, parents=[system_options(), seed_options(), basin_hopping_options()])
    parent.add_argument("--method", required=True, choices=("auto", *METHODS), metavar="METHOD",
                        help="one of %(choices)s. learned: the learned search; bh: basin hopping (with swaps and "
                        "surface moves; its knobs below); fire, cg: LAMMPS relaxations from random restarts; adam, gd: "
                        "the rule from random restarts; loop-fire, loop-adam: the learned search's loop with FIRE or "
                        "Adam in place of the network (controls); ase-bh, ase-mh: ASE's BasinHopping (every atom "
                        "displaced, no swap moves; FIRE) and MinimaHopping (its defaults) on the same potential and "
                        "budget, the peers a user would pick (the --bh-* knobs do not apply); auto: learned when a "
                        "pretrained optimizer is available, basin hopping otherwise")
    parent.add_argument("--budget", type=whole_number(1, MAX_BUDGET), required=True,
                        help=f"energy+force evaluations per seed (at most {MAX_BUDGET})")
    parent.add_argument("--db", required=True, type=Path, help="ase.db SQLite file to add the minima to")
    parent.add_argument("--optimizer", default=None,
                        help="learned-optimizer checkpoint, or 'untrained' for the untrained network (default: the "
                        "shipped pretrained one)")
    parent.add_argument("--accelerator", type=accelerator, default=None,
                        help="LAMMPS accelerator: none, omp[:threads], kokkos[:threads], gpu[:n]")
    parent.add_argument("--starts", type=Path, default=None, help="extxyz with each seed's first structure (lopt-lammps init)")
    parent.add_argument("--trace", type=Path, default=None, help="write each seed's best energy against evaluations to this JSON file")
    parent.add_argument("--cores", type=positive, default=1,
                        help="worker processes sharing the seeds (results are the same for any number)")
    parent.add_argument("--quiet", action="store_true", help="no progress bar")
    return parent
