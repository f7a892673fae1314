"""2-D max and average pooling, forward and backward, and max unpooling, as PyTorch computes them.

Conventions (those of ``torch.nn.functional.max_pool2d`` / ``avg_pool2d`` /
``max_unpool2d``; the window rules are spelled out in :mod:`cnnref.pool_windows`):

* ``x`` is ``(N, C, H, W)`` or unbatched ``(C, H, W)``; each channel is pooled
  on its own;
* ``kernel_size``, ``stride``, ``padding`` and ``dilation`` are ints or pairs;
  ``stride`` defaults to ``kernel_size``; ``padding`` is at most half the
  kernel, on both sides; window ``(i, j)`` reads the taps
  ``(i·sh - ph + a·dh, j·sw - pw + b·dw)``;
* ``Ho = floor((H + 2·ph - dh(kh-1) - 1) / sh) + 1``: rows a stride remainder
  leaves out get a zero gradient; with ``ceil_mode=True`` the division rounds
  up, so a last window may overhang past the bottom/right padding (it reads
  only what lies inside), unless it would start in that padding: then it is
  dropped;
* max pooling pads with ``-inf``; the gradient of each window goes to its
  **first** maximum in row-major order, and overlapping windows add up (a
  window holding NaN has the maximum NaN, and as in PyTorch its gradient goes
  to its last NaN; a window of -inf only points at its first entry inside
  ``x``); ``return_indices`` gives that position as a flat index ``r·W + c``
  into each ``H·W`` plane of ``x`` (int64), which :func:`max_unpool2d` reads;
* average pooling pads with zeros and divides each window by the number of
  its taps inside the padded input ``[-p, H + p)`` (``count_include_pad=True``:
  ``kh·kw`` except for a ``ceil_mode`` window that overhangs), or inside ``x``
  only (``count_include_pad=False``), or by ``divisor_override``; its gradient
  spreads ``δ / divisor`` evenly over the window's entries of ``x``.

No Python loop runs over pixels, channels or batch elements (the average
pooling backward loops over the ``kh·kw`` kernel taps). The loop versions in
:mod:`cnnref.naive_pooling` are the specification this code is tested against.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ._validate import as_real_array, check_ndim, int_pair
from .pool_windows import (
    PoolGeometry,
    avg_divisor_options,
    avg_divisors,
    check_flag,
    pool_geometry,
    unpool_output_hw,
)
from .signal import pad2d

__all__ = [
    "PoolGeometry",
    "avg_pool2d",
    "avg_pool2d_backward",
    "max_pool2d",
    "max_pool2d_backward",
    "max_unpool2d",
    "pool_geometry",
]

_CACHE: dict = {}


def _cached_geometry(x_shape, kernel_size, stride, padding, dilation=1, ceil_mode=False):
    """:func:`pool_geometry`, memoised; keyed by ``repr`` unless plain ints, so 2.0 still fails."""
    args = (kernel_size, stride, padding, dilation)
    plain = all(type(a) is int or a is None for a in args) and type(ceil_mode) is bool
    key = (x_shape, *args, ceil_mode) if plain else (x_shape, *map(repr, (*args, ceil_mode)))
    geo = _CACHE.get(key)
    if geo is None:
        geo = pool_geometry(x_shape, *args, ceil_mode)
        if len(_CACHE) >= 1024:
            _CACHE.clear()
        _CACHE[key] = geo
    return geo


def _prepare(x, kernel_size, stride, padding, dilation=1, ceil_mode=False):
    x = as_real_array("x", x)
    check_ndim("x", x, (3, 4), "(N, C, H, W) or (C, H, W)")
    unbatched = x.ndim == 3
    x = x[None] if unbatched else x
    geo = _cached_geometry(x.shape, kernel_size, stride, padding, dilation, ceil_mode)
    return x, geo, unbatched


def check_arguments(function, options) -> None:
    """Run ``function`` (a pooling) with ``options`` on a zero input its window just fits,
    so that a layer rejects bad arguments when it is built."""
    kernel = int_pair("kernel_size", options["kernel_size"], minimum=1)
    dilation = int_pair("dilation", options.get("dilation", 1), minimum=1)
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True))
    function(np.zeros((1, 1, *span)), **options)


def _check_grad(grad_y, x, geo, unbatched) -> np.ndarray:
    grad_y = as_real_array("grad_y", grad_y)
    expected = (*x.shape[:2], *geo.out_hw)
    shown = expected[1:] if unbatched else expected
    if grad_y.shape != shown:
        raise ValueError(f"grad_y: expected the output shape {shown}, got {grad_y.shape}")
    return grad_y[None] if unbatched else grad_y


def _pad(x, geo, value) -> np.ndarray:
    """``x`` padded with ``value`` to ``geo.padded_hw``; ``x`` itself when nothing is added."""
    (ph, pw), (hp, wp), (h, w) = geo.padding, geo.padded_hw, geo.in_hw
    pads = (ph, hp - h - ph, pw, wp - w - pw)
    return x if pads == (0, 0, 0, 0) else pad2d(x, pads, value)


def _windows(xp, geo) -> np.ndarray:
    """Read-only view (N, C, Ho, Wo, kh, kw) of the padded input: window (i, j) of each channel."""
    (kh, kw), (sh, sw), (dh, dw) = geo.kernel, geo.stride, geo.dilation
    s_n, s_c, s_h, s_w = xp.strides
    shape = (*xp.shape[:2], *geo.out_hw, kh, kw)
    strides = (s_n, s_c, s_h * sh, s_w * sw, s_h * dh, s_w * dw)
    return as_strided(xp, shape, strides, writeable=False)


def _index_plan(geo) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flat ``H·W`` indices into x: each window's top-left tap (Ho, Wo), the offset of each tap
    (kh·kw), and each window's first tap inside x (Ho, Wo); the first two may point outside x."""
    if "max" not in geo.plans:
        (kh, kw), (sh, sw), (ph, pw) = geo.kernel, geo.stride, geo.padding
        (dh, dw), (ho, wo), w = geo.dilation, geo.out_hw, geo.in_hw[1]
        top, left = np.arange(ho) * sh - ph, np.arange(wo) * sw - pw
        origin = top[:, None] * w + left
        taps = (np.arange(kh)[:, None] * dh * w + np.arange(kw) * dw).ravel()
        # the first tap at or below row 0 (PyTorch: `while (ih0 < 0) ih0 += dilation`)
        first_row = top + np.maximum(-(top // dh), 0) * dh
        first_col = left + np.maximum(-(left // dw), 0) * dw
        geo.plans["max"] = origin, taps, first_row[:, None] * w + first_col
    return geo.plans["max"]


def _max_pool(x, geo) -> tuple[np.ndarray, np.ndarray]:
    """Maxima (N, C, Ho, Wo) and their flat indices ``r·W + c`` into each H·W plane of x."""
    kh, kw = geo.kernel
    win = _windows(_pad(x, geo, -np.inf), geo).reshape(*x.shape[:2], *geo.out_hw, kh * kw)
    tap = np.argmax(win, axis=-1)  # the first maximum in row-major order
    y = np.max(win, axis=-1)
    if np.isnan(y).any():  # PyTorch's rule `v > best or isnan(v)` keeps the last NaN
        last_nan = win.shape[-1] - 1 - np.argmax(np.isnan(win[..., ::-1]), axis=-1)
        tap = np.where(np.isnan(y), last_nan, tap)
    origin, taps, first = _index_plan(geo)
    index = origin + taps[tap]
    if geo.padding != (0, 0) and np.any(y == -np.inf):
        # A window holding only -inf: PyTorch picks its first entry inside x, not the padding.
        index = np.where(y == -np.inf, first, index)
    return y, index


def _max_unpool(grad_y, index, geo, dtype) -> np.ndarray:
    """Add each ``grad_y`` entry at its window's maximum: an array (N, C, H, W) of ``dtype``."""
    n, c = grad_y.shape[:2]
    h, w = geo.in_hw
    offsets = (np.arange(n * c) * (h * w)).reshape(n, c, 1, 1)
    flat = np.bincount((index + offsets).ravel(), grad_y.ravel(), minlength=n * c * h * w)
    return flat.reshape(n, c, h, w).astype(dtype, copy=False)


def max_pool2d(
    x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """Maximum over each ``kernel_size`` window (taps ``dilation`` apart, windows ``stride``
    apart) of ``x`` padded with -inf.

    x : (N, C, H, W) or (C, H, W). Returns y (N, C, Ho, Wo) (or (C, Ho, Wo)),
    ``Ho = floor((H + 2·ph - dh(kh-1) - 1) / sh) + 1`` (ceil with ``ceil_mode``);
    with ``return_indices``, ``(y, indices)``: int64, the flat index ``r·W + c``
    of each maximum in its H·W plane of x.
    """
    return_indices = check_flag("return_indices", return_indices)
    x, geo, unbatched = _prepare(x, kernel_size, stride, padding, dilation, ceil_mode)
    y, index = _max_pool(x, geo)
    y = y[0] if unbatched else y
    if not return_indices:
        return y
    index = index.astype(np.int64, copy=False)
    return y, (index[0] if unbatched else index)


def max_pool2d_backward(
    grad_y, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False
) -> np.ndarray:
    """Gradient of :func:`max_pool2d` with respect to ``x``.

    grad_y : the upstream gradient δ, shape of the output; x : the forward input.
    Each ``δ[n, c, i, j]`` goes to the first maximum (row-major) of window
    (i, j); entries that are the maximum of several windows collect the sum.
    Returns an array with the shape of ``x``.
    """
    x, geo, unbatched = _prepare(x, kernel_size, stride, padding, dilation, ceil_mode)
    grad_y = _check_grad(grad_y, x, geo, unbatched)
    dtype = np.result_type(grad_y.dtype, x.dtype)
    grad_x = _max_unpool(grad_y, _max_pool(x, geo)[1], geo, dtype)
    return grad_x[0] if unbatched else grad_x


def max_unpool2d(y, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of :func:`max_pool2d`: ``y`` put back at ``indices``, zeros elsewhere.

    y : (N, C, Hi, Wi) or (C, Hi, Wi); indices : integers of the same shape, flat
    positions ``r·W + c`` in each output plane of width W (what ``return_indices`` gives).
    Returns (N, C, H, W) (or (C, H, W)), ``H = (Hi - 1)·sh - 2·ph + kh`` unless
    ``output_size`` ((H, W) or (N, C, H, W)) says otherwise, within one stride of
    it. Where several entries share an index, the last in row-major order wins,
    as in PyTorch.
    """
    y = as_real_array("y", y)
    check_ndim("y", y, (3, 4), "(N, C, H, W) or (C, H, W)")
    indices = np.asarray(indices)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"indices: expected an integer array, got dtype {indices.dtype}")
    if indices.shape != y.shape:
        raise ValueError(f"indices: expected the shape of y {y.shape}, got {indices.shape}")
    h, w = unpool_output_hw(y.shape[-2:], kernel_size, stride, padding, output_size)
    planes = y.reshape(-1, y.shape[-2] * y.shape[-1])
    flat = indices.reshape(planes.shape).astype(np.int64, copy=False)
    bad = (flat < 0) | (flat >= h * w)
    if bad.any():
        raise ValueError(
            f"indices: expected flat positions in [0, {h * w}) of the {h}x{w} output, "
            f"got {flat[bad][0]}"
        )
    keys = (flat + (np.arange(planes.shape[0]) * (h * w))[:, None]).ravel()
    # The last entry writing to each position wins: keep the first occurrence in reverse.
    _, from_end = np.unique(keys[::-1], return_index=True)
    last = keys.size - 1 - from_end
    out = np.zeros(planes.shape[0] * h * w, dtype=y.dtype)
    out[keys[last]] = planes.ravel()[last]
    return out.reshape(*y.shape[:-2], h, w)


def avg_pool2d(
    x,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
) -> np.ndarray:
    """Mean over each ``kernel_size`` window of ``x`` zero-padded.

    Divides window (i, j) by its taps inside the padded input (``kh·kw`` unless a
    ``ceil_mode`` window overhangs), by its entries of x only
    (``count_include_pad=False``), or by ``divisor_override``.
    x : (N, C, H, W) or (C, H, W). Returns (N, C, Ho, Wo) (or (C, Ho, Wo)).
    """
    options = avg_divisor_options(count_include_pad, divisor_override)
    x, geo, unbatched = _prepare(x, kernel_size, stride, padding, 1, ceil_mode)
    total = _windows(_pad(x, geo, 0), geo).sum(axis=(4, 5))
    y = total / avg_divisors(geo, *options).astype(x.dtype, copy=False)
    return y[0] if unbatched else y


def avg_pool2d_backward(
    grad_y,
    x,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
) -> np.ndarray:
    """Gradient of :func:`avg_pool2d`: every entry of window (i, j) receives ``δ[n, c, i, j]``
    divided by that window's divisor.

    grad_y : shape of the output; x : the forward input (only its shape is used).
    Returns an array with the shape of ``x``.
    """
    options = avg_divisor_options(count_include_pad, divisor_override)
    x, geo, unbatched = _prepare(x, kernel_size, stride, padding, 1, ceil_mode)
    grad_y = _check_grad(grad_y, x, geo, unbatched)
    (kh, kw), (sh, sw), (ph, pw) = geo.kernel, geo.stride, geo.padding
    (ho, wo), (h, w) = geo.out_hw, geo.in_hw
    dtype = np.result_type(grad_y.dtype, x.dtype)
    share = grad_y.astype(dtype, copy=False) / avg_divisors(geo, *options).astype(dtype)
    grad_xp = np.zeros((*x.shape[:2], *geo.padded_hw), dtype=share.dtype)
    for a in range(kh):
        for b in range(kw):
            grad_xp[:, :, a : a + sh * (ho - 1) + 1 : sh, b : b + sw * (wo - 1) + 1 : sw] += share
    grad_x = np.ascontiguousarray(grad_xp[:, :, ph : ph + h, pw : pw + w])
    return grad_x[0] if unbatched else grad_x
