"""Losses and their gradients with respect to the prediction.

Each loss ``name(y, t)`` returns a Python float and ``name_grad(y, t)`` returns
``∂loss/∂y``, a new array with the shape of ``y``. Targets are never
differentiated. ``reduction`` is ``"mean"`` (PyTorch's default) or ``"sum"``.

* :func:`half_sum_squares` — ``½ Σ (y - t)²``, the loss of the source
  articles; its gradient is simply ``y - t``.
* :func:`mse` — ``mean((y - t)²)``, PyTorch's ``mse_loss``.
* :func:`binary_cross_entropy` — on probabilities ``p`` in [0, 1], with
  PyTorch's clamp of each log at -100; :func:`binary_cross_entropy_with_logits`
  is the stable form on logits.
* :func:`softmax_cross_entropy` — PyTorch's ``cross_entropy`` on logits
  ``(N, K)``, with integer class targets ``(N,)`` or probability targets
  ``(N, K)``; computed through a stable log-sum-exp.
"""

from __future__ import annotations

import numpy as np

from ._validate import as_real_array, check_ndim
from .activations import sigmoid


def _pair(y, t, y_name="y"):
    y = as_real_array(y_name, y)
    t = as_real_array("t", t)
    if t.shape != y.shape:
        raise ValueError(f"t: expected the shape of {y_name} {y.shape}, got {t.shape}")
    return y, t


def _scale(reduction: str, count: int) -> float:
    """The factor a reduction puts on every element: ``1/count`` for mean, 1 for sum."""
    if reduction == "mean":
        return 1.0 / count
    if reduction == "sum":
        return 1.0
    raise ValueError(f"reduction: expected 'mean' or 'sum', got {reduction!r}")


def _reduce(values: np.ndarray, reduction: str, count: int) -> float:
    _scale(reduction, count)  # checks the name
    total = float(np.sum(values))
    return total / count if reduction == "mean" else total


def half_sum_squares(y, t) -> float:
    """``½ Σ (y - t)²`` over every element (no averaging). y, t : same shape."""
    y, t = _pair(y, t)
    return 0.5 * float(np.sum((y - t) ** 2))


def half_sum_squares_grad(y, t) -> np.ndarray:
    """``y - t``."""
    y, t = _pair(y, t)
    return y - t


def mse(y, t, reduction: str = "mean") -> float:
    """``Σ (y - t)²``, divided by ``y.size`` when ``reduction="mean"``."""
    y, t = _pair(y, t)
    return _reduce((y - t) ** 2, reduction, y.size)


def mse_grad(y, t, reduction: str = "mean") -> np.ndarray:
    """``2 (y - t)``, divided by ``y.size`` when ``reduction="mean"``."""
    y, t = _pair(y, t)
    return 2.0 * _scale(reduction, y.size) * (y - t)


# PyTorch's bound on p (1 - p) is the float32 constant 1e-12, i.e. 9.99999996e-13.
_BCE_EPS = float(np.float32(1e-12))


def _check_probabilities(p: np.ndarray) -> None:
    if p.size and not (np.min(p) >= 0 and np.max(p) <= 1):
        raise ValueError("p: expected probabilities in [0, 1]")


def binary_cross_entropy(p, t, reduction: str = "mean") -> float:
    """``-Σ [t log p + (1 - t) log(1 - p)]``, each log clamped at -100 (as PyTorch).

    p : probabilities in [0, 1]; t : targets in [0, 1], same shape.
    """
    p, t = _pair(p, t, "p")
    _check_probabilities(p)
    tiny = np.finfo(p.dtype).tiny
    log_p = np.maximum(np.log(np.maximum(p, tiny)), -100.0)
    log_q = np.maximum(np.log(np.maximum(1.0 - p, tiny)), -100.0)
    return _reduce(-(t * log_p + (1.0 - t) * log_q), reduction, p.size)


def binary_cross_entropy_grad(p, t, reduction: str = "mean") -> np.ndarray:
    """``(p - t) / (p (1 - p))``, the denominator kept >= 1e-12 (as PyTorch)."""
    p, t = _pair(p, t, "p")
    _check_probabilities(p)
    return _scale(reduction, p.size) * (p - t) / np.maximum(p * (1.0 - p), _BCE_EPS)


def binary_cross_entropy_with_logits(z, t, reduction: str = "mean") -> float:
    """Binary cross-entropy of ``sigmoid(z)``: ``max(z, 0) - z t + log(1 + exp(-|z|))``."""
    z, t = _pair(z, t, "z")
    values = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
    return _reduce(values, reduction, z.size)


def binary_cross_entropy_with_logits_grad(z, t, reduction: str = "mean") -> np.ndarray:
    """``sigmoid(z) - t``, divided by ``z.size`` when ``reduction="mean"``."""
    z, t = _pair(z, t, "z")
    return _scale(reduction, z.size) * (sigmoid(z) - t)


def log_softmax(z, axis: int = -1) -> np.ndarray:
    """``z - logsumexp(z)`` along ``axis``, with the maximum subtracted first."""
    z = as_real_array("z", z)
    shifted = z - np.max(z, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def softmax(z, axis: int = -1) -> np.ndarray:
    """``exp(z) / Σ exp(z)`` along ``axis``, stable for large logits."""
    return np.exp(log_softmax(z, axis))


def _logits_and_target(z, target):
    z = as_real_array("z", z)
    check_ndim("z", z, (2,), "of logits (N, K)")
    target = np.asarray(target)
    if target.dtype.kind in "iu":
        if target.shape != z.shape[:1]:
            raise ValueError(
                f"target: expected class indices of shape {z.shape[:1]}, got {target.shape}"
            )
        if target.size and (target.min() < 0 or target.max() >= z.shape[1]):
            raise ValueError(f"target: class indices must lie in [0, {z.shape[1]})")
        onehot = np.zeros(z.shape, dtype=z.dtype)
        onehot[np.arange(z.shape[0]), target] = 1.0
        return z, onehot
    target = as_real_array("target", target)
    if target.shape != z.shape:
        raise ValueError(
            f"target: expected class indices {z.shape[:1]} (int) or probabilities {z.shape}, "
            f"got shape {target.shape}"
        )
    return z, target


def softmax_cross_entropy(z, target, reduction: str = "mean") -> float:
    """Cross-entropy of ``softmax(z)`` against ``target``: ``-Σ_k t_k log softmax(z)_k``.

    z : logits (N, K); target : int class indices (N,) or probabilities (N, K).
    ``"mean"`` divides by N, as PyTorch's ``cross_entropy`` does.
    """
    z, t = _logits_and_target(z, target)
    return _reduce(-t * log_softmax(z, axis=1), reduction, z.shape[0])


def softmax_cross_entropy_grad(z, target, reduction: str = "mean") -> np.ndarray:
    """``softmax(z) Σ_k t_k - t``, i.e. ``softmax(z) - onehot`` for class targets; / N for mean."""
    z, t = _logits_and_target(z, target)
    total = np.sum(t, axis=1, keepdims=True)
    return _scale(reduction, z.shape[0]) * (softmax(z, axis=1) * total - t)
