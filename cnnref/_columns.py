"""im2col and its adjoint: the vectorised machinery under :mod:`cnnref.conv`.

A convolution reads, for every output pixel, one window of the padded input.
Laid out as columns ``(G, C/G · kh · kw, N · Ho · Wo)`` (one column per output
pixel, grouped by channel group), the forward pass is one batched matrix
product with the weight ``(G, O/G, C/G · kh · kw)``; the weight gradient is
the product of δ with the transposed columns; and the input gradient is the
column gradient ``wᵀ δ`` added back to where each entry was read (col2im).

Which layout is fastest depends on the size, so each step picks a strategy
(none loops over pixels or channels in Python):

* small problems: precomputed flat indices, one gather for im2col and one
  ``bincount`` for col2im — a few microseconds of overhead in all;
* otherwise im2col copies a strided view of the padded input, and col2im adds
  one strided slice per kernel tap;
* with a unit width stride, col2im instead lays δ out at the full padded width
  so that each tap's slice has long contiguous rows, when that widens δ by a
  quarter at most (wider, its extra arithmetic costs more than the long rows
  save: LeNet's 10-wide output in a 14-wide input) and for finite weights
  (the zeros that widen δ would turn an inf of ``w`` into NaN);
* with a unit width stride and a block of :data:`INNER_MIN` images or more,
  the whole block runs with the batch as the innermost axis (padded input
  ``(C, Hp, Wp, n)``, columns over ``(Ho, Wo, n)``): a tap then copies and
  adds runs of ``Wo · n`` entries instead of ``Wo`` (numpy's strided loops
  pay per run), for the price of transposing ``x``, ``y``, δ and ∂L/∂x in
  and out. Forward and backward use the same layout, block by block.

:func:`forward` and :func:`backward` run the batch in blocks of whole images
whose columns take about :data:`BLOCK` bytes: the columns of one block are
written, multiplied and read back while they are still in the cache, and the
same few megabytes of memory serve every block (columns of the whole batch
would be fresh memory on every call, which the system must map and zero).
Each block is one matrix product per step, as above; the only Python loop is
over these blocks (and over kernel taps). A batch of several blocks is shared
among the cores, an equal number of blocks each (:mod:`._parallel`), and the
parts' weight and bias gradients are added in batch order.
"""

from __future__ import annotations

import threading

import numpy as np

from . import _parallel
from .geometry import ConvGeometry
from .signal import pad2d

# Up to this many column entries, the index path wins.
SMALL = 4096
# Bytes of columns per block of images (see the module docstring).
BLOCK = 2 << 20
# Blocks of at least this many images run with the batch innermost (see batch_inner).
INNER_MIN = 8
# Largest intermediate a thread keeps for reuse (see scratch).
SCRATCH_MAX = 4 * BLOCK

_SCRATCH = threading.local()


def scratch(name: str, shape: tuple[int, ...], dtype) -> np.ndarray:
    """An uninitialised array for the intermediate ``name``, reused by the calling thread.

    The columns of a block and their gradient take megabytes. Allocated
    afresh for every block, such memory may go back to the system when it is
    freed and come again as new pages, which the system must map and zero
    (it depends on what else the process allocates). So each thread keeps
    one buffer per name, up to :data:`SCRATCH_MAX` bytes, and hands out views
    of it; nothing in it is returned to the caller.
    """
    dtype = np.dtype(dtype)
    size = dtype.itemsize
    for extent in shape:
        size *= extent
    if size > SCRATCH_MAX:
        return np.empty(shape, dtype)
    buffers = _SCRATCH.__dict__
    memory = buffers.get(name)
    if memory is None or memory.nbytes < size:
        memory = buffers[name] = np.empty(size, np.uint8)
    return memory[:size].view(dtype).reshape(shape)


def column_rows(geo: ConvGeometry) -> int:
    """Rows of one group's columns, ``C/G · kh · kw`` (explicit: an empty batch has no -1)."""
    return geo.in_channels // geo.groups * geo.kernel[0] * geo.kernel[1]


