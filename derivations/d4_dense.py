"""D4 — dense layers: the delta recursion and σ' = σ(1 - σ).

A 3-4-1 network ``z1 = W1 x + b1 (4), a1 = σ(z1), z2 = W2 a1 + b2 (1),
ŷ = σ(z2), L = ½ (ŷ - t)²`` with ``W1: 4x3``, ``W2: 1x4``. No convolution, so
no convention to choose. Proven against ``sympy.diff``:

* ``δ2 = ∂L/∂z2 = (ŷ - t) σ'(z2)`` and the recursion
  ``δ1 = ∂L/∂z1 = (W2^T δ2) ⊙ σ'(z1)`` (``z1`` as free symbols, so that
  ``∂L/∂z1`` is a derivative with respect to variables);
* ``∂L/∂W1 = δ1 x^T``, ``∂L/∂W2 = δ2 a1^T``, ``∂L/∂b = δ`` (with ``x`` and
  the weights as the variables);

with an undefined ``σ`` and with the logistic sigmoid. And the identity the
11-line network relies on when it computes the slope from the output,
``σ'(s) = σ(s)(1 - σ(s))`` for the logistic sigmoid: the two sides are
different fractions of ``e^{-s}``, so they are brought over a common
denominator (``together``) and the numerator is expanded (``expand`` alone
on the difference does not reach zero: a false negative, not a proof of
inequality).
"""

from __future__ import annotations

import time

import numpy as np
import sympy as sp

