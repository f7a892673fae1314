"""D2 — two convolution layers, a dense layer, a sigmoid (Seo's two-layer network).

``X (4x4) -> Z1 = layer(X, K1) (3x3) -> A1 = f(Z1) -> Z2 = layer(A1, K2) (2x2)
-> A2 = g(Z2) -> flatten -> u = w·a -> ŷ = σ(u) -> L = ½ (ŷ - t)²``.

With ``δ2 = ∂L/∂Z2 = (σ(u) - t) σ'(u) · w ⊙ g'(Z2)`` and ``δ1 = ∂L/∂Z1``:

* **cross-correlation** layers: ``∂L/∂K2 = A1 ⋆ δ2``;
  ``δ1 = (δ2 ∗ K2) ⊙ f'(Z1)``, the full convolution, i.e. δ2 padded by one
  and correlated with ``rot180(K2)``; the article pads the kernel instead,
  ``pad_1(K2) ⋆ rot180(δ2)``, the same full convolution with its operands
  swapped (a full convolution commutes): both forms are proven;
  ``∂L/∂K1 = X ⋆ δ1``;
* **true convolution** layers (the article's convention):
  ``∂L/∂K2 = rot180(A1 ⋆ δ2)``; ``δ1 = (δ2 ⋆ K2) ⊙ f'(Z1)`` (full
  correlation), or with the kernel padded ``rot180(pad_1(K2) ⋆ δ2) ⊙ f'(Z1)``;
  ``∂L/∂K1 = rot180(X ⋆ δ1)``.

Each proven entry by entry against ``sympy.diff`` of the whole loss, with
undefined ``f``, ``g``, ``σ`` and with the article's ``f = tanh``,
``g = arctan``, ``σ`` = logistic. Negative controls: δ1 without ``rot180``,
δ2 padded one too few, ``∂L/∂K1`` transposed, and (true convolution)
``∂L/∂K2`` not rotated back.
"""

from __future__ import annotations

import time

import numpy as np
import sympy as sp

from . import steps
from . import symbolic as S
from .activations import (
    ARCTAN,
    LOGISTIC,
    TANH,
    Activation,
    apply,
    apply_derivative,
    describe,
    is_abstract,
    undefined,
)
from .chain import Chain, Step
from .chapter import Chapter, Exercise, Result, matrix
from .emit import Network, argument, with_gradients
from .figures import Pipeline, Stage
from .network import dense_head, displayer, gradient, head_names, names_for
from .proof import (
    CONVOLUTION,
    CORRELATION,
    Proof,
    exactly_equal,
    finish_batch,
    prove,
)
from .sources import SEO_TRANSPOSE

CASE = "D2"
TITLE = "Two convolution layers"
SOURCES = f"{SEO_TRANSPOSE} (two layers, the padded kernel gradient, tanh or arctan)"
CHECKED_BY = (
    "generated code `cnnref/generated/d2_two_layers.py` ([API](../api.md#generated-code)), "
    "tested by `tests/test_generated.py`; replay [two convolution layers]"
    "(../notebooks/two_conv_layers.py)"
)
COST = 7.0
NOTES = (
    "Two instances of [the general theorem (D6)](d6-general.md), one per layer, with "
    "$N = G = C_g = O_g = 1$, strides and dilations $1$ and no padding: $H = W = 4$ and "
    "$H = W = 3$ with $k_h = k_w = 2$; the padding $d(k - 1) - p = 1$ of D6 is the "
    "article's padded step; "
    '<a href="../../explorer/#input=4x4&kernel=2&stride=1&padding=0&dilation=1">'
    "explore this layer</a>.",
)

ACTIVATIONS = [
    (undefined("f"), undefined("g"), undefined("sigma", r"\sigma")),
    (TANH, ARCTAN, LOGISTIC),
]


