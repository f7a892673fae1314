"""D3 — a multi-channel layer: 2 -> 3 channels, 'same' padding, bias, 2x2 max pooling.

``X (2x2x6) -> Z = layer(X, K) + b (3x2x6, padding 'same' = 1, K: 3x2x3x3)
-> A = f(Z) -> P = maxpool_2x2(A) (3x1x3) -> flatten -> u = w·p -> ŷ = σ(u)
-> L = ½ (ŷ - t)²``. (Small on purpose: every ``sympy.diff`` runs through
the whole loss.)

**Pooling rule** (proven first, on one 2x2 window ``a``): wherever the
window's values are distinct, ``∂ max(a)/∂a_j = 1`` if ``a_j`` is the
maximum and 0 otherwise. Every point with distinct values lies in one of the
24 orderings ``a_π1 > a_π2 > a_π3 > a_π4``; on each, written
``a_π1 = m, a_π2 = m - e1, a_π3 = m - e1 - e2, a_π4 = m - e1 - e2 - e3``
with ``e_i > 0``, SymPy evaluates ``max`` to ``m`` and the derivative of
``Max`` (a ``Heaviside`` of differences) to the indicator, exactly.

Consequently, on the open region where each window's maximum is a fixed
entry (the argmax pattern below), ``P`` *is* the selection of those entries,
and the loss there has the gradients of the selection. **Ties** (equal
values in a window) are where ``max`` is not differentiable; cnnref, like
PyTorch, then sends the gradient to the **first** maximum in row-major order
(:func:`derivations.symbolic.max_pool2d_argmax`), a convention, not a
theorem.

With ``δ_P = (σ(u) - t) σ'(u) · w`` (read as 3x1x3) and
``δ_Z = up(δ_P) ⊙ f'(Z)``, ``up`` placing each entry at its window's argmax:

* **cross-correlation** layer: ``∂L/∂K[o,c] = X_p[c] ⋆ δ_Z[o]``,
  ``∂L/∂X[c] = crop_1(Σ_o δ_Z[o] ∗ K[o,c])`` (full convolution, padding
  cropped), ``∂L/∂b[o] = Σ δ_Z[o]``;
* **true convolution** layer: ``∂L/∂K[o,c] = rot180(X_p[c] ⋆ δ_Z[o])``,
  ``∂L/∂X[c] = crop_1(Σ_o δ_Z[o] ⋆ K[o,c])`` (full correlation), same bias.

With undefined ``f``, ``σ`` and with ``f = tanh``, ``σ`` = logistic.
"""

from __future__ import annotations

import itertools
import time

import numpy as np
import sympy as sp

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
from .figures import Pipeline, Stage
from .network import dense_head, displayer, gradient, head_names, names_for
from .proof import (
    CONVOLUTION,
    CORRELATION,
    METHOD_LEMMA,
    Entry,
    Proof,
    exactly_equal,
    finish_batch,
    prove,
)
from .sources import SEO_MULTI

CASE = "D3"
TITLE = "Channels and pooling: 2 -> 3 channels, 'same' padding, bias, 2x2 max pooling"
SOURCES = f"{SEO_MULTI} (multi-channel layers, zero padding, activation then max pooling)"
CHECKED_BY = (
    "tests `tests/test_pooling.py` (the tie rule against PyTorch) and "
    "`tests/test_layers.py`; replay [the digits CNN](../notebooks/digits_cnn.py)"
)
COST = 24.0

IN_SHAPE = (2, 2, 6)
KERNEL_SHAPE = (3, 2, 3, 3)
POOL = (2, 2)
TIE_RULE = (
    "Tie rule. At a tie (equal maxima in a window) max is not differentiable, so the "
    "pooling rule proven on this page does not apply there; cnnref, as PyTorch, sends the "
    "whole gradient to the first maximum in row-major order. That is a convention, not a "
    "theorem; the D5 max-pooling adjoint uses argmax patterns built from numbers with ties "
    "and this rule."
)
NOTES = (
    TIE_RULE,
    "The layer is an instance of [the general theorem (D6)](d6-general.md) with $N = G = 1$, "
    "$C_g = 2$, $O_g = 3$, $H = 2$, $W = 6$, $k_h = k_w = 3$, stride and dilation $1$ and "
    "'same' padding $p_t = p_b = p_l = p_r = 1$; the pooling is D6's max pooling with a $2 "
    "\\times 2$ window and stride $2$; "
    '<a href="../../explorer/#input=2x6&kernel=3&stride=1&padding=1&dilation=1">explore one '
    "channel of this layer</a>.",
)

