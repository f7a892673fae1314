"""Plain-loop pooling: the executable specification of :mod:`cnnref.pooling`.

One window at a time, written to be read next to the definition; slow on
purpose. The padding is never materialised: window (i, j) visits the taps
``(i·sh - ph + a·dh, j·sw - pw + b·dw)`` and reads only those inside ``x``,
which is what padding with -inf (max) or zeros (average) means. A ``ceil_mode``
window that overhangs past the padding is no different: its taps outside ``x``
are simply not read.

Average pooling divides by ``divisor_override`` if given, else by the taps of
the window inside the padded input ``[-ph, H + ph) x [-pw, W + pw)``
(``count_include_pad=True``: PyTorch counts the padding but not the overhang
of a ``ceil_mode`` window), else by the taps inside ``x``.

x : (N, C, H, W) only; the arguments mean what they mean in
:func:`cnnref.max_pool2d` and are checked by the same code.
"""

from __future__ import annotations

import math

import numpy as np

from ._validate import as_real_array, check_ndim
from .pool_windows import avg_divisor_options, check_flag, pool_geometry, unpool_output_hw


def _setup(x, kernel_size, stride, padding, dilation, ceil_mode, grad_y=None):
    x = as_real_array("x", x)
    check_ndim("x", x, (4,), "(N, C, H, W)")
    geo = pool_geometry(x.shape, kernel_size, stride, padding, dilation, ceil_mode)
    if grad_y is not None:
        grad_y = as_real_array("grad_y", grad_y)
        expected = (*x.shape[:2], *geo.out_hw)
        if grad_y.shape != expected:
            raise ValueError(f"grad_y: expected the output shape {expected}, got {grad_y.shape}")
    return x, geo, grad_y


def _taps(geo, i, j):
    """Every (row, col) tap of window (i, j), inside x or not, in row-major order."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = geo.kernel, geo.stride, geo.padding, geo.dilation
    for a in range(kh):
        for b in range(kw):
            yield i * sh - ph + a * dh, j * sw - pw + b * dw


def _positions(geo, i, j):
    """The (row, col) positions of x inside window (i, j), in row-major order."""
    h, w = geo.in_hw
    for r, c in _taps(geo, i, j):
        if 0 <= r < h and 0 <= c < w:
            yield r, c


def _argmax(plane, geo, i, j):
    """First position holding the window's maximum, scanning in row-major order.

    PyTorch's rule: start at the first position, move on when a value is larger
    or is NaN (so a window with NaN points at its last NaN).
    """
    best, where = -math.inf, None
    for r, c in _positions(geo, i, j):
        v = plane[r, c]
        if where is None or v > best or math.isnan(v):
            best, where = v, (r, c)
    return where


def max_pool2d_naive(
    x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """Loop definition of :func:`cnnref.max_pool2d`. Returns y (N, C, Ho, Wo), and with
    ``return_indices`` also the flat index ``r·W + c`` of each maximum (int64)."""
    return_indices = check_flag("return_indices", return_indices)
    x, geo, _ = _setup(x, kernel_size, stride, padding, dilation, ceil_mode)
    y = np.empty((*x.shape[:2], *geo.out_hw), dtype=x.dtype)
    indices = np.empty(y.shape, dtype=np.int64)
    for n in range(x.shape[0]):
        for ch in range(x.shape[1]):
            for i in range(geo.out_hw[0]):
                for j in range(geo.out_hw[1]):
                    r, c = _argmax(x[n, ch], geo, i, j)
                    y[n, ch, i, j] = x[n, ch, r, c]
                    indices[n, ch, i, j] = r * geo.in_hw[1] + c
    return (y, indices) if return_indices else y


def max_pool2d_backward_naive(
    grad_y, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False
) -> np.ndarray:
    """Loop definition of :func:`cnnref.max_pool2d_backward`: δ to each window's argmax."""
    x, geo, grad_y = _setup(x, kernel_size, stride, padding, dilation, ceil_mode, grad_y)
    grad_x = np.zeros(x.shape, dtype=np.result_type(x.dtype, grad_y.dtype))
    for n in range(x.shape[0]):
        for ch in range(x.shape[1]):
            for i in range(geo.out_hw[0]):
                for j in range(geo.out_hw[1]):
                    r, c = _argmax(x[n, ch], geo, i, j)
                    grad_x[n, ch, r, c] += grad_y[n, ch, i, j]
    return grad_x


