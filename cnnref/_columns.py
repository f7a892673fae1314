"""im2col: the columns a convolution's matrix products read, in two layouts.

A convolution reads, for every output pixel, one window of the padded input.
Laid out as columns ``(G, C/G · kh · kw, N · Ho · Wo)`` (one column per output
pixel, grouped by channel group), the forward pass is one batched matrix
product with the weight ``(G, O/G, C/G · kh · kw)``; the weight gradient is
the product of δ with the transposed columns; and the input gradient is the
column gradient ``wᵀ δ`` added back to where each entry was read (col2im,
:mod:`._col2im`). :mod:`._blocks` runs these steps over a batch.

Which layout is fastest depends on the size (none loops over pixels or
channels in Python):

* small problems: precomputed flat indices, one gather (:func:`gather_index`);
* otherwise a copy of a strided view of the padded input, its columns over
  ``(N, Ho, Wo)``;
* with a unit width stride and a block of :data:`INNER_MIN` images or more,
  the batch as the innermost axis (padded input ``(C, Hp, Wp, n)``, columns
  over ``(Ho, Wo, n)``): a tap then copies and adds runs of ``Wo · n``
  entries instead of ``Wo`` (numpy's strided loops pay per run), for the
  price of transposing ``x``, ``y``, δ and ∂L/∂x in and out. Forward and
  backward use the same layout, block by block (:func:`batch_inner`).
"""

from __future__ import annotations

import math
import threading

import numpy as np

from .geometry import ConvGeometry
from .signal import pad2d

# Up to this many column entries, the index path wins.
SMALL = 4096
# Blocks of at least this many images run with the batch innermost (see batch_inner).
INNER_MIN = 8
# Largest intermediate a thread keeps for reuse (see scratch).
SCRATCH_MAX = 8 << 20

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
    size = dtype.itemsize * math.prod(shape)
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

    Read-only. Outside the small path they are :func:`scratch` memory of the
    calling thread (up to :data:`SCRATCH_MAX` bytes): valid until its next
    im2col.

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
    cols.flags.writeable = False
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