def _network(convention: str, f: Activation, g: Activation, sigma: Activation):
    X = S.symbols("x", (4, 4))
    K1 = S.symbols("k^(1)", (2, 2))
    K2 = S.symbols("k^(2)", (2, 2))
    w = S.symbols("w", (4,))
    t = sp.Symbol("t", real=True)
    layer = S.correlate2d if convention == CORRELATION else S.convolve2d
    Z1 = layer(X, K1, "valid")
    A1 = apply(f, Z1)
    Z2 = layer(A1, K2, "valid")
    head = dense_head(apply(g, Z2), w, sigma, t)
    delta2 = head.dL_du * w.reshape(2, 2) * apply_derivative(g, Z2)
    names = {
        **head_names(head),
        **names_for(Z2, S.symbols("z^(2)", (2, 2))),
        **names_for(Z1, S.symbols("z^(1)", (3, 3))),
    }
    return X, K1, K2, w, A1, Z1, head, delta2, displayer(names)


def delta1_with_free_z1(convention: str, f, g, sigma, K2, w, pad_kernel: bool = False):
    """``∂L/∂Z1`` with ``Z1`` as free symbols ``z1_ij``, and the closed form for δ1.

    The closed form pads δ2 (a full convolution or correlation of δ2 with K2);
    with ``pad_kernel`` it pads K2 instead, as the article draws it: a full
    convolution commutes, ``δ2 ∗ K2 = K2 ∗ δ2 = pad_1(K2) ⋆ rot180(δ2)``, and a
    full correlation commutes up to a rotation,
    ``pad_1(δ2) ⋆ K2 = rot180(pad_1(K2) ⋆ δ2)``.
    """
    t = sp.Symbol("t", real=True)
    Z1 = S.symbols("z^(1)", (3, 3))
    layer = S.correlate2d if convention == CORRELATION else S.convolve2d
    Z2 = layer(apply(f, Z1), K2, "valid")
    head = dense_head(apply(g, Z2), w, sigma, t)
    delta2 = head.dL_du * w.reshape(2, 2) * apply_derivative(g, Z2)
    if pad_kernel and convention == CORRELATION:
        full = S.correlate2d(S.pad2d(K2, 1), S.rot180(delta2), "valid")
    elif pad_kernel:
        full = S.rot180(S.correlate2d(S.pad2d(K2, 1), delta2, "valid"))
    else:
        layer_full = S.convolve2d if convention == CORRELATION else S.correlate2d
        full = layer_full(delta2, K2, "full")
    closed = full * apply_derivative(f, Z1)
    names = {**head_names(head), **names_for(Z2, S.symbols("z^(2)", (2, 2)))}
    return gradient(head.loss, Z1), closed, displayer(names)


