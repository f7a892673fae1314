"""Hand-written backward passes with classic bugs, for the checker's tests.

Written as a student would (loops, cs231n convention unless said), each with
one bug, independently of the checker's own catalogue, so a test that the
checker names the bug is not the catalogue agreeing with itself.
"""

from __future__ import annotations

import numpy as np


def _loops(dout, cache, *, dx_stride=True, flip=False, crop=True):
    x, w, _, param = cache
    s, p = param["stride"], param["pad"]
    hh, ww = w.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    dxp = np.zeros(xp.shape)
    dw = np.zeros(w.shape)
    kernel = w[:, :, ::-1, ::-1] if flip else w
    for n in range(x.shape[0]):
        for f in range(w.shape[0]):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    g = dout[n, f, i, j]
                    dw[f] += g * xp[n, :, i * s : i * s + hh, j * s : j * s + ww]
                    r, c = (i * s, j * s) if dx_stride else (i, j)
                    dxp[n, :, r : r + hh, c : c + ww] += g * kernel[f]
    dx = dxp[:, :, p : p + x.shape[2], p : p + x.shape[3]] if crop else dxp
    return dx, dw, dout.sum(axis=(0, 2, 3))


def conv_stride_ignored_in_dx(dout, cache):
    """The window of dx starts at (i, j), not (i·s, j·s)."""
    return _loops(dout, cache, dx_stride=False)


def conv_rotated_in_scatter(dout, cache):
    """'The input gradient uses the rotated kernel', applied to the scatter form."""
    return _loops(dout, cache, flip=True)


def conv_padding_not_cropped(dout, cache):
    return _loops(dout, cache, crop=False)


def conv_bias_mean(dout, cache):
    dx, dw, _ = _loops(dout, cache)
    return dx, dw, dout.mean(axis=(0, 2, 3))


def conv_clears_dout(dout, cache):
    """Right values, but the upstream gradient is zeroed afterwards 'to free it'."""
    result = _loops(dout, cache)
    dout.fill(0.0)
    return result


def conv_float_division(dout, cache):
    """Output size by true division: a float reaches range() (Python 3)."""
    x, w, _, param = cache
    h_out = 1 + (x.shape[2] + 2 * param["pad"] - w.shape[2]) / param["stride"]
    for _ in range(h_out):
        pass
    return _loops(dout, cache)


def conv_float32(dout, cache):
    return tuple(g.astype(np.float32) for g in _loops(dout, cache))


def max_pool_mask(dout, cache):
    """The classic mask solution: every entry equal to the window's maximum gets δ."""
    x, param = cache
    ph, pw, s = param["pool_height"], param["pool_width"], param["stride"]
    dx = np.zeros(x.shape)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            window = x[:, :, i * s : i * s + ph, j * s : j * s + pw]
            mask = window == window.max(axis=(2, 3), keepdims=True)
            dx[:, :, i * s : i * s + ph, j * s : j * s + pw] += mask * dout[:, :, i, j, None, None]
    return dx


def avg_pool_not_divided(dout, cache):
    x, param = cache
    ph, pw, s = param["pool_height"], param["pool_width"], param["stride"]
    dx = np.zeros(x.shape)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            dx[:, :, i * s : i * s + ph, j * s : j * s + pw] += dout[:, :, i, j, None, None]
    return dx
