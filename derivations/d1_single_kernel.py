"""D1 — seed 000's network: one 2x2 kernel on a 3x3 input, a dense layer, a sigmoid.

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
from .emit import Network, argument, with_gradients
from .network import dense_head, displayer, gradient, head_names, names_for
from .proof import (
    CONVOLUTION,
    CORRELATION,
    Proof,
    finish_batch,
    prove,
)
from .sources import SEO_CNN

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


def run() -> list[Proof]:
    proofs: list[Proof] = []
    for convention in (CORRELATION, CONVOLUTION):
        tag = "corr" if convention == CORRELATION else "conv"
        for f, sigma in ACTIVATIONS:
            start = time.perf_counter()
            X, K, w, Z, head, delta, display = _network(convention, f, sigma)
            generic = is_abstract(f.fn)
            acts = describe(f=f, σ=sigma)
            common = dict(case=CASE, convention=convention, activations=acts, display=display)
            suffix = "" if generic else f".{f.name}-{sigma.name}"
            dK = gradient(head.loss, K)
            dX = gradient(head.loss, X)
            dw = gradient(head.loss, w)
            if convention == CORRELATION:
                dK_closed, dK_tex = S.correlate2d(X, delta, "valid"), r"X \star \delta"
                dX_closed = S.convolve2d(delta, K, "full")
                dX_tex = (
                    r"\delta * K = \operatorname{pad}_1(\delta) \star \operatorname{rot180}(K)"
                )
            else:
                dK_closed = S.rot180(S.correlate2d(X, delta, "valid"))
                dK_tex = r"\operatorname{rot180}(X \star \delta)"
                dX_closed, dX_tex = S.correlate2d(delta, K, "full"), r"\delta \star K \ (full)"
            dZ, delta_closed, z_display = delta_with_free_z(f, sigma)
            batch = [
                prove(
                    key=f"D1.{tag}.delta{suffix}",
                    title="δ = ∂L/∂Z (Z as free symbols)",
                    statement=(
                        r"\delta = \frac{\partial L}{\partial Z} = "
                        r"(\sigma(u) - t)\,\sigma'(u)\; w \odot f'(Z)"
                    ),
                    lhs=dZ,
                    rhs=delta_closed,
                    label=r"\partial L/\partial z",
                    **dict(common, display=z_display),
                ),
                prove(
                    key=f"D1.{tag}.dK{suffix}",
                    title="Kernel gradient",
                    statement=rf"\frac{{\partial L}}{{\partial K}} = {dK_tex}",
                    lhs=dK,
                    rhs=dK_closed,
                    label=r"\partial L/\partial k",
                    **common,
                ),
                prove(
                    key=f"D1.{tag}.dX{suffix}",
                    title="Input gradient",
                    statement=rf"\frac{{\partial L}}{{\partial X}} = {dX_tex}",
                    lhs=dX,
                    rhs=dX_closed,
                    label=r"\partial L/\partial x",
                    **common,
                ),
                prove(
                    key=f"D1.{tag}.dw{suffix}",
                    title="Dense weight gradient",
                    statement=(
                        r"\frac{\partial L}{\partial w_i} = (\sigma(u) - t)\,\sigma'(u)\,a_i"
                    ),
                    lhs=dw,
                    rhs=head.dL_du * apply(f, Z).reshape(-1),
                    label=r"\partial L/\partial w",
                    **common,
                ),
            ]
            if generic:
                batch += _controls(tag, X, K, delta, dK, dX, dK_closed, common)
            proofs += finish_batch(batch, start, generic)
    return proofs


def _controls(tag, X, K, delta, dK, dX, dK_closed, common) -> list[Proof]:
    """Plausible wrong formulas; each must be rejected by the same checker."""
    controls = []
    if tag == "corr":
        controls.append(
            prove(
                key="D1.corr.dX.control-no-rot180",
                title="Control: input gradient without rot180",
                statement=r"\frac{\partial L}{\partial X} = \operatorname{pad}_1(\delta) \star K",
                lhs=dX,
                rhs=S.correlate2d(delta, K, "full"),
                control=True,
                label=r"\partial L/\partial x",
                **common,
            )
        )
        shifted = S.pad2d(delta, (0, 2, 0, 2))
        controls.append(
            prove(
                key="D1.corr.dX.control-pad-one-too-few",
                title="Control: δ padded one too few at the top and left",
                statement=(
                    r"\frac{\partial L}{\partial X} = \operatorname{pad}_{(0,2,0,2)}(\delta)"
                    r" \star \operatorname{rot180}(K)"
                ),
                lhs=dX,
                rhs=S.correlate2d(shifted, S.rot180(K), "valid"),
                control=True,
                label=r"\partial L/\partial x",
                **common,
            )
        )
    else:
        controls.append(
            prove(
                key="D1.conv.dK.control-not-rotated-back",
                title="Control: the kernel gradient before seed 000's correction",
                statement=r"\frac{\partial L}{\partial K} = X \star \delta",
                lhs=dK,
                rhs=S.correlate2d(X, delta, "valid"),
                control=True,
                label=r"\partial L/\partial k",
                **common,
            )
        )
        controls.append(
            prove(
                key="D1.conv.dX.control-rot180",
                title="Control: input gradient with a rot180 this convention does not have",
                statement=r"\frac{\partial L}{\partial X} = \delta * K \ (full)",
                lhs=dX,
                rhs=S.convolve2d(delta, K, "full"),
                control=True,
                label=r"\partial L/\partial x",
                **common,
            )
        )
    controls.append(
        prove(
            key=f"D1.{tag}.dK.control-transposed",
            title="Control: the kernel gradient transposed",
            statement=r"\frac{\partial L}{\partial K} = \left(\text{closed form}\right)^\top",
            lhs=dK,
            rhs=np.array(dK_closed).T,
            control=True,
            label=r"\partial L/\partial k",
            **common,
        )
    )
    return controls


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
