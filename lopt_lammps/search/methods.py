"""The search methods: which hop policy, which local stage, which executor (see the package docstring)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from ..lammps_runtime import Accelerator
from ..optimizers import (
    Adam,
    Fire,
    GradientDescent,
    Lbfgs,
    LearnedOptimizer,
    LearnedOptimizerNet,
    Staged,
    UpdateRule,
)
from ..systems import System
from .chain import Chain
from .common import MINIMA_FORCE_TOLERANCE, Relaxer
from .executors import Progress, run_batched, run_sequentially
from .learned_policy import LearnedHopPolicy, initial_parameters, load_policy, policy_fingerprint
from .parallel import run_in_processes
from .policies import BasinHopping, BasinHoppingSettings, HopPolicy, RandomRestarts
from .result import SearchResult, SeedRun

from .names import ASE_PEERS, METHODS


@dataclass(frozen=True)
class RuleLoopSettings:
    """The loop of rule-driven searches: the rule for ``cycle`` evaluations, L-BFGS from its
    lowest point to the nearest minimum, then a hop of ``hops`` (greedy, from the chain's
    best minimum, by default). ``max_relaxation`` caps one local stage of adam/gd."""

    cycle: int = 150
    hops: BasinHoppingSettings = field(default_factory=lambda: BasinHoppingSettings(
        temperature=0.0, step=0.35, swap_probability=0.3, atom_move_probability=0.0, patience=0))
    max_relaxation: int = 2000


#: a local stage still running after this many evaluations counts as relaxed (a safety net)
MAX_RELAXATION = 5000


def lbfgs(system: System) -> Lbfgs:
    """The L-BFGS local minimiser in the system's length unit."""
    length = system.nearest_neighbour()
    return Lbfgs(max_step=0.3 * length, first_step=0.1 * length)


