"""Proof records and the exact checker every case uses.

A statement "``lhs == rhs`` entry by entry" is decided by :func:`exactly_equal`:

* SymPy entries: ``expand(a - b) == 0`` after :func:`canonical` has written
  every derivative of an undefined activation the same way on both sides
  (SymPy's chain rule produces ``Subs(Derivative(f(ξ), ξ), ξ, z)`` with a fresh
  dummy ``ξ``; the closed forms use ``f'(z)``, an undefined function named
  after ``f``) and :func:`freeze` has replaced each activation applied to its
  argument by one symbol (like with like: both sides then speak of the same
  atoms). ``simplify`` never decides anything: it is slow and its answer
  depends on heuristics.
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
    if hasattr(fn, "derivative_function"):  # an abstract activation (derivations.activations)
        return fn.derivative_function(arg)
    if isinstance(fn, sp.core.function.UndefinedFunction):
        return prime(fn)(arg)
    s = sp.Dummy("s", real=True)
    return sp.diff(fn(s), s).xreplace({s: arg})


def _undefined_first_derivative(e) -> tuple | None:
    """``(f, point)`` when ``e`` is SymPy's first derivative of an undefined ``f`` at ``point``."""
    if isinstance(e, sp.Subs):
        d = e.expr
        if (
            isinstance(d, sp.Derivative)
            and len(d.variable_count) == 1
            and d.variable_count[0][1] == 1
            and isinstance(d.expr.func, sp.core.function.UndefinedFunction)
            and d.expr.args == (d.variable_count[0][0],)
            and e.variables == (d.variable_count[0][0],)
        ):
            return d.expr.func, e.point[0]
    if (
        isinstance(e, sp.Derivative)
        and len(e.variable_count) == 1
        and e.variable_count[0][1] == 1
        and isinstance(e.expr.func, sp.core.function.UndefinedFunction)
        and e.expr.args == (e.variable_count[0][0],)
    ):
        return e.expr.func, e.variable_count[0][0]
    return None


def canonical(expr):
    """Rewrite SymPy's derivatives of undefined functions as ``f'(argument)``.

    ``Subs(Derivative(f(ξ), ξ), ξ, z)`` (what the chain rule produces for a
    composite argument) and ``Derivative(f(s), s)`` both become ``f'(z)``.
    """
    if not isinstance(expr, sp.Basic):
        return expr
    memo: dict = {}

    def walk(e):
        if not e.args:
            return e
        if e in memo:
            return memo[e]
        found = _undefined_first_derivative(e)
        if found is not None:
            fn, point = found
            out = prime(fn)(walk(point))
        else:
            args = tuple(walk(a) for a in e.args)
            out = e if args == e.args else e.func(*args)
        memo[e] = out
        return out

    return walk(expr)


def freeze(expr: sp.Expr) -> sp.Expr:
    """Replace every outermost non-polynomial piece by a symbol: like with like.

    Function applications (``f(z)``, ``f'(z)``, ``tanh(z)``, ``exp(-u)``...)
    and powers with a negative or fractional exponent (``1/(1 + z²)``, the
    derivative of arctan) become one symbol each, the same symbol for the same
    piece. The result is a polynomial in the original symbols and the new
    ones; if it expands to zero, so does ``expr``. (The converse can fail,
    which could only make a true statement fail to be proven, never make a
    wrong one pass.) This keeps ``expand`` from multiplying out
    ``(1 + z²)^{-1}`` and the arguments of the activations, which on D2 with
    concrete activations takes minutes.
    """
    mapping: dict[sp.Expr, sp.Symbol] = {}

    def walk(e):
        opaque = isinstance(e, sp.Function | sp.Subs | sp.Derivative) or (
            e.is_Pow and not (e.exp.is_Integer and e.exp > 0)
        )
        if opaque:
            if e not in mapping:
                mapping[e] = sp.Symbol(f"_atom{len(mapping)}")
            return mapping[e]
        if not e.args:
            return e
        return e.func(*(walk(a) for a in e.args))

    return walk(expr)


def _entries(a) -> tuple[tuple[int, ...], list]:
    arr = np.array(a, dtype=object)
    return arr.shape, list(arr.reshape(-1))


def entries_equal(a, b) -> bool:
    """One entry: exact equality of two SymPy expressions, polynomials or numbers."""
    if isinstance(a, Poly) or isinstance(b, Poly):
        return Poly.total([a]) == Poly.total([b])
    return sp.expand(freeze(canonical(sp.sympify(a)) - canonical(sp.sympify(b)))) == 0


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
    # How many entries the Markdown page shows (None: all); the JSON record has all.
    page_entries: int | None = None
    # Statements about symbolic sizes: the symbols they hold for, the conditions they used.
    holds_for: list[str] | None = None
    side_conditions: list[str] | None = None

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
            "control": self.control,
            "holds": self.holds,
            "verdict": self.verdict,
        }
        if self.holds_for is not None:
            data["holds_for"] = self.holds_for
        if self.side_conditions is not None:
            data["side_conditions"] = self.side_conditions
        if self.details:
            data["details"] = self.details
        if self.entries:
            data["entries"] = [
                {"entry": e.label, "lhs": e.lhs, "rhs": e.rhs} for e in self.entries
            ]
        return data


# Pages show this many entries of a proof with concrete activations (long expressions);
# the JSON records keep every entry.
SPECIALISATION_PAGE_ENTRIES = 3

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
    labels: list[str] | None = None,
    display: Callable | None = None,
    record_entries: bool = True,
    checker: Callable = exactly_equal,
) -> Proof:
    """Decide ``lhs == rhs`` with ``checker`` and record it, entry by entry.

    A statement records every entry. A negative control records the entry
    that refutes it (the first one that differs), or every entry if the
    checker wrongly accepted it; with the default checker it stops at that
    first difference.
    """
    start = time.perf_counter()
    shape, left = _entries(lhs)
    shape_r, right = _entries(rhs)
    if labels is None:
        labels = index_labels(label, shape) if label else [""] * len(left)
    witness = None
    if control and checker is exactly_equal and shape == shape_r:
        for n, (a, b) in enumerate(zip(left, right, strict=True)):
            if not entries_equal(a, b):
                witness = n
                break
        holds = witness is None
    else:
        holds = bool(checker(lhs, rhs))
    seconds = time.perf_counter() - start
    entries = []
    if record_entries:
        if shape_r != shape:
            entries.append(
                Entry("shape", f"{shape}".replace(",)", ")"), f"{shape_r}".replace(",)", ")"))
            )
        else:
            chosen = range(len(left)) if witness is None else [witness]
            for n in chosen:
                entries.append(Entry(labels[n], latex(left[n], display), latex(right[n], display)))
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


def finish_batch(batch: list[Proof], start: float, generic: bool) -> list[Proof]:
    """Share the batch's time among its proofs; shorten the pages of specialisations.

    ``start`` is the ``time.perf_counter()`` reading taken before the batch
    was built; ``generic`` says whether the activations were undefined
    functions (full pages) or concrete ones (the first few entries on the page).
    """
    elapsed = time.perf_counter() - start
    for p in batch:
        p.seconds = elapsed / len(batch)
        if not generic:
            p.page_entries = SPECIALISATION_PAGE_ENTRIES
    return batch
