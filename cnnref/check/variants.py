"""Backward passes with one knob turned: the engines that compute known wrong answers.

:func:`conv_backward_variant` with its defaults is the chain rule of
cross-correlation, written as a scatter over output pixels (δ[n, o, i, j]
adds ``δ · window`` to ``grad_w[o]`` and ``δ · w[o]`` to the window of the
padded input gradient). Each keyword reproduces one way hand-written
backward passes go wrong; :mod:`cnnref.check.catalogue` names them. The
tests check that the defaults give ``cnnref.conv2d_backward`` exactly, so the
knobs start from the right formula.

x : (N, C, H, W); w : (O, C // groups, kh, kw); grad_y : (N, O, Ho, Wo).
"""

from __future__ import annotations

import numpy as np

from .configs import Config

MARGIN = 2  # zero rows/columns around the padded buffer, so shifted windows stay inside


def _group_channels(cfg: Config, o: int, mapping: str) -> slice:
    """Input channels that output channel ``o`` reads: its group's, or a wrong choice."""
    per_out, per_in = cfg.o // cfg.groups, cfg.c // cfg.groups
    group = {"right": o // per_out, "interleaved": o % cfg.groups, "first": 0}[mapping]
    return slice(group * per_in, (group + 1) * per_in)


def conv_backward_variant(
    cfg: Config,
    grad_y: np.ndarray,
    x: np.ndarray,
    w: np.ndarray,
    *,
    origin: tuple[int, int] | None = None,
    offset: tuple[int, int] = (0, 0),
    taps: tuple[int, int] | None = None,
    flip: bool = False,
    crop_shift: tuple[int, int] = (0, 0),
    groups: str = "right",
) -> tuple[np.ndarray, np.ndarray]:
    """``(grad_x, grad_w)`` of a convolution, with an optional wrong turn.

    origin : window (i, j) starts at ``offset + (i·origin_h, j·origin_w)`` of the
        padded input (right: the stride); offset (right: 0);
    taps : spacing of kernel taps (right: the dilation);
    flip : scatter ``rot180(w)`` into the input gradient (right: ``w``);
    crop_shift : where the input gradient is cropped from the padded one
        (right: ``padding`` rows/columns from the top/left);
    groups : which input channels output channel o reads: 'right', 'interleaved'
        (group ``o % G``) or 'first' (group 0 for every o).
    """
    s, p, d = cfg.stride, cfg.padding, cfg.dilation
    origin = origin or (s, s)
    taps = taps or (d, d)
    ho, wo = grad_y.shape[-2:]
    kh, kw = w.shape[-2:]
    size = [
        MARGIN + offset[k] + (out - 1) * origin[k] + (kernel - 1) * taps[k] + 1 + MARGIN
        for k, out, kernel in ((0, ho, kh), (1, wo, kw))
    ]
    top = MARGIN + p
    size = [max(size[0], top + cfg.h + p + MARGIN), max(size[1], top + cfg.w + p + MARGIN)]
    xp = np.zeros((cfg.n, cfg.c, *size))
    xp[:, :, top : top + cfg.h, top : top + cfg.w] = x
    grad_xp = np.zeros_like(xp)
    grad_w = np.zeros(w.shape)
    kernel = w[..., ::-1, ::-1] if flip else w
    for o in range(cfg.o):
        channels = _group_channels(cfg, o, groups)
        for i in range(ho):
            r0 = MARGIN + offset[0] + i * origin[0]
            rows = slice(r0, r0 + (kh - 1) * taps[0] + 1, taps[0])
            for j in range(wo):
                c0 = MARGIN + offset[1] + j * origin[1]
                cols = slice(c0, c0 + (kw - 1) * taps[1] + 1, taps[1])
                delta = grad_y[:, o, i, j][:, None, None, None]
                grad_w[o] += np.sum(delta * xp[:, channels, rows, cols], axis=0)
                grad_xp[:, channels, rows, cols] += delta * kernel[o]
    t, l = top + crop_shift[0], top + crop_shift[1]
    return grad_xp[:, :, t : t + cfg.h, l : l + cfg.w].copy(), grad_w


TAP_RULES = ("first", "last", "all-maxima", "every-entry", "corner")


def pool_backward_variant(
    cfg: Config,
    grad_y: np.ndarray,
    x: np.ndarray,
    kind: str,
    *,
    rule: str = "first",
    origin: tuple[int, int] | None = None,
    pad_value: float | None = None,
    divisor: str = "area",
) -> np.ndarray:
    """Input gradient of max (``kind='max'``) or average pooling, with an optional wrong turn.

    rule (max): where a window's δ goes: its 'first' maximum in row-major order
        (right, as PyTorch), its 'last', 'all-maxima' (each tied maximum gets δ),
        'every-entry' of the window, or its top-left 'corner';
    origin : window (i, j) starts at (i·origin_h, j·origin_w) (right: the stride);
    pad_value (max): what the padding holds (right: -inf);
    divisor (avg): 'area' = kh·kw (right), 'one' (not divided), 'valid' (entries
        inside x only).
    """
    s, p = cfg.stride, cfg.padding
    origin = origin or (s, s)
    ho, wo = grad_y.shape[-2:]
    kh, kw = cfg.kh, cfg.kw
    size = (
        max(cfg.h + 2 * p, (ho - 1) * origin[0] + kh),
        max(cfg.w + 2 * p, (wo - 1) * origin[1] + kw),
    )
    fill = -np.inf if pad_value is None else pad_value
    xp = np.full((cfg.n, cfg.c, *size), fill if kind == "max" else 0.0)
    xp[:, :, p : p + cfg.h, p : p + cfg.w] = x
    inside = np.zeros(size)
    inside[p : p + cfg.h, p : p + cfg.w] = 1.0
    grad_xp = np.zeros(xp.shape)
    for i in range(ho):
        rows = slice(i * origin[0], i * origin[0] + kh)
        for j in range(wo):
            cols = slice(j * origin[1], j * origin[1] + kw)
            delta = grad_y[:, :, i, j][:, :, None, None]
            if kind == "avg":
                count = {"area": kh * kw, "one": 1, "valid": inside[rows, cols].sum()}[divisor]
                grad_xp[:, :, rows, cols] += delta / count
                continue
            win = xp[:, :, rows, cols].reshape(cfg.n, cfg.c, kh * kw)
            grad_xp[:, :, rows, cols] += delta * _routing(win, rule).reshape(cfg.n, cfg.c, kh, kw)
    return grad_xp[:, :, p : p + cfg.h, p : p + cfg.w].copy()


def _routing(win: np.ndarray, rule: str) -> np.ndarray:
    """Weights (N, C, kh·kw) with which a window's δ is shared among its entries."""
    out = np.zeros(win.shape)
    if rule == "every-entry":
        return out + 1.0
    if rule == "all-maxima":
        return (win == win.max(axis=-1, keepdims=True)).astype(float)
    if rule == "first":
        tap = np.argmax(win, axis=-1)
    elif rule == "last":
        tap = win.shape[-1] - 1 - np.argmax(win[..., ::-1], axis=-1)
    else:  # corner
        tap = np.zeros(win.shape[:-1], dtype=int)
    np.put_along_axis(out, tap[..., None], 1.0, axis=-1)
    return out
