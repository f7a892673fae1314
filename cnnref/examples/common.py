"""Small measures shared by the replays."""

from __future__ import annotations

import numpy as np


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
