"""Compiled copies between LAMMPS's per-atom arrays and replica arrays (numba).

:func:`gather_positions` reads positions (unwrapped, in replica frames) and
:func:`gather_forces` forces and per-replica energies out of LAMMPS's arrays; :func:`scatter` writes new positions back
(containment of free clusters, rounding to the coordinate grid, slot offsets, periodic
wrapping with image flags). Both loop over replicas and atoms in a fixed order, so a
replica's numbers never depend on the others, and neither allocates: this runs at every
evaluation. ``order[k]`` is the LAMMPS row of the k-th atom in replica order.

Image flags are packed as LAMMPS packs them (``IMGMASK``, ``IMGMAX``, ``IMGBITS``,
``IMG2BITS``): ``image_bits`` holds those four settings.
"""

from __future__ import annotations

import numba
import numpy as np

#: a replica's :func:`scatter` status: fine, non-finite positions, spread beyond its slot
FINE, NON_FINITE, ESCAPED = 0, 1, 2


@numba.njit(cache=True, error_model="numpy")
def in_order(tags, count):
    """Whether LAMMPS holds atoms 1..count in its first ``count`` rows, in order."""
    for k in range(count):
        if tags[k] != k + 1:
            return False
    return True


@numba.njit(cache=True, error_model="numpy")
def _image_flag(image, row, axis, image_bits):
    mask, middle, bits, bits2 = image_bits[0], image_bits[1], image_bits[2], image_bits[3]
    value = np.int64(image[row])
    if axis == 0:
        return (value & mask) - middle
    if axis == 1:
        return ((value >> bits) & mask) - middle
    return (value >> bits2) - middle


@numba.njit(cache=True, error_model="numpy")
def gather_positions(x, order, offsets, image, image_bits, cell, positions):
    """Fill ``positions`` (B, N, 3) from LAMMPS's ``x``; periodic positions (``cell`` > 0)
    are unwrapped with the ``image`` flags."""
    n_replicas, n_atoms, _ = positions.shape
    for b in range(n_replicas):
        for i in range(n_atoms):
            row = order[b * n_atoms + i]
            for axis in range(3):
                p = x[row, axis]
                if cell > 0.0:
                    p = p + _image_flag(image, row, axis, image_bits) * cell
                positions[b, i, axis] = p - offsets[b, axis]


@numba.njit(cache=True, error_model="numpy")
def gather_forces(f, pe, order, forces, energies):
    """Fill ``forces`` (B, N, 3) and ``energies`` (B,) from LAMMPS's ``f`` and per-atom
    energies ``pe``. Returns whether all of them are finite."""
    n_replicas, n_atoms, _ = forces.shape
    finite = True
    for b in range(n_replicas):
        energy = 0.0
        for i in range(n_atoms):
            row = order[b * n_atoms + i]
            for axis in range(3):
                forces[b, i, axis] = f[row, axis]
                finite = finite and np.isfinite(f[row, axis])
            energy += pe[row]
        energies[b] = energy
        finite = finite and np.isfinite(energy)
    return finite


@numba.njit(cache=True, error_model="numpy")
def scatter(new, offsets, quantum, slot_radius, drift_radius, order, x, image, image_bits, cell, current, status):
    """Write ``new`` (B, N, 3, replica frames) into LAMMPS's ``x`` (and ``image``).

    Free clusters (``cell`` == 0) whose centre lies beyond ``drift_radius`` are recentred;
    coordinates are rounded to multiples of ``quantum``; periodic ones are wrapped into the
    cell. ``current`` receives the applied positions in replica frames. Returns whether
    they were applied; if not, nothing was written and ``status`` (B,) tells each
    replica's trouble (``NON_FINITE``, or ``ESCAPED``: a cluster spread beyond ``slot_radius``).
    """
    n_replicas, n_atoms, _ = new.shape
    centres = np.zeros((n_replicas, 3))
    fine = True
    for b in range(n_replicas):
        status[b] = FINE
        for i in range(n_atoms):
            for axis in range(3):
                if not np.isfinite(new[b, i, axis]):
                    status[b] = NON_FINITE
        if status[b] != FINE or cell > 0.0:
            fine = fine and status[b] == FINE
            continue
        for i in range(n_atoms):
            for axis in range(3):
                centres[b, axis] += new[b, i, axis]
        for axis in range(3):
            centres[b, axis] *= 1.0 / n_atoms
        extent = 0.0
        for i in range(n_atoms):
            r2 = 0.0
            for axis in range(3):
                d = new[b, i, axis] - centres[b, axis]
                r2 += d * d
            extent = max(extent, r2)
        if np.sqrt(extent) > slot_radius:
            status[b] = ESCAPED
            fine = False
        drift = centres[b, 0] ** 2 + centres[b, 1] ** 2 + centres[b, 2] ** 2
        if not drift > drift_radius**2:
            centres[b, :] = 0.0
    if not fine:
        return False
    inverse = 1.0 / quantum
    mask, middle, bits, bits2 = image_bits[0], image_bits[1], image_bits[2], image_bits[3]
    for b in range(n_replicas):
        for i in range(n_atoms):
            row = order[b * n_atoms + i]
            packed = np.int64(0)
            for axis in range(3):
                p = np.rint((new[b, i, axis] - centres[b, axis]) * inverse) * quantum
                current[b, i, axis] = p
                p = p + offsets[b, axis]
                if cell > 0.0:
                    flag = np.int64(np.floor(p / cell))
                    p = p - flag * cell
                    shift = 0 if axis == 0 else (bits if axis == 1 else bits2)
                    field = flag + middle
                    packed |= (field & mask if axis < 2 else field) << shift
                x[row, axis] = p
            if cell > 0.0:
                image[row] = packed
    return True
