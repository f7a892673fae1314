"""Describe a wrong gradient: where it differs, what it looks like, what a wrong shape means.

``where`` says which entries differ (all, or which rows, columns, channels
and examples, and whether those are the rows a stride remainder leaves out);
``pattern`` recognises generic relations to the right answer (zero, a
constant multiple, rotated by 180 degrees, shifted by a row or a column);
``shape_hint`` reads a wrong shape (the padded input's shape, missing
remainder rows, gradients returned in the wrong order, a bias gradient
reduced over the wrong axes).

Arrays are NCHW (x, δ) or OIHW (w).
"""

from __future__ import annotations

import numpy as np

from .configs import Config

RTOL = 1e-6


def close(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Entrywise agreement, relative to the size of the right answer ``b`` (float64 inputs)."""
    scale = max(1.0, float(np.max(np.abs(b), initial=0.0)))
    return np.abs(a - b) <= RTOL * scale


def same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.all(close(a, b)))


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """``max |a - b| / max(max |a|, max |b|)``, 0 when both are zero."""
    den = max(float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(b), initial=0.0)))
    return 0.0 if den == 0 else float(np.max(np.abs(a - b), initial=0.0)) / den


def _listed(values) -> str:
    """Indices as runs: [0, 1, 2, 5] -> '0–2, 5'."""
    runs: list[list[int]] = []
    for v in (int(v) for v in values):
        if runs and v == runs[-1][-1] + 1:
            runs[-1].append(v)
        else:
            runs.append([v])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}–{r[-1]}" for r in runs)


def where(wrong: np.ndarray, cfg: Config, gradient: str) -> str:
    """Which entries of a 4-D gradient (or the 1-D bias gradient) differ."""
    count, total = int(wrong.sum()), wrong.size
    if count == total:
        return f"every entry ({total}) differs"
    head = f"{count} of {total} entries differ"
    if wrong.ndim == 1:
        return f"{head}: indices {_listed(np.flatnonzero(wrong))}"
    axes = ("examples", "channels") if gradient == "dx" else ("output channels", "input channels")
    parts = []
    for axis, name in enumerate((*axes, "rows", "columns")):
        hit = np.flatnonzero(wrong.any(axis=tuple(k for k in range(4) if k != axis)))
        if len(hit) < wrong.shape[axis]:
            parts.append(f"{name} {_listed(hit)}")
    text = f"{head}, only in " + "; ".join(parts) if parts else head
    if gradient == "dx" and cfg.stride > 1:
        rh, rw = cfg.remainder
        rows = set(np.flatnonzero(wrong.any(axis=(0, 1, 3))))
        cols = set(np.flatnonzero(wrong.any(axis=(0, 1, 2))))
        last_rows = set(range(cfg.h + cfg.padding - rh, cfg.h))
        last_cols = set(range(cfg.w + cfg.padding - rw, cfg.w))
        if (rows and rows <= last_rows) or (cols and cols <= last_cols):
            text += " (the rows/columns no window reaches: a stride remainder; they get zero)"
    return text


def pattern(got: np.ndarray, right: np.ndarray) -> str | None:
    """A generic relation between a wrong gradient and the right one, if one holds."""
    if not np.any(got):
        return "it is zero everywhere"
    if got.ndim >= 2 and same(got, right[..., ::-1, ::-1]):
        return "it is the right one rotated by 180 degrees in the last two axes"
    denom = float(np.sum(right * right))
    if denom > 0:
        factor = float(np.sum(got * right)) / denom
        if same(got, factor * right):
            inverse = 1.0 / factor if factor else 0.0
            if abs(inverse - round(inverse)) < 1e-9 and abs(inverse) > 1:
                return f"it is the right one divided by {round(inverse)}"
            return f"it is the right one times {factor:.6g}"
    if got.ndim == 4:
        for axis, name in ((2, "row"), (3, "column")):
            for step in (1, -1):
                shifted = np.zeros_like(right)
                src = [slice(None)] * 4
                dst = [slice(None)] * 4
                src[axis] = slice(0, -1) if step == 1 else slice(1, None)
                dst[axis] = slice(1, None) if step == 1 else slice(0, -1)
                shifted[tuple(dst)] = right[tuple(src)]
                if same(got, shifted):
                    way = "down" if axis == 2 else "right"
                    way = way if step == 1 else {"down": "up", "right": "left"}[way]
                    return f"it is the right one shifted one {name} {way}"
    return None


def shape_hint(name: str, shape: tuple, expected: tuple, cfg: Config, shapes: dict) -> str:
    """What a wrong shape of gradient ``name`` most likely means."""
    p, (rh, rw) = cfg.padding, cfg.remainder
    if name == "dx":
        if shape == (cfg.n, cfg.c, cfg.h + 2 * p, cfg.w + 2 * p) and p:
            return "it has the padded input's shape: the padding was not cropped off"
        if shape == (cfg.n, cfg.c, cfg.h - rh, cfg.w - rw) or shape == (
            cfg.n,
            cfg.c,
            cfg.h + 2 * p - rh,
            cfg.w + 2 * p - rw,
        ):
            return "the rows/columns a stride remainder leaves out are missing (they get zero)"
    if name == "db" and len(shape) >= 1:
        if shape == (cfg.n,):
            return "δ was summed over the channels; the bias gradient keeps them: sum over N, H, W"
        if len(shape) > 1:
            return "δ was not summed over every axis but the channels"
    for other, other_shape in shapes.items():
        if other != name and shape == other_shape and shape != expected:
            return f"it has the shape of {other}: the gradients may be returned in the wrong order"
    return ""
