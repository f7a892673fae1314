"""Argument checking and size arithmetic for 2-D convolutions.

:func:`conv_geometry` turns the user's ``stride`` / ``padding`` /
``dilation`` / ``groups`` into one immutable :class:`ConvGeometry`, raising an
error that names the argument when they do not fit the shapes.
:func:`transpose_geometry` does the same for a transposed convolution, by
describing the convolution it is the adjoint of. Both are memoised on their
arguments (the key includes the arguments' ``repr`` so that ``1.0`` and
``True`` are still rejected rather than served from the cache as ``1``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ._validate import int_pair, padding_pairs, positive_int
from .shapes import conv_output_size, conv_transpose_output_size


@dataclass(frozen=True)
class ConvGeometry:
    """Everything a 2-D convolution needs to know besides the numbers.

    ``pads`` is ``((top, bottom), (left, right))``; ``in_hw`` and ``out_hw``
    are the spatial sizes of the convolution's input and output.
    """

    in_channels: int
    out_channels: int
    kernel: tuple[int, int]
    stride: tuple[int, int]
    pads: tuple[tuple[int, int], tuple[int, int]]
    dilation: tuple[int, int]
    groups: int
    in_hw: tuple[int, int]
    out_hw: tuple[int, int]
    # Per-batch-size index arrays of the small-problem path (cnnref._columns).
    plans: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def padded_hw(self) -> tuple[int, int]:
        (t, b), (l, r) = self.pads
        return self.in_hw[0] + t + b, self.in_hw[1] + l + r

    @property
    def padded(self) -> bool:
        return self.pads != ((0, 0), (0, 0))


def _same_pads(kernel, dilation) -> tuple[tuple[int, int], tuple[int, int]]:
    # PyTorch's rule: total d(k-1) zeros, the odd one at the bottom/right.
    pads = []
    for k, d in zip(kernel, dilation, strict=True):
        total = d * (k - 1)
        pads.append((total // 2, total - total // 2))
    return pads[0], pads[1]


def conv_geometry(
    x_shape, w_shape, stride, padding, dilation, groups, x_name="x", w_name="w"
) -> ConvGeometry:
    """Check the arguments of a convolution and work out its sizes.

    ``x_shape`` is ``(N, C, H, W)``, ``w_shape`` is ``(O, C // groups, kh, kw)``.
    Raises ``ValueError``/``TypeError`` naming the offending argument.
    """
    stride = int_pair("stride", stride, minimum=1)
    dilation = int_pair("dilation", dilation, minimum=1)
    groups = positive_int("groups", groups)
    _, c, h, w_ = x_shape
    o, cg, kh, kw = w_shape
    if 0 in (c, h, w_) or 0 in (o, cg, kh, kw):
        raise ValueError(
            f"{x_name}, {w_name}: expected non-empty channel and spatial axes, "
            f"got shapes {tuple(x_shape)} and {tuple(w_shape)}"
        )
    if c % groups:
        raise ValueError(
            f"groups: input channels ({c}, axis 1 of {x_name}) are not divisible by "
            f"groups={groups}"
        )
    if o % groups:
        raise ValueError(
            f"groups: output channels ({o}, axis 0 of {w_name}) are not divisible by "
            f"groups={groups}"
        )
    if cg * groups != c:
        raise ValueError(
            f"{w_name}: expected {c // groups} input channels per group (axis 1 of {w_name}, "
            f"from {x_name} with {c} channels and groups={groups}), got {cg}"
        )
    pads = padding_pairs("padding", padding)
    if pads == "valid":
        pads = ((0, 0), (0, 0))
    elif pads == "same":
        if stride != (1, 1):
            raise ValueError(f"padding: 'same' needs stride 1, got stride={stride}")
        pads = _same_pads((kh, kw), dilation)
    out_hw = tuple(
        conv_output_size(n, k, s, p, d)
        for n, k, s, p, d in zip((h, w_), (kh, kw), stride, pads, dilation, strict=True)
    )
    if min(out_hw) < 1:
        span = tuple(d * (k - 1) + 1 for k, d in zip((kh, kw), dilation, strict=True))
        padded = (h + sum(pads[0]), w_ + sum(pads[1]))
        raise ValueError(
            f"{w_name}: kernel of spatial size {(kh, kw)} (dilated extent {span}) is larger "
            f"than the padded input {padded} of {x_name}"
        )
    return ConvGeometry(c, o, (kh, kw), stride, pads, dilation, groups, (h, w_), out_hw)


def transpose_geometry(x_shape, w_shape, stride, padding, output_padding, dilation, groups):
    """Check a transposed convolution's arguments; return the geometry of its adjoint.

    The transposed convolution of ``x`` (N, C_in, H, W) with ``w``
    (C_in, C_out // groups, kh, kw) is the input gradient of the convolution
    that maps (N, C_out, H_out, W_out) to (N, C_in, H, W) with weight ``w``.
    """
    stride = int_pair("stride", stride, minimum=1)
    dilation = int_pair("dilation", dilation, minimum=1)
    groups = positive_int("groups", groups)
    pad = int_pair("padding", padding, minimum=0)
    out_pad = int_pair("output_padding", output_padding, minimum=0)
    for op, s, d in zip(out_pad, stride, dilation, strict=True):
        if op >= max(s, d):
            raise ValueError(
                f"output_padding: expected values smaller than stride or dilation, "
                f"got output_padding={out_pad} with stride={stride}, dilation={dilation}"
            )
    _, c_in, h, w_ = x_shape
    wi, cog, kh, kw = w_shape
    if c_in % groups:
        raise ValueError(
            f"groups: input channels ({c_in}, axis 1 of x) are not divisible by groups={groups}"
        )
    if wi != c_in:
        raise ValueError(
            f"w: expected {c_in} on axis 0 (the input channels of x), got shape {tuple(w_shape)}"
        )
    out_hw = tuple(
        conv_transpose_output_size(n, k, s, p, op, d)
        for n, k, s, p, op, d in zip(
            (h, w_), (kh, kw), stride, pad, out_pad, dilation, strict=True
        )
    )
    if min(out_hw) < 1 or min(h, w_, cog, kh, kw) < 1:
        raise ValueError(
            f"padding: the transposed convolution of x {tuple(x_shape)} with kernel "
            f"{(kh, kw)} and padding={pad} has an empty output {out_hw}"
        )
    geo = ConvGeometry(
        in_channels=cog * groups,
        out_channels=c_in,
        kernel=(kh, kw),
        stride=stride,
        pads=((pad[0], pad[0]), (pad[1], pad[1])),
        dilation=dilation,
        groups=groups,
        in_hw=out_hw,
        out_hw=(h, w_),
    )
    return geo


_CACHE: dict = {}
_CACHE_SIZE = 1024


def _memoised(build, *args):
    if all(type(a) is int for a in args[2:]):  # the common case: plain ints
        key = (build.__name__, *args)
    else:
        key = (build.__name__, *(repr(a) for a in args))
    try:
        return _CACHE[key]
    except KeyError:
        pass
    value = build(*args)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.clear()
    _CACHE[key] = value
    return value


def cached_conv_geometry(x_shape, w_shape, stride, padding, dilation, groups) -> ConvGeometry:
    """:func:`conv_geometry`, memoised: small convolutions would spend most of their time here."""
    if type(stride) is int and type(padding) is int and type(dilation) is int:
        key = ("conv_geometry", x_shape, w_shape, stride, padding, dilation, groups)
        geo = _CACHE.get(key)
        if geo is not None and type(groups) is int:
            return geo  # the common case, checked once when it was stored
    return _memoised(conv_geometry, x_shape, w_shape, stride, padding, dilation, groups)


def cached_transpose_geometry(
    x_shape, w_shape, stride, padding, output_padding, dilation, groups
) -> ConvGeometry:
    """:func:`transpose_geometry`, memoised."""
    return _memoised(
        transpose_geometry, x_shape, w_shape, stride, padding, output_padding, dilation, groups
    )
