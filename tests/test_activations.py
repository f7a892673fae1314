"""Activations and their derivatives: PyTorch, closed forms at extremes, finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest

import cnnref
from cnnref import gradcheck
from cnnref.activations import ACTIVATIONS

from .oracle import assert_matches_torch

# name -> (torch function name, keyword arguments)
TORCH = {
    "sigmoid": ("sigmoid", {}),
    "tanh": ("tanh", {}),
    "arctan": ("atan", {}),
    "relu": ("relu", {}),
    "leaky_relu": ("leaky_relu", {"negative_slope": 0.2}),
    "softplus": ("softplus", {}),
}


def test_every_activation_is_exported_with_its_derivative():
    assert set(ACTIVATIONS) == set(TORCH)
    for name, (f, df) in ACTIVATIONS.items():
        assert getattr(cnnref, name) is f
        assert getattr(cnnref, f"{name}_derivative") is df


def _points(rng):
    # moderate values (PyTorch's softplus switches to z itself above 20), and the kink 0
    z = 4 * rng.standard_normal((3, 4, 5))
    z[0, 0, :3] = 0.0
    return z


@pytest.mark.oracle
@pytest.mark.parametrize("name", sorted(TORCH))
def test_activation_and_derivative_match_torch(torch, name, rng):
    f, df = ACTIVATIONS[name]
    torch_name, kwargs = TORCH[name]
    torch_fn = getattr(torch.nn.functional, torch_name, None) or getattr(torch, torch_name)
    z = _points(rng)
    grad_y = rng.standard_normal(z.shape)
    value, grads = f(z, **kwargs), (grad_y * df(z, **kwargs),)
    assert_matches_torch(torch, torch_fn, [z], value, grads, grad_y, 1e-15, names=("z",), **kwargs)


@pytest.mark.parametrize("name", sorted(TORCH))
def test_derivative_by_finite_differences(name, rng):
    f, df = ACTIVATIONS[name]
    z = 3 * rng.standard_normal((4, 3))
    z[np.abs(z) < 1e-3] = 0.5  # away from the kink of relu and leaky_relu
    result = gradcheck(lambda z: f(z), lambda g, z: {"z": g * df(z)}, {"z": z})
    assert result.max_error < 1e-8, result


def test_sigmoid_is_stable_for_large_inputs():
    # pytest turns numpy's overflow warnings into errors (filterwarnings = error).
    z = np.array([-1e4, -800.0, -700.0, -30.0, 30.0, 800.0, 1e4])
    s = cnnref.sigmoid(z)
    # sigmoid(z) = exp(z) / (1 + exp(z)) = exp(z) to double precision for z <= -30
    for zi, si in zip(z[1:4], s[1:4], strict=True):
        assert si == pytest.approx(math.exp(zi) / (1 + math.exp(zi)), rel=1e-14)
    assert s[0] == 0.0
    assert s[-1] == s[-2] == 1.0
    assert 1 - s[4] == pytest.approx(math.exp(-30), rel=1e-2)  # 1 - s rounds at 1e-16
    assert cnnref.sigmoid_derivative(z)[[0, -1]].tolist() == [0.0, 0.0]


def test_softplus_is_stable_for_large_inputs():
    z = np.array([-1e4, -40.0, -1.0, 0.0, 40.0, 1e4])
    sp = cnnref.softplus(z)
    expected = [0.0, math.log1p(math.exp(-40)), math.log1p(math.exp(-1)), math.log(2), 40, 1e4]
    for got, want in zip(sp, expected, strict=True):
        assert got == pytest.approx(want, rel=1e-15, abs=0)
    assert cnnref.softplus_derivative(z).tolist()[3] == 0.5


def test_derivatives_at_the_kink_follow_torch_convention():
    z = np.array([-1.0, 0.0, 2.0])
    assert cnnref.relu_derivative(z).tolist() == [0.0, 0.0, 1.0]
    assert cnnref.leaky_relu_derivative(z, 0.1).tolist() == [0.1, 0.1, 1.0]


@pytest.mark.parametrize("name", sorted(TORCH))
def test_float32_stays_float32_and_ints_become_float64(name):
    f, df = ACTIVATIONS[name]
    z32 = np.linspace(-3, 3, 7, dtype=np.float32)
    assert f(z32).dtype == np.float32
    assert df(z32).dtype == np.float32
    assert f(np.arange(-3, 4)).dtype == np.float64


@pytest.mark.parametrize("name", sorted(TORCH))
def test_activation_rejects_non_numeric(name):
    with pytest.raises(TypeError, match=r"z: expected a real numeric array"):
        ACTIVATIONS[name][0](np.array([True, False]))
