"""One LAMMPS instance holding B independent replicas of a system.

Replicas are atoms with molecule ID ``b + 1``, and the neighbour list excludes every
pair of atoms from different molecules (``neigh_modify exclude molecule/inter``), so
replicas never interact whatever their positions:

* free clusters sit on a cubic grid of slots farther apart than the cutoff (which also
  keeps neighbour binning cheap); a cluster whose centre drifts is recentred in its slot,
  and one that spreads beyond its slot raises :class:`ReplicaEscapeError`;
* periodic cells all occupy the same periodic box, on top of each other.

Positions given to and received from callers are in each replica's own frame:
cluster coordinates relative to the slot centre, periodic coordinates unwrapped.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from .errors import EngineError, PotentialError, ReplicaEscapeError, StructureError
from .lammps_runtime import Accelerator, start_lammps
from .structures import check_positions
from .systems import System

#: callback(x, f, e) -> next positions, all (B, N, 3) / (B,) arrays in replica frames
StepCallback = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]

_SKIN = {"lj": 0.3, "metal": 1.0}


class BatchedEngine:
    """Energies and forces of ``n_replicas`` copies of ``system`` from one LAMMPS instance.

    ``energy_forces(x)`` evaluates positions (B, N, 3); ``run(n, callback)`` performs n
    evaluations inside a LAMMPS ``run`` through ``fix external pf/callback``, the callback
    returning the positions to evaluate next.
    """

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
        self.skin = _SKIN[system.potential.units]
        #: farthest an atom of a free cluster may be from its centre before it counts as escaped
        self.slot_radius = slot_radius or max(2.0 * system.cluster_radius(), system.cluster_radius() + self.cutoff)
        self.offsets = self._slot_offsets()
        self.lmp = start_lammps(accelerator, log_file)
        self._callback: StepCallback | None = None
        self._stop = False
        self._error: BaseException | None = None
        self._order: np.ndarray | None = None
        self.evaluations = 0
        try:
            self._build()
        except Exception:
            self.close()
            raise

    # -- set-up ---------------------------------------------------------------------

    def _slot_offsets(self) -> np.ndarray:
        if self.system.periodic:
            return np.zeros((self.n_replicas, 3))
        side = math.ceil(self.n_replicas ** (1 / 3))
        self.spacing = 2 * self.slot_radius + self.cutoff + self.skin
        grid = np.array([(i, j, k) for i in range(side) for j in range(side) for k in range(side)])
        return grid[: self.n_replicas] * self.spacing

    def _box_commands(self) -> list[str]:
        if self.system.periodic:
            length = self.system.cell_length()
            return ["boundary p p p", f"region lopt_box block 0 {length!r} 0 {length!r} 0 {length!r}"]
        lo = -self.slot_radius - self.skin
        hi = self.offsets.max(axis=0) + self.slot_radius + self.skin
        bounds = " ".join(f"{lo!r} {float(h)!r}" for h in hi)
        return ["boundary m m m", f"region lopt_box block {bounds}"]

    def _build(self) -> None:
        system = self.system
        commands = [
            f"units {system.potential.units}",
            "atom_style atomic",
            "atom_modify map array sort 0 0.0",
            *self._box_commands(),
            f"create_box {len(system.elements)} lopt_box",
            "fix lopt_mol all property/atom mol ghost yes",
        ]
        self._commands(commands)
        try:
            self._commands(system.potential.lammps_commands(system.elements))
        except EngineError as err:
            raise PotentialError(
                f"LAMMPS rejected potential {system.potential.name!r}: {err}. Check the "
                "potential file, or regenerate it."
            ) from err
        self._commands([
            f"neighbor {self.skin!r} bin",
            "neigh_modify every 1 delay 0 check yes exclude molecule/inter all",
            "compute lopt_pe all pe/atom",
            # requesting per-atom energies every step makes LAMMPS tally them every step
            "fix lopt_tally all ave/atom 1 1 1 c_lopt_pe",
            "fix lopt_ext all external pf/callback 1 1",
            "thermo_style custom step pe",
            "thermo 0",
        ])
        n_total = self.n_replicas * self.n_atoms
        types = np.tile(system.types, self.n_replicas)
        start = np.zeros((self.n_replicas, self.n_atoms, 3)) + self.offsets[:, None, :]
        self.lmp.create_atoms(n_total, list(range(1, n_total + 1)), types.tolist(), start.ravel().tolist())
        tags = self.lmp.numpy.extract_atom("id")[:n_total]
        self.lmp.numpy.extract_atom("molecule")[:n_total] = (tags - 1) // self.n_atoms + 1
        self.lmp.set_fix_external_callback("lopt_ext", self._on_step)
        self._has_positions = False

    def _commands(self, commands: list[str]) -> None:
        for command in commands:
            try:
                self.lmp.command(command)
            except Exception as err:
                raise EngineError(f"LAMMPS command {command!r} failed: {err}") from err

    # -- atom order and frames --------------------------------------------------------

    def _index(self, tags: np.ndarray) -> np.ndarray:
        """Row of each atom in the (B*N) replica-major order, from LAMMPS atom IDs."""
        if self._order is None or len(self._order) != len(tags) or not np.array_equal(self._tags_seen, tags):
            self._tags_seen = tags.copy()
            self._order = np.argsort(tags)
        return self._order

    def _image_shift(self, nlocal: int) -> np.ndarray:
        """Unwrapping shift (nlocal, 3) of periodic atoms from their image flags."""
        image = self.lmp.numpy.extract_atom("image")[:nlocal].astype(np.int64)
        mask, middle, bits, bits2 = (self.lmp.extract_setting(k) for k in ("IMGMASK", "IMGMAX", "IMGBITS", "IMG2BITS"))
        flags = np.stack([image & mask, (image >> bits) & mask, image >> bits2], axis=1) - middle
        return flags * self.system.cell_length()

    def _read(self, nlocal: int, tags: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Positions, forces and per-replica energies in replica order and frames."""
        order = self._index(tags)
        shape = (self.n_replicas, self.n_atoms, 3)
        pos = x[:nlocal]
        if self.system.periodic:
            pos = pos + self._image_shift(nlocal)
        positions = pos[order].reshape(shape) - self.offsets[:, None, :]
        forces = self.lmp.numpy.extract_atom("f")[:nlocal][order].reshape(shape)
        per_atom = self.lmp.numpy.extract_compute("lopt_pe", 1, 1)[:nlocal][order]
        energies = per_atom.reshape(self.n_replicas, self.n_atoms).sum(axis=1)
        return positions, forces.copy(), energies

    def _write(self, x_lammps: np.ndarray, nlocal: int, tags: np.ndarray, positions: np.ndarray) -> None:
        """Store replica-frame positions into LAMMPS' coordinate array."""
        if not np.isfinite(positions).all():
            bad = np.flatnonzero(~np.isfinite(positions).all(axis=(1, 2))).tolist()
            raise StructureError(f"non-finite positions for replica(s) {bad}; they were not applied")
        if not self.system.periodic:
            positions = self._contain(positions)
        flat = (positions + self.offsets[:, None, :]).reshape(-1, 3)
        order = self._index(tags)
        if self.system.periodic:
            flat = flat - self._image_shift(nlocal)[order]
        x_lammps[order] = flat
        self._has_positions = True

    def _contain(self, positions: np.ndarray) -> np.ndarray:
        """Recentre drifted clusters; raise if one spreads beyond its slot."""
        centres = positions.mean(axis=1, keepdims=True)
        relative = positions - centres
        extent = np.linalg.norm(relative, axis=2).max(axis=1)
        escaped = np.flatnonzero(extent > self.slot_radius).tolist()
        if escaped:
            raise ReplicaEscapeError(
                f"replica(s) {escaped} of {self.system.formula} spread to {extent.max():.2f} from "
                f"their centre, beyond the slot radius {self.slot_radius:.2f}: the cluster "
                "dissociated or exploded. Restart those replicas from new structures, lower the "
                "step size, or raise slot_radius.",
                escaped,
            )
        drifted = np.linalg.norm(centres[:, 0, :], axis=1) > 0.25 * self.slot_radius
        return np.where(drifted[:, None, None], relative, positions)

    # -- public API -------------------------------------------------------------------

    def set_positions(self, positions: np.ndarray, check: bool = True) -> None:
        """Place all replicas; ``positions`` is (B, N, 3), or (N, 3) for every replica."""
        x = np.asarray(positions, dtype=float)
        if x.ndim == 2:
            x = np.broadcast_to(x, (self.n_replicas, *x.shape))
        if x.shape[0] != self.n_replicas:
            raise StructureError(f"expected {self.n_replicas} replicas, got {x.shape[0]}")
        if check:
            check_positions(self.system, x)
        nlocal = self.lmp.extract_global("nlocal")
        tags = self.lmp.numpy.extract_atom("id")[:nlocal]
        self._write(self.lmp.numpy.extract_atom("x"), nlocal, tags, x)

    def positions(self) -> np.ndarray:
        """Current positions (B, N, 3) in replica frames."""
        nlocal = self.lmp.extract_global("nlocal")
        tags = self.lmp.numpy.extract_atom("id")[:nlocal]
        order = self._index(tags)
        x = self.lmp.numpy.extract_atom("x")[:nlocal]
        if self.system.periodic:
            x = x + self._image_shift(nlocal)
        return x[order].reshape(self.n_replicas, self.n_atoms, 3) - self.offsets[:, None, :]

    def energy_forces(self, positions: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Energies (B,) and forces (B, N, 3) at ``positions`` (default: the current ones)."""
        if positions is not None:
            self.set_positions(positions)
        if not self._has_positions:
            raise StructureError("no positions set: call set_positions() or pass positions")
        results: list[tuple[np.ndarray, np.ndarray]] = []

        def capture(x: np.ndarray, f: np.ndarray, e: np.ndarray) -> np.ndarray:
            results.append((e, f))
            return x

        self.run(1, capture)
        return results[0]

    def stop(self) -> None:
        """From inside a callback: end the current :meth:`run` after this evaluation."""
        self._stop = True

    def run(self, n_evaluations: int, callback: StepCallback, chunk: int = 200) -> int:
        """Evaluate ``n_evaluations`` times inside LAMMPS ``run``, calling ``callback`` each time.

        The callback receives positions, forces and energies of all replicas and returns
        the positions to evaluate next (the last return value stays as the current
        positions). Returns the number of evaluations done (fewer after :meth:`stop`).
        Non-finite energies or forces raise :class:`EngineError`.
        """
        if n_evaluations < 1:
            raise EngineError(f"the number of evaluations must be positive, got {n_evaluations}")
        if not self._has_positions:
            raise StructureError("no positions set: call set_positions() first")
        self._callback, self._stop, self._error = callback, False, None
        done_before = self.evaluations
        try:
            while self.evaluations - done_before < n_evaluations and not self._stop:
                steps = min(chunk, n_evaluations - (self.evaluations - done_before))
                # a run of k steps calls the fix at set-up and after each step: k + 1 evaluations
                self._commands([f"run {steps - 1} post no"])
                if self._error is not None:
                    raise self._error
        finally:
            self._callback = None
        return self.evaluations - done_before

    def _on_step(self, _caller: object, _step: int, nlocal: int, tags: np.ndarray, x: np.ndarray, fext: np.ndarray) -> None:
        """The ``fix external`` callback: read, call the user's callback, write back."""
        fext[:] = 0.0
        if self._callback is None or self._stop:
            return
        try:
            positions, forces, energies = self._read(nlocal, tags, x)
            self.evaluations += 1
            bad = ~(np.isfinite(energies) & np.isfinite(forces).all(axis=(1, 2)))
            if bad.any():
                raise EngineError(
                    f"LAMMPS returned non-finite energy or forces for replica(s) "
                    f"{np.flatnonzero(bad).tolist()} of {self.system.formula}; the structure is "
                    "probably broken (overlapping atoms or an exploded step)"
                )
            new_positions = self._callback(positions, forces, energies)
            self._write(x, nlocal, tags, np.asarray(new_positions, dtype=float))
        except BaseException as err:  # exceptions cannot cross the C callback; re-raised by run()
            self._error = err
            self._stop = True

    def close(self) -> None:
        """Shut the LAMMPS instance down."""
        if getattr(self, "lmp", None) is not None:
            self.lmp.close()
            self.lmp = None

    def __enter__(self) -> "BatchedEngine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
