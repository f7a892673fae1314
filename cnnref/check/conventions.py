"""Calling conventions: how the checker calls a backward pass someone wrote.

``cnnref`` (this library's signatures, keywords as in PyTorch)::

    conv:    fn(grad_y, x, w, stride=s, padding=p, dilation=d, groups=g)
             -> (grad_x, grad_w, grad_b)
    pooling: fn(grad_y, x, kernel_size=k, stride=s, padding=p) -> grad_x

``cs231n`` (the course assignment's naive layers)::

    conv:    conv_backward_naive(dout, cache) -> (dx, dw, db),
             cache = (x, w, b, {'stride': s, 'pad': p})
    pooling: max_pool_backward_naive(dout, cache) -> dx  (avg_pool_backward_naive alike),
             cache = (x, {'pool_height': kh, 'pool_width': kw, 'stride': s})

A convention runs only the configurations it can express; ``untested``
names what it cannot. Strides, paddings and dilations are passed as ints
(the same on both axes); a pooling kernel is an int when square, else
``(kh, kw)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .configs import Config

OPS = ("conv2d", "max_pool2d", "avg_pool2d")


@dataclass(frozen=True)
class Convention:
    """How to call a function of one convention for one op."""

    name: str
    op: str
    arguments: Callable  # (cfg, inputs) -> (args, kwargs) of one call
    supports: Callable[[Config], bool]
    untested: tuple[str, ...]
    names: dict = field(default_factory=dict)  # how the convention calls the inputs


def _cnnref_conv(cfg, inputs):
    args = (inputs["grad_y"], inputs["x"], inputs["w"])
    kwargs = {
        "stride": cfg.stride,
        "padding": cfg.padding,
        "dilation": cfg.dilation,
        "groups": cfg.groups,
    }
    return args, kwargs


def _kernel(cfg):
    return cfg.kh if cfg.kh == cfg.kw else (cfg.kh, cfg.kw)


def _cnnref_pool(cfg, inputs):
    kwargs = {"kernel_size": _kernel(cfg), "stride": cfg.stride, "padding": cfg.padding}
    return (inputs["grad_y"], inputs["x"]), kwargs


def _cs231n_conv(cfg, inputs):
    cache = (inputs["x"], inputs["w"], inputs["b"], {"stride": cfg.stride, "pad": cfg.padding})
    return (inputs["grad_y"], cache), {}


def _cs231n_pool(cfg, inputs):
    param = {"pool_height": cfg.kh, "pool_width": cfg.kw, "stride": cfg.stride}
    return (inputs["grad_y"], (inputs["x"], param)), {}


CS231N_NAMES = {"grad_y": "dout", "b": "b (in the cache)"}
_COMMON_CONV = ("a different stride, padding or dilation per axis", "asymmetric padding")
_COMMON_POOL = ("a different stride or padding per axis", "ceil_mode", "dilated windows")


def convention(name: str, op: str) -> Convention:
    """The convention ``name`` ('cnnref' or 'cs231n') for ``op``; errors name the argument."""
    if op not in OPS:
        raise ValueError(f"op: expected one of {', '.join(OPS)}, got {op!r}")
    if name == "cnnref":
        if op == "conv2d":
            return Convention(name, op, _cnnref_conv, lambda cfg: True, _COMMON_CONV)
        return Convention(name, op, _cnnref_pool, lambda cfg: True, _COMMON_POOL)
    if name == "cs231n":
        if op == "conv2d":
            untested = ("dilation", "groups", *_COMMON_CONV)
            supports = lambda c: c.dilation == 1 and c.groups == 1  # noqa: E731
            return Convention(name, op, _cs231n_conv, supports, untested, CS231N_NAMES)
        untested = ("padding", *_COMMON_POOL)
        return Convention(name, op, _cs231n_pool, lambda c: c.padding == 0, untested, CS231N_NAMES)
    raise ValueError(f"convention: expected 'cnnref' or 'cs231n', got {name!r}")
