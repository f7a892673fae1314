"""Layers: each forward pass with its backward pass right below it.

The base class, dense, flatten, pooling and activation layers; the
convolution layers are in :mod:`cnnref.conv_layers`.

A layer's ``forward(x)`` returns its output and remembers what the backward
pass needs; ``backward(grad_y)`` takes the upstream gradient δ = ∂L/∂y of the
latest forward call, stores the gradients of the layer's parameters (replacing
earlier ones; they do not accumulate) and returns ∂L/∂x. Neither modifies its
argument. ``parameters()`` and ``gradients()`` are dicts with the same keys
(PyTorch's names: ``weight``, ``bias``).

Parameters are float64 arrays owned by the layer, drawn as PyTorch draws them
by default (uniform in ±1/sqrt(fan_in)); :meth:`Layer.load_parameters` copies
given values into them, and an optimizer updates them in place.
"""

from __future__ import annotations

import numpy as np

from . import activations as act
from . import pooling
from ._validate import as_real_array, positive_int


class Layer:
    """Base class: no parameters, any input shape."""

    param_names: tuple[str, ...] = ()

    def accepts(self, shape: tuple[int, ...]) -> bool:
        """Whether an input of ``shape`` fits this layer (checked by :class:`Sequential`)."""
        return True

    def input_spec(self) -> str:
        """The input shape this layer expects, for error messages."""
        return "any shape"

    def parameters(self) -> dict[str, np.ndarray]:
        return {k: getattr(self, k) for k in self.param_names if getattr(self, k) is not None}

    def gradients(self) -> dict[str, np.ndarray]:
        if not hasattr(self, "grads"):
            raise RuntimeError(f"{self!r}: gradients() before any backward()")
        return dict(self.grads)

    def load_parameters(self, values: dict) -> None:
        """Copy ``values`` (same keys and shapes as :meth:`parameters`) into the layer."""
        mine = self.parameters()
        if set(values) != set(mine):
            raise KeyError(f"{self!r}: expected parameters {sorted(mine)}, got {sorted(values)}")
        for key, value in values.items():
            if np.shape(value) != mine[key].shape:
                raise ValueError(f"{key}: expected shape {mine[key].shape}, got {np.shape(value)}")
            mine[key][...] = value

    def _saved(self, attr: str):
        if not hasattr(self, attr):
            raise RuntimeError(f"{self!r}: backward() before forward()")
        return getattr(self, attr)

    @staticmethod
    def _grad(grad_y, shape) -> np.ndarray:
        """``grad_y`` as an array of the output's ``shape`` (never broadcast silently)."""
        grad_y = as_real_array("grad_y", grad_y)
        if grad_y.shape != tuple(shape):
            raise ValueError(
                f"grad_y: expected the output shape {tuple(shape)}, got {grad_y.shape}"
            )
        return grad_y

    def __call__(self, x):
        return self.forward(x)


def _uniform(rng, shape, fan_in):
    bound = 1.0 / np.sqrt(fan_in)
    return rng.uniform(-bound, bound, shape)


class Dense(Layer):
    """Fully connected: ``y = x @ weight.T + bias``, weight (out, in) as in ``torch.nn.Linear``.

    Input (N, in_features), output (N, out_features).
    """

    param_names = ("weight", "bias")

    def __init__(self, in_features, out_features, bias=True, rng=None):
        self.in_features = positive_int("in_features", in_features)
        self.out_features = positive_int("out_features", out_features)
        rng = np.random.default_rng(rng)
        self.weight = _uniform(rng, (out_features, in_features), in_features)
        self.bias = _uniform(rng, (out_features,), in_features) if bias else None

    def accepts(self, shape):
        return len(shape) == 2 and shape[1] == self.in_features

    def input_spec(self):
        return f"(N, {self.in_features})"

    def forward(self, x):
        x = as_real_array("x", x)
        if not self.accepts(x.shape):
            raise ValueError(f"x: expected shape {self.input_spec()}, got {x.shape}")
        self.x = x
        y = x @ self.weight.T
        return y + self.bias if self.bias is not None else y

    def backward(self, grad_y):
        x = self._saved("x")
        grad_y = self._grad(grad_y, (x.shape[0], self.out_features))
        self.grads = {"weight": grad_y.T @ x}
        if self.bias is not None:
            self.grads["bias"] = grad_y.sum(axis=0)
        return grad_y @ self.weight

    def __repr__(self):
        return f"Dense({self.in_features}, {self.out_features})"


