"""Proof records and the exact checker every case uses.

A statement "``lhs == rhs`` entry by entry" is decided by :func:`exactly_equal`:

* SymPy entries: ``expand(a - b) == 0`` after :func:`canonical` has written
  every derivative of an undefined activation the same way on both sides
  (SymPy's chain rule produces ``Subs(Derivative(f(ξ), ξ), ξ, z)`` with a fresh
  dummy ``ξ``; the closed forms use ``f'(z)``, an undefined function named
  after ``f``). ``simplify`` never decides anything: it is slow and its
  answer depends on heuristics.
* :class:`~derivations.polynomial.Poly` entries: coefficient comparison.

The same checker runs the negative controls (plausible wrong formulas). A
control is *supposed* to be rejected; a record is :attr:`Proof.ok` when a
statement holds or a control is rejected.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from .polynomial import Poly

CORRELATION = "cross-correlation"
CONVOLUTION = "true convolution"
NEITHER = "none (no convolution)"


def prime(fn) -> sp.FunctionClass:
    """The derivative of an undefined function ``f`` as an undefined function ``f'``."""
    return sp.Function(f"{fn.__name__}'", real=True)


def derivative(fn, arg: sp.Expr) -> sp.Expr:
    """``fn'(arg)``: :func:`prime` for an undefined function, SymPy's own derivative otherwise.

    ``fn`` is an undefined :class:`sympy.Function` or a callable building a
    concrete expression (``sympy.tanh``, a logistic sigmoid...). For a
    concrete one the derivative is SymPy's own, evaluated at ``arg``, so that
    both sides of a comparison write it the same way.
    """
    if isinstance(fn, sp.core.function.UndefinedFunction):
        return prime(fn)(arg)
    s = sp.Dummy("s", real=True)
    return sp.diff(fn(s), s).xreplace({s: arg})


def canonical(expr):
    """Rewrite SymPy's derivatives of undefined functions as ``f'(argument)``."""
    if not isinstance(expr, sp.Basic):
        return expr

    def is_subs(e) -> bool:
        if isinstance(e, sp.Subs):
            d = e.expr
            return (
                isinstance(d, sp.Derivative)
                and len(d.variable_count) == 1
                and d.variable_count[0][1] == 1
                and isinstance(d.expr.func, sp.core.function.UndefinedFunction)
                and d.expr.args == (d.variable_count[0][0],)
                and len(e.variables) == 1
                and e.variables[0] == d.variable_count[0][0]
            )
        return False

    def is_derivative(e) -> bool:
        if isinstance(e, sp.Derivative):
            return (
                len(e.variable_count) == 1
                and e.variable_count[0][1] == 1
                and isinstance(e.expr.func, sp.core.function.UndefinedFunction)
                and e.expr.args == (e.variable_count[0][0],)
            )
        return False

    # Subs first: its inner Derivative(f(ξ), ξ) must not be rewritten on its own.
    expr = expr.replace(is_subs, lambda e: prime(e.expr.expr.func)(e.point[0]))
    return expr.replace(is_derivative, lambda e: prime(e.expr.func)(e.variable_count[0][0]))


def _entries(a) -> tuple[tuple[int, ...], list]:
    arr = np.array(a, dtype=object)
    return arr.shape, list(arr.reshape(-1))


def entries_equal(a, b) -> bool:
    """One entry: exact equality of two SymPy expressions, polynomials or numbers."""
    if isinstance(a, Poly) or isinstance(b, Poly):
        return Poly.total([a]) == Poly.total([b])
    return sp.expand(canonical(sp.sympify(a)) - canonical(sp.sympify(b))) == 0


def exactly_equal(lhs, rhs) -> bool:
    """Same shape and every entry equal (:func:`entries_equal`); no sampling, no ``simplify``."""
    shape_l, left = _entries(lhs)
    shape_r, right = _entries(rhs)
    if shape_l != shape_r:
        return False
    return all(entries_equal(a, b) for a, b in zip(left, right, strict=True))


