"""Known bugs of hand-written backward passes, each a function computing the wrong answer.

Every entry mirrors a bug of the project's mutation catalogue (or a close
cousin seen in hand-written layers): it takes a configuration, its inputs
and the right gradients, and returns the gradient the bug would produce, in
one or more variants (e.g. a shift by one row *or* by one column). The
checker compares a function's output with these; a match on every
configuration names the bug, explains it in one sentence and links the page
of the site that derives the right formula.

Shapes as in :mod:`cnnref.check.configs`; the convolution is cross-correlation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from .bug import D1, GRID, TRANSPOSED, Bug
from .configs import Config
from .pool_bugs import AVG_POOL_BUGS, MAX_POOL_BUGS
from .variants import conv_backward_variant


def _conv(index: int, **knobs):
    """Variant of the scatter backward with ``knobs``; ``index`` 0 = grad_x, 1 = grad_w."""

    def variants(cfg, inputs, right):
        return [
            conv_backward_variant(cfg, inputs["grad_y"], inputs["x"], inputs["w"], **knobs)[index]
        ]

    return variants


def _conv_each(index: int, choices: Callable[[Config], list[dict]]):
    def variants(cfg, inputs, right):
        return [
            conv_backward_variant(cfg, inputs["grad_y"], inputs["x"], inputs["w"], **knobs)[index]
            for knobs in choices(cfg)
        ]

    return variants


def _remainders(cfg):
    rh, rw = cfg.remainder
    return [{"offset": o} for o in ((rh, 0), (0, rw), (rh, rw))]


def _undilated(cfg):
    d = cfg.dilation
    return [] if d == 1 else [{"taps": t} for t in ((1, 1), (1, d), (d, 1))]


def _shifts(cfg):
    return [{"crop_shift": s} for s in ((1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, -1))]


def _dw_transposed(cfg, inputs, right):
    dw = right["dw"]
    o = dw.shape[0]
    per_window = np.swapaxes(dw, -1, -2).reshape(dw.shape)
    as_matrix = dw.reshape(o, -1).T.reshape(dw.shape)
    return [per_window, as_matrix]


def _dw_one_example(cfg, inputs, right):
    gy, x = inputs["grad_y"], inputs["x"]
    first_x = np.broadcast_to(x[:1], x.shape)
    out = []
    for g, xx in ((gy[:1], x[:1]), (gy[-1:], x[-1:]), (gy, first_x)):
        sub = replace(cfg, n=g.shape[0])
        out.append(conv_backward_variant(sub, g, xx, inputs["w"])[1])
    return out


def _db(cfg, inputs, right):
    gy, db = inputs["grad_y"], right["db"]
    n, ho, wo = gy.shape[0], *gy.shape[2:]
    return [db / (n * ho * wo), db / n, gy[0].sum(axis=(1, 2)), gy[-1].sum(axis=(1, 2))]


CONV_BUGS = (
    Bug(
        "dx-kernel-not-rotated",
        "dx",
        "The kernel is rotated the wrong way in the input gradient: it is δ fully correlated "
        "with rot180(w), which is the same as each δ scattering w, unrotated, into its window.",
        D1,
        _conv(0, flip=True),
    ),
    Bug(
        "dx-stride-ignored",
        "dx",
        "The input gradient places window (i, j) at (i, j) instead of (i·s, j·s): "
        "δ must be dilated by the stride before the rotated kernel is applied.",
        GRID,
        lambda cfg, i, r: [] if cfg.stride == 1 else _conv(0, origin=(1, 1))(cfg, i, r),
    ),
    Bug(
        "dx-remainder-rows-shifted",
        "dx",
        "The input gradient is aligned with the far end of the input: the rows and columns a "
        "stride remainder leaves out are at the bottom and right and must get zero.",
        GRID,
        _conv_each(0, _remainders),
    ),
    Bug(
        "dx-cropped-off-by-one",
        "dx",
        "The input gradient is cropped from the padded one one row or column off: exactly "
        "`padding` rows and columns come off each side.",
        TRANSPOSED,
        _conv_each(0, _shifts),
    ),
    Bug(
        "dx-dilation-ignored",
        "dx",
        "The input gradient scatters the kernel taps next to each other: with dilation d they "
        "sit d apart, as in the forward pass.",
        GRID,
        _conv_each(0, _undilated),
    ),
    Bug(
        "dx-groups-channel-order",
        "dx",
        "The input gradient sends output channel o to group o mod G: groups are consecutive "
        "blocks, output channel o belongs to group o // (O/G).",
        GRID,
        _conv(0, groups="interleaved"),
    ),
    Bug(
        "dx-groups-mixed-up",
        "dx",
        "Every group's input gradient lands in the first group's input channels.",
        GRID,
        _conv(0, groups="first"),
    ),
    Bug(
        "dw-kernel-rotated",
        "dw",
        "The weight gradient is rotated by 180 degrees: the rotation belongs to the input "
        "gradient only; the weight gradient is x correlated with δ.",
        D1,
        lambda cfg, inputs, right: [right["dw"][..., ::-1, ::-1]],
    ),
    Bug(
        "dw-transposed",
        "dw",
        "The weight gradient is laid out transposed (a window read column-major, or the "
        "(C·kh·kw, O) matrix reshaped as if it were (O, C·kh·kw)).",
        D1,
        _dw_transposed,
    ),
    Bug(
        "dw-one-example",
        "dw",
        "The weight gradient uses one example of the batch (assigned instead of added, or "
        "always the first example's input): it is a sum over the whole batch.",
        D1,
        _dw_one_example,
    ),
    Bug(
        "dw-stride-ignored",
        "dw",
        "The weight gradient reads window (i, j) at (i, j) instead of (i·s, j·s): "
        "x is correlated with δ dilated by the stride.",
        GRID,
        lambda cfg, i, r: [] if cfg.stride == 1 else _conv(1, origin=(1, 1))(cfg, i, r),
    ),
    Bug(
        "dw-dilation-ignored",
        "dw",
        "The weight gradient reads undilated windows: its taps are `dilation` apart in x, "
        "as in the forward pass.",
        GRID,
        _conv_each(1, _undilated),
    ),
    Bug(
        "dw-groups-channel-order",
        "dw",
        "The weight gradient of output channel o reads group o mod G: output channel o "
        "belongs to group o // (O/G).",
        GRID,
        _conv(1, groups="interleaved"),
    ),
    Bug(
        "dw-groups-mixed-up",
        "dw",
        "Every group's weight gradient correlates δ with the first group's input channels "
        "(of the kind PyTorch's nn.grad.conv2d_weight shipped: a group's weight gradient "
        "paired with input channels not its own).",
        GRID,
        _conv(1, groups="first"),
    ),
    Bug(
        "db-wrong-reduction",
        "db",
        "The bias gradient is averaged, or taken from one example: it is δ summed over the "
        "batch and every pixel, once per output channel.",
        D1,
        _db,
    ),
)


def bugs_for(op: str) -> tuple[Bug, ...]:
    """The catalogue of known bugs of ``op``'s backward pass."""
    return {"conv2d": CONV_BUGS, "max_pool2d": MAX_POOL_BUGS, "avg_pool2d": AVG_POOL_BUGS}[op]
