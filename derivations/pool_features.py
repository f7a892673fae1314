"""D7's pooling: PyTorch's average and max pooling with every option, by their definitions.

``ceil_mode``, ``count_include_pad``, ``divisor_override``, padding and
dilation are the options behind the pooling bugs of the bugs page. Each is
written here as its definition (which windows exist, what each divides by),
not as a framework's code: :class:`PoolConfig` lists a window's starts from
the rule "starts inside the input or its leading padding, ends inside the
padded input, or with ``ceil_mode`` at most ``s - 1`` past it", and PyTorch's
output-size formula (:func:`pytorch_out_size`) is checked against it. The
case :mod:`derivations.d7_features` proves the gradients over the grids
below.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import sympy as sp

from . import symbolic as S
from .d5_grid import _brute, tie_broken
from .polynomial import Poly
from .proof import exactly_equal


@dataclass(frozen=True)
class PoolConfig:
    """A pooling over one channel; ``divisor`` is ``divisor_override`` (None: not given)."""

    in_hw: tuple[int, int]
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int] = (1, 1)
    ceil_mode: bool = False
    count_include_pad: bool = True
    divisor: int | None = None

    @property
    def label(self) -> str:
        return (
            f"input {self.in_hw}, kernel {self.kernel}, stride {self.stride}, padding "
            f"{self.padding}, dilation {self.dilation}, ceil_mode {self.ceil_mode}, "
            f"count_include_pad {self.count_include_pad}, divisor_override {self.divisor}"
        )

    def windows(self, axis: int) -> list[int]:
        """The window starts (in input coordinates) on one axis, by the definition:
        a window starts inside the input or its leading padding, and ends inside the padded
        input, or with ``ceil_mode`` at most ``s - 1`` past it."""
        n, k, s, p, d = (
            v[axis] for v in (self.in_hw, self.kernel, self.stride, self.padding, self.dilation)
        )
        span = d * (k - 1) + 1
        reach = n + p + (s - 1 if self.ceil_mode else 0)
        return [
            s * i - p for i in range(n + 2 * p + 1) if s * i - p < n and s * i - p + span <= reach
        ]


def pytorch_out_size(n, k, s, p, d, ceil_mode) -> int:
    """PyTorch's pooling output size: ``⌊(n + 2p - d(k-1) - 1 + (s-1 if ceil)) / s⌋ + 1``, one
    fewer when ``ceil_mode`` would start the last window in the trailing padding."""
    out = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def pytorch_sizes(cfg: PoolConfig) -> list[int]:
    """:func:`pytorch_out_size` on both axes."""
    fields = (cfg.in_hw, cfg.kernel, cfg.stride, cfg.padding, cfg.dilation)
    return [pytorch_out_size(*(v[a] for v in fields), cfg.ceil_mode) for a in (0, 1)]


def avg_forward(x: np.ndarray, cfg: PoolConfig) -> np.ndarray:
    """The definition: each window's entries inside the input, summed, over the count of its
    positions inside the padded input (``count_include_pad``) or inside the input, or over
    ``divisor_override``."""
    (h, w), (kh, kw), (ph, pw) = cfg.in_hw, cfg.kernel, cfg.padding
    rows, cols = cfg.windows(0), cfg.windows(1)
    out = np.empty((len(rows), len(cols)), dtype=object)
    for (i, r0), (j, c0) in itertools.product(enumerate(rows), enumerate(cols)):
        cells = [(r, c) for r in range(r0, r0 + kh) for c in range(c0, c0 + kw)]
        inside = [(r, c) for r, c in cells if 0 <= r < h and 0 <= c < w]
        padded = [(r, c) for r, c in cells if -ph <= r < h + ph and -pw <= c < w + pw]
        count = cfg.divisor or len(padded if cfg.count_include_pad else inside)
        out[i, j] = S.total([x[r, c] for r, c in inside]) * sp.Rational(1, count)
    return out


def pytorch_divisor(cfg: PoolConfig, r0: int, c0: int, full_kernel: bool = False) -> int:
    """PyTorch's formula: ``(min(h0 + k, H + p) - h0)·(…)``, clipped to the input when
    ``count_include_pad`` is off; ``divisor_override`` wins. ``full_kernel``: ``kh·kw``."""
    (h, w), (kh, kw), (ph, pw) = cfg.in_hw, cfg.kernel, cfg.padding
    if cfg.divisor:
        return cfg.divisor
    if full_kernel:
        return kh * kw
    r1, c1 = min(r0 + kh, h + ph), min(c0 + kw, w + pw)
    if cfg.count_include_pad:
        return (r1 - r0) * (c1 - c0)
    return (min(r1, h) - max(r0, 0)) * (min(c1, w) - max(c0, 0))


def avg_backward(g: np.ndarray, cfg: PoolConfig, divisor=pytorch_divisor) -> np.ndarray:
    """``∂L/∂x[r, c] = Σ_{windows (i, j) holding (r, c)} δ[i, j] / divisor(i, j)``."""
    (h, w), (kh, kw) = cfg.in_hw, cfg.kernel
    terms = {(r, c): [] for r in range(h) for c in range(w)}
    for (i, r0), (j, c0) in itertools.product(
        enumerate(cfg.windows(0)), enumerate(cfg.windows(1))
    ):
        share = g[i, j] * sp.Rational(1, divisor(cfg, r0, c0))
        for r in range(max(r0, 0), min(r0 + kh, h)):
            for c in range(max(c0, 0), min(c0 + kw, w)):
                terms[r, c].append(share)
    out = np.empty((h, w), dtype=object)
    for (r, c), parts in terms.items():
        out[r, c] = S.total(parts) if parts else Poly()
    return out


def avg_grid() -> list[PoolConfig]:
    out = []
    for (h, w), k, s, ceil, cip, div in itertools.product(
        [(5, 4), (4, 7)],
        [(2, 2), (3, 2), (2, 3), (3, 3)],
        [(2, 2), (3, 1)],
        (False, True),
        (True, False),
        (None, 5),
    ):
        for p in sorted({(0, 0), (k[0] // 2, k[1] // 2), (k[0] // 2, 0)}):
            out.append(PoolConfig((h, w), k, s, p, (1, 1), ceil, cip, div))
    return out


def prove_avg(cfg: PoolConfig) -> tuple[dict[str, bool], dict[str, bool]]:
    x = S.variables("x", cfg.in_hw)
    y = avg_forward(x, cfg)
    g = S.variables("g", y.shape)
    dx = _brute(Poly.inner(g, y), x)
    sizes = pytorch_sizes(cfg)
    statements = {
        "avg-backward": exactly_equal(dx, avg_backward(g, cfg)),
        "pool-output-size": sizes == [len(cfg.windows(0)), len(cfg.windows(1))],
    }
    controls = {}
    starts = list(itertools.product(cfg.windows(0), cfg.windows(1)))
    if any(pytorch_divisor(cfg, *s0) != pytorch_divisor(cfg, *s0, True) for s0 in starts):
        full = avg_backward(g, cfg, lambda c, r0, c0: pytorch_divisor(c, r0, c0, True))
        controls["avg-full-kernel-divisor"] = exactly_equal(dx, full)
    if cfg.divisor and not cfg.count_include_pad:
        ignored = PoolConfig(
            cfg.in_hw,
            cfg.kernel,
            cfg.stride,
            cfg.padding,
            cfg.dilation,
            cfg.ceil_mode,
            False,
            None,
        )
        controls["avg-override-ignored"] = exactly_equal(dx, avg_backward(g, ignored))
    if cfg.ceil_mode and sizes != _without_drop(cfg):
        # the last window kept although it starts in the trailing padding
        controls["ceil-window-in-padding"] = _without_drop(cfg) == [
            len(cfg.windows(0)),
            len(cfg.windows(1)),
        ]
    return statements, controls


def _without_drop(cfg: PoolConfig) -> list[int]:
    """The ceil_mode size without PyTorch's rule that drops a window starting in the padding."""
    return [
        (n + 2 * p - d * (k - 1) - 1 + s - 1) // s + 1
        for n, k, s, p, d in zip(
            cfg.in_hw, cfg.kernel, cfg.stride, cfg.padding, cfg.dilation, strict=True
        )
    ]


