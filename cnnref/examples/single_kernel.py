"""Jae Duk Seo's single-kernel CNN and the kernel update it first shipped.

Four 3x3 images, one 2x2 kernel, tanh, a dense layer of four weights and a
sigmoid: ``y = σ(w · vec(tanh(x ⋆ k)))``, loss ``½ Σ (y - t)²``. The article's
first version updated the kernel with its gradient in the wrong orientation
(rotated by 180 degrees); a later revision fixed it. ``train(corrected=False)``
replays that first version: every step applies ``rot180`` of the true kernel
gradient, everything else unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..conv_layers import Conv2D
from ..layers import Dense, Flatten, Sigmoid, Tanh
from ..losses import half_sum_squares, half_sum_squares_grad
from ..optim import SGD
from ..sequential import Sequential
from ..signal import rot180
from .common import cosine_similarity, relative_error

#: Four 3x3 images (N, 1, 3, 3): the more ones, the larger the target.
IMAGES = np.array(
    [
        [[0, 0, 0], [0, 0, 0], [0, 0, 0]],
        [[1, 1, 1], [0, 0, 0], [0, 0, 0]],
        [[0, 0, 0], [1, 1, 1], [1, 1, 1]],
        [[1, 1, 1], [1, 1, 1], [1, 1, 1]],
    ],
    dtype=float,
)[:, None]
#: Targets (N, 1); the largest is 1.1, above anything a sigmoid can output.
TARGETS = np.array([[0.53], [0.77], [0.88], [1.1]])


def network(seed: int = 0) -> Sequential:
    """conv 2x2 (no bias) -> tanh -> flatten -> dense 4 -> 1 (no bias) -> sigmoid."""
    rng = np.random.default_rng(seed)
    model = Sequential(
        Conv2D(1, 1, 2, bias=False), Tanh(), Flatten(), Dense(4, 1, bias=False), Sigmoid()
    )
    model.load_parameters({"0.weight": rng.standard_normal((1, 1, 2, 2)),
                           "3.weight": rng.standard_normal((1, 4))})  # fmt: skip
    return model


def gradients(model: Sequential, x=IMAGES, t=TARGETS) -> tuple[float, dict]:
    """The loss ``½ Σ (y - t)²`` at the model's parameters and its true gradients."""
    y = model.forward(x)
    model.backward(half_sum_squares_grad(y, t))
    return half_sum_squares(y, t), model.gradients()


def uncorrected(grads: dict) -> dict:
    """The first version's update: the kernel gradient rotated by 180 degrees."""
    return grads | {"0.weight": rot180(grads["0.weight"])}


@dataclass
class Run:
    model: Sequential
    loss: np.ndarray  #: loss before each epoch's update
    cosine: np.ndarray  #: cosine(applied kernel update, true kernel gradient) per epoch
    rel_error: np.ndarray  #: |applied - true| / |true| of the kernel update per epoch


def train(corrected: bool = True, epochs: int = 300, lr: float = 0.5, seed: int = 0) -> Run:
    """Full-batch gradient descent; ``corrected=False`` applies the unrotated-bug update."""
    model = network(seed)
    opt = SGD(lr)
    params = model.parameters()
    loss, cos, rel = np.empty(epochs), np.empty(epochs), np.empty(epochs)
    for epoch in range(epochs):
        loss[epoch], grads = gradients(model)
        applied = grads if corrected else uncorrected(grads)
        cos[epoch] = cosine_similarity(applied["0.weight"], grads["0.weight"])
        rel[epoch] = relative_error(applied["0.weight"], grads["0.weight"])
        opt.step(params, applied)
    return Run(model, loss, cos, rel)
