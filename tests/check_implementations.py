"""Backward passes written from scratch in several styles, for the checker's tests.

Each is written independently of cnnref (numpy only, none of cnnref's
helpers), the way a course assignment or a small framework would write it:
the checker must call every one of them "correct". Convolution is
cross-correlation; x (N, C, H, W), w (O, C // groups, kh, kw), δ (N, O, Ho, Wo).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

# -- cs231n convention: conv_backward_naive(dout, cache), cache = (x, w, b, conv_param) ----


def conv_backward_six_loops(dout, cache):
    """Scalar loops over every index; the gradient of each product x·w, one at a time."""
    x, w, _, param = cache
    s, p = param["stride"], param["pad"]
    n_, c_, _, _ = x.shape
    f_, _, hh, ww = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    db = np.zeros(f_)
    ho, wo = dout.shape[2:]
    for n in range(n_):
        for f in range(f_):
            for i in range(ho):
                for j in range(wo):
                    g = dout[n, f, i, j]
                    db[f] += g
                    for c in range(c_):
                        for a in range(hh):
                            for b in range(ww):
                                dw[f, c, a, b] += g * xp[n, c, i * s + a, j * s + b]
                                dxp[n, c, i * s + a, j * s + b] += g * w[f, c, a, b]
    return dxp[:, :, p : p + x.shape[2], p : p + x.shape[3]], dw, db


def conv_backward_window_loops(dout, cache):
    """The classic assignment solution: loop over windows, add whole slices."""
    x, w, _, param = cache
    s, p = param["stride"], param["pad"]
    hh, ww = w.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), mode="constant")
    dxp = np.zeros(xp.shape)
    dw = np.zeros(w.shape)
    for n in range(x.shape[0]):
        for f in range(w.shape[0]):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    window = xp[n, :, i * s : i * s + hh, j * s : j * s + ww]
                    dw[f] += window * dout[n, f, i, j]
                    dxp[n, :, i * s : i * s + hh, j * s : j * s + ww] += w[f] * dout[n, f, i, j]
    db = dout.sum(axis=(0, 2, 3))
    return dxp[:, :, p : dxp.shape[2] - p, p : dxp.shape[3] - p], dw, db


def conv_backward_im2col_cs231n(dout, cache):
    """im2col in the cs231n convention: one matrix product per gradient."""
    x, w, _, param = cache
    dx, dw, db = conv_backward_im2col(dout, x, w, stride=param["stride"], padding=param["pad"])
    return dx, dw, db


# -- cnnref convention: fn(grad_y, x, w, stride=, padding=, dilation=, groups=) ------------


def _columns_index(h, w, kh, kw, s, d, ho, wo):
    rows = (np.arange(ho) * s)[:, None] + (np.arange(kh) * d)[None, :]  # (ho, kh)
    cols = (np.arange(wo) * s)[:, None] + (np.arange(kw) * d)[None, :]  # (wo, kw)
    return rows, cols


def conv_backward_im2col(grad_y, x, w, stride=1, padding=0, dilation=1, groups=1):
    """im2col with fancy indexing; col2im with np.add.at; groups as a batch of matrices."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    ho, wo = grad_y.shape[2:]
    p, g = padding, groups
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    rows, cols = _columns_index(h, wd, kh, kw, stride, dilation, ho, wo)
    # cols_x[n, c, ho, kh, wo, kw]
    cols_x = xp[:, :, rows[:, :, None, None], cols[None, None, :, :]]
    cols_x = cols_x.reshape(n, g, cg, ho, kh, wo, kw).transpose(1, 2, 4, 6, 0, 3, 5)
    cols_x = cols_x.reshape(g, cg * kh * kw, n * ho * wo)
    dy = grad_y.reshape(n, g, o // g, ho, wo).transpose(1, 2, 0, 3, 4).reshape(g, o // g, -1)
    dw = (dy @ cols_x.transpose(0, 2, 1)).reshape(w.shape)
    dcols = w.reshape(g, o // g, -1).transpose(0, 2, 1) @ dy  # (g, cg·kh·kw, n·ho·wo)
    dcols = dcols.reshape(g, cg, kh, kw, n, ho, wo).transpose(4, 0, 1, 5, 2, 6, 3)
    dcols = dcols.reshape(n, c, ho, kh, wo, kw)
    dxp = np.zeros(xp.shape)
    np.add.at(dxp, (slice(None), slice(None), rows[:, :, None, None], cols[None, None]), dcols)
    db = grad_y.sum(axis=(0, 2, 3))
    return dxp[:, :, p : p + h, p : p + wd], dw, db


def conv_backward_einsum(grad_y, x, w, stride=1, padding=0, dilation=1, groups=1):
    """dw by einsum over strided windows; dx as a full correlation with the rotated kernel."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    ho, wo = grad_y.shape[2:]
    s, p, d, g = stride, padding, dilation, groups
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    span_h, span_w = d * (kh - 1) + 1, d * (kw - 1) + 1
    win = sliding_window_view(xp, (span_h, span_w), axis=(2, 3))[
        :, :, : s * (ho - 1) + 1 : s, : s * (wo - 1) + 1 : s, ::d, ::d
    ]  # (n, c, ho, wo, kh, kw)
    win = win.reshape(n, g, cg, ho, wo, kh, kw)
    gy = grad_y.reshape(n, g, o // g, ho, wo)
    dw = np.einsum("ngkij,ngcijab->gkcab", gy, win).reshape(w.shape)
    # dx: δ dilated by the stride, padded by d(k-1), correlated with rot180(w) (dilated)
    hp, wp = xp.shape[2:]
    big = np.zeros((n, o, hp + span_h - 1, wp + span_w - 1))
    big[:, :, span_h - 1 : span_h - 1 + s * (ho - 1) + 1 : s,
        span_w - 1 : span_w - 1 + s * (wo - 1) + 1 : s] = grad_y  # fmt: skip
    rotated = w[:, :, ::-1, ::-1].reshape(g, o // g, cg, kh, kw)
    bwin = sliding_window_view(big, (span_h, span_w), axis=(2, 3))[..., ::d, ::d]
    bwin = bwin[:, :, :hp, :wp].reshape(n, g, o // g, hp, wp, kh, kw)
    dxp = np.einsum("ngkrqab,gkcab->ngcrq", bwin, rotated).reshape(n, c, hp, wp)
    return dxp[:, :, p : p + h, p : p + wd], dw, grad_y.sum(axis=(0, 2, 3))


# -- pooling ------------------------------------------------------------------------------


def max_pool_backward_loops(dout, cache):
    """cs231n convention: loop over windows, δ to the (first) argmax of each."""
    x, param = cache
    ph, pw, s = param["pool_height"], param["pool_width"], param["stride"]
    dx = np.zeros_like(x)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    window = x[n, c, i * s : i * s + ph, j * s : j * s + pw]
                    a, b = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, i * s + a, j * s + b] += dout[n, c, i, j]
    return dx


def avg_pool_backward_loops(dout, cache):
    """cs231n convention: every window entry gets δ / (pool_height · pool_width)."""
    x, param = cache
    ph, pw, s = param["pool_height"], param["pool_width"], param["stride"]
    dx = np.zeros(x.shape)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            share = dout[:, :, i, j][:, :, None, None] / (ph * pw)
            dx[:, :, i * s : i * s + ph, j * s : j * s + pw] += share
    return dx


def _pairs(kernel_size, stride):
    kh, kw = (kernel_size, kernel_size) if np.isscalar(kernel_size) else kernel_size
    s = kh if stride is None else stride
    return kh, kw, s


def max_pool_backward_vectorised(grad_y, x, kernel_size, stride=None, padding=0):
    """cnnref convention: windows as a strided view, argmax per window, np.add.at."""
    kh, kw, s = _pairs(kernel_size, stride)
    p = padding
    n, c, h, w = x.shape
    ho, wo = grad_y.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
    win = sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::s, ::s][:, :, :ho, :wo]
    tap = win.reshape(n, c, ho, wo, kh * kw).argmax(axis=-1)
    rows = np.arange(ho)[:, None] * s + tap // kw
    cols = np.arange(wo)[None, :] * s + tap % kw
    dxp = np.zeros(xp.shape)
    nn, cc = np.ix_(np.arange(n), np.arange(c))
    np.add.at(dxp, (nn[..., None, None], cc[..., None, None], rows, cols), grad_y)
    return dxp[:, :, p : p + h, p : p + w]


def avg_pool_backward_vectorised(grad_y, x, kernel_size, stride=None, padding=0):
    """cnnref convention: δ / (kh·kw) added to every window, one kernel tap at a time."""
    kh, kw, s = _pairs(kernel_size, stride)
    p = padding
    ho, wo = grad_y.shape[2:]
    dxp = np.zeros((*x.shape[:2], x.shape[2] + 2 * p, x.shape[3] + 2 * p))
    for a in range(kh):
        for b in range(kw):
            dxp[:, :, a : a + s * (ho - 1) + 1 : s, b : b + s * (wo - 1) + 1 : s] += grad_y
    return dxp[:, :, p : p + x.shape[2], p : p + x.shape[3]] / (kh * kw)