def run() -> list[Proof]:
    proofs: list[Proof] = []
    for convention in (CORRELATION, CONVOLUTION):
        tag = "corr" if convention == CORRELATION else "conv"
        for f, g, sigma in ACTIVATIONS:
            start = time.perf_counter()
            X, K1, K2, w, A1, Z1, head, delta2, display = _network(convention, f, g, sigma)
            generic = is_abstract(f.fn)
            common = dict(
                case=CASE,
                convention=convention,
                activations=describe(f=f, g=g, σ=sigma),
                display=display,
            )
            suffix = "" if generic else f".{f.name}-{g.name}-{sigma.name}"
            dK2 = gradient(head.loss, K2)
            dK1 = gradient(head.loss, K1)
            fprime = apply_derivative(f, Z1)
            if convention == CORRELATION:
                dK2_closed, dK2_tex = S.correlate2d(A1, delta2, "valid"), r"A_1 \star \delta_2"
                delta1 = S.convolve2d(delta2, K2, "full") * fprime
                delta1_tex = (
                    r"(\delta_2 * K_2) \odot f'(Z_1) = (\operatorname{pad}_1(\delta_2) \star"
                    r" \mathrm{rot180}(K_2)) \odot f'(Z_1)"
                )
                dK1_closed, dK1_tex = S.correlate2d(X, delta1, "valid"), r"X \star \delta_1"
            else:
                dK2_closed = S.rot180(S.correlate2d(A1, delta2, "valid"))
                dK2_tex = r"\mathrm{rot180}(A_1 \star \delta_2)"
                delta1 = S.correlate2d(delta2, K2, "full") * fprime
                delta1_tex = r"(\operatorname{pad}_1(\delta_2) \star K_2) \odot f'(Z_1)"
                dK1_closed = S.rot180(S.correlate2d(X, delta1, "valid"))
                dK1_tex = r"\mathrm{rot180}(X \star \delta_1)"
            dZ1, delta1_closed, z_display = delta1_with_free_z1(convention, f, g, sigma, K2, w)
            batch = [
                prove(
                    key=f"D2.{tag}.delta1{suffix}",
                    title="δ1: the padded step (Z1 as free symbols)",
                    statement=rf"\delta_1 = \frac{{\partial L}}{{\partial Z_1}} = {delta1_tex}",
                    lhs=dZ1,
                    rhs=delta1_closed,
                    label=r"\partial L/\partial z^{(1)}",
                    **dict(common, display=z_display),
                ),
                prove(
                    key=f"D2.{tag}.dK2{suffix}",
                    title="Second kernel's gradient",
                    statement=rf"\frac{{\partial L}}{{\partial K_2}} = {dK2_tex}",
                    lhs=dK2,
                    rhs=dK2_closed,
                    label=r"\partial L/\partial k^{(2)}",
                    **common,
                ),
                prove(
                    key=f"D2.{tag}.dK1{suffix}",
                    title="First kernel's gradient, through the padded δ2",
                    statement=(
                        rf"\frac{{\partial L}}{{\partial K_1}} = {dK1_tex}, \quad"
                        rf" \delta_1 = {delta1_tex}"
                    ),
                    lhs=dK1,
                    rhs=dK1_closed,
                    label=r"\partial L/\partial k^{(1)}",
                    **common,
                ),
            ]
            if generic:
                batch.append(_padded_kernel(convention, tag, f, g, sigma, K2, w, common))
                batch += _controls(tag, X, K2, delta2, fprime, dK1, dK1_closed, dK2, A1, common)
            proofs += finish_batch(batch, start, generic)
    return proofs


def _padded_kernel(convention, tag, f, g, sigma, K2, w, common) -> Proof:
    """δ1 in the article's own form: the kernel padded, not δ2 (full convolution commutes)."""
    dZ1, closed, z_display = delta1_with_free_z1(convention, f, g, sigma, K2, w, pad_kernel=True)
    if convention == CORRELATION:
        tex = r"(\operatorname{pad}_1(K_2) \star \mathrm{rot180}(\delta_2)) \odot f'(Z_1)"
    else:
        tex = r"\mathrm{rot180}(\operatorname{pad}_1(K_2) \star \delta_2) \odot f'(Z_1)"
    return prove(
        key=f"D2.{tag}.delta1.padded-kernel",
        title="δ1 with the kernel padded instead of δ2 (the article's form)",
        statement=rf"\delta_1 = \frac{{\partial L}}{{\partial Z_1}} = {tex}",
        lhs=dZ1,
        rhs=closed,
        label=r"\partial L/\partial z^{(1)}",
        **dict(common, display=z_display),
    )


