"""One LAMMPS instance holding B independent replicas of a system.

Replicas are atoms with molecule ID ``b + 1`` and the neighbour list excludes every pair
of atoms from different molecules (``neigh_modify exclude molecule/inter``), so replicas
never interact, whatever their positions; :mod:`.replica_layout` keeps free clusters in
separate slots besides (and reports clusters that dissociate), and lays replicas out so
that each one's energies and forces are bit for bit those it would have alone.

Positions handed to and received from callers are in each replica's own frame: cluster
coordinates relative to the slot, periodic coordinates unwrapped. Every evaluation
happens inside a LAMMPS ``run`` through ``fix external pf/callback``:

* :meth:`BatchedEngine.run` calls a Python function at each step, which returns the next
  positions (the way optimizers run inside LAMMPS);
* :meth:`BatchedEngine.energy_forces` keeps one ``run`` open in a worker thread between
  calls and hands it positions to evaluate, so each call costs one MD step, not a set-up.
"""

from __future__ import annotations

import queue
import threading
from typing import Any, Callable

import numpy as np

from .errors import EngineError, PotentialError, StructureError
from .lammps_runtime import Accelerator, start_lammps
from .lammps_arrays import ESCAPED, NON_FINITE, gather_forces, gather_positions, in_order, scatter
from .lammps_views import Views
from .replica_layout import QUANTUM, ReplicaLayout
from .structures import check_positions
from .systems import System

#: callback(x, f, e) -> next positions; (B, N, 3), (B, N, 3), (B,) arrays in replica frames
StepCallback = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]

#: neighbour-list skin per unit system (length units)
NEIGHBOUR_SKIN = {"lj": 0.3, "metal": 1.0}
_FOREVER = 1_000_000_000
_CLOSE = object()


