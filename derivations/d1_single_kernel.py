"""D1 — one 2x2 kernel on a 3x3 input, a dense layer, a sigmoid (Seo's single-kernel network).

``X (3x3) -> Z = layer(X, K) (2x2) -> A = f(Z) -> flatten -> u = w·a -> ŷ = σ(u)
-> L = ½ (ŷ - t)²``, with ``δ = ∂L/∂Z = (σ(u) - t) σ'(u) · w ⊙ f'(Z)``
(``w`` read as a 2x2 map, row-major).

Two conventions for the layer, each proven entry by entry against
``sympy.diff`` of the whole loss:

* **cross-correlation** ``Z = X ⋆ K`` (what frameworks compute):
  ``∂L/∂K = X ⋆ δ`` (valid) and ``∂L/∂X = δ ∗ K`` (full convolution
  = ``pad(δ, 1) ⋆ rot180(K)``);
* **true convolution** ``Z = X ∗ K`` (as the article writes it):
  ``∂L/∂K = rot180(X ⋆ δ)`` and ``∂L/∂X = δ ⋆ K`` (full correlation, no
  rotation).

Both with undefined ``f`` and ``σ`` (any differentiable activation), and with
the article's ``f = tanh``, ``σ`` = logistic. Negative controls: the input
gradient without ``rot180``; the kernel gradient of the convolution
convention without the final rotation (the article before its published
correction) and transposed; δ padded one too few.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import sympy as sp

from . import steps
from . import symbolic as S
from .activations import (
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
from .figures import Pipeline, Rotation, Stage
from .network import dense_head, displayer, gradient, head_names, names_for
from .proof import (
    CONVOLUTION,
    CORRELATION,
    Proof,
    exactly_equal,
    finish_batch,
)
from .sources import SEO_CNN
from .statement import Statement, prove_rows

CASE = "D1"
TITLE = "One kernel, a dense layer, a sigmoid"
SOURCES = f"{SEO_CNN} (the network, and its published correction of the kernel gradient)"
CHECKED_BY = (
    "generated code `cnnref/generated/d1_single_kernel.py` ([API](../api.md#generated-code)), "
    "tested by `tests/test_generated.py` against these expressions at 50 digits, against "
    "`cnnref` and against PyTorch; replay [the single-kernel CNN]"
    "(../notebooks/single_kernel_cnn.py)"
)
COST = 2.5
NOTES = (
    "An instance of [the general theorem (D6)](d6-general.md): $N = G = C_g = O_g = 1$, "
    "$H = W = 3$, $k_h = k_w = 2$, strides and dilations $1$, no padding. Dilating $\\delta$ "
    "by the stride $1$ changes nothing and $d(k - 1) - p = 1$: the transposed convolution of "
    "D6 is $\\operatorname{pad}_1(\\delta) \\star \\mathrm{rot180}(K)$ below; "
    '<a href="../../explorer/#input=3x3&kernel=2&stride=1&padding=0&dilation=1">'
    "explore this layer</a>.",
)

ACTIVATIONS = [
    (undefined("f"), undefined("sigma", r"\sigma")),
    (TANH, LOGISTIC),
]


def _network(convention: str, f: Activation, sigma: Activation):
    X = S.symbols("x", (3, 3))
    K = S.symbols("k", (2, 2))
    w = S.symbols("w", (4,))
    t = sp.Symbol("t", real=True)
    layer = S.correlate2d if convention == CORRELATION else S.convolve2d
    Z = layer(X, K, "valid")
    head = dense_head(apply(f, Z), w, sigma, t)
    delta = head.dL_du * w.reshape(2, 2) * apply_derivative(f, Z)
    names = {
        **names_for(Z, S.symbols("z", (2, 2))),
        **head_names(head),
    }
    return X, K, w, Z, head, delta, displayer(names)


def delta_with_free_z(f: Activation, sigma: Activation):
    """``∂L/∂Z`` with ``Z`` as free symbols ``z_ij`` (the same in both conventions)."""
    Z = S.symbols("z", (2, 2))
    w = S.symbols("w", (4,))
    head = dense_head(apply(f, Z), w, sigma, sp.Symbol("t", real=True))
    closed = head.dL_du * w.reshape(2, 2) * apply_derivative(f, Z)
    return gradient(head.loss, Z), closed, displayer(head_names(head))


@dataclass
class _Net:
    """One network of the table: its arrays, brute-force gradients and display substitutions."""

    convention: str
    X: np.ndarray
    K: np.ndarray
    w: np.ndarray
    Z: np.ndarray
    head: object
    delta: np.ndarray  # the closed-form δ = ∂L/∂Z
    fZ: np.ndarray  # f(Z), the dense layer's input
    dZ: np.ndarray  # ∂L/∂Z with Z free (brute force)
    delta_free: np.ndarray  # the closed-form δ with Z free
    display: object
    z_display: object

    def brute(self, wrt: str) -> np.ndarray:
        """``sympy.diff`` of the whole loss for every entry of ``X``, ``K`` or ``w``."""
        return gradient(self.head.loss, getattr(self, wrt))


def _net(convention: str, f: Activation, sigma: Activation) -> _Net:
    X, K, w, Z, head, delta, display = _network(convention, f, sigma)
    dZ, delta_free, z_display = delta_with_free_z(f, sigma)
    fZ = apply(f, Z)
    return _Net(convention, X, K, w, Z, head, delta, fZ, dZ, delta_free, display, z_display)


# One small function per closed form (``n`` is a :class:`_Net`).


def kernel_gradient_corr(n):
    """``X ⋆ δ``."""
    return S.correlate2d(n.X, n.delta, "valid")


def kernel_gradient_conv(n):
    """``rot180(X ⋆ δ)``: the kernel gradient of a true-convolution layer."""
    return S.rot180(kernel_gradient_corr(n))


def input_gradient_corr(n):
    """``δ ∗ K`` (full convolution) ``= pad₁(δ) ⋆ rot180(K)``."""
    return S.convolve2d(n.delta, n.K, "full")


def input_gradient_conv(n):
    """``δ ⋆ K`` (full correlation): no rotation for a true-convolution layer."""
    return S.correlate2d(n.delta, n.K, "full")


def dense_weight_gradient(n):
    """``(σ(u) - t) σ'(u) a``."""
    return n.head.dL_du * n.fZ.reshape(-1)


