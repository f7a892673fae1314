"""The derivation chains of one valid cross-correlation layer ``Z = X ⋆ K``, as data.

Every network case has such a layer somewhere; these functions write its two
derivations as :class:`~derivations.chain.Chain` objects in the reader's
names (``δ_ij`` for ``∂L/∂z_ij``), with the value of every line built
independently at the case's sizes, so that each "=" is checked on its own:

* :func:`kernel_gradient` — ``∂L/∂k_ab = Σ δ_ij x_{i+a, j+b} = (X ⋆ δ)_ab``;
* :func:`input_gradient` — ``∂L/∂x_rc = Σ δ_ij k_{r-i, c-j}`` (the scatter of
  δ), the substitution ``a = r - i`` that turns it into a sliding window, and
  ``a' = k_h - 1 - a``, where the kernel rotates: ``pad(δ) ⋆ rot180(K)``.

Indices in these sums start at 0, as on the notation page; the symbols
themselves are named from 1 (``x_11`` is the top-left entry).

``start`` is the brute-force gradient (``sympy.diff`` of the whole loss) and
``bind`` maps each ``δ_ij`` to ``∂L/∂z_ij`` as SymPy differentiates it: the
first step (the chain rule) is checked with ``δ`` replaced by it; every later
step holds with ``δ`` left free, that is for every upstream gradient.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import symbolic as S
from .chain import Chain, Step


def _sum(terms) -> object:
    return S.total(list(terms))


def _at(a: np.ndarray, i: int, j: int):
    """``a[i, j]``, or 0 outside the array (what padding means)."""
    h, w = a.shape
    return a[i, j] if 0 <= i < h and 0 <= j < w else 0


def _array(shape, entry) -> np.ndarray:
    out = np.empty(shape, dtype=object)
    for index in np.ndindex(shape):
        out[index] = entry(*index)
    return out


def _chain_rule(Z, wrt, delta) -> np.ndarray:
    """``Σ_ij δ_ij ∂z_ij/∂v`` for every entry ``v`` of ``wrt``."""
    return _array(
        wrt.shape,
        lambda *v: _sum(delta[ij] * Z[ij].diff(wrt[v]) for ij in np.ndindex(Z.shape)),
    )


@dataclass(frozen=True)
class Names:
    """LaTeX names of the layer's quantities: entries (``x``, ``k``, ``z``, ``d`` for δ) and
    arrays (``X``, ``K``, ``D`` for δ)."""

    x: str = "x"
    k: str = "k"
    z: str = "z"
    d: str = r"\delta"
    X: str = "X"
    K: str = "K"
    D: str = r"\delta"
    P: str = r"\tilde\delta"  # the padded δ, entry by entry


def kernel_gradient(key: str, X, K, delta, start, bind, names=Names(), title: str = "") -> Chain:
    """``∂L/∂K = X ⋆ δ`` for ``Z = X ⋆ K`` (valid), step by step."""
    x, k, z, d, Xn, Kn, Dn = (names.x, names.k, names.z, names.d, names.X, names.K, names.D)
    oh, ow = delta.shape
    kh, kw = K.shape
    Z = S.correlate2d(X, K, "valid")
    written = _array(
        delta.shape,
        lambda i, j: _sum(X[i + p, j + q] * K[p, q] for p in range(kh) for q in range(kw)),
    )
    steps = (
        Step(
            f"chain rule through every ${z}_{{ij}}$",
            rf"\sum_{{i,j}} {d}_{{ij}}\,\frac{{\partial {z}_{{ij}}}}{{\partial {k}_{{ab}}}}",
            value=_chain_rule(Z, K, delta),
            bind=bind,
            conditions=(rf"{d}_{{ij}} = \partial L / \partial {z}_{{ij}}",),
            note=(
                f"$L$ depends on ${k}_{{ab}}$ only through the {oh * ow} outputs ${z}_{{ij}}$; "
                f"this step is checked with ${d}_{{ij}}$ replaced by SymPy's own "
                f"$\\partial L/\\partial {z}_{{ij}}$, the later ones with ${Dn}$ left free."
            ),
        ),
        Step(
            "write out the forward pass",
            rf"\sum_{{i,j}} {d}_{{ij}}\,\frac{{\partial}}{{\partial {k}_{{ab}}}}"
            rf"\sum_{{p,q}} {x}_{{i+p,\,j+q}}\,{k}_{{pq}}",
            value=_chain_rule(written, K, delta),
        ),
        Step(
            "only the term $p = a,\\ q = b$ survives",
            rf"\sum_{{i,j}} {d}_{{ij}}\,{x}_{{i+a,\,j+b}}",
            value=_array(
                K.shape,
                lambda a, b: _sum(
                    delta[i, j] * X[i + a, j + b] for i in range(oh) for j in range(ow)
                ),
            ),
            conditions=(rf"\partial {k}_{{pq}} / \partial {k}_{{ab}} = [p = a]\,[q = b]",),
        ),
        Step(
            f"recognise a correlation of ${Xn}$ with ${Dn}$",
            rf"({Xn} \star {Dn})_{{ab}}",
            value=S.correlate2d(X, delta, "valid"),
            note=f"The kernel gradient slides ${Dn}$ over ${Xn}$, as the layer slides ${Kn}$.",
        ),
    )
    return Chain(
        key=key,
        title=title or "The kernel gradient",
        start=rf"\frac{{\partial L}}{{\partial {k}_{{ab}}}}",
        start_value=start,
        steps=steps,
    )


def input_gradient(key: str, X, K, delta, start, bind, names=Names(), title: str = "") -> Chain:
    """``∂L/∂X = pad(δ) ⋆ rot180(K)`` for ``Z = X ⋆ K`` (valid), step by step."""
    x, k, z, d, Kn, Dn, P = (names.x, names.k, names.z, names.d, names.K, names.D, names.P)
    oh, ow = delta.shape
    kh, kw = K.shape
    Z = S.correlate2d(X, K, "valid")
    ph, pw = kh - 1, kw - 1
    padded = S.pad2d(delta, (ph, pw))

    def scatter(r, c):
        return _sum(
            delta[i, j] * K[r - i, c - j]
            for i in range(oh)
            for j in range(ow)
            if 0 <= r - i < kh and 0 <= c - j < kw
        )

    def window(r, c):
        return _sum(K[a, b] * _at(delta, r - a, c - b) for a in range(kh) for b in range(kw))

    def padded_window(r, c):
        return _sum(K[a, b] * padded[r + ph - a, c + pw - b] for a in range(kh) for b in range(kw))

    def rotated(r, c):
        return _sum(padded[r + a, c + b] * K[ph - a, pw - b] for a in range(kh) for b in range(kw))

    shape = X.shape
    steps = (
        Step(
            f"chain rule through every ${z}_{{ij}}$",
            rf"\sum_{{i,j}} {d}_{{ij}}\,\frac{{\partial {z}_{{ij}}}}{{\partial {x}_{{rc}}}}",
            value=_chain_rule(Z, X, delta),
            bind=bind,
            conditions=(rf"{d}_{{ij}} = \partial L / \partial {z}_{{ij}}",),
        ),
        Step(
            f"only the tap $p = r - i,\\ q = c - j$ survives: ${Dn}$ is scattered",
            rf"\sum_{{i,j}} {d}_{{ij}}\,{k}_{{r-i,\,c-j}}",
            value=_array(shape, scatter),
            conditions=(rf"0 \le r - i \le {ph}", rf"0 \le c - j \le {pw}"),
            note=(
                f"Each output ${z}_{{ij}}$ touched the inputs under its window, so each "
                f"${d}_{{ij}}$ is sent back to those inputs, weighted by the kernel tap "
                f"that touched them: a scatter, written from the point of view of ${Dn}$."
            ),
        ),
        Step(
            "substitute $a = r - i,\\ b = c - j$: a sliding window",
            rf"\sum_{{a,b}} {k}_{{ab}}\,{d}_{{r-a,\,c-b}}",
            value=_array(shape, window),
            conditions=(
                rf"{d}_{{ij}} = 0 \ \ (i \notin [0, {oh - 1}] \lor j \notin [0, {ow - 1}])",
            ),
            note=(
                f"The same sum, written from the point of view of the input ${x}_{{rc}}$: it "
                f"now runs over the kernel's taps $a, b$, and ${Dn}$ is read at $r - a$, which "
                f"walks backwards as $a$ grows. Entries of ${Dn}$ outside its range are zero."
            ),
        ),
        Step(
            f"pad ${Dn}$ by {ph} (the kernel size − 1)",
            rf"\sum_{{a,b}} {k}_{{ab}}\,{P}_{{r+{ph}-a,\;c+{pw}-b}}",
            value=_array(shape, padded_window),
            conditions=(rf"{P} = \operatorname{{pad}}_{{{ph}}}({Dn})",),
        ),
        Step(
            f"substitute $a' = {ph} - a,\\ b' = {pw} - b$: the kernel rotates",
            rf"\sum_{{a',b'}} {P}_{{r+a',\,c+b'}}\,{k}_{{{ph}-a',\,{pw}-b'}}",
            value=_array(shape, rotated),
            note=(
                f"Now ${P}$ is read forwards, as an input is under a sliding "
                f"window, and the kernel is read backwards, ${k}_{{{ph}-a',\\,{pw}-b'}}$: "
                f"this is $\\mathrm{{rot180}}({Kn})$."
            ),
        ),
        Step(
            f"recognise a correlation with $\\mathrm{{rot180}}({Kn})$",
            rf"\bigl(\operatorname{{pad}}_{{{ph}}}({Dn}) \star \mathrm{{rot180}}({Kn})"
            r"\bigr)_{rc}",
            value=S.correlate2d(padded, S.rot180(K), "valid"),
        ),
    )
    return Chain(
        key=key,
        title=title or "The input gradient: where the kernel rotates",
        start=rf"\frac{{\partial L}}{{\partial {x}_{{rc}}}}",
        start_value=start,
        steps=steps,
    )


def delta_binding(delta, dL_dZ) -> dict:
    """``{δ_ij: ∂L/∂z_ij}``: what the chain rule step reads ``δ`` as."""
    return {
        d: v
        for d, v in zip(
            np.array(delta).reshape(-1), np.array(dL_dZ, dtype=object).reshape(-1), strict=True
        )
    }
