"""Pieces shared by the network cases: the dense head, the loss, and brute-force gradients.

The source articles' networks end the same way: flatten the last feature map (row-major),
a dense layer ``u = Σ_i w_i a_i``, the output ``ŷ = σ(u)`` and the loss
``L = ½ (ŷ - t)²``. Its gradient with respect to ``u`` is
``(σ(u) - t) σ'(u)``, the start of every backward pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from .activations import Activation
from .proof import derivative


@dataclass
class Head:
    """The dense head on a flattened feature map."""

    u: sp.Expr  # the pre-activation of the output
    loss: sp.Expr  # L = ½ (σ(u) - t)²
    dL_du: sp.Expr  # (σ(u) - t) σ'(u), written with σ' as in the closed forms


def dense_head(features: np.ndarray, w: np.ndarray, sigma: Activation, t: sp.Symbol) -> Head:
    """``u = Σ w_i a_i`` over the row-major flattening, ``L = ½ (σ(u) - t)²``."""
    a = list(np.array(features, dtype=object).reshape(-1))
    u = sp.Add(*(wi * ai for wi, ai in zip(w.reshape(-1), a, strict=True)))
    loss = sp.Rational(1, 2) * (sigma(u) - t) ** 2
    return Head(u, loss, (sigma(u) - t) * derivative(sigma.fn, u))


def head_names(head: Head) -> dict:
    """Display names for the output's pre-activation: ``u``, and ``-u`` inside ``e^{-u}``."""
    u = sp.Symbol("u", real=True)
    return {head.u: u, -head.u: -u}


def gradient(loss: sp.Expr, wrt: np.ndarray) -> np.ndarray:
    """Brute force: ``sympy.diff`` of the whole loss with respect to every entry of ``wrt``."""
    wrt = np.array(wrt, dtype=object)
    out = np.empty(wrt.shape, dtype=object)
    for index in np.ndindex(wrt.shape):
        out[index] = sp.diff(loss, wrt[index])
    return out


def names_for(exprs: np.ndarray, names: np.ndarray) -> dict:
    """Display map from subexpressions (e.g. the entries of Z) to their names (``z_11``)."""
    return {
        e: n
        for e, n in zip(
            np.array(exprs, dtype=object).reshape(-1),
            np.array(names, dtype=object).reshape(-1),
            strict=True,
        )
        if isinstance(e, sp.Basic) and not e.is_Atom
    }


def displayer(mapping: dict):
    """A display function replacing known subexpressions by their names (outermost first)."""

    def display(expr: sp.Expr) -> sp.Expr:
        return expr.xreplace(mapping)

    return display
