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

Implementation: im2col (:mod:`cnnref._columns`), matrix products and col2im
(:mod:`cnnref._col2im`), with no Python loop over pixels or channels; a large
batch runs in blocks of whole images sized for the cache, shared among the
cores (:mod:`cnnref._blocks`). The loop versions in :mod:`cnnref.naive` are
the specification this code is tested against.

NaN and inf are not checked for: they propagate through the sums as numpy
arithmetic does, into every output whose window contains them.
"""

from __future__ import annotations

import numpy as np

from . import _blocks as blocks
from . import _columns as columns
from ._validate import as_real_array, bias_vector, check_ndim
from .geometry import cached_conv_geometry, cached_transpose_geometry
from .signal import check_pad_mode, pad2d, pad2d_backward

# nn.Conv2d's padding modes: 'zeros', or what F.pad's mode copies into the border.
PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _common_dtype(*arrays: np.ndarray) -> np.dtype:
    """numpy's promotion of the arrays' (floating) dtypes; quick when they agree."""
    dtype = arrays[0].dtype
    for a in arrays[1:]:
        if a.dtype != dtype:
            return np.result_type(*arrays)
    return dtype


def _batched(name: str, arr: np.ndarray, meaning: str) -> tuple[np.ndarray, bool]:
    check_ndim(name, arr, (3, 4), meaning)
    if arr.ndim == 3:
        return arr[None], True
    return arr, False


def _check_grad_y(grad_y: np.ndarray, expected: tuple, unbatched: bool) -> None:
    if grad_y.shape != expected:
        shown = expected[1:] if unbatched else expected
        got = grad_y.shape[1:] if unbatched else grad_y.shape
        raise ValueError(f"grad_y: expected the output shape {shown}, got {got}")


def _geometry(x_shape, w_shape, stride, padding, dilation, groups, padding_mode):
    """Check the arguments; return the geometry and the pads ``padding_mode`` must add.

    For 'zeros' the geometry pads (with zeros, inside im2col) and the pads are
    ``None``. For another mode, as in ``nn.Conv2d``, the input is padded by
    the mode first (``pad2d(x, pads, mode=padding_mode)``) and the geometry is
    that of the padded input with no padding.
    """
    geo = cached_conv_geometry(x_shape, w_shape, stride, padding, dilation, groups)
    if isinstance(padding_mode, str) and padding_mode == "zeros":
        return geo, None  # the common case: nothing more to check
    check_pad_mode("padding_mode", padding_mode, PADDING_MODES, geo.pads, geo.in_hw)
    if not geo.padded:
        return geo, None
    padded_shape = (x_shape[0], geo.in_channels, *geo.padded_hw)
    (t, b), (l, r) = geo.pads
    geo = cached_conv_geometry(padded_shape, w_shape, geo.stride, 0, geo.dilation, geo.groups)
    return geo, (t, b, l, r)


def conv2d(
    x, w, b=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"
) -> np.ndarray:
    """2-D convolution layer, computed as **cross-correlation** (as in PyTorch).

    Parameters
    ----------
    x : array, shape (N, C, H, W) or (C, H, W)
    w : array, shape (O, C // groups, kh, kw)
    b : array, shape (O,), optional
    stride, dilation : int or (int, int), each >= 1 (dilation 1 = none)
    padding : int, (ph, pw), (top, bottom, left, right), 'valid' or 'same'
        Rows and columns added around ``x``. 'same' (stride 1 only) pads
        ``d·(k-1)`` in total, the odd one at the bottom/right, as PyTorch does.
    groups : int
        Split the channels into ``groups`` independent convolutions.
    padding_mode : {'zeros', 'reflect', 'replicate', 'circular'}
        What the added entries hold, as ``torch.nn.Conv2d(padding_mode=...)``:
        zeros, or copies of entries of ``x`` made by
        ``pad2d(x, padding, mode=padding_mode)`` before a convolution with no
        padding. Reflect needs the padding smaller than H and W, circular at
        most H and W.

    Returns
    -------
    y : array, shape (N, O, Ho, Wo) (or (O, Ho, Wo)), dtype ``result_type(x, w)``
        ``Ho = floor((H + pt + pb - dh·(kh-1) - 1) / sh) + 1``, likewise ``Wo``.
    """
    x = as_real_array("x", x)
    w = as_real_array("w", w)
    x, unbatched = _batched("x", x, "(N, C, H, W) or (C, H, W)")
    check_ndim("w", w, (4,), "(O, C // groups, kh, kw)")
    geo, pads = _geometry(x.shape, w.shape, stride, padding, dilation, groups, padding_mode)
    dtype = _common_dtype(x, w)
    b = bias_vector("b", b, geo.out_channels, dtype)
    if x.dtype != dtype or w.dtype != dtype:
        x, w = x.astype(dtype, copy=False), w.astype(dtype, copy=False)
    if pads is not None:
        x = pad2d(x, pads, mode=padding_mode)
    y = blocks.forward(x, w, b, geo)
    return y[0] if unbatched else y


def conv2d_backward(grad_y, x, w, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    """Gradients of :func:`conv2d` (cross-correlation) with respect to x, w and b.

    Parameters
    ----------
    grad_y : array, shape (N, O, Ho, Wo) (or (O, Ho, Wo))
        Upstream gradient δ = ∂L/∂y.
    x : array, shape (N, C, H, W) (or (C, H, W))
        The forward input.
    w : array, shape (O, C // groups, kh, kw)
    stride, padding, dilation, groups, padding_mode
        As in the forward call.

    Returns
    -------
    grad_x : array, shape of x
        Transposed convolution of δ: δ dilated by the stride, padded by
        ``d·(k-1) - p``, correlated with ``rot180(w)`` with in/out channels
        swapped; rows that a stride remainder leaves untouched get zero.
        With a padding mode other than 'zeros' this is the gradient of the
        padded input, folded back by :func:`~cnnref.signal.pad2d_backward`:
        each border entry's gradient is added to the entry of ``x`` it copied.
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
    geo, pads = _geometry(x.shape, w.shape, stride, padding, dilation, groups, padding_mode)
    _check_grad_y(grad_y, (x.shape[0], geo.out_channels, *geo.out_hw), unbatched)
    dtype = _common_dtype(grad_y, x, w)
    if not grad_y.dtype == x.dtype == w.dtype == dtype:
        grad_y, x, w = (
            grad_y.astype(dtype, copy=False),
            x.astype(dtype, copy=False),
            w.astype(dtype, copy=False),
        )
    if pads is not None:
        x = pad2d(x, pads, mode=padding_mode)
    grad_x, grad_w, grad_b = blocks.backward(grad_y, x, w, geo)
    if pads is not None:
        grad_x = pad2d_backward(grad_x, pads, mode=padding_mode)
    return (grad_x[0] if unbatched else grad_x), grad_w, grad_b


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
    geo = cached_transpose_geometry(
        x.shape, w.shape, stride, padding, output_padding, dilation, groups
    )
    dtype = np.result_type(x.dtype, w.dtype)
    b = bias_vector("b", b, geo.in_channels, dtype)
    y = blocks.input_gradient(x.astype(dtype, copy=False), w.astype(dtype, copy=False), geo)
    if b is not None:
        y += b[:, None, None]
    return y[0] if unbatched else y


def conv_transpose2d_backward(
    grad_y, x, w, stride=1, padding=0, output_padding=0, dilation=1, groups=1
):
    """Gradients of :func:`conv_transpose2d` with respect to x, w and b.

    The transposed convolution is the input gradient of a convolution (the
    one with the same stride, padding, dilation and groups that maps
    (N, C_out, H_out, W_out) to (N, C_in, H, W) with weight ``w``), and it is
    linear in ``x`` and in ``w``. So its gradients are that convolution's
    forward pass and weight gradient, computed by the same code as
    :func:`conv2d` and :func:`conv2d_backward` (one im2col of ``grad_y``):

    * ``grad_x = conv2d(grad_y, w)``: each input pixel collects δ from the
      window its kernel copy was scattered into (**cross-correlation**);
    * ``grad_w`` = the convolution's weight gradient with the roles swapped:
      ``grad_w[c, o', a, b] = Σ_{n, i, j} x[n, c, i, j] · δp[n, o, i·sh + a·dh, j·sw + b·dw]``
      (``δp`` = δ zero-padded by ``padding``, ``o`` the ``o'``-th output
      channel of ``c``'s group): ``x`` in the place of the upstream gradient;
    * ``grad_b = Σ_{n, i, j} δ[n, o, i, j]``.

    Parameters
    ----------
    grad_y : array, shape (N, C_out, H_out, W_out) (or (C_out, H_out, W_out))
        Upstream gradient δ = ∂L/∂y.
    x : array, shape (N, C_in, H, W) (or (C_in, H, W))
        The forward input.
    w : array, shape (C_in, C_out // groups, kh, kw)
    stride, padding, output_padding, dilation, groups
        As in the forward call.

    Returns
    -------
    grad_x : array, shape of x
    grad_w : array, shape of w
    grad_b : array, shape (C_out,)
    """
    grad_y = as_real_array("grad_y", grad_y)
    x = as_real_array("x", x)
    w = as_real_array("w", w)
    x, unbatched = _batched("x", x, "(N, C_in, H, W) or (C_in, H, W)")
    check_ndim("grad_y", grad_y, (x.ndim - unbatched,), "with as many dimensions as x")
    grad_y = grad_y[None] if unbatched else grad_y
    check_ndim("w", w, (4,), "(C_in, C_out // groups, kh, kw)")
    geo = cached_transpose_geometry(
        x.shape, w.shape, stride, padding, output_padding, dilation, groups
    )
    _check_grad_y(grad_y, (x.shape[0], geo.in_channels, *geo.in_hw), unbatched)
    dtype = _common_dtype(grad_y, x, w)
    grad_y, x, w = (
        grad_y.astype(dtype, copy=False),
        x.astype(dtype, copy=False),
        w.astype(dtype, copy=False),
    )
    cols = columns.im2col(grad_y, geo)  # grad_y's windows, read as conv2d reads its input
    grad_x = np.matmul(columns.grouped_weight(w, geo), cols)  # conv2d(grad_y, w)
    grad_x = np.ascontiguousarray(columns.output_images(grad_x, geo))
    dx = columns.grouped_output(x, geo)  # x in the place of conv2d_backward's δ
    grad_w = np.matmul(dx, cols.transpose(0, 2, 1)).reshape(w.shape)
    grad_b = grad_y.sum(axis=(0, 2, 3))
    return (grad_x[0] if unbatched else grad_x), grad_w, grad_b
