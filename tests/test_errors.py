"""Bad input gets an error that names the argument and says what was expected."""

from __future__ import annotations

import numpy as np
import pytest

from cnnref import (
    conv2d,
    conv2d_backward,
    conv2d_backward_naive,
    conv2d_naive,
    conv_transpose2d,
    conv_transpose2d_naive,
)

X = np.zeros((2, 4, 5, 6))
W = np.zeros((6, 4, 3, 2))
G = np.zeros((2, 6, 3, 5))

CONV_CASES = [
    # (x, w, kwargs, exception, message)
    (np.zeros((5, 6)), W, {}, ValueError, r"x: expected a 3-D or 4-D array"),
    (X, np.zeros((6, 4, 3)), {}, ValueError, r"w: expected a 4-D array"),
    (X, np.zeros((6, 3, 3, 2)), {}, ValueError, r"w: expected 4 input channels per group"),
    (X, np.zeros((6, 3, 3, 2)), {"groups": 3}, ValueError, r"groups: input channels \(4"),
    (X, np.zeros((5, 2, 3, 2)), {"groups": 2}, ValueError, r"groups: output channels \(5"),
    (X, np.zeros((6, 4, 6, 2)), {}, ValueError, r"w: kernel of spatial size \(6, 2\)"),
    (X, np.zeros((6, 4, 3, 2)), {"dilation": 3}, ValueError, r"larger than the padded input"),
    (X, W, {"stride": 0}, ValueError, r"stride: expected ints positive"),
    (X, W, {"stride": (1, -2)}, ValueError, r"stride: expected ints positive"),
    (X, W, {"stride": 1.5}, TypeError, r"stride: expected an int or a pair of ints"),
    (X, W, {"dilation": 0}, ValueError, r"dilation: expected ints positive"),
    (X, W, {"padding": -1}, ValueError, r"padding: expected non-negative padding"),
    (X, W, {"padding": (1, -1)}, ValueError, r"padding: expected non-negative padding"),
    (X, W, {"padding": "full"}, ValueError, r"padding: expected 'valid', 'same'"),
    (X, W, {"padding": "same", "stride": 2}, ValueError, r"padding: 'same' needs stride 1"),
    (X, W, {"groups": 0}, ValueError, r"groups: expected a positive int"),
    (X, W, {"groups": True}, TypeError, r"groups: expected a positive int"),
    (X.astype(bool), W, {}, TypeError, r"x: expected a real numeric array"),
    (X, W.astype(complex), {}, TypeError, r"w: expected a real numeric array"),
    (X.astype(object), W, {}, TypeError, r"x: expected a real numeric array"),
    (np.array([["a"]]), W, {}, TypeError, r"x: expected a real numeric array"),
]


@pytest.mark.parametrize("fn", [conv2d, conv2d_naive])
@pytest.mark.parametrize(("x", "w", "kwargs", "exc", "message"), CONV_CASES)
def test_conv2d_rejects(fn, x, w, kwargs, exc, message):
    if fn is conv2d_naive and message.startswith("x: expected a 3-D"):
        message = r"x: expected a 4-D array"
    with pytest.raises(exc, match=message):
        fn(x, w, **kwargs)


@pytest.mark.parametrize("fn", [conv2d_backward, conv2d_backward_naive])
@pytest.mark.parametrize(("x", "w", "kwargs", "exc", "message"), CONV_CASES)
def test_conv2d_backward_rejects(fn, x, w, kwargs, exc, message):
    if fn is conv2d_backward_naive and message.startswith("x: expected a 3-D"):
        message = r"x: expected a 4-D array"
    with pytest.raises(exc, match=message):
        fn(G, x, w, **kwargs)


def test_bias_shape():
    with pytest.raises(ValueError, match=r"b: expected shape \(6,\), got \(4,\)"):
        conv2d(X, W, np.zeros(4))
    with pytest.raises(ValueError, match=r"b: expected shape \(6,\)"):
        conv2d_naive(X, W, np.zeros((6, 1)))
    with pytest.raises(TypeError, match=r"b: expected a real numeric array"):
        conv2d(X, W, np.array(["a"] * 6))


@pytest.mark.parametrize("fn", [conv2d_backward, conv2d_backward_naive])
def test_grad_y_must_have_the_output_shape(fn):
    with pytest.raises(ValueError, match=r"grad_y: expected the output shape \(2, 6, 3, 5\)"):
        fn(np.zeros((2, 6, 3, 4)), X, W)


def test_grad_y_dimensions_follow_x():
    with pytest.raises(ValueError, match=r"grad_y: expected a 4-D array"):
        conv2d_backward(np.zeros((6, 3, 5)), X, W)
    with pytest.raises(ValueError, match=r"grad_y: expected the output shape \(6, 3, 5\)"):
        conv2d_backward(np.zeros((6, 3, 4)), X[0], W)


TRANSPOSE_CASES = [
    (np.zeros((4, 5)), W, {}, ValueError, r"x: expected a 3-D or 4-D array"),
    (G, np.zeros((5, 2, 3, 3)), {}, ValueError, r"w: expected 6 on axis 0"),
    (G, np.zeros((6, 2, 3, 3)), {"groups": 4}, ValueError, r"groups: input channels \(6"),
    (G, np.zeros((6, 2, 3, 3)), {"stride": 2, "output_padding": 2}, ValueError, "output_padding"),
    (G, np.zeros((6, 2, 3, 3)), {"output_padding": 1}, ValueError, "output_padding"),
    (G, np.zeros((6, 2, 3, 3)), {"padding": 4}, ValueError, r"padding: .* empty output"),
    (G, np.zeros((6, 2, 3, 3)), {"padding": -1}, ValueError, r"padding: expected ints >= 0"),
    (G, np.zeros((6, 2, 3, 3)), {"stride": 0}, ValueError, r"stride: expected ints positive"),
    (G, np.zeros((6, 2, 3, 3)), {"padding": "same"}, TypeError, r"padding: expected an int"),
    (G.astype(complex), np.zeros((6, 2, 3, 3)), {}, TypeError, r"x: expected a real numeric"),
]


@pytest.mark.parametrize("fn", [conv_transpose2d, conv_transpose2d_naive])
@pytest.mark.parametrize(("x", "w", "kwargs", "exc", "message"), TRANSPOSE_CASES)
def test_conv_transpose2d_rejects(fn, x, w, kwargs, exc, message):
    if fn is conv_transpose2d_naive and message.startswith("x: expected a 3-D"):
        message = r"x: expected a 4-D array"
    with pytest.raises(exc, match=message):
        fn(x, w, **kwargs)


def test_transpose_bias_shape():
    with pytest.raises(ValueError, match=r"b: expected shape \(2,\)"):
        conv_transpose2d(G, np.zeros((6, 2, 3, 3)), np.zeros(6))