def _controls(tag, X, K2, delta2, fprime, dK1, dK1_closed, dK2, A1, common) -> list[Proof]:
    """Plausible wrong formulas; each must be rejected by the same checker."""
    out = []
    rotate = (lambda a: a) if tag == "corr" else S.rot180
    if tag == "corr":
        wrong = S.correlate2d(X, S.correlate2d(delta2, K2, "full") * fprime, "valid")
        out.append(
            prove(
                key="D2.corr.dK1.control-no-rot180",
                title="Control: δ1 without rot180 of K2",
                statement=r"\delta_1 = (\operatorname{pad}_1(\delta_2) \star K_2) \odot f'(Z_1)",
                lhs=dK1,
                rhs=wrong,
                control=True,
                label=r"\partial L/\partial k^{(1)}",
                **common,
            )
        )
    else:
        out.append(
            prove(
                key="D2.conv.dK2.control-not-rotated-back",
                title="Control: ∂L/∂K2 without the final rotation",
                statement=r"\frac{\partial L}{\partial K_2} = A_1 \star \delta_2",
                lhs=dK2,
                rhs=S.correlate2d(A1, delta2, "valid"),
                control=True,
                label=r"\partial L/\partial k^{(2)}",
                **common,
            )
        )
    kernel = S.rot180(K2) if tag == "corr" else K2
    shifted = S.correlate2d(S.pad2d(delta2, (0, 2, 0, 2)), kernel, "valid") * fprime
    out.append(
        prove(
            key=f"D2.{tag}.dK1.control-pad-one-too-few",
            title="Control: δ2 padded one too few at the top and left",
            statement=r"\delta_1 \text{ from } \operatorname{pad}_{(0,2,0,2)}(\delta_2)",
            lhs=dK1,
            rhs=rotate(S.correlate2d(X, shifted, "valid")),
            control=True,
            label=r"\partial L/\partial k^{(1)}",
            **common,
        )
    )
    out.append(
        prove(
            key=f"D2.{tag}.dK1.control-transposed",
            title="Control: ∂L/∂K1 transposed",
            statement=r"\frac{\partial L}{\partial K_1} = \left(\text{closed form}\right)^\top",
            lhs=dK1,
            rhs=np.array(dK1_closed).T,
            control=True,
            label=r"\partial L/\partial k^{(1)}",
            **common,
        )
    )
    return out


def networks() -> list:
    """The network emitted as code: cross-correlation, f = tanh, g = arctan, σ = logistic."""
    X, K1, K2, w, _, _, head, _, _ = _network(CORRELATION, TANH, ARCTAN, LOGISTIC)
    t = sp.Symbol("t", real=True)
    return [
        with_gradients(
            Network(
                slug="d2_two_layers",
                source="derivations.d2_two_layers",
                function="loss_and_gradients",
                summary="D2's network: two 2x2 kernels (tanh, arctan), a dense layer, sigmoid.",
                description=(
                    "Z1 = X ⋆ K1 (3x3), A1 = tanh(Z1), Z2 = A1 ⋆ K2 (2x2), A2 = arctan(Z2),\n"
                    "a = A2 flattened row-major, u = Σ_i w_i a_i, ŷ = logistic(u),\n"
                    "L = ½ (ŷ - t)²; ⋆ is valid cross-correlation."
                ),
                convention=CORRELATION,
                arguments=[
                    argument("x", X, "input X"),
                    argument("k1", K1, "first kernel K1"),
                    argument("k2", K2, "second kernel K2"),
                    argument("w", w, "dense weights"),
                    argument("t", t, "target"),
                ],
                loss=head.loss,
            )
        )
    ]


# The chapter ------------------------------------------------------------------

FIGURES = {
    "network": Pipeline(
        "D2's network: two 2x2 kernels, a dense layer, a sigmoid",
        stages=(
            Stage("X", (4, 4), "input"),
            Stage("Z₁", (3, 3)),
            Stage("A₁", (3, 3)),
            Stage("Z₂", (2, 2)),
            Stage("A₂", (2, 2)),
            Stage("u", (), "dense"),
            Stage("L", (), "loss"),
        ),
        operations=("⋆ K₁", "f", "⋆ K₂", "g", "w · a", "σ, ½(ŷ−t)²"),
        gap=78,
    ),
}

FORWARD = (
    r"z^{(1)}_{ij} &= (X \star K_1)_{ij} = \sum_{a,b} x_{i+a,\,j+b}\,k^{(1)}_{ab}"
    r" && i, j \in \{0, 1, 2\}",
    r"a^{(1)}_{ij} &= f(z^{(1)}_{ij})",
    r"z^{(2)}_{ij} &= (A_1 \star K_2)_{ij} = \sum_{a,b} a^{(1)}_{i+a,\,j+b}\,k^{(2)}_{ab}"
    r" && i, j \in \{0, 1\}",
    r"u &= \textstyle\sum_{i,j} w_{ij}\, g(z^{(2)}_{ij}), \qquad \hat y = \sigma(u), \qquad "
    r"L = \tfrac12\,(\hat y - t)^2",
)


