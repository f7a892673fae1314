"""Where the windows of a 2-D pooling lie: argument checks, output sizes and divisors.

Shared by the fast code (:mod:`cnnref.pooling`) and the loop specification
(:mod:`cnnref.naive_pooling`), so both accept and reject exactly the same
arguments. The rules are PyTorch's (``torch.nn.functional.max_pool2d`` /
``avg_pool2d`` / ``max_unpool2d``), per axis, with ``s`` the stride, ``p`` the
padding, ``d`` the dilation and ``k`` the kernel:

* output size: :func:`cnnref.shapes.pool_output_size` (floor, or with
  ``ceil_mode`` ceil and the last window dropped when it would start in the
  right/bottom padding);
* ``p <= k // 2``: PyTorch checks ``p`` against half the dilated kernel
  ``(d(k-1)+1) // 2`` *and* against ``k // 2``; the second is never larger, so
  dilation does not allow more padding;
* window ``i`` covers rows ``i·s - p + a·d`` (``a < k``) of ``x``; its
  average-pooling divisor with ``count_include_pad`` is the part of the window
  inside the padded input ``[-p, H + p)`` (a ``ceil_mode`` window overhanging
  past it counts only that part), without it the entries of ``x`` it covers,
  and ``divisor_override`` replaces both.

One deliberate difference: a dilated max-pooling window whose taps all fall in
the padding (e.g. H = 2, k = 2, d = 3, p = 1) is an error here; PyTorch
returns -inf with an index outside the plane there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._validate import _is_int, int_pair
from .shapes import pool_output_size


@dataclass(frozen=True)
class PoolGeometry:
    """Kernel, stride, padding (symmetric, per axis), dilation and the spatial sizes of a pooling.

    ``padded_hw`` is the extent of the padded plane every window fits in: ``H + 2p``,
    or more when a ``ceil_mode`` window overhangs past the bottom/right padding.
    """

    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    in_hw: tuple[int, int]
    out_hw: tuple[int, int]
    dilation: tuple[int, int] = (1, 1)
    ceil_mode: bool = False
    # index arrays reused by every call with this geometry
    plans: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def span(self) -> tuple[int, int]:
        """Rows and columns one (dilated) window covers: ``d(k-1) + 1``."""
        return tuple(d * (k - 1) + 1 for k, d in zip(self.kernel, self.dilation, strict=True))

    @property
    def padded_hw(self) -> tuple[int, int]:
        return tuple(
            max(n + 2 * p, (o - 1) * s + e)
            for n, p, o, s, e in zip(
                self.in_hw, self.padding, self.out_hw, self.stride, self.span, strict=True
            )
        )


def check_flag(name: str, value) -> bool:
    """``value`` if it is a bool (Python or numpy), else a ``TypeError`` naming ``name``."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name}: expected a bool, got {value!r}")
    return bool(value)


def pool_geometry(
    x_shape, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False
) -> PoolGeometry:
    """Check pooling arguments against ``x_shape`` (..., H, W); errors name the argument."""
    kernel = int_pair("kernel_size", kernel_size, minimum=1)
    stride = kernel if stride is None else int_pair("stride", stride, minimum=1)
    padding = int_pair("padding", padding, minimum=0)
    dilation = int_pair("dilation", dilation, minimum=1)
    ceil_mode = check_flag("ceil_mode", ceil_mode)
    if any(2 * p > k for p, k in zip(padding, kernel, strict=True)):
        raise ValueError(
            f"padding: expected at most half of kernel_size {kernel} on each axis, got {padding}"
        )
    if 0 in x_shape:
        raise ValueError(f"x: expected non-empty axes, got shape {tuple(x_shape)}")
    in_hw = tuple(x_shape[-2:])
    out_hw = tuple(
        pool_output_size(n, k, s, p, d, ceil_mode)
        for n, k, s, p, d in zip(in_hw, kernel, stride, padding, dilation, strict=True)
    )
    geo = PoolGeometry(kernel, stride, padding, in_hw, out_hw, dilation, ceil_mode)
    if min(out_hw) < 1:
        padded = (in_hw[0] + 2 * padding[0], in_hw[1] + 2 * padding[1])
        spans = "" if dilation == (1, 1) else f" with dilation {dilation} spans {geo.span} and"
        raise ValueError(
            f"kernel_size: {kernel}{spans} is larger than the padded input {padded} of x"
        )
    for axis in (0, 1):
        empty = np.flatnonzero(window_counts(geo, axis, "x") == 0)
        if empty.size:
            raise ValueError(
                f"dilation: {dilation} with padding {padding} leaves output "
                f"{('row', 'column')[axis]} {empty[0]} without any entry of x "
                "(every tap of its window falls in the padding)"
            )
    return geo


