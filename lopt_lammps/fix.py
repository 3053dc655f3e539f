"""Running any update rule inside LAMMPS, with best-so-far tracking per replica.

:class:`OptimizerFix` is the step callback of :meth:`BatchedEngine.run` (LAMMPS
``fix external pf/callback``): at every evaluation it updates each replica's best energy,
its positions and the evaluation at which it was found, asks the rule for new positions,
and guards against bad steps:

* a step larger than ``max_displacement`` per atom is scaled down;
* a replica whose rule returns non-finite positions is stopped (its best is kept);
* a replica whose force 2-norm drops below ``converged_force`` (or that has relaxed for
  ``max_relaxation`` evaluations) is handed to ``on_relaxed``, which returns its next
  structure (the search drivers record the minimum and hop);
* a free cluster that dissociates (tested every ``check_every`` steps, and at once when
  it spreads beyond ``containment_radius``) is handed to ``on_dissociated``, or stopped
  without one, and reported in ``dissociations``; so is a structure that ``on_relaxed``
  or ``on_dissociated`` proposes already spread beyond ``containment_radius`` (before it
  is evaluated, which its slot could not hold).

A replica handed on starts again with a fresh rule state. Every replica steps at every
call, whatever the others do, so a replica's run never depends on the batch.

:func:`attach` does the same for a LAMMPS instance built by the user's own script.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numba
import numpy as np

from .errors import StructureError
from .lammps_views import Views
from .optimizers.base import State, UpdateRule, atom_scale, reset_replicas
from .replica_layout import spread

#: proposals in a row that may spread beyond the containment radius before a search gives up
MAX_PROPOSALS = 100
#: on_relaxed(replicas, positions, energies) -> next positions of those replicas
Relaxed = Callable[[list[int], np.ndarray, np.ndarray], np.ndarray]
#: on_dissociated(replicas, positions) -> next positions of those replicas
Dissociated = Callable[[list[int], np.ndarray], np.ndarray]


@dataclass
class Trace:
    """Best energy so far per replica, stored at the evaluations where it improved."""

    evaluations: list[list[int]]
    energies: list[list[float]]

    @classmethod
    def empty(cls, n_replicas: int) -> "Trace":
        return cls([[] for _ in range(n_replicas)], [[] for _ in range(n_replicas)])

    def record(self, replicas: list[int], evaluations: list[int], energies: list[float]) -> None:
        """The new best ``energies`` of ``replicas``, reached at ``evaluations``."""
        for replica, evaluation, energy in zip(replicas, evaluations, energies):
            self.evaluations[replica].append(evaluation)
            self.energies[replica].append(energy)


@numba.njit(cache=True, error_model="numpy")
def _advance(x, new_x, f, e, active, max_displacement, evaluations, best_energy, best_positions, best_evaluation,
             restarted_at, relax_force2, relax_after, check_all, containment2, out, better, finite, relaxed, due):
    """One step's bookkeeping, per replica: count the evaluation and keep the best point of
    active replicas (``better``: improved now), the next positions ``out`` (the rule's,
    capped per atom; unchanged for inactive replicas or a non-finite proposal, flagged in
    ``finite``), whether the relaxation is over (``relaxed``: squared force norm below
    ``relax_force2``, or ``relax_after`` >= 0 evaluations since ``restarted_at``) and whether
    to test for dissociation (``due``: ``check_all``, or spread from the centre beyond
    ``containment2`` squared). Returns the counts of improved, non-finite, relaxed and due replicas."""
    n_replicas, n_atoms, _ = x.shape
    n_better = n_broken = n_relaxed = n_due = 0
    centre = np.zeros(3)
    for b in range(n_replicas):
        if active[b]:
            evaluations[b] += 1
        better[b] = active[b] and e[b] < best_energy[b]
        if better[b]:
            best_energy[b] = e[b]
            best_evaluation[b] = evaluations[b]
            best_positions[b] = x[b]
        finite[b] = True
        for i in range(n_atoms):
            for axis in range(3):
                finite[b] = finite[b] and np.isfinite(new_x[b, i, axis])
        force2 = 0.0
        centre[:] = 0.0
        for i in range(n_atoms):
            for axis in range(3):
                force2 += f[b, i, axis] * f[b, i, axis]
                centre[axis] += x[b, i, axis]
        centre /= n_atoms
        spread2 = 0.0
        for i in range(n_atoms):
            d0, d1, d2 = x[b, i, 0] - centre[0], x[b, i, 1] - centre[1], x[b, i, 2] - centre[2]
            spread2 = max(spread2, d0 * d0 + d1 * d1 + d2 * d2)
            if active[b] and finite[b]:
                s0, s1, s2 = new_x[b, i, 0] - x[b, i, 0], new_x[b, i, 1] - x[b, i, 1], new_x[b, i, 2] - x[b, i, 2]
                scale = atom_scale(s0, s1, s2, max_displacement)
                out[b, i, 0], out[b, i, 1], out[b, i, 2] = x[b, i, 0] + s0 * scale, x[b, i, 1] + s1 * scale, x[b, i, 2] + s2 * scale
            else:
                out[b, i] = x[b, i]
        relaxed[b] = active[b] and (force2 < relax_force2 or (relax_after >= 0 and evaluations[b] - restarted_at[b] >= relax_after))
        due[b] = active[b] and not relaxed[b] and (check_all or spread2 > containment2)
        n_better += better[b]
        n_broken += active[b] and not finite[b]
        n_relaxed += relaxed[b]
        n_due += due[b]
    return n_better, n_broken, n_relaxed, n_due


@dataclass
class OptimizerFix:
    """Step callback applying ``rule`` to B replicas for at most ``budget`` evaluations each."""

    rule: UpdateRule
    n_replicas: int
    budget: int
    max_displacement: float
    converged_force: float | None = None
    max_relaxation: int | None = None
    on_relaxed: Relaxed | None = None
    dissociated: Callable[[np.ndarray], np.ndarray] | None = None
    on_dissociated: Dissociated | None = None
    check_every: int = 25
    containment_radius: float | None = None
    state: State | None = None
    trace: Trace = field(init=False)
    dissociations: list[tuple[int, int]] = field(default_factory=list)
    stopped: dict[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.budget <= 0:
            raise ValueError(f"the evaluation budget must be positive, got {self.budget}")
        b = self.n_replicas
        self.trace = Trace.empty(b)
        #: evaluations per replica, and at the replica's last restart
        self.evaluations = np.zeros(b, dtype=int)
        self.restarted_at = np.zeros(b, dtype=int)
        self.best_energy = np.full(b, np.inf)
        self.best_positions: np.ndarray | None = None
        self.best_evaluation = np.zeros(b, dtype=int)
        self.steps = 0

    @property
    def active(self) -> np.ndarray:
        """Replicas still being optimised (not stopped, budget left)."""
        mask = self.evaluations < self.budget
        for replica in self.stopped:
            mask[replica] = False
        return mask

    def _contain(self, out: np.ndarray, replicas: list[int]) -> None:
        """Proposed structures ``out[replicas]`` of free clusters that already spread beyond
        ``containment_radius`` count as dissociated before they are evaluated: each goes to
        ``on_dissociated`` for another, until one fits (at most :data:`MAX_PROPOSALS` times)."""
        if self.containment_radius is None or self.on_dissociated is None:
            return
        for _ in range(MAX_PROPOSALS):
            far = [r for r, extent in zip(replicas, spread(out[replicas])) if extent > self.containment_radius]
            if not far:
                return
            self.dissociations += [(r, int(self.evaluations[r])) for r in far]
            out[far] = self.on_dissociated(far, out)
            replicas = far
        raise StructureError(f"replica(s) {replicas}: {MAX_PROPOSALS} proposed structures in a row spread beyond the "
                             f"containment radius {self.containment_radius:.3g}; make the moves smaller")

    def __call__(self, x: np.ndarray, f: np.ndarray, e: np.ndarray) -> np.ndarray:
        active = self.active
        self.steps += 1
        if self.state is None:
            self.state = self.rule.init(x, f, e)
        if self.best_positions is None:
            self.best_positions = x.copy()
        if not active.any():
            return x
        # every replica steps every call, also those restarted below: what a replica does
        # never depends on whether others restart
        new_x, self.state = self.rule.step(self.state, x, f, e)
        b = self.n_replicas
        out = np.empty_like(x)
        better, finite, relaxed, due = (np.empty(b, dtype=bool) for _ in range(4))
        relaxing, dissociating = self.on_relaxed is not None, self.dissociated is not None
        relax_force2 = float(self.converged_force) ** 2 if relaxing and self.converged_force is not None else -1.0
        relax_after = int(self.max_relaxation) if relaxing and self.max_relaxation is not None else -1
        containment2 = float(self.containment_radius) ** 2 if dissociating and self.containment_radius is not None else np.inf
        counts = _advance(x, np.asarray(new_x, dtype=np.float64), f, e, active, float(self.max_displacement), self.evaluations,
                          self.best_energy, self.best_positions, self.best_evaluation, self.restarted_at, relax_force2,
                          relax_after, dissociating and self.steps % self.check_every == 0, containment2,
                          out, better, finite, relaxed, due)
        n_better, n_broken, n_relaxed, n_due = counts
        if n_better:
            improved = np.flatnonzero(better)
            self.trace.record(improved.tolist(), self.evaluations[improved].tolist(), e[improved].tolist())
        if n_broken:
            for replica in np.flatnonzero(~finite & active).tolist():
                self.stopped[replica] = "non-finite step"
        restarted = relaxed
        if n_relaxed:
            replicas = np.flatnonzero(relaxed).tolist()
            out[replicas] = self.on_relaxed(replicas, x, e)
            self._contain(out, replicas)
        broken = np.flatnonzero(self.dissociated(x) & due).tolist() if n_due else []
        if broken:
            self.dissociations += [(int(r), int(self.evaluations[r])) for r in broken]
            if self.on_dissociated is None:
                for r in broken:
                    self.stopped[int(r)] = "dissociated"
                out[broken] = x[broken]
            else:
                out[broken] = self.on_dissociated(broken, x)
                self._contain(out, broken)
                restarted[broken] = True
        if n_relaxed or (broken and self.on_dissociated is not None):
            self.restarted_at[restarted] = self.evaluations[restarted]
            # the new structures' forces are unknown until evaluated: their state starts from zeros
            self.state = reset_replicas(self.rule, self.state, restarted, out, np.zeros_like(f), e)
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
    views = Views(lmp)

    def callback(tags: np.ndarray, x: np.ndarray, fext: np.ndarray) -> None:
        nonlocal mask_bit
        nlocal = len(tags)
        fext[:] = 0.0
        if mask_bit is None:
            groups = lmp.available_ids("group")
            mask_bit = 1 << groups.index(group)
        in_group = (views.masks(nlocal) & mask_bit) != 0
        order = np.argsort(tags)
        order = order[in_group[order]]
        forces = views.forces(nlocal)[order]
        energy = views.compute_per_atom(f"{fix_id}_pe", nlocal)[order].sum()
        new = tracker(x[order][None], forces[None], np.array([energy]))
        x[order] = new[0]

    views.set_fix_external_callback(fix_id, callback)
    tracker.lammps_views = views  # keeps the ctypes callback alive with the tracker
    return tracker
