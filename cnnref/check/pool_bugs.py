"""Known bugs of hand-written pooling backward passes (see :mod:`cnnref.check.catalogue`).

x : (N, C, H, W); δ : (N, C, Ho, Wo). Max pooling sends δ to the first
maximum of each window in row-major order (PyTorch's rule); average pooling
divides by kh·kw, padding included.
"""

from __future__ import annotations

from .bug import POOLING, Bug
from .variants import pool_backward_variant


def _pool(kind, **knobs):
    def variants(cfg, inputs, right):
        return [pool_backward_variant(cfg, inputs["grad_y"], inputs["x"], kind, **knobs)]

    return variants


MAX_POOL_BUGS = (
    Bug(
        "maxpool-gradient-to-every-entry",
        "dx",
        "Every entry of a window receives δ; only the window's maximum does (slope 1 there, "
        "0 elsewhere).",
        POOLING,
        _pool("max", rule="every-entry"),
    ),
    Bug(
        "maxpool-gradient-to-every-tied-maximum",
        "dx",
        "Where a window holds equal maxima, each of them receives δ, so δ is counted several "
        "times; one of them (PyTorch and cnnref: the first in row-major order) gets it.",
        POOLING,
        _pool("max", rule="all-maxima"),
    ),
    Bug(
        "maxpool-gradient-to-last-maximum",
        "dx",
        "Where a window holds equal maxima, δ goes to the last one; PyTorch and cnnref send it "
        "to the first in row-major order (a convention: it matters only on ties).",
        POOLING,
        _pool("max", rule="last"),
    ),
    Bug(
        "maxpool-gradient-to-window-corner",
        "dx",
        "Each window's δ goes to its top-left entry instead of to its maximum.",
        POOLING,
        _pool("max", rule="corner"),
    ),
    Bug(
        "maxpool-padding-with-zeros",
        "dx",
        "The input is padded with zeros, so a padding entry wins windows of negative values "
        "and their δ is lost; max pooling pads with -inf.",
        POOLING,
        lambda cfg, i, r: [] if cfg.padding == 0 else _pool("max", pad_value=0.0)(cfg, i, r),
    ),
    Bug(
        "pool-stride-ignored",
        "dx",
        "Window (i, j) is placed at (i, j) instead of (i·s, j·s) in the backward pass.",
        POOLING,
        lambda cfg, i, r: [] if cfg.stride == 1 else _pool("max", origin=(1, 1))(cfg, i, r),
    ),
)

AVG_POOL_BUGS = (
    Bug(
        "avgpool-gradient-not-divided",
        "dx",
        "Each window entry receives δ instead of δ / (kh·kw): the average divides by the "
        "window size, so its gradient does too.",
        POOLING,
        _pool("avg", divisor="one"),
    ),
    Bug(
        "avgpool-divides-by-valid-count",
        "dx",
        "Windows that overlap the padding divide by the entries inside x only; with "
        "count_include_pad (PyTorch's default, cnnref's rule) every window divides by kh·kw.",
        POOLING,
        lambda cfg, i, r: [] if cfg.padding == 0 else _pool("avg", divisor="valid")(cfg, i, r),
    ),
    Bug(
        "pool-stride-ignored",
        "dx",
        "Window (i, j) is placed at (i, j) instead of (i·s, j·s) in the backward pass.",
        POOLING,
        lambda cfg, i, r: [] if cfg.stride == 1 else _pool("avg", origin=(1, 1))(cfg, i, r),
    ),
)
