"""A case's statements as a table: one :class:`Statement` row per formula, proven per network.

A row names the statement (key, title, formula) and says where its two sides
come from: ``lhs`` and ``rhs`` are small named functions of the case's
network object (the brute-force gradient, the closed form). :func:`prove_rows`
runs the rows that apply to one network (its convention, generic or concrete
activations) through :func:`derivations.proof.prove`, in table order.

Example (two rows of D1)::

    STATEMENTS = (
        Statement("dK", "Kernel gradient", r"\\frac{\\partial L}{\\partial K} = X \\star \\delta",
                  lhs=brute_dK, rhs=kernel_gradient_corr, label=r"\\partial L/\\partial k",
                  conventions=(CORRELATION,)),
        Statement("dK.control-transposed", "Control: the kernel gradient transposed", ...,
                  control=True),
    )
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .proof import CONVOLUTION, CORRELATION, Proof, prove

TAGS = {CORRELATION: "corr", CONVOLUTION: "conv"}


@dataclass(frozen=True)
class Statement:
    """One row: ``lhs(net) == rhs(net)`` entry by entry, for the networks it applies to."""

    key: str  # after "<case>.<convention tag>.", e.g. "dK" or "dX.control-no-rot180"
    title: str
    formula: str  # LaTeX
    lhs: Callable  # net -> array (the brute force, usually)
    rhs: Callable  # net -> array (the closed form)
    label: str  # LaTeX name of the entries, e.g. r"\partial L/\partial k"
    conventions: tuple[str, ...] = (CORRELATION, CONVOLUTION)
    control: bool = False  # a plausible wrong formula: must be rejected
    display: str = "display"  # which display substitution of the network to use

    def applies(self, convention: str, generic: bool) -> bool:
        """Controls run with undefined activations only; statements with both kinds."""
        return convention in self.conventions and (generic or not self.control)


def prove_rows(rows, net, *, case: str, convention: str, generic: bool, suffix: str, common):
    """Prove every row that applies to ``net``, in table order."""
    out: list[Proof] = []
    for row in rows:
        if not row.applies(convention, generic):
            continue
        out.append(
            prove(
                case=case,
                key=f"{case}.{TAGS[convention]}.{row.key}{'' if row.control else suffix}",
                title=row.title,
                statement=row.formula,
                convention=convention,
                lhs=row.lhs(net),
                rhs=row.rhs(net),
                control=row.control,
                label=row.label,
                display=getattr(net, row.display),
                **common,
            )
        )
    return out
