"""Jae Duk Seo's two convolution layers and a dense layer, and its "padded" backward step.

``x (4x4) -> conv 2x2 -> tanh -> (3x3) -> conv 2x2 -> arctan -> (2x2) -> dense 4 -> 1
-> sigmoid``, loss ``½ Σ (y - t)²``. cnnref's :class:`~cnnref.Conv2D` computes
cross-correlation; the article writes true convolution, whose kernel is the
``rot180`` of ours. Gradients are the same up to that relabelling.

The step of the backward pass the article calls padding: the gradient with
respect to the first layer's output is the *full* convolution of the second
layer's δ with its kernel. The article pads the kernel and convolves δ over
it; padding δ and sliding the rotated kernel over it gives the same array,
because full convolution is commutative
(:func:`padded_step` computes both and the library's answer).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..conv_layers import Conv2D
from ..layers import ArcTan, Dense, Flatten, Sigmoid, Tanh
from ..losses import half_sum_squares, half_sum_squares_grad
from ..optim import SGD
from ..sequential import Sequential
from ..signal import convolve2d, correlate2d, pad2d, rot180


def data(n: int = 8, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` noisy 4x4 images (n, 1, 4, 4) with one bar; target 1 if it is vertical, else 0."""
    rng = np.random.default_rng(seed)
    x = 0.2 * rng.random((n, 1, 4, 4))
    t = np.zeros((n, 1))
    for i in range(n):
        where = rng.integers(4)
        if i % 2:
            x[i, 0, :, where] += 1.0
            t[i] = 1.0
        else:
            x[i, 0, where, :] += 1.0
    return x, t


def network(seed: int = 0) -> Sequential:
    rng = np.random.default_rng(seed)
    model = Sequential(
        Conv2D(1, 1, 2, bias=False), Tanh(),
        Conv2D(1, 1, 2, bias=False), ArcTan(),
        Flatten(), Dense(4, 1, bias=False), Sigmoid(),
    )  # fmt: skip
    model.load_parameters({k: rng.standard_normal(v.shape)
                           for k, v in model.parameters().items()})  # fmt: skip
    return model


def gradients(model: Sequential, x, t) -> tuple[float, dict]:
    y = model.forward(x)
    model.backward(half_sum_squares_grad(y, t))
    return half_sum_squares(y, t), model.gradients()


def train(
    x, t, epochs: int = 400, lr: float = 0.5, seed: int = 0
) -> tuple[Sequential, np.ndarray]:
    """Full-batch gradient descent; returns the model and the loss before each epoch."""
    model = network(seed)
    opt = SGD(lr)
    params = model.parameters()
    loss = np.empty(epochs)
    for epoch in range(epochs):
        loss[epoch], grads = gradients(model, x, t)
        opt.step(params, grads)
    return model, loss


@dataclass
class PaddedStep:
    delta2: np.ndarray  #: ∂L/∂z2, the second conv layer's pre-activation gradient (2x2)
    kernel2: np.ndarray  #: the second layer's kernel as cnnref stores it (correlation)
    padded_kernel: np.ndarray  #: the article's view: the kernel padded by 1 (4x4)
    padded_delta: np.ndarray  #: the textbook view: δ padded by k - 1 = 1 (4x4)
    via_padded_kernel: np.ndarray  #: δ true-convolved over the padded kernel ("valid")
    via_padded_delta: np.ndarray  #: padded δ correlated with rot180(kernel2) ("valid")
    library: np.ndarray  #: ∂L/∂a1 from the Sequential's backward pass


def padded_step(model: Sequential, x, t, sample: int = 0) -> PaddedStep:
    """The gradient reaching the first layer's output, three ways, for one image."""
    xs, ts = x[sample : sample + 1], t[sample : sample + 1]
    y = model.forward(xs)
    grad = half_sum_squares_grad(y, ts)
    for layer in reversed(model.layers[3:]):  # dense, flatten, arctan
        grad = layer.backward(grad)
    delta2 = grad[0, 0]
    library = model.layers[2].backward(grad)[0, 0]
    k2 = model.layers[2].weight[0, 0]
    padded_kernel = pad2d(k2, 1)
    padded_delta = pad2d(delta2, 1)
    return PaddedStep(
        delta2=delta2,
        kernel2=k2,
        padded_kernel=padded_kernel,
        padded_delta=padded_delta,
        via_padded_kernel=convolve2d(padded_kernel, delta2, "valid"),
        via_padded_delta=correlate2d(padded_delta, rot180(k2), "valid"),
        library=library,
    )