def _pad_one_too_few(n):
    return S.correlate2d(S.pad2d(n.delta, (0, 2, 0, 2)), S.rot180(n.K), "valid")


def _transposed(n):
    closed = kernel_gradient_corr(n) if n.convention == CORRELATION else kernel_gradient_conv(n)
    return np.array(closed).T


CORR, CONV = (CORRELATION,), (CONVOLUTION,)
DK, DX, DW = r"\partial L/\partial k", r"\partial L/\partial x", r"\partial L/\partial w"

STATEMENTS = (
    Statement(
        "delta",
        "δ = ∂L/∂Z (Z as free symbols)",
        r"\delta = \frac{\partial L}{\partial Z} = (\sigma(u) - t)\,\sigma'(u)\; w \odot f'(Z)",
        lhs=lambda n: n.dZ,
        rhs=lambda n: n.delta_free,
        label=r"\partial L/\partial z",
        display="z_display",
    ),
    Statement(
        "dK",
        "Kernel gradient",
        r"\frac{\partial L}{\partial K} = X \star \delta",
        lhs=lambda n: n.brute("K"),
        rhs=kernel_gradient_corr,
        label=DK,
        conventions=CORR,
    ),
    Statement(
        "dK",
        "Kernel gradient",
        r"\frac{\partial L}{\partial K} = \mathrm{rot180}(X \star \delta)",
        lhs=lambda n: n.brute("K"),
        rhs=kernel_gradient_conv,
        label=DK,
        conventions=CONV,
    ),
    Statement(
        "dX",
        "Input gradient",
        r"\frac{\partial L}{\partial X} = "
        r"\delta * K = \operatorname{pad}_1(\delta) \star \mathrm{rot180}(K)",
        lhs=lambda n: n.brute("X"),
        rhs=input_gradient_corr,
        label=DX,
        conventions=CORR,
    ),
    Statement(
        "dX",
        "Input gradient",
        r"\frac{\partial L}{\partial X} = \delta \star K \ (full)",
        lhs=lambda n: n.brute("X"),
        rhs=input_gradient_conv,
        label=DX,
        conventions=CONV,
    ),
    Statement(
        "dw",
        "Dense weight gradient",
        r"\frac{\partial L}{\partial w_i} = (\sigma(u) - t)\,\sigma'(u)\,a_i",
        lhs=lambda n: n.brute("w"),
        rhs=dense_weight_gradient,
        label=DW,
    ),
    # Plausible wrong formulas; each must be rejected by the same checker.
    Statement(
        "dX.control-no-rot180",
        "Control: input gradient without rot180",
        r"\frac{\partial L}{\partial X} = \operatorname{pad}_1(\delta) \star K",
        lhs=lambda n: n.brute("X"),
        rhs=input_gradient_conv,
        label=DX,
        conventions=CORR,
        control=True,
    ),
    Statement(
        "dX.control-pad-one-too-few",
        "Control: δ padded one too few at the top and left",
        r"\frac{\partial L}{\partial X} = \operatorname{pad}_{(0,2,0,2)}(\delta)"
        r" \star \mathrm{rot180}(K)",
        lhs=lambda n: n.brute("X"),
        rhs=_pad_one_too_few,
        label=DX,
        conventions=CORR,
        control=True,
    ),
    Statement(
        "dK.control-not-rotated-back",
        "Control: the kernel gradient before the article's correction",
        r"\frac{\partial L}{\partial K} = X \star \delta",
        lhs=lambda n: n.brute("K"),
        rhs=kernel_gradient_corr,
        label=DK,
        conventions=CONV,
        control=True,
    ),
    Statement(
        "dX.control-rot180",
        "Control: input gradient with a rot180 this convention does not have",
        r"\frac{\partial L}{\partial X} = \delta * K \ (full)",
        lhs=lambda n: n.brute("X"),
        rhs=input_gradient_corr,
        label=DX,
        conventions=CONV,
        control=True,
    ),
    Statement(
        "dK.control-transposed",
        "Control: the kernel gradient transposed",
        r"\frac{\partial L}{\partial K} = \left(\text{closed form}\right)^\top",
        lhs=lambda n: n.brute("K"),
        rhs=_transposed,
        label=DK,
        control=True,
    ),
)


