"""Optimizers: update parameter arrays in place from their gradients.

``step(params, grads)`` takes two dicts with the same keys (as
``model.parameters()`` and ``model.gradients()`` return them), or a model
alone. The parameter arrays are updated **in place**, so the layers that own
them see the new values: this is the one place where cnnref writes into an
array it was given. Gradients are only read. State (the momentum velocity) is
kept per parameter name.
"""

from __future__ import annotations

import numpy as np


def _pairs(params, grads):
    if grads is None:  # a model
        params, grads = params.parameters(), params.gradients()
    if set(params) != set(grads):
        raise KeyError(f"grads: expected the keys of params {sorted(params)}, got {sorted(grads)}")
    for key, p in params.items():
        if not isinstance(p, np.ndarray) or p.dtype.kind != "f":
            raise TypeError(f"params[{key!r}]: expected a float numpy array (updated in place)")
        g = np.asarray(grads[key])
        if g.shape != p.shape:
            raise ValueError(f"grads[{key!r}]: expected shape {p.shape}, got {g.shape}")
        yield key, p, g


class SGD:
    """Plain gradient descent: ``p ← p - lr · g``."""

    def __init__(self, lr: float):
        self.lr = float(lr)

    def step(self, params, grads=None) -> None:
        for _, p, g in _pairs(params, grads):
            p -= self.lr * g

    def __repr__(self):
        return f"SGD(lr={self.lr})"


class Momentum:
    """Gradient descent with momentum, in PyTorch's form (``torch.optim.SGD(momentum=μ)``)::

        v ← μ · v + g      (v = g at the first step)
        p ← p - lr · v

    With a fixed ``lr`` this is the same sequence of parameters as the form
    ``v ← μ · v + lr · g; p ← p - v`` that many texts write (their ``v`` is
    ``lr`` times this one).
    """

    def __init__(self, lr: float, momentum: float = 0.9):
        self.lr, self.momentum = float(lr), float(momentum)
        self.velocity: dict[str, np.ndarray] = {}

    def step(self, params, grads=None) -> None:
        for key, p, g in _pairs(params, grads):
            v = self.velocity.get(key)
            if v is not None and v.shape != p.shape:
                raise ValueError(
                    f"params[{key!r}]: shape {p.shape} changed, velocity is {v.shape}"
                )
            if v is None:
                v = self.velocity[key] = g.astype(p.dtype, copy=True)
            else:
                v *= self.momentum  # the velocity is the optimizer's own array
                v += g
            p -= self.lr * v

    def __repr__(self):
        return f"Momentum(lr={self.lr}, momentum={self.momentum})"
