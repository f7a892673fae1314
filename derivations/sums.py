"""Sums with symbolic limits, in one canonical form: the engine of the general theorem (D6).

A :class:`Sum` is a sum of :class:`Term` s. A term is

.. math::

    \\sum_{v_1 < U_1} \\cdots \\sum_{v_m < U_m} c \\cdot
    \\prod [e_k = 0] \\cdot \\prod [0 \\le u_l < B_l]

with bound variables running over ``[0, U)`` (``U`` a symbolic size), a
coefficient ``c`` (a product of :class:`sympy.Indexed` entries and numbers),
Kronecker deltas ``[e = 0]`` on integer-valued linear forms, and range
indicators ``[0 <= u < B]``. Padding is such an indicator on the input's
index, never a limit of a sum.

:func:`canonical` rewrites a sum only by equivalences that hold for every
value of the symbols, and writes down the condition each rewrite needs:

* **delta summed out**: a delta ``[e = 0]`` in which a bound variable ``v``
  has coefficient ``+-1`` fixes ``v``; the sum over ``v`` disappears and the
  range of ``v`` stays behind as an indicator ``[0 <= v* < U]``. A variable
  whose coefficient is anything else (a symbolic stride ``s``) is never
  solved for: ``Σ_i g[i] [m = s·i]`` is *not* ``g[m/s]`` (at ``m = 3``,
  ``s = 2`` the sum is 0), so such a delta stays in the form;
* **group split**: ``[A·C + B = 0]`` becomes ``[A = 0][B = 0]`` when
  ``-C < B < C`` holds on the ranges (division with remainder is unique);
* **indicator discharged**: ``[0 <= u < B]`` is dropped when interval
  reasoning shows ``0 <= u <= B - 1`` on the ranges (also modulo a delta of
  the same term); a term whose delta or indicator can never hold is dropped;
* deltas are normalised to one sign of ``expand(e)``.

Interval reasoning (:func:`nonnegative`) is sound and incomplete: a linear
form in range variables is bounded below by its value at the corner that
minimises it, and a polynomial in the size symbols with non-negative
coefficients (after writing each positive integer ``X`` as ``1 + X'``) is
non-negative. When it cannot decide, nothing is rewritten, so a true
statement can fail to be proven but a false one cannot pass.

:func:`equal` compares two canonical sums term by term, up to renaming bound
variables that have equal limits. A change of summation index (the rotation
``a -> k - 1 - a``) is an explicit step, :func:`reindex`, which checks that
it is a bijection of the limits.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import sympy as sp


def size(name: str) -> sp.Symbol:
    """A positive integer symbol (a size, stride, dilation, channel count)."""
    return sp.Symbol(name, integer=True, positive=True)


def amount(name: str) -> sp.Symbol:
    """A non-negative integer symbol (a padding, an output_padding)."""
    return sp.Symbol(name, integer=True, nonnegative=True)


def index(name: str) -> sp.Symbol:
    """An integer symbol used as an index (free or bound); its range is stated separately."""
    return sp.Symbol(name, integer=True)


@dataclass(frozen=True)
class Term:
    """``Σ_{bound} coeff · Π[delta = 0] · Π[0 <= u < B]``; ``bound`` is ``((v, U), ...)``."""

    bound: tuple[tuple[sp.Symbol, sp.Expr], ...]
    coeff: sp.Expr
    deltas: tuple[sp.Expr, ...] = ()
    indicators: tuple[tuple[sp.Expr, sp.Expr], ...] = ()
    shown: tuple[tuple[sp.Expr, sp.Expr], ...] | None = None  # deltas as written: [A = B]

    def subs(self, mapping: Mapping) -> Term:
        shown = self.shown
        if shown is not None:
            shown = tuple((p.xreplace(mapping), q.xreplace(mapping)) for p, q in shown)
        return Term(
            self.bound,
            self.coeff.xreplace(mapping),
            tuple(d.xreplace(mapping) for d in self.deltas),
            tuple((u.xreplace(mapping), b) for u, b in self.indicators),
            shown,
        )


@dataclass
class Sum:
    """A sum of terms (an empty sum is zero)."""

    terms: list[Term] = field(default_factory=list)

    def __add__(self, other: Sum) -> Sum:
        return Sum(self.terms + other.terms)


# building -----------------------------------------------------------------------


def expand_indices(expr: sp.Expr) -> sp.Expr:
    """Every index of every :class:`sympy.Indexed` entry expanded: one way to write an entry."""
    return expr.replace(
        lambda e: isinstance(e, sp.Indexed),
        lambda e: e.base[tuple(sp.expand(k) for k in e.indices)],
    )


def term(bound: Iterable, coeff, deltas=(), indicators=()) -> Term:
    """A term; each delta is ``e`` meaning ``[e = 0]`` or a pair ``(u, v)`` meaning ``[u = v]``."""
    pairs = tuple(
        (sp.sympify(d[0]), sp.sympify(d[1])) if isinstance(d, tuple) else (sp.sympify(d), 0)
        for d in deltas
    )
    ds = tuple(p - q for p, q in pairs)
    inds = tuple((sp.sympify(u), sp.sympify(b)) for u, b in indicators)
    return Term(tuple(bound), sp.sympify(coeff), ds, inds, pairs)


def sum_of(*terms: Term) -> Sum:
    return Sum(list(terms))


def _pairs(t: Term) -> tuple:
    return t.shown if t.shown is not None else tuple((d, sp.Integer(0)) for d in t.deltas)


def product(a: Sum, b: Sum) -> Sum:
    """The product of two sums (their bound variables must be distinct)."""
    out = []
    for s, t in itertools.product(a.terms, b.terms):
        names = {v for v, _ in s.bound}
        if names & {v for v, _ in t.bound}:
            raise ValueError("product: the two sums share a bound variable")
        out.append(
            Term(s.bound + t.bound, s.coeff * t.coeff, s.deltas + t.deltas,
                 s.indicators + t.indicators, _pairs(s) + _pairs(t))
        )  # fmt: skip
    return Sum(out)


def differentiate(expr: Sum, entry: sp.Indexed) -> Sum:
    """``∂ expr / ∂ entry``: a factor ``base[idx]`` becomes ``Π [idx_k = entry_k]`` (product rule).

    The coefficient of a term must be a product in which ``entry.base``
    appears to the first power (the layers are linear in each argument).
    """
    out = []
    for t in expr.terms:
        factors = sp.Mul.make_args(t.coeff)
        for n, f in enumerate(factors):
            if isinstance(f, sp.Pow) and isinstance(f.base, sp.Indexed):
                if f.base.base == entry.base:
                    raise ValueError("differentiate: powers of an entry are not supported")
            if isinstance(f, sp.Indexed) and f.base == entry.base:
                rest = sp.Mul(*(factors[:n] + factors[n + 1 :]))
                new = tuple(a - b for a, b in zip(f.indices, entry.indices, strict=True))
                pairs = tuple(zip(f.indices, entry.indices, strict=True))
                out.append(Term(t.bound, rest, t.deltas + new, t.indicators, _pairs(t) + pairs))
    return Sum(out)


# interval reasoning ---------------------------------------------------------------


def _monomial(m: sp.Expr) -> bool:
    """A product of symbols to positive whole powers (or 1)."""
    return all(
        f.is_Symbol or (f.is_Pow and f.base.is_Symbol and f.exp.is_Integer and f.exp > 0)
        for f in sp.Mul.make_args(m)
        if f != 1
    )


@functools.lru_cache(maxsize=65536)
def _constant_nonnegative(p: sp.Expr) -> bool:
    """``p >= 0`` for every value of its (integer) size symbols: non-negative coefficients."""
    p = sp.expand(p)
    if p.is_number:
        return bool(p >= 0)
    symbols = p.free_symbols
    if not all(s.is_integer and s.is_nonnegative for s in symbols):
        return False
    shifted = sp.expand(p.xreplace({s: s + 1 for s in symbols if s.is_positive}))
    terms = shifted.as_coefficients_dict()
    return all(c.is_number and c >= 0 and _monomial(m) for m, c in terms.items())


def nonnegative(e: sp.Expr, ranges: Mapping[sp.Symbol, sp.Expr]) -> bool:
    """Sound test of ``e >= 0`` when each ``v`` in ``ranges`` runs over ``[0, ranges[v])``.

    ``e`` must be linear in the range variables with coefficients free of them;
    otherwise the answer is ``False`` (not decided).
    """
    return _nonnegative(sp.expand(e), tuple(sorted(ranges.items(), key=lambda kv: str(kv[0]))))


@functools.lru_cache(maxsize=65536)
def _nonnegative(e: sp.Expr, ranges: tuple) -> bool:
    variables = [v for v, _ in ranges]
    corner = {}
    for v, upper in ranges:
        if not e.has(v):
            continue
        c = e.coeff(v)
        if c.has(*variables) or sp.expand(e - c * v).has(v):
            return False
        if _constant_nonnegative(c):
            corner[v] = sp.Integer(0)
        elif _constant_nonnegative(-c):
            corner[v] = upper - 1
        else:
            return False
    return _constant_nonnegative(e.xreplace(corner))


# canonical form -----------------------------------------------------------------------


def normal_delta(e: sp.Expr) -> sp.Expr:
    """One sign for ``[e = 0]`` and ``[-e = 0]``."""
    e = sp.expand(e)
    return min(e, sp.expand(-e), key=sp.default_sort_key)


def normal_indicator(u: sp.Expr, upper: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """One way to write ``[0 <= u < B]`` and its mirror ``[0 <= B - 1 - u < B]`` (integers)."""
    upper = sp.expand(upper)
    u = min(sp.expand(u), sp.expand(upper - 1 - u), key=sp.default_sort_key)
    return u, upper


def _tex(e) -> str:
    return sp.latex(sp.sympify(e))


@dataclass
class Log:
    """The rewrites :func:`canonical` made and the conditions it used, as LaTeX.

    A delta summed out leaves the range of its index behind; when that range
    is later shown to hold, the two are reported as one condition.
    """

    notes: dict[str, str] = field(default_factory=dict)  # key -> LaTeX
    _pending: dict[tuple, str] = field(default_factory=dict)  # range -> key of its note

    @property
    def conditions(self) -> list[str]:
        return list(self.notes.values())

    def group_split(self, a, b, c) -> None:
        text = (
            rf"[{_tex(a)} = 0]\,[{_tex(b)} = 0]\text{{ (group split: }}"
            rf"\lvert {_tex(b)} \rvert < {_tex(c)}\text{{)}}"
        )
        self.notes.setdefault(text, text)

    def summed_out(self, var, solution, upper) -> None:
        key = f"sum {var} {solution}"
        if key not in self.notes:
            self.notes[key] = (
                rf"\textstyle\sum_{{{_tex(var)}}}: {_tex(var)} = {_tex(solution)},\ "
                rf"0 \le {_tex(solution)} < {_tex(upper)}\text{{ kept}}"
            )
            self._pending[(sp.expand(solution), sp.expand(upper))] = key

    def discharged(self, u, upper, equal_to) -> None:
        bound = rf"0 \le {_tex(u)} < {_tex(upper)}"
        key = self._pending.get((sp.expand(u), sp.expand(upper)))
        if key is not None:
            self.notes[key] = self.notes[key].replace(r"\text{ kept}", r"\text{ holds}")
            return
        why = "" if equal_to == u else rf"\text{{ (it equals }} {_tex(equal_to)}\text{{)}}"
        text = bound + r"\text{ holds}" + why
        self.notes.setdefault(text, text)


def _split_group(d: sp.Expr, groups: Iterable[sp.Symbol], ranges) -> tuple | None:
    """``A·C + B`` with ``-C < B < C`` on the ranges -> ``(A, B, C)``; else ``None``."""
    for c in groups:
        if not d.has(c):
            continue
        poly = sp.Poly(d, c)
        if poly.degree() != 1:
            continue
        a, b = poly.all_coeffs()
        if a.has(c) or b.has(c) or a == 0:
            continue
        if nonnegative(c - 1 - b, ranges) and nonnegative(c - 1 + b, ranges):
            return sp.expand(a), sp.expand(b), c
    return None


def _impossible(u: sp.Expr, upper, ranges) -> bool:
    return nonnegative(-u - 1, ranges) or nonnegative(u - upper, ranges)


def _simplify_term(t: Term, free: Mapping, groups, log: Log) -> Term | None:
    """Rewrite until nothing changes; ``None`` when the term is zero."""
    t = Term(
        t.bound,
        expand_indices(t.coeff),
        tuple(sp.expand(d) for d in t.deltas),
        tuple((sp.expand(u), sp.expand(b)) for u, b in t.indicators),
    )
    changed = True
    while changed:
        changed = False
        ranges = {**free, **dict(t.bound)}
        # group split
        deltas = []
        for d in t.deltas:
            split = _split_group(d, groups, ranges)
            if split is None:
                deltas.append(d)
            else:
                a, b, c = split
                log.group_split(a, b, c)
                deltas += [a, b]
                changed = True
        t = replace(t, deltas=tuple(normal_delta(d) for d in deltas))
        # constant deltas and impossible deltas
        kept = []
        for d in t.deltas:
            if d == 0:
                changed = True
                continue
            if d.is_number or nonnegative(d - 1, ranges) or nonnegative(-d - 1, ranges):
                return None
            kept.append(d)
        t = replace(t, deltas=tuple(dict.fromkeys(kept)))
        # delta summed out over a bound variable with coefficient +-1
        for d in t.deltas:
            target = next(
                (
                    v
                    for v, _ in t.bound
                    if sp.expand(d).coeff(v) in (1, -1)
                    and not sp.expand(d - d.coeff(v) * v).has(v)
                ),
                None,
            )
            if target is None:
                continue
            solution = sp.expand(target - d / d.coeff(target))
            upper = dict(t.bound)[target]
            others = tuple(x for x in t.deltas if x is not d)
            t = Term(
                tuple((v, u) for v, u in t.bound if v != target),
                t.coeff,
                others,
                (*t.indicators, (solution, upper)),
            ).subs({target: solution})
            t = Term(
                t.bound,
                expand_indices(t.coeff),
                tuple(sp.expand(d) for d in t.deltas),
                tuple((sp.expand(u), b) for u, b in t.indicators),
            )
            log.summed_out(target, solution, upper)
            changed = True
            break
        if changed:
            continue
        # indicators: discharged, impossible or kept
        kept = []
        for u, upper in t.indicators:
            candidates = [u] + [sp.expand(u + sign * d) for d in t.deltas for sign in (1, -1)]
            inside = next(
                (
                    c
                    for c in candidates
                    if nonnegative(c, ranges) and nonnegative(upper - 1 - c, ranges)
                ),
                None,
            )
            if inside is not None:
                log.discharged(u, upper, inside)
                changed = True
                continue
            if _impossible(u, upper, ranges):
                return None
            kept.append((u, upper))
        t = replace(t, indicators=tuple(dict.fromkeys(normal_indicator(*k) for k in kept)))
    return t


def canonical(
    expr: Sum, free: Mapping[sp.Symbol, sp.Expr], groups=(), log: Log | None = None
) -> Sum:
    """The canonical form of ``expr``; ``free`` gives the range ``[0, B)`` of each free index.

    ``groups`` lists the symbols ``C`` for which a delta ``[A·C + B = 0]`` may be
    split (channel index ``g·C + c'`` with ``0 <= c' < C``).
    """
    log = log if log is not None else Log()
    terms = []
    for t in expr.terms:
        if t.coeff == 0:
            continue
        s = _simplify_term(t, free, groups, log)
        if s is not None:
            terms.append(s)
    return Sum(terms)


# comparison ---------------------------------------------------------------------------


def _renamings(s: Term, t: Term):
    """Every map of ``t``'s bound variables onto ``s``'s that keeps each limit."""
    by_limit: dict[sp.Expr, tuple[list, list]] = {}
    for v, u in s.bound:
        by_limit.setdefault(sp.expand(u), ([], []))[0].append(v)
    for v, u in t.bound:
        key = sp.expand(u)
        if key not in by_limit:
            return
        by_limit[key][1].append(v)
    groups = list(by_limit.values())
    if any(len(mine) != len(theirs) for mine, theirs in groups):
        return
    for choice in itertools.product(*(itertools.permutations(th) for _, th in groups)):
        mapping = {}
        for (mine, _), theirs in zip(groups, choice, strict=True):
            mapping.update(zip(theirs, mine, strict=True))
        yield mapping


def _same(s: Term, t: Term) -> bool:
    if len(s.bound) != len(t.bound) or len(s.deltas) != len(t.deltas):
        return False
    if len(s.indicators) != len(t.indicators):
        return False
    mine_deltas = set(map(normal_delta, s.deltas))
    mine_indicators = {normal_indicator(u, b) for u, b in s.indicators}
    for mapping in _renamings(s, t):
        r = t.subs(mapping)
        if sp.expand(expand_indices(s.coeff) - expand_indices(r.coeff)) != 0:
            continue
        if mine_deltas != set(map(normal_delta, r.deltas)):
            continue
        if mine_indicators != {normal_indicator(u, b) for u, b in r.indicators}:
            continue
        return True
    return False


def equal(a: Sum, b: Sum) -> bool:
    """Canonical sums with the same terms (a one-to-one match, up to bound-variable renaming)."""
    if len(a.terms) != len(b.terms):
        return False
    remaining = list(b.terms)
    for s in a.terms:
        match = next((t for t in remaining if _same(s, t)), None)
        if match is None:
            return False
        remaining.remove(match)
    return True


def reindex(expr: Sum, var: sp.Symbol, new: sp.Symbol, image: sp.Expr) -> Sum:
    """Change of index ``var = image(new)`` in every term that sums over ``var``.

    Only bijections of ``[0, U)`` onto itself are allowed: ``image`` must be
    ``new`` or ``U - 1 - new`` (the reversal, i.e. the rotation of a kernel).
    """
    out = []
    for t in expr.terms:
        limits = dict(t.bound)
        if var not in limits:
            out.append(t)
            continue
        upper = limits[var]
        if sp.expand(image - new) != 0 and sp.expand(image - (upper - 1 - new)) != 0:
            raise ValueError(
                f"reindex: {var} = {image} is not a bijection of [0, {upper}) onto itself"
            )
        bound = tuple((new if v == var else v, u) for v, u in t.bound)
        out.append(Term(bound, t.coeff, t.deltas, t.indicators).subs({var: image}))
    return Sum(out)


# numbers -------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _compiled(expr: sp.Expr, variables: tuple[sp.Symbol, ...]):
    import numpy as np

    f = sp.lambdify(variables, expr, "numpy")
    return lambda *args: np.asarray(f(*args), dtype=float)


def evaluate(
    expr: Sum,
    free: list[tuple[sp.Symbol, sp.Expr]],
    sizes: Mapping[sp.Symbol, int],
    arrays: Mapping[str, object],
):
    """The value of ``expr`` at every free index, for concrete ``sizes`` and numeric ``arrays``.

    Returns a float array of shape ``(B_1, B_2, ...)`` over the free indices
    ``free = [(v, B), ...]``. Entries are looked up in ``arrays[base name]``;
    an entry whose index is not a whole number inside the array (``g[m/s]``
    at ``m = 3, s = 2``) makes the value ``nan``: it is not a number at all.
    Used for counterexamples to the controls and to instantiate the theorem
    at the grid's configurations; never to decide a statement.
    """
    import numpy as np

    names = tuple(sorted(sizes, key=str))
    size_values = [int(sizes[k]) for k in names]

    def integer(e) -> int:
        return int(_compiled(sp.sympify(e), names)(*size_values))

    free_shape = tuple(integer(bnd) for _, bnd in free)
    total = np.zeros(free_shape)
    for t in expr.terms:
        shape = free_shape + tuple(integer(bnd) for _, bnd in t.bound)
        variables = tuple(v for v, _ in free) + tuple(v for v, _ in t.bound)
        grids = list(np.indices(shape)) if shape else []

        def num(e, variables=variables, grids=grids, shape=shape):
            e = sp.sympify(e)
            entries = sorted(e.atoms(sp.Indexed), key=sp.default_sort_key)
            stand_ins = tuple(sp.Dummy(f"e{k}") for k in range(len(entries)))
            values = [lookup(entry)[0] for entry in entries]
            f = _compiled(e.xreplace(dict(zip(entries, stand_ins, strict=True))),
                          variables + names + stand_ins)  # fmt: skip
            return np.broadcast_to(f(*grids, *size_values, *values), shape)

        def lookup(entry, shape=shape):
            """The entries of ``arrays`` an Indexed reads, and where that read is valid."""
            table = np.asarray(arrays[str(entry.base)], dtype=float)
            idx = [num(k) for k in entry.indices]
            ok = np.ones(shape, dtype=bool)
            for k, extent in zip(idx, table.shape, strict=True):
                ok &= (k == np.floor(k)) & (k >= 0) & (k < extent)
            safe = tuple(np.where(ok, k, 0).astype(int) for k in idx)
            return np.where(ok, table[safe], np.nan), ok

        mask = np.ones(shape, dtype=bool)
        for d in t.deltas:
            mask &= num(d) == 0
        for e, upper in t.indicators:
            value = num(e)
            mask &= (value >= 0) & (value < num(upper))
        product_ = np.ones(shape)
        for factor in sp.Mul.make_args(t.coeff):
            power = 1
            if isinstance(factor, sp.Pow) and isinstance(factor.base, sp.Indexed):
                factor, power = factor.base, int(factor.exp)
            if not isinstance(factor, sp.Indexed):
                product_ = product_ * num(factor)
                continue
            entry = lookup(factor)[0] ** power
            product_ = product_ * np.where(mask, entry, 1.0)
        contribution = np.where(mask, product_, 0.0)
        total = total + contribution.sum(axis=tuple(range(len(free_shape), len(shape))))
    return total


# LaTeX ---------------------------------------------------------------------------------


def _side_latex(e: sp.Expr) -> str:
    return sp.latex(e) if e != 0 else "0"


def delta_latex(e: sp.Expr, free: Iterable[sp.Symbol]) -> str:
    """``[e = 0]`` as an Iverson bracket ``[A = B]`` with the free indices on the right."""
    free = set(free)
    left, right = [], []
    for part in sp.Add.make_args(e):
        (right if part.free_symbols & free else left).append(part)
    if not left or not right:
        left, right = sp.Add.make_args(e), []
    lhs, rhs = sp.Add(*left), -sp.Add(*right)
    if lhs.could_extract_minus_sign() and rhs.could_extract_minus_sign():
        lhs, rhs = -lhs, -rhs
    return rf"\left[\,{_side_latex(lhs)} = {_side_latex(rhs)}\,\right]"


# A coefficient whose LaTeX is longer than this is set one factor to a row (with per_row).
LONG_COEFFICIENT = 160


def _coefficient_rows(coeff: sp.Expr) -> list[str]:
    """The coefficient's LaTeX, cut before each indexed factor when it is long.

    A product of three entries with long subscripts (the adjoint's
    δ · w · x, each indexed by sums of strides, dilations and paddings) is
    wider than a page; one factor to a row keeps each subscript whole.
    Returns a list of LaTeX strings: the whole coefficient, or one string per
    indexed factor (in the printer's order), the first multiplied by whatever
    is not an indexed factor.
    """
    text = sp.latex(coeff)
    factors = coeff.as_ordered_factors() if isinstance(coeff, sp.Mul) else [coeff]
    entries = [f for f in factors if isinstance(f, sp.Indexed)]
    if len(text) <= LONG_COEFFICIENT or len(entries) < 2:
        return [text]
    rest = sp.Mul(*(f for f in factors if not isinstance(f, sp.Indexed)))
    first = sp.latex(rest * entries[0])  # SymPy brackets a sum and writes -1 as a sign
    return [first, *(rf"\cdot\,{sp.latex(e)}" for e in entries[1:])]


def _bound_latex(bound: sp.Expr, names: Mapping) -> str:
    """An indicator's bound, or the name the text gave it (``names``: expression -> LaTeX)."""
    for expr, name in names.items():
        if sp.expand(bound - expr) == 0:
            return name
    return _side_latex(bound)


def latex(
    expr: Sum,
    free: Iterable[sp.Symbol] = (),
    per_row: int = 0,
    names: Mapping = MappingProxyType({}),
) -> str:
    """The sum as a reader writes it: ``Σ_{indices} coefficient [A = B] [0 <= u < B]``.

    With ``per_row > 0`` the brackets go ``per_row`` to a row after the sum,
    as continuation rows of an ``aligned`` environment (a new row, indented),
    and so does each factor of a long coefficient (:func:`_coefficient_rows`).
    An indicator's bound equal to an expression of ``names`` is printed as its
    name (a size the claim defined, such as the transposed input's H′).
    """
    if not expr.terms:
        return "0"
    free = tuple(free)
    out = []
    for t in expr.terms:
        factors = _coefficient_rows(t.coeff) if per_row else [sp.latex(t.coeff)]
        if t.bound:
            indices = r",\,".join(sp.latex(v) for v, _ in t.bound)
            factors[0] = rf"\sum_{{{indices}}}\,{factors[0]}"
        if t.shown is not None:
            brackets = [
                rf"\left[\,{_side_latex(p)} = {_side_latex(q)}\,\right]" for p, q in t.shown
            ]
        else:
            brackets = [delta_latex(d, free) for d in t.deltas]
        brackets += [
            rf"\left[\,0 \le {_side_latex(u)} < {_bound_latex(b, names)}\,\right]"
            for u, b in t.indicators
        ]
        if per_row:
            rows = [
                r"\,".join(brackets[k : k + per_row]) for k in range(0, len(brackets), per_row)
            ]
            out.append(r" \\ &\qquad ".join([*factors, *rows]))
        else:
            out.append(r"\,".join(factors + brackets))
    return " + ".join(out)
