"""Mutants of the symbolic side and of the code it writes.

A broken toolkit must make a proof fail; generated code edited by hand must be
caught by the drift check (and by the numeric comparisons).

The derivations prove the closed forms by brute force, so a toolkit bug
(here, a rotation that is really a transpose) makes the closed forms built
with it disagree with ``sympy.diff``: the proof, not only a numeric test,
must reject it.
"""

from __future__ import annotations

from .model import Mutant, Patch

CASES = "tests/test_derivations_cases.py"
GENERATED = "tests/test_generated.py"

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
    Mutant(
        name="generated-code-edited-by-hand",
        target="generated code",
        description="the generated D1 module is 'fixed' by hand: its kernel gradient transposed",
        source="issue 7: the generated code edited by hand (seed 000's transposition)",
        tests=(f"{GENERATED}::test_committed_generated_code_is_current", GENERATED),
        patches=(
            Patch(
                "cnnref/generated/d1_single_kernel.py",
                "    return loss, grad_x, grad_k, grad_w\n",
                "    return loss, grad_x, grad_k.swapaxes(-1, -2), grad_w\n",
            ),
        ),
    ),
]