ACTIVATIONS = [
    (undefined("f"), undefined("sigma", r"\sigma")),
    (TANH, LOGISTIC),
]


def argmax_pattern() -> np.ndarray:
    """The fixed region: window (o, 0, j) has its maximum at local index (o + 2j) mod 4."""
    return np.array([[[(o + 2 * j) % 4 for j in range(3)]] for o in range(3)])


def pooling_rule() -> Proof:
    """∂max/∂a_j is the indicator of the argmax, on each of the 24 strict orderings."""
    a = S.symbols("a", (2, 2)).reshape(-1)
    m = sp.Symbol("m", real=True)
    e = sp.symbols("e_1:4", positive=True)
    M = sp.Max(*a)
    grads = [M.diff(ai) for ai in a]
    lhs, rhs, labels = [], [], []
    for order in itertools.permutations(range(4)):
        values = [m, m - e[0], m - e[0] - e[1], m - e[0] - e[1] - e[2]]
        sub = {a[k]: v for k, v in zip(order, values, strict=True)}
        lhs.append([M.xreplace(sub), *(g.xreplace(sub) for g in grads)])
        rhs.append([m, *(sp.Integer(int(k == order[0])) for k in range(4))])
        labels.append(" > ".join(sp.latex(a[k]) for k in order))
    proof = prove(
        case=CASE,
        key="D3.pooling-rule",
        title="Max pooling: the gradient goes to the argmax (distinct values)",
        statement=(
            r"a_{\pi_1} > a_{\pi_2} > a_{\pi_3} > a_{\pi_4} \implies \max(a) = a_{\pi_1},\ "
            r"\left(\frac{\partial \max(a)}{\partial a_{j}}\right)_j = "
            r"\left([j = \pi_1]\right)_j"
        ),
        convention="none (pooling)",
        method=(
            "sympy.diff of Max; each of the 24 strict orderings written with positive gaps; "
            "exact evaluation, then " + METHOD_LEMMA
        ),
        lhs=np.array(lhs, dtype=object),
        rhs=np.array(rhs, dtype=object),
        record_entries=False,
    )
    for label, left, right in zip(labels, lhs, rhs, strict=True):
        proof.entries.append(_entry(label, left, right))
    return proof


def _entry(label, left, right) -> Entry:
    def vec(values):
        return r"\left(" + ",\\ ".join(sp.latex(v) for v in values) + r"\right)"

    return Entry(label, vec(left), vec(right))


def _network(convention: str, f: Activation, sigma: Activation):
    X = S.symbols("x", IN_SHAPE)
    K = S.symbols("k", KERNEL_SHAPE)
    b = S.symbols("b", (3,))
    w = S.symbols("w", (9,))
    t = sp.Symbol("t", real=True)
    weight = K if convention == CORRELATION else S.rot180(K)
    Z = S.conv2d(X, weight, b, padding="same")
    A = apply(f, Z)
    argmax = argmax_pattern()
    P = S.max_pool2d_select(A, argmax, POOL)
    head = dense_head(P, w, sigma, t)
    delta_p = head.dL_du * w.reshape(3, 1, 3)
    delta_z = S.max_pool2d_backward(delta_p, argmax, POOL, POOL, Z.shape[1:]) * apply_derivative(
        f, Z
    )
    names = {**head_names(head), **names_for(Z, S.symbols("z", Z.shape))}
    return X, K, b, Z, head, delta_p, delta_z, argmax, displayer(names)


def kernel_gradient(X, delta_z, convention) -> np.ndarray:
    """``X_p[c] ⋆ δ_Z[o]`` (valid), rotated by 180 degrees for the true-convolution layer."""
    Xp = S.pad2d(X, 1)
    out = np.empty(KERNEL_SHAPE, dtype=object)
    for o, c in itertools.product(range(3), range(2)):
        corr = S.correlate2d(Xp[c], delta_z[o], "valid")
        out[o, c] = corr if convention == CORRELATION else S.rot180(corr)
    return out


