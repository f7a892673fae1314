"""D7 — the features behind shipped gradient bugs: padding modes, ceil_mode pooling, and the
transposed convolution's own gradients.

Each statement is proven the way D5 proves the grid: ``L = Σ δ ⊙ layer(...)``
built as an exact polynomial (:class:`~derivations.polynomial.Poly`) from a
forward pass written as its definition, differentiated term by term, and
compared coefficient by coefficient with a closed form written apart from that
forward pass, over a grid of configurations. Every statement has controls:
the wrong formulas that frameworks and converters actually shipped, each of
which must be rejected.

* **Padding modes** (``reflect``, ``replicate``, ``circular``, PyTorch's
  ``padding_mode``): the forward pass pads with :func:`numpy.pad` (its
  ``reflect``, ``edge`` and ``wrap`` modes are PyTorch's three), then
  convolves without padding. The input gradient is the gradient of the padded
  input (the transposed convolution of D5) **folded back**: each entry
  receives its own position's gradient plus that of every padded position
  that copied it, written out per mode (:func:`fold`). The weight gradient is
  D5's with the padded input in place of the zero-padded one.
* **Average pooling with ``ceil_mode``, ``count_include_pad``,
  ``divisor_override``**: the forward pass is the definition (the mean over
  a window's positions inside the padded input, or inside the input, or the
  sum over ``divisor_override``); the closed form is PyTorch's divisor
  formula ``(min(h0 + k, H + p) - h0)·(...)``, clipped or not. Also the
  number of windows under ``ceil_mode``.
* **Max pooling with dilation, padding and ``ceil_mode``**: SymPy's ``Max``
  over each window's entries (padding never wins), differentiated at a
  tie-broken point (D5's method), against the routing of each ``δ`` entry to
  its window's first maximum.
* **Transposed convolution**, ``y = conv_transpose2d(x, w, b)`` for every
  ``output_padding``: ``∂L/∂x = conv2d(δ, w)`` (the convolution it is the
  adjoint of, cropped to ``x``'s size), ``∂L/∂w`` the convolution's weight
  gradient with the roles of input and upstream gradient swapped (``δ`` is
  the input, ``x`` the upstream gradient), ``∂L/∂b = Σ δ``.

Both poolings' definitions and grids are in :mod:`derivations.pool_features`.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

import numpy as np

from . import symbolic as S
from .d5_grid import Config, _brute, weight_gradient
from .polynomial import Poly
from .pool_features import avg_grid, max_grid, prove_avg, prove_max
from .proof import CORRELATION, METHOD_POLY, Proof, exactly_equal
from .sources import torch_class, torch_function
from .transpose_adjoint import output_padding_grid

CASE = "D7"
TITLE = "The features behind shipped bugs: padding modes, ceil_mode pooling, transposed gradients"
SOURCES = (
    f"the framework definitions of `padding_mode` ({torch_class('Conv2d')}), "
    f"{torch_function('avg_pool2d')} and {torch_function('max_pool2d')} (`ceil_mode`, "
    f"`count_include_pad`, `divisor_override`, `dilation`) and "
    f"{torch_function('conv_transpose2d')}; the bugs are listed on "
    "[Bugs that shipped](../bugs.md)"
)
CHECKED_BY = (
    "tests `tests/test_d7_features.py` (the proven closed forms against `cnnref` at random "
    "numbers, configuration by configuration) and the PyTorch oracle tests of the same features"
)
COST = 12.0
# The gradient of a padding mode, folded back onto one axis of x (g: the padded input's).
FOLD = {
    "reflect": r"g_{p_t+i} + [1 \le i \le p_t]\, g_{p_t-i} + [n-1-p_b \le i \le n-2]\, "
    r"g_{p_t+2(n-1)-i}",
    "replicate": r"g_{p_t+i} + [i = 0] \sum_{u<p_t} g_u + [i = n-1] \sum_{u \ge p_t+n} g_u",
    "circular": r"g_{p_t+i} + [i \ge n-p_t]\, g_{i-(n-p_t)} + [i < p_b]\, g_{p_t+n+i}",
}

NOTES = (
    "Each control below is a formula that a framework, converter or course solution shipped; "
    "[Bugs that shipped](../bugs.md) names them, with the report and the test that catches "
    "the same mistake in code.",
    "**Padding modes.** Reflect, replicate and circular padding copy entries of $x$ into the "
    "border, so an entry's gradient is its own position's gradient plus that of every copy. "
    "Along an axis of length $n$ padded by $p_t$ before and $p_b$ after, with $g$ the gradient "
    "of the padded input (the transposed convolution of D5):\n\n$$\n"
    "\\frac{\\partial L}{\\partial x_i} = \\begin{cases} "
    + r" \\ ".join(rf"{f} & \text{{{m}}}" for m, f in FOLD.items())
    + " \\end{cases}\n$$\n\nfirst along the rows, then along the columns.",
    "**Pooling options.** With $p_h$ and $p_w$ the pooling's padding (the same on both "
    "sides of the rows, and of the columns), a window $(i, j)$ starts at row "
    "$u_0 = s_h i - p_h$ and column $v_0 = s_w j - p_w$; "
    "with `ceil_mode` the last window may run up to $s - 1$ past the padded input but must "
    "start inside the input or the leading padding. Average pooling divides by "
    "`divisor_override` when given, else by the window's positions inside the padded input "
    "(`count_include_pad`), else by its positions inside the input:\n\n$$\n"
    "\\frac{\\partial L}{\\partial x_{rc}} = \\sum_{(i, j) \\ni (r, c)} "
    "\\frac{\\delta_{ij}}{D_{ij}}, \\qquad D_{ij} = (\\min(u_0 + k_h, H + p_h) - u_0)\\,"
    "(\\min(v_0 + k_w, W + p_w) - v_0)\n$$\n\n"
    "with `count_include_pad`; max pooling sends $\\delta_{ij}$ to the first maximum of the "
    "window's entries $x_{u_0 + d_h a,\\, v_0 + d_w b}$ inside the input.",
    "**Transposed convolution.** $y = \\mathrm{conv\\_transpose2d}(x, w, b)$ is the "
    "adjoint of $\\mathrm{conv2d}$, so its input gradient is the convolution itself, "
    "and its weight gradient is the convolution's with the roles of input and upstream "
    "gradient exchanged:\n\n$$\n"
    "\\frac{\\partial L}{\\partial x} = \\mathrm{conv2d}(\\delta, w;\\ s, p, d)"
    "_{[:H_x,\\ :W_x]}, "
    "\\qquad \\frac{\\partial L}{\\partial w_{co}} = \\operatorname{pad}_p(\\delta)_o \\star "
    "\\operatorname{dilate}_s(x_c), \\qquad \\frac{\\partial L}{\\partial b_o} = "
    "\\sum_{ij} \\delta_{oij}\n$$\n\n"
    "(the correlation's taps $d$ apart, cropped to the kernel).",
)

NO_POOL = "none (pooling)"
METHOD_MAX = (
    "sympy.diff of SymPy's Max over each window at the tie-broken point; "
    "coefficient comparison entry by entry"
)


def _record(key, title, statement, convention, method, outcomes, seconds, control=False):
    """One record per statement (all must hold) or per control (none may be accepted)."""
    if control:
        accepted = [label for label, acc in outcomes if acc]
        return Proof(
            case=CASE,
            key=f"D7.control.{key}",
            title=title,
            statement=statement,
            convention=convention,
            method=method,
            control=True,
            holds=bool(accepted) or not outcomes,
            seconds=seconds,
            details={"configurations": len(outcomes), "accepted": accepted},
        )
    failures = [label for label, holds in outcomes if not holds]
    return Proof(
        case=CASE,
        key=f"D7.{key}",
        title=title,
        statement=statement,
        convention=convention,
        method=method,
        holds=not failures and bool(outcomes),
        seconds=seconds,
        details={"configurations": len(outcomes), "failed": failures},
    )


# padding modes -------------------------------------------------------------

NUMPY_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad_forward(x: np.ndarray, pads, mode: str) -> np.ndarray:
    """``x`` (C, H, W) padded by ``(top, bottom, left, right)`` as ``numpy.pad`` defines it."""
    t, b, l, r = pads
    return np.pad(x, ((0, 0), (t, b), (l, r)), mode=NUMPY_MODE[mode])


def fold_axis(g: np.ndarray, before: int, after: int, n: int, mode: str, axis: int):
    """The adjoint of padding one axis of length ``n``: entry ``i`` of the result is

    * reflect:   ``g[t+i] + [1 ≤ i ≤ t]·g[t-i] + [n-1-b ≤ i ≤ n-2]·g[t+2(n-1)-i]``
    * replicate: ``g[t+i] + [i = 0]·Σ_{u<t} g[u] + [i = n-1]·Σ_{u ≥ t+n} g[u]``
    * circular:  ``g[t+i] + [i ≥ n-t]·g[i-(n-t)] + [i < b]·g[t+n+i]``

    (``t``, ``b`` the padding before and after). Written from the copies each
    padded position makes, not from :func:`pad_forward`.
    """
    t, b = before, after
    g = np.moveaxis(g, axis, 0)
    out = np.empty((n, *g.shape[1:]), dtype=object)
    for i in range(n):
        terms = [g[t + i]]
        if mode == "reflect":
            if 1 <= i <= t:
                terms.append(g[t - i])
            if n - 1 - b <= i <= n - 2:
                terms.append(g[t + 2 * (n - 1) - i])
        elif mode == "replicate":
            if i == 0:
                terms += list(g[:t])
            if i == n - 1:
                terms += list(g[t + n :])
        elif mode == "circular":
            if i >= n - t:
                terms.append(g[i - (n - t)])
            if i < b:
                terms.append(g[t + n + i])
        else:  # only the entries' own positions: the gradient of zero padding
            pass
        out[i] = sum(terms[1:], terms[0])  # whole rows of g, added entry by entry
    return np.moveaxis(out, 0, axis)


def fold(g: np.ndarray, pads, hw, mode: str) -> np.ndarray:
    """``g`` (C, H + t + b, W + l + r), the gradient of the padded input, folded onto (C, H, W)."""
    t, b, l, r = pads
    rows = fold_axis(g, t, b, hw[0], mode, axis=1)
    return fold_axis(rows, l, r, hw[1], mode, axis=2)


@dataclass(frozen=True)
class ModeConfig:
    """A convolution with a non-zero padding mode: ``pads`` is ``(top, bottom, left, right)``."""

    mode: str
    conv: Config  # padding 0: the convolution after the padding

    pads: tuple[int, int, int, int]

    @property
    def label(self) -> str:
        return f"{self.mode}, pads {self.pads}, then {self.conv.label}"


# (input, pads, kernel, stride, dilation, channels, groups)
_MODE_GEOMETRIES = [
    ((3, 4), (1, 1, 1, 1), (2, 3), (1, 1), (1, 1), (1, 2), 1),
    ((4, 3), (2, 1, 0, 2), (3, 2), (2, 1), (1, 1), (2, 1), 1),
    ((4, 5), (1, 2, 2, 1), (2, 2), (1, 2), (2, 1), (2, 2), 2),
    ((5, 4), (0, 1, 1, 0), (3, 3), (2, 2), (1, 1), (1, 1), 1),
    ((3, 3), (2, 2, 1, 2), (3, 2), (1, 3), (1, 2), (2, 4), 2),
    ((4, 4), (3, 0, 0, 3), (2, 3), (3, 1), (2, 1), (1, 2), 1),
]


def mode_grid() -> list[ModeConfig]:
    """Every mode with every geometry it allows (reflect needs padding < size, circular ≤)."""
    out = []
    for mode, (hw, pads, k, s, d, ch, g) in itertools.product(NUMPY_MODE, _MODE_GEOMETRIES):
        limit = (lambda p, n: p < n) if mode == "reflect" else (lambda p, n: p <= n)
        sizes = (hw[0], hw[0], hw[1], hw[1])
        if not all(limit(p, n) for p, n in zip(pads, sizes, strict=True)):
            continue
        padded = (hw[0] + pads[0] + pads[1], hw[1] + pads[2] + pads[3])
        conv = Config(padded, k, s, (0, 0), d, ch, g)
        if conv.valid():
            out.append(ModeConfig(mode, conv, pads))
    return out


def mode_closed_forms(cfg: ModeConfig) -> dict[str, np.ndarray]:
    """The symbols ``x``, ``w``, ``g`` (upstream) and the closed forms ``dx``, ``dw``, with
    ``padded`` (the gradient of the padded input) and ``xp`` (the padded input)."""
    conv = cfg.conv
    c, o = conv.channels
    hw = (conv.in_hw[0] - cfg.pads[0] - cfg.pads[1], conv.in_hw[1] - cfg.pads[2] - cfg.pads[3])
    x = S.variables("x", (c, *hw))
    w = S.variables("w", (o, c // conv.groups, *conv.kernel))
    g = S.variables("g", (o, *conv.out_hw))
    xp = pad_forward(x, cfg.pads, cfg.mode)
    padded = S.conv_transpose2d(
        g,
        w,
        stride=conv.stride,
        output_padding=conv.remainder,
        dilation=conv.dilation,
        groups=conv.groups,
    )
    dx = fold(padded, cfg.pads, hw, cfg.mode)
    return {
        "x": x,
        "w": w,
        "g": g,
        "xp": xp,
        "padded": padded,
        "dx": dx,
        "dw": weight_gradient(xp, g, conv),
    }


def prove_mode(cfg: ModeConfig) -> tuple[dict[str, bool], dict[str, bool]]:
    """Input and weight gradients through a padding mode; controls: the shipped mistakes."""
    conv = cfg.conv
    forms = mode_closed_forms(cfg)
    x, w, g, xp, padded_grad = (forms[k] for k in ("x", "w", "g", "xp", "padded"))
    hw = x.shape[1:]
    y = S.conv2d(xp, w, stride=conv.stride, dilation=conv.dilation, groups=conv.groups)
    grads = Poly.inner(g, y).gradient()
    dx, dw = _brute(grads, x), _brute(grads, w)
    statements = {
        "mode-input": exactly_equal(dx, forms["dx"]),
        "mode-weight": exactly_equal(dw, forms["dw"]),
    }
    controls = {"mode-not-folded": exactly_equal(dx, fold(padded_grad, cfg.pads, hw, "zeros"))}
    if cfg.mode == "reflect":
        # numpy's 'symmetric': the edge entry repeated, an off-by-one of reflect
        controls["reflect-as-symmetric"] = exactly_equal(
            dx, _fold_symmetric(padded_grad, cfg.pads, hw)
        )
    swapped = _swap_sides(cfg.pads)
    if cfg.mode == "circular" and swapped != cfg.pads:
        # the wrapped rows added where the other side's copies came from
        controls["circular-wrong-side"] = exactly_equal(
            dx, _shifted_fold(padded_grad, cfg.pads, hw)
        )
    return statements, controls


def _swap_sides(pads):
    t, b, l, r = pads
    return b, t, r, l


def _shifted_fold(g, pads, hw):
    """Circular padding's copies folded as if the top strip had wrapped from the top rows."""
    t, _, l, _ = pads
    src_rows = [
        (u - t) % hw[0] if t <= u < t + hw[0] else (t - 1 - u if u < t else u - t - hw[0])
        for u in range(g.shape[1])
    ]
    src_cols = [
        (v - l) % hw[1] if l <= v < l + hw[1] else (l - 1 - v if v < l else v - l - hw[1])
        for v in range(g.shape[2])
    ]
    out = np.empty((g.shape[0], *hw), dtype=object)
    for ch in range(g.shape[0]):
        for i, j in np.ndindex(*hw):
            parts = [
                g[ch, u, v]
                for u, su in enumerate(src_rows)
                for v, sv in enumerate(src_cols)
                if (su, sv) == (i, j)
            ]
            out[ch, i, j] = S.total(parts)
    return out


