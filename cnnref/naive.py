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
from .geometry import conv_geometry, transpose_geometry


def _inputs(x, w, x_name="x"):
    x = as_real_array(x_name, x)
    w = as_real_array("w", w)
    check_ndim(x_name, x, (4,), "(N, C, H, W)")
    check_ndim("w", w, (4,), "(O, C // groups, kh, kw)")
    dtype = np.result_type(x.dtype, w.dtype)
    return x.astype(dtype, copy=False), w.astype(dtype, copy=False), dtype


def _padded(x, pads):
    (t, b), (l, r) = pads
    return np.pad(x, ((0, 0), (0, 0), (t, b), (l, r)))


def _window(geo, i, j):
    """Rows and columns of the padded input that output pixel (i, j) reads."""
    (kh, kw), (sh, sw), (dh, dw) = geo.kernel, geo.stride, geo.dilation
    rows = slice(i * sh, i * sh + dh * (kh - 1) + 1, dh)
    cols = slice(j * sw, j * sw + dw * (kw - 1) + 1, dw)
    return rows, cols


def conv2d_naive(x, w, b=None, stride=1, padding=0, dilation=1, groups=1) -> np.ndarray:
    """Loop definition of :func:`cnnref.conv2d` (**cross-correlation**).

    ``y[n, o, i, j] = b[o] + Σ (window of xp at (i, j), in o's group) ⊙ w[o]``

    x : (N, C, H, W); w : (O, C // groups, kh, kw); b : (O,) or None.
    Returns (N, O, Ho, Wo).
    """
    x, w, dtype = _inputs(x, w)
    geo = conv_geometry(x.shape, w.shape, stride, padding, dilation, groups)
    b = bias_vector("b", b, geo.out_channels, dtype)
    xp = _padded(x, geo.pads)
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


def conv2d_backward_naive(grad_y, x, w, stride=1, padding=0, dilation=1, groups=1):
    """Loop definition of :func:`cnnref.conv2d_backward`, by the chain rule.

    Each output ``y[n, o, i, j]`` depends on one window of ``xp`` and on
    ``w[o]``, linearly. So its upstream gradient ``δ = grad_y[n, o, i, j]``
    adds ``δ · window`` to ``grad_w[o]``, ``δ · w[o]`` to the window of
    ``grad_xp``, and ``δ`` to ``grad_b[o]``. Cropping the padding off
    ``grad_xp`` gives ``grad_x``.

    Returns ``(grad_x, grad_w, grad_b)`` with the shapes of x, w and (O,).
    """
    x, w, _ = _inputs(x, w)
    grad_y = as_real_array("grad_y", grad_y)
    geo = conv_geometry(x.shape, w.shape, stride, padding, dilation, groups)
    expected = (x.shape[0], geo.out_channels, *geo.out_hw)
    if grad_y.shape != expected:
        raise ValueError(f"grad_y: expected the output shape {expected}, got {grad_y.shape}")
    dtype = np.result_type(grad_y.dtype, x.dtype)
    xp = _padded(x, geo.pads)
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
    (t, _), (l, _) = geo.pads
    h, w_ = geo.in_hw
    return grad_xp[:, :, t : t + h, l : l + w_], grad_w, grad_b


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
