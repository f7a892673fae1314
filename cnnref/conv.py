"""Batched, multi-channel 2-D convolution: forward, backward, transposed.

Conventions (the same as ``torch.nn.functional.conv2d``):

* ``x`` is NCHW ``(N, C, H, W)`` (or unbatched ``(C, H, W)``), the weight is
  OIHW ``(O, C // groups, kh, kw)``, the output is ``(N, O, Ho, Wo)``;
* the forward pass is **cross-correlation**::

      y[n, o, i, j] = b[o]
          + Σ_{c, a, b'} xp[n, g·C/G + c, i·sh + a·dh, j·sw + b'·dw] · w[o, c, a, b']

  where ``xp`` is ``x`` zero-padded, ``g = o // (O/G)`` is the group of
  output channel ``o``, and ``c`` runs over the ``C/G`` channels of that group;
* ``Ho = conv_output_size(H, kh, sh, padding, dh)`` (see :mod:`cnnref.shapes`).

The backward pass is the textbook result that the derivations prove:
``grad_w = x ⋆ δ`` (correlation of the input with the upstream gradient, the
gradient dilated by the stride), ``grad_x`` = the transposed convolution of
``δ`` with ``w`` (``δ`` dilated by the stride, padded, and correlated with
``rot180(w)`` with the channel axes swapped), and ``grad_b = Σ δ``.

Implementation: im2col. A strided *view* of the padded input lists every
window (no copy), one reshape lays the windows out as columns, and a single
batched matrix product does the arithmetic; the input gradient scatters the
column gradient back with one strided add per kernel tap (col2im). There is
no Python loop over pixels, channels or batch elements. The loop versions in
:mod:`cnnref.naive` are the specification this code is tested against.

NaN and inf are not checked for: they propagate through the sums as numpy
arithmetic does, into every output whose window contains them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ._validate import (
    as_real_array,
    bias_vector,
    check_ndim,
    int_pair,
    padding_pairs,
    positive_int,
)
from .shapes import conv_output_size, conv_transpose_output_size


@dataclass(frozen=True)
class ConvGeometry:
    """Everything a 2-D convolution needs to know besides the numbers.

    ``pads`` is ``((top, bottom), (left, right))``; ``in_hw`` and ``out_hw``
    are the spatial sizes of the convolution's input and output.
    """

    in_channels: int
    out_channels: int
    kernel: tuple[int, int]
    stride: tuple[int, int]
    pads: tuple[tuple[int, int], tuple[int, int]]
    dilation: tuple[int, int]
    groups: int
    in_hw: tuple[int, int]
    out_hw: tuple[int, int]

    @property
    def padded_hw(self) -> tuple[int, int]:
        (t, b), (l, r) = self.pads
        return self.in_hw[0] + t + b, self.in_hw[1] + l + r


def _same_pads(kernel, dilation) -> tuple[tuple[int, int], tuple[int, int]]:
    # PyTorch's rule: total d(k-1) zeros, the odd one at the bottom/right.
    pads = []
    for k, d in zip(kernel, dilation, strict=True):
        total = d * (k - 1)
        pads.append((total // 2, total - total // 2))
    return pads[0], pads[1]


def conv_geometry(
    x_shape, w_shape, stride, padding, dilation, groups, x_name="x", w_name="w"
) -> ConvGeometry:
    """Check the arguments of a convolution and work out its sizes.

    ``x_shape`` is ``(N, C, H, W)``, ``w_shape`` is ``(O, C // groups, kh, kw)``.
    Raises ``ValueError``/``TypeError`` naming the offending argument.
    """
    stride = int_pair("stride", stride, minimum=1)
    dilation = int_pair("dilation", dilation, minimum=1)
    groups = positive_int("groups", groups)
    _, c, h, w_ = x_shape
    o, cg, kh, kw = w_shape
    if 0 in (c, h, w_) or 0 in (o, cg, kh, kw):
        raise ValueError(
            f"{x_name}, {w_name}: expected non-empty channel and spatial axes, "
            f"got shapes {tuple(x_shape)} and {tuple(w_shape)}"
        )
    if c % groups:
        raise ValueError(
            f"groups: input channels ({c}, axis 1 of {x_name}) are not divisible by "
            f"groups={groups}"
        )
    if o % groups:
        raise ValueError(
            f"groups: output channels ({o}, axis 0 of {w_name}) are not divisible by "
            f"groups={groups}"
        )
    if cg * groups != c:
        raise ValueError(
            f"{w_name}: expected {c // groups} input channels per group (axis 1 of {w_name}, "
            f"from {x_name} with {c} channels and groups={groups}), got {cg}"
        )
    pads = padding_pairs("padding", padding)
    if pads == "valid":
        pads = ((0, 0), (0, 0))
    elif pads == "same":
        if stride != (1, 1):
            raise ValueError(f"padding: 'same' needs stride 1, got stride={stride}")
        pads = _same_pads((kh, kw), dilation)
    out_hw = tuple(
        conv_output_size(n, k, s, p, d)
        for n, k, s, p, d in zip((h, w_), (kh, kw), stride, pads, dilation, strict=True)
    )
    if min(out_hw) < 1:
        span = tuple(d * (k - 1) + 1 for k, d in zip((kh, kw), dilation, strict=True))
        padded = (h + sum(pads[0]), w_ + sum(pads[1]))
        raise ValueError(
            f"{w_name}: kernel of spatial size {(kh, kw)} (dilated extent {span}) is larger "
            f"than the padded input {padded} of {x_name}"
        )
    return ConvGeometry(c, o, (kh, kw), stride, pads, dilation, groups, (h, w_), out_hw)


def _freeze(value):
    return tuple(value) if isinstance(value, list) else value


@lru_cache(maxsize=512)
def _cached_geometry(x_shape, w_shape, stride, padding, dilation, groups) -> ConvGeometry:
    return conv_geometry(x_shape, w_shape, stride, padding, dilation, groups)


def _geometry(x_shape, w_shape, stride, padding, dilation, groups) -> ConvGeometry:
    """:func:`conv_geometry`, memoised: small convolutions spend most of their time here."""
    key = (x_shape, w_shape, _freeze(stride), _freeze(padding), _freeze(dilation), groups)
    try:
        hash(key)
    except TypeError:
        return conv_geometry(*key)
    return _cached_geometry(*key)


def _common_dtype(*arrays: np.ndarray) -> np.dtype:
    dtype = arrays[0].dtype
    if all(a.dtype == dtype for a in arrays[1:]):
        return dtype
    return np.result_type(*arrays)


def _batched(name: str, arr: np.ndarray, meaning: str) -> tuple[np.ndarray, bool]:
    check_ndim(name, arr, (3, 4), meaning)
    if arr.ndim == 3:
        return arr[None], True
    return arr, False


def _pad(x: np.ndarray, geo: ConvGeometry) -> np.ndarray:
    (t, b), (l, r) = geo.pads
    if t == b == l == r == 0:
        return np.ascontiguousarray(x)
    xp = np.zeros((*x.shape[:2], *geo.padded_hw), dtype=x.dtype)
    xp[:, :, t : t + x.shape[2], l : l + x.shape[3]] = x
    return xp


def _im2col(x: np.ndarray, geo: ConvGeometry) -> np.ndarray:
    """Columns ``(G, C/G · kh · kw, N · Ho · Wo)``: one column per output pixel.

    A strided view ``(C, kh, kw, N, Ho, Wo)`` of the padded input lists every
    window without copying; the reshape copies it once into columns.
    """
    xp = _pad(x, geo)
    n, c = xp.shape[:2]
    (kh, kw), (sh, sw), (dh, dw) = geo.kernel, geo.stride, geo.dilation
    s_n, s_c, s_h, s_w = xp.strides
    windows = np.ndarray(
        (c, kh, kw, n, *geo.out_hw),
        dtype=xp.dtype,
        buffer=xp,
        strides=(s_c, s_h * dh, s_w * dw, s_n, s_h * sh, s_w * sw),
    )
    return windows.reshape(geo.groups, -1, n * geo.out_hw[0] * geo.out_hw[1])


# Below this many column entries, one bincount over cached indices beats a
# strided add per kernel tap (each add costs a few microseconds of overhead).
_SMALL_COL2IM = 4096


@lru_cache(maxsize=256)
def _scatter_index(geo: ConvGeometry, n: int) -> np.ndarray:
    """Flat index into (C, N, Hp, Wp) of every entry of (C, kh, kw, N, Ho, Wo) columns."""
    (kh, kw), (sh, sw), (dh, dw) = geo.kernel, geo.stride, geo.dilation
    hp, wp = geo.padded_hw
    c, a, b, m, i, j = np.ix_(
        np.arange(geo.in_channels),
        np.arange(kh),
        np.arange(kw),
        np.arange(n),
        np.arange(geo.out_hw[0]),
        np.arange(geo.out_hw[1]),
    )
    index = ((c * n + m) * hp + a * dh + i * sh) * wp + b * dw + j * sw
    index = index.ravel()
    index.flags.writeable = False
    return index


def _col2im(grad_cols: np.ndarray, geo: ConvGeometry, n: int) -> np.ndarray:
    """Adjoint of :func:`_im2col`: add every column entry back where it was read.

    ``grad_cols`` is (G, C/G · kh · kw, N · Ho · Wo); returns (N, C, H, W).
    Small problems use one ``bincount``; larger ones one strided add per
    kernel tap. Neither loops over pixels.
    """
    (kh, kw), (sh, sw), (dh, dw) = geo.kernel, geo.stride, geo.dilation
    ho, wo = geo.out_hw
    hp, wp = geo.padded_hw
    if grad_cols.size <= _SMALL_COL2IM:
        sums = np.bincount(
            _scatter_index(geo, n),
            weights=grad_cols.ravel(),
            minlength=geo.in_channels * n * hp * wp,
        )
        gxp = sums.astype(grad_cols.dtype, copy=False).reshape(geo.in_channels, n, hp, wp)
    else:
        grad_cols = grad_cols.reshape(geo.in_channels, kh, kw, n, ho, wo)
        gxp = np.zeros((geo.in_channels, n, hp, wp), dtype=grad_cols.dtype)
        for a in range(kh):
            rows = slice(a * dh, a * dh + sh * (ho - 1) + 1, sh)
            for b in range(kw):
                gxp[:, :, rows, b * dw : b * dw + sw * (wo - 1) + 1 : sw] += grad_cols[:, a, b]
    (t, _), (l, _) = geo.pads
    h, w = geo.in_hw
    return gxp[:, :, t : t + h, l : l + w].transpose(1, 0, 2, 3).copy()


def _grouped_weight(w: np.ndarray, geo: ConvGeometry) -> np.ndarray:
    """OIHW weight as ``(G, O/G, C/G · kh · kw)``."""
    return w.reshape(geo.groups, geo.out_channels // geo.groups, -1)


def _grouped_output(grad_y: np.ndarray, geo: ConvGeometry) -> np.ndarray:
    """(N, O, Ho, Wo) as ``(G, O/G, N · Ho · Wo)``, the layout of the columns."""
    return grad_y.transpose(1, 0, 2, 3).reshape(geo.groups, geo.out_channels // geo.groups, -1)


def _input_gradient_wide(grad_y: np.ndarray, w: np.ndarray, geo: ConvGeometry) -> np.ndarray:
    """Input gradient for unit width stride, with rows of the full padded width.

    δ is laid out ``Wp`` wide (zeros beyond ``Wo``), so each kernel tap adds
    the column gradient to a window of the flattened padded input whose rows
    are contiguous: long runs instead of ``Wo``-sized pieces. The extra zero
    columns cost a little more arithmetic and add nothing.
    """
    n = grad_y.shape[0]
    (kh, kw), (sh, _), (dh, dw) = geo.kernel, geo.stride, geo.dilation
    ho, wo = geo.out_hw
    hp, wp = geo.padded_hw
    c, o, g = geo.in_channels, geo.out_channels, geo.groups
    dy = np.zeros((o, n, ho, wp), dtype=grad_y.dtype)
    dy[..., :wo] = grad_y.transpose(1, 0, 2, 3)
    grad_cols = np.matmul(_grouped_weight(w, geo).transpose(0, 2, 1), dy.reshape(g, o // g, -1))
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
    return gxp[:, :, t : t + h, l : l + w_].transpose(1, 0, 2, 3).copy()


def _input_gradient(grad_y: np.ndarray, w: np.ndarray, geo: ConvGeometry) -> np.ndarray:
    """∂L/∂x of the convolution ``geo`` for upstream gradient ``grad_y`` (N, O, Ho, Wo).

    This is also the transposed convolution of ``grad_y`` with ``w``.
    """
    n = grad_y.shape[0]
    wide = geo.padded_hw[1] * geo.out_hw[0] * n * geo.out_channels
    if geo.stride[1] == 1 and wide > _SMALL_COL2IM and 2 * geo.padded_hw[1] <= 3 * geo.out_hw[1]:
        return _input_gradient_wide(grad_y, w, geo)
    grad_cols = np.matmul(_grouped_weight(w, geo).transpose(0, 2, 1), _grouped_output(grad_y, geo))
    return _col2im(grad_cols, geo, n)


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1) -> np.ndarray:
    """2-D convolution layer, computed as **cross-correlation** (as in PyTorch).

    Parameters
    ----------
    x : array, shape (N, C, H, W) or (C, H, W)
    w : array, shape (O, C // groups, kh, kw)
    b : array, shape (O,), optional
    stride, dilation : int or (int, int), each >= 1 (dilation 1 = none)
    padding : int, (ph, pw), (top, bottom, left, right), 'valid' or 'same'
        Zeros around ``x``. 'same' (stride 1 only) pads ``d·(k-1)`` in total,
        the odd one at the bottom/right, as PyTorch does.
    groups : int
        Split the channels into ``groups`` independent convolutions.

    Returns
    -------
    y : array, shape (N, O, Ho, Wo) (or (O, Ho, Wo)), dtype ``result_type(x, w)``
        ``Ho = floor((H + pt + pb - dh·(kh-1) - 1) / sh) + 1``, likewise ``Wo``.
    """
    x = as_real_array("x", x)
    w = as_real_array("w", w)
    x, unbatched = _batched("x", x, "(N, C, H, W) or (C, H, W)")
    check_ndim("w", w, (4,), "(O, C // groups, kh, kw)")
    geo = _geometry(x.shape, w.shape, stride, padding, dilation, groups)
    dtype = _common_dtype(x, w)
    b = bias_vector("b", b, geo.out_channels, dtype)
    x, w = x.astype(dtype, copy=False), w.astype(dtype, copy=False)
    n = x.shape[0]
    y = np.matmul(_grouped_weight(w, geo), _im2col(x, geo))
    y = y.reshape(geo.out_channels, n, *geo.out_hw).transpose(1, 0, 2, 3)
    y = y + b[:, None, None] if b is not None else y.copy()
    return y[0] if unbatched else y


def conv2d_backward(grad_y, x, w, stride=1, padding=0, dilation=1, groups=1):
    """Gradients of :func:`conv2d` (cross-correlation) with respect to x, w and b.

    Parameters
    ----------
    grad_y : array, shape (N, O, Ho, Wo) (or (O, Ho, Wo))
        Upstream gradient δ = ∂L/∂y.
    x : array, shape (N, C, H, W) (or (C, H, W))
        The forward input.
    w : array, shape (O, C // groups, kh, kw)
    stride, padding, dilation, groups
        As in the forward call.

    Returns
    -------
    grad_x : array, shape of x
        Transposed convolution of δ: δ dilated by the stride, padded by
        ``d·(k-1) - p``, correlated with ``rot180(w)`` with in/out channels
        swapped; rows that a stride remainder leaves untouched get zero.
    grad_w : array, shape of w
        ``grad_w[o, c] = Σ_n xp[n, c] ⋆ δ[n, o]`` with δ dilated by the stride
        and the kernel taps spaced by the dilation.
    grad_b : array, shape (O,)
        ``Σ_{n, i, j} δ[n, o, i, j]``.
    """
    grad_y = as_real_array("grad_y", grad_y)
    x = as_real_array("x", x)
    w = as_real_array("w", w)
    x, unbatched = _batched("x", x, "(N, C, H, W) or (C, H, W)")
    check_ndim("grad_y", grad_y, (x.ndim - unbatched,), "with as many dimensions as x")
    grad_y = grad_y[None] if unbatched else grad_y
    check_ndim("w", w, (4,), "(O, C // groups, kh, kw)")
    geo = _geometry(x.shape, w.shape, stride, padding, dilation, groups)
    expected = (x.shape[0], geo.out_channels, *geo.out_hw)
    if grad_y.shape != expected:
        shown = expected[1:] if unbatched else expected
        got = grad_y.shape[1:] if unbatched else grad_y.shape
        raise ValueError(f"grad_y: expected the output shape {shown}, got {got}")
    dtype = _common_dtype(grad_y, x, w)
    grad_y, x, w = (
        grad_y.astype(dtype, copy=False),
        x.astype(dtype, copy=False),
        w.astype(dtype, copy=False),
    )
    dy = _grouped_output(grad_y, geo)
    grad_w = np.matmul(dy, _im2col(x, geo).transpose(0, 2, 1)).reshape(w.shape)
    grad_x = _input_gradient(grad_y, w, geo)
    grad_b = dy.sum(axis=(0, 2)) if geo.groups == 1 else dy.sum(axis=2).reshape(-1)
    return (grad_x[0] if unbatched else grad_x), grad_w, grad_b


def transpose_geometry(x_shape, w_shape, stride, padding, output_padding, dilation, groups):
    """Check a transposed convolution's arguments; return the geometry of its adjoint.

    The transposed convolution of ``x`` (N, C_in, H, W) with ``w``
    (C_in, C_out // groups, kh, kw) is the input gradient of the convolution
    that maps (N, C_out, H_out, W_out) to (N, C_in, H, W) with weight ``w``.
    """
    stride = int_pair("stride", stride, minimum=1)
    dilation = int_pair("dilation", dilation, minimum=1)
    groups = positive_int("groups", groups)
    pad = int_pair("padding", padding, minimum=0)
    out_pad = int_pair("output_padding", output_padding, minimum=0)
    for op, s, d in zip(out_pad, stride, dilation, strict=True):
        if op >= max(s, d):
            raise ValueError(
                f"output_padding: expected values smaller than stride or dilation, "
                f"got output_padding={out_pad} with stride={stride}, dilation={dilation}"
            )
    _, c_in, h, w_ = x_shape
    wi, cog, kh, kw = w_shape
    if c_in % groups:
        raise ValueError(
            f"groups: input channels ({c_in}, axis 1 of x) are not divisible by groups={groups}"
        )
    if wi != c_in:
        raise ValueError(
            f"w: expected {c_in} on axis 0 (the input channels of x), got shape {tuple(w_shape)}"
        )
    out_hw = tuple(
        conv_transpose_output_size(n, k, s, p, op, d)
        for n, k, s, p, op, d in zip(
            (h, w_), (kh, kw), stride, pad, out_pad, dilation, strict=True
        )
    )
    if min(out_hw) < 1 or min(h, w_, cog, kh, kw) < 1:
        raise ValueError(
            f"padding: the transposed convolution of x {tuple(x_shape)} with kernel "
            f"{(kh, kw)} and padding={pad} has an empty output {out_hw}"
        )
    geo = ConvGeometry(
        in_channels=cog * groups,
        out_channels=c_in,
        kernel=(kh, kw),
        stride=stride,
        pads=((pad[0], pad[0]), (pad[1], pad[1])),
        dilation=dilation,
        groups=groups,
        in_hw=out_hw,
        out_hw=(h, w_),
    )
    return geo


def conv_transpose2d(
    x, w, b=None, stride=1, padding=0, output_padding=0, dilation=1, groups=1
) -> np.ndarray:
    """2-D transposed convolution, the adjoint of :func:`conv2d` (as in PyTorch).

    Each input pixel scatters a copy of the kernel, scaled by its value, into
    the output at ``stride`` spacing; the overlaps add up. Equivalently, it is
    :func:`conv2d_backward`'s ``grad_x`` with ``x`` as the upstream gradient,
    i.e. ``x`` dilated by the stride, padded by ``d·(k-1) - p`` and
    **cross-correlated** with ``rot180(w)`` (channel axes swapped).

    Parameters
    ----------
    x : array, shape (N, C_in, H, W) or (C_in, H, W)
    w : array, shape (C_in, C_out // groups, kh, kw)
    b : array, shape (C_out,), optional
    stride, dilation : int or (int, int), each >= 1
    padding : int or (int, int)
        The padding of the forward convolution this is the adjoint of:
        ``padding`` rows and columns are cropped from each side of the scatter.
    output_padding : int or (int, int)
        Extra rows/columns at the bottom/right, each smaller than the stride
        or the dilation; picks which of the input sizes that share an output
        size of the forward convolution is produced.
    groups : int

    Returns
    -------
    array, shape (N, C_out, H_out, W_out), dtype ``result_type(x, w)``, with
    ``H_out = (H-1)·sh - 2·ph + dh·(kh-1) + output_padding + 1``.
    """
    x = as_real_array("x", x)
    w = as_real_array("w", w)
    x, unbatched = _batched("x", x, "(N, C_in, H, W) or (C_in, H, W)")
    check_ndim("w", w, (4,), "(C_in, C_out // groups, kh, kw)")
    geo = transpose_geometry(x.shape, w.shape, stride, padding, output_padding, dilation, groups)
    dtype = np.result_type(x.dtype, w.dtype)
    b = bias_vector("b", b, geo.in_channels, dtype)
    y = _input_gradient(x.astype(dtype, copy=False), w.astype(dtype, copy=False), geo)
    if b is not None:
        y += b[:, None, None]
    return y[0] if unbatched else y