from . import symbolic as S
from .activations import (
    LOGISTIC,
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
from .network import displayer, gradient, names_for
from .proof import (
    NEITHER,
    Proof,
    exactly_equal,
    finish_batch,
    prove,
    rationally_equal,
)
from .sources import QRS_CONV, TRASK

CASE = "D4"
TITLE = "Dense layers: the delta recursion and the sigmoid's slope"
SOURCES = (
    f"{QRS_CONV} (the recursion $\\delta^l = (W^{{l+1}})^\\top \\delta^{{l+1}} \\odot "
    f"\\sigma'(z^l)$, written there without the $\\odot$); "
    f"{TRASK} ($\\sigma' = \\sigma(1 - \\sigma)$)"
)
CHECKED_BY = (
    "generated code `cnnref/generated/d4_dense.py` ([API](../api.md#generated-code)), "
    "tested by `tests/test_generated.py`; replays [the delta recursion]"
    "(../notebooks/delta_recursion.py) and [the 11-line network]"
    "(../notebooks/eleven_line_network.py)"
)
COST = 1.5
NOTES = (
    "A dense layer $z = Wx$ is [the general theorem (D6)](d6-general.md) on a "
    "$1\\times 1$ input with a $1\\times 1$ kernel, $C_g$ inputs and $O_g$ outputs "
    "($G = 1$), with D6's weights $w_{o',c}$ the entries of $W$: its input "
    "gradient $\\sum_{o'} \\delta_{o'} w_{o',c}$ is $W^\\top \\delta$, its weight gradient "
    "$\\delta_{o} x_{c}$ the outer product $\\delta x^\\top$.",
)

ACTIVATIONS = [undefined("sigma", r"\sigma"), LOGISTIC]


def _network(sigma: Activation):
    x = S.symbols("x", (3,))
    W1 = S.symbols("W^1", (4, 3))
    b1 = S.symbols("b^1", (4,))
    W2 = S.symbols("W^2", (1, 4))
    b2 = S.symbols("b^2", (1,))
    t = sp.Symbol("t", real=True)
    return x, W1, b1, W2, b2, t


def _loss_of_z1(sigma, z1, W2, b2, t):
    a1 = apply(sigma, z1)
    z2 = W2.dot(a1) + b2
    return sp.Rational(1, 2) * (sigma(z2[0]) - t) ** 2, a1, z2


def run() -> list[Proof]:
    proofs: list[Proof] = []
    for sigma in ACTIVATIONS:
        start = time.perf_counter()
        generic = is_abstract(sigma.fn)
        suffix = "" if generic else f".{sigma.name}"
        common = dict(case=CASE, convention=NEITHER, activations=describe(σ=sigma))
        x, W1, b1, W2, b2, t = _network(sigma)
        # δ1 with z1 as free symbols.
        z1s = S.symbols("z^1", (4,))
        loss_z, _, z2s = _loss_of_z1(sigma, z1s, W2, b2, t)
        delta2s = (sigma(z2s[0]) - t) * apply_derivative(sigma, z2s)
        delta1s = W2.T.dot(delta2s) * apply_derivative(sigma, z1s)
        batch = [
            prove(
                key=f"D4.delta-recursion{suffix}",
                title="The delta recursion",
                statement=(
                    r"\delta^{1} = \frac{\partial L}{\partial z^{1}} = "
                    r"\left(W^{2}\right)^\top \delta^{2} \odot \sigma'(z^{1}),\quad"
                    r" \delta^{2} = (\hat y - t)\,\sigma'(z^{2})"
                ),
                lhs=gradient(loss_z, z1s),
                rhs=delta1s,
                label=r"\partial L/\partial z^1",
                **common,
            ),
            prove(
                key=f"D4.delta-recursion.control-wrong-layer{suffix}",
                title="Control: σ' taken at the next layer's z",
                statement=r"\delta^{1} = \left(W^{2}\right)^\top \delta^{2} \odot \sigma'(z^{2})",
                lhs=gradient(loss_z, z1s),
                rhs=W2.T.dot(delta2s) * apply_derivative(sigma, np.repeat(z2s, 4)),
                control=True,
                label=r"\partial L/\partial z^1",
                **common,
            ),
        ]
        # Weight gradients, with x and the weights as the variables.
        z1 = W1.dot(x) + b1
        loss, a1, z2 = _loss_of_z1(sigma, z1, W2, b2, t)
        common["display"] = displayer(
            {
                **names_for(z2, np.array([sp.Symbol("z^2", real=True)])),
                **names_for(-z2, np.array([-sp.Symbol("z^2", real=True)])),
                **names_for(z1, z1s),
                **names_for(-z1, -z1s),
            }
        )
        delta2 = (sigma(z2[0]) - t) * apply_derivative(sigma, z2)
        delta1 = W2.T.dot(delta2) * apply_derivative(sigma, z1)
        batch += [
            prove(
                key=f"D4.dW1{suffix}",
                title="First weight matrix",
                statement=r"\frac{\partial L}{\partial W^{1}} = \delta^{1} x^\top",
                lhs=gradient(loss, W1),
                rhs=np.outer(delta1, x),
                label=r"\partial L/\partial W^1",
                **common,
            ),
            prove(
                key=f"D4.dW2{suffix}",
                title="Second weight matrix",
                statement=r"\frac{\partial L}{\partial W^{2}} = \delta^{2} (a^{1})^\top",
                lhs=gradient(loss, W2),
                rhs=np.outer(delta2, a1),
                label=r"\partial L/\partial W^2",
                **common,
            ),
            prove(
                key=f"D4.db{suffix}",
                title="Biases",
                statement=(
                    r"\frac{\partial L}{\partial b^{1}} = \delta^{1},\ "
                    r"\frac{\partial L}{\partial b^{2}} = \delta^{2}"
                ),
                lhs=np.concatenate([gradient(loss, b1), gradient(loss, b2)]),
                rhs=np.concatenate([delta1, delta2]),
                label=r"\partial L/\partial b",
                **common,
            ),
            prove(
                key=f"D4.dW1.control-no-slope{suffix}",
                title="Control: δ1 without the activation's slope σ'(z1)",
                statement=(
                    r"\frac{\partial L}{\partial W^{1}} = "
                    r"\left((W^{2})^\top \delta^{2}\right) x^\top"
                ),
                lhs=gradient(loss, W1),
                rhs=np.outer(W2.T.dot(delta2), x),
                control=True,
                label=r"\partial L/\partial W^1",
                **common,
            ),
        ]
        proofs += finish_batch(batch, start, generic)

    start = time.perf_counter()
    s = sp.Symbol("s", real=True)
    slope = sp.diff(LOGISTIC(s), s)
    proofs.append(
        prove(
            key="D4.logistic-slope",
            title="The logistic sigmoid's slope from its output",
            statement=(
                r"\sigma(s) = \frac{1}{1 + e^{-s}} \implies "
                r"\sigma'(s) = \sigma(s)\,\bigl(1 - \sigma(s)\bigr)"
            ),
            convention=NEITHER,
            case=CASE,
            method="together(lhs - rhs), then expand(numerator) == 0",
            activations=describe(σ=LOGISTIC),
            lhs=np.array([slope], dtype=object),
            rhs=np.array([LOGISTIC(s) * (1 - LOGISTIC(s))], dtype=object),
            checker=lambda a, b: rationally_equal(a[0], b[0]),
            label=r"\sigma'",
        )
    )
    proofs.append(
        prove(
            key="D4.logistic-slope.control",
            title="Control: the slope written as σ(1 + σ)",
            statement=r"\sigma'(s) = \sigma(s)\,\bigl(1 + \sigma(s)\bigr)",
            convention=NEITHER,
            case=CASE,
            method="together(lhs - rhs), then expand(numerator) == 0",
            activations=describe(σ=LOGISTIC),
            lhs=np.array([slope], dtype=object),
            rhs=np.array([LOGISTIC(s) * (1 + LOGISTIC(s))], dtype=object),
            checker=lambda a, b: rationally_equal(a[0], b[0]),
            control=True,
            label=r"\sigma'",
        )
    )
    proofs[-1].seconds = proofs[-2].seconds = (time.perf_counter() - start) / 2
    return proofs


def networks() -> list:
    """The network emitted as code: dense 3-4-1, the logistic sigmoid at both layers."""
    x, W1, b1, W2, b2, t = _network(LOGISTIC)
    loss, _, _ = _loss_of_z1(LOGISTIC, W1.dot(x) + b1, W2, b2, t)
    return [
        with_gradients(
            Network(
                slug="d4_dense",
                source="derivations.d4_dense",
                function="loss_and_gradients",
                summary="The dense 3-4-1 network with the logistic sigmoid at both layers.",
                description=(
                    "z1 = W1 x + b1 (4), a1 = σ(z1), z2 = W2 a1 + b2 (1), ŷ = σ(z2),\n"
                    "L = ½ (ŷ - t)², σ = logistic = 1 / (1 + exp(-s))."
                ),
                convention=NEITHER,
                arguments=[
                    argument("x", x, "input x"),
                    argument("W1", W1, "first weight matrix"),
                    argument("b1", b1, "first bias"),
                    argument("W2", W2, "second weight matrix"),
                    argument("b2", b2, "second bias"),
                    argument("t", t, "target"),
                ],
                loss=loss,
            )
        )
    ]


# The chapter ------------------------------------------------------------------

FIGURES = {
    "network": Pipeline(
        "D4's network: dense 3-4-1 with the sigmoid at both layers",
        stages=(
            Stage("x", (3,), "input"),
            Stage("z¹", (4,)),
            Stage("a¹", (4,)),
            Stage("z²", (), "output"),
            Stage("L", (), "loss"),
        ),
        operations=("W¹x + b¹", "σ", "W²a¹ + b²", "σ, ½(ŷ−t)²"),
    ),
}


def _recursion_chain(sigma: Activation) -> Chain:
    """``δ1 = (W2ᵀ δ2) ⊙ σ'(z1)`` with ``z1`` free, step by step."""
    _, _, _, W2, b2, t = _network(sigma)
    z1, a1 = S.symbols("z^1", (4,)), S.symbols("a^1", (4,))
    loss_z, _, z2 = _loss_of_z1(sigma, z1, W2, b2, t)
    d2 = sp.Symbol("delta^2", real=True)
    z2_free = sp.Symbol("z^2", real=True)
    dz2 = sp.diff(sp.Rational(1, 2) * (sigma(z2_free) - t) ** 2, z2_free).xreplace(
        {z2_free: z2[0]}
    )
    z2_of_a = W2.dot(a1)[0] + b2[0]
    slope = apply_derivative(sigma, z1)
    return Chain(
        key="D4.steps.delta1",
        title="The delta recursion",
        start=r"\delta^1_i = \frac{\partial L}{\partial z^1_i}",
        start_value=gradient(loss_z, z1),
        steps=(
            Step(
                "chain rule through $a^1_i = \\sigma(z^1_i)$ and $z^2$",
                r"\frac{\partial L}{\partial z^2}\,\frac{\partial z^2}{\partial a^1_i}\,"
                r"\sigma'(z^1_i)",
                value=np.array([d2 * z2_of_a.diff(a1[i]) * slope[i] for i in range(4)]),
                bind={d2: dz2},
                conditions=(r"\delta^2 = \partial L/\partial z^2",),
            ),
            Step(
                "$z^2$ is linear in $a^1$: $\\partial z^2/\\partial a^1_i = W^2_{1i}$",
                r"\delta^2\,W^2_{1i}\,\sigma'(z^1_i)",
                value=np.array([d2 * W2[0, i] * slope[i] for i in range(4)]),
            ),
            Step(
                "as vectors",
                r"\bigl((W^2)^\top \delta^2 \odot \sigma'(z^1)\bigr)_i",
                value=W2.T.dot(np.array([d2])) * slope,
            ),
        ),
    )


def _weight_chain(sigma: Activation) -> Chain:
    """``∂L/∂W1 = δ1 xᵀ``, with ``δ1`` bound to SymPy's ``∂L/∂z1``."""
    x, W1, b1, W2, b2, t = _network(sigma)
    z1s = S.symbols("z^1", (4,))
    delta1 = S.symbols("delta^1", (4,))
    z1 = W1.dot(x) + b1
    loss, _, _ = _loss_of_z1(sigma, z1, W2, b2, t)
    loss_z, _, _ = _loss_of_z1(sigma, z1s, W2, b2, t)
    at = dict(zip(z1s, z1, strict=True))
    bind = {d: e.xreplace(at) for d, e in zip(delta1, gradient(loss_z, z1s), strict=True)}
    chain_rule = np.empty((4, 3), dtype=object)
    for i, j in np.ndindex(4, 3):
        chain_rule[i, j] = sum(delta1[k] * z1[k].diff(W1[i, j]) for k in range(4))
    return Chain(
        key="D4.steps.dW1",
        title="The first weight matrix",
        start=r"\frac{\partial L}{\partial W^1_{ij}}",
        start_value=gradient(loss, W1),
        steps=(
            Step(
                "chain rule through every $z^1_k$",
                r"\sum_k \delta^1_k\,\frac{\partial z^1_k}{\partial W^1_{ij}}",
                value=chain_rule,
                bind=bind,
                conditions=(r"\delta^1_k = \partial L/\partial z^1_k",),
            ),
            Step(
                "only $k = i$ survives, with slope $x_j$",
                r"\delta^1_i\,x_j",
                value=np.outer(delta1, x),
                conditions=(r"z^1_k = \textstyle\sum_j W^1_{kj} x_j + b^1_k",),
            ),
            Step(
                "an outer product",
                r"\bigl(\delta^1 x^\top\bigr)_{ij}",
                value=np.array(
                    (sp.Matrix(list(delta1)) * sp.Matrix([list(x)])).tolist(), dtype=object
                ),
            ),
        ),
    )


def _weight_result() -> Result:
    """``∂L/∂W¹ = δ¹ xᵀ`` written out: a 4x3 outer product."""
    x, delta1 = S.symbols("x", (3,)), S.symbols("delta^1", (4,))
    return Result(
        "The first weight matrix",
        "Row $i$ is the hidden unit's $\\delta^1_i$ times the whole input:",
        r"\frac{\partial L}{\partial W^1} = \delta^1 x^\top = " + matrix(np.outer(delta1, x)),
    )


def chapter() -> Chapter:
    """The delta recursion and the weight gradient of a dense network, step by step."""
    sigma = ACTIVATIONS[0]
    return Chapter(
        intro=(
            "No convolution yet: a dense network with three inputs, four hidden units and one "
            "output, the sigmoid $\\sigma$ at both layers (undefined here, so the steps hold "
            "for every activation). It shows the pattern every later layer repeats: the "
            "gradient with respect to a layer's output, $\\delta$, is passed back through the "
            "transposed weights and multiplied by the activation's slope."
        ),
        figure="network",
        forward=(
            r"z^1 &= W^1 x + b^1 && W^1 \in \mathbb{R}^{4\times 3}",
            r"a^1 &= \sigma(z^1)",
            r"z^2 &= W^2 a^1 + b^2 && W^2 \in \mathbb{R}^{1\times 4}",
            r"\hat y &= \sigma(z^2), \qquad L = \tfrac12\,(\hat y - t)^2",
        ),
        chains=(_recursion_chain(sigma), _weight_chain(sigma)),
        results=(_weight_result(),),
        exercises=_exercises(),
        remember=(
            (
                r"The delta recursion: $\delta^l = (W^{l+1})^\top \delta^{l+1} \odot "
                r"\sigma'(z^l)$, transposed weights, then the activation's slope."
            ),
            (
                r"A weight gradient is an outer product: $\partial L/\partial W^l = \delta^l "
                r"(a^{l-1})^\top$, each unit's $\delta$ times the layer's whole input."
            ),
            r"The sigmoid's slope needs only its output, $\sigma' = \sigma(1 - \sigma)$.",
            (
                r"A convolution layer repeats the pattern: its transposed weight matrix $C^\top$ "
                r"is the full convolution with the kernel (D0)."
            ),
        ),
    )


def _exercises() -> tuple[Exercise, ...]:
    s = sp.Symbol("s", real=True)
    sigma = ACTIVATIONS[0]
    x, W1, b1, W2, b2, t = _network(sigma)
    z1 = W1.dot(x) + b1
    loss, _, z2 = _loss_of_z1(sigma, z1, W2, b2, t)
    delta2 = (sigma(z2[0]) - t) * apply_derivative(sigma, z2)
    delta1 = W2.T.dot(delta2) * apply_derivative(sigma, z1)
    return (
        Exercise(
            "For the logistic sigmoid $\\sigma(s) = 1/(1 + e^{-s})$, show "
            "$\\sigma'(s) = \\sigma(s)\\,(1 - \\sigma(s))$: the slope can be computed from "
            "the output alone, as the 11-line network does.",
            "$\\sigma'(s) = e^{-s}/(1 + e^{-s})^2 = \\frac{1}{1 + e^{-s}} \\cdot "
            "\\frac{e^{-s}}{1 + e^{-s}}$, and the second factor is $1 - \\sigma(s)$.",
            check=lambda: rationally_equal(
                sp.diff(LOGISTIC(s), s), LOGISTIC(s) * (1 - LOGISTIC(s))
            ),
        ),
        Exercise(
            "What is $\\partial L/\\partial b^1$?",
            "Each $z^1_i$ depends on $b^1_i$ with slope 1 and on no other bias entry, so "
            "$\\partial L/\\partial b^1 = \\delta^1$: the bias gradient is the layer's "
            "$\\delta$ itself.",
            check=lambda: exactly_equal(gradient(loss, b1), delta1),
        ),
        Exercise(
            "Replace $\\sigma$ by $\\tanh$. What is the slope in terms of the output "
            "$a = \\tanh(s)$?",
            "$\\tanh'(s) = 1 - \\tanh^2(s) = 1 - a^2$.",
            check=lambda: rationally_equal(sp.diff(sp.tanh(s), s), 1 - sp.tanh(s) ** 2),
        ),
    )
