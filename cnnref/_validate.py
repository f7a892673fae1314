"""Argument checking shared by every public function.

Each checker names the argument it rejects and says what was expected, so a
caller sees ``stride: expected a positive int or a pair of positive ints, got
0`` rather than a numpy broadcasting error three frames deeper.
"""

from __future__ import annotations

import numbers

import numpy as np


def as_real_array(name: str, value) -> np.ndarray:
    """Return ``value`` as a floating numpy array without copying when possible.

    Floating dtypes are kept (float32 stays float32); integers become float64.
    Booleans, complex numbers, strings and objects are rejected with a
    ``TypeError`` naming ``name``.
    """
    if isinstance(value, np.ndarray):
        arr = value
    else:
        try:
            arr = np.asarray(value)
        except (TypeError, ValueError) as err:
            raise TypeError(f"{name}: expected a real numeric array, got {value!r}") from err
    kind = arr.dtype.kind
    if kind == "f":
        return arr
    if kind in "iu":
        return arr.astype(np.float64)
    raise TypeError(f"{name}: expected a real numeric array (float or int), got dtype {arr.dtype}")


def check_ndim(name: str, arr: np.ndarray, ndims: tuple[int, ...], meaning: str) -> None:
    """Raise ``ValueError`` unless ``arr.ndim`` is one of ``ndims``."""
    if arr.ndim not in ndims:
        expected = " or ".join(f"{n}-D" for n in ndims)
        raise ValueError(f"{name}: expected a {expected} array {meaning}, got shape {arr.shape}")


def _is_int(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool | np.bool_)


def int_pair(name: str, value, minimum: int) -> tuple[int, int]:
    """Normalise an int or a pair of ints, each ``>= minimum``, to a pair."""
    if _is_int(value):
        pair = (int(value), int(value))
    elif isinstance(value, tuple | list) and len(value) == 2 and all(_is_int(v) for v in value):
        pair = (int(value[0]), int(value[1]))
    else:
        raise TypeError(f"{name}: expected an int or a pair of ints, got {value!r}")
    if min(pair) < minimum:
        what = "positive" if minimum == 1 else f">= {minimum}"
        raise ValueError(f"{name}: expected ints {what}, got {value!r}")
    return pair


def padding_pairs(
    name: str, padding, allow_strings: bool = True
) -> tuple[tuple[int, int], tuple[int, int]] | str:
    """Normalise a padding argument.

    Accepts an int, a pair ``(ph, pw)``, or a 4-tuple
    ``(top, bottom, left, right)``; with ``allow_strings`` also ``'valid'`` and
    ``'same'`` (returned unchanged for the caller to resolve). Returns
    ``((top, bottom), (left, right))``.
    """
    if isinstance(padding, str):
        if allow_strings and padding in ("valid", "same"):
            return padding
        allowed = "'valid', 'same', " if allow_strings else ""
        raise ValueError(
            f"{name}: expected {allowed}an int, a pair or a 4-tuple of ints, got {padding!r}"
        )
    if _is_int(padding):
        p = int(padding)
        pads = (p, p, p, p)
    elif isinstance(padding, tuple | list) and all(_is_int(v) for v in padding):
        if len(padding) == 2:
            pads = (int(padding[0]), int(padding[0]), int(padding[1]), int(padding[1]))
        elif len(padding) == 4:
            pads = tuple(int(v) for v in padding)
        else:
            raise ValueError(
                f"{name}: expected an int, a pair (ph, pw) or a 4-tuple "
                f"(top, bottom, left, right), got {padding!r}"
            )
    else:
        raise TypeError(f"{name}: expected an int, a pair or a 4-tuple of ints, got {padding!r}")
    if min(pads) < 0:
        raise ValueError(f"{name}: expected non-negative padding, got {padding!r}")
    return (pads[0], pads[1]), (pads[2], pads[3])


def positive_int(name: str, value) -> int:
    """Return ``value`` as an int ``>= 1`` or raise naming ``name``."""
    if not _is_int(value):
        raise TypeError(f"{name}: expected a positive int, got {value!r}")
    if value < 1:
        raise ValueError(f"{name}: expected a positive int, got {value!r}")
    return int(value)


def bias_vector(name: str, b, channels: int, dtype) -> np.ndarray | None:
    """Check an optional bias of shape ``(channels,)`` and cast it to ``dtype``."""
    if b is None:
        return None
    b = as_real_array(name, b)
    if b.shape != (channels,):
        raise ValueError(f"{name}: expected shape ({channels},), got {b.shape}")
    return b.astype(dtype, copy=False)
