"""2-D max and average pooling, forward and backward, as PyTorch computes them.

Conventions (those of ``torch.nn.functional.max_pool2d`` / ``avg_pool2d``):

* ``x`` is ``(N, C, H, W)`` or unbatched ``(C, H, W)``; each channel is pooled
  on its own;
* ``kernel_size``, ``stride`` and ``padding`` are ints or pairs; ``stride``
  defaults to ``kernel_size`` and may differ from it (overlapping or gapped
  windows); ``padding`` is at most half the kernel, on both sides;
* ``Ho = conv_output_size(H, kh, sh, ph)`` (:mod:`cnnref.shapes`, floor
  division, i.e. ``ceil_mode=False``): rows a stride remainder leaves out
  get a zero gradient;
* max pooling pads with ``-inf``; the gradient of each window goes to its
  **first** maximum in row-major order, and overlapping windows add up (a
  window holding NaN has the maximum NaN, and as in PyTorch its gradient goes
  to its last NaN);
* average pooling pads with zeros and always divides by ``kh·kw``
  (``count_include_pad=True``); its gradient spreads ``δ / (kh·kw)`` evenly
  over the window.

No Python loop runs over pixels, channels or batch elements (the average
pooling backward loops over the ``kh·kw`` kernel taps). The loop versions in
:mod:`cnnref.naive_pooling` are the specification this code is tested against.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ._validate import as_real_array, check_ndim, int_pair
from .shapes import conv_output_size
from .signal import pad2d


@dataclass(frozen=True)
class PoolGeometry:
    """Kernel, stride, padding (symmetric, per axis) and the spatial sizes of a pooling."""

    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    in_hw: tuple[int, int]
    out_hw: tuple[int, int]
    # index arrays reused by every call with this geometry
    plans: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def padded_hw(self) -> tuple[int, int]:
        return self.in_hw[0] + 2 * self.padding[0], self.in_hw[1] + 2 * self.padding[1]


def pool_geometry(x_shape, kernel_size, stride=None, padding=0) -> PoolGeometry:
    """Check pooling arguments against ``x_shape`` (..., H, W); errors name the argument."""
    kernel = int_pair("kernel_size", kernel_size, minimum=1)
    stride = kernel if stride is None else int_pair("stride", stride, minimum=1)
    padding = int_pair("padding", padding, minimum=0)
    if any(2 * p > k for p, k in zip(padding, kernel, strict=True)):
        raise ValueError(
            f"padding: expected at most half of kernel_size {kernel} on each axis, got {padding}"
        )
    if 0 in x_shape:
        raise ValueError(f"x: expected non-empty axes, got shape {tuple(x_shape)}")
    in_hw = tuple(x_shape[-2:])
    out_hw = tuple(
        conv_output_size(n, k, s, p)
        for n, k, s, p in zip(in_hw, kernel, stride, padding, strict=True)
    )
    if min(out_hw) < 1:
        padded = (in_hw[0] + 2 * padding[0], in_hw[1] + 2 * padding[1])
        raise ValueError(f"kernel_size: {kernel} is larger than the padded input {padded} of x")
    return PoolGeometry(kernel, stride, padding, in_hw, out_hw)


_CACHE: dict = {}


def _cached_geometry(x_shape, kernel_size, stride, padding) -> PoolGeometry:
    """:func:`pool_geometry`, memoised; keyed by ``repr`` unless plain ints, so 2.0 still fails."""
    args = (kernel_size, stride, padding)
    plain = all(type(a) is int or a is None for a in args)
    key = (x_shape, *args) if plain else (x_shape, *map(repr, args))
    geo = _CACHE.get(key)
    if geo is None:
        geo = pool_geometry(x_shape, *args)
        if len(_CACHE) >= 1024:
            _CACHE.clear()
        _CACHE[key] = geo
    return geo


def _prepare(x, kernel_size, stride, padding):
    x = as_real_array("x", x)
    check_ndim("x", x, (3, 4), "(N, C, H, W) or (C, H, W)")
    unbatched = x.ndim == 3
    x = x[None] if unbatched else x
    return x, _cached_geometry(x.shape, kernel_size, stride, padding), unbatched


def _check_grad(grad_y, x, geo, unbatched) -> np.ndarray:
    grad_y = as_real_array("grad_y", grad_y)
    expected = (*x.shape[:2], *geo.out_hw)
    shown = expected[1:] if unbatched else expected
    if grad_y.shape != shown:
        raise ValueError(f"grad_y: expected the output shape {shown}, got {grad_y.shape}")
    return grad_y[None] if unbatched else grad_y


def _pad(x, geo, value) -> np.ndarray:
    """``x`` padded with ``value`` (-inf for max, 0 for average); ``x`` itself when unpadded."""
    return x if geo.padding == (0, 0) else pad2d(x, geo.padding, value)


def _windows(xp, geo) -> np.ndarray:
    """Read-only view (N, C, Ho, Wo, kh, kw) of the padded input: window (i, j) of each channel."""
    (kh, kw), (sh, sw) = geo.kernel, geo.stride
    s_n, s_c, s_h, s_w = xp.strides
    shape = (*xp.shape[:2], *geo.out_hw, kh, kw)
    return as_strided(xp, shape, (s_n, s_c, s_h * sh, s_w * sw, s_h, s_w), writeable=False)


def _index_plan(geo) -> tuple[np.ndarray, np.ndarray]:
    """Flat padded-plane index of each window's top-left entry (Ho, Wo), and of each tap."""
    if "max" not in geo.plans:
        (kh, kw), (sh, sw), wp = geo.kernel, geo.stride, geo.padded_hw[1]
        ho, wo = geo.out_hw
        origin = (np.arange(ho) * sh)[:, None] * wp + np.arange(wo) * sw
        taps = (np.arange(kh)[:, None] * wp + np.arange(kw)).ravel()
        geo.plans["max"] = origin, taps
    return geo.plans["max"]


