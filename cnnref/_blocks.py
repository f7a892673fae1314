"""A batch in blocks of whole images, the blocks shared among the cores.

:func:`forward`, :func:`backward` and :func:`input_gradient` run the batch in
blocks of whole images whose columns take about :data:`BLOCK` bytes: the
columns of one block are written, multiplied and read back while they are
still in the cache, and the same few megabytes of memory serve every block
(columns of the whole batch would be fresh memory on every call, which the
system must map and zero). Each block is one matrix product per step
(:mod:`._columns`, :mod:`._col2im`); the only Python loop is over these
blocks (and over kernel taps). A batch of several blocks is shared among the
cores, an equal number of blocks each (:mod:`._parallel`), and the parts'
weight and bias gradients are added in batch order.
"""

from __future__ import annotations

import numpy as np

from . import _parallel
from ._col2im import block_input_gradient
from ._columns import batch_inner, grouped_output, grouped_weight, im2col, output_images
from .geometry import ConvGeometry

# Bytes of columns per block of images (see the module docstring).
BLOCK = 2 << 20


def blocks(geo: ConvGeometry, n: int, itemsize: int, multiple: int = 1) -> list[slice]:
    """``range(n)`` cut into blocks of whole images, at most :data:`BLOCK` bytes of columns each.

    The fewest blocks within the budget (one image at least), rounded up to a
    multiple of ``multiple`` while there are images enough (so that parts of
    the batch run on ``multiple`` cores get equal shares), of sizes that
    differ by one image at most. At least one block, possibly empty (an empty batch).
    """
    (kh, kw), (ho, wo) = geo.kernel, geo.out_hw
    per_image = geo.in_channels * kh * kw * ho * wo * itemsize
    if n * per_image <= BLOCK and multiple == 1:
        return [slice(0, n)]
    count = -(-n // max(1, BLOCK // max(1, per_image)))
    count = max(1, min(n, -(-count // multiple) * multiple))
    return [slice(a, b) for a, b in _parallel.even_cuts(n, count)]


def _put(out: np.ndarray | None, span: slice, part: np.ndarray) -> np.ndarray:
    """Write a block's result into ``out``; with no ``out`` (one block) the result becomes it.

    A single block's own array is kept when it is contiguous: no copy, and its
    dtype shows as it is.
    """
    if out is None:
        return np.ascontiguousarray(part)
    out[span] = part
    return out


def core_groups(spans: list[slice], geo: ConvGeometry, itemsize: int) -> list[list[slice]]:
    """The batch's blocks ``spans`` as one group of blocks per core (see :mod:`._parallel`).

    One group when the batch is not split; split over several cores, the
    batch is cut again into a multiple of the cores' count, so that each
    gets as many.
    """
    count = _parallel.parts(len(spans))
    if count == 1:
        return [spans]
    spans = blocks(geo, spans[-1].stop, itemsize, multiple=count)
    return _parallel.split(spans, count)


def _run(spans: list[slice], block_run, geo: ConvGeometry, itemsize: int) -> list:
    """``block_run(group)`` for each group of :func:`core_groups`, one per core."""
    return _parallel.map_parts(block_run, core_groups(spans, geo, itemsize))


def _input_gradient_blocks(grad_y, w, geo, spans, grad_x):
    for span in spans:
        inner = batch_inner(geo, span.stop - span.start)
        grad_x = _put(grad_x, span, block_input_gradient(grad_y[span], w, geo, inner=inner))
    return grad_x


def input_gradient(grad_y: np.ndarray, w: np.ndarray, geo: ConvGeometry) -> np.ndarray:
    """∂L/∂x (N, C, H, W) of the convolution ``geo`` for upstream gradient (N, O, Ho, Wo).

    This is also the transposed convolution of ``grad_y`` with ``w``.
    """
    n = grad_y.shape[0]
    spans = blocks(geo, n, grad_y.itemsize)
    grad_x = None if len(spans) == 1 else np.empty((n, geo.in_channels, *geo.in_hw), grad_y.dtype)
    run = _run(
        spans,
        lambda group: _input_gradient_blocks(grad_y, w, geo, group, grad_x),
        geo,
        grad_y.itemsize,
    )
    return run[0]


def _forward_blocks(x, w, b, geo, spans, y):
    weight = grouped_weight(w, geo)
    for span in spans:
        inner = batch_inner(geo, span.stop - span.start)
        part = output_images(np.matmul(weight, im2col(x[span], geo, inner)), geo, inner)
        if b is not None:
            part += b[:, None, None]
        y = _put(y, span, part)
    return y


def forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, geo: ConvGeometry) -> np.ndarray:
    """Cross-correlation of x (N, C, H, W) with w (O, C/G, kh, kw), plus b (O,): (N, O, Ho, Wo)."""
    n, o, (ho, wo) = x.shape[0], geo.out_channels, geo.out_hw
    spans = blocks(geo, n, x.itemsize)
    y = None if len(spans) == 1 else np.empty((n, o, ho, wo), dtype=x.dtype)
    return _run(spans, lambda group: _forward_blocks(x, w, b, geo, group, y), geo, x.itemsize)[0]


def _backward_blocks(grad_y, x, w, geo, spans, grad_x):
    """``(grad_x, Σ grad_w terms, Σ grad_b terms)`` of the blocks ``spans``, summed in order."""
    grad_w, grad_b = [], []
    for span in spans:
        delta, inner = grad_y[span], batch_inner(geo, span.stop - span.start)
        dy = grouped_output(delta, geo, inner)
        cols = im2col(x[span], geo, inner)
        # (cols δᵀ)ᵀ = δ colsᵀ: numpy's BLAS is faster with the long axis inside the product
        grad_w.append(np.matmul(cols, dy.transpose(0, 2, 1)).transpose(0, 2, 1))
        grad_b.append(dy.sum(axis=2))
        grad_x = _put(grad_x, span, block_input_gradient(delta, w, geo, dy, inner))
    return grad_x, sum(grad_w[1:], grad_w[0]), sum(grad_b[1:], grad_b[0])


def backward(grad_y: np.ndarray, x: np.ndarray, w: np.ndarray, geo: ConvGeometry):
    """Gradients ``(grad_x, grad_w, grad_b)`` of :func:`forward` for upstream gradient δ.

    Per block: ``grad_w += δ colsᵀ``, ``grad_b += Σ δ``, and ``grad_x`` = col2im of ``wᵀ δ``;
    the parts of the batch (one per core) are added in batch order.
    """
    spans = blocks(geo, x.shape[0], x.itemsize)
    grad_x = None if len(spans) == 1 else np.empty(x.shape, dtype=x.dtype)
    parts = _run(
        spans, lambda group: _backward_blocks(grad_y, x, w, geo, group, grad_x), geo, x.itemsize
    )
    grad_x = parts[0][0]
    grad_w, grad_b = parts[0][1], parts[0][2]
    for _, part_w, part_b in parts[1:]:
        grad_w, grad_b = grad_w + part_w, grad_b + part_b
    return grad_x, grad_w.reshape(w.shape), grad_b.reshape(-1)
