"""Convolution layers: :class:`Conv2D` and :class:`ConvTranspose2D`, NCHW.

Each is a :class:`~cnnref.layers.Layer`: ``forward(x)`` remembers its input,
``backward(grad_y)`` stores the gradients of ``weight`` and ``bias`` and
returns ∂L/∂x, computed by :mod:`cnnref.conv`. The parameters are drawn as
PyTorch draws them by default (uniform in ±1/sqrt(fan_in), with PyTorch's
fan_in: the weight's axes 1, 2 and 3).
"""

from __future__ import annotations

import numpy as np

from ._validate import int_pair, positive_int
from .conv import (
    PADDING_MODES,
    conv2d,
    conv2d_backward,
    conv_transpose2d,
    conv_transpose2d_backward,
)
from .layers import Layer, _uniform
from .signal import check_pad_mode


class _ConvLayer(Layer):
    """What Conv2D and ConvTranspose2D share: parameters drawn as PyTorch does, NCHW input."""

    param_names = ("weight", "bias")

    def _setup(self, in_channels, out_channels, kernel_size, groups, bias, rng, transposed):
        self.in_channels = positive_int("in_channels", in_channels)
        self.out_channels = positive_int("out_channels", out_channels)
        self.kernel_size = int_pair("kernel_size", kernel_size, minimum=1)
        if in_channels % positive_int("groups", groups) or out_channels % groups:
            raise ValueError(f"groups: {groups} does not divide {in_channels} and {out_channels}")
        if transposed:  # (C_in, C_out / groups, kh, kw), as nn.ConvTranspose2d
            shape = (in_channels, out_channels // groups, *self.kernel_size)
        else:  # OIHW
            shape = (out_channels, in_channels // groups, *self.kernel_size)
        rng = np.random.default_rng(rng)
        fan_in = int(np.prod(shape[1:]))  # PyTorch's fan_in: axes 1, 2, 3 of the weight
        self.weight = _uniform(rng, shape, fan_in)
        self.bias = _uniform(rng, (out_channels,), fan_in) if bias else None

    def accepts(self, shape):
        return len(shape) == 4 and shape[1] == self.in_channels

    def input_spec(self):
        return f"(N, {self.in_channels}, H, W)"

    def _store(self, grad_w, grad_b):
        self.grads = {"weight": grad_w} | ({"bias": grad_b} if self.bias is not None else {})

    def __repr__(self):
        conv = ", ".join(f"{k}={v!r}" for k, v in self.conv.items() if k != "padding_mode")
        if self.conv.get("padding_mode", "zeros") != "zeros":
            conv += f", padding_mode={self.conv['padding_mode']!r}"
        head = f"{self.in_channels}, {self.out_channels}, {self.kernel_size}"
        return f"{type(self).__name__}({head}, {conv})"


class Conv2D(_ConvLayer):
    """:func:`cnnref.conv2d` (cross-correlation) with weight (O, C/groups, kh, kw) and bias (O,).

    Input (N, C, H, W), output (N, O, Ho, Wo). ``rng`` (a Generator or a seed)
    draws the initial parameters; :meth:`load_parameters` sets given ones.
    ``padding_mode`` is 'zeros', 'reflect', 'replicate' or 'circular', as in
    ``torch.nn.Conv2d``.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, padding_mode="zeros", rng=None):  # fmt: skip
        self._setup(in_channels, out_channels, kernel_size, groups, bias, rng, transposed=False)
        check_pad_mode("padding_mode", padding_mode, PADDING_MODES)
        self.conv = {"stride": stride, "padding": padding, "dilation": dilation,
                     "groups": groups, "padding_mode": padding_mode}  # fmt: skip

    def forward(self, x):
        self.x = x
        return conv2d(x, self.weight, self.bias, **self.conv)

    def backward(self, grad_y):
        grad_x, grad_w, grad_b = conv2d_backward(
            grad_y, self._saved("x"), self.weight, **self.conv
        )
        self._store(grad_w, grad_b)
        return grad_x


class ConvTranspose2D(_ConvLayer):
    """:func:`cnnref.conv_transpose2d` with weight (C_in, C_out/groups, kh, kw) and bias (C_out,).

    Input (N, C_in, H, W), output (N, C_out, H_out, W_out), as
    ``torch.nn.ConvTranspose2d`` (zero padding only); the backward pass is
    :func:`cnnref.conv_transpose2d_backward`.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, rng=None):  # fmt: skip
        self._setup(in_channels, out_channels, kernel_size, groups, bias, rng, transposed=True)
        self.conv = {"stride": stride, "padding": padding, "output_padding": output_padding,
                     "dilation": dilation, "groups": groups}  # fmt: skip

    def forward(self, x):
        self.x = x
        return conv_transpose2d(x, self.weight, self.bias, **self.conv)

    def backward(self, grad_y):
        grad_x, grad_w, grad_b = conv_transpose2d_backward(
            grad_y, self._saved("x"), self.weight, **self.conv
        )
        self._store(grad_w, grad_b)
        return grad_x
