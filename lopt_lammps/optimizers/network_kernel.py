"""The learned optimizer's MLP, compiled (numba): what :mod:`.network`'s parameters compute.

:func:`mlp` runs every row of its input through dense layers with SiLU activations
between them, reading the weights from the flat parameter vector ``theta``. Rows are
processed in blocks of :data:`LANES`, transposed so that the innermost loops run across
the block's rows: each row's number is a fixed sequence of single-precision products
and sums (no reordering, no fused multiply-add), so it is bit for bit the same whatever
else is in the batch, freshly compiled or loaded from numba's cache, in a vector lane
or not. SiLU's exponential is computed here (range reduction and a polynomial, relative
error about 1e-7) because the library's runs one number at a time.
"""

from __future__ import annotations

import numba
import numpy as np

#: rows per block: the length of the vectorised loops
LANES = 64

_ONE = np.float32(1.0)


@numba.njit(cache=True, error_model="numpy")
def _dense(theta, offset, n_in, n_out, a, h):
    """h[j] = b[j] + sum_k a[k] W[k, j] over the block's rows, W (n_in, n_out) then b at
    ``offset``. The sum runs from the bias over k in order, up to four terms per pass over
    the block and two outputs per pass (the passes, not the order, are what the loop
    layout changes: each a[k] read serves both outputs)."""
    bias = offset + n_in * n_out
    for j in range(n_out):
        b = theta[bias + j]
        for lane in range(LANES):
            h[j, lane] = b
    for j in range(0, n_out - 1, 2):
        k = 0
        while n_in - k >= 4:
            row = offset + k * n_out + j
            w0, w1, w2, w3 = theta[row], theta[row + n_out], theta[row + 2 * n_out], theta[row + 3 * n_out]
            v0, v1, v2, v3 = theta[row + 1], theta[row + 1 + n_out], theta[row + 1 + 2 * n_out], theta[row + 1 + 3 * n_out]
            for lane in range(LANES):
                a0, a1, a2, a3 = a[k, lane], a[k + 1, lane], a[k + 2, lane], a[k + 3, lane]
                h[j, lane] = (((h[j, lane] + w0 * a0) + w1 * a1) + w2 * a2) + w3 * a3
                h[j + 1, lane] = (((h[j + 1, lane] + v0 * a0) + v1 * a1) + v2 * a2) + v3 * a3
            k += 4
        _terms(theta, offset, n_in, n_out, j, k, a, h)
        _terms(theta, offset, n_in, n_out, j + 1, k, a, h)
    if n_out % 2:
        _terms(theta, offset, n_in, n_out, n_out - 1, 0, a, h)


@numba.njit(cache=True, error_model="numpy")
def _terms(theta, offset, n_in, n_out, j, k, a, h):
    """h[j] += a[k'] W[k', j] for k' from ``k`` on, in order, up to four terms per pass."""
    while k < n_in:
        w0 = theta[offset + k * n_out + j]
        if n_in - k >= 4:
            w1, w2, w3 = theta[offset + (k + 1) * n_out + j], theta[offset + (k + 2) * n_out + j], theta[offset + (k + 3) * n_out + j]
            for lane in range(LANES):
                h[j, lane] = (((h[j, lane] + w0 * a[k, lane]) + w1 * a[k + 1, lane]) + w2 * a[k + 2, lane]) + w3 * a[k + 3, lane]
            k += 4
        elif n_in - k == 3:
            w1, w2 = theta[offset + (k + 1) * n_out + j], theta[offset + (k + 2) * n_out + j]
            for lane in range(LANES):
                h[j, lane] = ((h[j, lane] + w0 * a[k, lane]) + w1 * a[k + 1, lane]) + w2 * a[k + 2, lane]
            k += 3
        elif n_in - k == 2:
            w1 = theta[offset + (k + 1) * n_out + j]
            for lane in range(LANES):
                h[j, lane] = (h[j, lane] + w0 * a[k, lane]) + w1 * a[k + 1, lane]
            k += 2
        else:
            for lane in range(LANES):
                h[j, lane] += w0 * a[k, lane]
            k += 1


@numba.njit(cache=True, error_model="numpy")
def _silu(h, n, a, bits):
    """a[j] = h[j] / (1 + exp(-h[j])) for the first ``n`` rows of the block; ``bits`` (LANES,) int32 scratch."""
    scale = bits.view(np.float32)
    for j in range(n):
        for lane in range(LANES):  # exp(z) = 2^k exp(r), |r| <= ln 2 / 2
            z = -h[j, lane]
            z = np.float32(-87.0) if z < np.float32(-87.0) else z
            z = np.float32(88.0) if z > np.float32(88.0) else z
            k = np.floor(z * np.float32(1.44269504) + np.float32(0.5))
            r = z - k * np.float32(0.693359375) + k * np.float32(2.12194440e-4)
            p = np.float32(1.9875691500e-4)
            p = p * r + np.float32(1.3981999507e-3)
            p = p * r + np.float32(8.3334519073e-3)
            p = p * r + np.float32(4.1665795894e-2)
            p = p * r + np.float32(1.6666665459e-1)
            p = p * r + np.float32(5.0000001201e-1)
            a[j, lane] = p * r * r + r + _ONE
            bits[lane] = (np.int32(k) + np.int32(127)) << np.int32(23)  # 2^k
        for lane in range(LANES):
            a[j, lane] = h[j, lane] / (_ONE + a[j, lane] * scale[lane])


@numba.njit(cache=True, error_model="numpy")
def mlp(inputs, theta, start, sizes, out):
    """out (M, sizes[-1]) = the MLP of inputs (M, sizes[0]), both float32.

    ``theta`` (G, P) float32 holds G parameter sets: the rows are G equal groups in order,
    group g using set g (G = 1: every row shares one set). From offset ``start`` each
    layer's W (in, out), row-major, then its bias; SiLU between layers, none after the last.
    """
    n_rows = inputs.shape[0]
    n_groups, n_layers = theta.shape[0], sizes.shape[0] - 1
    per_group = n_rows // n_groups
    width = sizes.max()
    a = np.empty((width, LANES), dtype=np.float32)
    h = np.empty((width, LANES), dtype=np.float32)
    bits = np.empty(LANES, dtype=np.int32)
    for g in range(n_groups):
        weights = theta[g]
        for first in range(g * per_group, (g + 1) * per_group, LANES):
            count = min(LANES, (g + 1) * per_group - first)
            for k in range(sizes[0]):
                for lane in range(LANES):
                    a[k, lane] = inputs[first + lane, k] if lane < count else np.float32(0.0)
            offset = start
            for layer in range(n_layers):
                n_in, n_out = sizes[layer], sizes[layer + 1]
                _dense(weights, offset, n_in, n_out, a, h)
                offset += n_in * n_out + n_out
                if layer < n_layers - 1:
                    _silu(h, n_out, a, bits)
            for lane in range(count):
                for j in range(sizes[n_layers]):
                    out[first + lane, j] = h[j, lane]
