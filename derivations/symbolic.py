"""The symbolic convolution toolkit: cnnref's operations on arrays of symbols.

Same names and conventions as :mod:`cnnref`:

* :func:`correlate2d` is **cross-correlation**, ``(x ⋆ k)[i, j] = Σ_ab x[i+a, j+b] k[a, b]``;
  :func:`convolve2d` is **true convolution**, correlation with :func:`rot180` of the kernel;
  both single channel, modes ``'valid'`` and ``'full'``;
* :func:`conv2d` is the framework layer (cross-correlation, CHW input, OIHW
  weight, stride / padding / dilation / groups as in PyTorch), and
  :func:`conv_transpose2d` its adjoint (CHW input, weight ``(C_in, C_out //
  groups, kh, kw)``), written as the formula the proofs are about: dilate by
  the stride, pad by ``d·(k-1) - p`` (plus ``output_padding`` at the bottom and
  right), correlate with ``rot180`` of the weight, channel axes swapped.

Arrays are numpy arrays of ``dtype=object`` (what :func:`sympy.symarray`
returns) holding SymPy expressions, or :class:`~derivations.polynomial.Poly`
polynomials for the fast linear proofs; every function works on both. Zeros
introduced by padding and dilation are the integer ``0``. Batches are left
out: one sample is enough for an identity that is linear in each sample.

Symbols are real and named after the math, 1-based as in the source
articles: ``x_11`` is the top-left entry of ``x``, ``w_1213`` the entry
``w[0, 1, 0, 2]`` of an OIHW weight.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import sympy as sp

from cnnref.geometry import conv_geometry, transpose_geometry

from .polynomial import Poly


def entry_name(base: str, index: tuple[int, ...]) -> str:
    """``entry_name('x', (0, 1)) == 'x_12'``: 1-based, no separator while indices are < 10."""
    idx = [i + 1 for i in index]
    sep = "" if all(i < 10 for i in idx) else ","
    return f"{base}_{sep.join(map(str, idx))}"


def symbols(base: str, shape: tuple[int, ...]) -> np.ndarray:
    """An object array of real SymPy symbols ``base_ij…`` (1-based indices)."""
    out = np.empty(shape, dtype=object)
    for index in itertools.product(*(range(n) for n in shape)):
        out[index] = sp.Symbol(entry_name(base, index), real=True)
    return out


def variables(base: str, shape: tuple[int, ...]) -> np.ndarray:
    """The same names as :func:`symbols`, as :class:`Poly` variables."""
    out = np.empty(shape, dtype=object)
    for index in itertools.product(*(range(n) for n in shape)):
        out[index] = Poly.variable(entry_name(base, index))
    return out


def total(terms) -> object:
    """Exact sum of SymPy expressions, polynomials or numbers (integer zeros are skipped)."""
    terms = [t for t in terms if not (isinstance(t, int) and t == 0)]
    if any(isinstance(t, Poly) for t in terms):
        return Poly.total(terms)
    if not terms:
        return 0
    return sp.Add(*terms)


def scale(value, numerator: int, denominator: int):
    """``value · numerator / denominator`` with an exact rational of the right kind."""
    if isinstance(value, Poly):
        return value * Fraction(numerator, denominator)
    if isinstance(value, int) and value == 0:
        return 0
    return sp.Rational(numerator, denominator) * value


def _product(a, b):
    if (isinstance(a, int) and a == 0) or (isinstance(b, int) and b == 0):
        return 0
    return a * b


def _pair(value) -> tuple[int, int]:
    if isinstance(value, tuple | list):
        a, b = value
        return int(a), int(b)
    return int(value), int(value)


# building blocks ----------------------------------------------------------


def rot180(a: np.ndarray) -> np.ndarray:
    """Rotate by 180 degrees: flip the last two axes (``a[..., kh-1-i, kw-1-j]``)."""
    return np.array(a, dtype=object)[..., ::-1, ::-1].copy()


def pad2d(a: np.ndarray, padding) -> np.ndarray:
    """Zero-pad the last two axes by an int, ``(ph, pw)`` or ``(top, bottom, left, right)``.

    A negative amount crops that many rows or columns instead (used by the
    transposed convolution when ``padding > dilation·(kernel-1)``).
    """
    if isinstance(padding, int):
        top = bottom = left = right = padding
    elif len(padding) == 2:
        (top, bottom), (left, right) = (padding[0],) * 2, (padding[1],) * 2
    else:
        top, bottom, left, right = padding
    a = np.array(a, dtype=object)
    h, w = a.shape[-2:]
    out = np.zeros((*a.shape[:-2], h + top + bottom, w + left + right), dtype=object)
    out[...] = 0
    # Source and destination windows, allowing negative amounts (crops).
    src_r = slice(max(0, -top), h - max(0, -bottom))
    src_c = slice(max(0, -left), w - max(0, -right))
    dst_r = slice(max(0, top), max(0, top) + (src_r.stop - src_r.start))
    dst_c = slice(max(0, left), max(0, left) + (src_c.stop - src_c.start))
    out[..., dst_r, dst_c] = a[..., src_r, src_c]
    return out


def dilate2d(a: np.ndarray, dilation) -> np.ndarray:
    """Insert ``dilation - 1`` zeros between neighbouring entries of the last two axes."""
    dh, dw = _pair(dilation)
    a = np.array(a, dtype=object)
    h, w = a.shape[-2:]
    out = np.zeros((*a.shape[:-2], (h - 1) * dh + 1, (w - 1) * dw + 1), dtype=object)
    out[...] = 0
    out[..., ::dh, ::dw] = a
    return out


def _valid_correlate(x: np.ndarray, k: np.ndarray, dilation=(1, 1)) -> np.ndarray:
    dh, dw = dilation
    kh, kw = k.shape
    oh = x.shape[0] - dh * (kh - 1)
    ow = x.shape[1] - dw * (kw - 1)
    out = np.empty((oh, ow), dtype=object)
    for i in range(oh):
        for j in range(ow):
            out[i, j] = total(
                _product(x[i + a * dh, j + b * dw], k[a, b]) for a in range(kh) for b in range(kw)
            )
    return out


def correlate2d(x: np.ndarray, k: np.ndarray, mode: str = "full") -> np.ndarray:
    """Single-channel **cross-correlation** ``Σ_ab x[i+a, j+b] k[a, b]`` ('valid' or 'full')."""
    x, k = np.array(x, dtype=object), np.array(k, dtype=object)
    if mode == "valid":
        return _valid_correlate(x, k)
    if mode == "full":
        kh, kw = k.shape
        return _valid_correlate(pad2d(x, (kh - 1, kw - 1)), k)
    raise ValueError(f"mode: expected 'valid' or 'full', got {mode!r}")


def convolve2d(x: np.ndarray, k: np.ndarray, mode: str = "full") -> np.ndarray:
    """Single-channel **true convolution**: :func:`correlate2d` with ``rot180(k)``.

    Written out with the flipped index, not through :func:`correlate2d`, so
    that the lemma ``convolve2d(x, k) == correlate2d(x, rot180(k))`` is not
    true by construction: ``(x ∗ k)[i, j] = Σ_ab x[i+a, j+b] k[kh-1-a, kw-1-b]``
    in 'valid' mode (``x`` padded by ``k - 1`` zeros first in 'full' mode).
    """
    x, k = np.array(x, dtype=object), np.array(k, dtype=object)
    kh, kw = k.shape
    if mode == "full":
        x = pad2d(x, (kh - 1, kw - 1))
    elif mode != "valid":
        raise ValueError(f"mode: expected 'valid' or 'full', got {mode!r}")
    oh, ow = x.shape[0] - kh + 1, x.shape[1] - kw + 1
    out = np.empty((oh, ow), dtype=object)
    for i in range(oh):
        for j in range(ow):
            out[i, j] = total(
                _product(x[i + a, j + b], k[kh - 1 - a, kw - 1 - b])
                for a in range(kh)
                for b in range(kw)
            )
    return out


# layers ------------------------------------------------------------------


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1) -> np.ndarray:
    """Convolution layer, computed as **cross-correlation** (PyTorch semantics, one sample).

    ``y[o, i, j] = b[o] + Σ_{c, a, b'} xp[g·C/G + c, i·sh + a·dh, j·sw + b'·dw] · w[o, c, a, b']``
    with ``xp`` the zero-padded input and ``g`` the group of ``o``.

    x : (C, H, W); w : (O, C // groups, kh, kw); b : (O,) or None.
    Returns (O, Ho, Wo). Arguments are checked by :func:`cnnref.geometry.conv_geometry`.
    """
    x, w = np.array(x, dtype=object), np.array(w, dtype=object)
    geo = conv_geometry((1, *x.shape), w.shape, stride, padding, dilation, groups)
    (top, bottom), (left, right) = geo.pads
    xp = pad2d(x, (top, bottom, left, right))
    (kh, kw), (sh, sw), (dh, dw) = geo.kernel, geo.stride, geo.dilation
    o_total, c_group = w.shape[0], w.shape[1]
    o_group = o_total // geo.groups
    out = np.empty((o_total, *geo.out_hw), dtype=object)
    for o in range(o_total):
        c0 = (o // o_group) * c_group
        for i in range(geo.out_hw[0]):
            for j in range(geo.out_hw[1]):
                terms = [
                    _product(xp[c0 + c, i * sh + a * dh, j * sw + bb * dw], w[o, c, a, bb])
                    for c in range(c_group)
                    for a in range(kh)
                    for bb in range(kw)
                ]
                if b is not None:
                    terms.append(b[o])
                out[o, i, j] = total(terms)
    return out


def swap_channels(w: np.ndarray, groups: int = 1) -> np.ndarray:
    """``(C_in, C_out // groups, kh, kw)`` -> ``(C_out, C_in // groups, kh, kw)``, group by group.

    The weight of a transposed convolution read as the weight of an ordinary
    one: in/out channel axes exchanged within each group.
    """
    c_in, co_group = w.shape[:2]
    ci_group = c_in // groups
    out = np.empty((co_group * groups, ci_group, *w.shape[2:]), dtype=object)
    for g in range(groups):
        for i in range(ci_group):
            for j in range(co_group):
                out[g * co_group + j, i] = w[g * ci_group + i, j]
    return out


def _four(padding) -> tuple[int, int, int, int]:
    """``padding`` as ``(top, bottom, left, right)``: an int, ``(ph, pw)`` or already four."""
    if isinstance(padding, tuple | list) and len(padding) == 4:
        if not all(isinstance(p, int) and not isinstance(p, bool) for p in padding):
            raise TypeError(f"padding: expected four ints, got {padding!r}")
        pads = tuple(padding)
    else:
        ph, pw = _pair(padding)
        pads = (ph, ph, pw, pw)
    if min(pads) < 0:
        raise ValueError(f"padding: expected non-negative amounts, got {padding!r}")
    return pads


def conv_transpose2d(
    x, w, b=None, stride=1, padding=0, output_padding=0, dilation=1, groups=1
) -> np.ndarray:
    """Transposed convolution (the adjoint of :func:`conv2d`), written as the textbook formula.

    ``x`` dilated by the stride, padded by ``d·(k-1) - p`` on every side plus
    ``output_padding`` at the bottom and right, then **cross-correlated**
    (dilation ``d``) with ``rot180(w)`` with the channel axes swapped.

    ``padding`` is an int, ``(ph, pw)`` (PyTorch's forms) or ``(top, bottom,
    left, right)``: the adjoint of a convolution with uneven padding (such as
    ``'same'`` with an even kernel) is padded by ``d·(k-1) - top`` at the top
    and ``d·(k-1) - bottom + output_padding`` at the bottom (likewise left and
    right).

    x : (C_in, H, W); w : (C_in, C_out // groups, kh, kw); b : (C_out,) or None.
    Returns (C_out, H_out, W_out) with
    ``H_out = (H-1)·sh - top - bottom + dh·(kh-1) + oph + 1``.
    """
    x, w = np.array(x, dtype=object), np.array(w, dtype=object)
    top, bottom, left, right = _four(padding)
    even = (top, left) if (top, left) == (bottom, right) else 0
    geo = transpose_geometry(
        (1, *x.shape), w.shape, stride, even, output_padding, dilation, groups
    )
    (kh, kw), (dh, dw) = geo.kernel, geo.dilation
    oph, opw = _pair(output_padding)
    eh, ew = dh * (kh - 1), dw * (kw - 1)
    pads = (eh - top, eh - bottom + oph, ew - left, ew - right + opw)
    (sh, sw), (h, w_) = geo.stride, x.shape[-2:]
    out_h = (h - 1) * sh + 1 + pads[0] + pads[1] - eh
    out_w = (w_ - 1) * sw + 1 + pads[2] + pads[3] - ew
    if min(out_h, out_w) < 1:
        raise ValueError(
            f"padding: the transposed convolution of x {x.shape} with kernel {(kh, kw)} and "
            f"padding={padding!r} has an empty output"
        )
    xd = pad2d(dilate2d(x, geo.stride), pads)
    return conv2d(xd, rot180(swap_channels(w, groups)), b, dilation=geo.dilation, groups=groups)


# pooling -----------------------------------------------------------------


def avg_pool2d(x, kernel, stride=None) -> np.ndarray:
    """Average pooling without padding (PyTorch's ``avg_pool2d``, ``padding=0``).

    x : (C, H, W) -> (C, Ho, Wo); each output is the mean of its window.
    """
    x = np.array(x, dtype=object)
    kh, kw = _pair(kernel)
    sh, sw = _pair(kernel if stride is None else stride)
    ones = np.full((x.shape[0], 1, kh, kw), 1, dtype=object)
    summed = conv2d(x, ones, stride=(sh, sw), groups=x.shape[0])
    return np.vectorize(lambda v: scale(v, 1, kh * kw), otypes=[object])(summed)


def avg_pool2d_backward(grad, kernel, stride, input_hw) -> np.ndarray:
    """Adjoint of :func:`avg_pool2d`: transposed convolution with the constant ``1/(kh·kw)``.

    Depthwise (one group per channel); the rows and columns a stride
    remainder leaves out get zero through ``output_padding``.
    """
    grad = np.array(grad, dtype=object)
    kh, kw = _pair(kernel)
    sh, sw = _pair(stride)
    c = grad.shape[0]
    weight = np.full((c, 1, kh, kw), 1, dtype=object)
    rh = (input_hw[0] - kh) % sh
    rw = (input_hw[1] - kw) % sw
    # output_padding must stay below the stride; it does, being a remainder.
    summed = conv_transpose2d(grad, weight, stride=(sh, sw), output_padding=(rh, rw), groups=c)
    return np.vectorize(lambda v: scale(v, 1, kh * kw), otypes=[object])(summed)


def max_pool2d(x, kernel, stride=None) -> np.ndarray:
    """Max pooling without padding, by its definition: SymPy's ``Max`` of each window.

    x : (C, H, W) of numbers or SymPy expressions -> (C, Ho, Wo). No index is
    chosen here: each window's entries go to ``Max`` as they are (unevaluated,
    so symbols are not compared), and which entry wins, and the derivative, are
    SymPy's (``diff(Max(a, b, ...), a) = Heaviside(a - Max(b, ...))``). The
    independent side of the max-pooling statement of D5; the routing by
    :func:`max_pool2d_argmax` is the other.
    """
    x = np.array(x, dtype=object)
    kh, kw = _pair(kernel)
    sh, sw = _pair(kernel if stride is None else stride)
    c, h, w = x.shape
    out = np.empty((c, (h - kh) // sh + 1, (w - kw) // sw + 1), dtype=object)
    for ch, i, j in itertools.product(*(range(n) for n in out.shape)):
        window = x[ch, i * sh : i * sh + kh, j * sw : j * sw + kw].reshape(-1)
        out[ch, i, j] = sp.Max(*window, evaluate=False)
    return out


def max_pool2d_argmax(values: np.ndarray, kernel, stride=None) -> np.ndarray:
    """Window-local index (row-major) of each window's maximum, the **first** one on ties.

    values : numeric (C, H, W). Returns int (C, Ho, Wo). This is the tie
    rule of cnnref and PyTorch: among equal maxima the gradient goes to the
    first in row-major order.
    """
    kh, kw = _pair(kernel)
    sh, sw = _pair(kernel if stride is None else stride)
    c, h, w = values.shape
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    out = np.empty((c, oh, ow), dtype=int)
    for ch in range(c):
        for i in range(oh):
            for j in range(ow):
                window = values[ch, i * sh : i * sh + kh, j * sw : j * sw + kw]
                out[ch, i, j] = int(np.argmax(window.reshape(-1)))  # first maximum
    return out


def max_pool2d_select(x, argmax: np.ndarray, kernel, stride=None) -> np.ndarray:
    """Max pooling on the region where ``argmax`` is each window's maximum: pick that entry."""
    x = np.array(x, dtype=object)
    _, kw = _pair(kernel)
    sh, sw = _pair(kernel if stride is None else stride)
    out = np.empty(argmax.shape, dtype=object)
    for ch, i, j in itertools.product(*(range(n) for n in argmax.shape)):
        m = int(argmax[ch, i, j])
        out[ch, i, j] = x[ch, i * sh + m // kw, j * sw + m % kw]
    return out


def max_pool2d_backward(grad, argmax: np.ndarray, kernel, stride, input_hw) -> np.ndarray:
    """Adjoint of :func:`max_pool2d_select`: each upstream entry is added at its argmax."""
    grad = np.array(grad, dtype=object)
    _, kw = _pair(kernel)
    sh, sw = _pair(kernel if stride is None else stride)
    c = grad.shape[0]
    parts: dict[tuple[int, int, int], list] = {}
    for ch, i, j in itertools.product(*(range(n) for n in argmax.shape)):
        m = int(argmax[ch, i, j])
        parts.setdefault((ch, i * sh + m // kw, j * sw + m % kw), []).append(grad[ch, i, j])
    out = np.empty((c, *input_hw), dtype=object)
    for index in itertools.product(range(c), range(input_hw[0]), range(input_hw[1])):
        out[index] = total(parts.get(index, []))
    return out


def substitute(a: np.ndarray, values: dict) -> np.ndarray:
    """Numbers for symbols, entry by entry (``float`` array), for numeric cross-checks."""
    a = np.array(a, dtype=object)
    out = np.empty(a.shape, dtype=float)
    for index in itertools.product(*(range(n) for n in a.shape)):
        v = a[index]
        if isinstance(v, Poly):
            v = v.to_sympy()
        out[index] = float(sp.sympify(v).xreplace(values)) if not isinstance(v, int) else v
    return out
