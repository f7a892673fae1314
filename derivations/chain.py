"""A derivation as data: a chain of equalities ``e0 = e1 = … = en``, each "=" a checked step.

A :class:`Chain` starts from a line ``e0`` (usually the derivative the reader
wants, ``∂L/∂k_ab``) and each :class:`Step` adds the next line, names the rule
that justifies it, lists its side conditions and says how it is checked.
:func:`check_chain` checks every step and returns a :class:`ChainRecord`,
which the page and the JSON record are written from.

How a step is checked, in this order:

1. ``verdict`` (a bool) — decided elsewhere, by another engine, before the
   chain was built; recorded as given, with the step's ``method``;
2. ``check`` — a callable ``check(previous_value, value) -> bool``, for an
   engine of its own (the values may be ``None`` if that engine keeps its own
   data);
3. otherwise the default: ``previous_value`` and ``value`` are SymPy
   expressions or arrays of them for every entry the line stands for, and the
   step holds when they are exactly equal entry by entry
   (:func:`derivations.proof.exactly_equal`: ``expand(a - b) == 0``, no
   sampling). If the step has ``bind`` (a substitution, say ``δ_ij ->
   ∂L/∂z_ij`` as SymPy differentiates it), both values are compared after it;
   without ``bind`` the names stay free symbols, so the step holds for every
   value of them.

Example (two steps of D1's kernel gradient, one entry per kernel position)::

    Chain(
        key="D1.corr.dK",
        title="The kernel gradient",
        start=r"\\frac{\\partial L}{\\partial k_{ab}}",
        start_value=dL_dK,                       # sympy.diff of the whole loss
        steps=(
            Step("chain rule", r"\\sum_{i,j} \\delta_{ij} ...", value=line1, bind=delta_is),
            Step("recognise a correlation", r"(X \\star \\delta)_{ab}", value=line2),
        ),
    )

A case whose steps are proven by its own engine (symbolic sizes, say)
supplies ``check=`` or ``verdict=`` and the LaTeX of each line; nothing here
assumes arrays.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from .polynomial import Poly
from .proof import exactly_equal

METHOD_STEP = "expand(previous line - this line) == 0 for every entry"
METHOD_STEP_POLY = "exact polynomials; coefficient comparison for every entry"
METHOD_STEP_BOUND = (
    "expand(previous line - this line) == 0 for every entry, the named quantities "
    "replaced by their definitions"
)


@dataclass(frozen=True)
class Step:
    """One "=" of a chain: the line it leads to, the rule, the side conditions, the check."""

    rule: str  # the rule's name, plain words: "chain rule", "recognise a correlation"
    latex: str  # the new line, LaTeX, in the reader's names (never fully expanded)
    value: object = None  # the new line as SymPy (array over the entries), for the default
    check: Callable[[object, object], bool] | None = None  # an engine of its own
    verdict: bool | None = None  # decided elsewhere
    method: str = ""  # how it was decided (default: the expand method)
    conditions: tuple[str, ...] = ()  # side conditions, LaTeX
    bind: Mapping | None = None  # names -> definitions, applied before comparing
    note: str = ""  # one or two sentences of Markdown under the chain

    def with_value(self, value) -> Step:
        """The same step with another line (the tests plant wrong lines with it)."""
        return replace(self, value=value)


@dataclass(frozen=True)
class Chain:
    """``start = steps[0].latex = steps[1].latex = …``, every step checked."""

    key: str  # record key, "D1.corr.dK"
    title: str
    start: str  # LaTeX of e0
    start_value: object
    steps: tuple[Step, ...]
    intro: str = ""  # Markdown before the chain

    def planted(self, n: int, value) -> Chain:
        """This chain with line ``n`` (1-based step number) replaced by ``value``."""
        steps = list(self.steps)
        steps[n - 1] = steps[n - 1].with_value(value)
        return replace(self, steps=tuple(steps))


@dataclass
class StepRecord:
    """The verdict of one step, as the page and the JSON record show it."""

    number: int
    rule: str
    latex: str
    conditions: tuple[str, ...]
    method: str
    holds: bool
    note: str = ""
    seconds: float = 0.0

    def to_json(self) -> dict:
        return {
            "step": self.number,
            "rule": self.rule,
            "line": self.latex,
            "conditions": list(self.conditions),
            "method": self.method,
            "holds": self.holds,
        }


@dataclass
class ChainRecord:
    """A checked chain."""

    key: str
    title: str
    start: str
    intro: str
    steps: list[StepRecord] = field(default_factory=list)
    final_value: object = None

    @property
    def holds(self) -> bool:
        return all(s.holds for s in self.steps)

    def step_key(self, number: int) -> str:
        return f"{self.key}/{number}"

    def to_json(self) -> dict:
        return {
            "key": self.key,
            "title": self.title,
            "start": self.start,
            "holds": self.holds,
            "steps": [s.to_json() for s in self.steps],
        }


def _bound(value, mapping: Mapping | None):
    if mapping is None or value is None:
        return value
    if isinstance(value, np.ndarray):
        out = np.empty(value.shape, dtype=object)
        for index in np.ndindex(value.shape):
            entry = value[index]
            out[index] = entry.xreplace(mapping) if hasattr(entry, "xreplace") else entry
        return out
    return value.xreplace(mapping) if hasattr(value, "xreplace") else value


def check_step(step: Step, previous_value) -> tuple[bool, str]:
    """``(holds, method)`` for one step following a line whose value is ``previous_value``."""
    if step.verdict is not None:
        return bool(step.verdict), step.method or "decided by the case's own engine"
    if step.check is not None:
        return bool(step.check(previous_value, step.value)), step.method or "the case's check"
    if step.value is None or previous_value is None:
        raise ValueError(f"step {step.rule!r} has no value, no check and no verdict")
    left = _bound(previous_value, step.bind)
    right = _bound(step.value, step.bind)
    polynomial = any(isinstance(v, Poly) for v in np.array(left, dtype=object).reshape(-1))
    default = METHOD_STEP_POLY if polynomial else METHOD_STEP
    method = step.method or (METHOD_STEP_BOUND if step.bind else default)
    return exactly_equal(left, right), method


def check_chain(chain: Chain) -> ChainRecord:
    """Check every step of ``chain`` against the line before it."""
    record = ChainRecord(chain.key, chain.title, chain.start, chain.intro)
    previous = chain.start_value
    for n, step in enumerate(chain.steps, start=1):
        start = time.perf_counter()
        holds, method = check_step(step, previous)
        record.steps.append(
            StepRecord(
                number=n,
                rule=step.rule,
                latex=step.latex,
                conditions=step.conditions,
                method=method,
                holds=holds,
                note=step.note,
                seconds=time.perf_counter() - start,
            )
        )
        previous = step.value
    record.final_value = previous
    return record
