"""Mutants of the symbolic side: a broken toolkit must make a proof fail.

The derivations prove the closed forms by brute force, so a toolkit bug
(here, a rotation that is really a transpose) makes the closed forms built
with it disagree with ``sympy.diff``: the proof, not only a numeric test,
must reject it.
"""

from __future__ import annotations

from .model import Mutant, Patch

CASES = "tests/test_derivations_cases.py"

MUTANTS = [
    Mutant(
        name="symbolic-rot180-is-a-transpose",
        target="symbolic toolkit",
        description="the symbolic rot180 transposes the kernel instead of flipping both axes",
        source="issue 7: a toolkit whose rot180 is a transpose",
        tests=(f"{CASES}::test_lemmas_hold_on_their_own",),
        patches=(
            Patch(
                "derivations/symbolic.py",
                "    return np.array(a, dtype=object)[..., ::-1, ::-1].copy()\n",
                "    return np.swapaxes(np.array(a, dtype=object), -1, -2).copy()\n",
            ),
        ),
    ),
]
