"""A derivation chapter as data: what a case's textbook section shows, in reading order.

A case module's ``chapter()`` returns a :class:`Chapter`; the page writer
(:mod:`derivations.writer`) turns it into Markdown:

1. ``intro`` and the figure of the network (``figure``: a name in the case's
   ``FIGURES``, drawn when the site is built);
2. the forward pass, ``forward``: LaTeX lines;
3. the derivation: :class:`~derivations.chain.Chain` objects, every step
   checked (:func:`~derivations.chain.check_chain`);
4. the results at the chapter's sizes, :class:`Result`: matrices printed from
   the checked SymPy objects, a figure beside them;
5. the certificates (the case's :class:`~derivations.proof.Proof` records,
   collapsed);
6. :class:`Exercise` objects with collapsed solutions, each with a ``check``
   that the tests run.

Prose is Markdown with ``$…$`` math.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from .chain import Chain


@dataclass(frozen=True)
class Result:
    """A result written out at the chapter's sizes: matrices side by side, and a figure.

    ``equation`` is LaTeX; ``check`` (optional) says that the matrices shown
    are equal (for instance the matrix of sums and ``pad(δ) ⋆ rot180(K)``
    evaluated), decided exactly; the page shows its verdict.
    """

    title: str
    text: str  # Markdown
    equation: str  # LaTeX, display
    figure: str = ""  # a name in the case's FIGURES
    check: Callable[[], bool] | None = None
    shows: str = "the matrices above are equal entry by entry"  # what ``check`` decides


@dataclass(frozen=True)
class Exercise:
    """A question, its solution (both Markdown) and the check the tests run on the solution."""

    question: str
    solution: str
    check: Callable[[], bool]


@dataclass(frozen=True)
class Chapter:
    """Everything a case's page shows besides its statements."""

    intro: str
    figure: str  # a name in the case's FIGURES: the network
    forward: tuple[str, ...]  # LaTeX lines of the forward pass
    forward_text: str = ""  # Markdown after the equations
    chains: tuple[Chain, ...] = ()
    results: tuple[Result, ...] = ()
    exercises: tuple[Exercise, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    results_heading: str = "The result at these sizes"
    remember: tuple[str, ...] = ()  # Markdown: what a reader should take away, one point each


def matrix(values, fmt: Callable[[object], str] | None = None) -> str:
    """LaTeX ``bmatrix`` of a 2-D array of SymPy expressions (or numbers)."""
    values = np.array(values, dtype=object)
    if values.ndim == 1:
        values = values.reshape(-1, 1)
    show = fmt or (lambda v: sp.latex(sp.sympify(v)))
    rows = [" & ".join(show(v) for v in row) for row in values]
    return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"


def checked(chapter: Chapter) -> dict:
    """Check the chapter's chains and results; return plain data for the writer and the record.

    Everything returned is strings, numbers and booleans (it crosses from a
    worker process to the writer, and its verdicts go into the JSON record).
    """
    from .chain import check_chain

    chains = []
    for chain in chapter.chains:
        record = check_chain(chain)
        data = record.to_json()
        data["intro"] = chain.intro
        data["notes"] = [s.note for s in record.steps]
        chains.append(data)
    results = [
        {
            "title": r.title,
            "text": r.text,
            "equation": r.equation,
            "figure": r.figure,
            "holds": None if r.check is None else bool(r.check()),
            "shows": r.shows,
        }
        for r in chapter.results
    ]
    return {
        "intro": chapter.intro,
        "figure": chapter.figure,
        "forward": list(chapter.forward),
        "forward_text": chapter.forward_text,
        "chains": chains,
        "results": results,
        "results_heading": chapter.results_heading,
        "remember": list(chapter.remember),
        "exercises": [{"question": e.question, "solution": e.solution} for e in chapter.exercises],
        "notes": list(chapter.notes),
    }
