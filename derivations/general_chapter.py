"""The chapter of D6, the general theorem: prose, chains, results and exercises.

The statements and their chains live in :mod:`derivations.d6_general`; this
module turns them into a :class:`~derivations.chapter.Chapter`: each line of a
chain is a :class:`~derivations.chain.Step` checked by the engine of
:mod:`derivations.sums` (its ``check``), with the side conditions that engine
used.
"""

from __future__ import annotations

import re

import numpy as np

import cnnref

from . import d6_general as D6
from . import general as L
from .chain import Chain, Step
from .chapter import Chapter, Exercise, Result
from .proof import NEITHER
from .sums import Log, evaluate, latex

METHOD = "canonical forms of both lines compared (derivations.sums)"

INTRO = r"""
The chapters before this one prove each gradient formula at the sizes of one
network, and the grid of D5 at over 1300 configurations. A reader must still take
on trust every size nobody enumerated. Here nothing is enumerated: the batch
$N$, the groups $G$ with $C_g$ input and $O_g$ output channels each, the input
$H \times W$, the kernel $k_h \times k_w$, the strides $s_h, s_w$, the
dilations $d_h, d_w$ and the four paddings $p_t, p_b, p_l, p_r$ are symbols,
and every statement below holds for all of their values at once.

Arrays are written entry by entry, and a sum over an index runs from $0$ to its
size minus one ($n < N$, $o' < O_g$, $i < H_o$, $a, a' < k_h$, …). A bracket
$[\,A = B\,]$ is $1$ when $A = B$ and $0$ otherwise (a Kronecker delta);
$[\,0 \le u < B\,]$ likewise. Each "$=$" of a derivation is checked by
bringing both lines to one canonical form: a bracket is summed out only over an
index whose coefficient is $\pm 1$ (never over $i$ in $[\,s_h i = m\,]$: there
is no $\delta_{m/s}$ when $s$ does not divide $m$), and the range of that index
stays behind as a condition until it is shown to hold. The conditions each
step used are listed under it.
"""

FORWARD = (
    r"y_{n,\,gO_g+o',\,i,\,j} &= b_{gO_g+o'} + \sum_{c'<C_g}\sum_{a<k_h}\sum_{b<k_w}"
    r" w_{gO_g+o',\,c',\,a,\,b} \\ &\qquad\cdot\,"
    r" x^{p}_{n,\,gC_g+c',\;s_hi+d_ha-p_t,\;s_wj+d_wb-p_l}",
    r"x^{p}_{n,c,r,q} &= x_{n,c,r,q}\,[\,0 \le r < H\,]\,[\,0 \le q < W\,]",
    r"H_o &= \left\lfloor \frac{H + p_t + p_b - d_h(k_h-1) - 1}{s_h} \right\rfloor + 1",
    r"W_o &= \left\lfloor \frac{W + p_l + p_r - d_w(k_w-1) - 1}{s_w} \right\rfloor + 1",
    r"\delta_{n,o,i,j} &= \frac{\partial L}{\partial y_{n,o,i,j}}",
)

FORWARD_TEXT = r"""
This is `conv2d` as frameworks define it: a **cross-correlation**. Output
channel $o'$ of group $g$ is channel $gO_g + o'$ and sees only the input
channels $gC_g + c'$ of its own group. Window $(i, j)$ starts at row $s_h i -
p_t$ and column $s_w j - p_l$ of the input, and its taps are $d_h$ rows and
$d_w$ columns apart. Padding is not an array of zeros but a condition on the
input's index: an entry outside $0 \le r < H$ reads $0$. So 'same' padding with
an even kernel ($p_t \ne p_b$) is just two different symbols, and the bottom
and right paddings appear only through the number of windows $H_o$, $W_o$.

The layer sits anywhere in a network, and $\delta$ is whatever gradient flows
into its output; by the chain rule
$\partial L / \partial x = \sum \delta \, \partial y / \partial x$, so the
derivations differentiate $\sum \delta \odot y$ with $\delta$ held fixed.
"""

INSTANCES = r"""
Every other chapter is an instance of this one. D1 is $N = G = C_g = O_g = 1$,
$H = W = 3$, $k_h = k_w = 2$, strides and dilations $1$, no padding, so that
$d(k - 1) - p = 1$: the "pad $\delta$ by one" of its input gradient. D2 is two
such layers, D3 adds channels ($C_g = 2$, $O_g = 3$) and pooling, D4 the
dense layers (a $1 \times 1$ window over a $1 \times 1$ input), and every
configuration of D5's grid is one choice of the symbols; the tests evaluate
this chapter's closed forms at each of them and compare with D5's proven ones. The
<a href="../../explorer/#input=6x6&kernel=2&stride=3x1&padding=1x0x0x1&dilation=1">explorer</a>
shows any one choice entry by entry, with the rows no window reads.
"""