class BatchedEngine:
    """Energies and forces of ``n_replicas`` copies of ``system`` from one LAMMPS instance."""

    def __init__(
        self,
        system: System,
        n_replicas: int,
        accelerator: Accelerator | str | None = None,
        log_file: str | None = None,
        slot_radius: float | None = None,
    ):
        if n_replicas < 1:
            raise EngineError("n_replicas must be at least 1")
        self.system = system
        self.n_replicas = n_replicas
        self.n_atoms = system.n_atoms
        self.cutoff = system.potential.cutoff(system.elements)
        self.layout = ReplicaLayout(system, n_replicas, self.cutoff, NEIGHBOUR_SKIN[system.potential.units], slot_radius)
        #: number of evaluations handed to callers so far
        self.evaluations = 0
        self._current: np.ndarray | None = None
        self._handler: Callable[[np.ndarray, np.ndarray], None] | None = None
        self._stop = False
        self._worker: threading.Thread | None = None
        self.lmp: Any = start_lammps(accelerator, log_file)
        try:
            self._build()
        except Exception:
            self.close()
            raise

    @property
    def slot_radius(self) -> float:
        return self.layout.slot_radius

    # -- set-up ---------------------------------------------------------------------

    def _build(self) -> None:
        system = self.system
        self._commands([
            f"units {system.potential.units}",
            "atom_style atomic",
            "atom_modify map array sort 0 0.0",
            *self.layout.box_commands(),
            f"create_box {len(system.elements)} lopt_box",
            "fix lopt_mol all property/atom mol ghost yes",
        ])
        try:
            self._commands(system.potential.lammps_commands(system.elements))
        except EngineError as err:
            raise PotentialError(
                f"LAMMPS rejected potential {system.potential.name!r}: {err}. Check the "
                "potential file, or regenerate it."
            ) from err
        self._commands([
            *self.layout.neighbour_commands(),
            "compute lopt_pe all pe/atom",
            # asking for per-atom energies every step makes LAMMPS tally them every step
            "fix lopt_tally all ave/atom 1 1 1 c_lopt_pe",
            "fix lopt_ext all external pf/callback 1 1",
            "variable lopt_halt internal 0",
            "fix lopt_halt all halt 1 v_lopt_halt > 0.5 error continue message no",
            "thermo 0",
            "thermo_modify norm no",
        ])
        n_total = self.n_replicas * self.n_atoms
        types = np.tile(system.types, self.n_replicas)
        start = np.broadcast_to(self.layout.offsets, (self.n_replicas, self.n_atoms, 3))
        self.lmp.create_atoms(n_total, list(range(1, n_total + 1)), types.tolist(), start.ravel().tolist())
        tags = self.lmp.numpy.extract_atom("id")[:n_total]
        self.lmp.numpy.extract_atom("molecule")[:n_total] = (tags - 1) // self.n_atoms + 1
        self._rows = np.arange(n_total)
        self._offsets = np.ascontiguousarray(self.layout.offsets[:, 0, :])
        self._cell = system.cell_length() if system.periodic else 0.0
        self._image_bits = np.array([self.lmp.extract_setting(k) for k in ("IMGMASK", "IMGMAX", "IMGBITS", "IMG2BITS")])
        self._no_image = np.zeros(0, dtype=np.int32)
        self._views = Views(self.lmp)
        self._views.set_fix_external_callback("lopt_ext", self._on_step)

    def _commands(self, commands: list[str]) -> None:
        for command in commands:
            try:
                self.lmp.command(command)
            except Exception as err:
                raise EngineError(f"LAMMPS command {command!r} failed: {err}") from err

    # -- LAMMPS arrays <-> replica arrays ---------------------------------------------

    def _order(self, tags: np.ndarray) -> np.ndarray:
        """LAMMPS row of each atom in replica order (the identity while LAMMPS keeps them in order)."""
        count = len(self._rows)
        return self._rows if in_order(tags, count) else np.argsort(tags[:count])

    def _image(self) -> np.ndarray:
        return self._views.images(len(self._rows)) if self.system.periodic else self._no_image

    def _gather(self, x: np.ndarray, order: np.ndarray) -> np.ndarray:
        positions = np.empty((self.n_replicas, self.n_atoms, 3))
        gather_positions(x, order, self._offsets, self._image(), self._image_bits, self._cell, positions)
        return positions

    def _scatter(self, x: np.ndarray, order: np.ndarray, positions: np.ndarray) -> None:
        current = np.empty((self.n_replicas, self.n_atoms, 3))
        status = np.empty(self.n_replicas, dtype=np.int8)
        if not scatter(positions, self._offsets, QUANTUM, self.layout.slot_radius, self.layout.drift_radius, order, x,
                       self._image(), self._image_bits, self._cell, current, status):
            bad = np.flatnonzero(status == NON_FINITE).tolist()
            if bad:
                raise StructureError(f"non-finite positions for replica(s) {bad}; they were not applied")
            raise self.layout.escape_error(positions, np.flatnonzero(status == ESCAPED).tolist())
        self._current = current

    def _read(self, x: np.ndarray, tags: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        order = self._order(tags)
        forces = np.empty((self.n_replicas, self.n_atoms, 3))
        energies = np.empty(self.n_replicas)
        count = len(self._rows)
        if not gather_forces(self._views.forces(count), self._views.compute_per_atom("lopt_pe", count), order, forces, energies):
            bad = ~(np.isfinite(energies) & np.isfinite(forces).all(axis=(1, 2)))
            raise EngineError(
                f"LAMMPS returned non-finite energy or forces for replica(s) "
                f"{np.flatnonzero(bad).tolist()} of {self.system.formula}; the structure is "
                "broken (overlapping atoms or an exploded step)"
            )
        return self._gather(x, order), forces, energies, order

    def _on_step(self, tags: np.ndarray, x: np.ndarray, fext: np.ndarray) -> None:
        """The ``fix external`` callback: dispatch to the active handler."""
        fext[:] = 0.0
        if self._handler is not None and not self._stop:
            self._handler(x, tags)

    def _halt(self) -> None:
        self._stop = True
        self.lmp.set_internal_variable("lopt_halt", 1.0)

    def _run_lammps(self, n_steps: int) -> None:
        self._stop = False
        self.lmp.set_internal_variable("lopt_halt", 0.0)
        self._commands([f"run {n_steps} post no"])

    # -- public API -------------------------------------------------------------------

    def set_positions(self, positions: np.ndarray, check: bool = True) -> None:
        """Place all replicas; ``positions`` is (B, N, 3), or (N, 3) for every replica."""
        self._end_session()
        x = self._validated(positions, check)
        count = self.n_replicas * self.n_atoms
        tags = self.lmp.numpy.extract_atom("id")[:count]
        self._scatter(self.lmp.numpy.extract_atom("x"), self._order(tags), x)

    def _validated(self, positions: np.ndarray, check: bool) -> np.ndarray:
        x = np.asarray(positions, dtype=float)
        if x.ndim == 2:
            x = np.broadcast_to(x, (self.n_replicas, *x.shape))
        if x.ndim != 3 or x.shape[0] != self.n_replicas:
            raise StructureError(f"expected positions of {self.n_replicas} replicas, got shape {x.shape}")
        return check_positions(self.system, x) if check else x

    def positions(self) -> np.ndarray:
        """Current positions (B, N, 3) in replica frames."""
        if self._current is None:
            raise StructureError("no positions set: call set_positions() or pass positions")
        return self._current.copy()

    def run(self, n_evaluations: int, callback: StepCallback) -> int:
        """Evaluate ``n_evaluations`` times inside one LAMMPS ``run``, calling ``callback`` each time.

        The callback receives positions, forces and energies of all replicas and returns
        the positions to evaluate next (the last return value stays as the current
        positions). Returns the number of evaluations done (fewer after :meth:`stop`).
        Errors raised in the callback, and non-finite energies, end the run and are re-raised.
        """
        if n_evaluations < 1:
            raise EngineError(f"the number of evaluations must be positive, got {n_evaluations}")
        self._end_session()
        if self._current is None:
            raise StructureError("no positions set: call set_positions() first")
        done = 0
        error: list[BaseException] = []

        def handler(x: np.ndarray, tags: np.ndarray) -> None:
            nonlocal done
            try:
                positions, forces, energies, order = self._read(x, tags)
                done += 1
                self.evaluations += 1
                new = np.asarray(callback(positions, forces, energies), dtype=float)
                self._scatter(x, order, new)
            except BaseException as err:  # cannot cross the C callback; re-raised below
                error.append(err)
                self._halt()
                return
            if done >= n_evaluations:
                self._halt()

        self._handler = handler
        try:
            # a run of k steps calls the fix at set-up and after each step: k + 1 evaluations
            self._run_lammps(n_evaluations - 1)
        finally:
            self._handler = None
        if error:
            raise error[0]
        return done

    def stop(self) -> None:
        """From inside a :meth:`run` callback: end the run after this evaluation."""
        self._halt()

    def minimize(self, style: str = "cg", force_tolerance: float = 1e-6, max_evaluations: int = 10000) -> tuple[int, np.ndarray, np.ndarray]:
        """Relax all replicas with LAMMPS ``minimize`` (``min_style`` ``style``).

        Stops when the 2-norm of the whole force vector drops below ``force_tolerance``
        or after ``max_evaluations`` force evaluations. Returns the number of evaluations
        LAMMPS made (counted through the fix) and the final energies and forces.
        """
        self._end_session()
        if self._current is None:
            raise StructureError("no positions set: call set_positions() first")
        count = 0

        def handler(_x: np.ndarray, _tags: np.ndarray) -> None:
            nonlocal count
            count += 1

        self._handler = handler
        self._stop = False
        self.lmp.set_internal_variable("lopt_halt", 0.0)
        try:
            self._commands([
                f"min_style {style}",
                f"minimize 0.0 {force_tolerance!r} {max_evaluations} {max_evaluations}",
            ])
        finally:
            self._handler = None
        self.evaluations += count
        n_total = self.n_replicas * self.n_atoms
        tags = self.lmp.numpy.extract_atom("id")[:n_total]
        order = self._order(tags)
        relaxed = self._gather(self.lmp.numpy.extract_atom("x"), order)
        if self.n_replicas == 1:  # the minimizer's last energy and forces are those of its final positions
            forces = self.lmp.numpy.extract_atom("f")[order].reshape(1, self.n_atoms, 3)
            energies = np.array([self.lmp.get_thermo("pe")])
            self.set_positions(relaxed, check=False)
            return count, energies, forces
        self.set_positions(relaxed, check=False)
        final: list[tuple[np.ndarray, np.ndarray]] = []
        self.run(1, lambda x, f, e: final.append((e, f)) or x)
        self.evaluations -= 1  # reading the result is not a new evaluation
        return count, final[0][0], final[0][1]

    def energy_forces(self, positions: np.ndarray | None = None, check: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Energies (B,) and forces (B, N, 3) at ``positions`` (default: the current ones).

        ``check`` validates the positions first (shape, finite, no overlapping atoms).
        """
        if positions is None:
            if self._current is None:
                raise StructureError("no positions set: call set_positions() or pass positions")
            x = self._current
        else:
            x = self._validated(positions, check)
        if self._worker is None:
            if self._current is None:
                self.set_positions(x, check=False)
            self._start_session()
        self._requests.put(x)
        kind, payload = self._results.get()
        if kind == "error":
            self._end_session()
            raise payload
        self.evaluations += 1
        return payload

    # -- the evaluation session of energy_forces ---------------------------------------

    def _start_session(self) -> None:
        self._requests: queue.SimpleQueue = queue.SimpleQueue()
        self._results: queue.SimpleQueue = queue.SimpleQueue()
        pending = False

        def handler(x: np.ndarray, tags: np.ndarray) -> None:
            nonlocal pending
            try:
                if pending:  # the positions written last step have just been evaluated
                    _, forces, energies, _ = self._read(x, tags)
                    self._results.put(("ok", (energies, forces)))
                    pending = False
                request = self._requests.get()
                if request is _CLOSE:
                    self._halt()
                    return
                self._scatter(x, self._order(tags), request)
                pending = True
            except BaseException as err:
                self._results.put(("error", err))
                self._halt()

        def work() -> None:
            try:
                self._run_lammps(_FOREVER)
            except BaseException as err:
                self._results.put(("error", err))
            finally:
                self._handler = None

        self._handler = handler
        self._worker = threading.Thread(target=work, name="lopt-lammps-engine", daemon=True)
        self._worker.start()

    def _end_session(self) -> None:
        if self._worker is None:
            return
        if self._worker.is_alive():
            self._requests.put(_CLOSE)
            self._worker.join()
        self._worker = None

    def close(self) -> None:
        """End any open evaluation session and shut LAMMPS down."""
        if getattr(self, "lmp", None) is not None:
            self._end_session()
            self.lmp.close()
            self.lmp = None

    def __enter__(self) -> "BatchedEngine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
