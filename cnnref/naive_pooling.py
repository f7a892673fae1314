"""Plain-loop pooling: the executable specification of :mod:`cnnref.pooling`.

One window at a time, written to be read next to the definition; slow on
purpose. The padding is never materialised: a window only visits the
positions of ``x`` it covers, which is what padding with -inf (max) means, and
average pooling still divides by the full ``kh·kw`` (zeros padded in).

x : (N, C, H, W) only; the arguments mean what they mean in
:func:`cnnref.max_pool2d` and are checked by the same code.
"""

from __future__ import annotations

import math

import numpy as np

from ._validate import as_real_array, check_ndim
from .pooling import pool_geometry


def _setup(x, kernel_size, stride, padding, grad_y=None):
    x = as_real_array("x", x)
    check_ndim("x", x, (4,), "(N, C, H, W)")
    geo = pool_geometry(x.shape, kernel_size, stride, padding)
    if grad_y is not None:
        grad_y = as_real_array("grad_y", grad_y)
        expected = (*x.shape[:2], *geo.out_hw)
        if grad_y.shape != expected:
            raise ValueError(f"grad_y: expected the output shape {expected}, got {grad_y.shape}")
    return x, geo, grad_y


def _positions(geo, i, j):
    """The (row, col) positions of x inside window (i, j), in row-major order."""
    (kh, kw), (sh, sw), (ph, pw), (h, w) = geo.kernel, geo.stride, geo.padding, geo.in_hw
    for r in range(i * sh - ph, i * sh - ph + kh):
        for c in range(j * sw - pw, j * sw - pw + kw):
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


def max_pool2d_naive(x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """Loop definition of :func:`cnnref.max_pool2d`. Returns (N, C, Ho, Wo)."""
    x, geo, _ = _setup(x, kernel_size, stride, padding)
    y = np.empty((*x.shape[:2], *geo.out_hw), dtype=x.dtype)
    for n in range(x.shape[0]):
        for ch in range(x.shape[1]):
            for i in range(geo.out_hw[0]):
                for j in range(geo.out_hw[1]):
                    y[n, ch, i, j] = x[n, ch][_argmax(x[n, ch], geo, i, j)]
    return y


def max_pool2d_backward_naive(grad_y, x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """Loop definition of :func:`cnnref.max_pool2d_backward`: δ to each window's argmax."""
    x, geo, grad_y = _setup(x, kernel_size, stride, padding, grad_y)
    grad_x = np.zeros(x.shape, dtype=np.result_type(x.dtype, grad_y.dtype))
    for n in range(x.shape[0]):
        for ch in range(x.shape[1]):
            for i in range(geo.out_hw[0]):
                for j in range(geo.out_hw[1]):
                    r, c = _argmax(x[n, ch], geo, i, j)
                    grad_x[n, ch, r, c] += grad_y[n, ch, i, j]
    return grad_x


def avg_pool2d_naive(x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """Loop definition of :func:`cnnref.avg_pool2d`. Returns (N, C, Ho, Wo)."""
    x, geo, _ = _setup(x, kernel_size, stride, padding)
    area = geo.kernel[0] * geo.kernel[1]
    y = np.empty((*x.shape[:2], *geo.out_hw), dtype=x.dtype)
    for n in range(x.shape[0]):
        for ch in range(x.shape[1]):
            for i in range(geo.out_hw[0]):
                for j in range(geo.out_hw[1]):
                    total = sum(x[n, ch, r, c] for r, c in _positions(geo, i, j))
                    y[n, ch, i, j] = total / area
    return y


def avg_pool2d_backward_naive(grad_y, x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """Loop definition of :func:`cnnref.avg_pool2d_backward`: δ / (kh·kw) to each window entry."""
    x, geo, grad_y = _setup(x, kernel_size, stride, padding, grad_y)
    area = geo.kernel[0] * geo.kernel[1]
    grad_x = np.zeros(x.shape, dtype=np.result_type(x.dtype, grad_y.dtype))
    for n in range(x.shape[0]):
        for ch in range(x.shape[1]):
            for i in range(geo.out_hw[0]):
                for j in range(geo.out_hw[1]):
                    for r, c in _positions(geo, i, j):
                        grad_x[n, ch, r, c] += grad_y[n, ch, i, j] / area
    return grad_x