def search(
    system: System,
    method: str,
    budget: int,
    seeds: list[int],
    optimizer: LearnedOptimizerNet | str | Path | None = None,
    accelerator: Accelerator | str | None = None,
    bh_settings: BasinHoppingSettings = BasinHoppingSettings(),
    loop_settings: RuleLoopSettings = RuleLoopSettings(),
    starts: dict[int, np.ndarray] | None = None,
    progress: bool = False,
    cores: int = 1,
) -> SearchResult:
    """Run ``method`` on ``system`` for each seed with ``budget`` evaluations per seed.

    ``optimizer`` is the learned optimizer of ``learned`` (a network or checkpoint; default
    the shipped one); ``starts`` maps a seed to its first starting structure (later starts
    are random); ``progress`` shows a progress bar; ``cores`` worker processes share the
    seeds (the result is the same for any number).
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if budget <= 0:
        raise ValueError(f"the budget must be a positive number of evaluations, got {budget}")
    if not seeds:
        raise ValueError("give at least one seed")
    if not (isinstance(cores, int) and cores >= 1):
        raise ValueError(f"the number of cores must be a whole number of at least 1, got {cores!r}")
    options = dict(system=system, method=method, budget=budget, optimizer=optimizer, accelerator=accelerator,
                   bh=bh_settings, loop=loop_settings, starts=starts or {})
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # per-step tensors are small: extra threads only add overhead
    try:
        if cores > 1 and len(seeds) > 1:
            runs, settings = run_in_processes(_run, list(seeds), cores, progress, budget * len(seeds),
                                              f"{system.formula} x {len(seeds)} seeds", **options)
        else:
            runs, settings = _run(seeds=list(seeds), progress=progress, **options)
    finally:
        torch.set_num_threads(threads)
    settings.update(budget=budget, minima_force_tolerance=MINIMA_FORCE_TOLERANCE)
    return SearchResult(system, method, budget, runs, settings)


def _run(system: System, method: str, budget: int, seeds: list[int], optimizer, accelerator, bh: BasinHoppingSettings,
         loop: RuleLoopSettings, starts: dict[int, np.ndarray], progress: Progress) -> tuple[list[SeedRun], dict]:
    def chains(policy: HopPolicy) -> list[Chain]:
        return [Chain(system, seed, policy, starts.get(seed)) for seed in seeds]

    def sequential(policy: HopPolicy, style: str, tolerance: float = MINIMA_FORCE_TOLERANCE) -> list[SeedRun]:
        relaxer = Relaxer.for_system(system, accelerator, style=style, tolerance=tolerance)
        try:
            return run_sequentially(chains(policy), budget, relaxer, progress)
        finally:
            relaxer.close()

    def batched(policy: HopPolicy, rule: UpdateRule, tolerance: float, max_relaxation: int) -> list[SeedRun]:
        return run_batched(system, chains(policy), budget, rule, tolerance, max_relaxation, accelerator, progress)

    if method == "bh":
        policy = BasinHopping(system, bh)
        settings = asdict(bh)
        if bh.minimizer == "lbfgs":
            return batched(policy, lbfgs(system), bh.tolerance, MAX_RELAXATION), settings
        return sequential(policy, bh.minimizer, bh.tolerance), settings
    if method == "learned":
        theta, patience, name = load_policy_for(optimizer, bh)
        settings = {"optimizer": name, "patience": patience, "tolerance": bh.tolerance}
        return batched(LearnedHopPolicy(system, theta, patience), lbfgs(system), bh.tolerance, MAX_RELAXATION), settings
    if method in ("fire", "cg"):
        return sequential(RandomRestarts(), method), {"minimizer": method}
    if method in ASE_PEERS:
        from .ase_peer import run_peer  # imports ase.optimize (and scipy) only when asked for

        return run_peer(system, method, budget, seeds, starts, accelerator, progress)
    first, settings = _first_stage(system, method, seeds, optimizer, loop)
    if method in ("adam", "gd"):
        staged = Staged(first, lbfgs(system), loop.max_relaxation)
        return batched(RandomRestarts(), staged, MINIMA_FORCE_TOLERANCE, loop.max_relaxation + MAX_RELAXATION), settings
    staged = Staged(first, lbfgs(system), loop.cycle)
    settings.update(cycle=loop.cycle, **{f"hops_{k}": v for k, v in asdict(loop.hops).items()})
    return batched(BasinHopping(system, loop.hops), staged, MINIMA_FORCE_TOLERANCE, loop.cycle + MAX_RELAXATION), settings


def _first_stage(system: System, method: str, seeds: list[int], optimizer, loop: RuleLoopSettings) -> tuple[UpdateRule, dict]:
    """The update rule a rule-driven method runs before the L-BFGS polish, and its settings."""
    length = system.nearest_neighbour()
    rules: dict[str, Callable[[], UpdateRule]] = {
        "adam": lambda: Adam(learning_rate=0.02 * length, max_step=0.2 * length),
        "loop-adam": lambda: Adam(learning_rate=0.02 * length, max_step=0.2 * length),
        "gd": lambda: GradientDescent(learning_rate=0.01 * length / (system.energy_scale() / length), max_step=0.1 * length),
        "loop-fire": lambda: Fire(max_step=0.1 * length),
    }
    if method != "loop-learned":
        return rules[method](), {}
    net = optimizer if isinstance(optimizer, LearnedOptimizerNet) else load_optimizer(optimizer)
    return LearnedOptimizer(net, system.scales(), loop.cycle, seeds), {"optimizer": net.fingerprint()}


def load_policy_for(optimizer: str | Path | None, bh: BasinHoppingSettings) -> tuple[np.ndarray, int, str]:
    """Parameters, patience and fingerprint of the hop policy of ``learned``: a policy file,
    ``"untrained"`` (basin hopping with ``bh`` as a policy), or the shipped one (``None``)."""
    if str(optimizer) == "untrained":
        theta, patience = initial_parameters(bh), bh.patience
    else:
        if optimizer is None:
            from ..pretrained import pretrained_policy_path

            optimizer = pretrained_policy_path()
        theta, patience, _ = load_policy(optimizer)
    return theta, patience, policy_fingerprint(theta, patience)


def optimizer_fingerprint(method: str, optimizer: str | Path | None, bh: BasinHoppingSettings) -> str:
    """Fingerprint of what a learned method would use ("" for other methods): records name it."""
    if method == "learned":
        return load_policy_for(optimizer, bh)[2]
    if method == "loop-learned":
        return load_optimizer(optimizer).fingerprint()
    return ""


def load_optimizer(path: str | Path | None) -> LearnedOptimizerNet:
    """A learned optimizer from a checkpoint, ``"untrained"`` for the untrained network, or
    the shipped pretrained one (``None``)."""
    if str(path) == "untrained":
        return LearnedOptimizerNet()
    if path is None:
        from ..pretrained import pretrained_path

        path = pretrained_path()
    return LearnedOptimizerNet.load(path)