def _fold_symmetric(g, pads, hw):
    """The adjoint of numpy's 'symmetric' padding (edge repeated), by its index map."""
    t, b, l, r = pads
    src = np.pad(
        np.arange(hw[0] * hw[1]).reshape(hw), ((t, b), (l, r)), mode="symmetric"
    )  # which entry each padded position copies
    out = np.empty((g.shape[0], *hw), dtype=object)
    for ch in range(g.shape[0]):
        for i, j in np.ndindex(*hw):
            out[ch, i, j] = S.total(list(g[ch][src == i * hw[1] + j]))
    return out


# transposed convolution ------------------------------------------------------


def transpose_closed_forms(tcfg) -> dict[str, np.ndarray]:
    """Symbols ``x``, ``w``, ``b``, ``g`` (upstream) and the closed forms ``dx``, ``dw``, ``db``
    of ``y = conv_transpose2d(x, w, b)``, for one geometry and output_padding."""
    c, o = tcfg.channels  # the convolution it is the adjoint of: c -> o; so x has o channels
    x = S.variables("x", (o, *tcfg.grad_hw))
    w = S.variables("w", (o, c // tcfg.groups, *tcfg.kernel))
    b = S.variables("b", (c,))
    g = S.variables("g", (c, *tcfg.in_hw))
    kw = dict(stride=tcfg.stride, padding=tcfg.padding, dilation=tcfg.dilation, groups=tcfg.groups)
    hx, wx = tcfg.grad_hw
    conv = Config(
        tcfg.in_hw, tcfg.kernel, tcfg.stride, tcfg.padding, tcfg.dilation, (c, o), tcfg.groups
    )
    return {
        "x": x,
        "w": w,
        "b": b,
        "g": g,
        "dx": S.conv2d(g, w, **kw)[:, :hx, :wx],
        "dw": weight_gradient(g, x, conv),
        "db": np.array([S.total(list(gc.reshape(-1))) for gc in g]),
    }


def prove_transpose(tcfg) -> tuple[dict[str, bool], dict[str, bool]]:
    """Gradients of ``y = conv_transpose2d(x, w, b)`` for one geometry and output_padding."""
    forms = transpose_closed_forms(tcfg)
    x, w, b, g = (forms[k] for k in ("x", "w", "b", "g"))
    c, o = tcfg.channels
    kw = dict(stride=tcfg.stride, padding=tcfg.padding, dilation=tcfg.dilation, groups=tcfg.groups)
    y = S.conv_transpose2d(x, w, b, output_padding=tcfg.output_padding, **kw)
    grads = Poly.inner(g, y).gradient()
    dx, dw, db = _brute(grads, x), _brute(grads, w), _brute(grads, b)
    hx, wx = tcfg.grad_hw
    statements = {
        "transpose-input": exactly_equal(dx, forms["dx"]),
        "transpose-weight": exactly_equal(dw, forms["dw"]),
        "transpose-bias": exactly_equal(db, forms["db"]),
    }
    swapped = Config(
        tcfg.in_hw, tcfg.kernel, tcfg.dilation, tcfg.padding, tcfg.stride, (c, o), tcfg.groups
    )
    controls = {}
    if tcfg.stride != tcfg.dilation:
        try:
            accepted = exactly_equal(dw, weight_gradient(g, x, swapped))
        except ValueError:  # the swapped taps do not even fill a kernel
            accepted = False
        controls["transpose-stride-dilation-swapped"] = accepted
    rotated = S.conv2d(g, S.rot180(w), **kw)[:, :hx, :wx]
    controls["transpose-input-rotated"] = exactly_equal(dx, rotated)
    return statements, controls


# the case --------------------------------------------------------------------

STATEMENTS = {
    "mode-input": (
        CORRELATION,
        "Padding modes: the input gradient folds the padded input's gradient back",
        r"\begin{aligned}\frac{\partial L}{\partial x} &= \operatorname{fold}_{\mathrm{mode}}"
        r"(g),\quad g = \mathrm{conv\_transpose2d}(\delta, w), \\ "
        r"&\quad \text{per axis of length } n \text{ padded by } p_t, p_b: \\ "
        + r" \\ ".join(rf"&\quad \text{{{m}: }} {f}" for m, f in FOLD.items())
        + r"\end{aligned}",
    ),
    "mode-weight": (
        CORRELATION,
        "Padding modes: the weight gradient reads the padded input",
        r"\frac{\partial L}{\partial w_{oc}} = \operatorname{pad}_{\mathrm{mode}}(x)_c "
        r"\star \operatorname{dilate}_s(\delta_o)\ "
        r"\text{(taps } d \text{ apart, cropped to the kernel)}",
    ),
    "avg-backward": (
        NO_POOL,
        "Average pooling, every option: the gradient over PyTorch's divisor",
        r"\begin{aligned}\frac{\partial L}{\partial x_{rc}} &= "
        r"\sum_{(i,j) \ni (r,c)} \frac{\delta_{ij}}{D_{ij}}, \\ "
        r"D_{ij} &= \begin{cases} \text{divisor_override} & \text{if given} \\ "
        r"(\min(u_0 + k_h, H + p_h) - u_0)(\min(v_0 + k_w, W + p_w) - v_0) & "
        r"\text{count_include_pad} \\ "
        r"(\min(u_0 + k_h, H) - \max(u_0, 0))(\min(v_0 + k_w, W) - \max(v_0, 0)) & "
        r"\text{otherwise} \end{cases}\end{aligned}",
    ),
    "pool-output-size": (
        NO_POOL,
        "Pooling output size with ceil_mode: the windows that start inside the input",
        r"\begin{aligned}H_o' &= \Bigl\lfloor \tfrac{H + 2p - d(k-1) - 1 + (s-1)}{s} "
        r"\Bigr\rfloor + 1 \quad \text{(rounded up)} \\ "
        r"H_o &= H_o' - \bigl[(H_o' - 1)\,s \ge H + p\bigr] \\ "
        r"&= \#\{i : s i - p < H,\ s i - p + d(k-1) + 1 \le H + p + s - 1\}\end{aligned}",
    ),
    "max-backward": (
        NO_POOL,
        "Max pooling with dilation, padding and ceil_mode: the gradient to the first maximum",
        r"\begin{aligned}\frac{\partial}{\partial x_m} \sum_{ij} \delta_{ij} "
        r"\max_{q \in W_{ij}} x_q \,\Big|_{x = v - \varepsilon\,\mathrm{pos}} &= "
        r"\sum_{(i,j):\ m = \operatorname{argmax}^{\mathrm{first}}_{q \in W_{ij}} v_q} "
        r"\delta_{ij}, \\ W_{ij} &= \{(s_h i - p_h + d_h a,\ s_w j - p_w + d_w b)\} \cap "
        r"\text{input}\end{aligned}",
    ),
    "transpose-input": (
        CORRELATION,
        "Transposed convolution: its input gradient is the convolution",
        r"y = \mathrm{conv\_transpose2d}(x, w, b;\ op):\quad \frac{\partial L}"
        r"{\partial x} = \mathrm{conv2d}(\delta, w)_{[:H_x,\ :W_x]}",
    ),
    "transpose-weight": (
        CORRELATION,
        "Transposed convolution: its weight gradient swaps the roles of input and gradient",
        r"\frac{\partial L}{\partial w_{co}} = \operatorname{pad}_p(\delta)_{o} \star "
        r"\operatorname{dilate}_s(x_c)\ \text{(taps } d \text{ apart, cropped to the kernel)}",
    ),
    "transpose-bias": (
        CORRELATION,
        "Transposed convolution: the bias gradient",
        r"\frac{\partial L}{\partial b_o} = \sum_{ij} \delta_{oij}",
    ),
}
CONTROLS = {
    "mode-not-folded": (
        "Control: the padding mode's gradient not folded back (zero padding's gradient)",
        r"\frac{\partial L}{\partial x_{ci}} = g_{c,\,p_t+i}",
    ),
    "reflect-as-symmetric": (
        "Control: reflect folded as if the edge were repeated (numpy's 'symmetric')",
        r"\operatorname{fold}_{\mathrm{symmetric}}",
    ),
    "circular-wrong-side": (
        "Control: circular padding folded from the wrong side",
        r"\operatorname{fold}_{\mathrm{circular}} \text{ with } (p_t, p_b) \text{ swapped}",
    ),
    "avg-full-kernel-divisor": (
        "Control: every average-pooling window divided by k_h k_w",
        r"D_{ij} = k_h k_w",
    ),
    "avg-override-ignored": (
        "Control: divisor_override ignored when count_include_pad is off",
        r"D_{ij} = \#(W_{ij} \cap \text{input})",
    ),
    "ceil-window-in-padding": (
        "Control: ceil_mode keeps a window that starts in the trailing padding",
        r"H_o = \lceil (H + 2p - d(k-1) - 1) / s \rceil + 1",
    ),
    "max-to-last-maximum": (
        "Control: a tied max-pool gradient sent to the last maximum",
        r"\sum_{(i,j):\ m = \operatorname{argmax}^{\mathrm{last}}} \delta_{ij}",
    ),
    "transpose-stride-dilation-swapped": (
        "Control: the transposed convolution's weight gradient with stride and dilation swapped",
        r"\frac{\partial L}{\partial w_{co}} = \operatorname{pad}_p(\delta)_{o} \star "
        r"\operatorname{dilate}_d(x_c)\ \text{(taps } s \text{ apart)}",
    ),
    "transpose-input-rotated": (
        "Control: the transposed convolution's input gradient with the kernel rotated",
        r"\frac{\partial L}{\partial x} = \mathrm{conv2d}(\delta, \mathrm{rot180}(w))",
    ),
}
METHODS = {"max-backward": METHOD_MAX, "max-to-last-maximum": METHOD_MAX}


def _control_convention(key: str) -> str:
    return NO_POOL if key.startswith(("avg", "ceil", "max")) else CORRELATION


def run() -> list[Proof]:
    """Prove every statement over its grid; one record per statement and per control."""
    parts = [
        (mode_grid(), prove_mode),
        (avg_grid(), prove_avg),
        (max_grid(), prove_max),
        (output_padding_grid(), prove_transpose),
    ]
    results: dict[str, list] = {}
    controls: dict[str, list] = {}
    seconds: dict[str, float] = {}
    for configs, prover in parts:
        start = time.perf_counter()
        keys = set()
        for cfg in configs:
            statements, accepted = prover(cfg)
            for key, holds in statements.items():
                results.setdefault(key, []).append((cfg.label, holds))
                keys.add(key)
            for key, acc in accepted.items():
                controls.setdefault(key, []).append((cfg.label, acc))
                keys.add(key)
        for key in keys:
            seconds[key] = (time.perf_counter() - start) / len(keys)
    proofs = []
    for table, outcomes, control in ((STATEMENTS, results, False), (CONTROLS, controls, True)):
        for key, entry in table.items():
            title, statement = entry[-2:]
            convention = entry[0] if not control else _control_convention(key)
            method = METHODS.get(key, METHOD_POLY)
            proofs.append(
                _record(
                    key,
                    title,
                    statement,
                    convention,
                    method,
                    outcomes.get(key, []),
                    seconds.get(key, 0.0),
                    control=control,
                )
            )
    return proofs
