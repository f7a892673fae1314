"""Jae Duk Seo's multi-channel CNN on 8x8 digits and its "broken back prop" variants.

Architecture (the article's sizes, weights only, no biases)::

    x (1, 8, 8) -> conv 3x3, 2 channels, zero padding 1 -> tanh -> max pool 2
                -> conv 3x3, 4 channels, zero padding 1 -> arctan -> max pool 2
                -> flatten (16) -> dense 28 -> softplus -> dense 36 -> leaky ReLU
                -> dense 1 -> sigmoid,      loss ½ Σ (y - t)²

trained with :class:`~cnnref.Momentum`, full-batch (or on mini-batches, see
:func:`train`). The article also
trained a "broken" network whose backward pass through the max-pooling layers
was changed; :class:`PoolBackward` replays three such changes. The data
(scikit-learn's ``load_digits``) are passed in as arrays: cnnref imports numpy
only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..conv_layers import Conv2D
from ..layers import ArcTan, Dense, Flatten, LeakyReLU, MaxPool2D, Sigmoid, Softplus, Tanh
from ..losses import half_sum_squares, half_sum_squares_grad
from ..optim import Momentum
from ..sequential import Sequential
from .common import cosine_similarity, relative_error

#: The backward passes through max pooling: the true one and three broken ones.
VARIANTS = ("true", "no mask", "transposed gradient", "transposed mask")


def zeros_and_ones(images, labels, test_fraction: float = 0.25, seed: int = 0):
    """The 0s and 1s of a digits data set, scaled to [0, 1] and split at random.

    ``images`` (N, 8, 8) with values 0..16 and ``labels`` (N,), as
    ``sklearn.datasets.load_digits`` returns them. Returns
    ``(x_train, t_train, x_test, t_test)`` with x (n, 1, 8, 8) and t (n, 1).
    """
    keep = (labels == 0) | (labels == 1)
    x = np.asarray(images, dtype=float)[keep][:, None] / 16.0
    t = (np.asarray(labels)[keep] == 1).astype(float)[:, None]
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = round(test_fraction * len(x))
    test, train = order[:n_test], order[n_test:]
    return x[train], t[train], x[test], t[test]


class PoolBackward(MaxPool2D):
    """2x2 max pooling (stride 2) whose backward pass can be broken on purpose.

    With ``g`` the upstream gradient repeated over each 2x2 window and ``m``
    the mask of the window maxima (1 where the maximum was, else 0):

    - ``"true"``: ``m ⊙ g`` (the library's backward pass);
    - ``"no mask"``: ``g`` — every entry of a window receives the gradient;
    - ``"transposed gradient"``: ``m ⊙ gᵀ`` (height and width swapped);
    - ``"transposed mask"``: ``mᵀ ⊙ g``.
    """

    def __init__(self, variant: str = "true"):
        if variant not in VARIANTS:
            raise ValueError(f"variant: expected one of {VARIANTS}, got {variant!r}")
        super().__init__(2)
        self.variant = variant

    def backward(self, grad_y):
        true = super().backward(grad_y)
        if self.variant == "true":
            return true
        mask = super().backward(np.ones_like(grad_y))
        g = np.repeat(np.repeat(grad_y, 2, axis=2), 2, axis=3)
        assert np.array_equal(mask * g, true)  # the decomposition the variants break
        if self.variant == "no mask":
            return g
        if self.variant == "transposed gradient":
            return mask * g.swapaxes(2, 3)
        return mask.swapaxes(2, 3) * g

    def __repr__(self):
        return f"PoolBackward({self.variant!r})"


def network(variant: str = "true", hidden=(28, 36), seed: int = 0) -> Sequential:
    """The article's CNN; ``variant`` picks the backward pass of both pooling layers."""
    h3, h4 = hidden
    rng = np.random.default_rng(seed)
    model = Sequential(
        Conv2D(1, 2, 3, padding=1, bias=False), Tanh(), PoolBackward(variant),
        Conv2D(2, 4, 3, padding=1, bias=False), ArcTan(), PoolBackward(variant),
        Flatten(),
        Dense(16, h3, bias=False), Softplus(),
        Dense(h3, h4, bias=False), LeakyReLU(),
        Dense(h4, 1, bias=False), Sigmoid(),
    )  # fmt: skip
    model.load_parameters(
        {k: rng.normal(0.0, np.sqrt(1.0 / np.prod(v.shape[1:])), v.shape)
         for k, v in model.parameters().items()}
    )  # fmt: skip
    return model


def gradients(model: Sequential, x, t) -> tuple[float, dict]:
    """Loss ``½ Σ (y - t)²`` and the gradients the model's backward pass produces."""
    y = model.forward(x)
    model.backward(half_sum_squares_grad(y, t))
    return half_sum_squares(y, t), model.gradients()


def with_variant(model: Sequential, variant: str) -> Sequential:
    """The same layers and weights (shared, not copied) with another pooling backward."""
    layers = [
        PoolBackward(variant) if isinstance(layer, PoolBackward) else layer
        for layer in model.layers
    ]
    return Sequential(*layers)


def accuracy(model: Sequential, x, t) -> float:
    return float(np.mean((model.forward(x) > 0.5) == (t > 0.5)))


@dataclass
class Run:
    variant: str
    model: Sequential
    loss: list = field(default_factory=list)  #: training loss (½ Σ over the set) per epoch
    test_epoch: list = field(default_factory=list)  #: epochs at which the test set was scored
    test_accuracy: list = field(default_factory=list)
    measure_epoch: list = field(default_factory=list)  #: epochs of the gradient comparisons
    cosine: list = field(default_factory=list)  #: cos(applied, true) of the conv gradients
    rel_error: list = field(default_factory=list)  #: |applied - true| / |true|, conv gradients


CONV_WEIGHTS = ("0.weight", "3.weight")


def conv_gradient_error(model: Sequential, x, t) -> tuple[float, float]:
    """Cosine similarity and relative error of the conv gradients ``model`` computes,
    against the true ones at the same weights, over the examples ``x``."""
    applied = gradients(model, x, t)[1]
    exact = gradients(with_variant(model, "true"), x, t)[1]
    applied = {k: applied[k] for k in CONV_WEIGHTS}
    exact = {k: exact[k] for k in CONV_WEIGHTS}
    return cosine_similarity(applied, exact), relative_error(applied, exact)


def train(x, t, x_test, t_test, variant: str = "true", epochs: int = 500, batch=None,
          lr: float = 0.001, momentum: float = 0.9, hidden=(28, 36), seed: int = 0,
          train_conv: bool = True, measure_every: int = 25,
          test_every: int = 10) -> Run:  # fmt: skip
    """Gradient descent with momentum; full-batch unless ``batch`` is given.

    Mini-batches (``batch`` examples) are drawn from a reshuffle every epoch.
    ``train_conv=False`` leaves the convolution kernels at their initial
    values (a control: how far do the dense layers get alone?). Every
    ``measure_every`` epochs the conv gradient the variant applies is compared
    with the true one (:func:`conv_gradient_error`) on the whole training set
    (for the broken variants only: the true one would compare with itself).
    """
    model = network(variant, hidden, seed)
    opt = Momentum(lr, momentum)
    params = model.parameters()
    if not train_conv:
        params = {k: v for k, v in params.items() if k not in CONV_WEIGHTS}
    batch = batch or len(x)
    rng = np.random.default_rng(seed + 1)
    run = Run(variant, model)
    for epoch in range(epochs):
        if variant != "true" and epoch % measure_every == 0:
            run.measure_epoch.append(epoch)
            cos, rel = conv_gradient_error(model, x, t)
            run.cosine.append(cos)
            run.rel_error.append(rel)
        order = rng.permutation(len(x)) if batch < len(x) else np.arange(len(x))
        total = 0.0
        for start in range(0, len(x), batch):
            idx = order[start : start + batch]
            loss, grads = gradients(model, x[idx], t[idx])
            total += loss
            opt.step(params, {k: grads[k] for k in params})
        run.loss.append(total)  # full-batch: the loss before this epoch's update
        if epoch % test_every == 0 or epoch == epochs - 1:
            run.test_epoch.append(epoch)
            run.test_accuracy.append(accuracy(model, x_test, t_test))
    return run
