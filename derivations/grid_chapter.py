"""D5's textbook section: one layer with stride 2 and a remainder, worked by hand.

The case module (:mod:`derivations.d5_grid`) proves the grid; this one builds
the chapter that walks through one of its configurations, step by step: the
input gradient of a stride-2 layer on a 5x5 input becomes a transposed
convolution, and the row and column that no window reads get zero. Named by
the case's ``CHAPTER_MODULE`` (see :mod:`derivations.registry`).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from cnnref.shapes import conv_output_size

from . import symbolic as S
from .chain import Chain, Step
from .chapter import Chapter, Exercise, Result, matrix
from .proof import exactly_equal


def _strided_input_chain() -> Chain:
    """``∂L/∂x = conv_transpose2d(δ, w)`` for stride 2 with a remainder, step by step."""
    x, w, delta = S.symbols("x", (5, 5)), S.symbols("w", (2, 2)), S.symbols("delta", (2, 2))
    y = S.conv2d(x[None], w[None, None], stride=2)[0]
    loss = S.total(g * v for g, v in zip(delta.reshape(-1), y.reshape(-1), strict=True))
    dilated = S.dilate2d(delta, 2)

    def table(entry):
        out = np.empty((5, 5), dtype=object)
        for r, c in np.ndindex(5, 5):
            out[r, c] = S.total(list(entry(r, c)))
        return out

    def scatter(r, c):
        for i, j in np.ndindex(2, 2):
            if 0 <= r - 2 * i < 2 and 0 <= c - 2 * j < 2:
                yield delta[i, j] * w[r - 2 * i, c - 2 * j]

    def spread(r, c):
        for i, j in np.ndindex(3, 3):
            if 0 <= r - i < 2 and 0 <= c - j < 2:
                yield dilated[i, j] * w[r - i, c - j]

    return Chain(
        key="D5.steps.dx-stride2",
        title="The input gradient with stride 2: a transposed convolution",
        start=r"\frac{\partial L}{\partial x_{rc}}",
        start_value=np.array([[loss.diff(v) for v in row] for row in x], dtype=object),
        intro=(
            "The layer $y_{ij} = \\sum_{a,b} x_{2i+a,\\,2j+b}\\,w_{ab}$ with a $2\\times 2$ "
            "kernel $w$ on a $5\\times 5$ input (indices from 0 in the steps; the matrix of the "
            "result names the entries from 1, $w_{11}$ at the top left): "
            "$(5 - 2) \\bmod 2 = 1$, so the last row and column are read by no window. "
            "$L = \\sum_{ij} \\delta_{ij}\\,y_{ij}$ for a symbolic upstream gradient $\\delta$."
        ),
        steps=(
            Step(
                "chain rule through every $y_{ij}$",
                r"\sum_{i,j} \delta_{ij}\,\frac{\partial y_{ij}}{\partial x_{rc}}",
                value=np.array(
                    [
                        [
                            S.total(
                                [
                                    g * v.diff(xv)
                                    for g, v in zip(delta.reshape(-1), y.reshape(-1), strict=True)
                                ]
                            )
                            for xv in row
                        ]
                        for row in x
                    ],
                    dtype=object,
                ),
            ),
            Step(
                "only the tap $a = r - 2i,\\ b = c - 2j$ survives: δ is scattered",
                r"\sum_{i,j} \delta_{ij}\,w_{r-2i,\,c-2j}",
                value=table(scatter),
                conditions=(r"0 \le r - 2i \le 1", r"0 \le c - 2j \le 1"),
            ),
            Step(
                "dilate δ by the stride (zeros between its entries)",
                r"\sum_{i',j'} \tilde\delta_{i'j'}\,w_{r-i',\,c-j'}",
                value=table(spread),
                conditions=(r"\tilde\delta = \operatorname{dilate}_2(\delta),\ 3\times 3",),
            ),
            Step(
                "pad by 1 (kernel − 1), one more row and column for the remainder; "
                "the kernel rotates",
                r"\bigl(\operatorname{pad}_{1,2}(\tilde\delta) \star \mathrm{rot180}(w)"
                r"\bigr)_{rc}",
                value=S.correlate2d(S.pad2d(dilated, (1, 2, 1, 2)), S.rot180(w), "valid"),
                conditions=(
                    r"(\mathrm{top}, \mathrm{bottom}, \mathrm{left}, \mathrm{right})"
                    r" = (1, 2, 1, 2)",
                ),
            ),
            Step(
                "recognise the transposed convolution",
                r"\mathrm{conv\_transpose2d}(\delta, w;\ s = 2,\ "
                r"\mathrm{output\_padding} = 1)_{rc}",
                value=S.conv_transpose2d(delta[None], w[None, None], stride=2, output_padding=1)[
                    0
                ],
            ),
        ),
    )


def _strided_result() -> Result:
    """The 5x5 input gradient of the worked layer, written out: the last row and column are 0."""
    w, delta = S.symbols("w", (2, 2)), S.symbols("delta", (2, 2))
    dx = S.conv_transpose2d(delta[None], w[None, None], stride=2, output_padding=1)[0]
    return Result(
        "The input gradient, stride 2",
        "Each $\\delta_{ij}$ lands on its own $2\\times 2$ block (the windows do not overlap at "
        "stride 2), multiplied by the kernel as it is; the row and column that no window "
        "read get exactly zero.",
        r"\frac{\partial L}{\partial x} = " + matrix(dx),
    )


def chapter():
    """D5's section: the general layer at one worked configuration, step by step, and exercises."""
    return Chapter(
        intro=(
            "The grid below proves the gradient formulas for every stride, padding, "
            "dilation, channel count and group count up to small sizes (see the "
            "certificates). This chapter walks through one configuration by hand: stride 2 "
            "on an input whose size leaves a remainder, where the input gradient becomes a "
            "transposed convolution."
        ),
        figure="network",
        forward=(
            r"y_{o,i,j} &= b_o + \sum_{c,a,b} x^{p}_{c,\;s i + d a - p,\;s j + d b - p}\,"
            r"w_{o,c,a,b} && \text{(cross-correlation)}",
            r"L &= \sum_{o,i,j} \delta_{o,i,j}\,y_{o,i,j} && \delta \text{ symbolic}",
        ),
        forward_text=(
            "This is PyTorch's conv2d. Here $x^{p}$ reads $x$ inside the input and $0$ outside "
            "it (the padding), in the "
            "input's own coordinates as in D6; with groups, $c$ runs over the $C/G$ input "
            "channels of output channel $o$'s group. $L$ is linear in $y$, so its gradients "
            "for a symbolic $\\delta$ are the layer's backward pass for every upstream gradient "
            "(the adjoint identity)."
        ),
        chains=(_strided_input_chain(),),
        results=(_strided_result(),),
        exercises=_exercises(),
        remember=(
            (
                r"With stride $s$, the input gradient is a transposed convolution: $\delta$ "
                r"dilated by $s$, padded by $d(k-1) - p$ at the top and left and by that plus the "
                r"remainder $r$ at the bottom and right, correlated with "
                r"$\mathrm{rot180}(w)$ with its taps $d$ apart."
            ),
            (
                r"The weight gradient correlates the padded input with $\delta$ dilated by the "
                r"stride and keeps every $d$-th entry."
            ),
            (
                r"Input rows that no window reads get exactly zero gradient: the remainder rows at"
                r" the end, and gaps that a stride or a dilation leaves between reads."
            ),
            (
                r"A backward pass is right exactly when it is the adjoint of the forward pass, "
                r"$\langle \mathrm{conv2d}(x, w), \delta \rangle = \langle x, "
                r"\mathrm{conv\_transpose2d}(\delta, w;\ s, p, d,\ \mathrm{output\_padding} = r)"
                r" \rangle$ for every $x$ and $\delta$;"
                r" the grid checks this with $\delta$ symbolic."
            ),
        ),
    )