def run() -> list[Proof]:
    """Every row of :data:`STATEMENTS` for both conventions and both sets of activations."""
    proofs: list[Proof] = []
    for convention in (CORRELATION, CONVOLUTION):
        for f, sigma in ACTIVATIONS:
            start = time.perf_counter()
            generic = is_abstract(f.fn)
            batch = prove_rows(
                STATEMENTS,
                _net(convention, f, sigma),
                case=CASE,
                convention=convention,
                generic=generic,
                suffix="" if generic else f".{f.name}-{sigma.name}",
                common=dict(activations=describe(f=f, σ=sigma)),
            )
            proofs += finish_batch(batch, start, generic)
    return proofs


def networks() -> list:
    """The network emitted as code: cross-correlation layer, f = tanh, σ = logistic."""
    X, K, w, _, head, _, _ = _network(CORRELATION, TANH, LOGISTIC)
    t = sp.Symbol("t", real=True)
    return [
        with_gradients(
            Network(
                slug="d1_single_kernel",
                source="derivations.d1_single_kernel",
                function="loss_and_gradients",
                summary="D1's network: one 2x2 kernel, tanh, a dense layer, a logistic sigmoid.",
                description=(
                    "Z = X ⋆ K (valid cross-correlation, 2x2), A = tanh(Z), a = A flattened\n"
                    "row-major, u = Σ_i w_i a_i, ŷ = logistic(u) = 1 / (1 + exp(-u)),\n"
                    "L = ½ (ŷ - t)²."
                ),
                convention=CORRELATION,
                arguments=[
                    argument("x", X, "input X"),
                    argument("k", K, "kernel K"),
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
        "D1's network: a 3x3 input, one 2x2 kernel, a dense layer, a sigmoid",
        stages=(
            Stage("X", (3, 3), "input"),
            Stage("Z", (2, 2), "feature map"),
            Stage("A", (2, 2), "activated"),
            Stage("u", (), "dense"),
            Stage("ŷ", (), "output"),
            Stage("L", (), "loss"),
        ),
        operations=("⋆ K", "f", "w · a", "σ", "½(ŷ − t)²"),
    ),
    "rotation": Rotation("The rotated kernel on the padded δ gives the input gradient"),
}

FORWARD = (
    r"z_{ij} &= (X \star K)_{ij} = \sum_{a,b=0}^{1} x_{i+a,\,j+b}\,k_{ab}"
    r" && i, j \in \{0, 1\}",
    r"a_{ij} &= f(z_{ij})",
    r"u &= \textstyle\sum_{i,j} w_{ij}\, a_{ij}"
    r" && (w_1, \dots, w_4) \text{ as } 2\times 2,\ \text{row by row}",
    r"\hat y &= \sigma(u)",
    r"L &= \tfrac12\,(\hat y - t)^2",
)


def _delta_chain(f: Activation, sigma: Activation) -> Chain:
    """``δ_ij = ∂L/∂z_ij = (ŷ - t) σ'(u) w_ij f'(z_ij)``, with ``Z`` as free symbols."""
    dZ, closed, _ = delta_with_free_z(f, sigma)
    z = S.symbols("z", (2, 2))
    a = S.symbols("a", (2, 2))
    w = S.symbols("w", (4,))
    head = dense_head(apply(f, z), w, sigma, sp.Symbol("t", real=True))
    u_of_a = sum(wi * ai for wi, ai in zip(w, a.reshape(-1), strict=True))
    fprime = apply_derivative(f, z)
    to_z = dict(zip(a.reshape(-1), apply(f, z).reshape(-1), strict=True))
    chain_rule = np.empty((2, 2), dtype=object)
    for i, j in np.ndindex(2, 2):
        chain_rule[i, j] = head.dL_du * u_of_a.diff(a[i, j]).xreplace(to_z) * fprime[i, j]
    return Chain(
        key="D1.steps.delta",
        title="The upstream gradient δ",
        start=r"\delta_{ij} = \frac{\partial L}{\partial z_{ij}}",
        start_value=dZ,
        intro=(
            "Everything after the feature map is one path: $z_{ij} \\to a_{ij} \\to u \\to "
            "\\hat y \\to L$. Its derivative is the upstream gradient $\\delta$ that the "
            "layer's own derivations start from."
        ),
        steps=(
            Step(
                "chain rule along $z_{ij} \\to a_{ij} \\to u \\to \\hat y \\to L$",
                r"(\hat y - t)\,\sigma'(u)\,\frac{\partial u}{\partial a_{ij}}\,f'(z_{ij})",
                value=chain_rule,
            ),
            Step(
                "$u$ is linear in $a$: $\\partial u / \\partial a_{ij} = w_{ij}$",
                r"(\hat y - t)\,\sigma'(u)\,w_{ij}\,f'(z_{ij})",
                value=closed,
            ),
        ),
    )


def _convolution_chain(f: Activation, sigma: Activation) -> Chain:
    """The article's convention, ``Z = X * K``: ``∂L/∂K = rot180(X ⋆ δ)``."""
    X, K, _, Z, head, _, _ = _network(CONVOLUTION, f, sigma)
    delta = S.symbols("delta", (2, 2))
    dZ, _, _ = delta_with_free_z(f, sigma)
    at_Z = dict(zip(S.symbols("z", (2, 2)).reshape(-1), Z.reshape(-1), strict=True))
    bind = steps.delta_binding(delta, [[e.xreplace(at_Z) for e in row] for row in dZ])
    through_z = np.empty((2, 2), dtype=object)
    survivors = np.empty((2, 2), dtype=object)
    for a, b in np.ndindex(2, 2):
        through_z[a, b] = sum(delta[i, j] * Z[i, j].diff(K[a, b]) for i, j in np.ndindex(2, 2))
        survivors[a, b] = sum(delta[i, j] * X[i + 1 - a, j + 1 - b] for i, j in np.ndindex(2, 2))
    correlation = S.correlate2d(X, delta, "valid")
    read_back = np.array(
        [[correlation[1 - a, 1 - b] for b in range(2)] for a in range(2)], dtype=object
    )
    return Chain(
        key="D1.steps.dK-convolution",
        title="The kernel gradient in the article's convention: rotated back",
        start=r"\frac{\partial L}{\partial k_{ab}}",
        start_value=gradient(head.loss, K),
        intro=(
            "With a true convolution, $z_{ij} = \\sum_{p,q} x_{i+p,\\,j+q}\\,k_{1-p,\\,1-q}$: "
            "the layer reads its kernel backwards, so its gradient comes out rotated. "
            "Leaving out the last step is the error the article later corrected (its "
            "update calls the fix a transpose, but the order it shows, w(2,2) w(2,1) "
            "above w(1,2) w(1,1), is the rotation)."
        ),
        steps=(
            Step(
                "chain rule through every $z_{ij}$",
                r"\sum_{i,j} \delta_{ij}\,\frac{\partial z_{ij}}{\partial k_{ab}}",
                value=through_z,
                bind=bind,
                conditions=(r"\delta_{ij} = \partial L / \partial z_{ij}",),
            ),
            Step(
                "only the tap $1 - p = a,\\ 1 - q = b$ survives",
                r"\sum_{i,j} \delta_{ij}\,x_{i+1-a,\,j+1-b}",
                value=survivors,
            ),
            Step(
                "recognise a correlation, read at $(1 - a, 1 - b)$",
                r"(X \star \delta)_{1-a,\,1-b}",
                value=read_back,
            ),
            Step(
                "definition of rot180",
                r"\mathrm{rot180}(X \star \delta)_{ab}",
                value=S.rot180(correlation),
            ),
        ),
    )


def chapter() -> Chapter:
    """The textbook section: δ, the kernel gradient, the input gradient, the results, exercises."""
    f, sigma = ACTIVATIONS[0]
    X, K, _, Z, head, _, _ = _network(CORRELATION, f, sigma)
    delta = S.symbols("delta", (2, 2))
    dZ, _, _ = delta_with_free_z(f, sigma)
    at_Z = dict(zip(S.symbols("z", (2, 2)).reshape(-1), Z.reshape(-1), strict=True))
    bind = steps.delta_binding(delta, [[e.xreplace(at_Z) for e in row] for row in dZ])
    chains = (
        _delta_chain(f, sigma),
        steps.kernel_gradient("D1.steps.dK", X, K, delta, gradient(head.loss, K), bind),
        steps.input_gradient("D1.steps.dX", X, K, delta, gradient(head.loss, X), bind),
        _convolution_chain(f, sigma),
    )
    padded, rotated = S.pad2d(delta, 1), S.rot180(K)
    sums = S.convolve2d(delta, K, "full")
    results = (
        Result(
            "The kernel gradient",
            "Each entry is the sum of the four products of $\\delta$ with the input entries "
            "under the window at that kernel position.",
            r"\begin{aligned}\frac{\partial L}{\partial K} &= X \star \delta \\ &= "
            + matrix(S.correlate2d(X, delta, "valid"))
            + r"\end{aligned}",
        ),
        Result(
            "The input gradient",
            "Written out, each input entry collects the $\\delta_{ij}$ of the windows that "
            "covered it (corners one term, the centre four); the same matrix is the padded "
            "$\\delta$ correlated with the rotated kernel.",
            rf"\begin{{aligned}}\frac{{\partial L}}{{\partial X}} &= {matrix(sums)} \\ "
            rf"&= {matrix(padded)} \star {matrix(rotated)}\end{{aligned}}",
            figure="rotation",
            check=lambda: exactly_equal(sums, S.correlate2d(padded, rotated, "valid")),
        ),
    )
    return Chapter(
        intro=INTRO,
        figure="network",
        forward=FORWARD,
        forward_text=FORWARD_TEXT,
        chains=chains,
        results=results,
        exercises=exercises(),
        remember=(
            (
                r"What comes after the convolution (the activation, the dense layer, the "
                r"sigmoid) reaches the kernel's and the input's gradients only through "
                r"$\delta = \partial L/\partial Z$, the gradient at the layer's output."
            ),
            (
                r"For a cross-correlation layer, $\partial L/\partial K = X \star \delta$: the "
                r"input correlated with $\delta$, no rotation."
            ),
            (
                r"$\partial L/\partial X = \operatorname{pad}_{k-1}(\delta) \star "
                r"\mathrm{rot180}(K)$, a full convolution of $\delta$ with $K$: input pixel "
                r"$r$ is read by output $r - a$ through tap $a$, so the taps reach it in reverse "
                r"order."
            ),
            (
                r"In the articles' true-convolution convention the rotation moves: the kernel "
                r"gradient becomes $\mathrm{rot180}(X \star \delta)$ and the input gradient "
                r"a full correlation with $K$ as it is."
            ),
        ),
    )


INTRO = (
    "The smallest network with a convolution in it: a $3\\times 3$ input, one $2\\times 2$ "
    "kernel, an activation $f$, a dense layer of four weights and a sigmoid $\\sigma$. "
    "This chapter derives its gradients by hand, one named step at a time, for *any* "
    "differentiable $f$ and $\\sigma$ (they stay undefined functions), and shows where the "
    "kernel gets rotated. In the sums indices start at 0, as on the "
    "[notation page](../notation.md); the matrices name the entries from 1 "
    "($x_{11}$ is the top-left input entry)."
)

FORWARD_TEXT = (
    "The layer is a **cross-correlation**, as every framework computes it. The article "
    "writes a true convolution $X * K$; that convention is derived in the last chain "
    "below and proven in the certificates: there $\\partial L/\\partial K = "
    "\\mathrm{rot180}(X \\star "
    "\\delta)$ and $\\partial L/\\partial X$ is the full correlation $\\delta \\star K$, "
    "the rotation having moved from one gradient to the other."
)


def _layer_brute(X, K, delta, **options):
    """``L = Σ δ ⊙ conv2d(X, K)`` (one channel) and its brute-force gradients."""
    b = options.pop("bias", None)
    Y = S.conv2d(X[None], K[None, None], None if b is None else np.array([b]), **options)[0]
    assert Y.shape == delta.shape, (Y.shape, delta.shape)
    loss = sp.Add(*(d * y for d, y in zip(delta.reshape(-1), Y.reshape(-1), strict=True)))
    return loss


def exercises() -> tuple[Exercise, ...]:
    """Stride 2, dilation 2, a bias: each solution checked against ``sympy.diff``."""
    X4, K, delta = S.symbols("x", (4, 4)), S.symbols("k", (2, 2)), S.symbols("delta", (2, 2))
    strided = S.correlate2d(X4, S.dilate2d(delta, 2), "valid")
    dilated_k = S.dilate2d(K, 2)
    dilated_dx = S.correlate2d(S.pad2d(delta, 2), S.rot180(dilated_k), "valid")
    b = sp.Symbol("b", real=True)
    return (
        Exercise(
            "The same layer with **stride 2** on a $4\\times 4$ input: "
            "$z_{ij} = \\sum_{a,b} x_{2i+a,\\,2j+b}\\,k_{ab}$, again $2\\times 2$. "
            "Write $\\partial L/\\partial K$ as a correlation.",
            "The chain rule gives $\\partial L/\\partial k_{ab} = \\sum_{i,j} \\delta_{ij}\\, "
            "x_{2i+a,\\,2j+b}$: $\\delta$ is read with steps of 2 over the input, which is "
            "the input correlated with $\\delta$ **dilated** by the stride (a zero between "
            "neighbours):\n\n"
            "$$\n\\frac{\\partial L}{\\partial K} = X \\star \\operatorname{dilate}_2(\\delta) "
            f"= {matrix(strided)}\n$$",
            check=lambda: exactly_equal(
                gradient(_layer_brute(X4, K, delta, stride=2), K), strided
            ),
        ),
        Exercise(
            "The layer with **dilation 2** (taps two apart) on a $4\\times 4$ input: "
            "$z_{ij} = \\sum_{a,b} x_{i+2a,\\,j+2b}\\,k_{ab}$. Write $\\partial L/\\partial X$ "
            "as a correlation of the padded $\\delta$.",
            "The dilated layer is the plain layer with the kernel $\\operatorname{dilate}_2(K)$ "
            "($3\\times 3$, zeros between the taps), so the input gradient is the plain one "
            "with that kernel: pad $\\delta$ by $3 - 1 = 2$ and correlate with the rotated "
            "dilated kernel,\n\n$$\n\\frac{\\partial L}{\\partial X} = "
            "\\operatorname{pad}_2(\\delta) \\star "
            "\\mathrm{rot180}(\\operatorname{dilate}_2(K)),\\qquad "
            "\\mathrm{rot180}(\\operatorname{dilate}_2(K)) = "
            f"{matrix(S.rot180(dilated_k))}\n$$",
            check=lambda: exactly_equal(
                gradient(_layer_brute(X4, K, delta, dilation=2), X4), dilated_dx
            ),
        ),
        Exercise(
            "Add a bias, $z_{ij} = (X \\star K)_{ij} + b$ (on the $3\\times 3$ input). "
            "What is $\\partial L/\\partial b$?",
            "Every $z_{ij}$ depends on $b$ with slope 1, so the chain rule leaves "
            "$\\dfrac{\\partial L}{\\partial b} = \\sum_{i,j} \\delta_{ij}$: "
            "the sum of the upstream gradient.",
            check=lambda: exactly_equal(
                _layer_brute(S.symbols("x", (3, 3)), K, delta, bias=b).diff(b),
                sp.Add(*delta.reshape(-1)),
            ),
        ),
    )