def input_gradient(K, delta_z, convention, rotate=True) -> np.ndarray:
    """``crop_1(Σ_o δ_Z[o] ∗ K[o,c])`` (correlation layer) or with ``⋆`` (convolution layer)."""
    full = S.convolve2d if (convention == CORRELATION) == rotate else S.correlate2d
    out = np.empty(IN_SHAPE, dtype=object)
    for c in range(2):
        summed = sum((full(delta_z[o], K[o, c], "full") for o in range(3)), start=0)
        out[c] = S.pad2d(summed, -1)
    return out


def run() -> list[Proof]:
    proofs: list[Proof] = [pooling_rule()]
    for convention in (CORRELATION, CONVOLUTION):
        tag = "corr" if convention == CORRELATION else "conv"
        for f, sigma in ACTIVATIONS:
            start = time.perf_counter()
            X, K, b, Z, head, delta_p, delta_z, _, display = _network(convention, f, sigma)
            generic = is_abstract(f.fn)
            common = dict(
                case=CASE,
                convention=convention,
                activations=describe(f=f, σ=sigma),
                display=display,
            )
            suffix = "" if generic else f".{f.name}-{sigma.name}"
            dK, db, dX = (gradient(head.loss, v) for v in (K, b, X))
            back = r"*" if convention == CORRELATION else r"\star"
            dK_closed = kernel_gradient(X, delta_z, convention)
            batch = [
                prove(
                    key=f"D3.{tag}.dK{suffix}",
                    title="Kernel gradient through max pooling",
                    statement=(
                        r"\frac{\partial L}{\partial K_{oc}} = "
                        + (
                            r"X_{p,c} \star \delta_{Z,o}"
                            if convention == CORRELATION
                            else r"\mathrm{rot180}(X_{p,c} \star \delta_{Z,o})"
                        )
                        + r", \quad \delta_Z = \operatorname{up}_{\arg\max}(\delta^P) \odot f'(Z)"
                    ),
                    lhs=dK,
                    rhs=dK_closed,
                    label=r"\partial L/\partial k",
                    **common,
                ),
                prove(
                    key=f"D3.{tag}.db{suffix}",
                    title="Bias gradient",
                    statement=r"\frac{\partial L}{\partial b_o} = \sum_{ij} (\delta_Z)_{oij}",
                    lhs=db,
                    rhs=np.array([S.total(delta_z[o].reshape(-1)) for o in range(3)]),
                    label=r"\partial L/\partial b",
                    **common,
                ),
                prove(
                    key=f"D3.{tag}.dX{suffix}",
                    title="Input gradient ('same' padding cropped)",
                    statement=(
                        r"\frac{\partial L}{\partial X_c} = \operatorname{crop}_1\Big(\sum_o "
                        rf"\delta_{{Z,o}} {back} K_{{oc}}\Big) \ \text{{(full)}}"
                    ),
                    lhs=dX,
                    rhs=input_gradient(K, delta_z, convention),
                    label=r"\partial L/\partial x",
                    **common,
                ),
            ]
            if generic:
                batch += _controls(tag, common, X, K, Z, f, delta_p, dK, dX, dK_closed)
            proofs += finish_batch(batch, start, generic)
    return proofs


def _controls(tag, common, X, K, Z, f, delta_p, dK, dX, dK_closed) -> list[Proof]:
    """Plausible wrong formulas; each must be rejected by the same checker."""
    convention = common["convention"]
    common = dict(common, control=True)
    first = np.zeros_like(argmax_pattern())
    delta_first = S.max_pool2d_backward(delta_p, first, POOL, POOL, Z.shape[1:])
    delta_first = delta_first * apply_derivative(f, Z)
    out = [
        prove(
            key=f"D3.{tag}.dK.control-pool-first-entry",
            title="Control: pooling gradient sent to each window's first entry",
            statement=r"\delta_Z = \operatorname{up}_{\text{first}}(\delta^P) \odot f'(Z)",
            lhs=dK,
            rhs=kernel_gradient(X, delta_first, convention),
            label=r"\partial L/\partial k",
            **common,
        ),
        prove(
            key=f"D3.{tag}.dK.control-transposed",
            title="Control: kernel gradient transposed",
            statement=r"\frac{\partial L}{\partial K_{oc}} = (\text{closed form})^\top",
            lhs=dK,
            rhs=np.swapaxes(dK_closed, 2, 3),
            label=r"\partial L/\partial k",
            **common,
        ),
    ]
    delta_z = S.max_pool2d_backward(delta_p, argmax_pattern(), POOL, POOL, Z.shape[1:])
    delta_z = delta_z * apply_derivative(f, Z)
    out.append(
        prove(
            key=f"D3.{tag}.dX.control-kernel-orientation",
            title="Control: input gradient with the other kernel orientation",
            statement=(
                r"\frac{\partial L}{\partial X_c} = \operatorname{crop}_1\Big(\sum_o "
                + (r"\delta_{Z,o} \star K_{oc}" if tag == "corr" else r"\delta_{Z,o} * K_{oc}")
                + r"\Big)"
            ),
            lhs=dX,
            rhs=input_gradient(K, delta_z, convention, rotate=False),
            label=r"\partial L/\partial x",
            **common,
        )
    )
    return out


