"""The learned rule's per-atom features and its final displacement, compiled (numba).

:func:`coordination` counts each atom's neighbours; :func:`features` advances the rule's
state (force momenta, second moment, best energy, noise counter) and writes the network's
inputs for every atom: rotation-invariant features and the vectors a step is built from
(see :mod:`.learned` for what they are).
:func:`displace` turns the network's output into capped displacements, and
:func:`counter_normal` draws the rule's noise.

All are loops over replicas, then atoms: every sum runs within one replica in a fixed
order, so a replica's numbers are bit for bit the same in any batch. Arithmetic is in
double precision; the network's inputs are written in single precision.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from .base import atom_scale

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_STEP_KEY = np.uint64(0xD1B54A32D192ED03)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


@numba.njit(cache=True, error_model="numpy")
def _uniform(key, index):
    """A uniform number in (0, 1) from a 64-bit key and an index (splitmix64 hashing)."""
    z = key + np.uint64(index) * _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    z = z ^ (z >> np.uint64(31))
    return (np.float64(z >> np.uint64(11)) + 0.5) / 9007199254740992.0  # 2^53


@numba.njit(cache=True, error_model="numpy")
def _uniforms(seeds, steps, pairs, which, u):
    for b in range(seeds.shape[0]):
        key = (np.uint64(seeds[b]) * _GOLDEN) ^ (np.uint64(steps[b]) * _STEP_KEY)
        for k in range(which.shape[0]):
            u[0, b, k] = _uniform(key, which[k])
            u[1, b, k] = _uniform(key, pairs + which[k])


def counter_normal(seeds: np.ndarray, steps: np.ndarray, count: int, indices: np.ndarray | None = None) -> np.ndarray:
    """Standard normal numbers (B, count), single precision, that depend only on each
    replica's seed and step: a counter-based generator (splitmix64 hashing of seed, step and
    element index, then Box-Muller, both of whose numbers are used: element k < count/2 is
    the cosine of pair k, the rest the sines), so a replica's noise never depends on its
    batch. The transcendental functions run vectorised (numpy), element by element alike.

    ``indices``: draw only these elements of the ``count`` (B, len(indices)), the same
    numbers as the full draw's at those places, at a cost in proportion to how many (a rank
    draws the noise of its own atoms only)."""
    pairs = (count + 1) // 2
    if indices is not None:
        indices = np.asarray(indices, dtype=np.int64)
    which = np.arange(pairs, dtype=np.int64) if indices is None else indices % pairs
    u = np.empty((2, len(seeds), len(which)))
    _uniforms(seeds, steps, pairs, which, u)
    radius = np.sqrt(-2.0 * np.log(u[0])).astype(np.float32)
    angle = (2.0 * np.pi * u[1]).astype(np.float32)
    if indices is None:
        return np.concatenate([radius * np.cos(angle), radius * np.sin(angle)], axis=1)[:, :count]
    return np.where(indices >= pairs, radius * np.sin(angle), radius * np.cos(angle))


#: the coordination sums run over a multiple of this many atoms (the vector loops then have no
#: scalar remainder; the padding atoms contribute exactly zero)
_LANES = 8


@numba.njit(cache=True, error_model="numpy", fastmath={"reassoc", "contract"})
def coordination(x, length, cell, radii, cn):
    """Smooth coordination numbers cn (B, N, R) of the replicas' atoms x (B, N, 3):
    sum_j 1 / (1 + (r_ij / (R_k L))^12) / 12, in single precision (vectorised over j;
    the sum's order is fixed by N alone).

    Fast-math lets the compiler order the sums, and its choice depends on the code around
    them: a compiled caller that inlines this function rounds differently when freshly
    compiled and when loaded from numba's cache. So this function calls no other compiled
    function and is called only from Python."""
    n_replicas, n_atoms, _ = x.shape
    n_radii = radii.shape[0]
    padded = (n_atoms + _LANES - 1) // _LANES * _LANES
    xs = np.zeros((3, padded), dtype=np.float32)  # in units of L
    q6 = np.empty(padded, dtype=np.float32)  # (r_ij / L)^6
    weights = np.empty(n_radii, dtype=np.float32)
    for k in range(n_radii):
        weights[k] = radii[k] ** -12.0
    edge, one = np.float32(cell / length), np.float32(1.0)
    for b in range(n_replicas):
        for i in range(n_atoms):
            for axis in range(3):
                xs[axis, i] = x[b, i, axis] / length
        for i in range(n_atoms):
            for j in range(padded):
                dx, dy, dz = xs[0, i] - xs[0, j], xs[1, i] - xs[1, j], xs[2, i] - xs[2, j]
                if cell > 0.0:  # nearest image
                    dx -= edge * np.rint(dx / edge)
                    dy -= edge * np.rint(dy / edge)
                    dz -= edge * np.rint(dz / edge)
                q2 = dx * dx + dy * dy + dz * dz
                q6[j] = q2 * q2 * q2
            q6[i] = np.inf  # no self term
            q6[n_atoms:] = np.inf  # nor padding
            for k in range(n_radii):
                total = np.float32(0.0)
                weight = weights[k]
                for j in range(padded):
                    total += one / (one + q6[j] * q6[j] * weight)
                cn[b, i, k] = total / 12.0


@numba.njit(cache=True, error_model="numpy")
def coordination_within(x, n_own, ids, length, radii, cutoff, cn):
    """:func:`coordination` of the first ``n_own`` atoms of x (M, 3), summed over the atoms
    of x within ``cutoff`` (others: ghost atoms, periodic images included) in the order of
    their ``ids`` (M,): cn (1, n_own, R). What a rank of a distributed cell computes; the sum
    and its order do not depend on how the cell is split. Atoms are binned in cubes of the
    cutoff, so the cost is linear in the atoms. The cell's edge must exceed twice the cutoff
    (each atom is then counted once)."""
    n_all, n_radii = x.shape[0], radii.shape[0]
    weights = np.empty(n_radii, dtype=np.float32)
    for k in range(n_radii):
        weights[k] = radii[k] ** -12.0
    # bins: cubes of edge >= cutoff over the atoms' bounding box
    low = np.empty(3)
    shape = np.empty(3, dtype=np.int64)
    for axis in range(3):
        low[axis] = x[:, axis].min()
        shape[axis] = max(1, int((x[:, axis].max() - low[axis]) / cutoff))
    size = np.empty(3)
    for axis in range(3):
        size[axis] = (x[:, axis].max() - low[axis]) / shape[axis] + 1e-12
    cell = np.empty((n_all, 3), dtype=np.int64)
    flat = np.empty(n_all, dtype=np.int64)
    for j in range(n_all):
        for axis in range(3):
            cell[j, axis] = min(int((x[j, axis] - low[axis]) / size[axis]), shape[axis] - 1)
        flat[j] = (cell[j, 0] * shape[1] + cell[j, 1]) * shape[2] + cell[j, 2]
    members = np.argsort(flat, kind="mergesort")
    starts = np.searchsorted(flat[members], np.arange(shape[0] * shape[1] * shape[2] + 1))
    cut2, scale2 = cutoff * cutoff, 1.0 / (length * length)
    near_ids = np.empty(n_all, dtype=np.int64)
    near_q6 = np.empty(n_all, dtype=np.float32)
    one = np.float32(1.0)
    for i in range(n_own):
        count = 0
        for a in range(max(cell[i, 0] - 1, 0), min(cell[i, 0] + 2, shape[0])):
            for b in range(max(cell[i, 1] - 1, 0), min(cell[i, 1] + 2, shape[1])):
                for c in range(max(cell[i, 2] - 1, 0), min(cell[i, 2] + 2, shape[2])):
                    box = (a * shape[1] + b) * shape[2] + c
                    for m in range(starts[box], starts[box + 1]):
                        j = members[m]
                        if ids[j] == ids[i]:
                            continue
                        dx, dy, dz = x[j, 0] - x[i, 0], x[j, 1] - x[i, 1], x[j, 2] - x[i, 2]
                        r2 = dx * dx + dy * dy + dz * dz
                        if r2 < cut2:
                            q2 = r2 * scale2
                            near_ids[count], near_q6[count] = ids[j], q2 * q2 * q2
                            count += 1
        order = np.argsort(near_ids[:count])
        for k in range(n_radii):
            total = np.float32(0.0)
            for index in order:
                q = near_q6[index]
                total += one / (one + q * q * weights[k])
            cn[0, i, k] = total / np.float32(12.0)


@numba.njit(cache=True, error_model="numpy")
def features(f, e, cn, state, new_state, noise, params, decays, magnitudes, invariants, vectors):
    """Advance ``state`` into ``new_state`` and fill ``invariants`` (B, N, F) and
    ``vectors`` (B, N, 3, 5) for forces ``f`` (B, N, 3), energies ``e``, coordination
    numbers ``cn`` (B, N, R; :func:`coordination`) and ``noise`` (B, 3N). The first five
    invariants are left to the caller: their arguments, the magnitudes of force, momenta
    and RMS force, go to ``magnitudes`` (B, N, 5).

    ``state`` and ``new_state`` are (m (B, 3, N, 3), v (B, N), t, best, since_best, calls (B,)),
    the same arrays or not;
    ``params`` is (length, energy, atoms, cell or 0, budget, second-moment decay).
    """
    m, v, t, best, since_best, calls = state
    new_m, new_v, new_t, new_best, new_since, new_calls = new_state
    length, energy, n_total, _cell, budget, beta2 = params
    n_replicas, n_atoms, n_radii = cn.shape
    force_unit = length / energy
    corrections = np.empty(3)
    m_hat = np.empty((3, 3))
    ft = np.empty(3)
    for b in range(n_replicas):  # every entry is read before it is written: new_state may be state itself
        tb, eb = t[b] + 1.0, e[b]
        best_b = min(best[b], eb)
        since_b = 0.0 if eb < best[b] else since_best[b] + 1.0
        new_t[b], new_best[b], new_since[b] = tb, best_b, since_b
        per_replica = (
            (tb - 1.0) / budget,
            min(max(eb / (n_total * energy), -2.0), 2.0),
            math.log1p(100.0 * max(eb - best_b, 0.0) / (n_total * energy)),
            math.log1p(since_b) / math.log1p(budget),
        )
        for k in range(3):
            corrections[k] = 1.0 / (1.0 - decays[k] ** tb)
        second_correction = 1.0 / (1.0 - beta2**tb)
        new_calls[b] = calls[b] + 1
        for i in range(n_atoms):
            f2 = 0.0
            for axis in range(3):
                ft[axis] = f[b, i, axis] * force_unit
                f2 += ft[axis] * ft[axis]
            vi = beta2 * v[b, i] + (1.0 - beta2) * f2
            new_v[b, i] = vi
            rms = np.sqrt(vi * second_correction + 1e-12)
            f_norm = np.sqrt(f2)
            out, sizes = invariants[b, i], magnitudes[b, i]
            sizes[0], sizes[4] = f_norm, rms
            for k in range(3):
                norm2 = dot = 0.0
                for axis in range(3):
                    mk = decays[k] * m[b, k, i, axis] + (1.0 - decays[k]) * ft[axis]
                    new_m[b, k, i, axis] = mk
                    m_hat[k, axis] = mk * corrections[k]
                    norm2 += m_hat[k, axis] * m_hat[k, axis]
                    dot += m_hat[k, axis] * ft[axis]
                m_norm = np.sqrt(norm2)
                sizes[1 + k] = m_norm
                out[5 + k] = dot / (m_norm * f_norm + 1e-12)
            for k in range(n_radii):
                out[8 + k] = cn[b, i, k]
            for k in range(4):
                out[8 + n_radii + k] = per_replica[k]
            inverse_rms = 1.0 / rms
            for axis in range(3):
                vec = vectors[b, i, axis]
                vec[0] = ft[axis] * inverse_rms
                for k in range(3):
                    vec[1 + k] = m_hat[k, axis] * inverse_rms
                vec[4] = noise[b, 3 * i + axis]


@numba.njit(cache=True, error_model="numpy")
def displace(x, vectors, coefficients, step, max_step, out):
    """``out = x + step * sum_k vectors[..., k] * coefficients[..., k]`` for positions x
    (B, N, 3), vectors (B, N, 3, K) and coefficients (B, N, K), each atom's displacement
    capped at ``max_step``."""
    n_replicas, n_atoms, _ = x.shape
    n_vectors = vectors.shape[3]
    for b in range(n_replicas):
        for i in range(n_atoms):
            c, v = coefficients[b, i], vectors[b, i]
            d0 = d1 = d2 = 0.0
            for k in range(n_vectors):
                d0 += v[0, k] * c[k]
                d1 += v[1, k] * c[k]
                d2 += v[2, k] * c[k]
            d0, d1, d2 = step * d0, step * d1, step * d2
            scale = atom_scale(d0, d1, d2, max_step)
            out[b, i, 0] = x[b, i, 0] + d0 * scale
            out[b, i, 1] = x[b, i, 1] + d1 * scale
            out[b, i, 2] = x[b, i, 2] + d2 * scale
