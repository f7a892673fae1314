"""Layers, Sequential and optimizers: finite differences, PyTorch end to end, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from cnnref import (
    SGD,
    Activation,
    ArcTan,
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
    Softplus,
    Tanh,
    gradcheck_layer,
    softmax_cross_entropy,
    softmax_cross_entropy_grad,
)

from .helpers import assert_close
from .oracle import assert_matches_torch, constant, module_as_function

RTOL = 1e-12

# (layer, input shape): rectangular inputs and kernels, stride remainders, groups, dilation
LAYER_CASES = [
    (Conv2D(3, 4, (3, 2), rng=1), (2, 3, 6, 5)),
    (Conv2D(2, 3, 3, stride=2, padding=1, rng=2), (2, 2, 6, 7)),  # remainders
    (Conv2D(4, 2, (2, 3), stride=(2, 1), dilation=(1, 2), groups=2, rng=3), (1, 4, 7, 8)),
    (Conv2D(2, 3, 2, bias=False, rng=4), (2, 2, 4, 5)),
    (Dense(7, 3, rng=5), (4, 7)),
    (Dense(5, 2, bias=False, rng=6), (3, 5)),
    (MaxPool2D(3, stride=2, padding=1), (2, 3, 7, 6)),
    (MaxPool2D((2, 3), stride=(3, 2)), (2, 2, 8, 7)),  # gaps and remainders
    (AvgPool2D(3, stride=2, padding=1), (2, 3, 7, 6)),
    (AvgPool2D((3, 2), stride=(1, 3)), (1, 2, 5, 8)),
    (Flatten(), (2, 3, 4, 5)),
    (Sigmoid(), (3, 4, 2)),
    (Tanh(), (3, 4, 2)),
    (ArcTan(), (3, 4, 2)),
    (ReLU(), (3, 4, 2)),
    (LeakyReLU(0.1), (3, 4, 2)),
    (Softplus(), (3, 4, 2)),
]


@pytest.mark.parametrize(("layer", "shape"), LAYER_CASES, ids=lambda v: repr(v).split("(")[0])
def test_layer_gradients_by_finite_differences(layer, shape, rng):
    x = rng.standard_normal(shape)
    x[np.abs(x) < 1e-3] = 0.5  # away from the kinks of relu and leaky_relu
    result = gradcheck_layer(layer, x, seed=rng)
    assert set(result.errors) == {"x", *layer.parameters()}
    assert result.max_error < 1e-8, result


def test_sequential_gradients_by_finite_differences(rng):
    model = Sequential(
        Conv2D(2, 3, (3, 2), padding=1, rng=1),
        Tanh(),
        MaxPool2D(2, stride=(2, 1)),
        Conv2D(3, 2, 2, stride=2, rng=2),
        Sigmoid(),
        Flatten(),
        Dense(6, 3, rng=3),
    )
    result = gradcheck_layer(model, rng.standard_normal((2, 2, 7, 6)), seed=rng)
    assert set(result.errors) == {"x", *model.parameters()}
    assert len(result.errors) == 7
    assert result.max_error < 1e-8, result


def _network(rng_seed=0):
    """conv -> relu -> maxpool -> flatten -> dense, rectangular everywhere."""
    return Sequential(
        Conv2D(2, 4, (3, 2), padding=1, rng=rng_seed),
        ReLU(),
        MaxPool2D((2, 3), stride=(2, 2)),
        Flatten(),
        Dense(4 * 4 * 3, 5, rng=rng_seed + 1),
    )


def _torch_network(torch):
    """The network of ``_network`` in PyTorch, float64; its parameters have cnnref's names."""
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(2, 4, (3, 2), padding=1),
        nn.ReLU(),
        nn.MaxPool2d((2, 3), stride=(2, 2)),
        nn.Flatten(),
        nn.Linear(48, 5),
    ).double()


@pytest.mark.oracle
def test_sequential_matches_torch_end_to_end(torch, rng):
    model = _network()
    x = rng.standard_normal((3, 2, 9, 7))
    labels = rng.integers(0, 5, 3)
    logits = model.forward(x)
    loss = softmax_cross_entropy(logits, labels)
    grad_x = model.backward(softmax_cross_entropy_grad(logits, labels))
    params, grads = model.parameters(), model.gradients()
    assert set(grads) == {"0.weight", "0.bias", "4.weight", "4.bias"}

    net = module_as_function(torch, _torch_network(torch), params)

    def loss_t(x, labels, *parameters):
        return torch.nn.functional.cross_entropy(net(x, *parameters), labels)

    assert_matches_torch(torch, net, [x, *params.values()], logits, tol=RTOL, what="logits")
    arrays = [x, constant(labels), *params.values()]
    grads = (grad_x, None, *(grads[name] for name in params))
    names = ("x", "labels", *params)
    assert_matches_torch(torch, loss_t, arrays, loss, grads, tol=RTOL, names=names, what="loss")


