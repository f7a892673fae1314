"""Losses and their gradients: PyTorch, closed forms and finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cnnref import (
    binary_cross_entropy,
    binary_cross_entropy_grad,
    binary_cross_entropy_with_logits,
    binary_cross_entropy_with_logits_grad,
    gradcheck,
    half_sum_squares,
    half_sum_squares_grad,
    log_softmax,
    mse,
    mse_grad,
    softmax,
    softmax_cross_entropy,
    softmax_cross_entropy_grad,
)

from .oracle import assert_matches_torch, constant

SHAPE = (4, 3, 2)


def _targets(rng, kind):
    """Prediction and target for each loss, rectangular, in the loss's domain."""
    if kind == "bce":
        return rng.uniform(0.05, 0.95, SHAPE), rng.uniform(0, 1, SHAPE)
    if kind == "bce_logits":
        return 3 * rng.standard_normal(SHAPE), rng.uniform(0, 1, SHAPE)
    if kind == "ce_index":
        return 3 * rng.standard_normal((5, 4)), rng.integers(0, 4, 5)
    if kind == "ce_prob":
        return 3 * rng.standard_normal((5, 4)), rng.dirichlet(np.ones(4), 5)
    return rng.standard_normal(SHAPE), rng.standard_normal(SHAPE)


# name -> (loss, grad, kind of data, torch functional name, fixed reduction or None)
LOSSES = {
    "mse": (mse, mse_grad, "real", "mse_loss"),
    "bce": (binary_cross_entropy, binary_cross_entropy_grad, "bce", "binary_cross_entropy"),
    "bce_logits": (
        binary_cross_entropy_with_logits,
        binary_cross_entropy_with_logits_grad,
        "bce_logits",
        "binary_cross_entropy_with_logits",
    ),
    "ce_index": (softmax_cross_entropy, softmax_cross_entropy_grad, "ce_index", "cross_entropy"),
    "ce_prob": (softmax_cross_entropy, softmax_cross_entropy_grad, "ce_prob", "cross_entropy"),
}


@pytest.mark.oracle
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_and_gradient_match_torch(torch, name, reduction, rng):
    loss, grad, kind, torch_name = LOSSES[name]
    fn = getattr(torch.nn.functional, torch_name)
    y, t = _targets(rng, kind)
    value, grads = loss(y, t, reduction=reduction), (grad(y, t, reduction=reduction), None)
    assert_matches_torch(torch, fn, [y, constant(t)], value, grads, tol=1e-14, reduction=reduction)


@pytest.mark.oracle
def test_half_sum_squares_matches_torch(torch, rng):
    def half_sum(y, t):
        return torch.nn.functional.mse_loss(y, t, reduction="sum") / 2

    y, t = _targets(rng, "real")
    value, grads = half_sum_squares(y, t), (half_sum_squares_grad(y, t), None)
    assert_matches_torch(
        torch, half_sum, [y, constant(t)], value, grads, tol=1e-15, value_tol=1e-14
    )


@pytest.mark.oracle
def test_extreme_inputs_match_torch(torch):
    F = torch.nn.functional
    # (PyTorch's loss, cnnref's loss and gradient, prediction, target, keywords)
    cases = [
        # probabilities 0 and 1: PyTorch clamps each log at -100
        (F.binary_cross_entropy, binary_cross_entropy, binary_cross_entropy_grad,
         [0.0, 1.0, 0.0, 1.0, 0.5], [1.0, 0.0, 0.0, 1.0, 0.3], {"reduction": "sum"}),
        # logits far out: no overflow, no loss of the small terms
        (F.binary_cross_entropy_with_logits, binary_cross_entropy_with_logits,
         binary_cross_entropy_with_logits_grad, [-800.0, -40.0, 40.0, 800.0],
         [1.0, 0.0, 1.0, 0.0], {}),
        (F.cross_entropy, softmax_cross_entropy, softmax_cross_entropy_grad,
         [[1000.0, 0.0, -1000.0], [5.0, 1005.0, 1000.0]], [2, 2], {}),
    ]  # fmt: skip
    for fn, loss, grad, y, t, kw in cases:
        y, t = np.array(y), np.array(t)
        value, grads = loss(y, t, **kw), (grad(y, t, **kw), None)
        assert_matches_torch(
            torch, fn, [y, constant(t)], value, grads, tol=1e-15, what=fn.__name__, **kw
        )


