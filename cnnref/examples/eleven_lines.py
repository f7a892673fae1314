"""Andrew Trask's 11-line network: sigmoid layers trained by full-batch gradient descent.

The article seeds numpy's legacy generator with ``np.random.seed(1)`` and
draws every weight matrix as ``2 * random(shape) - 1``. A
``np.random.RandomState(1)`` produces the same stream without touching the
global state. Its weights ``syn`` have shape (in, out); a :class:`~cnnref.Dense`
layer stores (out, in), so the replay loads ``syn.T``.

The article's update ``syn += l_prev.T @ ((y - out) * out * (1 - out))`` is
gradient descent with learning rate 1 on ``L = ½ Σ (out - y)²``: exactly
:class:`~cnnref.SGD` (``lr=1``) on :func:`~cnnref.half_sum_squares`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from ..layers import Dense, Sigmoid
from ..losses import half_sum_squares, half_sum_squares_grad
from ..optim import SGD
from ..sequential import Sequential

#: The four training examples (rows); the third column is always 1.
X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=float)
#: Part 1: the output copies the first input column.
Y_COPY = np.array([[0, 0, 1, 1]], dtype=float).T
#: Part 2: the output is the XOR of the first two columns.
Y_XOR = np.array([[0, 1, 1, 0]], dtype=float).T


def article_weights(shapes, seed: int = 1) -> list[np.ndarray]:
    """``2 * random(shape) - 1`` for each shape in turn, from the legacy generator ``seed``."""
    rs = np.random.RandomState(seed)
    return [2 * rs.random_sample(shape) - 1 for shape in shapes]


def network(sizes) -> Sequential:
    """Dense (no bias) + sigmoid for each consecutive pair of ``sizes``, e.g. (3, 4, 1)."""
    layers = []
    for n_in, n_out in itertools.pairwise(sizes):
        layers += [Dense(n_in, n_out, bias=False), Sigmoid()]
    return Sequential(*layers)


@dataclass
class Run:
    model: Sequential
    #: the output of the last iteration's forward pass (before its update): what the article prints
    output: np.ndarray
    iteration: np.ndarray  #: the iterations at which the two curves below were recorded
    loss: np.ndarray  #: ½ Σ (out - y)², before the update of that iteration
    mean_abs_error: np.ndarray  #: mean |y - out|, the article's printed "Error"


def train(y, hidden=(), iterations: int = 10000, seed: int = 1, lr: float = 1.0,
          record_every: int = 100) -> Run:  # fmt: skip
    """Train the article's network on ``X -> y``.

    ``hidden=()`` is the 2-layer network of part 1 (one weight matrix (3, 1));
    ``hidden=(4,)`` the 3-layer network of part 2 (weights (3, 4) and (4, 1)),
    drawn in that order as in the article.
    """
    sizes = (X.shape[1], *hidden, y.shape[1])
    model = network(sizes)
    weights = article_weights(list(itertools.pairwise(sizes)), seed)
    model.load_parameters({f"{2 * i}.weight": w.T for i, w in enumerate(weights)})
    opt = SGD(lr)
    params = model.parameters()
    recorded = []
    for it in range(iterations):
        out = model.forward(X)
        if it % record_every == 0 or it == iterations - 1:
            recorded.append((it, half_sum_squares(out, y), np.mean(np.abs(y - out))))
        model.backward(half_sum_squares_grad(out, y))
        opt.step(params, model.gradients())
    it, loss, mae = (np.array(v) for v in zip(*recorded, strict=True))
    return Run(model, out, it, loss, mae)