@pytest.mark.oracle
def test_momentum_training_matches_torch(torch, rng):
    model = _network(7)
    net = _torch_network(torch)
    net.load_state_dict({k: torch.tensor(v) for k, v in model.parameters().items()})
    opt = Momentum(lr=0.1, momentum=0.9)
    opt_t = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    for _ in range(4):
        x = rng.standard_normal((3, 2, 9, 7))
        labels = rng.integers(0, 5, 3)
        logits = model.forward(x)
        model.backward(softmax_cross_entropy_grad(logits, labels))
        opt.step(model.parameters(), model.gradients())
        opt_t.zero_grad()
        torch.nn.functional.cross_entropy(net(torch.tensor(x)), torch.tensor(labels)).backward()
        opt_t.step()
    params = model.parameters()
    for name, p in net.named_parameters():
        assert_close(params[name], p.detach().numpy(), 1e-11, name)


def test_sgd_and_momentum_closed_form():
    p = {"w": np.array([1.0, -2.0])}
    g = {"w": np.array([0.5, 1.0])}
    SGD(lr=0.1).step(p, g)
    np.testing.assert_allclose(p["w"], [0.95, -2.1], rtol=1e-15)
    q = {"w": np.zeros(1)}
    opt = Momentum(lr=1.0, momentum=0.5)
    for grad in (1.0, 1.0, 2.0):
        opt.step(q, {"w": np.array([grad])})
    # v: 1, 0.5 + 1 = 1.5, 0.75 + 2 = 2.75; p = -(1 + 1.5 + 2.75)
    np.testing.assert_allclose(q["w"], [-5.25], rtol=1e-15)


def test_optimizer_accepts_a_model_and_keeps_state_per_parameter(rng):
    model = Sequential(Dense(3, 2, rng=0), Tanh(), Dense(2, 1, rng=1))
    model.forward(rng.standard_normal((4, 3)))
    model.backward(rng.standard_normal((4, 1)))
    before = {k: v.copy() for k, v in model.parameters().items()}
    grads = model.gradients()
    opt = Momentum(lr=0.5)
    opt.step(model)
    assert set(opt.velocity) == set(before)
    for k in before:
        assert_close(model.parameters()[k], before[k] - 0.5 * grads[k], 1e-15, k)


def test_sequential_names_both_layers_and_shapes_on_a_mismatch():
    model = Sequential(Conv2D(3, 4, 3, rng=0), ReLU(), Flatten(), Dense(99, 2, rng=1))
    with pytest.raises(ValueError) as info:
        model.forward(np.zeros((2, 3, 6, 5)))
    message = str(info.value)
    assert "layer 3 (Dense(99, 2))" in message
    assert "(N, 99)" in message
    assert "layer 2 (Flatten())" in message
    assert "(2, 48)" in message


def test_sequential_names_the_input_when_the_first_layer_does_not_fit():
    model = Sequential(Conv2D(3, 4, 3, rng=0))
    with pytest.raises(
        ValueError, match=r"layer 0 \(Conv2D.*\(N, 3, H, W\).*input x has shape \(2, 2, 6, 5\)"
    ):
        model.forward(np.zeros((2, 2, 6, 5)))


def test_sequential_adds_the_layers_to_errors_from_inside_a_layer():
    model = Sequential(Conv2D(1, 1, 2, rng=0), MaxPool2D(4))
    with pytest.raises(
        ValueError, match=r"layer 1 \(MaxPool2D.*layer 0 \(Conv2D.*\(1, 1, 2, 2\).*kernel_size"
    ):
        model.forward(np.zeros((1, 1, 3, 3)))


def test_sequential_checks_grad_y_and_order_of_calls():
    model = Sequential(Dense(3, 2, rng=0))
    with pytest.raises(RuntimeError, match="backward"):
        model.backward(np.zeros((4, 2)))
    model.forward(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"grad_y: expected the output shape \(4, 2\)"):
        model.backward(np.zeros((4, 3)))
    with pytest.raises(TypeError, match=r"layers\[1\]"):
        Sequential(Dense(3, 2), "relu")