def rationally_equal(a: sp.Expr, b: sp.Expr) -> bool:
    """Equality of two rational expressions: ``together(a - b)``, then expand the numerator.

    Used for identities such as ``σ' = σ(1 - σ)`` whose two sides are
    different fractions of the same atoms; ``together`` only brings the
    difference over a common denominator, so the decision is still
    ``expand(numerator) == 0``.
    """
    numerator, _ = sp.fraction(sp.together(canonical(a) - canonical(b)))
    return sp.expand(numerator) == 0


@dataclass
class Entry:
    """One entry of a statement: a label and the LaTeX of both sides."""

    label: str
    lhs: str
    rhs: str


@dataclass
class Proof:
    """The record of one statement (or one negative control) and its verdict."""

    case: str
    key: str
    title: str
    statement: str
    convention: str
    method: str
    activations: str = ""
    control: bool = False
    holds: bool = False
    seconds: float = 0.0
    entries: list[Entry] = field(default_factory=list)
    details: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """A statement that holds, or a control that is rejected."""
        return self.holds != self.control

    @property
    def verdict(self) -> str:
        if self.control:
            return "rejected (as it should be)" if not self.holds else "ACCEPTED: checker failed"
        return "proven" if self.holds else "NOT PROVEN"

    def to_json(self) -> dict:
        """Everything but the timing (committed files must not change between runs)."""
        data = {
            "case": self.case,
            "key": self.key,
            "title": self.title,
            "statement": self.statement,
            "convention": self.convention,
            "method": self.method,
            "activations": self.activations,
            "negative_control": self.control,
            "holds": self.holds,
            "verdict": self.verdict,
        }
        if self.details:
            data["details"] = self.details
        if self.entries:
            data["entries"] = [
                {"entry": e.label, "lhs": e.lhs, "rhs": e.rhs} for e in self.entries
            ]
        return data


METHOD_EXPAND = "sympy.diff of the whole loss; expand(lhs - rhs) == 0 entry by entry"
METHOD_LEMMA = "expand(lhs - rhs) == 0 entry by entry"
METHOD_POLY = (
    "loss as an exact sparse polynomial; term-by-term partial derivatives; "
    "coefficient comparison entry by entry"
)


def index_labels(name: str, shape: tuple[int, ...]) -> list[str]:
    """LaTeX labels ``name_{11}``... for the entries of an array, 1-based."""
    labels = []
    for index in itertools.product(*(range(n) for n in shape)):
        labels.append(f"{name}_{{{''.join(str(i + 1) for i in index)}}}")
    return labels


_GREEK = {"sigma", "phi", "psi", "rho", "tau"}


def _prime_name(match: re.Match) -> str:
    name = match.group(1)
    return f"\\{name}'" if name in _GREEK else f"{name}'"


def latex(expr, display: Callable | None = None) -> str:
    """LaTeX of one entry, after the optional display substitution (names for subexpressions)."""
    if isinstance(expr, Poly):
        expr = expr.to_sympy()
    expr = canonical(sp.sympify(expr))
    if display is not None:
        expr = display(expr)
    return re.sub(r"\\operatorname\{([A-Za-z]+)'\}", _prime_name, sp.latex(expr))


def prove(
    *,
    case: str,
    key: str,
    title: str,
    statement: str,
    convention: str,
    lhs,
    rhs,
    method: str = METHOD_EXPAND,
    activations: str = "",
    control: bool = False,
    label: str = "",
    display: Callable | None = None,
    record_entries: bool = True,
    checker: Callable = exactly_equal,
) -> Proof:
    """Decide ``lhs == rhs`` with ``checker`` and record it, entry by entry."""
    start = time.perf_counter()
    holds = bool(checker(lhs, rhs))
    seconds = time.perf_counter() - start
    entries = []
    if record_entries:
        shape, left = _entries(lhs)
        shape_r, right = _entries(rhs)
        labels = index_labels(label, shape) if label else [""] * len(left)
        if shape_r == shape:
            for lab, a, b in zip(labels, left, right, strict=True):
                entries.append(Entry(lab, latex(a, display), latex(b, display)))
        else:
            entries.append(
                Entry("shape", f"{shape}".replace(",)", ")"), f"{shape_r}".replace(",)", ")"))
            )
    return Proof(
        case=case,
        key=key,
        title=title,
        statement=statement,
        convention=convention,
        method=method,
        activations=activations,
        control=control,
        holds=holds,
        seconds=seconds,
        entries=entries,
    )