def test_closed_forms():
    y, t = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.0, 0.0], [3.0, 6.0]])
    assert half_sum_squares(y, t) == 0.5 * (1 + 4 + 0 + 4)
    np.testing.assert_array_equal(half_sum_squares_grad(y, t), [[1, 2], [0, -2]])
    assert mse(y, t) == 9 / 4
    assert mse(y, t, reduction="sum") == 9
    # two classes with logits 0 and log 3: softmax (1/4, 3/4)
    z = np.array([[0.0, math.log(3.0)]])
    np.testing.assert_allclose(softmax(z), [[0.25, 0.75]], rtol=1e-15)
    assert softmax_cross_entropy(z, np.array([0])) == pytest.approx(math.log(4), rel=1e-15)
    np.testing.assert_allclose(softmax_cross_entropy_grad(z, np.array([0])), [[-0.75, 0.75]])
    assert binary_cross_entropy(np.array([0.25]), np.array([1.0])) == pytest.approx(math.log(4))
    assert binary_cross_entropy_with_logits(np.array([0.0]), np.array([0.0])) == math.log(2)


def test_log_softmax_is_stable():
    z = np.array([[1e4, 0.0, -1e4]])
    np.testing.assert_array_equal(log_softmax(z), [[0.0, -1e4, -2e4]])
    np.testing.assert_array_equal(softmax(z), [[1.0, 0.0, 0.0]])


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_gradient_by_finite_differences(name, reduction, rng):
    loss, grad, kind, _ = LOSSES[name]
    y, t = _targets(rng, kind)
    result = gradcheck(
        lambda y: loss(y, t, reduction=reduction),
        lambda g, y: {"y": g * grad(y, t, reduction=reduction)},
        {"y": y},
    )
    assert result.max_error < 1e-8, result


def test_half_sum_squares_by_finite_differences(rng):
    y, t = _targets(rng, "real")
    result = gradcheck(
        lambda y: half_sum_squares(y, t),
        lambda g, y: {"y": g * half_sum_squares_grad(y, t)},
        {"y": y},
    )
    assert result.max_error < 1e-8, result


ERRORS = [
    (lambda: mse(np.zeros(3), np.zeros(4)), ValueError, r"t: expected the shape of y \(3,\)"),
    (lambda: half_sum_squares_grad(np.zeros((2, 3)), np.zeros(3)), ValueError, r"t: expected"),
    (lambda: mse(np.zeros(3), np.zeros(3), reduction="none"), ValueError, r"reduction: expected"),
    (lambda: binary_cross_entropy(np.array([1.5]), np.zeros(1)), ValueError, r"p: expected prob"),
    (lambda: binary_cross_entropy_grad(np.zeros(2), np.zeros(3)), ValueError, r"shape of p"),
    (
        lambda: softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3])),
        ValueError,
        r"target: class indices must lie in \[0, 3\)",
    ),
    (
        lambda: softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 1, 2])),
        ValueError,
        r"target: expected class indices of shape \(2,\)",
    ),
    (
        lambda: softmax_cross_entropy_grad(np.zeros((2, 3)), np.zeros((2, 2))),
        ValueError,
        r"target: expected class indices \(2,\) \(int\) or probabilities \(2, 3\)",
    ),
    (lambda: softmax_cross_entropy(np.zeros(3), np.array([0])), ValueError, r"z: expected a 2-D"),
]


@pytest.mark.parametrize(("call", "exc", "message"), ERRORS)
def test_errors_name_the_argument(call, exc, message):
    with pytest.raises(exc, match=message):
        call()
