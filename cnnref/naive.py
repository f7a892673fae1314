"""Plain-loop convolutions: the executable specification.

These functions are written to be read next to the math, one output (or one
input) at a time, and are deliberately slow. The vectorised functions of
:mod:`cnnref.conv` are tested against them, and they are tested against the
symbolic derivations and against PyTorch themselves, so a mistake cannot hide
in both.

All of them use the forward convention of :func:`cnnref.conv2d`:
**cross-correlation**, NCHW inputs, OIHW weights, and accept the same
arguments, checked by the same code.
"""

from __future__ import annotations

import numpy as np

from ._validate import as_real_array, bias_vector, check_ndim
from .conv import PADDING_MODES
from .geometry import conv_geometry, transpose_geometry
from .signal import check_pad_mode


def _inputs(x, w, x_name="x"):
    x = as_real_array(x_name, x)
    w = as_real_array("w", w)
    check_ndim(x_name, x, (4,), "(N, C, H, W)")
    check_ndim("w", w, (4,), "(O, C // groups, kh, kw)")
    dtype = np.result_type(x.dtype, w.dtype)
    return x.astype(dtype, copy=False), w.astype(dtype, copy=False), dtype


def _source(p: int, n: int, mode: str) -> int | None:
    """The entry of an axis of ``n`` entries that position ``p`` holds a copy of.

    ``p`` counts from the first real entry, so the border before it is
    ``p < 0`` and the border after it ``p >= n``; ``None`` means a zero.
    """
    if 0 <= p < n:
        return p
    if mode == "zeros":
        return None
    if mode == "reflect":  # mirror about the edge entry: -1 -> 1, n -> n - 2
        return -p if p < 0 else 2 * (n - 1) - p
    if mode == "replicate":  # the edge entry again
        return 0 if p < 0 else n - 1
    return p + n if p < 0 else p - n  # circular: wrap around to the other side


def _padded(x, pads, mode="zeros"):
    """``x`` (N, C, H, W) padded by ``pads``, one padded position at a time."""
    (t, b), (l, r) = pads
    n, c, h, w = x.shape
    xp = np.zeros((n, c, h + t + b, w + l + r), dtype=x.dtype)
    for i in range(h + t + b):
        for j in range(w + l + r):
            si, sj = _source(i - t, h, mode), _source(j - l, w, mode)
            if si is not None and sj is not None:
                xp[:, :, i, j] = x[:, :, si, sj]
    return xp


def _unpadded_gradient(grad_xp, pads, hw, mode="zeros"):
    """Adjoint of :func:`_padded`: each padded position's gradient goes to its source."""
    (t, _), (l, _) = pads
    h, w = hw
    grad_x = np.zeros((*grad_xp.shape[:2], h, w), dtype=grad_xp.dtype)
    for i in range(grad_xp.shape[2]):
        for j in range(grad_xp.shape[3]):
            si, sj = _source(i - t, h, mode), _source(j - l, w, mode)
            if si is not None and sj is not None:
                grad_x[:, :, si, sj] += grad_xp[:, :, i, j]
    return grad_x


def _window(geo, i, j):
    """Rows and columns of the padded input that output pixel (i, j) reads."""
    (kh, kw), (sh, sw), (dh, dw) = geo.kernel, geo.stride, geo.dilation
    rows = slice(i * sh, i * sh + dh * (kh - 1) + 1, dh)
    cols = slice(j * sw, j * sw + dw * (kw - 1) + 1, dw)
    return rows, cols


def conv2d_naive(
    x, w, b=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"
) -> np.ndarray:
    """Loop definition of :func:`cnnref.conv2d` (**cross-correlation**).

    ``y[n, o, i, j] = b[o] + Σ (window of xp at (i, j), in o's group) ⊙ w[o]``
    where ``xp`` is ``x`` padded by ``padding_mode`` (see :func:`_source`).

    x : (N, C, H, W); w : (O, C // groups, kh, kw); b : (O,) or None.
    Returns (N, O, Ho, Wo).
    """
    x, w, dtype = _inputs(x, w)
    geo = conv_geometry(x.shape, w.shape, stride, padding, dilation, groups)
    check_pad_mode("padding_mode", padding_mode, PADDING_MODES, geo.pads, geo.in_hw)
    b = bias_vector("b", b, geo.out_channels, dtype)
    xp = _padded(x, geo.pads, padding_mode)
    n_out = geo.out_channels // geo.groups
    c_in = geo.in_channels // geo.groups
    y = np.zeros((x.shape[0], geo.out_channels, *geo.out_hw), dtype=dtype)
    for n in range(x.shape[0]):
        for o in range(geo.out_channels):
            group = o // n_out
            channels = slice(group * c_in, (group + 1) * c_in)
            for i in range(geo.out_hw[0]):
                for j in range(geo.out_hw[1]):
                    rows, cols = _window(geo, i, j)
                    y[n, o, i, j] = np.sum(xp[n, channels, rows, cols] * w[o])
            if b is not None:
                y[n, o] += b[o]
    return y