# The chapter ------------------------------------------------------------------

FIGURES = {
    "network": Pipeline(
        "D3's network: 2 -> 3 channels with 'same' padding, max pooling, a dense layer",
        stages=(
            Stage("X", IN_SHAPE, "2 channels"),
            Stage("Z", (3, *IN_SHAPE[1:]), "3 channels"),
            Stage("A", (3, *IN_SHAPE[1:])),
            Stage("P", (3, 1, 3), "pooled"),
            Stage("L", (), "loss"),
        ),
        operations=("⋆ K + b", "f", "max 2×2", "dense, σ"),
        gap=76,
    ),
}


def _layer_chains() -> tuple[Chain, Chain]:
    """Kernel and input gradients of the multi-channel 'same' layer, δ free (any upstream).

    The loss ``Σ δ ⊙ Z`` is a polynomial; the lines are exact polynomials
    (:class:`~derivations.polynomial.Poly`), compared coefficient by coefficient.
    """
    X, K, b = S.variables("x", IN_SHAPE), S.variables("k", KERNEL_SHAPE), S.variables("b", (3,))
    Z = S.conv2d(X, K, b, padding="same")
    delta = S.variables("delta", Z.shape)
    loss = S.total(d * z for d, z in zip(delta.reshape(-1), Z.reshape(-1), strict=True))
    brute = loss.gradient()
    Xp = S.pad2d(X, 1)
    outs = list(np.ndindex(Z.shape))

    def name(v) -> str:
        (only,) = next(iter(v.terms))
        return only

    def grid(shape, entry):
        out = np.empty(shape, dtype=object)
        for index in np.ndindex(shape):
            out[index] = entry(*index)
        return out

    def through_z(wrt):
        return grid(
            wrt.shape, lambda *v: S.total([delta[n] * Z[n].diff(name(wrt[v])) for n in outs])
        )

    def gradient_of(wrt):
        return grid(wrt.shape, lambda *v: brute.get(name(wrt[v]), S.total([])))

    h, w_ = IN_SHAPE[1:]
    kernel = Chain(
        key="D3.steps.dK",
        title="The kernel gradient, one pair of channels at a time",
        start=r"\frac{\partial L}{\partial k_{o,c,a,b}}",
        start_value=gradient_of(K),
        steps=(
            Step(
                "chain rule through every $z_{o',i,j}$",
                r"\sum_{o',i,j} \delta_{o'ij}\,\frac{\partial z_{o'ij}}{\partial k_{o,c,a,b}}",
                value=through_z(K),
            ),
            Step(
                "only $o' = o$ and the tap $(c, a, b)$ survive",
                r"\sum_{i,j} \delta_{oij}\,\tilde x_{c,\,i+a,\,j+b}",
                value=grid(
                    K.shape,
                    lambda o, c, a, b_: S.total(
                        [
                            delta[o, i, j] * Xp[c, i + a, j + b_]
                            for i in range(h)
                            for j in range(w_)
                        ]
                    ),
                ),
                conditions=(r"\tilde X = \operatorname{pad}_1(X)",),
            ),
            Step(
                "recognise a correlation per channel pair",
                r"\bigl(\operatorname{pad}_1(X_c) \star \delta_o\bigr)_{ab}",
                value=kernel_gradient(X, delta, CORRELATION),
            ),
        ),
    )
    summed = np.empty(IN_SHAPE, dtype=object)
    for c in range(2):
        summed[c] = sum(
            (S.correlate2d(S.pad2d(delta[o], 1), S.rot180(K[o, c]), "valid") for o in range(3)),
            start=0,
        )
    scatter = grid(
        IN_SHAPE,
        lambda c, r, s: S.total(
            [
                delta[o, i, j] * K[o, c, r + 1 - i, s + 1 - j]
                for o in range(3)
                for i in range(h)
                for j in range(w_)
                if 0 <= r + 1 - i < 3 and 0 <= s + 1 - j < 3
            ]
        ),
    )
    inputs = Chain(
        key="D3.steps.dX",
        title="The input gradient: every output channel sends δ back",
        start=r"\frac{\partial L}{\partial x_{c,r,s}}",
        start_value=gradient_of(X),
        steps=(
            Step(
                "chain rule through every $z_{o,i,j}$",
                r"\sum_{o,i,j} \delta_{oij}\,\frac{\partial z_{oij}}{\partial x_{c,r,s}}",
                value=through_z(X),
            ),
            Step(
                "only the tap at $r + 1 - i,\\ s + 1 - j$ survives (padding shifts by 1)",
                r"\sum_{o}\sum_{i,j} \delta_{oij}\,k_{o,c,\,r+1-i,\,s+1-j}",
                value=scatter,
                conditions=(r"0 \le r + 1 - i \le 2", r"0 \le s + 1 - j \le 2"),
            ),
            Step(
                "per output channel, D1's rotation with the padding taken off",
                r"\sum_{o} \bigl(\operatorname{pad}_1(\delta_o) \star "
                r"\mathrm{rot180}(K_{o,c})\bigr)_{rs}",
                value=summed,
                note=(
                    "A full convolution would pad $\\delta_o$ by $3 - 1 = 2$; the layer's own "
                    "padding of 1 removes one of them, so the result has the input's size."
                ),
            ),
            Step(
                "as the full convolution, cropped by the padding",
                r"\operatorname{crop}_1\Bigl(\sum_o \delta_o * K_{o,c}\Bigr)_{rs}",
                value=input_gradient(K, delta, CORRELATION),
            ),
        ),
    )
    return kernel, inputs


