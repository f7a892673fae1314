"""The seed networks written by hand on cnnref: the reference the generated code is held to.

``cnnref.conv2d`` / ``cnnref.conv2d_backward`` for the convolutions (cross-correlation),
and the chain rule through the activations and the dense head written out. Inputs
carry one leading batch axis ``N``; the loss and ``∂L/∂x`` are per sample, the
gradients of the weights are summed over the batch (as ``conv2d_backward`` sums them).
Used by ``tests/test_generated.py`` and ``benchmarks/generated.py``.
"""

from __future__ import annotations

import numpy as np

import cnnref


def _sigmoid(s):
    return 1.0 / (1.0 + np.exp(-s))


def _head(a, w, t):
    """Dense head ``u = a·w``, ``ŷ = σ(u)``, ``L = ½ (ŷ - t)²``: loss, ∂L/∂u, ∂L/∂w (summed)."""
    y = _sigmoid(a @ w)
    du = (y - t) * y * (1.0 - y)
    return 0.5 * (y - t) ** 2, du, du @ a


def reference_d1(x, k, w, t):
    """Loss and ∂L/∂x per sample, ∂L/∂k and ∂L/∂w summed over the batch (x: N x 3 x 3)."""
    x4, k4 = x[:, None], k[None, None]
    A = np.tanh(cnnref.conv2d(x4, k4))
    loss, du, grad_w = _head(A.reshape(len(x), 4), w, t)
    dZ = (du[:, None] * w).reshape(A.shape) * (1.0 - A**2)
    grad_x, grad_k, _ = cnnref.conv2d_backward(dZ, x4, k4)
    return loss, grad_x[:, 0], grad_k[0, 0], grad_w


def reference_d2(x, k1, k2, w, t):
    """D2's two-layer network: per-sample loss and ∂L/∂x, batch-summed kernel and weight
    gradients."""
    x4, k4, m4 = x[:, None], k1[None, None], k2[None, None]
    A1 = np.tanh(cnnref.conv2d(x4, k4))
    Z2 = cnnref.conv2d(A1, m4)
    loss, du, grad_w = _head(np.arctan(Z2).reshape(len(x), 4), w, t)
    dZ2 = (du[:, None] * w).reshape(Z2.shape) / (1.0 + Z2**2)
    dA1, grad_m, _ = cnnref.conv2d_backward(dZ2, A1, m4)
    grad_x, grad_k, _ = cnnref.conv2d_backward(dA1 * (1.0 - A1**2), x4, k4)
    return loss, grad_x[:, 0], grad_k[0, 0], grad_m[0, 0], grad_w


def reference_d4(x, W1, b1, W2, b2, t):
    """The dense 3-4-1 network, the delta recursion written out (x: N x 3)."""
    a1 = _sigmoid(x @ W1.T + b1)
    y = _sigmoid(a1 @ W2.T + b2)[:, 0]
    delta2 = ((y - t) * y * (1.0 - y))[:, None]
    delta1 = (delta2 @ W2) * a1 * (1.0 - a1)
    loss = 0.5 * (y - t) ** 2
    return loss, delta1 @ W1, delta1.T @ x, delta1.sum(0), delta2.T @ a1, delta2.sum(0)


REFERENCES = {
    "d1_single_kernel": reference_d1,
    "d2_two_layers": reference_d2,
    "d4_dense": reference_d4,
}
