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
from .network import dense_head, displayer, gradient, head_names, names_for
from .proof import (
    CONVOLUTION,
    CORRELATION,
    METHOD_LEMMA,
    Entry,
    Proof,
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
NOTES = (TIE_RULE,)

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
                            else r"\operatorname{rot180}(X_{p,c} \star \delta_{Z,o})"
                        )
                        + r", \quad \delta_Z = \operatorname{up}_{\arg\max}(\delta_P) \odot f'(Z)"
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
            statement=r"\delta_Z = \operatorname{up}_{\text{first}}(\delta_P) \odot f'(Z)",
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
