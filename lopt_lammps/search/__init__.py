"""Global-search drivers sharing one interface and an evaluation budget.

:func:`search` runs a method on a system for several seeds and returns a
:class:`SearchResult` with each seed's trace (best energy against evaluations) and the
distinct minima it found, relaxed to a force 2-norm below
``MINIMA_FORCE_TOLERANCE`` cohesive energies per nearest-neighbour distance.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from ..lammps_runtime import Accelerator
from ..optimizers import (
    Adam,
    GradientDescent,
    LearnedOptimizer,
    LearnedOptimizerNet,
    Scales,
)
from ..systems import System
from .basin_hopping import BasinHoppingSettings, basin_hopping
from .common import MINIMA_FORCE_TOLERANCE, Relaxer
from .local_restarts import RestartSettings, random_restarts
from .result import Minimum, SearchResult, SeedRun
from .rule_search import RuleSearchSettings, rule_search

METHODS = ("learned", "bh", "fire", "cg", "adam", "gd")
#: evaluations per learned-optimizer cycle, and FIRE evaluations relaxing its best after it
LEARNED_CYCLE = 150
LEARNED_RELAX = 150

__all__ = [
    "METHODS",
    "MINIMA_FORCE_TOLERANCE",
    "BasinHoppingSettings",
    "Minimum",
    "RestartSettings",
    "RuleSearchSettings",
    "SearchResult",
    "SeedRun",
    "search",
]


def search(
    system: System,
    method: str,
    budget: int,
    seeds: list[int],
    optimizer: LearnedOptimizerNet | str | Path | None = None,
    accelerator: Accelerator | str | None = None,
    rule_settings: RuleSearchSettings | None = None,
    bh_settings: BasinHoppingSettings = BasinHoppingSettings(),
    starts: dict[int, np.ndarray] | None = None,
    progress: bool = False,
) -> SearchResult:
    """Run ``method`` on ``system`` for each seed with ``budget`` evaluations per seed.

    Methods: ``learned`` (learned optimizer; ``optimizer`` is a network or checkpoint,
    default the shipped one), ``bh`` (basin hopping with swap moves), ``fire`` / ``cg``
    (LAMMPS local relaxation from random restarts), ``adam``, ``gd``. ``starts`` maps a
    seed to its first starting structure (later starts are random); ``progress`` shows a
    progress bar over seeds.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # per-step tensors are small: extra threads only add overhead
    try:
        return _search(system, method, budget, seeds, optimizer, accelerator, rule_settings, bh_settings, starts, progress)
    finally:
        torch.set_num_threads(threads)


def _search(system, method, budget, seeds, optimizer, accelerator, rule_settings, bh_settings, starts, progress) -> SearchResult:
    if budget <= 0:
        raise ValueError(f"the budget must be a positive number of evaluations, got {budget}")
    if not seeds:
        raise ValueError("give at least one seed")
    settings: dict = {"budget": budget, "minima_force_tolerance": MINIMA_FORCE_TOLERANCE}
    if method in ("bh", "fire", "cg"):
        relaxer = Relaxer.for_system(system, accelerator)
        try:
            first = starts or {}
            if method == "bh":
                run_one = lambda s: basin_hopping(relaxer, s, budget, bh_settings, first.get(s))  # noqa: E731
                settings.update(vars(bh_settings))
            else:
                run_one = lambda s: random_restarts(relaxer, s, budget, RestartSettings(style=method), first.get(s))  # noqa: E731
            runs = [run_one(s) for s in tqdm(seeds, desc=f"{method} {system.formula}", unit="seed", disable=not progress)]
        finally:
            relaxer.close()
    elif method in ("learned", "adam", "gd"):
        length = system.nearest_neighbour()
        if method == "learned":
            net = optimizer if isinstance(optimizer, LearnedOptimizerNet) else load_optimizer(optimizer)
            settings["optimizer"] = net.fingerprint()
            rule_settings = rule_settings or RuleSearchSettings(cycle=LEARNED_CYCLE, relax_evaluations=LEARNED_RELAX, restart_from="best")
            make = lambda s: LearnedOptimizer(net, Scales.of(system), rule_settings.cycle or budget, s)  # noqa: E731
        elif method == "adam":
            make = lambda s: Adam(learning_rate=0.02 * length, max_step=0.2 * length)  # noqa: E731
        else:
            make = lambda s: GradientDescent(learning_rate=0.01 * length / (system.energy_scale() / length), max_step=0.1 * length)  # noqa: E731
        rule_settings = rule_settings or RuleSearchSettings()
        settings.update(vars(rule_settings))
        runs = rule_search(system, make, list(seeds), budget, rule_settings, accelerator, starts, progress)
    else:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    return SearchResult(system, method, budget, runs, settings)


def load_optimizer(path: str | Path | None) -> LearnedOptimizerNet:
    """A learned optimizer from a checkpoint, or the shipped pretrained one."""
    if path is None:
        from ..pretrained import pretrained_path

        path = pretrained_path()
    return LearnedOptimizerNet.load(path)
