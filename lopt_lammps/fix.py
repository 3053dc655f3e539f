"""Running any update rule inside LAMMPS, with best-so-far tracking per replica.

:class:`OptimizerFix` is the step callback of :meth:`BatchedEngine.run` (LAMMPS
``fix external pf/callback``): at every evaluation it updates each replica's best energy,
its positions and the evaluation at which it was found, asks the rule for new positions,
and guards against bad steps:

* a step larger than ``max_displacement`` per atom is scaled down;
* a replica whose rule returns non-finite positions is stopped (its best is kept);
* a free cluster that dissociates (tested every ``check_every`` steps, and at once when
  any cluster spreads beyond ``containment_radius``) is handed to ``on_dissociated``
  (the search drivers restart it from a new structure), or stopped without one, and
  reported in ``dissociations``.

:func:`attach` does the same for a LAMMPS instance built by the user's own script.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch

from .optimizers.base import State, UpdateRule, cap_step, reset_replicas


@dataclass
class Trace:
    """Best energy so far per replica, stored at the evaluations where it improved."""

    evaluations: list[list[int]]
    energies: list[list[float]]

    @classmethod
    def empty(cls, n_replicas: int) -> "Trace":
        return cls([[] for _ in range(n_replicas)], [[] for _ in range(n_replicas)])

    def record(self, replica: int, evaluation: int, energy: float) -> None:
        self.evaluations[replica].append(int(evaluation))
        self.energies[replica].append(float(energy))


@dataclass
class Candidate:
    """A structure worth relaxing: a converged replica, or a best-so-far."""

    replica: int
    evaluation: int
    energy: float
    positions: np.ndarray


@dataclass
class OptimizerFix:
    """Step callback applying ``rule`` to B replicas for at most ``budget`` evaluations each."""

    rule: UpdateRule
    n_replicas: int
    budget: int
    max_displacement: float
    converged_force: float | None = None
    on_converged: Callable[[list[int], np.ndarray], np.ndarray] | None = None
    dissociated: Callable[[np.ndarray], np.ndarray] | None = None
    on_dissociated: Callable[[list[int], np.ndarray], np.ndarray] | None = None
    check_every: int = 25
    containment_radius: float | None = None
    state: State | None = None
    trace: Trace = field(init=False)
    candidates: list[Candidate] = field(default_factory=list)
    dissociations: list[tuple[int, int]] = field(default_factory=list)
    stopped: dict[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.budget <= 0:
            raise ValueError(f"the evaluation budget must be positive, got {self.budget}")
        b = self.n_replicas
        self.trace = Trace.empty(b)
        self.evaluations = np.zeros(b, dtype=int)
        self.best_energy = np.full(b, np.inf)
        self.best_positions: np.ndarray | None = None
        self.best_evaluation = np.zeros(b, dtype=int)
        self.window_energy = np.full(b, np.inf)
        self.window_positions: np.ndarray | None = None
        self.window_evaluation = np.zeros(b, dtype=int)
        self.steps = 0

    def start_window(self) -> None:
        """Start tracking a second best-so-far, e.g. per restart cycle (``window_*``)."""
        self.window_energy[:] = np.inf

    @property
    def active(self) -> np.ndarray:
        """Replicas still being optimised (not stopped, budget left)."""
        mask = self.evaluations < self.budget
        for replica in self.stopped:
            mask[replica] = False
        return mask

    def _track(self, x: np.ndarray, e: np.ndarray, active: np.ndarray) -> None:
        self.evaluations[active] += 1
        if self.best_positions is None:
            self.best_positions, self.window_positions = x.copy(), x.copy()
        window = active & (e < self.window_energy)
        self.window_energy[window] = e[window]
        self.window_positions[window] = x[window]
        self.window_evaluation[window] = self.evaluations[window]
        better = active & (e < self.best_energy)
        if not better.any():
            return
        self.best_energy[better] = e[better]
        self.best_positions[better] = x[better]
        self.best_evaluation[better] = self.evaluations[better]
        for replica in np.flatnonzero(better):
            self.trace.record(replica, self.evaluations[replica], e[replica])

    def _due_for_check(self, x: np.ndarray) -> np.ndarray:
        """Replicas (B,) to test for dissociation now: all every ``check_every`` steps, else
        those spread beyond ``containment_radius`` (a cheap test, every step)."""
        if self.steps % self.check_every == 0:
            return np.ones(self.n_replicas, dtype=bool)
        if self.containment_radius is None:
            return np.zeros(self.n_replicas, dtype=bool)
        centred = x - x.mean(axis=1, keepdims=True)
        return np.einsum("bni,bni->bn", centred, centred).max(axis=1) > self.containment_radius**2

    def __call__(self, x: np.ndarray, f: np.ndarray, e: np.ndarray) -> np.ndarray:
        active = self.active
        self._track(x, e, active)
        self.last_positions, self.last_energies = x, e
        self.steps += 1
        if self.state is None:
            self.state = self.rule.init(torch.from_numpy(x), torch.from_numpy(f), torch.from_numpy(e))
        if not active.any():
            return x
        # every replica steps every call, also those restarted below: what a replica does
        # never depends on whether others restart
        new_x, self.state = self.rule.step(self.state, torch.from_numpy(x), torch.from_numpy(f), torch.from_numpy(e))
        step = new_x.numpy() - x
        finite = np.isfinite(step).all(axis=(1, 2))
        if not finite.all():
            for replica in np.flatnonzero(~finite & active):
                self.stopped[int(replica)] = "non-finite step"
            step[~finite] = 0.0
        step[~active] = 0.0
        out = x + cap_step(torch.from_numpy(step), self.max_displacement).numpy()
        restarted = np.zeros(self.n_replicas, dtype=bool)
        if self.converged_force is not None and self.on_converged is not None:
            done = np.flatnonzero(active & (np.abs(f).max(axis=(1, 2)) < self.converged_force)).tolist()
            if done:
                self.candidates += [Candidate(r, int(self.evaluations[r]), float(e[r]), x[r].copy()) for r in done]
                out[done] = self.on_converged(done, x)
                restarted[done] = True
        due = self._due_for_check(x) & active & ~restarted if self.dissociated is not None else None
        if due is not None and due.any():
            broken = np.flatnonzero(self.dissociated(x) & due).tolist()
            if broken:
                self.dissociations += [(int(r), int(self.evaluations[r])) for r in broken]
                if self.on_dissociated is None:
                    for r in broken:
                        self.stopped[int(r)] = "dissociated"
                    out[broken] = x[broken]
                else:
                    out[broken] = self.on_dissociated(broken, x)
                    restarted[broken] = True
        if restarted.any():
            # the new structures' forces are unknown until evaluated: their state starts from zeros
            self.state = reset_replicas(self.rule, self.state, torch.from_numpy(restarted), torch.from_numpy(out),
                                        torch.zeros_like(torch.from_numpy(f)), torch.from_numpy(e))
        return out


def attach(lmp: Any, rule: UpdateRule, budget: int, max_displacement: float, group: str = "all", fix_id: str = "lopt") -> OptimizerFix:
    """Attach ``rule`` to a LAMMPS instance built by the user's own script.

    After this, the script's ``run N`` moves the atoms of ``group`` by the rule (one
    evaluation per step); no time integrator should act on them. The returned
    :class:`OptimizerFix` holds the best energy and positions found (one replica).
    """
    tracker = OptimizerFix(rule, 1, budget, max_displacement)
    lmp.command(f"compute {fix_id}_pe {group} pe/atom")
    lmp.command(f"fix {fix_id}_tally {group} ave/atom 1 1 1 c_{fix_id}_pe")
    lmp.command(f"fix {fix_id} {group} external pf/callback 1 1")
    mask_bit = None

    def callback(_caller: object, _step: int, nlocal: int, tags: np.ndarray, x: np.ndarray, fext: np.ndarray) -> None:
        nonlocal mask_bit
        fext[:] = 0.0
        if mask_bit is None:
            groups = lmp.available_ids("group")
            mask_bit = 1 << groups.index(group)
        in_group = (lmp.numpy.extract_atom("mask")[:nlocal] & mask_bit) != 0
        order = np.argsort(tags[:nlocal])
        order = order[in_group[order]]
        forces = lmp.numpy.extract_atom("f")[:nlocal][order]
        energy = lmp.numpy.extract_compute(f"{fix_id}_pe", 1, 1)[:nlocal][order].sum()
        new = tracker(x[order][None], np.array(forces)[None], np.array([energy]))
        x[order] = new[0]

    lmp.set_fix_external_callback(fix_id, callback)
    tracker.lammps_callback = callback  # keep the ctypes callback alive with the tracker
    return tracker
