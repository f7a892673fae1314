"""Single-channel 2-D correlation and convolution, and the building blocks of the formulas.

Two operations are easy to confuse, so every docstring says which one it means:

* **cross-correlation** slides the kernel as it is:
  ``(x ⋆ k)[i, j] = Σ_ab x[i + a, j + b] k[a, b]`` — what deep-learning
  frameworks call "convolution";
* **true convolution** slides the kernel rotated by 180 degrees:
  ``(x ∗ k)[i, j] = Σ_ab x[i + a, j + b] k[kh-1-a, kw-1-b]``, i.e.
  ``convolve2d(x, k) == correlate2d(x, rot180(k))``.

Modes follow ``scipy.signal``: ``'valid'`` keeps positions where the kernel
lies inside ``x``; ``'full'`` every position where they overlap (``x`` padded
by ``k - 1`` zeros on each side); ``'same'`` the centre of ``'full'`` with the
shape of ``x``. One deliberate difference: in ``'valid'`` mode scipy swaps the
arguments when the kernel is the larger one; here that is an error.

NaN and inf are not checked for: they propagate through the sums exactly as
numpy arithmetic does (``0 * inf`` and ``inf - inf`` give NaN).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ._validate import as_real_array, check_ndim, int_pair, padding_pairs

_MODES = ("valid", "full", "same")


def rot180(k) -> np.ndarray:
    """Rotate by 180 degrees: flip the last two axes (a new array).

    Works on a single kernel ``(kh, kw)`` and on a stack such as OIHW
    weights ``(O, I, kh, kw)``; ``rot180(k)[..., a, b] == k[..., kh-1-a, kw-1-b]``.
    """
    k = as_real_array("k", k)
    if k.ndim < 2:
        raise ValueError(f"k: expected an array with at least 2 dimensions, got shape {k.shape}")
    return k[..., ::-1, ::-1].copy()


# The modes of ``torch.nn.functional.pad``. On the row ``a b c d`` padded by
# two entries on each side they give:
#
#     constant   0 0 | a b c d | 0 0     (``value``, zero by default)
#     reflect    c b | a b c d | c b     (mirror about the edge entry)
#     replicate  a a | a b c d | d d     (repeat the edge entry)
#     circular   c d | a b c d | a b     (wrap around)
PAD_MODES = ("constant", "reflect", "replicate", "circular")


def check_pad_mode(name: str, mode, allowed, pads=None, hw=None) -> None:
    """Check a padding mode and its amounts against PyTorch's rules for ``F.pad``.

    ``name`` is the argument that holds the mode, ``allowed`` its accepted
    values, ``pads`` is ``((top, bottom), (left, right))`` and ``hw`` the
    unpadded (H, W) (without them, only the mode is checked). Reflect needs
    every amount smaller than the axis it pads (the edge entry is not
    repeated), circular at most that axis (no wrapping around twice),
    replicate a non-empty axis.
    """
    if not isinstance(mode, str) or mode not in allowed:
        raise ValueError(f"{name}: expected one of {allowed}, got {mode!r}")
    limits = {"reflect": ("smaller than", 1), "circular": ("at most", 0)}
    if pads is None:
        return
    for (before, after), size, axis in zip(pads, hw, ("rows", "columns"), strict=True):
        if mode in limits:
            words, margin = limits[mode]
            if max(before, after) > size - margin:
                raise ValueError(
                    f"padding: {name} {mode!r} needs padding {words} the input size on each "
                    f"side, got {(before, after)} for x with {size} {axis}"
                )
        elif mode == "replicate" and size == 0 and before + after:
            raise ValueError(f"padding: {name} 'replicate' cannot pad x with 0 {axis}")


def _sources(n: int, before: int, after: int, mode: str) -> np.ndarray:
    """Index of the entry that each of the ``before + n + after`` padded positions copies."""
    p = np.arange(-before, n + after)
    if mode == "reflect":
        return np.where(p < 0, -p, np.where(p >= n, 2 * (n - 1) - p, p))
    if mode == "replicate":
        return np.clip(p, 0, n - 1)
    return p % n  # circular


def pad2d(x, padding, value: float = 0.0, mode: str = "constant") -> np.ndarray:
    """Pad the last two axes of ``x`` (a new array), as ``torch.nn.functional.pad``.

    Parameters
    ----------
    x : array, shape (..., H, W)
    padding : int, (ph, pw) or (top, bottom, left, right)
    value : float
        Fill value of mode 'constant' (zero for convolution; ``-inf`` for max
        pooling).
    mode : {'constant', 'reflect', 'replicate', 'circular'}
        What the new entries copy; see ``PAD_MODES``. Reflect needs each
        amount smaller than the axis it pads, circular at most that axis.

    Returns
    -------
    array, shape (..., H + top + bottom, W + left + right)
    """
    x = as_real_array("x", x)
    if x.ndim < 2:
        raise ValueError(f"x: expected an array with at least 2 dimensions, got shape {x.shape}")
    (top, bottom), (left, right) = padding_pairs("padding", padding, allow_strings=False)
    check_pad_mode("mode", mode, PAD_MODES, ((top, bottom), (left, right)), x.shape[-2:])
    h, w = x.shape[-2:]
    if mode != "constant":
        if value != 0:
            raise ValueError(f"value: only mode 'constant' fills with a value, got mode {mode!r}")
        rows, cols = _sources(h, top, bottom, mode), _sources(w, left, right, mode)
        return x.take(rows, axis=-2).take(cols, axis=-1)
    out = np.full((*x.shape[:-2], h + top + bottom, w + left + right), value, dtype=x.dtype)
    out[..., top : top + h, left : left + w] = x
    return out


def _fold(grad: np.ndarray, axis: int, before: int, after: int, mode: str) -> np.ndarray:
    """Adjoint of padding one axis: each padded position adds its gradient to its source."""
    grad = np.moveaxis(grad, axis, 0)
    n = grad.shape[0] - before - after
    out = grad[before : before + n].copy()
    if mode != "constant":
        sources = _sources(n, before, after, mode)
        for p in (*range(before), *range(before + n, before + n + after)):
            out[sources[p]] += grad[p]
    return np.moveaxis(out, 0, axis)


def pad2d_backward(grad, padding, mode: str = "constant") -> np.ndarray:
    """Gradient of :func:`pad2d`: ∂L/∂x from ∂L/∂(padded x) (a new array).

    Every padded entry is a copy of one entry of ``x`` (or a constant), so
    the gradient of ``x[..., i, j]`` is the sum of the gradients of all the
    positions that copy it: its own, plus the mirrored, repeated or wrapped
    positions that chose it as their source. For 'constant' this is just
    cropping the border off.

    Parameters
    ----------
    grad : array, shape (..., H + top + bottom, W + left + right)
    padding, mode
        As in the :func:`pad2d` call.

    Returns
    -------
    array, shape (..., H, W)
    """
    grad = as_real_array("grad", grad)
    if grad.ndim < 2:
        raise ValueError(
            f"grad: expected an array with at least 2 dimensions, got shape {grad.shape}"
        )
    pads = padding_pairs("padding", padding, allow_strings=False)
    (top, bottom), (left, right) = pads
    hw = (grad.shape[-2] - top - bottom, grad.shape[-1] - left - right)
    if min(hw) < 0:
        raise ValueError(f"grad: shape {grad.shape} is smaller than the padding {padding!r}")
    check_pad_mode("mode", mode, PAD_MODES, pads, hw)
    folded = _fold(_fold(grad, -1, left, right, mode), -2, top, bottom, mode)
    return np.ascontiguousarray(folded)


def dilate2d(x, dilation) -> np.ndarray:
    """Insert ``dilation - 1`` zeros between neighbouring entries of the last two axes.

    Parameters
    ----------
    x : array, shape (..., H, W)
    dilation : int or (dh, dw), each >= 1 (1 = unchanged)

    Returns
    -------
    array, shape (..., (H - 1) * dh + 1, (W - 1) * dw + 1), with
    ``out[..., i * dh, j * dw] == x[..., i, j]`` and zeros elsewhere.
    This is how a stride appears in the input gradient, and how a dilated
    kernel is written out.
    """
    x = as_real_array("x", x)
    if x.ndim < 2:
        raise ValueError(f"x: expected an array with at least 2 dimensions, got shape {x.shape}")
    dh, dw = int_pair("dilation", dilation, minimum=1)
    h, w = x.shape[-2:]
    out = np.zeros((*x.shape[:-2], (h - 1) * dh + 1, (w - 1) * dw + 1), dtype=x.dtype)
    out[..., ::dh, ::dw] = x
    return out


def _check_pair(x, k, mode: str) -> tuple[np.ndarray, np.ndarray]:
    if mode not in _MODES:
        raise ValueError(f"mode: expected one of {_MODES}, got {mode!r}")
    x = as_real_array("x", x)
    k = as_real_array("k", k)
    check_ndim("x", x, (2,), "(H, W)")
    check_ndim("k", k, (2,), "(kh, kw)")
    if 0 in x.shape or 0 in k.shape:
        raise ValueError(f"x, k: expected non-empty arrays, got shapes {x.shape} and {k.shape}")
    if mode == "valid" and (k.shape[0] > x.shape[0] or k.shape[1] > x.shape[1]):
        raise ValueError(
            f"k: kernel of shape {k.shape} is larger than x of shape {x.shape}; "
            "mode 'valid' needs the kernel to fit inside x"
        )
    dtype = np.result_type(x.dtype, k.dtype)
    return x.astype(dtype, copy=False), k.astype(dtype, copy=False)


def _valid_correlate(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    kh, kw = k.shape
    oh, ow = x.shape[0] - kh + 1, x.shape[1] - kw + 1
    s0, s1 = x.strides
    windows = as_strided(x, (oh, ow, kh, kw), (s0, s1, s0, s1), writeable=False)
    return np.einsum("ijab,ab->ij", windows, k)


def correlate2d(x, k, mode: str = "full") -> np.ndarray:
    """2-D **cross-correlation** of one channel: ``out[i, j] = Σ_ab x[i + a, j + b] k[a, b]``.

    Same results as ``scipy.signal.correlate2d(x, k, mode)`` for real inputs.

    Parameters
    ----------
    x : array, shape (H, W)
    k : array, shape (kh, kw)
    mode : {'full', 'valid', 'same'}

    Returns
    -------
    array of dtype ``result_type(x, k)`` (integers become float64), shape
    ``(H + kh - 1, W + kw - 1)`` for 'full', ``(H - kh + 1, W - kw + 1)`` for
    'valid', ``(H, W)`` for 'same'.
    """
    x, k = _check_pair(x, k, mode)
    kh, kw = k.shape
    if mode == "valid":
        return _valid_correlate(x, k)
    full = _valid_correlate(pad2d(x, (kh - 1, kw - 1)), k)
    if mode == "full":
        return full
    # 'same' keeps the window of the full result that scipy keeps: centred,
    # with the extra row/column of an even kernel taken from the far end.
    top, left = kh // 2, kw // 2
    return full[top : top + x.shape[0], left : left + x.shape[1]].copy()


def convolve2d(x, k, mode: str = "full") -> np.ndarray:
    """2-D **true convolution** of one channel: correlation with ``rot180(k)``.

    ``out[i, j] = Σ_ab x[i + a, j + b] k[kh-1-a, kw-1-b]`` (valid mode
    indexing). Same results as ``scipy.signal.convolve2d(x, k, mode)`` for real
    inputs.

    Parameters
    ----------
    x : array, shape (H, W)
    k : array, shape (kh, kw)
    mode : {'full', 'valid', 'same'}

    Returns
    -------
    array of dtype ``result_type(x, k)``; shapes as in :func:`correlate2d`.
    """
    x, k = _check_pair(x, k, mode)
    kh, kw = k.shape
    flipped = k[::-1, ::-1]
    if mode == "valid":
        return _valid_correlate(x, flipped)
    full = _valid_correlate(pad2d(x, (kh - 1, kw - 1)), flipped)
    if mode == "full":
        return full
    top, left = (kh - 1) // 2, (kw - 1) // 2
    return full[top : top + x.shape[0], left : left + x.shape[1]].copy()
