"""D5 — the general grid: the adjoint identity for every stride, padding, dilation, channel, group.

With a symbolic upstream gradient ``δ`` and ``L = Σ δ ⊙ conv2d(x, w, b)``
(**cross-correlation**, PyTorch semantics), for every configuration:

* ``∂L/∂x = conv_transpose2d(δ, w)`` with ``output_padding`` = the stride
  remainder: ``δ`` dilated by the stride, padded by ``d(k-1) - p`` (plus the
  remainder at the bottom/right, whose rows no window touches and whose
  gradient is zero), correlated with ``rot180(w)``, in/out channels swapped
  within each group; with uneven padding, ``d(k-1) - top`` above and
  ``d(k-1) - bottom`` (plus the remainder) below, likewise left and right;
* ``∂L/∂w[o, c] = x_p[c] ⋆ dilate_s(δ[o])``, read every ``d``-th entry
  (taps ``d`` apart) and cropped to the kernel: the input correlated with
  the dilated gradient;
* ``∂L/∂b[o] = Σ δ[o]``.

In the **true convolution** convention (``conv2d(x, rot180(w))``) the same
formulas hold with ``rot180`` moved: ``∂L/∂x = conv_transpose2d(δ,
rot180(w))`` and ``∂L/∂w = rot180`` of the correlation above.

The configurations: a base grid of 1296 (every kernel 1..3 x 1..3, stride
1..3, padding 0..2, dilation 1..2, groups 1..2, the same on both axes, every
grouped one depthwise) and three targeted families that it cannot see:

* **several channels per group** (4:6, 6:4, 4:4 channels in 2 groups, 6:6 and
  6:3 in 3, ...): a channel order wrong across groups shows only there;
* **per-axis stride, padding and dilation** (e.g. stride 1x2, padding 0x1,
  dilation 1x2): a swapped axis shows;
* **uneven padding**: ``padding='same'`` with even kernels (odd dilation),
  which PyTorch pads by ``d(k-1)`` with the odd row and column at the
  bottom and right, and explicit ``(top, bottom, left, right)`` amounts with
  strides. The layer side takes ``'same'`` through cnnref's geometry, the
  closed form from :func:`same_padding`, PyTorch's rule written here.

``L`` is a polynomial (degree three); it is built exactly as a
:class:`~derivations.polynomial.Poly`, differentiated term by term and
compared coefficient by coefficient with the closed forms, which the
symbolic toolkit builds from the same polynomials. No sampling: equality of
coefficients for symbolic ``δ``, ``x``, ``w`` is equality for all values.

Also: ``conv_transpose2d`` is the adjoint of ``conv2d`` for **every**
``output_padding`` PyTorch allows, ``0 .. max(s, d) - 1`` on each axis
(:mod:`derivations.transpose_adjoint`); the adjoint of ``avg_pool2d``
(transposed convolution with the constant kernel ``1/(kh·kw)``, depthwise);
and the gradient of ``max_pool2d``, with its two sides defined apart: SymPy's
``Max`` over each window, differentiated by ``sympy.diff``, against the
routing of each ``δ`` entry to its window's argmax. Max pooling has no
derivative where a window's maximum is tied; the tie rule (the first maximum
in row-major order, cnnref's and PyTorch's) is the statement's assumption,
put as the point where ``Max`` is differentiated: the numbers with ties,
each moved down by ``ε·(row-major position)``, ``ε = 1/(H·W)``, where every
window has one maximum, the first of the original ones.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy as sp

from cnnref.shapes import conv_output_size, conv_remainder

from . import symbolic as S
from .figures import Pipeline, Stage
from .polynomial import Poly
from .proof import CONVOLUTION, CORRELATION, METHOD_POLY, Proof, exactly_equal, prove
from .sources import torch_function
from .transpose_adjoint import output_padding_grid, prove_adjoint

CASE = "D5"
TITLE = "The general grid: stride, padding, dilation, channels, groups; pooling"
SOURCES = (
    f"the framework definition of `conv2d`: PyTorch's {torch_function('conv2d')}; every "
    "source article's layer is one point of this grid"
)
CHECKED_BY = (
    "tests `tests/test_derivations_toolkit.py` (the proven closed forms against "
    "`cnnref.conv2d_backward` at random numbers) and `tests/test_torch_oracle.py` "
    "(`cnnref` against PyTorch over a grid of the same parameters)"
)
COST = 23.0
CHAPTER_MODULE = "grid_chapter"
NOTES = (
    "Every configuration of this grid is one choice of the symbols of [the general theorem "
    "(D6)](d6-general.md); the tests evaluate D6's closed forms at each of them and compare "
    "with the closed forms proven here, exactly. "
    '<a href="../../explorer/#input=5x7&kernel=3x2&stride=2x1&padding=1&dilation=1x2">'
    "explore one configuration</a>.",
)


@dataclass(frozen=True)
class Config:
    """One convolution configuration (sizes per axis as (height, width) pairs).

    ``padding`` is ``(ph, pw)`` (the same before and after), ``(top, bottom,
    left, right)`` (uneven), or ``'same'`` (stride 1 only), which
    :func:`same_padding` resolves by PyTorch's rule.
    """

    in_hw: tuple[int, int]
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int] | tuple[int, int, int, int] | str
    dilation: tuple[int, int]
    channels: tuple[int, int]  # (in, out)
    groups: int

    @property
    def pads(self) -> tuple[int, int, int, int]:
        """``(top, bottom, left, right)``."""
        if self.padding == "same":
            return same_padding(self.kernel, self.dilation)
        if len(self.padding) == 4:
            return tuple(self.padding)
        ph, pw = self.padding
        return ph, ph, pw, pw

    def _per_axis(self, size):
        top, bottom, left, right = self.pads
        pads = ((top, bottom), (left, right))
        return tuple(
            size(n, k, s, p, d)
            for n, k, s, p, d in zip(
                self.in_hw, self.kernel, self.stride, pads, self.dilation, strict=True
            )
        )

    @property
    def out_hw(self) -> tuple[int, int]:
        return self._per_axis(conv_output_size)

    @property
    def remainder(self) -> tuple[int, int]:
        return self._per_axis(conv_remainder)

    def valid(self) -> bool:
        c, o = self.channels
        same_ok = self.padding != "same" or self.stride == (1, 1)
        return same_ok and min(self.out_hw) >= 1 and c % self.groups == 0 and o % self.groups == 0

    @property
    def label(self) -> str:
        def pair(p):
            return str(p[0]) if p[0] == p[1] else f"{p[0]}x{p[1]}"

        if self.padding == "same":
            padding = "same ({},{},{},{})".format(*self.pads)
        elif len(self.padding) == 4:
            padding = "({},{},{},{})".format(*self.padding)
        else:
            padding = pair(self.padding)
        return (
            f"input {self.in_hw[0]}x{self.in_hw[1]}, kernel {self.kernel[0]}x{self.kernel[1]}, "
            f"stride {pair(self.stride)}, padding {padding}, "
            f"dilation {pair(self.dilation)}, channels {self.channels[0]}:{self.channels[1]}, "
            f"groups {self.groups}"
        )


def same_padding(kernel, dilation) -> tuple[int, int, int, int]:
    """PyTorch's ``padding='same'`` (stride 1): ``d(k-1)`` zeros per axis, the odd one last.

    ``(top, bottom, left, right)`` with ``top = d(k-1) // 2`` and ``bottom =
    d(k-1) - top``: uneven when ``d(k-1)`` is odd (an even kernel, odd
    dilation), the extra row at the bottom and the extra column at the right.
    Stated here from PyTorch's definition rather than taken from
    :mod:`cnnref.geometry`, which the layer side of a proof uses: the proof
    then checks that the two agree.
    """
    (kh, kw), (dh, dw) = kernel, dilation
    th, tw = dh * (kh - 1), dw * (kw - 1)
    return th // 2, th - th // 2, tw // 2, tw - tw // 2


_CHANNELS = {
    1: [(1, 1), (1, 2), (2, 3), (3, 1), (2, 2), (3, 3), (1, 3), (3, 2), (2, 1)],
    2: [(2, 2)],
}
_INPUTS = [(h, w) for h in range(1, 7) for w in range(1, 7)]


def grid() -> list[Config]:
    """The base grid (1296 configurations), then the targeted :data:`FAMILIES`."""
    return base_grid() + [Config(*row) for rows in FAMILIES.values() for row in rows]


def family(cfg: Config) -> str:
    """The name of the family ``cfg`` belongs to (``'base grid'`` when none)."""
    row = (cfg.in_hw, cfg.kernel, cfg.stride, cfg.padding, cfg.dilation, cfg.channels, cfg.groups)
    return next((name for name, rows in FAMILIES.items() if row in rows), "base grid")


# What the base grid, square and symmetric on every axis and depthwise whenever grouped,
# cannot see. Rows: (input, kernel, stride, padding, dilation, (in, out) channels, groups).
FAMILIES = {
    # A channel order wrong across groups is invisible with one channel per group.
    "several channels per group": [
        ((4, 5), (2, 3), (1, 1), (1, 1), (1, 1), (4, 6), 2),
        ((5, 4), (3, 2), (2, 2), (1, 0), (1, 1), (4, 6), 2),
        ((5, 6), (2, 2), (2, 1), (0, 1), (2, 1), (6, 4), 2),
        ((4, 4), (3, 3), (1, 1), (2, 2), (2, 2), (4, 4), 2),
        ((5, 5), (2, 2), (3, 3), (1, 1), (1, 1), (6, 6), 3),
        ((4, 6), (3, 2), (1, 2), (0, 1), (1, 1), (6, 3), 3),
        ((6, 5), (1, 2), (2, 1), (0, 0), (1, 2), (4, 2), 2),
        ((3, 4), (2, 2), (1, 1), (0, 0), (1, 1), (2, 4), 2),
    ],
    # Height and width with their own stride, padding and dilation: a swapped axis shows.
    "per-axis stride, padding, dilation": [
        ((5, 6), (2, 3), (1, 2), (0, 1), (1, 2), (2, 3), 1),
        ((6, 5), (3, 2), (2, 1), (1, 0), (2, 1), (1, 2), 1),
        ((6, 6), (3, 3), (3, 2), (2, 1), (1, 2), (2, 2), 2),
        ((4, 6), (2, 2), (2, 3), (1, 2), (1, 1), (3, 1), 1),
        ((5, 5), (3, 2), (1, 3), (0, 2), (2, 1), (2, 3), 1),
        ((6, 6), (2, 3), (3, 1), (2, 0), (1, 2), (1, 1), 1),
        ((5, 6), (3, 3), (2, 3), (1, 2), (2, 1), (2, 1), 1),
        ((6, 5), (2, 2), (3, 2), (0, 1), (2, 3), (3, 2), 1),
        ((4, 5), (1, 3), (1, 2), (2, 0), (1, 2), (2, 2), 1),
        ((5, 6), (2, 3), (2, 1), (1, 1), (1, 2), (4, 6), 2),
    ],
    # top != bottom, left != right: 'same' with an even kernel (odd dilation), PyTorch's
    # rule putting the extra row/column at the bottom/right, and explicit uneven amounts.
    "uneven padding ('same' with even kernels, explicit amounts)": [
        ((4, 5), (2, 2), (1, 1), "same", (1, 1), (2, 3), 1),
        ((5, 4), (2, 3), (1, 1), "same", (1, 1), (1, 2), 1),
        ((4, 4), (4, 2), (1, 1), "same", (1, 1), (2, 2), 1),
        ((5, 5), (2, 2), (1, 1), "same", (3, 1), (3, 1), 1),
        ((4, 6), (2, 4), (1, 1), "same", (1, 3), (4, 6), 2),
        ((3, 5), (3, 2), (1, 1), "same", (2, 1), (1, 1), 1),
        ((4, 4), (3, 3), (1, 1), "same", (1, 2), (2, 2), 2),
        ((5, 6), (2, 3), (2, 2), (0, 1, 2, 0), (1, 1), (2, 3), 1),
        ((6, 5), (3, 2), (2, 3), (2, 0, 1, 1), (1, 2), (1, 2), 1),
        ((5, 5), (2, 2), (3, 1), (1, 2, 0, 1), (2, 1), (4, 2), 2),
        ((4, 6), (3, 3), (1, 2), (0, 2, 1, 0), (1, 1), (2, 2), 1),
    ],
}


def base_grid() -> list[Config]:
    """The deterministic base grid: every kernel shape x stride x padding x dilation x groups
    combination (324 of them), each with four input sizes and channel pairs taken in
    turn from fixed lists (inputs 1..6 x 1..6, rectangular included), skipping sizes
    the kernel does not fit. 1296 configurations.
    """
    configs = []
    turn = 0
    for kh, kw, s, p, d, g in itertools.product(
        range(1, 4), range(1, 4), range(1, 4), range(3), (1, 2), (1, 2)
    ):
        found = 0
        while found < 4:
            h, w = _INPUTS[(turn * 7) % len(_INPUTS)]
            pairs = _CHANNELS[g]
            cfg = Config((h, w), (kh, kw), (s, s), (p, p), (d, d), pairs[turn % len(pairs)], g)
            turn += 1
            if cfg.valid():
                configs.append(cfg)
                found += 1
    return configs


# closed forms -------------------------------------------------------------


def weight_gradient(x: np.ndarray, grad: np.ndarray, cfg: Config) -> np.ndarray:
    """``∂L/∂w[o, c]``: the padded input correlated with ``δ[o]`` dilated by the stride.

    Written with :func:`derivations.symbolic.conv2d` taking ``δ[o]`` as the
    kernel: kernel dilation = the layer's stride, step = the layer's dilation;
    the first ``kh x kw`` outputs are the kernel's taps.
    """
    c_in, o_total = cfg.channels
    c_group, o_group = c_in // cfg.groups, o_total // cfg.groups
    xp = S.pad2d(x, cfg.pads)
    kh, kw = cfg.kernel
    out = np.empty((o_total, c_group, kh, kw), dtype=object)
    for o in range(o_total):
        g = o // o_group
        for c in range(c_group):
            corr = S.conv2d(
                xp[None, g * c_group + c], grad[None, None, o], stride=cfg.dilation,
                dilation=cfg.stride,
            )  # fmt: skip
            out[o, c] = corr[0, :kh, :kw]
    return out


def input_gradient(grad: np.ndarray, w: np.ndarray, cfg: Config) -> np.ndarray:
    """``∂L/∂x = conv_transpose2d(δ, w)`` with the stride remainder as ``output_padding``.

    Uneven padding ``(top, bottom, left, right)`` pads the dilated ``δ`` by
    ``d(k-1) - top`` above and ``d(k-1) - bottom + remainder`` below.
    """
    return S.conv_transpose2d(
        grad, w, stride=cfg.stride, padding=cfg.pads, output_padding=cfg.remainder,
        dilation=cfg.dilation, groups=cfg.groups,
    )  # fmt: skip


def _arrays(cfg: Config):
    c, o = cfg.channels
    x = S.variables("x", (c, *cfg.in_hw))
    w = S.variables("w", (o, c // cfg.groups, *cfg.kernel))
    b = S.variables("b", (o,))
    g = S.variables("g", (o, *cfg.out_hw))
    return x, w, b, g


def _brute(loss: Poly | dict, names: np.ndarray) -> np.ndarray:
    """``∂loss/∂names`` entry by entry; ``loss`` may be its gradient already (computed once)."""
    grads = loss.gradient() if isinstance(loss, Poly) else loss
    out = np.empty(names.shape, dtype=object)
    for index in np.ndindex(names.shape):
        (name,) = next(iter(names[index].terms))
        out[index] = grads.get(name, Poly())
    return out


@dataclass
class Outcome:
    """Verdicts of one configuration: statements that hold, controls that were rejected."""

    config: Config
    statements: dict[str, bool]
    controls: dict[str, bool]  # control name -> accepted (True is a failure)
    formulas: dict[str, np.ndarray]


def prove_config(cfg: Config, conventions=(CORRELATION, CONVOLUTION), controls=True) -> Outcome:
    """Prove the three gradient formulas for one configuration (and run its controls)."""
    x, w, b, g = _arrays(cfg)
    statements: dict[str, bool] = {}
    accepted: dict[str, bool] = {}
    formulas: dict[str, np.ndarray] = {}
    for convention in conventions:
        tag = "corr" if convention == CORRELATION else "conv"
        weight = w if convention == CORRELATION else S.rot180(w)
        y = S.conv2d(
            x, weight, b, stride=cfg.stride, padding=cfg.padding, dilation=cfg.dilation,
            groups=cfg.groups,
        )  # fmt: skip
        loss = Poly.inner(g, y)
        grads = loss.gradient()
        dx, dw, db = _brute(grads, x), _brute(grads, w), _brute(grads, b)
        closed_dx = input_gradient(g, weight, cfg)
        closed_dw = weight_gradient(x, g, cfg)
        if convention == CONVOLUTION:
            closed_dw = S.rot180(closed_dw)
        closed_db = np.array([S.total(g[o].reshape(-1)) for o in range(g.shape[0])], dtype=object)
        statements[f"{tag}.dx"] = exactly_equal(dx, closed_dx)
        statements[f"{tag}.dw"] = exactly_equal(dw, closed_dw)
        statements[f"{tag}.db"] = exactly_equal(db, closed_db)
        formulas.update({f"{tag}.dx": closed_dx, f"{tag}.dw": closed_dw, f"{tag}.db": closed_db})
        if controls and convention == CORRELATION:
            for name, (applies, wrong) in _controls(cfg, x, w, g, closed_dw).items():
                if applies:
                    accepted[name] = exactly_equal(dx if name != "transposed" else dw, wrong())
    return Outcome(cfg, statements, accepted, formulas)


def touched_taps(cfg: Config) -> tuple[set[int], set[int]]:
    """Kernel rows and columns whose taps reach ``x`` (not only padding) for some output."""
    (kh, kw), (sh, sw), (dh, dw) = cfg.kernel, cfg.stride, cfg.dilation
    ph, _, pw, _ = cfg.pads
    (h, w), (oh, ow) = cfg.in_hw, cfg.out_hw
    rows = {a for a in range(kh) for i in range(oh) if 0 <= i * sh + a * dh - ph < h}
    cols = {b for b in range(kw) for j in range(ow) if 0 <= j * sw + b * dw - pw < w}
    return rows, cols


def _controls(cfg: Config, x, w, g, closed_dw) -> dict[str, tuple[bool, Callable]]:
    """Plausible wrong formulas, and whether each can differ from the truth in this configuration.

    A control only means something where the wrong formula is a different
    polynomial; with the taps that reach ``x`` (:func:`touched_taps`) that is:

    * ``no-rot180``: the input gradient with the unrotated kernel; it differs
      unless the centre tap is the only one that reaches ``x`` (each product
      ``δ[i] w[a]`` of the gradient would have to meet ``δ[i] w[k-1-a]``);
    * ``transposed``: the weight gradient transposed (square kernels); it
      differs when a tap ``(a, b)`` with ``a != b`` reaches ``x``;
    * ``pad-one-too-few``: δ padded one too few at the top/left (one too many at the
      bottom/right so the shape fits), when some input row or column gets a gradient;
    * ``remainder-ignored``: the remainder rows placed at the top/left instead of the
      bottom/right (configurations with a stride remainder, where the transposed
      convolution without ``output_padding`` is not empty);
    * ``groups-interleaved``: the swapped weight's channels ordered ``j·G + g``
      instead of ``g·(C/G) + j`` (groups with several input channels each; with
      one channel per group both orders are the same).
    """
    (kh, kw), (eh, ew) = cfg.kernel, cfg.remainder
    dh, dw_ = cfg.dilation
    top, bottom, left, right = cfg.pads
    h, w_ = cfg.in_hw
    c_group = cfg.channels[0] // cfg.groups

    def no_rot():
        return input_gradient(g, S.rot180(w), cfg)

    def transposed():
        return np.swapaxes(closed_dw, 2, 3)

    def transposed_conv(swapped, shift=0):
        # The transposed convolution written out, ``shift`` rows/columns less padding first.
        ext_h, ext_w = dh * (kh - 1), dw_ * (kw - 1)
        gd = S.pad2d(
            S.dilate2d(g, cfg.stride),
            (ext_h - top - shift, ext_h - bottom + eh + shift,
             ext_w - left - shift, ext_w - right + ew + shift),
        )  # fmt: skip
        return S.conv2d(gd, S.rot180(swapped), dilation=cfg.dilation, groups=cfg.groups)

    def shifted():
        return transposed_conv(S.swap_channels(w, cfg.groups), shift=1)

    def interleaved():
        # Channel g·C_g + j of the swapped weight put at j·G + g.
        swapped = S.swap_channels(w, cfg.groups)
        order = [0] * len(swapped)
        for k, j in itertools.product(range(cfg.groups), range(c_group)):
            order[j * cfg.groups + k] = k * c_group + j
        return transposed_conv(swapped[order])

    def remainder_first():
        grad = S.conv_transpose2d(
            g, w, stride=cfg.stride, padding=cfg.pads, dilation=cfg.dilation,
            groups=cfg.groups,
        )  # fmt: skip
        return S.pad2d(grad, (eh, 0, ew, 0))

    rows, cols = touched_taps(cfg)
    touched = bool(rows) and bool(cols)
    centre = {((kh - 1) / 2, (kw - 1) / 2)}
    off_centre = {(a, b) for a in rows for b in cols} - centre
    off_diagonal = any(a != b for a in rows for b in cols)
    return {
        "no-rot180": (bool(off_centre), no_rot),
        "transposed": (kh == kw and off_diagonal, transposed),
        "pad-one-too-few": (touched, shifted),
        "remainder-ignored": (
            (eh > 0 or ew > 0) and touched and min(h - eh, w_ - ew) >= 1,
            remainder_first,
        ),
        "groups-interleaved": (cfg.groups > 1 and c_group > 1 and touched, interleaved),
    }


# pooling -------------------------------------------------------------------


def pooling_grid() -> list[tuple[int, tuple[int, int], tuple[int, int], tuple[int, int]]]:
    """(channels, input, kernel, stride) for the pooling adjoints: kernels 1..3, strides 1..3."""
    out = []
    turn = 0
    for kh, kw, s in itertools.product(range(1, 4), range(1, 4), range(1, 4)):
        found = 0
        while found < 3:
            h, w = _INPUTS[(turn * 5) % len(_INPUTS)]
            turn += 1
            if h >= kh and w >= kw:
                out.append((1 + turn % 2, (h, w), (kh, kw), (s, s)))
                found += 1
    return out


def tie_pattern(c: int, hw: tuple[int, int]) -> np.ndarray:
    """Fixed numbers with ties, from which the argmax pattern is taken (first maximum)."""
    h, w = hw
    return np.array(
        [[[(3 * i + 5 * j + 7 * k) % 4 for j in range(w)] for i in range(h)] for k in range(c)]
    )


def tie_broken(values: np.ndarray) -> np.ndarray:
    """``H·W·v - (row-major position)``: a point near ``v`` where max pooling is smooth.

    values : integers (C, H, W). Where a window's maximum is tied, max
    pooling has no derivative; the rule of cnnref and PyTorch sends the
    gradient to the **first** maximum in row-major order. That is the
    derivative at ``v - ε·position`` with ``ε = 1/(H·W)``: integers that
    differ keep their order (they differ by at least 1 > ε·(H·W - 1)), and of
    equal ones the earlier is now the larger, so every window has one maximum,
    the first of ``v``'s. Returned scaled by ``H·W`` (integers, exact and
    quicker for SymPy): a positive factor moves no maximum, and max pooling's
    derivative depends only on which entry is each window's maximum.
    """
    _, h, w = values.shape
    out = np.empty(values.shape, dtype=object)
    for ch, i, j in np.ndindex(values.shape):
        out[ch, i, j] = sp.Integer(int(values[ch, i, j]) * h * w - (i * w + j))
    return out


def max_pool_gradient(values: np.ndarray, g: np.ndarray, kernel, stride) -> np.ndarray:
    """``∂L/∂x`` for ``L = Σ δ ⊙ max_pool2d(x)``: ``sympy.diff`` of ``Max`` at :func:`tie_broken`.

    No index map: :func:`derivations.symbolic.max_pool2d` is ``Max`` over each
    window, and each partial derivative is taken by its definition, every
    entry held at the point but ``x[m]``, which is a symbol; SymPy's
    derivative of ``Max`` (a ``Heaviside``) is then evaluated at the point.
    Only the windows of ``x[m]``'s own channel can contain it.
    values : integers (C, H, W); g : polynomial variables (C, Ho, Wo).
    """
    point = tie_broken(values)
    names = S.symbols("x", values.shape)
    dx = np.empty(values.shape, dtype=object)
    for m in np.ndindex(values.shape):
        channel = point[m[0]].copy()
        channel[m[1:]] = names[m]
        y = S.max_pool2d(channel[None], kernel, stride)[0]
        terms = []
        for index in np.ndindex(y.shape):
            if not y[index].has(names[m]):
                continue  # a window without x[m]: its derivative is 0
            slope = sp.Rational(sp.diff(y[index], names[m]).xreplace({names[m]: point[m]}))
            if slope != 0:
                terms.append(S.scale(g[(m[0], *index)], slope.p, slope.q))
        dx[m] = S.total(terms)
    return dx


def prove_pooling(c, hw, kernel, stride) -> tuple[dict[str, bool], dict[str, bool]]:
    """Adjoint of avg_pool2d, and max_pool2d's gradient by SymPy's Max vs the argmax routing."""
    x = S.variables("x", (c, *hw))
    statements: dict[str, bool] = {}
    accepted: dict[str, bool] = {}
    kh, kw = kernel
    # average pooling
    y = S.avg_pool2d(x, kernel, stride)
    g = S.variables("g", y.shape)
    loss = Poly.inner(g, y)
    dx = _brute(loss, x)
    statements["avg_pool2d"] = exactly_equal(dx, S.avg_pool2d_backward(g, kernel, stride, hw))
    if kh * kw > 1:
        unscaled = np.vectorize(lambda v: S.scale(v, kh * kw, 1), otypes=[object])(
            S.avg_pool2d_backward(g, kernel, stride, hw)
        )
        accepted["avg-without-1/k"] = exactly_equal(dx, unscaled)
    # max pooling: SymPy's Max differentiated, against the routing by the argmax
    values = tie_pattern(c, hw)
    argmax = S.max_pool2d_argmax(values, kernel, stride)
    dx = max_pool_gradient(values, g, kernel, stride)
    statements["max_pool2d"] = exactly_equal(
        dx, S.max_pool2d_backward(g, argmax, kernel, stride, hw)
    )
    if argmax.any():
        first = np.zeros_like(argmax)
        accepted["max-to-first-entry"] = exactly_equal(
            dx, S.max_pool2d_backward(g, first, kernel, stride, hw)
        )
    return statements, accepted


# the case ------------------------------------------------------------------

BIAS = r"\frac{\partial L}{\partial b_o} = \sum_{ij} \delta_{oij}"
STATEMENTS = {
    "corr.dx": (
        CORRELATION,
        "Input gradient is the transposed convolution",
        r"\frac{\partial L}{\partial x} = \mathrm{conv\_transpose2d}(\delta, w;\ "
        r"\mathrm{output\_padding} = (H + 2p - d(k-1) - 1) \bmod s)",
    ),
    "corr.dw": (
        CORRELATION,
        "Weight gradient is the input correlated with the dilated gradient",
        r"\frac{\partial L}{\partial w_{o,c}} = \left(x_{p,c} \star "
        r"\operatorname{dilate}_s(\delta_o)\right)[::d, ::d]_{k_h \times k_w}",
    ),
    "corr.db": (CORRELATION, "Bias gradient", BIAS),
    "conv.dx": (
        CONVOLUTION,
        "Input gradient (true-convolution layer)",
        r"\frac{\partial L}{\partial x} = \mathrm{conv\_transpose2d}(\delta, "
        r"\mathrm{rot180}(w))",
    ),
    "conv.dw": (
        CONVOLUTION,
        "Weight gradient (true-convolution layer)",
        r"\frac{\partial L}{\partial w_{o,c}} = \mathrm{rot180}\left(\left(x_{p,c} \star "
        r"\operatorname{dilate}_s(\delta_o)\right)[::d, ::d]_{k_h \times k_w}\right)",
    ),
    "conv.db": (CONVOLUTION, "Bias gradient", BIAS),
}

CONTROLS = {
    "no-rot180": (
        "Control: input gradient without rot180",
        r"\frac{\partial L}{\partial x} = \operatorname{pad}_{(e,\ e+r)}"
        r"(\operatorname{dilate}_s \delta) \star w \quad (e = d(k-1) - p)",
    ),
    "transposed": (
        "Control: weight gradient transposed",
        r"\frac{\partial L}{\partial w_{o,c}} = \left(\ldots\right)^\top",
    ),
    "pad-one-too-few": (
        "Control: dilated δ padded one too few at the top/left",
        r"\operatorname{pad}_{(e-1,\ e+r+1)}(\operatorname{dilate}_s \delta)"
        r" \star \mathrm{rot180}(w)",
    ),
    "remainder-ignored": (
        "Control: stride remainder rows placed at the top/left",
        r"\operatorname{pad}_{(r, 0)}\left(\mathrm{conv\_transpose2d}(\delta, w)\right)",
    ),
    "groups-interleaved": (
        "Control: swapped weight's channels ordered across groups wrongly",
        r"\tilde w_{jG + g,\ i} = w_{g O_g + i,\ j} \quad\text{instead of}\quad "
        r"\tilde w_{g C_g + j,\ i} = w_{g O_g + i,\ j}",
    ),
    "output-padding-at-top": (
        "Control: output_padding rows placed at the top/left",
        r"\langle \mathrm{conv2d}(x, w), \delta \rangle = \langle x, "
        r"\operatorname{pad}_{(op, 0)}\mathrm{conv\_transpose2d}(\delta, w) \rangle",
    ),
    "avg-without-1/k": (
        "Control: average-pooling adjoint without the factor 1/(kh kw)",
        r"\frac{\partial L}{\partial x} = \mathrm{conv\_transpose2d}(\delta, \mathbf{1})",
    ),
    "max-to-first-entry": (
        "Control: max-pooling gradient sent to each window's first entry",
        r"\frac{\partial L}{\partial x_{\text{window start}}} = \delta",
    ),
}

POOLING_CONTROLS = ("avg-without-1/k", "max-to-first-entry")

ADJOINT = {
    "adjoint": (
        CORRELATION,
        "conv_transpose2d is the adjoint of conv2d, for every output_padding",
        r"\begin{aligned}\langle \mathrm{conv2d}(x, w)_{[:H_\delta,\ :W_\delta]},\ \delta "
        r"\rangle &= \langle x,\ \mathrm{conv\_transpose2d}(\delta, w;\ "
        r"\mathrm{output\_padding} = op) \rangle \\ &\quad (0 \le op < \max(s, d);\ "
        r"H_\delta \times W_\delta \text{ the size of } \delta)\end{aligned}",
    ),
}
METHOD_ADJOINT = "both inner products as exact sparse polynomials; coefficient comparison"
METHOD_MAX = (
    "sympy.diff of SymPy's Max over each window at the tie-broken point; "
    "coefficient comparison entry by entry"
)

POOLING = {
    "avg_pool2d": (
        "Average-pooling adjoint",
        r"\frac{\partial L}{\partial x} = \frac{1}{k_h k_w}\mathrm{conv\_transpose2d}"
        r"(\delta, \mathbf{1})\ \text{(depthwise)}",
    ),
    "max_pool2d": (
        "Max-pooling gradient: SymPy's Max against the routing by the first argmax",
        r"\frac{\partial}{\partial x_m} \sum_i \delta_i \max_{q \in W_i} x_q "
        r"\,\Big|_{x = v - \varepsilon\,\mathrm{pos}} = "
        r"\sum_{i:\ m = \operatorname{argmax}^{\mathrm{first}}_{q \in W_i} v_q} \delta_i"
        r"\quad (\varepsilon = \tfrac{1}{HW})",
    ),
}


def _record(key, title, statement, convention, method, outcomes, seconds, **extra) -> Proof:
    failures = [label for label, holds in outcomes if not holds]
    return Proof(
        case=CASE, key=f"D5.{key}", title=title, statement=statement, convention=convention,
        method=method, holds=not failures, seconds=seconds,
        details={"configurations": len(outcomes), **extra, "failed": failures},
    )  # fmt: skip


def run(progress: Callable[[int, int], None] | None = None) -> list[Proof]:
    """Prove the grid; one aggregated record per statement and per control kind."""
    configs = grid()
    pools = pooling_grid()
    transposes = output_padding_grid()
    results: dict[str, list] = {}
    control_results: dict[str, list] = {}
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    total_steps = len(configs) + len(pools) + len(transposes)
    for n, cfg in enumerate(configs):
        outcome = prove_config(cfg)
        for key, holds in outcome.statements.items():
            results.setdefault(key, []).append((cfg.label, holds))
        for key, accepted in outcome.controls.items():
            control_results.setdefault(key, []).append((cfg.label, accepted))
        if progress:
            progress(n + 1, total_steps)
    seconds["grid"] = time.perf_counter() - start
    start = time.perf_counter()
    for n, (c, hw, kernel, stride) in enumerate(pools):
        label = (
            f"channels {c}, input {hw[0]}x{hw[1]}, kernel {kernel[0]}x{kernel[1]}, "
            f"stride {stride[0]}"
        )
        statements, accepted = prove_pooling(c, hw, kernel, stride)
        for key, holds in statements.items():
            results.setdefault(key, []).append((label, holds))
        for key, acc in accepted.items():
            control_results.setdefault(key, []).append((label, acc))
        if progress:
            progress(len(configs) + n + 1, total_steps)
    seconds["pooling"] = time.perf_counter() - start
    start = time.perf_counter()
    for n, tcfg in enumerate(transposes):
        holds, accepted = prove_adjoint(tcfg)
        results.setdefault("adjoint", []).append((tcfg.label, holds))
        if accepted is not None:
            control_results.setdefault("output-padding-at-top", []).append((tcfg.label, accepted))
        if progress:
            progress(len(configs) + len(pools) + n + 1, total_steps)
    seconds["adjoint"] = time.perf_counter() - start

    counts = Counter(family(cfg) for cfg in configs)
    families = "; ".join(f"{name}: {counts[name]}" for name in ("base grid", *FAMILIES))
    proofs = worked_example()
    for key, (convention, title, statement) in STATEMENTS.items():
        proofs.append(
            _record(
                key,
                title,
                statement,
                convention,
                METHOD_POLY,
                results[key],
                seconds["grid"] / len(STATEMENTS),
                families=families,
            )
        )
    for key, (convention, title, statement) in _pooling_statements().items():
        method = METHOD_MAX if key == "max_pool2d" else METHOD_POLY
        proofs.append(
            _record(
                key,
                title,
                statement,
                convention,
                method,
                results[key],
                seconds["pooling"] / len(POOLING),
            )
        )
    for key, (convention, title, statement) in ADJOINT.items():
        proofs.append(
            _record(
                key,
                title,
                statement,
                convention,
                METHOD_ADJOINT,
                results[key],
                seconds["adjoint"],
            )
        )
    for key, (title, statement) in CONTROLS.items():
        outcomes = control_results.get(key, [])
        accepted = [label for label, acc in outcomes if acc]
        proofs.append(
            Proof(
                case=CASE,
                key=f"D5.control.{key}",
                title=title,
                statement=statement,
                convention="none (pooling)" if key in POOLING_CONTROLS else CORRELATION,
                method=METHOD_ADJOINT if key == "output-padding-at-top" else METHOD_POLY,
                control=True,
                holds=bool(accepted) or not outcomes,
                details={"configurations": len(outcomes), "accepted": accepted},
            )
        )
    return proofs


EXAMPLE = Config((3, 4), (2, 3), (2, 2), (1, 1), (1, 1), (1, 1), 1)


def worked_example() -> list[Proof]:
    """One small configuration of the grid written out entry by entry (with a stride remainder)."""
    cfg = EXAMPLE
    x, w, b, g = _arrays(cfg)
    y = S.conv2d(x, w, b, stride=cfg.stride, padding=cfg.padding)
    loss = Poly.inner(g, y)
    common = dict(case=CASE, convention=CORRELATION, method=METHOD_POLY)
    where = (
        rf"\quad \text{{({cfg.label}; output {cfg.out_hw[0]}x{cfg.out_hw[1]}, "
        rf"remainder {cfg.remainder[0]}x{cfg.remainder[1]})}}"
    )
    return [
        prove(
            key="D5.example.dx",
            title="Worked example: the input gradient entry by entry",
            statement=STATEMENTS["corr.dx"][2] + where,
            lhs=_brute(loss, x),
            rhs=input_gradient(g, w, cfg),
            label=r"\partial L/\partial x",
            **common,
        ),
        prove(
            key="D5.example.dw",
            title="Worked example: the weight gradient entry by entry",
            statement=STATEMENTS["corr.dw"][2] + where,
            lhs=_brute(loss, w),
            rhs=weight_gradient(x, g, cfg),
            label=r"\partial L/\partial w",
            **common,
        ),
    ]


def _pooling_statements() -> dict[str, tuple[str, str, str]]:
    return {key: ("none (pooling)", title, st) for key, (title, st) in POOLING.items()}


def configurations_table() -> list[dict]:
    """The grid as plain data, for the JSON record of the grid.

    ``padding`` is ``[top, bottom, left, right]``; ``same`` says whether it
    came from ``padding='same'``.
    """
    return [
        {
            "family": family(c),
            "input": list(c.in_hw),
            "kernel": list(c.kernel),
            "stride": list(c.stride),
            "padding": list(c.pads),
            "same": c.padding == "same",
            "dilation": list(c.dilation),
            "channels": list(c.channels),
            "groups": c.groups,
            "remainder": list(c.remainder),
        }
        for c in grid()
    ]


def extra_files() -> dict[str, str]:
    """The grid, one configuration per line, beside the records."""
    from .writer import configurations_json

    return {"records/d5-configurations.json": configurations_json(configurations_table())}


# The chapter ------------------------------------------------------------------

FIGURES = {
    "network": Pipeline(
        "D5's worked layer: a 5x5 input, a 2x2 kernel, stride 2",
        stages=(
            Stage("x", (5, 5), "input"),
            Stage("y", (2, 2), "output"),
            Stage("L", (), "Σ δ ⊙ y"),
        ),
        operations=("⋆ w, stride 2", "upstream δ"),
        gap=120,
    ),
}