def test_load_parameters_copies_and_checks():
    model = Sequential(Conv2D(1, 2, 2, rng=0), Flatten(), Dense(8, 1, rng=1))
    values = {k: np.full(v.shape, 0.5) for k, v in model.parameters().items()}
    model.load_parameters(values)
    values["0.weight"][...] = 7.0  # the model keeps its own copy
    assert np.all(model.parameters()["0.weight"] == 0.5)
    with pytest.raises(KeyError, match=r"2\.bias"):
        model.load_parameters({k: v for k, v in values.items() if k != "2.bias"})
    values["2.bias"] = np.zeros(2)
    with pytest.raises(ValueError, match=r"bias: expected shape \(1,\), got \(2,\)"):
        model.load_parameters(values)


def test_default_initialisation_is_torchs_uniform_bound():
    dense = Dense(50, 40, rng=0)
    bound = 1 / np.sqrt(50)
    assert np.abs(dense.weight).max() <= bound
    assert np.abs(dense.weight).max() > 0.9 * bound
    conv = Conv2D(4, 6, (3, 2), groups=2, rng=0)
    assert conv.weight.shape == (6, 2, 3, 2)
    assert np.abs(conv.bias).max() <= 1 / np.sqrt(2 * 3 * 2)
    assert np.array_equal(Dense(5, 3, rng=4).weight, Dense(5, 3, rng=4).weight)


CONSTRUCTOR_ERRORS = [
    (lambda: Conv2D(0, 2, 3), ValueError, r"in_channels: expected a positive int"),
    (lambda: Conv2D(3, 2, 3, groups=2), ValueError, r"groups: 2 does not divide 3 and 2"),
    (lambda: Conv2D(2, 2, (3, 0)), ValueError, r"kernel_size: expected ints positive"),
    (lambda: Dense(3, 2.5), TypeError, r"out_features: expected a positive int"),
    (lambda: MaxPool2D(3, padding=2), ValueError, r"padding: expected at most half"),
    (lambda: AvgPool2D(2, stride=0), ValueError, r"stride: expected ints positive"),
]


@pytest.mark.parametrize(("make", "exc", "message"), CONSTRUCTOR_ERRORS)
def test_constructors_name_the_argument(make, exc, message):
    with pytest.raises(exc, match=message):
        make()


def test_optimizer_errors():
    p = {"w": np.zeros(2)}
    with pytest.raises(KeyError, match="grads: expected the keys of params"):
        SGD(0.1).step(p, {"v": np.zeros(2)})
    with pytest.raises(ValueError, match=r"grads\['w'\]: expected shape \(2,\)"):
        SGD(0.1).step(p, {"w": np.zeros(3)})
    with pytest.raises(TypeError, match=r"params\['w'\]: expected a float numpy array"):
        SGD(0.1).step({"w": [0.0, 0.0]}, {"w": np.zeros(2)})


def test_activation_by_name_equals_its_class(rng):
    z = rng.standard_normal((3, 4))
    g = rng.standard_normal((3, 4))
    for named, cls in [
        (Activation("arctan"), ArcTan()),
        (Activation("leaky_relu", negative_slope=0.3), LeakyReLU(0.3)),
    ]:
        np.testing.assert_array_equal(named.forward(z), cls.forward(z))
        np.testing.assert_array_equal(named.backward(g), cls.backward(g))
    assert repr(Activation("tanh")) == "Activation('tanh')"
    assert repr(LeakyReLU(0.3)) == "LeakyReLU(negative_slope=0.3)"
    with pytest.raises(ValueError, match=r"name: expected one of \['arctan'"):
        Activation("swish")


@pytest.mark.parametrize(
    ("layer", "x", "bad_grad", "expected"),
    [
        (Dense(3, 2, rng=0), np.zeros((4, 3)), np.zeros(2), r"\(4, 2\)"),
        (ReLU(), np.zeros((2, 3)), np.zeros(3), r"\(2, 3\)"),
        (Flatten(), np.zeros((2, 3, 2)), np.zeros((2, 5)), r"\(2, 6\)"),
        (MaxPool2D(2), np.zeros((1, 2, 4, 4)), np.zeros((1, 2, 2, 3)), r"\(1, 2, 2, 2\)"),
        (AvgPool2D(2), np.zeros((1, 2, 4, 4)), np.zeros((1, 2, 2, 3)), r"\(1, 2, 2, 2\)"),
        (
            Conv2D(2, 1, 3, rng=0),
            np.zeros((1, 2, 4, 4)),
            np.zeros((1, 1, 3, 2)),
            r"\(1, 1, 2, 2\)",
        ),
    ],
    ids=lambda v: repr(v).split("(")[0] if not isinstance(v, np.ndarray | str) else "",
)
def test_layer_backward_rejects_a_wrong_grad_y_shape(layer, x, bad_grad, expected):
    layer.forward(x)
    with pytest.raises(ValueError, match=r"grad_y: expected the output shape " + expected):
        layer.backward(bad_grad)