def gather_index(geo: ConvGeometry, n: int) -> np.ndarray:
    """Flat index into ``x`` (N, C, H, W) of every column entry, shape (G, K, N·Ho·Wo).

    Entries that fall in the zero padding point one past the end of ``x``:
    index ``N·C·H·W``, where the caller puts a zero (for gathering) or
    discards what lands (for scattering). Kept on the (memoised) geometry.
    """
    index = geo.plans.get(n)
    if index is not None:
        return index
    (kh, kw), (sh, sw), (dh, dw) = geo.kernel, geo.stride, geo.dilation
    (top, _), (left, _) = geo.pads
    h, w = geo.in_hw
    c, a, b, m, i, j = np.ix_(
        np.arange(geo.in_channels),
        np.arange(kh),
        np.arange(kw),
        np.arange(n),
        np.arange(geo.out_hw[0]),
        np.arange(geo.out_hw[1]),
    )
    row = i * sh + a * dh - top
    col = j * sw + b * dw - left
    inside = (row >= 0) & (row < h) & (col >= 0) & (col < w)
    index = np.where(inside, ((m * geo.in_channels + c) * h + row) * w + col, n * c.size * h * w)
    index = index.reshape(geo.groups, column_rows(geo), n * geo.out_hw[0] * geo.out_hw[1])
    index.flags.writeable = False
    if len(geo.plans) > 8:
        geo.plans.clear()
    geo.plans[n] = index
    return index


def batch_inner(geo: ConvGeometry, n: int) -> bool:
    """Whether a block of ``n`` images runs with the batch as the innermost axis.

    With a unit width stride, a kernel tap reads and writes runs of ``Wo``
    pixels; with the batch innermost, runs of ``Wo · n`` (a row of every
    image in the block): numpy's strided copies and adds pay per run, which
    costs LeNet's 10-wide rows most of their time. Below :data:`INNER_MIN`
    images the transposes in and out cost more than the longer runs save.
    """
    return geo.stride[1] == 1 and n >= INNER_MIN and not _small(geo, n)


def _small(geo: ConvGeometry, n: int) -> bool:
    """Whether the columns of ``n`` images have at most :data:`SMALL` entries (the index path)."""
    return column_rows(geo) * geo.groups * n * geo.out_hw[0] * geo.out_hw[1] <= SMALL


def _zeros(c: int, n: int, hw: tuple[int, int], dtype, inner: bool) -> np.ndarray:
    """Zeros ``(C, n, H, W)``: C-contiguous, or a view of ``(C, H, W, n)`` memory (``inner``)."""
    if inner:
        return np.zeros((c, *hw, n), dtype=dtype).transpose(0, 3, 1, 2)
    return np.zeros((c, n, *hw), dtype=dtype)


def _padded(x: np.ndarray, geo: ConvGeometry, inner: bool = False) -> np.ndarray:
    """``x`` zero-padded (N, C, Hp, Wp): C-contiguous (``x`` itself when already so and
    unpadded), or with the batch innermost in memory (``inner``, see :func:`batch_inner`)."""
    if inner:
        (t, _), (l, _) = geo.pads
        n, c, h, w = x.shape
        xp = _zeros(c, n, geo.padded_hw, x.dtype, inner)
        xp[:, :, t : t + h, l : l + w] = x.transpose(1, 0, 2, 3)
        return xp.transpose(1, 0, 2, 3)
    if not geo.padded:
        return np.ascontiguousarray(x)
    (t, b), (l, r) = geo.pads
    return pad2d(x, (t, b, l, r))


def im2col(x: np.ndarray, geo: ConvGeometry, inner: bool = False) -> np.ndarray:
    """Columns ``(G, C/G · kh · kw, N · Ho · Wo)`` of ``x`` (N, C, H, W).

    They are :func:`scratch` memory: valid until the calling thread's next
    im2col, and to be read only.

    The columns run over ``(N, Ho, Wo)``, or over ``(Ho, Wo, N)`` with ``inner``
    (the batch innermost, see :func:`batch_inner`).
    """
    n = x.shape[0]
    if _small(geo, n):
        flat = x.reshape(-1)
        if geo.padded:
            flat = np.concatenate((flat, np.zeros(1, dtype=x.dtype)))
        return flat[gather_index(geo, n)]
    xp = _padded(x, geo, inner)
    (kh, kw), (sh, sw), (dh, dw) = geo.kernel, geo.stride, geo.dilation
    s_n, s_c, s_h, s_w = xp.strides
    windows = np.ndarray(
        (geo.in_channels, kh, kw, n, *geo.out_hw),
        dtype=xp.dtype,
        buffer=xp.base if inner else xp,  # (a buffer is contiguous memory: the view's owner)
        strides=(s_c, s_h * dh, s_w * dw, s_n, s_h * sh, s_w * sw),
    )
    if inner:
        windows = windows.transpose(0, 1, 2, 4, 5, 3)
    cols = scratch("columns", windows.shape, xp.dtype)
    cols[...] = windows
    return cols.reshape(geo.groups, column_rows(geo), n * geo.out_hw[0] * geo.out_hw[1])


