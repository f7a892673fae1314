"""The designed configurations a backward pass is checked on.

Each configuration is small (a loop implementation runs it in milliseconds)
and chosen so that a wrong formula cannot agree with the right one by
accident: rectangular inputs and kernels, sizes where no two dimensions
coincide, random non-symmetric kernels, random upstream gradients (never all
ones), strides that leave remainder rows or columns, padding, dilation and
groups. They are listed from the simplest to the most involved, so the first
failing one is the smallest that shows a bug.

The convolution is **cross-correlation** (``cnnref.conv2d``): x is NCHW
``(N, C, H, W)``, w is OIHW ``(O, C // groups, kh, kw)``, δ is
``(N, O, Ho, Wo)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..shapes import conv_output_size


@dataclass(frozen=True)
class Config:
    """One configuration: sizes, hyper-parameters, and the seed of its random inputs."""

    label: str
    n: int
    c: int
    h: int
    w: int
    kh: int
    kw: int
    stride: int = 1
    padding: int = 0
    o: int = 0  # output channels (convolution only)
    dilation: int = 1
    groups: int = 1
    ties: bool = False  # pooling: inputs with repeated values (ReLU outputs)
    seed: int = 0

    @property
    def out_hw(self) -> tuple[int, int]:
        """Output height and width, ``floor((in + 2p - d(k-1) - 1) / s) + 1``."""
        return (
            conv_output_size(self.h, self.kh, self.stride, self.padding, self.dilation),
            conv_output_size(self.w, self.kw, self.stride, self.padding, self.dilation),
        )

    @property
    def remainder(self) -> tuple[int, int]:
        """Rows and columns at the bottom/right of the padded input that no window reaches."""
        ho, wo = self.out_hw
        return tuple(
            size + 2 * self.padding - ((out - 1) * self.stride + self.dilation * (k - 1) + 1)
            for size, k, out in ((self.h, self.kh, ho), (self.w, self.kw, wo))
        )

    def settings(self, op: str) -> dict:
        """The configuration as plain data (for the report and JSON)."""
        out = {"label": self.label, "x": [self.n, self.c, self.h, self.w]}
        if op == "conv2d":
            out["w"] = [self.o, self.c // self.groups, self.kh, self.kw]
        else:
            out["kernel_size"] = [self.kh, self.kw]
        out["stride"] = self.stride
        out["padding"] = self.padding
        if op == "conv2d":
            out["dilation"] = self.dilation
            out["groups"] = self.groups
        elif self.ties:
            out["ties"] = True
        return out

    def describe(self, op: str) -> str:
        """One line: shapes and hyper-parameters."""
        x = f"x {(self.n, self.c, self.h, self.w)}"
        if op == "conv2d":
            shape = f"w {(self.o, self.c // self.groups, self.kh, self.kw)}"
        else:
            shape = f"kernel {self.kh}x{self.kw}"
        extra = [f"stride {self.stride}", f"padding {self.padding}"]
        if self.dilation != 1:
            extra.append(f"dilation {self.dilation}")
        if self.groups != 1:
            extra.append(f"groups {self.groups}")
        return f"{x}, {shape}, " + ", ".join(extra) + f" ({self.label})"

    def inputs(self, op: str) -> dict[str, np.ndarray]:
        """Random float64 inputs: x, δ (``grad_y``) and, for conv2d, w and a bias b."""
        rng = np.random.default_rng(1000 + self.seed)
        x_shape = (self.n, self.c, self.h, self.w)
        if self.ties:
            x = np.maximum(rng.integers(-3, 3, size=x_shape), 0).astype(np.float64)
        else:
            x = rng.standard_normal(x_shape)
        out = {"x": x}
        channels = self.c
        if op == "conv2d":
            out["w"] = rng.standard_normal((self.o, self.c // self.groups, self.kh, self.kw))
            out["b"] = rng.standard_normal(self.o)
            channels = self.o
        out["grad_y"] = rng.standard_normal((self.n, channels, *self.out_hw))
        return out


CONV = (
    Config("one channel, rectangular input and kernel", 1, 1, 4, 5, 2, 3, o=1),
    Config("channels and a batch, padding 1", 2, 2, 5, 6, 3, 2, padding=1, o=3, seed=1),
    Config("stride 2, a remainder row and column", 2, 3, 8, 6, 3, 3, stride=2, o=2, seed=2),
    Config(
        "stride 2 and padding 1, remainders", 2, 2, 8, 7, 3, 2, stride=2, padding=1, o=3, seed=3
    ),
    Config(
        "stride 3 and padding 2, a remainder", 3, 2, 9, 8, 2, 3, stride=3, padding=2, o=2, seed=4
    ),
    Config("dilation 2, padding 1", 2, 2, 7, 8, 2, 3, padding=1, o=3, dilation=2, seed=5),
    Config("dilation 2, stride 2, padding 1", 2, 3, 9, 8, 3, 2, 2, 1, o=2, dilation=2, seed=6),
    Config("groups 2", 2, 4, 6, 5, 2, 3, o=6, groups=2, seed=7),
    Config("groups 3, stride 2, padding 1", 2, 6, 7, 6, 3, 2, 2, 1, o=3, groups=3, seed=8),
)

POOL = (
    Config("one channel, 2x2 windows", 1, 1, 4, 6, 2, 2, stride=2),
    Config("rectangular windows, a remainder row", 2, 2, 5, 7, 2, 3, stride=2, seed=1),
    Config("overlapping windows, stride 1", 2, 3, 6, 5, 3, 2, stride=1, seed=2),
    Config("gaps between windows, stride 3", 2, 2, 7, 8, 2, 2, stride=3, seed=3),
    Config("padding 1, stride 2", 2, 2, 7, 6, 2, 3, stride=2, padding=1, seed=4),
    Config("ties (ReLU outputs), 2x2 windows", 2, 2, 6, 8, 2, 2, stride=2, ties=True, seed=5),
    Config("ties, overlapping windows", 2, 2, 6, 7, 3, 2, stride=1, ties=True, seed=6),
)