def _head(A1, K2, g: Activation, sigma: Activation):
    """The network after the first layer, and ``{δ2_ij: ∂L/∂z2_ij}`` (SymPy's derivative)."""
    w, t = S.symbols("w", (4,)), sp.Symbol("t", real=True)
    Z2 = S.correlate2d(A1, K2, "valid")
    head = dense_head(apply(g, Z2), w, sigma, t)
    z2 = S.symbols("z^(2)", (2, 2))
    dZ2 = gradient(dense_head(apply(g, z2), w, sigma, t).loss, z2)
    at = dict(zip(z2.reshape(-1), Z2.reshape(-1), strict=True))
    return head, [[e.xreplace(at) for e in row] for row in dZ2]


def chapter() -> Chapter:
    """Back through two layers: ∂L/∂K2, the padded step to δ1 (K2 rotates), ∂L/∂K1."""
    f, g, sigma = ACTIVATIONS[0]
    X, K1, K2, _, _, Z1, head, _, _ = _network(CORRELATION, f, g, sigma)
    A1 = S.symbols("a^(1)", (3, 3))
    delta2, delta1 = S.symbols("delta^(2)", (2, 2)), S.symbols("delta^(1)", (3, 3))
    head_a, dZ2_a = _head(A1, K2, g, sigma)
    bind2 = steps.delta_binding(delta2, dZ2_a)
    # δ1 as SymPy differentiates it (Z1 free), then read at Z1 = X ⋆ K1.
    z1 = S.symbols("z^(1)", (3, 3))
    dZ1, _, _ = delta1_with_free_z1(CORRELATION, f, g, sigma, K2, S.symbols("w", (4,)))
    at_Z1 = dict(zip(z1.reshape(-1), Z1.reshape(-1), strict=True))
    bind1 = steps.delta_binding(delta1, [[e.xreplace(at_Z1) for e in row] for row in dZ1])
    names2 = steps.Names(
        x="a^{(1)}",
        k="k^{(2)}",
        z="z^{(2)}",
        d=r"\delta^{(2)}",
        X="A_1",
        K="K_2",
        D=r"\delta_2",
        P=r"\tilde\delta^{(2)}",
    )
    names1 = steps.Names(k="k^{(1)}", z="z^{(1)}", d=r"\delta^{(1)}", K="K_1", D=r"\delta_1")
    chains = (
        steps.kernel_gradient(
            "D2.steps.dK2",
            A1,
            K2,
            delta2,
            gradient(head_a.loss, K2),
            bind2,
            title="The second kernel's gradient",
            names=names2,
        ),
        steps.input_gradient(
            "D2.steps.dA1",
            A1,
            K2,
            delta2,
            gradient(head_a.loss, A1),
            bind2,
            title="Back through the second layer: where K₂ rotates",
            names=names2,
        ),
        _delta1_chain(f, g, sigma, K2, delta2),
        steps.kernel_gradient(
            "D2.steps.dK1",
            X,
            K1,
            delta1,
            gradient(head.loss, K1),
            bind1,
            title="The first kernel's gradient",
            names=names1,
        ),
    )
    return Chapter(
        intro=(
            "Two convolution layers in a row: a $4\\times 4$ input, a $2\\times 2$ kernel "
            "$K_1$ and activation $f$, a second $2\\times 2$ kernel $K_2$ and activation $g$, "
            "then a dense layer and a sigmoid. The new step against D1 is the passage from the "
            "second layer's $\\delta_2$ to the first layer's $\\delta_1$: the input gradient "
            "of the second layer, which pads $\\delta_2$ and rotates $K_2$. Indices in the sums "
            "start at 0; the matrices name entries from 1."
        ),
        figure="network",
        forward=FORWARD,
        forward_text=(
            "Both layers are cross-correlations. The article writes true convolutions; that "
            "convention is proven in the certificates below (there the padded step is a full "
            "correlation with $K_2$ itself, and both kernel gradients are rotated back)."
        ),
        chains=chains,
        results=(
            Result(
                "The second kernel's gradient",
                "",
                r"\begin{aligned}\frac{\partial L}{\partial K_2} &= A_1 \star \delta_2 \\ &= "
                + matrix(S.correlate2d(A1, delta2, "valid"))
                + r"\end{aligned}",
            ),
            Result(
                "The padded step",
                "Each entry of $A_1$ collects the $\\delta^{(2)}_{ij}$ of the windows that "
                "covered it, weighted by the tap of $K_2$ that touched it. Padding $\\delta_2$ "
                "by the size of $K_2$ less one, or $K_2$ by the size of $\\delta_2$ less one "
                "(both $1$ here), gives the same matrix: a full convolution commutes.",
                r"\begin{aligned}\frac{\partial L}{\partial A_1} &= "
                + matrix(S.convolve2d(delta2, K2, "full"))
                + r" \\ &= \operatorname{pad}_1(\delta_2) \star \mathrm{rot180}(K_2)"
                + r" = \operatorname{pad}_1(K_2) \star \mathrm{rot180}(\delta_2)\end{aligned}",
                check=lambda: (
                    exactly_equal(
                        S.convolve2d(delta2, K2, "full"),
                        S.correlate2d(S.pad2d(delta2, 1), S.rot180(K2), "valid"),
                    )
                    and exactly_equal(
                        S.convolve2d(delta2, K2, "full"),
                        S.correlate2d(S.pad2d(K2, 1), S.rot180(delta2), "valid"),
                    )
                ),
            ),
        ),
        exercises=_exercises(),
        remember=(
            (
                r"A second layer adds one step, from $\delta_2$ back to $\delta_1$: the second "
                r"layer's input gradient times the first activation's slope, $\delta_1 = "
                r"\bigl(\operatorname{pad}_{k-1}(\delta_2) \star \mathrm{rot180}(K_2)\bigr) "
                r"\odot f'(z^{(1)})$."
            ),
            (
                r"The padding is $k - 1$ zeros on every side for a stride-1 layer without padding "
                r"(here $1$); the general amount, with stride, padding and dilation, is in D5 and "
                r"D6."
            ),
            (
                r"Each kernel's gradient has D1's form: the layer's own input correlated with the "
                r"layer's own $\delta$."
            ),
            (
                r"In a cross-correlation network the kernel rotates only in the input gradient, "
                r"once for every layer the gradient passes back through; in the true-convolution "
                r"convention the rotation moves to the kernel gradients (D1)."
            ),
        ),
    )


