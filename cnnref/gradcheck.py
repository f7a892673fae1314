"""Gradient checking by central finite differences, in float64.

A function ``y = f(inputs)`` and its claimed backward pass are compared
through the scalar ``L = Σ δ ⊙ f(inputs)`` with a **random** upstream
gradient ``δ`` (an all-ones ``δ``, i.e. ``f(...).sum()``, cannot tell a
rotated kernel from an unrotated one). Every entry of every input is nudged by
``±eps`` and ``(L(+eps) - L(-eps)) / (2 eps)`` is set against the backward
pass's ``∂L/∂input``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class GradcheckResult:
    """The worst disagreement found, and where.

    ``max_error`` is the largest ``|analytic - numeric|`` divided by the
    largest ``|numeric|`` of the same input (normwise relative error; the
    absolute error when that gradient is all zero). ``input`` and ``index``
    locate it; ``errors`` gives the worst error of each input.
    """

    max_error: float
    input: str
    index: tuple[int, ...]
    analytic: float
    numeric: float
    errors: dict[str, float] = field(default_factory=dict)

    def __str__(self):
        return (
            f"gradcheck: worst relative error {self.max_error:.3e} at "
            f"{self.input}{list(self.index)} "
            f"(analytic {self.analytic:.10g}, numeric {self.numeric:.10g})"
        )


def gradcheck(forward, backward, inputs: dict, *, eps: float = 1e-6, seed=0) -> GradcheckResult:
    """Check ``backward`` against central differences of ``forward``.

    Parameters
    ----------
    forward : callable
        ``forward(**inputs) -> y``, an array of any shape (or a scalar).
    backward : callable
        ``backward(grad_y, **inputs) -> {name: ∂L/∂inputs[name]}`` for every input.
    inputs : dict of arrays
        The point to check at. They are copied to float64; the caller's arrays
        are never modified.
    eps : float
        Step of the central differences.
    seed : int or numpy Generator
        Draws the upstream gradient ``δ`` (standard normal, shape of ``y``).
    """
    point = {k: np.array(v, dtype=np.float64) for k, v in inputs.items()}
    y = np.asarray(forward(**point), dtype=np.float64)
    g = np.random.default_rng(seed).standard_normal(y.shape)
    claimed = backward(g, **{k: v.copy() for k, v in point.items()})
    if set(claimed) != set(point):
        raise ValueError(
            f"backward: expected gradients for {sorted(point)}, got {sorted(claimed)}"
        )

    def loss() -> float:
        return float(np.sum(g * np.asarray(forward(**point), dtype=np.float64)))

    worst = None
    errors = {}
    for name, x in point.items():
        analytic = np.asarray(claimed[name], dtype=np.float64)
        if analytic.shape != x.shape:
            raise ValueError(
                f"backward: gradient of {name} has shape {analytic.shape}, not {x.shape}"
            )
        numeric = np.zeros(x.shape)
        for idx in np.ndindex(x.shape):
            original = x[idx]
            x[idx] = original + eps
            up = loss()
            x[idx] = original - eps
            down = loss()
            x[idx] = original
            numeric[idx] = (up - down) / (2 * eps)
        if x.size == 0:
            continue
        scale = np.max(np.abs(numeric))
        err = np.abs(analytic - numeric) / (scale if scale > 0 else 1.0)
        where = np.unravel_index(np.argmax(err), x.shape)
        errors[name] = float(err[where])
        if worst is None or errors[name] > worst[0]:
            worst = (
                errors[name],
                name,
                tuple(int(i) for i in where),
                analytic[where],
                numeric[where],
            )
    if worst is None:
        raise ValueError("inputs: nothing to check (no entries)")
    err, name, where, a, n = worst
    return GradcheckResult(float(err), name, where, float(a), float(n), errors)


def gradcheck_layer(layer, x, *, eps: float = 1e-6, seed=0) -> GradcheckResult:
    """:func:`gradcheck` of a layer (or :class:`~cnnref.Sequential`) in ``x`` and every parameter.

    Works on a deep copy: ``layer`` and ``x`` are left as they were. Inputs are
    named ``"x"`` and by the keys of ``layer.parameters()``.
    """
    model = copy.deepcopy(layer)

    def forward(x, **params):
        model.load_parameters(params)
        return model.forward(x)

    def backward(grad_y, x, **params):
        model.load_parameters(params)
        model.forward(x)
        grad_x = model.backward(grad_y)
        return {"x": grad_x, **(model.gradients() if params else {})}

    return gradcheck(forward, backward, {"x": x, **layer.parameters()}, eps=eps, seed=seed)
