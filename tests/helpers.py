"""Comparison helpers used by every test module."""

from __future__ import annotations

import numpy as np


def relative_error(actual, expected) -> float:
    """Normwise relative error ``max|a - e| / max|e|`` (``max|a - e|`` when e is all zero).

    Every entry is measured against the size of the whole array; for a scalar
    this is the entry's own relative error ``|a - e| / |e|``.
    """
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    scale = np.max(np.abs(expected), initial=0.0)
    diff = np.max(np.abs(actual - expected), initial=0.0)
    return float(diff / scale) if scale > 0 else float(diff)


def assert_close(actual, expected, rtol: float, what: str = "", nonzero: bool = False) -> None:
    """Same shape, no NaN, and normwise relative error at most ``rtol``.

    ``nonzero=True`` also refuses an all-zero ``expected`` (against zeros the
    relative error is an absolute one).
    """
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    assert np.all(np.isfinite(actual)), f"{what}: non-finite values in the result"
    if nonzero:
        assert np.any(expected != 0), f"{what}: the reference is all zero"
    err = relative_error(actual, expected)
    assert err <= rtol, f"{what}: relative error {err:.3e} > {rtol:.0e}"


def random_conv_case(rng, n, c, o, hw, khw, groups, extra_dtype=np.float64):
    """Random x (N, C, H, W), non-symmetric w (O, C/G, kh, kw) and bias (O,)."""
    x = rng.standard_normal((n, c, *hw)).astype(extra_dtype)
    w = rng.standard_normal((o, c // groups, *khw)).astype(extra_dtype)
    b = rng.standard_normal(o).astype(extra_dtype)
    return x, w, b
