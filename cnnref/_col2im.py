"""col2im: the input gradient, the column gradient added back where each entry was read.

The column gradient ``wᵀ δ`` has one entry per entry of the columns
(:mod:`._columns`); each is added to the input pixel its column entry was
copied from. One strategy per shape of problem (none loops over pixels or
channels in Python):

* small problems: one ``bincount`` over the im2col index;
* a block with the batch innermost (:func:`._columns.batch_inner`): one add
  per kernel tap (:func:`col2im_taps`) of runs of ``Wo · n`` entries;
* otherwise, with a unit width stride, δ laid out at the full padded width so
  that each tap's slice has long contiguous rows, when that widens δ by a
  quarter at most (wider, its extra arithmetic costs more than the long rows
  save: LeNet's 10-wide output in a 14-wide input) and for finite weights
  (the zeros that widen δ would turn an inf of ``w`` into NaN);
* otherwise one strided add per kernel tap (:func:`col2im_taps`).

:func:`block_input_gradient` tries them in this order.
"""

from __future__ import annotations

import numpy as np

from ._columns import (
    _small,
    _zeros,
    gather_index,
    grouped_output,
    grouped_weight,
    scratch,
)
from .geometry import ConvGeometry


def col2im_taps(
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


def input_gradient_wide(grad_y: np.ndarray, w: np.ndarray, geo: ConvGeometry) -> np.ndarray:
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


def block_input_gradient(
    grad_y: np.ndarray,
    w: np.ndarray,
    geo: ConvGeometry,
    dy: np.ndarray | None = None,
    inner: bool = False,
) -> np.ndarray:
    """∂L/∂x of one block of images, (n, C, H, W) (a view or a new array).

    ``inner`` is the block's layout (:func:`._columns.batch_inner`), and ``dy``
    is ``grouped_output(grad_y, geo, inner)`` when the caller has it. The
    strategy is the first of the module docstring's list that applies.
    """
    n = grad_y.shape[0]
    wt = grouped_weight(w, geo).transpose(0, 2, 1)
    if dy is None:
        dy = grouped_output(grad_y, geo, inner)
    if not inner and _small(geo, n):
        grad_cols = np.matmul(wt, dy)
        size = n * geo.in_channels * geo.in_hw[0] * geo.in_hw[1]
        sums = np.bincount(
            gather_index(geo, n).reshape(-1), weights=grad_cols.reshape(-1), minlength=size + 1
        )
        return sums[:size].astype(grad_y.dtype, copy=False).reshape(n, geo.in_channels, *geo.in_hw)
    # The full-width rows pad δ with zeros, which an inf or NaN of w would turn into NaN.
    if (
        not inner
        and geo.stride[1] == 1
        and 4 * geo.padded_hw[1] <= 5 * geo.out_hw[1]
        and np.isfinite(w).all()
    ):
        return input_gradient_wide(grad_y, w, geo)
    return col2im_taps(_column_gradient(wt, dy), geo, n, inner)
