"""Small measures shared by the replays."""

from __future__ import annotations

import copy

import numpy as np

from ..gradcheck import gradcheck


def flat(arrays) -> np.ndarray:
    """Concatenate a dict or sequence of arrays into one vector (dict values in key order)."""
    if isinstance(arrays, dict):
        arrays = [arrays[k] for k in sorted(arrays)]
    return np.concatenate([np.ravel(a) for a in arrays])


def cosine_similarity(a, b) -> float:
    """``<a, b> / (|a| |b|)`` of two arrays (or dicts of arrays) taken as flat vectors."""
    a, b = (
        flat(a) if isinstance(a, dict) else np.ravel(a),
        flat(b) if isinstance(b, dict) else np.ravel(b),
    )
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def relative_error(approx, exact) -> float:
    """``|approx - exact| / |exact|`` in the Euclidean norm of the flattened arrays."""
    approx = flat(approx) if isinstance(approx, dict) else np.ravel(approx)
    exact = flat(exact) if isinstance(exact, dict) else np.ravel(exact)
    return float(np.linalg.norm(approx - exact) / np.linalg.norm(exact))


def loss_gradcheck(model, loss_and_grads, *, names=None, eps: float = 1e-6):
    """:func:`~cnnref.gradcheck` of the gradients a training loop uses.

    ``loss_and_grads(model) -> (loss, {name: gradient})`` is what the loop
    calls at the model's current parameters; the check differentiates the
    loss numerically in every parameter, or in those listed in ``names``
    (on a deep copy of ``model``).
    """
    model = copy.deepcopy(model)
    fixed = model.parameters()
    checked = {k: v for k, v in fixed.items() if names is None or k in names}

    def forward(**params):
        model.load_parameters(fixed | params)
        return loss_and_grads(model)[0]

    def backward(grad_y, **params):
        model.load_parameters(fixed | params)
        grads = loss_and_grads(model)[1]
        return {k: grad_y * grads[k] for k in params}

    return gradcheck(forward, backward, {k: v.copy() for k, v in checked.items()}, eps=eps)


# Matplotlib settings the notebooks share (plain data: cnnref does not import matplotlib).
# No background, so a figure sits on the light and the dark palette alike; text and lines in
# a grey that reads on both; text large enough at the column width.
FIGURE_STYLE = {
    "figure.facecolor": "none",
    "axes.facecolor": "none",
    "savefig.facecolor": "none",
    "savefig.transparent": True,
    "text.color": "#808080",
    "axes.labelcolor": "#808080",
    "axes.edgecolor": "#808080",
    "xtick.color": "#808080",
    "ytick.color": "#808080",
    "legend.framealpha": 0.0,
    "legend.labelcolor": "#808080",
    "font.size": 13,
    "figure.dpi": 100,
}