def conv2d_backward_naive(
    grad_y, x, w, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"
):
    """Loop definition of :func:`cnnref.conv2d_backward`, by the chain rule.

    Each output ``y[n, o, i, j]`` depends on one window of ``xp`` and on
    ``w[o]``, linearly. So its upstream gradient ``δ = grad_y[n, o, i, j]``
    adds ``δ · window`` to ``grad_w[o]``, ``δ · w[o]`` to the window of
    ``grad_xp``, and ``δ`` to ``grad_b[o]``. Each entry of ``grad_xp`` then
    goes to the entry of ``x`` its position copied (zeros: nowhere).

    Returns ``(grad_x, grad_w, grad_b)`` with the shapes of x, w and (O,).
    """
    x, w, _ = _inputs(x, w)
    grad_y = as_real_array("grad_y", grad_y)
    geo = conv_geometry(x.shape, w.shape, stride, padding, dilation, groups)
    check_pad_mode("padding_mode", padding_mode, PADDING_MODES, geo.pads, geo.in_hw)
    expected = (x.shape[0], geo.out_channels, *geo.out_hw)
    if grad_y.shape != expected:
        raise ValueError(f"grad_y: expected the output shape {expected}, got {grad_y.shape}")
    dtype = np.result_type(grad_y.dtype, x.dtype)
    xp = _padded(x, geo.pads, padding_mode)
    grad_xp = np.zeros(xp.shape, dtype=dtype)
    grad_w = np.zeros(w.shape, dtype=dtype)
    grad_b = np.zeros(geo.out_channels, dtype=dtype)
    n_out = geo.out_channels // geo.groups
    c_in = geo.in_channels // geo.groups
    for n in range(x.shape[0]):
        for o in range(geo.out_channels):
            group = o // n_out
            channels = slice(group * c_in, (group + 1) * c_in)
            for i in range(geo.out_hw[0]):
                for j in range(geo.out_hw[1]):
                    delta = grad_y[n, o, i, j]
                    rows, cols = _window(geo, i, j)
                    grad_w[o] += delta * xp[n, channels, rows, cols]
                    grad_xp[n, channels, rows, cols] += delta * w[o]
                    grad_b[o] += delta
    return _unpadded_gradient(grad_xp, geo.pads, geo.in_hw, padding_mode), grad_w, grad_b


def conv_transpose2d_naive(
    x, w, b=None, stride=1, padding=0, output_padding=0, dilation=1, groups=1
) -> np.ndarray:
    """Loop definition of :func:`cnnref.conv_transpose2d`: scatter, then crop.

    Every input pixel ``x[n, c, i, j]`` adds ``x[n, c, i, j] · w[c]`` to the
    output window at ``(i·sh, j·sw)`` (taps ``dilation`` apart), in the output
    channels of ``c``'s group; ``padding`` rows/columns are then cropped from
    each side.

    x : (N, C_in, H, W); w : (C_in, C_out // groups, kh, kw); b : (C_out,).
    Returns (N, C_out, H_out, W_out).
    """
    x, w, dtype = _inputs(x, w)
    geo = transpose_geometry(x.shape, w.shape, stride, padding, output_padding, dilation, groups)
    b = bias_vector("b", b, geo.in_channels, dtype)
    hp, wp = geo.padded_hw
    out = np.zeros((x.shape[0], geo.in_channels, hp, wp), dtype=dtype)
    c_per_group = x.shape[1] // geo.groups
    out_per_group = geo.in_channels // geo.groups
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            group = c // c_per_group
            channels = slice(group * out_per_group, (group + 1) * out_per_group)
            for i in range(x.shape[2]):
                for j in range(x.shape[3]):
                    rows, cols = _window(geo, i, j)
                    out[n, channels, rows, cols] += x[n, c, i, j] * w[c]
    (t, _), (l, _) = geo.pads
    h, w_ = geo.in_hw
    y = out[:, :, t : t + h, l : l + w_]
    if b is not None:
        y = y + b[:, None, None]
    return y


def conv_transpose2d_backward_naive(
    grad_y, x, w, stride=1, padding=0, output_padding=0, dilation=1, groups=1
):
    """Loop definition of :func:`cnnref.conv_transpose2d_backward`: the scatter, differentiated.

    ``x[n, c, i, j]`` added ``x[n, c, i, j] · w[c]`` to one window of the
    uncropped output (see :func:`conv_transpose2d_naive`). Let ``δp`` be
    ``grad_y`` with the cropped border put back as zeros (a cropped entry
    reaches no output). Then, one input pixel at a time:

    * ``grad_x[n, c, i, j] = Σ (window of δp) ⊙ w[c]``, the outputs its scatter touched;
    * ``grad_w[c] += x[n, c, i, j] · (window of δp)``;
    * ``grad_b[o] = Σ_{n, i, j} grad_y[n, o, i, j]``.

    Returns ``(grad_x, grad_w, grad_b)`` with the shapes of x, w and (C_out,).
    """
    x, w, _ = _inputs(x, w)
    grad_y = as_real_array("grad_y", grad_y)
    geo = transpose_geometry(x.shape, w.shape, stride, padding, output_padding, dilation, groups)
    expected = (x.shape[0], geo.in_channels, *geo.in_hw)
    if grad_y.shape != expected:
        raise ValueError(f"grad_y: expected the output shape {expected}, got {grad_y.shape}")
    dtype = np.result_type(grad_y.dtype, x.dtype)
    grad_yp = _padded(grad_y.astype(dtype), geo.pads)
    grad_x = np.zeros(x.shape, dtype=dtype)
    grad_w = np.zeros(w.shape, dtype=dtype)
    c_per_group = x.shape[1] // geo.groups
    out_per_group = geo.in_channels // geo.groups
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            group = c // c_per_group
            outputs = slice(group * out_per_group, (group + 1) * out_per_group)
            for i in range(x.shape[2]):
                for j in range(x.shape[3]):
                    rows, cols = _window(geo, i, j)
                    touched = grad_yp[n, outputs, rows, cols]
                    grad_x[n, c, i, j] = np.sum(touched * w[c])
                    grad_w[c] += x[n, c, i, j] * touched
    return grad_x, grad_w, grad_y.sum(axis=(0, 2, 3)).astype(dtype)
