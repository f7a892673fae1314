"""The fully connected delta recursion and the weight-sharing matrix (qrsforever's worked example).

For ``a⁰ = x``, ``zˡ = aˡ⁻¹ Wˡᵀ + bˡ``, ``aˡ = f_l(zˡ)`` (one example per row)
and ``L = ½ Σ (aᴸ - t)²``::

    δᴸ = (aᴸ - t) ⊙ f_L'(zᴸ)
    δˡ = (δˡ⁺¹ Wˡ⁺¹) ⊙ f_l'(zˡ)
    ∂L/∂Wˡ = δˡᵀ aˡ⁻¹,  ∂L/∂bˡ = Σ_rows δˡ

:func:`deltas` runs this recursion with explicit arrays, so it can be set
against :class:`~cnnref.Sequential`'s backward pass and :func:`~cnnref.gradcheck`.
:func:`sharing_matrix` writes a 2-D convolution as the dense matrix it is.
"""

from __future__ import annotations

import itertools

import numpy as np

from ..activations import ACTIVATIONS
from ..layers import Activation, Dense
from ..losses import half_sum_squares, half_sum_squares_grad
from ..sequential import Sequential


def mlp(sizes, activations, seed: int = 0) -> Sequential:
    """Dense layers of ``sizes`` (e.g. (4, 5, 3, 2)), each followed by its activation."""
    rng = np.random.default_rng(seed)
    layers = []
    for (n_in, n_out), name in zip(itertools.pairwise(sizes), activations, strict=True):
        layers += [Dense(n_in, n_out, rng=rng), Activation(name)]
    return Sequential(*layers)


def gradients(model: Sequential, x, t) -> tuple[float, dict]:
    y = model.forward(x)
    model.backward(half_sum_squares_grad(y, t))
    return half_sum_squares(y, t), model.gradients()


def deltas(model: Sequential, x, t) -> tuple[list[np.ndarray], dict]:
    """The recursion above for a model of alternating Dense / Activation layers.

    Returns ``[δ¹, ..., δᴸ]`` (each (N, units)) and the weight and bias
    gradients, named as ``model.gradients()`` names them.
    """
    dense = model.layers[0::2]
    derivs = [ACTIVATIONS[layer.name][1] for layer in model.layers[1::2]]
    a, zs, activations_in = np.asarray(x, dtype=float), [], []
    for layer, act in zip(dense, model.layers[1::2], strict=True):
        activations_in.append(a)
        z = a @ layer.weight.T + layer.bias
        zs.append(z)
        a = ACTIVATIONS[act.name][0](z)
    delta = (a - t) * derivs[-1](zs[-1])
    out = [delta]
    for layer, df, z in zip(dense[:0:-1], derivs[-2::-1], zs[-2::-1], strict=True):
        delta = (delta @ layer.weight) * df(z)
        out.insert(0, delta)
    grads = {}
    for i, (d, a_in) in enumerate(zip(out, activations_in, strict=True)):
        grads[f"{2 * i}.weight"] = d.T @ a_in
        grads[f"{2 * i}.bias"] = d.sum(axis=0)
    return out, grads


def sharing_matrix(kernel, in_shape, flip: bool = True) -> np.ndarray:
    """The matrix C with ``vec(y) = C vec(x)`` for a 'valid' 2-D convolution of x by ``kernel``.

    ``flip=True`` is true convolution (the article's example), ``False``
    cross-correlation. Every row holds the same kernel entries, shifted: the
    weights are shared. Shape (out_h * out_w, in_h * in_w), row-major vec.
    """
    k = np.asarray(kernel, dtype=float)
    k = k[::-1, ::-1] if flip else k
    (h, w), (kh, kw) = in_shape, k.shape
    oh, ow = h - kh + 1, w - kw + 1
    c = np.zeros((oh * ow, h * w))
    for i, j, a, b in np.ndindex(oh, ow, kh, kw):
        c[i * ow + j, (i + a) * w + (j + b)] = k[a, b]
    return c