def _delta1_chain(f, g, sigma, K2, delta2) -> Chain:
    """``δ1 = ∂L/∂Z1 = (pad(δ2) ⋆ rot180(K2)) ⊙ f'(Z1)``, with ``Z1`` free."""
    z1, a1 = S.symbols("z^(1)", (3, 3)), S.symbols("a^(1)", (3, 3))
    dZ1, _, _ = delta1_with_free_z1(CORRELATION, f, g, sigma, K2, S.symbols("w", (4,)))
    head_a, dZ2_a = _head(a1, K2, g, sigma)
    to_z = dict(zip(a1.reshape(-1), apply(f, z1).reshape(-1), strict=True))
    fprime = apply_derivative(f, z1)
    through_a = gradient(head_a.loss, a1)
    line1 = np.array(
        [[through_a[i, j].xreplace(to_z) * fprime[i, j] for j in range(3)] for i in range(3)],
        dtype=object,
    )
    line2 = S.correlate2d(S.pad2d(delta2, 1), S.rot180(K2), "valid") * fprime
    bind = {d: e.xreplace(to_z) for d, e in steps.delta_binding(delta2, dZ2_a).items()}
    return Chain(
        key="D2.steps.delta1",
        title="The first layer's upstream gradient δ₁",
        start=r"\delta^{(1)}_{ij} = \frac{\partial L}{\partial z^{(1)}_{ij}}",
        start_value=dZ1,
        steps=(
            Step(
                "chain rule through $a^{(1)}_{ij} = f(z^{(1)}_{ij})$",
                r"\frac{\partial L}{\partial a^{(1)}_{ij}}\,f'(z^{(1)}_{ij})",
                value=line1,
            ),
            Step(
                "the padded step, derived above",
                r"\bigl(\operatorname{pad}_1(\delta_2) \star \mathrm{rot180}(K_2)"
                r"\bigr)_{ij}\,f'(z^{(1)}_{ij})",
                value=line2,
                bind=bind,
                conditions=(r"\delta^{(2)} = \partial L / \partial Z_2",),
            ),
            Step(
                "a full convolution commutes, $\\delta_2 \\mathbin{*_{\\text{full}}} K_2 = "
                "K_2 \\mathbin{*_{\\text{full}}} \\delta_2$: pad the kernel instead, as the "
                "article draws it",
                r"\bigl(\operatorname{pad}_1(K_2) \star \mathrm{rot180}(\delta_2)"
                r"\bigr)_{ij}\,f'(z^{(1)}_{ij})",
                value=S.correlate2d(S.pad2d(K2, 1), S.rot180(delta2), "valid") * fprime,
            ),
        ),
    )


