"""No function modifies its arguments; only an optimizer's step writes, into the parameters.

Every argument is passed read-only (so an in-place write raises) and compared
with a copy afterwards (so a write through a copy-and-restore, or a silent
cast, would show as well).
"""

from __future__ import annotations

import numpy as np
import pytest

import cnnref
from cnnref import (
    SGD,
    AvgPool2D,
    Conv2D,
    Dense,
    Flatten,
    LeakyReLU,
    MaxPool2D,
    Momentum,
    ReLU,
    Sequential,
    Sigmoid,
    gradcheck,
    gradcheck_layer,
)
from cnnref.activations import ACTIVATIONS

R = np.random.default_rng(0)
X = R.standard_normal((2, 3, 6, 5))
G_POOL = R.standard_normal((2, 3, 3, 3))
Y2, T2 = R.uniform(0.1, 0.9, (4, 3)), R.uniform(0, 1, (4, 3))
LABELS = np.array([0, 2, 1, 2])


def _frozen(*arrays):
    out = []
    for a in arrays:
        a = np.array(a)
        a.flags.writeable = False
        out.append(a)
    return out


def _check(fn, *args, **kwargs):
    args = _frozen(*args)
    copies = [a.copy() for a in args]
    fn(*args, **kwargs)
    for a, c in zip(args, copies, strict=True):
        np.testing.assert_array_equal(a, c)


CALLS = [(f"{name}{suffix}", fn, (X,), {}) for name, pair in ACTIVATIONS.items()
         for suffix, fn in zip(("", "_derivative"), pair, strict=True)]  # fmt: skip
CALLS += [
    (name, getattr(cnnref, name), args, {})
    for name, args in [
        ("half_sum_squares", (Y2, T2)),
        ("half_sum_squares_grad", (Y2, T2)),
        ("mse", (Y2, T2)),
        ("mse_grad", (Y2, T2)),
        ("binary_cross_entropy", (Y2, T2)),
        ("binary_cross_entropy_grad", (Y2, T2)),
        ("binary_cross_entropy_with_logits", (Y2, T2)),
        ("binary_cross_entropy_with_logits_grad", (Y2, T2)),
        ("softmax_cross_entropy", (Y2, LABELS)),
        ("softmax_cross_entropy_grad", (Y2, LABELS)),
        ("softmax_cross_entropy_grad", (Y2, T2)),
        ("softmax", (Y2,)),
        ("log_softmax", (Y2,)),
    ]
]
POOL = {"kernel_size": 3, "stride": 2, "padding": 1}
for name in ("max_pool2d", "avg_pool2d", "max_pool2d_naive", "avg_pool2d_naive"):
    CALLS.append((name, getattr(cnnref, name), (X,), POOL))
    CALLS.append((f"{name}_backward", getattr(cnnref, name.replace("2d", "2d_backward")),
                  (G_POOL, X), POOL))  # fmt: skip


@pytest.mark.parametrize(("name", "fn", "args", "kwargs"), CALLS, ids=[c[0] for c in CALLS])
def test_functions_leave_their_arguments_alone(name, fn, args, kwargs):
    _check(fn, *args, **kwargs)


LAYERS = [
    (Conv2D(3, 2, (3, 2), padding=1, rng=0), X),
    (Dense(5, 2, rng=0), X[0, 0]),
    (MaxPool2D(3, stride=2, padding=1), X),
    (AvgPool2D(2), X),
    (Flatten(), X),
    (ReLU(), X),
    (LeakyReLU(), X),
    (Sigmoid(), X),
    (Sequential(Conv2D(3, 2, 2, rng=0), ReLU(), MaxPool2D(2), Flatten(), Dense(8, 3, rng=1)), X),
]


@pytest.mark.parametrize(("layer", "x"), LAYERS, ids=[repr(layer)[:12] for layer, _ in LAYERS])
def test_layers_leave_input_gradient_and_parameters_alone(layer, x):
    x = _frozen(x)[0]
    x_copy = x.copy()
    params = {k: v.copy() for k, v in layer.parameters().items()}
    y = layer.forward(x)
    grad_y = _frozen(R.standard_normal(np.shape(y)))[0]
    grad_copy = grad_y.copy()
    layer.backward(grad_y)
    np.testing.assert_array_equal(grad_y, grad_copy)
    np.testing.assert_array_equal(x, x_copy)
    for k, v in layer.parameters().items():
        np.testing.assert_array_equal(v, params[k])
    if params:  # gradients are fresh arrays, not views of the upstream gradient
        assert not any(np.shares_memory(g, grad_y) for g in layer.gradients().values())


def test_gradcheck_leaves_layer_and_inputs_alone():
    layer = Conv2D(3, 2, 2, rng=0)
    params = {k: v.copy() for k, v in layer.parameters().items()}
    x = _frozen(X[:1, :, :4, :4])[0]
    gradcheck_layer(layer, x)
    for k, v in layer.parameters().items():
        np.testing.assert_array_equal(v, params[k])
    w = X[0, :2, :2, :2].copy()
    w_copy = w.copy()
    gradcheck(lambda w: np.tanh(w), lambda g, w: {"w": g * (1 - np.tanh(w) ** 2)}, {"w": w})
    np.testing.assert_array_equal(w, w_copy)


@pytest.mark.parametrize("opt", [SGD(0.1), Momentum(0.1, 0.9)], ids=["SGD", "Momentum"])
def test_optimizers_write_only_into_the_parameters(opt):
    params = {"a": X[0, 0].copy(), "b": X[1, 1, 0].copy()}
    before = {k: v.copy() for k, v in params.items()}
    ids = {k: id(v) for k, v in params.items()}
    grads = dict(zip(params, _frozen(X[0, 1], X[1, 2, 0]), strict=True))
    grads_copy = {k: v.copy() for k, v in grads.items()}
    opt.step(params, grads)
    opt.step(params, grads)
    for k in params:
        assert id(params[k]) == ids[k], "updated in place, same array"
        assert not np.array_equal(params[k], before[k])
        np.testing.assert_array_equal(grads[k], grads_copy[k])