def _step(line: D6.Line, statement: D6.Statement, previous: D6.Line) -> Step:
    free = statement.free
    return Step(
        rule=line.rule,
        latex=line.reading or latex(line.expr, free, per_row=1, names=statement.names),
        value=line,
        check=lambda before, after, free=free: D6.check_step(before, after, free, Log()),
        method=METHOD,
        conditions=tuple(D6.step_conditions(previous, line, free)),
    )


# A claim longer than this many characters of LaTeX is cut into two rows.
LONG_CLAIM = 110


def _aligned_rows(claim: str) -> str:
    """A claim as rows of an ``aligned`` display, so that it fits the column.

    An equation followed by a definition (``, \\quad``) puts the definition on a
    row of its own; a long claim with leading sums keeps them on the first row and
    the summand on the next; anything else is one row.
    """
    if r",\quad" in claim:  # an equation and, after it, a definition
        equation, definition = claim.split(r",\quad", 1)
        return f"{equation.replace('=', '&=', 1)}, \\\\\n&\\qquad {definition}"
    lhs, _, rhs = claim.partition("=")
    sums = re.match(r"\s*((?:\\sum_\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\})+)\s*", rhs)
    if not rhs or sums is None or len(claim) <= LONG_CLAIM:
        return claim.replace("=", "&=", 1) if rhs else "&" + claim
    return f"{lhs}&= {sums.group(1)} \\\\\n&\\qquad {rhs[sums.end() :]}"


def _convention(statement: D6.Statement) -> str:
    """`` (cross-correlation)`` after "Claim"; nothing for a statement without a convolution."""
    return "" if statement.convention == NEITHER else f" ({statement.convention})"


def _assumed(statement: D6.Statement) -> str:
    """The chain's "Assumed:" line; a statement with assumptions must say them for the reader."""
    if statement.assumptions and not statement.assumed:
        raise ValueError(f"{statement.key}: assumptions without their reading (assumed=...)")
    return f"\n\nAssumed: {statement.assumed}." if statement.assumed else ""


def chain_of(statement: D6.Statement) -> Chain:
    first = statement.lines[0]
    steps = tuple(
        _step(line, statement, before)
        for before, line in zip(statement.lines, statement.lines[1:], strict=False)
    )
    return Chain(
        key=f"{statement.key}.steps",
        title=statement.title,
        start=first.reading or _derivative(statement),
        start_value=first,
        steps=steps,
        intro=f"Claim{_convention(statement)}:\n\n$$\n\\begin{{aligned}}\n"
        + _aligned_rows(statement.claim)
        + "\n\\end{aligned}\n$$"
        + (f"\n\nwith ${D6.D_DEFINITION}${D6.D_NOTE}." if "D_{" in statement.claim else "")
        + _assumed(statement),
    )


def _derivative(statement: D6.Statement) -> str:
    return statement.claim.split("=")[0]


# results -------------------------------------------------------------------------------


def _unread_holds() -> bool:
    dx = {s.key: s for s in D6.statements()}["D6.corr.dx"]
    return D6._unread_proof(dx).holds


def _sizes_hold() -> bool:
    return all(c.holds() for *_, certs, _ in D6.size_statements() for c in certs)