def max_grid() -> list[PoolConfig]:
    out = []
    for (h, w), k, s, d, ceil in itertools.product(
        [(5, 4)],
        [(2, 2), (3, 2)],
        [(1, 1), (2, 1)],
        [(1, 1), (2, 1)],
        (False, True),
    ):
        for p in sorted({(0, 0), (k[0] // 2, k[1] // 2)}):
            cfg = PoolConfig((h, w), k, s, p, d, ceil)
            if cfg.windows(0) and cfg.windows(1):
                out.append(cfg)
    return out


def _cells(cfg: PoolConfig, r0: int, c0: int) -> list[tuple[int, int]]:
    """A max-pool window's input positions, taps ``d`` apart, in row-major order."""
    (h, w), (kh, kw), (dh, dw) = cfg.in_hw, cfg.kernel, cfg.dilation
    return [
        (r0 + a * dh, c0 + b * dw)
        for a in range(kh)
        for b in range(kw)
        if 0 <= r0 + a * dh < h and 0 <= c0 + b * dw < w
    ]


def max_routing(values: np.ndarray, g: np.ndarray, cfg: PoolConfig, last=False) -> np.ndarray:
    """Each ``δ`` entry sent to its window's first (or, for the control, last) maximum."""
    out = {(r, c): [] for r, c in np.ndindex(*cfg.in_hw)}
    for (i, r0), (j, c0) in itertools.product(
        enumerate(cfg.windows(0)), enumerate(cfg.windows(1))
    ):
        cells = _cells(cfg, r0, c0)
        best = max(values[cell] for cell in cells)
        winners = [cell for cell in cells if values[cell] == best]
        out[winners[-1] if last else winners[0]].append(g[i, j])
    result = np.empty(cfg.in_hw, dtype=object)
    for cell, parts in out.items():
        result[cell] = S.total(parts) if parts else Poly()
    return result


def max_gradient(values: np.ndarray, g: np.ndarray, cfg: PoolConfig) -> np.ndarray:
    """``sympy.diff`` of ``Σ δ ⊙ Max(window)`` at the tie-broken point, entry by entry."""
    point = tie_broken(values[None])[0]
    names = S.symbols("x", values.shape)
    windows = list(itertools.product(enumerate(cfg.windows(0)), enumerate(cfg.windows(1))))
    dx = np.empty(values.shape, dtype=object)
    for m in np.ndindex(values.shape):
        terms = []
        for (i, r0), (j, c0) in windows:
            cells = _cells(cfg, r0, c0)
            if m not in cells:
                continue
            y = sp.Max(*(names[m] if cell == m else point[cell] for cell in cells))
            slope = sp.Rational(sp.diff(y, names[m]).xreplace({names[m]: point[m]}))
            if slope != 0:
                terms.append(S.scale(g[i, j], slope.p, slope.q))
        dx[m] = S.total(terms)
    return dx


def prove_max(cfg: PoolConfig) -> tuple[dict[str, bool], dict[str, bool]]:
    h, w = cfg.in_hw
    values = np.array([[(3 * i + 5 * j) % 4 for j in range(w)] for i in range(h)])
    g = S.variables("g", (len(cfg.windows(0)), len(cfg.windows(1))))
    dx = max_gradient(values, g, cfg)
    sizes = pytorch_sizes(cfg)
    statements = {
        "max-backward": exactly_equal(dx, max_routing(values, g, cfg)),
        "pool-output-size": sizes == [len(cfg.windows(0)), len(cfg.windows(1))],
    }
    controls = {}
    last = max_routing(values, g, cfg, last=True)
    if not exactly_equal(max_routing(values, g, cfg), last):  # some window has a tie
        controls["max-to-last-maximum"] = exactly_equal(dx, last)
    return statements, controls
