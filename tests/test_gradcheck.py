"""gradcheck itself: it finds wrong gradients, says where, and reports correct numbers."""

from __future__ import annotations

import numpy as np
import pytest

from cnnref import Dense, conv2d, conv2d_backward, conv_transpose2d, gradcheck, gradcheck_layer


def sin(x):
    return np.sin(x)


def test_reports_the_entry_that_is_wrong(rng):
    x = rng.standard_normal((3, 4))

    def backward(g, x):
        grad = g * np.cos(x)
        grad[1, 2] += 1e-3
        return {"x": grad}

    result = gradcheck(sin, backward, {"x": x}, seed=5)
    assert result.input == "x"
    assert result.index == (1, 2)
    g = np.random.default_rng(5).standard_normal(x.shape)  # the upstream gradient it drew
    assert result.numeric == pytest.approx(g[1, 2] * np.cos(x[1, 2]), rel=1e-8)
    assert result.analytic == pytest.approx(g[1, 2] * np.cos(x[1, 2]) + 1e-3, rel=1e-12)
    assert 1e-4 < result.max_error < 1e-2
    assert "x[1, 2]" in str(result)


def test_catches_an_unrotated_kernel(rng):
    # The classic mistake: the input gradient of a correlation computed with the
    # kernel as it is instead of rotated by 180 degrees.
    x, w = rng.standard_normal((1, 2, 6, 5)), rng.standard_normal((3, 2, 3, 2))

    def right(g, x, w):
        grad_x, grad_w, _ = conv2d_backward(g, x, w)
        return {"x": grad_x, "w": grad_w}

    def unrotated(g, x, w):
        return {**right(g, x, w), "x": conv_transpose2d(g, w[:, :, ::-1, ::-1])}

    assert gradcheck(conv2d, right, {"x": x, "w": w}).max_error < 1e-8
    wrong = gradcheck(conv2d, unrotated, {"x": x, "w": w})
    assert wrong.input == "x"
    assert wrong.max_error > 0.1
    assert wrong.errors["w"] < 1e-8


def test_catches_a_missing_transpose_in_a_layer(rng):
    class BrokenDense(Dense):
        def backward(self, grad_y):
            grad_x = super().backward(grad_y)
            self.grads["weight"] = self.grads["weight"] * 1.01
            return grad_x

    layer = BrokenDense(4, 3, rng=0)
    result = gradcheck_layer(layer, rng.standard_normal((5, 4)))
    assert result.input == "weight"
    assert result.max_error == pytest.approx(0.01, rel=1e-3)


def test_bad_backward_is_reported():
    x = {"x": np.ones(3)}
    with pytest.raises(ValueError, match=r"backward: expected gradients for \['x'\]"):
        gradcheck(sin, lambda g, x: {"y": g}, x)
    with pytest.raises(ValueError, match=r"backward: gradient of x has shape \(2,\)"):
        gradcheck(sin, lambda g, x: {"x": g[:2]}, x)
