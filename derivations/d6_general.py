"""D6 — the general theorem: every gradient formula of conv2d and pooling, for all sizes at once.

Sizes, strides, paddings (top, bottom, left, right), dilations, channels,
groups and batch are SymPy symbols (:mod:`derivations.general`); arrays are
indexed symbols; a layer is a sum with symbolic limits
(:mod:`derivations.sums`). Each statement is a chain of equalities
``e_0 = e_1 = … = e_n`` from the derivative of the loss to the closed
form; every ``=`` is checked by bringing both lines to the canonical form
(deltas summed out only over indices with coefficient ±1, ranges kept as
indicators until interval reasoning discharges them), and a change of index
is a step of its own whose bijection is checked. The conditions each step
used are recorded with it.

Negative controls (plausible wrong formulas) go through the same checker
under every change of index it knows and must be rejected; each also gets a
concrete counterexample, evaluated with numbers at one configuration.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from . import general as L
from .figures import Pipeline, Stage
from .proof import CONVOLUTION, CORRELATION, NEITHER, Proof
from .sources import torch_function
from .sums import (
    Log,
    Sum,
    Term,
    canonical,
    differentiate,
    equal,
    evaluate,
    normal_delta,
    product,
    reindex,
    sum_of,
    term,
)

CASE = "D6"
TITLE = "The general theorem: every size, stride, padding, dilation, channel and group"
SOURCES = (
    "the framework definitions of PyTorch's "
    + ", ".join(torch_function(f) for f in ("conv2d", "conv_transpose2d", "avg_pool2d"))
    + f" and {torch_function('max_pool2d')}; every other case is an instance of it"
)
CHECKED_BY = (
    "tests `tests/test_d6_general.py`: the engine's known-false identities rejected, a wrong "
    "line planted in every step rejected, the closed forms evaluated at concrete sizes against "
    "`cnnref` and at every configuration of D5 against D5's proven closed forms"
)
COST = 4.0
FIGURES = {
    "layer": Pipeline(
        "The layer of the general theorem: x is N×C×H×W, y is N×O×Hₒ×Wₒ "
        "(C = G·C_g, O = G·O_g), every size a symbol; δ = ∂L/∂y comes back from the network",
        stages=(Stage("x", (), "input"), Stage("y", (), "output"), Stage("L", (), "loss")),
        operations=("conv2d(·, w, b)", "the network"),
    ),
}


# The textbook section reads these statements (see derivations.registry).
CHAPTER_MODULE = "general_chapter"


METHOD = (
    "sums with symbolic limits in canonical form (deltas eliminated only where the "
    "coefficient is ±1, ranges kept as indicators until discharged by interval reasoning); "
    "each step of the chain checked"
)

ROTATION = ((L.a, L.a1, L.kh - 1 - L.a1), (L.b, L.b1, L.kw - 1 - L.b1))


@dataclass
class Line:
    """One line of a chain: the rule that leads to it, the sum, an optional reading in words."""

    rule: str
    expr: Sum
    reading: str = ""  # LaTeX of the line in the operators' names (for definitions)
    rename: tuple = ()  # a change of index applied to the previous line before comparing

    def planted(self) -> Line:
        """The same line with one index off by one (a delta shifted, or an entry's last index):
        the slip a derivation by hand makes; the tests plant it and the check must reject it."""
        first, *rest = self.expr.terms
        if first.deltas:
            moved = (first.deltas[0] + 1, *first.deltas[1:])
            planted = Term(first.bound, first.coeff, moved, first.indicators)
        else:
            entry = next(f for f in sp.Mul.make_args(first.coeff) if isinstance(f, sp.Indexed))
            shifted = entry.base[(*entry.indices[:-1], entry.indices[-1] + 1)]
            coeff = first.coeff.xreplace({entry: shifted})
            planted = Term(first.bound, coeff, (), first.indicators)
        return Line(self.rule, Sum([planted, *rest]), self.reading, self.rename)


@dataclass
class Statement:
    key: str
    title: str
    convention: str
    claim: str  # LaTeX, index notation
    free: dict
    lines: list[Line]
    control: bool = False
    assumptions: list[str] = field(default_factory=list)  # plain text, for the record
    assumed: str = ""  # the same assumptions for the chapter's reader (Markdown with maths)
    counterexample: dict | None = None
    names: dict = field(default_factory=dict)  # expression -> LaTeX name the claim gives it


def _symbols_of(statement: Statement) -> list[str]:
    names = set()
    for line in statement.lines:
        for t in line.expr.terms:
            exprs = [t.coeff, *t.deltas, *(u for u, _ in t.indicators)]
            exprs += [bnd for _, bnd in t.bound] + [bnd for _, bnd in t.indicators]
            for e in exprs:
                names |= {s for s in sp.sympify(e).free_symbols if s in L.SIZES}
    for bnd in statement.free.values():
        names |= {s for s in sp.sympify(bnd).free_symbols if s in L.SIZES}
    order = {s: k for k, s in enumerate(L.SIZES)}
    return [str(s) for s in sorted(names, key=order.get)]


_CANONICAL: dict = {}  # id(sum) -> (sum, its canonical form, the notes made on the way)


def canonical_form(expr: Sum, free: dict, log: Log) -> Sum:
    """:func:`derivations.sums.canonical`, computed once per sum object (the chains and the
    chapter check the same lines; the sum is held in the memo, so its id stays its own)."""
    key = (id(expr), tuple(sorted(free.items(), key=str)))
    hit = _CANONICAL.get(key)
    if hit is None or hit[0] is not expr:
        own = Log()
        hit = (expr, canonical(expr, free, L.GROUP_SIZES, own), dict(own.notes))
        _CANONICAL[key] = hit
    for k, text in hit[2].items():
        log.notes.setdefault(k, text)
    return hit[1]


def check_step(previous: Line, line: Line, free: dict, log: Log) -> bool:
    """``previous = line``: both in canonical form (after ``line.rename`` on ``previous``)."""
    before = canonical_form(previous.expr, free, log)
    for var, new, image in line.rename:
        before = canonical(reindex(before, var, new, image), free, L.GROUP_SIZES, log)
    return equal(before, canonical_form(line.expr, free, log))


def step_conditions(previous: Line, line: Line, free: dict) -> list[str]:
    """The conditions a step uses itself (LaTeX): the rewrites that bring the previous line to
    its canonical form and are no longer needed for this one, and the change of index."""
    before, after = Log(), Log()
    canonical_form(previous.expr, free, before)
    canonical_form(line.expr, free, after)
    notes = [
        rf"{sp.latex(var)} = {sp.latex(image)}\text{{ maps }} \{{0, \dots, "
        rf"{sp.latex(image + new)}\}}\text{{ onto itself}}"
        for var, new, image in line.rename
    ]
    return notes + [c for c in before.conditions if c not in after.conditions]


def check_chain(statement: Statement) -> tuple[list[bool], list[str]]:
    """The verdict of each step and the side conditions the steps used."""
    log = Log()
    verdicts = []
    for previous, line in zip(statement.lines, statement.lines[1:], strict=False):
        verdicts.append(check_step(previous, line, statement.free, log))
    return verdicts, log.conditions


def check_control(statement: Statement) -> bool:
    """Is a control's claim ``first = last`` accepted, with or without the rotation?"""
    first, last = statement.lines[0], statement.lines[-1]
    for rename in ((), ROTATION):
        if check_step(first, Line("", last.expr, rename=rename), statement.free, Log()):
            return True
    return False


# the statements ---------------------------------------------------------------------------


def _x_chain(taps, closed_taps, convention) -> list[Line]:
    """The chain of ∂L/∂x for the layer whose taps read ``taps(a, b)``."""
    ch = L.g0 * L.Og + L.o
    ta, tb = taps(L.a, L.b)
    rows, cols = L.sh * L.i + L.dh * L.a - L.pt, L.sw * L.j + L.dw * L.b - L.pl
    og = L.g * L.Og + L.o
    line1 = sum_of(
        term(
            [(L.n, L.N), (L.g, L.G), (L.o, L.Og), (L.i, L.Ho), (L.j, L.Wo), (L.c, L.Cg),
             (L.a, L.kh), (L.b, L.kw)],
            L.delta[L.n, og, L.i, L.j] * L.w[og, L.c, ta, tb],
            [(L.n, L.n0), (L.g * L.Cg + L.c, L.g0 * L.Cg + L.c0), (rows, L.r0), (cols, L.q0)],
            [(rows, L.H), (cols, L.W)],
        )
    )  # fmt: skip
    line2 = sum_of(
        term(
            [(L.o, L.Og), (L.i, L.Ho), (L.j, L.Wo), (L.a, L.kh), (L.b, L.kw)],
            L.delta[L.n0, ch, L.i, L.j] * L.w[ch, L.c0, ta, tb],
            [(rows, L.r0), (cols, L.q0)],
        )
    )
    ra, rb = taps(L.kh - 1 - L.a1, L.kw - 1 - L.b1)
    line3 = sum_of(
        term(
            [(L.o, L.Og), (L.i, L.Ho), (L.j, L.Wo), (L.a1, L.kh), (L.b1, L.kw)],
            L.delta[L.n0, ch, L.i, L.j] * L.w[ch, L.c0, ra, rb],
            [
                (L.r0 + L.dh * L.a1, L.sh * L.i + L.dh * (L.kh - 1) - L.pt),
                (L.q0 + L.dw * L.b1, L.sw * L.j + L.dw * (L.kw - 1) - L.pl),
            ],
        )
    )
    kernel = r"\mathrm{rot180}(w)" if closed_taps is L.rotated_taps else "w"
    return [
        Line("", differentiate(L.conv_loss(taps), L.X_ENTRY)),
        Line(
            "chain rule: the derivative of each x entry is a product of Kronecker deltas, "
            "one per index; the bias term does not depend on x",
            line1,
        ),
        Line(
            "deltas summed out: n = n₀; the group split g = g₀, c′ = c₀; the padding "
            "indicator is the range of r₀, q₀ (discharged)",
            line2,
        ),
        Line(
            "change of index $a = k_h - 1 - a'$, $b = k_w - 1 - b'$: the scatter of δ read as a "
            "sliding window; the kernel is read backwards, which is the rotation"
            if convention == CORRELATION
            else "change of index $a = k_h - 1 - a'$, $b = k_w - 1 - b'$: the layer's rotation "
            "and the window's reversal cancel",
            line3,
            rename=ROTATION,
        ),
        Line(
            f"recognise a transposed convolution: δ dilated by the stride, padded by "
            f"d(k − 1) − p, correlated with {'rot180(w)' if kernel != 'w' else 'w'} "
            "(taps d apart), in/out channels swapped within the group",
            L.transposed_conv(taps=closed_taps),
            reading=(
                r"\sum_{o',a',b'} D_{n_0,\,g_0O_g+o',\,r_0+d_ha',\,q_0+d_wb'}\;"
                + kernel
                + r"_{g_0O_g+o',\,c_0,\,a',\,b'}"
            ),
        ),
    ]


def _w_chain(taps) -> list[Line]:
    ch = L.g0 * L.Og + L.o0
    rotated = taps is L.rotated_taps
    tap_a, tap_b = _tap_offsets(rotated)
    ta, tb = taps(L.a0, L.b0)
    rows, cols = L.sh * L.i + L.dh * ta - L.pt, L.sw * L.j + L.dw * tb - L.pl
    line1 = sum_of(
        term(
            [(L.n, L.N), (L.i, L.Ho), (L.j, L.Wo)],
            L.delta[L.n, ch, L.i, L.j] * L.x[L.n, L.g0 * L.Cg + L.c0, rows, cols],
            indicators=[(rows, L.H), (cols, L.W)],
        )
    )
    return [
        Line("", differentiate(L.conv_loss(taps), L.W_ENTRY)),
        Line(
            "chain rule and deltas summed out: g = g₀ and o′ = o₀ (group split), c′ = c₀, "
            "and the tap (a, b) fixed by the entry",
            line1,
        ),
        Line(
            "recognise a correlation: the padded input against δ dilated by the stride "
            "(u = s·i), taps spaced by the dilation, summed over the batch",
            L.weight_correlation(taps=taps),
            reading=(
                r"\sum_{n}\sum_{u,v} x^{p}_{n,\,g_0C_g+c_0,\,u+"
                + tap_a
                + r"-p_t,\,v+"
                + tap_b
                + r"-p_l}"
                + (r" \\ &\qquad \cdot\," if rotated else r"\;")  # long offsets: δ on a row
                + r"\big(\operatorname{dilate}_s\delta\big)_{n,\,g_0O_g+o_0,\,u,\,v}"
            ),
        ),
    ]


def _x_claim(kernel: str) -> str:
    return (
        r"\frac{\partial L}{\partial x_{n_0,\,g_0C_g+c_0,\,r_0,\,q_0}} = "
        r"\sum_{o'<O_g}\sum_{a'<k_h}\sum_{b'<k_w}"
        r"D_{n_0,\,g_0O_g+o',\,r_0+d_ha',\,q_0+d_wb'}\;" + kernel + r"_{g_0O_g+o',\,c_0,\,a',\,b'}"
    )


D_DEFINITION = (
    r"D = \operatorname{pad}_{(d_h(k_h-1)-p_t,\ 0,\ d_w(k_w-1)-p_l,\ 0)}"
    r"\big(\operatorname{dilate}_s\delta\big)"
)
D_NOTE = " (a negative amount crops; entries past the end read as zero)"


def _tap_offsets(rot: bool) -> tuple[str, str]:
    """LaTeX of how far past its window's corner tap ``(a_0, b_0)`` of the weight reads."""
    return (r"d_h(k_h-1-a_0)", r"d_w(k_w-1-b_0)") if rot else ("d_ha_0", "d_wb_0")


def _w_claim(rot: bool) -> str:
    a, b = _tap_offsets(rot)
    return (
        r"\frac{\partial L}{\partial w_{g_0O_g+o_0,\,c_0,\,a_0,\,b_0}} = "
        r"\sum_{n<N}\sum_{i<H_o}\sum_{j<W_o} x^{p}_{n,\,g_0C_g+c_0,\,s_hi+" + a + r"-p_t,\,"
        r"s_wj+" + b + r"-p_l}\;\delta_{n,\,g_0O_g+o_0,\,i,\,j}"
    )


@functools.cache
def statements() -> tuple[Statement, ...]:
    """Every statement of the theorem, with its chain."""
    out = [
        Statement(
            "D6.corr.dx",
            "Input gradient: a transposed convolution with rot180(w)",
            CORRELATION,
            _x_claim(r"\mathrm{rot180}(w)"),
            L.X_FREE,
            _x_chain(L.identity_taps, L.rotated_taps, CORRELATION),
        ),
        Statement(
            "D6.corr.dw",
            "Weight gradient: the input correlated with δ dilated by the stride",
            CORRELATION,
            _w_claim(False),
            L.W_FREE,
            _w_chain(L.identity_taps),
        ),
        Statement(
            "D6.corr.db",
            "Bias gradient: the sum of δ",
            CORRELATION,
            r"\frac{\partial L}{\partial b_{g_0O_g+o_0}} = "
            r"\sum_{n,i,j}\delta_{n,\,g_0O_g+o_0,\,i,\,j}",
            L.B_FREE,
            [
                Line("", differentiate(L.conv_loss(), L.B_ENTRY)),
                Line(
                    "chain rule: only the bias term depends on b",
                    sum_of(
                        term(
                            [(L.n, L.N), (L.g, L.G), (L.o, L.Og), (L.i, L.Ho), (L.j, L.Wo)],
                            L.delta[L.n, L.g * L.Og + L.o, L.i, L.j],
                            [(L.g * L.Og + L.o, L.g0 * L.Og + L.o0)],
                        )
                    ),
                ),
                Line("deltas summed out: the group split g = g₀, o′ = o₀", L.bias_sum()),
            ],
        ),
        Statement(
            "D6.conv.dx",
            "True convolution: the input gradient is a transposed convolution with w itself",
            CONVOLUTION,
            _x_claim("w"),
            L.X_FREE,
            _x_chain(L.rotated_taps, L.identity_taps, CONVOLUTION),
        ),
        Statement(
            "D6.conv.dw",
            "True convolution: the weight gradient is rot180 of the correlation",
            CONVOLUTION,
            _w_claim(True),
            L.W_FREE,
            _w_chain(L.rotated_taps),
        ),
        _adjoint(),
        _avg_pool(),
        _max_pool(),
    ]
    return tuple(out)


def _adjoint() -> Statement:
    """⟨conv2d(x), δ⟩ = ⟨x, conv_transpose2d(δ)⟩ for every output_padding."""
    rows_out = L.sh * (L.Ho - 1) - L.pt - L.pb + L.dh * (L.kh - 1) + L.oph + 1
    outer = sum_of(
        term(
            [(L.n0, L.N), (L.g0, L.G), (L.c0, L.Cg), (L.r0, rows_out), (L.q0, L.W)],
            L.x[L.n0, L.g0 * L.Cg + L.c0, L.r0, L.q0],
        )
    )
    pairing = product(outer, L.transposed_conv())
    weight_part = L.conv_loss(rows_in=rows_out)
    weight_part = Sum(weight_part.terms[:1])  # no bias in the adjoint
    ch = L.g * L.Og + L.o
    solved = L.sh * L.i + L.dh * (L.kh - 1) - L.pt - L.dh * L.a1
    middle = sum_of(
        term(
            [(L.n, L.N), (L.g, L.G), (L.c, L.Cg), (L.o, L.Og), (L.a1, L.kh), (L.b1, L.kw),
             (L.i, L.Ho), (L.j, L.Wo)],
            L.x[L.n, L.g * L.Cg + L.c, solved,
                L.sw * L.j + L.dw * (L.kw - 1) - L.pl - L.dw * L.b1]
            * L.w[ch, L.c, L.kh - 1 - L.a1, L.kw - 1 - L.b1] * L.delta[L.n, ch, L.i, L.j],
            indicators=[(solved, rows_out),
                        (L.sw * L.j + L.dw * (L.kw - 1) - L.pl - L.dw * L.b1, L.W)],
        )
    )  # fmt: skip
    return Statement(
        "D6.adjoint.conv-transpose",
        "conv_transpose2d with output_padding is the adjoint of conv2d",
        CORRELATION,
        r"\langle \mathrm{conv2d}(x, w),\ \delta\rangle = "
        r"\langle x,\ \mathrm{conv\_transpose2d}(\delta, w, \mathrm{op})\rangle,"
        r"\quad H' = s_h(H_o-1) - p_t - p_b + d_h(k_h-1) + \mathrm{op}_h + 1",
        {},
        [
            Line(
                "",
                pairing,
                reading=r"\langle x, \mathrm{conv\_transpose2d}(\delta, w)\rangle",
            ),
            Line(
                "deltas summed out: the row r and column q of x fixed by each tap "
                "(range kept as an indicator: the output_padding rows are inside it)",
                middle,
            ),
            Line(
                "change of index $a = k_h - 1 - a'$, $b = k_w - 1 - b'$; "
                "recognise ⟨conv2d(x, w), δ⟩ on the H′ x W′ input",
                weight_part,
                reading=r"\langle \mathrm{conv2d}(x, w), \delta\rangle",
                rename=((L.a1, L.a, L.kh - 1 - L.a), (L.b1, L.b, L.kw - 1 - L.b)),
            ),
        ],
        assumptions=[
            "for every output_padding op_h, op_w (symbols); the input is H′ x W′ with "
            "H′ = s_h(H_o − 1) − p_t − p_b + d_h(k_h − 1) + op_h + 1 (the size "
            "conv_transpose2d returns); conv2d of that input has exactly H_o windows "
            "when op_h < s_h (statement D6.size.output-padding)",
        ],
        assumed=(
            r"for every output_padding $\mathrm{op}_h, \mathrm{op}_w$ (symbols), the input is "
            r"$H' \times W'$ with $H' = s_h(H_o - 1) - p_t - p_b + d_h(k_h - 1) + \mathrm{op}_h "
            r"+ 1$ (and $W'$ likewise), the size `conv_transpose2d` returns; conv2d has "
            r"exactly $H_o$ windows on it when $\mathrm{op}_h < s_h$ (statement "
            r"`D6.size.output-padding`); PyTorch also allows "
            r"$s_h \le \mathrm{op}_h < d_h$, and then conv2d has more windows and "
            r"$\delta$ pairs with the first $H_o$ of them"
        ),
        names={rows_out: "H'", L.W: "W'"},  # the sizes of the claim's input
    )


def _avg_pool() -> Statement:
    rows, cols = L.sh * L.i + L.a - L.pt, L.sw * L.j + L.b - L.pl
    line1 = sum_of(
        term(
            [(L.i, L.Ho), (L.j, L.Wo), (L.a, L.kh), (L.b, L.kw)],
            L.delta[L.n0, L.c0, L.i, L.j] / L.divisor[L.i, L.j],
            [(rows, L.r0), (cols, L.q0)],
        )
    )
    return Statement(
        "D6.pool.avg",
        "Average pooling: δ/m spread over each window, a transposed convolution",
        NEITHER,
        r"\frac{\partial L}{\partial x_{n_0,c_0,r_0,q_0}} = \sum_{a'<k_h}\sum_{b'<k_w}"
        r"\operatorname{pad}_{(k_h-1-p_t,\ 0,\ k_w-1-p_l,\ 0)}"
        r"\big(\operatorname{dilate}_s(\delta / m)\big)"
        r"_{n_0,\,c_0,\,r_0+a',\,q_0+b'}",
        L.POOL_FREE,
        [
            Line("", differentiate(L.avg_pool_loss(), L.POOL_ENTRY)),
            Line("chain rule; deltas summed out (n = n₀, c = c₀); padding discharged", line1),
            Line(
                "change of index $a = k_h - 1 - a'$ (the all-ones kernel is its own rotation); "
                "recognise a transposed convolution",
                L.avg_pool_backward(),
                rename=ROTATION,
            ),
        ],
        assumptions=[
            "m[i, j] is any divisor of window (i, j), as PyTorch's options choose it: k_h·k_w, "
            "the positions inside the padded input when ceil_mode clips the last window, the "
            "number of entries inside the input (count_include_pad=False) or divisor_override",
        ],
        assumed=(
            r"$m_{ij}$ is any divisor of window $(i, j)$, as PyTorch's options choose it: "
            r"$k_h k_w$, the positions inside the padded input when `ceil_mode` clips the last "
            r"window (D7), the number of its entries inside the input "
            r"(`count_include_pad=False`), or `divisor_override`"
        ),
    )


def _max_pool() -> Statement:
    rows = L.sh * L.i + L.dh * L.alpha[L.n, L.c, L.i, L.j] - L.pt
    cols = L.sw * L.j + L.dw * L.beta[L.n, L.c, L.i, L.j] - L.pl
    return Statement(
        "D6.pool.max",
        "Max pooling: each δ entry goes to its window's argmax (max_unpool2d)",
        NEITHER,
        r"\frac{\partial L}{\partial x_{n_0,c_0,r_0,q_0}} = \sum_{i<H_o}\sum_{j<W_o}"
        r"\delta_{n_0,c_0,i,j}\,[r_0 = s_hi+d_h\alpha_{n_0c_0ij}-p_t]\,"
        r"[q_0 = s_wj+d_w\beta_{n_0c_0ij}-p_l]",
        L.POOL_FREE,
        [
            Line("", differentiate(L.max_pool_loss(), L.POOL_ENTRY)),
            Line(
                "chain rule: each window's output is one entry of x, the one at its argmax",
                sum_of(
                    term(
                        [(L.n, L.N), (L.c, L.Cg), (L.i, L.Ho), (L.j, L.Wo)],
                        L.delta[L.n, L.c, L.i, L.j],
                        [(L.n, L.n0), (L.c, L.c0), (rows, L.r0), (cols, L.q0)],
                        [(rows, L.H), (cols, L.W)],
                    )
                ),
            ),
            Line(
                "deltas summed out (n = n₀, c = c₀; the argmax is inside the input); "
                "recognise max_unpool2d: δ placed at the argmax of its window",
                L.max_unpool(),
            ),
        ],
        assumptions=[
            "(α, β)[n, c, i, j] is the tap of window (i, j) holding its first maximum in "
            "row-major order (cnnref's and PyTorch's tie rule); away from ties it does not "
            "change under a small change of x, so it is a constant of the derivative; "
            "padding is −∞ and is never the argmax",
        ],
        assumed=(
            r"$(\alpha, \beta)_{n,c,i,j}$ is the tap of window $(i, j)$ that holds its first "
            r"maximum in row-major order (the tie rule of cnnref and PyTorch). Away from ties it "
            r"does not change when $x$ changes a little, so it is a constant of the derivative; "
            r"padding counts as $-\infty$ and is never the maximum"
        ),
    )


# the controls ------------------------------------------------------------------------------


def _control(key, title, claim, base: Statement, wrong: Sum) -> Statement:
    return Statement(
        key, title, base.convention, claim, base.free,
        [base.lines[0], Line("the control's claim", wrong)], control=True,
    )  # fmt: skip


def _sympy_trap(rows, cols, ch) -> Sum:
    """What ``Sum(δ[i]·KroneckerDelta(u, s·i + P), (i, 0, H_o-1)).doit()`` returns:
    ``δ[(u - P)/s]``, no divisibility condition (at u - P = 3, s = 2: δ[3/2])."""
    top, left = L.dh * (L.kh - 1) - L.pt, L.dw * (L.kw - 1) - L.pl
    return sum_of(term([], L.delta[L.n0, ch, (rows - top) / L.sh, (cols - left) / L.sw]))


def controls(by_key: dict[str, Statement]) -> list[Statement]:
    dx, dw = by_key["D6.corr.dx"], by_key["D6.corr.dw"]
    top, left = L.dh * (L.kh - 1) - L.pt, L.dw * (L.kw - 1) - L.pl

    def rotated_delta(rows, cols, ch):
        return sum_of(
            term(
                [(L.i, L.Ho), (L.j, L.Wo)],
                L.delta[L.n0, ch, L.Ho - 1 - L.i, L.Wo - 1 - L.j],
                [(rows, L.sh * L.i + top), (cols, L.sw * L.j + left)],
            )
        )

    flipped = L.transposed_conv(taps=L.identity_taps, sample_delta=rotated_delta)
    return [
        _control(
            "D6.corr.dx.control-no-rot180", "Control: input gradient without rot180",
            r"\partial L/\partial x = \operatorname{pad}(\operatorname{dilate}_s\delta) \star w",
            dx, L.transposed_conv(taps=L.identity_taps),
        ),
        _control(
            "D6.corr.dx.control-padding-ignores-dilation",
            "Control: δ padded by k − 1 − p, ignoring the dilation",
            r"\partial L/\partial x = \operatorname{pad}_{(k_h-1-p_t,\ 0,\ k_w-1-p_l,\ 0)}"
            r"(\operatorname{dilate}_s\delta)"
            r" \star_d \mathrm{rot180}(w)",
            dx, L.transposed_conv(top=L.kh - 1 - L.pt, left=L.kw - 1 - L.pl),
        ),
        _control(
            "D6.corr.dx.control-group-order",
            "Control: output channels ordered across groups (o′·G + g instead of g·O_g + o′)",
            r"\text{channel } o'G + g_0 \text{ instead of } g_0O_g + o'",
            dx, L.transposed_conv(channel=L.o * L.G + L.g0),
        ),
        _control(
            "D6.corr.dx.control-rot180-on-delta",
            "Control: rot180 applied to δ instead of the kernel",
            r"\partial L/\partial x = \operatorname{pad}(\operatorname{dilate}_s"
            r"\mathrm{rot180}(\delta)) \star_d w",
            dx, flipped,
        ),
        _control(
            "D6.corr.dx.control-sympy-sum-trap",
            "Control: SymPy's evaluation of the scatter, δ[(r + P − d·a)/s] with no divisibility",
            r"\sum_{o',a',b'} \delta_{n_0,\,g_0O_g+o',\,(r_0+d_ha'-P_t)/s_h,\,(q_0+d_wb'-P_l)/s_w}"
            r"\mathrm{rot180}(w)_{g_0O_g+o',c_0,a',b'}",
            dx, L.transposed_conv(sample_delta=_sympy_trap),
        ),
        _control(
            "D6.corr.dw.control-stride-dilation-not-swapped",
            "Control: weight gradient with the roles of stride and dilation not swapped",
            r"\partial L/\partial w_{a_0} = \sum x^p_{d_hi+s_ha_0-p_t}\,\delta_i",
            dw, L.weight_correlation(spacing=(L.sh, L.sw), stride=(L.dh, L.dw)),
        ),
        _control(
            "D6.corr.dw.control-no-dilation-spacing",
            "Control: weight gradient without the dilation spacing of the taps",
            r"\partial L/\partial w_{a_0} = \sum x^p_{s_hi+a_0-p_t}\,\delta_i",
            dw, L.weight_correlation(spacing=(1, 1)),
        ),
    ]  # fmt: skip


# sizes: the number of windows, and the output_padding range ---------------------------------


@dataclass
class Certificate:
    """``target - at_least = Σ parts`` identically, each part a product of factors known >= 0.

    A factor is a hypothesis (an expression assumed >= 0, listed in
    ``hypotheses`` with its meaning) or a symbol that is non-negative by its
    assumptions. Then ``target >= at_least`` wherever the hypotheses hold.
    """

    claim: str  # LaTeX
    target: sp.Expr
    hypotheses: dict[sp.Expr, str]
    parts: list[tuple[sp.Expr, ...]]
    at_least: int = 0

    def holds(self) -> bool:
        for part in self.parts:
            for factor in part:
                known = factor in self.hypotheses or (factor.is_Symbol and factor.is_nonnegative)
                if not known:
                    return False
        total = sum((sp.Mul(*part) for part in self.parts), sp.Integer(0))
        return sp.expand(self.target - self.at_least - total) == 0


def window_certificates(extent: sp.Expr, stride: sp.Expr, q: sp.Expr) -> list[Certificate]:
    """Window ``i >= 0`` fits iff ``s·i <= E``; with ``q = floor(E/s)``, i.e.
    ``s·q <= E <= s·q + s - 1``, that is ``i <= q``."""
    i = L.i
    floor_low, floor_high = extent - stride * q, stride * q + stride - 1 - extent
    return [
        Certificate(
            r"0 \le i \le q \implies E - s\,i = (E - s\,q) + s\,(q - i) \ge 0",
            extent - stride * i,
            {floor_low: "s q <= E (definition of the floor)", q - i: "i <= q"},
            [(floor_low,), (stride, q - i)],
        ),
        Certificate(
            r"i \ge q + 1 \implies s\,i - E = s\,(i - q - 1) + (s\,q + s - 1 - E) + 1 \ge 1",
            stride * i - extent,
            {floor_high: "E <= s q + s - 1 (definition of the floor)", i - q - 1: "i >= q + 1"},
            [(stride, i - q - 1), (floor_high,)],
            at_least=1,
        ),
    ]


def size_statements() -> list[tuple[str, str, str, list[Certificate], list[str]]]:
    """(key, title, claim, certificates, assumptions) of the output-size statements."""
    q, op = L.q, L.oph
    extent = L.EXTENT_H
    windows = window_certificates(extent, L.sh, q)
    # conv2d on the H' rows conv_transpose2d returns: E' = s(H_o - 1) + op, so q = H_o - 1
    # exactly when 0 <= op <= s - 1.
    extent_t = L.sh * (L.Ho - 1) + op
    low, high = extent_t - L.sh * (L.Ho - 1), L.sh * (L.Ho - 1) + L.sh - 1 - extent_t
    transposed = [
        Certificate(
            r"E' - s_h(H_o-1) = \mathrm{op}_h \ge 0",
            low,
            {op: "output_padding >= 0"},
            [(op,)],
        ),
        Certificate(
            r"s_h(H_o-1) + s_h - 1 - E' = s_h - 1 - \mathrm{op}_h \ge 0",
            high,
            {L.sh - 1 - op: "output_padding < stride"},
            [(L.sh - 1 - op,)],
        ),
    ]
    return [
        (
            "D6.size.windows",
            "The number of windows: ⌊(H + p_t + p_b − d(k − 1) − 1) / s⌋ + 1",
            r"H_o = \left\lfloor \frac{H + p_t + p_b - d_h(k_h-1) - 1}{s_h} \right\rfloor + 1"
            r"\quad(\text{and likewise } W_o)",
            windows,
            [
                "window i reads padded rows s_h i, s_h i + d_h, …, s_h i + d_h(k_h − 1); it "
                "fits when its last row s_h i + d_h(k_h − 1) <= H + p_t + p_b − 1, i.e. "
                "s_h i <= E with E = H + p_t + p_b − d_h(k_h − 1) − 1",
                "E >= 0 (the dilated kernel fits the padded input); q = floor(E / s_h), "
                "i.e. s_h q <= E <= s_h q + s_h − 1",
                "so the windows are i = 0, 1, …, q: H_o = q + 1",
            ],
        ),
        (
            "D6.size.output-padding",
            "conv_transpose2d's output has exactly H_o windows when output_padding < stride",
            r"H' = s_h(H_o-1) - p_t - p_b + d_h(k_h-1) + \mathrm{op}_h + 1:\quad"
            r"\left\lfloor \frac{H' + p_t + p_b - d_h(k_h-1) - 1}{s_h} \right\rfloor + 1 = H_o",
            transposed,
            [
                "E' = H' + p_t + p_b − d_h(k_h − 1) − 1 = s_h(H_o − 1) + op_h",
                "q = H_o − 1 satisfies the definition of floor(E' / s_h) exactly when "
                "0 <= op_h <= s_h − 1; PyTorch also accepts s_h <= op_h < d_h when d_h > s_h, "
                "and then conv2d of that input has more windows: the adjoint pairs δ with "
                "the first H_o of them",
            ],
        ),
    ]


def reading_condition(chain: list[Line], free: dict) -> tuple[bool, list[sp.Expr]]:
    """The canonical form of ∂L/∂x is one term whose monomials differ for different values of
    its bound indices; then the gradient is zero for every δ and w exactly when no value of
    them satisfies its deltas. Returns (that holds, the deltas)."""
    form = canonical(chain[0].expr, free, L.GROUP_SIZES)
    if len(form.terms) != 1:
        return False, []
    t = form.terms[0]
    entries = [f for f in sp.Mul.make_args(t.coeff) if isinstance(f, sp.Indexed)]
    for v, _ in t.bound:
        pinned = any(
            sp.expand(k).coeff(v) in (1, -1)
            and not sp.expand(k - sp.expand(k).coeff(v) * v).has(*(w for w, _ in t.bound))
            for e in entries
            for k in e.indices
        )
        if not pinned:
            return False, []
    return True, list(t.deltas)


def remainder_rows_zero(chain: list[Line], free: dict) -> bool:
    """Rows r_0 >= s_h(H_o − 1) + d_h(k_h − 1) − p_t + 1 (below the last window) get zero."""
    t = L.amount_t
    last = L.sh * (L.Ho - 1) + L.dh * (L.kh - 1) - L.pt
    rest = {k: val for k, val in free.items() if k != L.r0}
    shifted = Sum([tm.subs({L.r0: last + 1 + t}) for tm in chain[0].expr.terms])
    return not canonical(shifted, rest, L.GROUP_SIZES).terms


# numbers: counterexamples ------------------------------------------------------------------

# One configuration with groups of several channels, a stride remainder, dilation, uneven
# padding and a rectangular kernel; its window counts come from D6.size.windows.
EXAMPLE = {
    L.N: 1, L.G: 2, L.Cg: 2, L.Og: 2, L.H: 7, L.W: 5, L.kh: 2, L.kw: 3,
    L.sh: 2, L.sw: 1, L.dh: 3, L.dw: 2, L.pt: 1, L.pb: 0, L.pl: 1, L.pr: 1,
}  # fmt: skip


def with_windows(sizes: dict) -> dict:
    """``sizes`` with ``H_o``, ``W_o`` from the window count of D6.size.windows."""
    out = dict(sizes)
    for count, extent, stride in ((L.Ho, L.EXTENT_H, L.sh), (L.Wo, L.EXTENT_W, L.sw)):
        out[count] = int(sp.floor(extent / stride).xreplace(sizes)) + 1
    return out


EXAMPLE = with_windows(EXAMPLE)


def example_arrays(sizes: dict, seed: int = 6) -> dict[str, np.ndarray]:
    """Random small integers for x, w, b and δ at ``sizes`` (non-symmetric, non-uniform)."""
    rng = np.random.default_rng(seed)
    groups, cg, og = sizes[L.G], sizes[L.Cg], sizes[L.Og]
    shapes = {
        "x": (sizes[L.N], groups * cg, sizes[L.H], sizes[L.W]),
        "w": (groups * og, cg, sizes[L.kh], sizes[L.kw]),
        "b": (groups * og,),
        "delta": (sizes[L.N], groups * og, sizes[L.Ho], sizes[L.Wo]),
    }
    return {name: rng.integers(-4, 5, size=shape) for name, shape in shapes.items()}


def counterexample(statement: Statement) -> dict:
    """The first entry, at :data:`EXAMPLE`, where the control's two sides differ."""
    free = list(statement.free.items())
    arrays = example_arrays(EXAMPLE)
    lhs = evaluate(statement.lines[0].expr, free, EXAMPLE, arrays)
    rhs = evaluate(statement.lines[-1].expr, free, EXAMPLE, arrays)
    differs = ~np.isclose(lhs, rhs) | np.isnan(rhs)
    where = tuple(int(k) for k in np.argwhere(differs)[0])
    configuration = {str(k): v for k, v in EXAMPLE.items()}
    value = float(rhs[where])
    return {
        "configuration": configuration,
        "entry": {str(v): k for (v, _), k in zip(free, where, strict=True)},
        "true value": float(lhs[where]),
        "claimed value": "not an entry (fractional index)" if np.isnan(value) else value,
    }


# the records ---------------------------------------------------------------------------------


def _proof(
    key, title, convention, claim, holds, *, holds_for, side_conditions, control=False, **details
) -> Proof:
    details = {k: v for k, v in details.items() if v}
    return Proof(
        case=CASE, key=key, title=title, statement=claim, convention=convention, method=METHOD,
        control=control, holds=holds, details=details, holds_for=holds_for,
        side_conditions=side_conditions,
    )  # fmt: skip


def _chain_proof(s: Statement) -> Proof:
    start = time.perf_counter()
    verdicts, conditions = check_chain(s)
    p = _proof(
        s.key, s.title, s.convention, s.claim, all(verdicts),
        holds_for=_symbols_of(s), side_conditions=conditions, assumptions=s.assumptions,
        steps=f"{sum(verdicts)} of {len(verdicts)} steps of the chain checked "
        "(the derivation above)",
    )  # fmt: skip
    p.seconds = time.perf_counter() - start
    return p


def _control_proof(s: Statement) -> Proof:
    start = time.perf_counter()
    accepted = check_control(s)
    p = _proof(
        s.key, s.title, s.convention, s.claim, accepted, control=True,
        holds_for=_symbols_of(s), side_conditions=[],
        counterexample=None if accepted else counterexample(s),
    )  # fmt: skip
    p.seconds = time.perf_counter() - start
    return p


def _size_proof(key, title, claim, certificates, assumptions) -> Proof:
    holds = all(c.holds() for c in certificates)
    symbols = set().union(*(sp.sympify(c.target).free_symbols for c in certificates))
    order = {s: k for k, s in enumerate(L.SIZES)}
    return _proof(
        key, title, NEITHER, claim, holds,
        holds_for=[str(s) for s in sorted(symbols & set(order), key=order.get)],
        side_conditions=[
            f"{v} >= 0: {why}" for c in certificates for v, why in c.hypotheses.items()
        ],
        assumptions=assumptions,
        certificates=[
            f"${c.claim}$: {'checked' if c.holds() else 'NOT CHECKED'}" for c in certificates
        ],
    )  # fmt: skip


def _unread_proof(dx: Statement) -> Proof:
    pinned, deltas = reading_condition(dx.lines, dx.free)
    expected = {
        normal_delta(L.sh * L.i + L.dh * L.a - L.pt - L.r0),
        normal_delta(L.sw * L.j + L.dw * L.b - L.pl - L.q0),
    }
    exact = pinned and set(map(normal_delta, deltas)) == expected
    remainder = remainder_rows_zero(dx.lines, dx.free)
    return _proof(
        "D6.corr.dx.unread",
        "Which inputs get no gradient: exactly those no window reads",
        CORRELATION,
        r"\frac{\partial L}{\partial x_{n_0,c,r_0,q_0}} \equiv 0 \iff "
        r"\begin{aligned}[t] &\neg\exists\, i<H_o,\ a<k_h:\ s_hi+d_ha = r_0+p_t \\ "
        r"\lor\ &\neg\exists\, j<W_o,\ b<k_w:\ s_wj+d_wb = q_0+p_l \end{aligned}",
        exact and remainder,
        holds_for=_symbols_of(dx),
        side_conditions=[
            "the canonical form of the input gradient is one term whose entries δ·w differ "
            "for different (o′, i, j, a, b): it is zero for every δ and w exactly when no "
            "(i, a, j, b) satisfies its two deltas",
            "corollary, checked: rows r_0 = s_h(H_o − 1) + d_h(k_h − 1) − p_t + 1 + t, t >= 0 "
            "(below the last window: the stride remainder) have gradient 0",
        ],
        assumptions=[],
    )


def run() -> list[Proof]:
    chains = statements()
    by_key = {s.key: s for s in chains}
    proofs = [_chain_proof(s) for s in chains]
    proofs.insert(1, _unread_proof(by_key["D6.corr.dx"]))
    proofs += [_size_proof(*args) for args in size_statements()]
    proofs += [_control_proof(c) for c in controls(by_key)]
    return proofs