class Flatten(Layer):
    """(N, d1, d2, ...) -> (N, d1·d2·...), row-major (as ``torch.nn.Flatten``)."""

    def accepts(self, shape):
        return len(shape) >= 2

    def input_spec(self):
        return "(N, ...) with at least 2 axes"

    def forward(self, x):
        self.shape = np.shape(x)
        return np.reshape(x, (self.shape[0], -1))

    def backward(self, grad_y):
        shape = self._saved("shape")
        self.grads = {}
        return np.reshape(self._grad(grad_y, (shape[0], int(np.prod(shape[1:])))), shape)

    def __repr__(self):
        return "Flatten()"


class _Pool(Layer):
    def __init__(self, kernel_size, stride=None, padding=0, **options):
        self.pool = {"kernel_size": kernel_size, "stride": stride, "padding": padding, **options}
        pooling.check_arguments(type(self).function, self.pool)  # now, not at the first call

    def accepts(self, shape):
        return len(shape) == 4

    def input_spec(self):
        return "(N, C, H, W)"

    def __repr__(self):
        args = ", ".join(f"{k}={v}" for k, v in self.pool.items())
        return f"{type(self).__name__}({args})"


class MaxPool2D(_Pool):
    """:func:`cnnref.max_pool2d`; remembers where the maxima were for the backward pass."""

    function = pooling.max_pool2d

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
        super().__init__(kernel_size, stride, padding, dilation=dilation, ceil_mode=ceil_mode)

    def forward(self, x):
        x4, self.geo, self.unbatched = pooling._prepare(x, **self.pool)
        y, self.index = pooling._max_pool(x4, self.geo)
        self.dtype = x4.dtype
        return y[0] if self.unbatched else y

    def backward(self, grad_y):
        self.grads = {}
        index = self._saved("index")
        grad_y = self._grad(grad_y, index.shape[1:] if self.unbatched else index.shape)
        grad_y = grad_y[None] if self.unbatched else grad_y
        grad_x = pooling._max_unpool(grad_y, index, self.geo, np.result_type(self.dtype, grad_y))
        return grad_x[0] if self.unbatched else grad_x


class AvgPool2D(_Pool):
    """:func:`cnnref.avg_pool2d` (by default zero padding counted in the divisor)."""

    function = pooling.avg_pool2d

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):  # fmt: skip
        options = {"count_include_pad": count_include_pad, "divisor_override": divisor_override}
        super().__init__(kernel_size, stride, padding, ceil_mode=ceil_mode, **options)

    def forward(self, x):
        self.x = x
        return pooling.avg_pool2d(x, **self.pool)

    def backward(self, grad_y):
        self.grads = {}
        return pooling.avg_pool2d_backward(grad_y, self._saved("x"), **self.pool)


class Activation(Layer):
    """An element-wise activation ``y = f(z)``, by its name in ``cnnref.activations.ACTIVATIONS``.

    Backward: ``grad_z = grad_y · f'(z)``. ``kwargs`` go to ``f`` and ``f'``
    (``negative_slope`` of leaky_relu).
    """

    def __init__(self, name: str, **kwargs):
        if name not in act.ACTIVATIONS:
            raise ValueError(f"name: expected one of {sorted(act.ACTIVATIONS)}, got {name!r}")
        self.name, self.kwargs = name, kwargs
        self.f, self.df = act.ACTIVATIONS[name]

    def forward(self, x):
        self.z = as_real_array("x", x)
        return self.f(self.z, **self.kwargs)

    def backward(self, grad_y):
        z = self._saved("z")
        self.grads = {}
        return self._grad(grad_y, z.shape) * self.df(z, **self.kwargs)

    def __repr__(self):
        args = "".join(f", {k}={v}" for k, v in self.kwargs.items())
        if type(self) is Activation:
            return f"Activation({self.name!r}{args})"
        return f"{type(self).__name__}({args[2:]})"


class Sigmoid(Activation):
    def __init__(self):
        super().__init__("sigmoid")


class Tanh(Activation):
    def __init__(self):
        super().__init__("tanh")


class ArcTan(Activation):
    def __init__(self):
        super().__init__("arctan")


class ReLU(Activation):
    def __init__(self):
        super().__init__("relu")


class LeakyReLU(Activation):
    def __init__(self, negative_slope: float = 0.01):
        super().__init__("leaky_relu", negative_slope=negative_slope)


class Softplus(Activation):
    def __init__(self):
        super().__init__("softplus")