def chapter() -> Chapter:
    """Channels, 'same' padding and pooling: the layer's gradients step by step."""
    return Chapter(
        intro=(
            "A layer with two input channels and three output channels, zero padding that "
            "keeps the size ('same'), a bias per output channel, then an activation and "
            "$2\\times 2$ max pooling. The derivation here is the layer's own, for any upstream "
            "gradient $\\delta = \\partial L/\\partial Z$; how pooling forms that $\\delta$ "
            "(each pooled gradient goes to its window's maximum, times $f'(z)$) is shown at "
            "the end of the derivation and proven in the certificates below."
        ),
        figure="network",
        forward=(
            r"z_{o,i,j} &= b_o + \sum_{c=0}^{1}\sum_{a,b=0}^{2} \tilde x_{c,\,i+a,\,j+b}\,"
            r"k_{o,c,a,b} && \tilde X = \operatorname{pad}_1(X),\ o \in \{0,1,2\}",
            r"a_{o,i,j} &= f(z_{o,i,j}), \qquad p_{o,i,j} = \max_{(r,q) \in \Omega_{ij}} a_{o,r,q}"
            r" && \Omega_{ij} = \{2i, 2i+1\} \times \{2j, 2j+1\}",
            r"u &= \textstyle\sum w\, p, \qquad \hat y = \sigma(u), \qquad "
            r"L = \tfrac12\,(\hat y - t)^2",
        ),
        chains=_layer_chains(),
        results=(_pooling_result(),),
        exercises=_exercises(),
        remember=(
            (
                r"With channels, the kernel gradient is one correlation per pair of an output and "
                r"an input channel: $\partial L/\partial K_{oc} = \operatorname{pad}_1(X_c) \star "
                r"\delta_o$, with $\delta_o = \partial L/\partial Z_o$."
            ),
            (
                r"The input gradient of channel $c$ collects from every output channel, $\sum_o "
                r"\delta_o * K_{oc}$ (full), and then crops the 'same' padding."
            ),
            (
                r"The bias gradient of output channel $o$ is the sum of $\delta_o$ over all "
                r"positions."
            ),
            (
                r"Max pooling passes each pooled gradient to the maximum of its window (the first "
                r"one when several tie) and zero to the others; the activation's slope $f'(z)$ "
                r"then multiplies it."
            ),
        ),
    )


