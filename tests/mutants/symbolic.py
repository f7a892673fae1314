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
        source="a known backward-pass slip: a toolkit whose rot180 is a transpose",
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
        name="symbolic-swap-channels-across-groups",
        target="symbolic toolkit",
        description="the symbolic channel swap of the transposed convolution orders the "
        "output channels j*groups + g instead of g*(C/groups) + j",
        source="a channel swap that is right whenever each group has one channel (depthwise)",
        tests=(f"{CASES}::test_d5_families_hold_on_their_own",),
        patches=(
            Patch(
                "derivations/symbolic.py",
                "                out[g * co_group + j, i] = w[g * ci_group + i, j]\n",
                "                out[j * groups + g, i] = w[g * ci_group + i, j]\n",
            ),
        ),
    ),
    Mutant(
        name="symbolic-max-pool-last-maximum",
        target="symbolic toolkit",
        description="the symbolic max-pool argmax takes the last maximum of a window on ties "
        "instead of the first",
        source="argmax written as a scan with >= instead of >: the tie rule reversed",
        tests=(f"{CASES}::test_d5_max_pooling_holds_on_its_own",),
        patches=(
            Patch(
                "derivations/symbolic.py",
                "int(np.argmax(window.reshape(-1)))  # first maximum\n",
                "window.size - 1 - int(np.argmax(window.reshape(-1)[::-1]))\n",
            ),
        ),
    ),
    Mutant(
        name="symbolic-max-pool-window-off-by-one",
        target="symbolic toolkit",
        description="the symbolic max-pool argmax reads each window one column to the right",
        source="an off-by-one in the window's start: the classic slicing slip",
        tests=(f"{CASES}::test_d5_max_pooling_holds_on_its_own",),
        patches=(
            Patch(
                "derivations/symbolic.py",
                "j * sw : j * sw + kw]\n",
                "j * sw + 1 : j * sw + kw + 1]\n",
            ),
        ),
    ),
    Mutant(
        name="generated-code-edited-by-hand",
        target="generated code",
        description="the generated D1 module is 'fixed' by hand: its kernel gradient transposed",
        source="a hand edit of generated code (Seo's transposed kernel gradient)",
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