def grouped_weight(w: np.ndarray, geo: ConvGeometry) -> np.ndarray:
    """OIHW weight as ``(G, O/G, C/G · kh · kw)``."""
    return w.reshape(geo.groups, geo.out_channels // geo.groups, -1)


def grouped_output(grad_y: np.ndarray, geo: ConvGeometry, inner: bool = False) -> np.ndarray:
    """(N, O, Ho, Wo) as ``(G, O/G, N · Ho · Wo)``, laid out as the columns (:func:`im2col`)."""
    axes = (1, 2, 3, 0) if inner else (1, 0, 2, 3)
    return grad_y.transpose(axes).reshape(geo.groups, geo.out_channels // geo.groups, -1)


def output_images(product: np.ndarray, geo: ConvGeometry, inner: bool = False) -> np.ndarray:
    """A product laid out as the columns, ``(G, O/G, N · Ho · Wo)``, as images (N, O, Ho, Wo)."""
    (ho, wo), o = geo.out_hw, product.shape[0] * product.shape[1]
    if inner:
        return product.reshape(o, ho, wo, -1).transpose(3, 0, 1, 2)
    return product.reshape(o, -1, ho, wo).transpose(1, 0, 2, 3)


def _col2im_taps(
    grad_cols: np.ndarray, geo: ConvGeometry, n: int, inner: bool = False
) -> np.ndarray:
    """Adjoint of im2col by one strided add per kernel tap; returns an (N, C, H, W) view.

    With ``inner`` the columns run over (Ho, Wo, N) and the sums are kept with
    the batch innermost, so each tap adds runs of ``Wo · n`` (see :func:`batch_inner`).
    """
    (kh, kw), (sh, sw), (dh, dw) = geo.kernel, geo.stride, geo.dilation
    ho, wo = geo.out_hw
    if inner:
        grad_cols = grad_cols.reshape(geo.in_channels, kh, kw, ho, wo, n)
        grad_cols = grad_cols.transpose(0, 1, 2, 5, 3, 4)
    else:
        grad_cols = grad_cols.reshape(geo.in_channels, kh, kw, n, ho, wo)
    gxp = _zeros(geo.in_channels, n, geo.padded_hw, grad_cols.dtype, inner)
    for a in range(kh):
        rows = slice(a * dh, a * dh + sh * (ho - 1) + 1, sh)
        for b in range(kw):
            gxp[:, :, rows, b * dw : b * dw + sw * (wo - 1) + 1 : sw] += grad_cols[:, a, b]
    (t, _), (l, _) = geo.pads
    h, w = geo.in_hw
    return gxp[:, :, t : t + h, l : l + w].transpose(1, 0, 2, 3)


def _input_gradient_wide(grad_y: np.ndarray, w: np.ndarray, geo: ConvGeometry) -> np.ndarray:
    """Input gradient for unit width stride, with rows of the full padded width.

    δ is laid out ``Wp`` wide (zeros beyond ``Wo``), so each kernel tap adds
    the column gradient to a window of the flattened padded input whose rows
    are contiguous: long runs instead of ``Wo``-sized pieces. The extra zero
    columns cost a little more arithmetic and add nothing. Returns an
    (N, C, H, W) view.
    """
    n = grad_y.shape[0]
    (kh, kw), (sh, _), (dh, dw) = geo.kernel, geo.stride, geo.dilation
    ho, wo = geo.out_hw
    hp, wp = geo.padded_hw
    c, o, g = geo.in_channels, geo.out_channels, geo.groups
    dy = np.zeros((o, n, ho, wp), dtype=grad_y.dtype)
    dy[..., :wo] = grad_y.transpose(1, 0, 2, 3)
    grad_cols = _column_gradient(
        grouped_weight(w, geo).transpose(0, 2, 1), dy.reshape(g, o // g, -1)
    )
    grad_cols = grad_cols.reshape(c, kh, kw, n, ho, wp)
    rows = hp + 1  # one spare row: a tap's zero tail may run past the last row
    gxp = np.zeros((c, n, rows, wp), dtype=grad_y.dtype)
    item = gxp.itemsize
    strides = (n * rows * wp * item, rows * wp * item, sh * wp * item, item)
    for a in range(kh):
        for b in range(kw):
            offset = (a * dh * wp + b * dw) * item
            np.ndarray((c, n, ho, wp), gxp.dtype, gxp, offset, strides)[...] += grad_cols[:, a, b]
    (t, _), (l, _) = geo.pads
    h, w_ = geo.in_hw
    return gxp[:, :, t : t + h, l : l + w_].transpose(1, 0, 2, 3)


def _column_gradient(wt: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """``wᵀ δ`` (G, C/G · kh · kw, n · Ho · Wo), in the thread's scratch memory."""
    out = scratch("column gradient", (wt.shape[0], wt.shape[1], dy.shape[2]), dy.dtype)
    return np.matmul(wt, dy, out=out)


def _block_input_gradient(
    grad_y: np.ndarray,
    w: np.ndarray,
    geo: ConvGeometry,
    dy: np.ndarray | None = None,
    inner: bool = False,
) -> np.ndarray:
    """∂L/∂x of one block of images, (n, C, H, W) (a view or a new array).

    ``dy`` is ``grouped_output(grad_y, geo, inner)`` when the caller has it.
    """
    n = grad_y.shape[0]
    wt = grouped_weight(w, geo).transpose(0, 2, 1)
    if dy is None:
        dy = grouped_output(grad_y, geo, inner)
    if inner:
        return _col2im_taps(_column_gradient(wt, dy), geo, n, inner)
    if _small(geo, n):
        grad_cols = np.matmul(wt, dy)
        size = n * geo.in_channels * geo.in_hw[0] * geo.in_hw[1]
        sums = np.bincount(
            gather_index(geo, n).reshape(-1), weights=grad_cols.reshape(-1), minlength=size + 1
        )
        return sums[:size].astype(grad_y.dtype, copy=False).reshape(n, geo.in_channels, *geo.in_hw)
    # The full-width rows pad δ with zeros, which an inf or NaN of w would turn into NaN.
    if geo.stride[1] == 1 and 4 * geo.padded_hw[1] <= 5 * geo.out_hw[1] and np.isfinite(w).all():
        return _input_gradient_wide(grad_y, w, geo)
    return _col2im_taps(_column_gradient(wt, dy), geo, n)


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


def _run(spans: list[slice], block_run, geo: ConvGeometry, itemsize: int) -> list:
    """``block_run(group)`` for one group of blocks per core (see :mod:`._parallel`).

    ``spans`` are the batch's blocks; split over several cores, the batch is
    cut again into a multiple of the cores' count, so that each gets as many.
    """
    count = _parallel.parts(len(spans))
    if count == 1:
        return [block_run(spans)]
    spans = blocks(geo, spans[-1].stop, itemsize, multiple=count)
    return _parallel.map_parts(block_run, _parallel.split(spans, count))


def _input_gradient_blocks(grad_y, w, geo, spans, grad_x):
    for span in spans:
        inner = batch_inner(geo, span.stop - span.start)
        grad_x = _put(grad_x, span, _block_input_gradient(grad_y[span], w, geo, inner=inner))
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
        # (cols δᵀ)ᵀ = δ colsᵀ: numpy's BLAS is faster with the long axis inside the product
        cols = im2col(x[span], geo, inner)
        grad_w.append(np.matmul(cols, dy.transpose(0, 2, 1)).transpose(0, 2, 1))
        grad_b.append(dy.sum(axis=2))
        grad_x = _put(grad_x, span, _block_input_gradient(delta, w, geo, dy, inner))
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
