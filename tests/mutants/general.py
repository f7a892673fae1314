"""Mutants of the general theorem's engine (derivations/sums.py) and layers (general.py).

A rewrite that drops a condition would let a false identity through, so each
mutant here must make the engine's own soundness tests fail (a known-false
identity accepted) or a D6 statement go unproven.
"""

from __future__ import annotations

from .model import Mutant, Patch

D6 = "tests/test_d6_general.py"
KNOWN_FALSE = f"{D6}::test_known_false_identities_are_rejected"
VERDICTS = f"{D6}::test_every_statement_is_proven_and_every_control_rejected"

MUTANTS = [
    Mutant(
        name="sums-range-of-summed-out-index-dropped",
        target="general theorem engine",
        description="a delta summed out forgets the range of the index it removed "
        "(Σ_{i<M} g[i][i = m] becomes g[m] even where m >= M)",
        source="sifting-property proofs that ignore the summation limits",
        tests=(KNOWN_FALSE, VERDICTS),
        patches=(
            Patch(
                "derivations/sums.py",
                "                (*t.indicators, (solution, upper)),\n",
                "                t.indicators,\n",
            ),
        ),
    ),
    Mutant(
        name="sums-solves-for-a-strided-index",
        target="general theorem engine",
        description="a delta is summed out over an index whose coefficient is the stride "
        "(SymPy's Sum(g[i]·KroneckerDelta(m, s·i)).doit() = g[m/s], no divisibility)",
        source="SymPy's evaluation of a Kronecker delta with a symbolic coefficient",
        tests=(KNOWN_FALSE, VERDICTS),
        patches=(
            Patch(
                "derivations/sums.py",
                "                    if sp.expand(d).coeff(v) in (1, -1)\n",
                "                    if sp.expand(d).coeff(v) != 0\n",
            ),
        ),
    ),
    Mutant(
        name="sums-group-split-without-bound",
        target="general theorem engine",
        description="[A·C + B = 0] is split into [A = 0][B = 0] without checking |B| < C",
        source="channel index g·C_g + c' split into group and channel without the range",
        tests=(KNOWN_FALSE, VERDICTS),
        patches=(
            Patch(
                "derivations/sums.py",
                "        if nonnegative(c - 1 - b, ranges) and nonnegative(c - 1 + b, ranges):\n",
                "        if True:\n",
            ),
        ),
    ),
    Mutant(
        name="general-channel-order-across-groups",
        target="general theorem layers",
        description="the transposed convolution numbers output channel o' of group g as "
        "o'·G + g instead of g·O_g + o'",
        source="grouped backward passes that interleave the groups' channels",
        tests=(VERDICTS,),
        patches=(
            Patch(
                "derivations/general.py",
                "    ch = g0 * Og + o if channel is None else channel\n",
                "    ch = o * G + g0 if channel is None else channel\n",
            ),
        ),
    ),
]