def _max_pool(x, geo) -> tuple[np.ndarray, np.ndarray]:
    """Maxima (N, C, Ho, Wo) and their flat indices into the padded (Hp·Wp) plane."""
    kh, kw = geo.kernel
    win = _windows(_pad(x, geo, -np.inf), geo).reshape(*x.shape[:2], *geo.out_hw, kh * kw)
    tap = np.argmax(win, axis=-1)  # the first maximum in row-major order
    y = np.max(win, axis=-1)
    if np.isnan(y).any():  # PyTorch's rule `v > best or isnan(v)` keeps the last NaN
        last_nan = win.shape[-1] - 1 - np.argmax(np.isnan(win[..., ::-1]), axis=-1)
        tap = np.where(np.isnan(y), last_nan, tap)
    origin, taps = _index_plan(geo)
    index = origin + taps[tap]
    if geo.padding != (0, 0) and np.any(y == -np.inf):
        # A window holding only -inf: PyTorch picks its first entry inside x, not the padding.
        (ph, pw), (sh, sw), wp = geo.padding, geo.stride, geo.padded_hw[1]
        ho, wo = geo.out_hw
        first = np.maximum(np.arange(ho) * sh, ph)[:, None] * wp + np.maximum(
            np.arange(wo) * sw, pw
        )
        index = np.where(y == -np.inf, first, index)
    return y, index


def _max_unpool(grad_y, index, geo, dtype) -> np.ndarray:
    """Add each ``grad_y`` entry at its window's maximum; crop the padding."""
    n, c = grad_y.shape[:2]
    hp, wp = geo.padded_hw
    offsets = (np.arange(n * c) * (hp * wp)).reshape(n, c, 1, 1)
    flat = np.bincount((index + offsets).ravel(), grad_y.ravel(), minlength=n * c * hp * wp)
    (ph, pw), (h, w) = geo.padding, geo.in_hw
    return flat.reshape(n, c, hp, wp)[:, :, ph : ph + h, pw : pw + w].astype(dtype, copy=False)


def max_pool2d(x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """Maximum over each ``kernel_size`` window, ``stride`` apart, of ``x`` padded with -inf.

    x : (N, C, H, W) or (C, H, W). Returns (N, C, Ho, Wo) (or (C, Ho, Wo)),
    ``Ho = floor((H + 2·ph - kh) / sh) + 1``.
    """
    x, geo, unbatched = _prepare(x, kernel_size, stride, padding)
    y = _max_pool(x, geo)[0]
    return y[0] if unbatched else y


def max_pool2d_backward(grad_y, x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """Gradient of :func:`max_pool2d` with respect to ``x``.

    grad_y : the upstream gradient δ, shape of the output; x : the forward input.
    Each ``δ[n, c, i, j]`` goes to the first maximum (row-major) of window
    (i, j); entries that are the maximum of several windows collect the sum.
    Returns an array with the shape of ``x``.
    """
    x, geo, unbatched = _prepare(x, kernel_size, stride, padding)
    grad_y = _check_grad(grad_y, x, geo, unbatched)
    dtype = np.result_type(grad_y.dtype, x.dtype)
    grad_x = _max_unpool(grad_y, _max_pool(x, geo)[1], geo, dtype)
    return grad_x[0] if unbatched else grad_x


def avg_pool2d(x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """Mean over each ``kernel_size`` window of ``x`` zero-padded; always divides by ``kh·kw``.

    x : (N, C, H, W) or (C, H, W). Returns (N, C, Ho, Wo) (or (C, Ho, Wo)).
    """
    x, geo, unbatched = _prepare(x, kernel_size, stride, padding)
    kh, kw = geo.kernel
    y = _windows(_pad(x, geo, 0), geo).sum(axis=(4, 5)) / (kh * kw)
    return y[0] if unbatched else y


def avg_pool2d_backward(grad_y, x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """Gradient of :func:`avg_pool2d`: every window receives ``δ[n, c, i, j] / (kh·kw)``.

    grad_y : shape of the output; x : the forward input (only its shape is used).
    Returns an array with the shape of ``x``.
    """
    x, geo, unbatched = _prepare(x, kernel_size, stride, padding)
    grad_y = _check_grad(grad_y, x, geo, unbatched)
    (kh, kw), (sh, sw), (ph, pw) = geo.kernel, geo.stride, geo.padding
    (ho, wo), (h, w) = geo.out_hw, geo.in_hw
    share = grad_y.astype(np.result_type(grad_y.dtype, x.dtype), copy=False) / (kh * kw)
    grad_xp = np.zeros((*x.shape[:2], *geo.padded_hw), dtype=share.dtype)
    for a in range(kh):
        for b in range(kw):
            grad_xp[:, :, a : a + sh * (ho - 1) + 1 : sh, b : b + sw * (wo - 1) + 1 : sw] += share
    grad_x = np.ascontiguousarray(grad_xp[:, :, ph : ph + h, pw : pw + w])
    return grad_x[0] if unbatched else grad_x