RESULTS = (
    Result(
        "Which inputs get no gradient",
        "The canonical form of $\\partial L/\\partial x$ is one sum whose terms "
        "$\\delta\\,w$ are different entries for different indices, so it vanishes for "
        "every $\\delta$ and $w$ exactly when no window reads the entry. This is a "
        "condition, not a count of remainder rows: a stride longer than the dilated "
        "kernel leaves gaps between windows, a dilation leaves gaps between a window's "
        "taps that the other windows may not fill, and the rows after the last window "
        "(the stride remainder) are one more case of it.",
        r"\frac{\partial L}{\partial x_{n,c,r_0,q_0}} \equiv 0 \iff "
        r"\begin{aligned}[t] &\neg\exists\, i<H_o,\ a<k_h:\ s_hi+d_ha = r_0+p_t \\ "
        r"\lor\ &\neg\exists\, j<W_o,\ b<k_w:\ s_wj+d_wb = q_0+p_l \end{aligned}",
        check=_unread_holds,
        shows="the condition, for every size (certificate `D6.corr.dx.unread`)",
    ),
    Result(
        "The number of windows",
        "Window $i$ fits when its last tap $s_h i + d_h(k_h - 1)$ is inside the padded "
        "input. With $E = H + p_t + p_b - d_h(k_h - 1) - 1$ and $q = \\lfloor E / s_h "
        "\\rfloor$, the two certificates below show $s_h i \\le E \\iff i \\le q$; so "
        "$H_o = q + 1$, derived here rather than taken from the library. The same "
        "argument shows that `conv_transpose2d` with output_padding "
        "$\\mathrm{op}_h < s_h$ returns an input on which conv2d has exactly $H_o$ windows.",
        r"\begin{aligned} 0 \le i \le q:&\quad E - s_hi = (E - s_hq) + s_h(q - i) \ge 0, \\ "
        r"i \ge q + 1:&\quad s_hi - E = s_h(i - q - 1) + (s_hq + s_h - 1 - E) + 1 \ge 1 "
        r"\end{aligned}",
        check=_sizes_hold,
        shows=(
            "both inequalities, for every size "
            "(certificates `D6.size.windows` and `D6.size.output-padding`)"
        ),
    ),
)


# exercises -----------------------------------------------------------------------------


def _rows_without_gradient(h, k, s, p, d=1) -> set[int]:
    """Rows of a ``(1, 1, h, 5)`` input whose gradient is zero, by cnnref (random δ, w)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 1, h, 5))
    w = rng.integers(1, 5, size=(1, 1, k, 2)).astype(float)
    y = cnnref.conv2d(x, w, stride=(s, 1), padding=(p, 0), dilation=(d, 1))
    gx, _, _ = cnnref.conv2d_backward(
        rng.uniform(1, 2, y.shape), x, w, stride=(s, 1), padding=(p, 0), dilation=(d, 1)
    )
    return {r for r in range(h) if not np.any(gx[0, 0, r])}


def _rows_by_condition(h, k, s, p, d=1) -> set[int]:
    ho = (h + 2 * p - d * (k - 1) - 1) // s + 1
    read = {s * i + d * a - p for i in range(ho) for a in range(k)}
    return set(range(h)) - read


def _same_padding_check() -> bool:
    """D6's closed form with p_t = 1, p_b = 2 (kernel 4, 'same') equals cnnref's 'same'."""
    sizes = dict(D6.EXAMPLE)
    sizes.update({L.kh: 4, L.dh: 1, L.sh: 1, L.pt: 1, L.pb: 2, L.H: 6})
    sizes = D6.with_windows({k: v for k, v in sizes.items() if k not in (L.Ho, L.Wo)})
    if sizes[L.Ho] != sizes[L.H]:
        return False
    arrays = D6.example_arrays(sizes, seed=2)
    closed = {s.key: s for s in D6.statements()}["D6.corr.dx"].lines[-1].expr
    ours = evaluate(closed, list(L.X_FREE.items()), sizes, arrays)
    x, w, delta = (arrays[k].astype(float) for k in ("x", "w", "delta"))
    pads = ((0, 0), (0, 0), (1, 2), (sizes[L.pl], sizes[L.pr]))
    gx, _, _ = cnnref.conv2d_backward(
        delta, np.pad(x, pads), w, stride=(1, sizes[L.sw]), dilation=(1, sizes[L.dw]),
        groups=sizes[L.G],
    )  # fmt: skip
    gx = gx[:, :, 1 : 1 + sizes[L.H], sizes[L.pl] : sizes[L.pl] + sizes[L.W]]
    return bool(np.allclose(ours.reshape(gx.shape), gx))


EXERCISES = (
    Exercise(
        "A layer with $H = 6$, $k_h = 2$, stride $s_h = 3$, no padding, no dilation. Which "
        "input rows receive no gradient, and why?",
        "$H_o = \\lfloor (6 - 1 - 1)/3 \\rfloor + 1 = 2$ windows, reading rows "
        "$3i + a$ for $i \\in \\{0, 1\\}$, $a \\in \\{0, 1\\}$: rows $0, 1, 3, 4$. Row $2$ "
        "lies in the gap between the two windows, row $5$ after the last one (the stride "
        "remainder): both get gradient $0$ for every $\\delta$ and $w$.",
        check=lambda: (
            _rows_without_gradient(6, 2, 3, 0) == _rows_by_condition(6, 2, 3, 0) == {2, 5}
        ),
    ),
    Exercise(
        "Kernel $k_h = 3$ with dilation $d_h = 2$ and padding $p_t = 1$. By how many rows is "
        "the dilated $\\delta$ padded at the top before it is correlated with "
        "$\\mathrm{rot180}(w)$? What goes wrong with $(k - 1) - p$?",
        "$d_h(k_h - 1) - p_t = 2 \\cdot 2 - 1 = 3$ rows. The dilated kernel spans "
        "$d_h(k_h - 1) + 1 = 5$ rows, so a window reaches $4$ rows past its first tap; "
        "$(k_h - 1) - p_t = 1$ ignores the dilation and shifts every row of the input "
        "gradient by two (the control *padding ignores dilation* is rejected, with a "
        "counterexample).",
        check=lambda: _transposed_padding(3, 2, 1) == 3,
    ),
    Exercise(
        "'same' padding with an even kernel: $k_h = 4$, stride 1, $H = 6$. PyTorch pads "
        "$p_t = 1$ and $p_b = 2$. Which padding appears in the input gradient?",
        "Only $p_t$: the top padding of the transposed convolution is "
        "$d_h(k_h - 1) - p_t = 2$. The bottom padding enters only through $H_o = "
        "\\lfloor (6 + 1 + 2 - 3 - 1)/1 \\rfloor + 1 = 6$, the number of rows of $\\delta$.",
        check=_same_padding_check,
    ),
)


def _transposed_padding(k: int, d: int, p: int) -> int:
    """The top padding the proven transposed convolution uses, read from D6's closed form."""
    closed = L.transposed_conv()
    (term,) = closed.terms
    # the delta [r_0 + d_h·a' = s_h·i + P]: P at i = a' = r_0 = 0
    row = term.deltas[0]
    value = -row.xreplace({L.r0: 0, L.a1: 0, L.i: 0, L.kh: k, L.dh: d, L.pt: p, L.sh: 1})
    return int(value)


