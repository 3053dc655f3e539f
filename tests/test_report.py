"""Report numbers: excess energies and the campaign's progress over refinement rounds."""

import pytest

from lopt_lammps.report import excess_energies, stage_gaps
from lopt_lammps.search.result import SearchResult, SeedRun
from lopt_lammps.systems import System


def trace(system: str, *energies: float) -> SearchResult:
    runs = [SeedRun(seed, 100, [10, 50], [e + 1.0, e], []) for seed, e in enumerate(energies)]
    return SearchResult(System.parse(system), "bh", 100, runs)


def test_stage_gaps_follow_the_lowest_energy_so_far():
    search = [trace("Ag6", -10.0, -10.5)]
    rounds = {1: [trace("Ag6", -10.2)], 2: [trace("Ag6", -11.0)]}
    gaps = stage_gaps(search, rounds, {"Ag6": -11.0})
    assert gaps["Ag6"] == pytest.approx([0.5, 0.5, 0.0])  # round 1 found nothing lower: no rise
    assert stage_gaps(search, rounds, {})["Ag6"] == pytest.approx([0.5, 0.5, 0.0])  # no reference: the lowest found


def test_excess_energy_of_an_ideal_mixture_is_zero():
    points = excess_energies({"Ag4": -8.0, "Ag2Cu2": -10.0, "Cu4": -12.0})
    assert {f: round(e, 9) for f, _, e in points} == {"Ag4": 0.0, "Ag2Cu2": 0.0, "Cu4": 0.0}