def _exercises():
    x, delta = S.symbols("x", (4, 4)), S.symbols("delta", (2, 2))
    pooled = S.avg_pool2d(x[None], (2, 2), (2, 2))[0]
    loss = S.total(g * v for g, v in zip(delta.reshape(-1), pooled.reshape(-1), strict=True))
    spread = np.array(
        [[delta[r // 2, c // 2] / 4 for c in range(4)] for r in range(4)], dtype=object
    )

    xs, ws = S.symbols("x", (1, 8, 1)), S.symbols("w", (1, 1, 3, 1))
    gs = S.symbols("delta", (1, 3, 1))
    y = S.conv2d(xs, ws, stride=(2, 1), padding=(1, 0), dilation=(2, 1))
    strided = S.total(g * v for g, v in zip(gs.reshape(-1), y.reshape(-1), strict=True))

    def rows_without_gradient():
        return {r for r in range(8) if sp.diff(strided, xs[0, r, 0]) == 0}

    return (
        Exercise(
            "An $8$-row input, a 3-row kernel, stride 2, padding 1, dilation 2. How many "
            "output rows? Which rows of the input get no gradient, whatever $\\delta$ is?",
            "$H_o = \\lfloor (8 + 2 - 2\\cdot 2 - 1)/2 \\rfloor + 1 = 3$. Output row $i$ "
            "reads padded rows $2i + 2a$ for $a \\in \\{0, 1, 2\\}$, so the windows read "
            "rows 0, 2, 4, 6 and 8 of the 10 padded rows: only even ones, because the stride "
            "and the dilation are both even. Input row $r$ is padded row $r + 1$, so input "
            "rows 0, 2, 4 and 6 (padded rows 1, 3, 5, 7) are read by no window, and their "
            "gradient is exactly zero. These gaps are not the stride remainder: that is "
            "padded row 9, a row of padding.",
            check=lambda: (
                conv_output_size(8, 3, 2, 1, 2) == 3 and rows_without_gradient() == {0, 2, 4, 6}
            ),
        ),
        Exercise(
            "Average pooling $2\\times 2$ with stride 2 on a $4\\times 4$ input. What is "
            "$\\partial L/\\partial x$ for an upstream gradient $\\delta$ ($2\\times 2$)?",
            "Each input entry lies in exactly one window and enters its mean with weight "
            "$\\frac14$:\n\n$$\n\\frac{\\partial L}{\\partial X} = " + matrix(spread) + "\n$$",
            check=lambda: exactly_equal(
                np.array([[loss.diff(v) for v in row] for row in x], dtype=object), spread
            ),
        ),
    )
