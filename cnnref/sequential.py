"""A chain of layers: forward left to right, backward right to left."""

from __future__ import annotations

import numpy as np

from ._validate import as_real_array
from .layers import Layer


class Sequential(Layer):
    """``Sequential(layer_0, layer_1, ...)``: ``y = layer_k(... layer_0(x))``.

    ``parameters()`` and ``gradients()`` name each array ``"<index>.<name>"``
    (``"0.weight"``, ``"4.bias"``), as a PyTorch ``nn.Sequential`` state dict
    does. Before each layer runs, its input shape is checked: a mismatch
    raises a ``ValueError`` naming both layers and both shapes.
    """

    def __init__(self, *layers: Layer):
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"layers[{i}]: expected a cnnref Layer, got {layer!r}")
        self.layers = list(layers)

    def _name(self, i: int) -> str:
        return f"layer {i} ({self.layers[i]!r})"

    def _source(self, i: int, shape) -> str:
        if i == 0:
            return f"the input x has shape {shape}"
        return f"{self._name(i - 1)} produces shape {shape}"

    def forward(self, x):
        x = as_real_array("x", x)
        for i, layer in enumerate(self.layers):
            shape = np.shape(x)
            if not layer.accepts(shape):
                raise ValueError(
                    f"{self._name(i)} expects input of shape {layer.input_spec()}, "
                    f"but {self._source(i, shape)}"
                )
            try:
                x = layer.forward(x)
            except ValueError as err:
                raise ValueError(
                    f"{self._name(i)}, where {self._source(i, shape)}: {err}"
                ) from err
        self.out_shape = np.shape(x)
        return x

    def backward(self, grad_y):
        grad = as_real_array("grad_y", grad_y)
        if grad.shape != self._saved("out_shape"):
            raise ValueError(
                f"grad_y: expected the output shape {self.out_shape}, got {grad.shape}"
            )
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return grad

    def parameters(self) -> dict[str, np.ndarray]:
        return {
            f"{i}.{k}": v
            for i, layer in enumerate(self.layers)
            for k, v in layer.parameters().items()
        }

    def gradients(self) -> dict[str, np.ndarray]:
        return {
            f"{i}.{k}": v
            for i, layer in enumerate(self.layers)
            if layer.parameters()
            for k, v in layer.gradients().items()
        }

    def load_parameters(self, values: dict) -> None:
        expected = self.parameters()
        if set(values) != set(expected):
            raise KeyError(f"expected parameters {sorted(expected)}, got {sorted(values)}")
        for i, layer in enumerate(self.layers):
            own = {k.split(".", 1)[1]: v for k, v in values.items() if k.split(".")[0] == str(i)}
            layer.load_parameters(own)

    def __getitem__(self, i: int) -> Layer:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __repr__(self):
        inner = "".join(f"\n  ({i}) {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential({inner}\n)"