# One output channel's activations before pooling (2 x 6, distinct values: no ties).
POOLED_MAP = np.array([[3, 1, 0, 2, 5, 4], [2, 7, 6, 1, 0, 1]])


def _pooling_result() -> Result:
    """Max pooling's backward pass on one channel: SymPy's derivative of ``Max`` is the routing."""
    a, d = S.symbols("a", (1, 2, 6)), S.symbols("delta^P", (1, 3))[None]
    pooled = S.max_pool2d(a, 2)
    loss = S.total(g * p for g, p in zip(d.reshape(-1), pooled.reshape(-1), strict=True))
    at = dict(zip(a.reshape(-1), POOLED_MAP.reshape(-1), strict=True))
    derivative = np.array([sp.diff(loss, v).subs(at) for v in a.reshape(-1)], dtype=object)
    routed = S.max_pool2d_backward(d, S.max_pool2d_argmax(POOLED_MAP[None], 2), 2, 2, (2, 6))
    return Result(
        "Back through the pooling",
        "One output channel with the activations $A$ below. Each pooled gradient "
        "$\\delta^P_{1j}$ reaches the largest entry of its $2\\times 2$ window (7, 6 and 5 "
        "here) and nothing else: the other entries do not change the maximum when they "
        "change a little. Then $\\delta = \\partial L/\\partial A \\odot f'(Z)$ is the "
        "upstream gradient of the derivation above. When a window holds two equal maxima, "
        "the first one in row-major order gets the gradient, as in PyTorch (Exercise 2).",
        r"\begin{gathered}A = "
        + matrix(POOLED_MAP)
        + r", \\ \frac{\partial L}{\partial A} = \operatorname{up}_{\arg\max}(\delta^P) = "
        + matrix(routed[0])
        + r"\end{gathered}",
        check=lambda: exactly_equal(derivative.reshape(routed.shape), routed),
        shows="SymPy's derivative of the maximum of each window equals the routing",
    )


def _exercises() -> tuple[Exercise, ...]:
    import cnnref

    X, K, b = S.symbols("x", IN_SHAPE), S.symbols("k", KERNEL_SHAPE), S.symbols("b", (3,))
    Z = S.conv2d(X, K, b, padding="same")
    delta = S.symbols("delta", Z.shape)
    loss = S.total(d * z for d, z in zip(delta.reshape(-1), Z.reshape(-1), strict=True))
    sums = np.array([S.total(list(delta[o].reshape(-1))) for o in range(3)], dtype=object)
    window = np.array([[[[1.0, 5.0, 2.0, 2.0], [3.0, 4.0, 0.0, 1.0]]]])
    upstream = np.array([[[[0.7, -1.3]]]])
    expected = np.array([[[[0.0, 0.7, -1.3, 0.0], [0.0, 0.0, 0.0, 0.0]]]])
    return (
        Exercise(
            "What is $\\partial L/\\partial b_o$, the gradient of one output channel's bias?",
            "$b_o$ is added to every $z_{o,i,j}$ of its channel and to nothing else, so "
            "$\\dfrac{\\partial L}{\\partial b_o} = \\sum_{i,j} \\delta_{oij}$: the sum of "
            "that channel's $\\delta$.",
            check=lambda: exactly_equal(np.array([loss.diff(v) for v in b]), sums),
        ),
        Exercise(
            "Max pooling $2\\times 2$ with stride 2 on the map "
            "$\\begin{bmatrix}1&5&2&2\\\\3&4&0&1\\end{bmatrix}$ with upstream gradient "
            "$(0.7, -1.3)$. Where does the gradient go?",
            "Each pooled value's gradient goes to its window's maximum: $0.7$ to the $5$. "
            "The second window holds two equal maxima ($2, 2$), where max is not "
            "differentiable; the convention (PyTorch's and cnnref's) sends it to the first in "
            "row-major order:\n\n$$\n\\begin{bmatrix}0&0.7&-1.3&0\\\\0&0&0&0\\end{bmatrix}\n$$",
            check=lambda: np.array_equal(
                cnnref.max_pool2d_backward(upstream, window, 2), expected
            ),
        ),
    )
