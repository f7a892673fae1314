"""D1's chapter: the rotation step is where a forgotten rotation is caught."""

from __future__ import annotations

from dataclasses import replace

from derivations import d1_single_kernel as d1
from derivations import symbolic as S
from derivations.chain import check_chain


def _chains():
    return {chain.key: chain for chain in d1.chapter().chains}


def test_input_gradient_without_the_rotation_is_rejected_at_the_rotation_step():
    chain = _chains()["D1.steps.dX"]
    rules = [s.rule for s in chain.steps]
    n = next(i for i, rule in enumerate(rules, 1) if "rotates" in rule)
    delta = S.symbols("delta", (2, 2))
    K = S.symbols("k", (2, 2))
    padded = S.pad2d(delta, 1)
    # The kernel read forwards in the window (no rot180): the classic slip.
    unrotated = S.correlate2d(padded, K, "valid")
    record = check_chain(chain.planted(n, unrotated))
    assert [s.holds for s in record.steps][n - 1] is False
    assert all(s.holds for s in check_chain(chain).steps)


def test_kernel_gradient_read_at_the_wrong_offset_is_rejected():
    chain = _chains()["D1.steps.dK"]
    X, delta = S.symbols("x", (3, 3)), S.symbols("delta", (2, 2))
    # x_{i+b, j+a}: indices swapped, the transposed kernel gradient.
    wrong = S.correlate2d(X, delta, "valid").T
    record = check_chain(chain.planted(3, wrong))
    assert record.steps[2].holds is False


def test_chain_rule_step_is_checked_against_sympys_own_derivative():
    chain = _chains()["D1.steps.dK"]
    assert check_chain(chain).steps[0].holds
    # Without the binding of δ to ∂L/∂z the first step is a false statement about free
    # symbols: the check does use SymPy's derivative of the loss.
    first = chain.steps[0]
    free = replace(chain, steps=(replace(first, bind=None), *chain.steps[1:]))
    assert check_chain(free).steps[0].holds is False


def test_convolution_kernel_gradient_without_the_rotation_back_is_rejected():
    # The article's first version: X ⋆ δ, not rotated back, for a true-convolution layer.
    chain = _chains()["D1.steps.dK-convolution"]
    X, delta = S.symbols("x", (3, 3)), S.symbols("delta", (2, 2))
    record = check_chain(chain.planted(len(chain.steps), S.correlate2d(X, delta, "valid")))
    assert record.steps[-1].holds is False
    assert check_chain(chain).holds