def _theorem(statements) -> str:
    """The three gradients of the layer, as the chapter proves them, in one display."""
    by_key = {s.key: s for s in statements}
    rows = [_aligned_rows(by_key[k].claim) for k in ("D6.corr.dx", "D6.corr.dw", "D6.corr.db")]
    rows.insert(1, r"&\text{with }" + D6.D_DEFINITION)
    return (
        "**The theorem.** For the cross-correlation layer $y = \\mathrm{conv2d}(x, w, "
        "b)$ and any upstream gradient $\\delta$, at every entry:\n\n$$\n\\begin{aligned}\n"
        + " \\\\[4pt]\n".join(rows)
        + "\n\\end{aligned}\n$$\n\nwhere $\\operatorname{dilate}_s$ puts $s - 1$ zeros "
        "between neighbouring entries, a negative amount of padding in $D$ crops, and $x^p$ "
        "is $x$ padded with zeros. The derivation "
        "below proves each line, and the same for the true-convolution layer, the adjoint "
        "of `conv_transpose2d` and the two poolings.\n"
    )


def chapter() -> Chapter:
    """D6's textbook section (named by its ``CHAPTER_MODULE``, see derivations.registry)."""
    statements = D6.statements()
    return Chapter(
        intro=INTRO + "\n" + _theorem(statements),
        figure="layer",
        forward=FORWARD,
        forward_text=FORWARD_TEXT,
        chains=tuple(chain_of(s) for s in statements),
        results=RESULTS,
        exercises=EXERCISES,
        notes=(INSTANCES,),
        results_heading="Two consequences, for every size",
        remember=(
            (
                r"The formulas hold for every size, stride, padding, dilation, channel count and "
                r"group count at once, not only at the sizes a grid enumerates."
            ),
            (
                r"Input gradient: $\mathrm{conv\_transpose2d}(\delta, w)$, that is $\delta$ "
                r"dilated by the stride, padded and correlated with $\mathrm{rot180}(w)$ "
                r"(cross-correlation layer); a true-convolution layer gets "
                r"$\mathrm{conv\_transpose2d}(\delta, \mathrm{rot180}(w))$, a correlation with "
                r"$w$ itself. Weight gradient: the input correlated with $\delta$ dilated by the "
                r"stride. Bias gradient: the sum of $\delta$."
            ),
            (
                r"An input entry gets zero gradient exactly when no window reads it; that is a "
                r"condition on the stride, dilation, padding and size, not a count of remainder "
                r"rows."
            ),
            (
                r"The output size $H_o = \lfloor (H + p_t + p_b - d_h(k_h - 1) - 1)/s_h \rfloor + "
                r"1$ is derived, not assumed, and `output_padding` below the stride picks which "
                r"input size a transposed convolution returns."
            ),
        ),
    )
