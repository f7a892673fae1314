"""Element-wise activations and their derivatives.

Each activation ``f`` comes with ``f_derivative(z)``, the derivative ``f'(z)``
evaluated at the **pre-activation** ``z`` (not at the output). The backward
pass of an activation is then ``grad_z = grad_y * f'(z)``, element by element.
Every function accepts an array of any shape and returns a new array of the
same shape; integers are promoted to float64.

At the kink of relu and leaky_relu (``z = 0``) the derivative taken is the one
PyTorch uses: the left-hand one (0 for relu, ``negative_slope`` for leaky_relu).
"""

from __future__ import annotations

import numpy as np

from ._validate import as_real_array


def sigmoid(z) -> np.ndarray:
    """``1 / (1 + exp(-z))``, without overflow for large ``|z|``.

    ``exp`` is only ever taken of ``-|z| <= 0``: for ``z >= 0`` the usual form,
    for ``z < 0`` the equal ``exp(z) / (1 + exp(z))``.
    """
    z = as_real_array("z", z)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0, e) / (1.0 + e)


def sigmoid_derivative(z) -> np.ndarray:
    """``σ'(z) = σ(z) (1 - σ(z))``."""
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh(z) -> np.ndarray:
    """Hyperbolic tangent."""
    return np.tanh(as_real_array("z", z))


def tanh_derivative(z) -> np.ndarray:
    """``1 - tanh(z)^2``."""
    t = tanh(z)
    return 1.0 - t * t


def arctan(z) -> np.ndarray:
    """Inverse tangent, with values in (-π/2, π/2)."""
    return np.arctan(as_real_array("z", z))


def arctan_derivative(z) -> np.ndarray:
    """``1 / (1 + z^2)``."""
    z = as_real_array("z", z)
    return 1.0 / (1.0 + z * z)


def relu(z) -> np.ndarray:
    """``max(z, 0)``."""
    z = as_real_array("z", z)
    return np.maximum(z, 0).astype(z.dtype, copy=False)


def relu_derivative(z) -> np.ndarray:
    """1 where ``z > 0``, else 0 (0 at the kink, as PyTorch)."""
    z = as_real_array("z", z)
    return (z > 0).astype(z.dtype)


def leaky_relu(z, negative_slope: float = 0.01) -> np.ndarray:
    """``z`` where ``z > 0``, else ``negative_slope * z`` (PyTorch's default slope)."""
    z = as_real_array("z", z)
    return np.where(z > 0, z, negative_slope * z).astype(z.dtype, copy=False)


def leaky_relu_derivative(z, negative_slope: float = 0.01) -> np.ndarray:
    """1 where ``z > 0``, else ``negative_slope``."""
    z = as_real_array("z", z)
    return np.where(z > 0, 1.0, negative_slope).astype(z.dtype, copy=False)


def softplus(z) -> np.ndarray:
    """``log(1 + exp(z))``, computed as ``max(z, 0) + log1p(exp(-|z|))`` (no overflow).

    Unlike PyTorch (which returns ``z`` itself above ``z = 20``) this is the
    exact function everywhere; the two differ by less than ``exp(-20)``.
    """
    z = as_real_array("z", z)
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def softplus_derivative(z) -> np.ndarray:
    """``σ(z)``, the logistic sigmoid."""
    return sigmoid(z)


ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_derivative),
    "tanh": (tanh, tanh_derivative),
    "arctan": (arctan, arctan_derivative),
    "relu": (relu, relu_derivative),
    "leaky_relu": (leaky_relu, leaky_relu_derivative),
    "softplus": (softplus, softplus_derivative),
}
"""Name -> (function, derivative at the pre-activation)."""