def window_counts(geo: PoolGeometry, axis: int, region: str) -> np.ndarray:
    """Taps of each window along ``axis`` (length ``out_hw[axis]``) that lie in ``region``.

    region : 'x' (the input itself) or 'padded' (the input with its padding,
    ``[-p, n + p)``: what average pooling with ``count_include_pad`` counts).
    """
    n, k, s, p, d = (
        v[axis] for v in (geo.in_hw, geo.kernel, geo.stride, geo.padding, geo.dilation)
    )
    taps = (np.arange(geo.out_hw[axis]) * s - p)[:, None] + np.arange(k) * d
    low, high = (0, n) if region == "x" else (-p, n + p)
    return ((taps >= low) & (taps < high)).sum(axis=1)


def avg_divisor_options(count_include_pad, divisor_override) -> tuple[bool, int | None]:
    """Check the two divisor arguments of average pooling."""
    count_include_pad = check_flag("count_include_pad", count_include_pad)
    if divisor_override is not None:
        if not _is_int(divisor_override):
            raise TypeError(f"divisor_override: expected None or an int, got {divisor_override!r}")
        if divisor_override == 0:
            raise ValueError("divisor_override: expected a non-zero int, got 0")
        divisor_override = int(divisor_override)
    return count_include_pad, divisor_override


def avg_divisors(geo: PoolGeometry, count_include_pad: bool, divisor_override) -> np.ndarray:
    """Divisor of each window of an average pooling, shape ``out_hw`` (float64)."""
    key = ("divisor", count_include_pad, divisor_override)
    if key not in geo.plans:
        if divisor_override is not None:
            div = np.full(geo.out_hw, float(divisor_override))
        else:
            region = "padded" if count_include_pad else "x"
            div = np.outer(window_counts(geo, 0, region), window_counts(geo, 1, region))
            div = div.astype(np.float64)
        div.setflags(write=False)
        geo.plans[key] = div
    return geo.plans[key]


def unpool_output_hw(in_hw, kernel_size, stride, padding, output_size) -> tuple[int, int]:
    """Output (H, W) of ``max_unpool2d`` for a pooled input of spatial size ``in_hw``.

    Default ``(H_in - 1)·s - 2p + k`` per axis; ``output_size`` ((H, W), or
    (N, C, H, W) whose last two entries are used, as in PyTorch) must lie
    strictly within one stride of it.
    """
    kernel = int_pair("kernel_size", kernel_size, minimum=1)
    stride = kernel if stride is None else int_pair("stride", stride, minimum=1)
    padding = int_pair("padding", padding, minimum=0)
    default = tuple(
        (n - 1) * s - 2 * p + k for n, k, s, p in zip(in_hw, kernel, stride, padding, strict=True)
    )
    if output_size is None:
        out = default
    else:
        sizes = tuple(output_size) if isinstance(output_size, tuple | list) else None
        if sizes is None or len(sizes) not in (2, 4) or not all(map(_is_int, sizes)):
            raise TypeError(
                f"output_size: expected None, (H, W) or (N, C, H, W) of ints, got {output_size!r}"
            )
        out = tuple(int(v) for v in sizes[-2:])
        for axis in (0, 1):
            low, high = default[axis] - stride[axis], default[axis] + stride[axis]
            if not low < out[axis] < high:
                raise ValueError(
                    f"output_size: expected {('H', 'W')[axis]} strictly between {low} and "
                    f"{high} (one stride around the default {default}), got {output_size!r}"
                )
    if min(out) < 1:
        raise ValueError(
            f"output_size: the output {out} of kernel_size {kernel}, stride {stride} and "
            f"padding {padding} is empty; expected sizes >= 1"
        )
    return out
