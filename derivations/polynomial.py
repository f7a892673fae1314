"""Sparse polynomials with exact coefficients: the fast arithmetic of the linear proofs.

A convolution layer is linear in its input and in its weight, so the loss
``L = Σ G ⊙ conv2d(x, w)`` is a polynomial of degree three in the entries of
``G``, ``w`` and ``x``. Building that polynomial with SymPy expressions and
calling ``sympy.diff`` on it is exact but slow (seconds per configuration).
:class:`Poly` stores the same polynomial as a dictionary from monomials
(sorted tuples of variable names, with repetition for powers) to exact
coefficients (``int`` or ``fractions.Fraction``), so that

* the symbolic toolkit (:mod:`derivations.symbolic`) runs unchanged on arrays
  of :class:`Poly` instead of arrays of SymPy expressions;
* :meth:`Poly.gradient` differentiates term by term (the power rule on each
  monomial), which is the definition of the partial derivative of a
  polynomial;
* two polynomials are equal exactly when their coefficient dictionaries are
  equal (coefficient comparison, no sampling).

:meth:`Poly.to_sympy` converts back, so tests can check this arithmetic
against ``sympy.diff`` on small cases.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from fractions import Fraction

import sympy as sp

Number = int | Fraction


class Poly:
    """A polynomial: ``{monomial: coefficient}``, a monomial being a sorted tuple of names."""

    __slots__ = ("terms",)

    def __init__(self, terms: dict[tuple[str, ...], Number] | None = None):
        self.terms = {m: c for m, c in (terms or {}).items() if c != 0}

    @classmethod
    def variable(cls, name: str) -> Poly:
        return cls({(name,): 1})

    @classmethod
    def constant(cls, value: Number) -> Poly:
        return cls({(): value})

    @staticmethod
    def total(items: Iterable) -> Poly:
        """Sum of polynomials and numbers, accumulated in place (linear time)."""
        acc: dict[tuple[str, ...], Number] = {}
        for item in items:
            if isinstance(item, Poly):
                for m, c in item.terms.items():
                    acc[m] = acc.get(m, 0) + c
            elif item != 0:
                acc[()] = acc.get((), 0) + item
        return Poly(acc)

    @staticmethod
    def inner(a, b) -> Poly:
        """``⟨a, b⟩ = Σ a_i b_i`` of two arrays of the same size (entries: polynomials, numbers).

        The loss ``L = Σ δ ⊙ y`` of a layer's output ``y`` for an upstream gradient
        ``δ`` of variables, and either side of an adjoint identity.
        """
        return Poly.total(u * v for u, v in zip(a.reshape(-1), b.reshape(-1), strict=True))

    # arithmetic ---------------------------------------------------------
    def __add__(self, other) -> Poly:
        return Poly.total((self, other))

    __radd__ = __add__

    def __neg__(self) -> Poly:
        return Poly({m: -c for m, c in self.terms.items()})

    def __sub__(self, other) -> Poly:
        return Poly.total((self, -other))

    def __rsub__(self, other) -> Poly:
        return Poly.total((other, -self))

    def __mul__(self, other) -> Poly:
        if not isinstance(other, Poly):
            if other == 0:
                return Poly()
            return Poly({m: c * other for m, c in self.terms.items()})
        acc: dict[tuple[str, ...], Number] = {}
        for m1, c1 in self.terms.items():
            for m2, c2 in other.terms.items():
                m = tuple(sorted(m1 + m2))
                acc[m] = acc.get(m, 0) + c1 * c2
        return Poly(acc)

    __rmul__ = __mul__

    def __truediv__(self, other: Number) -> Poly:
        return self * (Fraction(1) / Fraction(other))

    # comparison ---------------------------------------------------------
    def __eq__(self, other) -> bool:
        if not isinstance(other, Poly):
            other = Poly.constant(other) if other != 0 else Poly()
        return self.terms == other.terms

    __hash__ = None  # mutable-looking container semantics: not hashable

    # calculus -----------------------------------------------------------
    def gradient(self) -> dict[str, Poly]:
        """Every first partial derivative at once: ``{name: ∂self/∂name}``.

        For each monomial ``c · v1^e1 · v2^e2 ···`` and each of its variables
        ``vi``, add ``c · ei · (monomial with one vi removed)`` to the
        derivative with respect to ``vi``. Variables that do not occur have a
        zero derivative and are absent from the result.
        """
        acc: dict[str, dict[tuple[str, ...], Number]] = {}
        for m, c in self.terms.items():
            for name, power in Counter(m).items():
                i = m.index(name)
                rest = m[:i] + m[i + 1 :]
                d = acc.setdefault(name, {})
                d[rest] = d.get(rest, 0) + c * power
        return {name: Poly(d) for name, d in acc.items()}

    def diff(self, name: str) -> Poly:
        """The partial derivative with respect to one variable."""
        return self.gradient().get(name, Poly())

    # conversion ---------------------------------------------------------
    def to_sympy(self, symbols: dict[str, sp.Symbol] | None = None) -> sp.Expr:
        """The same polynomial as a SymPy expression over real symbols of the same names."""
        symbols = symbols or {}

        def sym(name: str) -> sp.Symbol:
            return symbols.get(name) or sp.Symbol(name, real=True)

        return sp.Add(
            *(sp.Rational(c) * sp.Mul(*(sym(v) for v in m)) for m, c in sorted(self.terms.items()))
        )

    def __repr__(self) -> str:
        return f"Poly({self.to_sympy()})"