def _exercises() -> tuple[Exercise, ...]:
    A1, K2 = S.symbols("a^(1)", (3, 3)), S.symbols("k^(2)", (2, 2))
    delta2 = S.symbols("delta^(2)", (2, 2))

    def adjoint(Z):
        return sp.Add(*(d * z for d, z in zip(delta2.reshape(-1), Z.reshape(-1), strict=True)))

    conv_layer = adjoint(S.convolve2d(A1, K2, "valid"))
    strided = S.conv2d(A1[None], K2[None, None], stride=2)[0]
    delta_s = sp.Symbol("delta^(2)_11", real=True)
    return (
        Exercise(
            "In the article's convention the second layer is a true convolution, "
            "$Z_2 = A_1 * K_2$. Derive $\\partial L/\\partial A_1$: is $K_2$ rotated?",
            "Write $A_1 * K_2 = A_1 \\star \\mathrm{rot180}(K_2)$ (the rotation lemma "
            "of D0) and use the cross-correlation result with the kernel "
            "$\\mathrm{rot180}(K_2)$: the two rotations cancel,\n\n$$\n"
            "\\frac{\\partial L}{\\partial A_1} = \\operatorname{pad}_1(\\delta_2) \\star K_2"
            f" = {matrix(S.correlate2d(delta2, K2, 'full'))}\n$$\n\n"
            "a full correlation with $K_2$ as it is: no rotation in this convention.",
            check=lambda: exactly_equal(
                gradient(conv_layer, A1), S.correlate2d(delta2, K2, "full")
            ),
        ),
        Exercise(
            "Give the second layer stride 2: on the $3\\times 3$ map $A_1$ it has a single "
            "output $z^{(2)}_{11}$. What is $\\partial L/\\partial K_2$?",
            "Only one window is left, the top-left one, so "
            "$\\partial L/\\partial k^{(2)}_{ab} = \\delta^{(2)}_{11}\\,a^{(1)}_{ab}$ for "
            "$a, b \\in \\{1, 2\\}$ (1-based names): the top-left $2\\times 2$ block of "
            "$A_1$ times the single "
            f"$\\delta$,\n\n$$\n\\frac{{\\partial L}}{{\\partial K_2}} = "
            f"{matrix(delta_s * A1[:2, :2])}\n$$\n\n"
            "The last row and column of $A_1$ receive no gradient at all.",
            check=lambda: (
                strided.shape == (1, 1)
                and exactly_equal(gradient(delta_s * strided[0, 0], K2), delta_s * A1[:2, :2])
            ),
        ),
    )