def max_unpool2d_naive(
    y, indices, kernel_size, stride=None, padding=0, output_size=None
) -> np.ndarray:
    """Loop definition of :func:`cnnref.max_unpool2d`: y (N, C, Hi, Wi) written, in row-major
    order, at the flat positions ``indices`` of zero planes (N, C, H, W); a later write wins."""
    y = as_real_array("y", y)
    check_ndim("y", y, (4,), "(N, C, H, W)")
    indices = np.asarray(indices)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"indices: expected an integer array, got dtype {indices.dtype}")
    if indices.shape != y.shape:
        raise ValueError(f"indices: expected the shape of y {y.shape}, got {indices.shape}")
    h, w = unpool_output_hw(y.shape[2:], kernel_size, stride, padding, output_size)
    out = np.zeros((*y.shape[:2], h, w), dtype=y.dtype)
    for n in range(y.shape[0]):
        for ch in range(y.shape[1]):
            for i in range(y.shape[2]):
                for j in range(y.shape[3]):
                    k = int(indices[n, ch, i, j])
                    if not 0 <= k < h * w:
                        raise ValueError(
                            f"indices: expected flat positions in [0, {h * w}) of the "
                            f"{h}x{w} output, got {k}"
                        )
                    out[n, ch, k // w, k % w] = y[n, ch, i, j]
    return out


def _divisor(geo, i, j, count_include_pad, divisor_override):
    """What average pooling divides window (i, j) by."""
    if divisor_override is not None:
        return divisor_override
    if not count_include_pad:
        return len(list(_positions(geo, i, j)))
    (h, w), (ph, pw) = geo.in_hw, geo.padding
    return sum(1 for r, c in _taps(geo, i, j) if -ph <= r < h + ph and -pw <= c < w + pw)


def avg_pool2d_naive(
    x,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
) -> np.ndarray:
    """Loop definition of :func:`cnnref.avg_pool2d`. Returns (N, C, Ho, Wo)."""
    options = avg_divisor_options(count_include_pad, divisor_override)
    x, geo, _ = _setup(x, kernel_size, stride, padding, 1, ceil_mode)
    y = np.empty((*x.shape[:2], *geo.out_hw), dtype=x.dtype)
    for n in range(x.shape[0]):
        for ch in range(x.shape[1]):
            for i in range(geo.out_hw[0]):
                for j in range(geo.out_hw[1]):
                    total = sum(x[n, ch, r, c] for r, c in _positions(geo, i, j))
                    y[n, ch, i, j] = total / _divisor(geo, i, j, *options)
    return y


def avg_pool2d_backward_naive(
    grad_y,
    x,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
) -> np.ndarray:
    """Loop definition of :func:`cnnref.avg_pool2d_backward`: δ / divisor to each window entry."""
    options = avg_divisor_options(count_include_pad, divisor_override)
    x, geo, grad_y = _setup(x, kernel_size, stride, padding, 1, ceil_mode, grad_y)
    grad_x = np.zeros(x.shape, dtype=np.result_type(x.dtype, grad_y.dtype))
    for n in range(x.shape[0]):
        for ch in range(x.shape[1]):
            for i in range(geo.out_hw[0]):
                for j in range(geo.out_hw[1]):
                    share = grad_y[n, ch, i, j] / _divisor(geo, i, j, *options)
                    for r, c in _positions(geo, i, j):
                        grad_x[n, ch, r, c] += share
    return grad_x
