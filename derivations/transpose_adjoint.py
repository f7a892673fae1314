"""``conv_transpose2d`` is the adjoint of ``conv2d`` for every ``output_padding`` (part of D5).

For an upstream array ``δ`` (O, Hg, Wg), a weight ``w`` (O, C // groups, kh,
kw) and every ``output_padding`` PyTorch allows (``0 <= op < max(s, d)`` on
each axis), with ``x`` of the size the transposed convolution returns,
``H = (Hg - 1)·s - 2p + d(k-1) + op + 1``::

    ⟨conv2d(x, w)[:, :Hg, :Wg], δ⟩ = ⟨x, conv_transpose2d(δ, w; output_padding=op)⟩

**cross-correlation** layer, PyTorch semantics. ``conv2d(x, w)`` has ``Hg +
⌊op/s⌋`` rows: exactly ``Hg`` while ``op < s``; when the dilation exceeds the
stride, ``op >= s`` is allowed too, and the extra windows at the bottom (right)
are paired with nothing, so only the first ``Hg x Wg`` outputs meet ``δ``.
Both inner products are built as exact polynomials in ``x``, ``w``, ``δ``
and compared coefficient by coefficient.

Control: the ``output_padding`` rows placed at the top (columns at the left)
instead of the bottom (right).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from cnnref.shapes import conv_transpose_output_size

from . import symbolic as S
from .polynomial import Poly
from .proof import exactly_equal


@dataclass(frozen=True)
class TransposeConfig:
    """A transposed convolution of ``δ`` (Hg x Wg): the convolution it is the adjoint of."""

    grad_hw: tuple[int, int]
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]
    channels: tuple[int, int]  # the convolution's (in, out)
    groups: int
    output_padding: tuple[int, int]

    @property
    def in_hw(self) -> tuple[int, int]:
        """The transposed convolution's output size, which is the size of ``x``."""
        return tuple(
            conv_transpose_output_size(n, k, s, p, op, d)
            for n, k, s, p, op, d in zip(
                self.grad_hw, self.kernel, self.stride, self.padding, self.output_padding,
                self.dilation, strict=True,
            )
        )  # fmt: skip

    @property
    def label(self) -> str:
        g, k, s, p, d, op = (
            f"{a}x{b}"
            for a, b in (
                self.grad_hw, self.kernel, self.stride, self.padding, self.dilation,
                self.output_padding,
            )
        )  # fmt: skip
        c, o = self.channels
        return (
            f"G {g}, kernel {k}, stride {s}, padding {p}, dilation {d}, output_padding {op}, "
            f"channels {c}:{o}, groups {self.groups}"
        )


# (G size, kernel, stride, padding, dilation, channels, groups): each is taken with every
# output_padding value on each axis. The second and third have a dilation larger than the
# stride on some axis, where output_padding may reach or pass the stride.
_GEOMETRIES = [
    ((3, 2), (2, 3), (2, 1), (0, 1), (1, 3), (2, 3), 1),
    ((2, 3), (3, 2), (3, 2), (1, 0), (2, 3), (4, 6), 2),
    ((2, 2), (2, 2), (1, 1), (0, 0), (2, 2), (1, 2), 1),
]


def output_padding_grid() -> list[TransposeConfig]:
    """Every allowed ``output_padding`` (``0 .. max(s, d) - 1`` per axis) of each geometry."""
    configs = []
    for grad_hw, kernel, stride, padding, dilation, channels, groups in _GEOMETRIES:
        ranges = (range(max(s, d)) for s, d in zip(stride, dilation, strict=True))
        for op in itertools.product(*ranges):
            configs.append(
                TransposeConfig(grad_hw, kernel, stride, padding, dilation, channels, groups, op)
            )
    return configs


def prove_adjoint(cfg: TransposeConfig) -> tuple[bool, bool | None]:
    """``(statement holds, control accepted)``; the control is ``None`` when ``op = (0, 0)``."""
    c, o = cfg.channels
    x = S.variables("x", (c, *cfg.in_hw))
    w = S.variables("w", (o, c // cfg.groups, *cfg.kernel))
    g = S.variables("g", (o, *cfg.grad_hw))
    y = S.conv2d(
        x, w, stride=cfg.stride, padding=cfg.padding, dilation=cfg.dilation, groups=cfg.groups
    )
    hg, wg = cfg.grad_hw
    lhs = Poly.inner(y[:, :hg, :wg], g)

    def transpose(output_padding):
        return S.conv_transpose2d(
            g, w, stride=cfg.stride, padding=cfg.padding, output_padding=output_padding,
            dilation=cfg.dilation, groups=cfg.groups,
        )  # fmt: skip

    holds = exactly_equal(
        np.array([lhs]), np.array([Poly.inner(x, transpose(cfg.output_padding))])
    )
    oph, opw = cfg.output_padding
    if (oph, opw) == (0, 0):
        return holds, None
    first = S.pad2d(transpose((0, 0)), (oph, 0, opw, 0))
    return holds, exactly_equal(np.array([lhs]), np.array([Poly.inner(x, first)]))
