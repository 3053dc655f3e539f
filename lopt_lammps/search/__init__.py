"""Global-search methods sharing one interface and an evaluation budget.

Every method is a hop policy (:mod:`.policies`) run by chains (:mod:`.chain`, one per
seed) with a local stage run by an executor (:mod:`.executors`):

============= ===================================================== =====================================
method        hops                                                  local stage
============= ===================================================== =====================================
bh            basin hopping (Metropolis, swaps, surface moves,      LAMMPS ``minimize`` (cg, fire), or
              restarts after stagnation): ``BasinHoppingSettings``  L-BFGS in one run for all seeds
learned       the learned hop policy (:mod:`.learned_policy`):      L-BFGS in one run for all seeds
              which move, which atoms, how far, which temperature
loop-learned  greedy hops from the chain's best minimum             the learned update rule for ``cycle``
              (``RuleLoopSettings.hops``)                           evaluations, then L-BFGS
loop-fire,    same loop as ``loop-learned``                         FIRE or Adam instead of the learned
loop-adam                                                           rule (its controls)
fire, cg      none: every relaxation from a new random structure    LAMMPS ``minimize``
adam, gd      none: every relaxation from a new random structure    the rule, then L-BFGS
ase-bh        ASE's ``BasinHopping`` (every atom displaced; no      ASE's FIRE
              swaps): the peer a user would pick (:mod:`.ase_peer`)
ase-mh        ASE's ``MinimaHopping`` (MD escapes, self-adjusting   ASE's quasi-Newton
              temperature and acceptance threshold)
============= ===================================================== =====================================

:func:`search` runs a method for several seeds and returns a :class:`SearchResult` with each
seed's trace (best energy against evaluations) and the distinct minima it found, relaxed
to a force 2-norm below ``MINIMA_FORCE_TOLERANCE`` cohesive energies per nearest-neighbour
distance. A seed's result never depends on the seeds run beside it.
"""

from __future__ import annotations

from typing import Any

from .names import METHODS
from .policies import MINIMIZERS, BasinHoppingSettings

#: loaded on first use: they import torch, which the command line's parser does without
_LAZY = {
    "search": "methods", "load_optimizer": "methods", "optimizer_fingerprint": "methods", "RuleLoopSettings": "methods",
    "MINIMA_FORCE_TOLERANCE": "common", "Minimum": "result", "SearchResult": "result", "SeedRun": "result",
}

__all__ = ["METHODS", "MINIMIZERS", "BasinHoppingSettings", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
