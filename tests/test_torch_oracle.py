"""cnnref against PyTorch (float64, relative tolerance 1e-10) over a grid of configurations.

One helper runs the same convolution in both libraries and compares the
forward value and every gradient, with a random upstream gradient (an all-ones
gradient, i.e. ``.sum()``, could not see a missing kernel rotation) and random
non-symmetric kernels. Skipped when torch is absent, unless
CNNREF_REQUIRE_ORACLES=1.
"""

from __future__ import annotations

import itertools
import zlib

import numpy as np
import pytest
import sympy as sp

from cnnref import (
    conv2d,
    conv2d_backward,
    conv2d_backward_naive,
    conv2d_naive,
    conv_remainder,
    conv_transpose2d,
    conv_transpose2d_naive,
    rot180,
)
from cnnref.geometry import conv_geometry
from derivations import symbolic as S
from derivations.d5_grid import FAMILIES, Config, prove_config

from .helpers import assert_close
from .oracle import assert_matches_torch, constant, module_as_function, torch_value_and_grads

pytestmark = pytest.mark.oracle

RTOL = 1e-10

SPATIAL = [((7, 5), (3, 2)), ((6, 6), (2, 2)), ((5, 8), (1, 3)), ((9, 7), (3, 3))]
STRIDES = [1, 2, 3, (2, 3)]
PADDINGS = [0, 1, (2, 0), "same"]
DILATIONS = [1, 2, 3]
# (in channels, out channels, groups): plain, rectangular channel maps,
# groups 2, and depthwise (groups == in channels, multiplier 1 and 2)
CHANNELS = [(1, 1, 1), (2, 3, 1), (3, 2, 1), (2, 4, 2), (2, 2, 2), (3, 3, 3), (3, 6, 3)]
BATCHES = [1, 5]


def _conv_grid():
    cases = []
    for (hw, k), s, p, d, (c, o, g), n in itertools.product(
        SPATIAL, STRIDES, PADDINGS, DILATIONS, CHANNELS, BATCHES
    ):
        if p == "same" and s != 1:
            continue
        kw = {"stride": s, "padding": p, "dilation": d, "groups": g}
        try:
            conv_geometry((n, c, *hw), (o, c // g, *k), **kw)
        except ValueError:
            continue
        cases.append(((n, c, *hw), (o, c // g, *k), kw))
    return cases


CONV_GRID = _conv_grid()


def _id(case):
    xs, ws, kw = case
    parts = [f"x{'x'.join(map(str, xs))}", f"w{'x'.join(map(str, ws))}"]
    parts += [f"{k[0]}{v}".replace(" ", "") for k, v in kw.items()]
    return "-".join(parts)


def _rng(case) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(_id(case).encode()))


XWB = ("x", "w", "b")


def test_grid_covers_what_it_claims():
    def remainder(xs, ws, kw):
        geo = conv_geometry(xs, ws, **kw)
        return [
            conv_remainder(
                geo.in_hw[i], geo.kernel[i], geo.stride[i], geo.pads[i], geo.dilation[i]
            )
            for i in (0, 1)
        ]

    assert len(CONV_GRID) > 1000
    assert sum(any(remainder(*c)) for c in CONV_GRID) > 300, "stride remainders"
    assert any(c[0][2] != c[0][3] and c[1][2] != c[1][3] for c in CONV_GRID), "rectangular"
    assert {c[2]["dilation"] for c in CONV_GRID} >= {2, 3}
    assert any(c[2]["groups"] == c[0][1] > 1 for c in CONV_GRID), "depthwise"
    assert {c[0][0] for c in CONV_GRID} == {1, 5}


@pytest.mark.parametrize("case", CONV_GRID, ids=_id)
def test_conv2d_and_gradients_match_torch(torch, case):
    xs, ws, kw = case
    rng = _rng(case)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    b = rng.standard_normal(ws[0])
    y = conv2d(x, w, b, **kw)
    grad_y = rng.standard_normal(y.shape)
    grads = conv2d_backward(grad_y, x, w, **kw)
    F = torch.nn.functional
    assert_matches_torch(torch, F.conv2d, [x, w, b], y, grads, grad_y, RTOL, names=XWB, **kw)


# The loop specification is slow; every seventh configuration of the grid.
@pytest.mark.parametrize("case", CONV_GRID[::7], ids=_id)
def test_naive_spec_matches_torch(torch, case):
    xs, ws, kw = case
    rng = _rng(case)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    b = rng.standard_normal(ws[0])
    grad_y = rng.standard_normal(conv2d(x, w, **kw).shape)
    y = conv2d_naive(x, w, b, **kw)
    grads = conv2d_backward_naive(grad_y, x, w, **kw)
    F = torch.nn.functional
    assert_matches_torch(torch, F.conv2d, [x, w, b], y, grads, grad_y, RTOL, names=XWB, **kw)


def _transpose_grid():
    cases = []
    for (h, w_), (kh, kw), s, p, d, (c, o, g), n in itertools.product(
        [(3, 4), (4, 2)], [(3, 2), (2, 2), (1, 3)], [1, 2, 3], [0, 1, 2], [1, 2, 3],
        [(2, 3, 1), (2, 4, 2), (3, 3, 3)], [1, 5],
    ):  # fmt: skip
        for op in range(max(s, d)):
            out = [
                (size - 1) * s - 2 * p + d * (k - 1) + op + 1 for size, k in ((h, kh), (w_, kw))
            ]
            if min(out) < 1:
                continue
            cases.append(
                (
                    (n, c, h, w_),
                    (c, o // g, kh, kw),
                    {"stride": s, "padding": p, "output_padding": op, "groups": g, "dilation": d},
                )
            )
    return cases


TRANSPOSE_GRID = _transpose_grid()


@pytest.mark.parametrize("case", TRANSPOSE_GRID, ids=_id)
def test_conv_transpose2d_matches_torch(torch, case):
    xs, ws, kw = case
    rng = _rng(case)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    b = rng.standard_normal(ws[1] * kw["groups"])
    F = torch.nn.functional
    y = conv_transpose2d(x, w, b, **kw)
    assert_matches_torch(torch, F.conv_transpose2d, [x, w, b], y, tol=RTOL, **kw)
    if zlib.crc32(_id(case).encode()) % 5 == 0:
        y = conv_transpose2d_naive(x, w, b, **kw)
        assert_matches_torch(torch, F.conv_transpose2d, [x, w, b], y, tol=RTOL, what="naive", **kw)


def test_same_padding_of_even_kernels_matches_torch(torch):
    # PyTorch puts the odd zero of 'same' padding at the bottom/right.
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((2, 2, 6, 7)), rng.standard_normal((3, 2, 2, 4))
    F = torch.nn.functional
    for padding in ("same", (0, 1, 1, 2)):  # the second: the same pads written out
        y = conv2d(x, w, padding=padding)
        assert_matches_torch(
            torch, F.conv2d, [x, w], y, tol=RTOL, what=f"{padding}", padding="same"
        )


@pytest.mark.parametrize("hw", [(5, 6), (40, 37)], ids=["index-path", "strided-path"])
def test_an_empty_batch_gives_empty_outputs_and_zero_weight_gradients(torch, hw):
    """N = 0: PyTorch returns empty outputs, and gradients of w and b that are sums over no
    sample (zeros); so does cnnref, on both im2col strategies."""
    rng = np.random.default_rng(4)
    x, w, b = np.zeros((0, 4, *hw)), rng.standard_normal((6, 2, 3, 2)), rng.standard_normal(6)
    kw = {"stride": (2, 1), "padding": 1, "dilation": (1, 2), "groups": 2}
    F = torch.nn.functional
    y = conv2d(x, w, b, **kw)
    assert y.shape[0] == 0
    grad_y = np.zeros(y.shape)
    grads = conv2d_backward(grad_y, x, w, **kw)
    # shapes and values (the gradients of w and b: zeros) of all four
    assert_matches_torch(torch, F.conv2d, [x, w, b], y, grads, grad_y, RTOL, names=XWB, **kw)
    x, w = np.zeros((0, 6, *hw)), rng.standard_normal((6, 1, 3, 3))
    z = conv_transpose2d(x, w, groups=2)
    assert_matches_torch(torch, F.conv_transpose2d, [x, w], z, tol=RTOL, groups=2)


@pytest.mark.parametrize(
    "row", [row for rows in FAMILIES.values() for row in rows], ids=lambda r: Config(*r).label
)
def test_d5_family_closed_forms_match_torch(torch, row):
    """The closed forms D5 proves for its families, at random numbers, against PyTorch autograd.

    'same' goes to PyTorch as 'same' (its own rule for the odd zero), explicit
    uneven amounts as an F.pad of the input first, as nn.Conv2d does.
    """
    cfg = Config(*row)
    outcome = prove_config(cfg, controls=False)
    assert all(outcome.statements.values())
    c, o = cfg.channels
    rng = np.random.default_rng(zlib.crc32(cfg.label.encode()))
    x = rng.standard_normal((1, c, *cfg.in_hw))
    w = rng.standard_normal((o, c // cfg.groups, *cfg.kernel))
    b = rng.standard_normal(o)
    grad_y = rng.standard_normal((1, o, *cfg.out_hw))
    kw = {"stride": cfg.stride, "dilation": cfg.dilation, "groups": cfg.groups}
    F = torch.nn.functional

    def conv(x, w, b):
        if cfg.padding == "same" or len(cfg.padding) == 2:
            return F.conv2d(x, w, b, padding=cfg.padding, **kw)
        top, bottom, left, right = cfg.padding
        return F.conv2d(F.pad(x, (left, right, top, bottom)), w, b, **kw)

    values = {}
    for name, arr in (("x", x[0]), ("w", w), ("g", grad_y[0])):
        for index in np.ndindex(arr.shape):
            values[sp.Symbol(S.entry_name(name, index), real=True)] = arr[index]
    dx, dw = (S.substitute(outcome.formulas[key], values) for key in ("corr.dx", "corr.dw"))
    grads = (dx[None], dw, None)  # the formulas are of one sample; b is not differentiated
    assert_matches_torch(
        torch, conv, [x, w, constant(b)], None, grads, grad_y, RTOL, names=XWB, what="corr"
    )


# -- the oracle helper itself: it fails, and says on what -------------------------------------


def test_the_oracle_helper_fails_and_names_what_differs(torch):
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((4, 3, 3, 2))
    b = rng.standard_normal(4)
    y = conv2d(x, w, b, stride=2)
    grad_y = rng.standard_normal(y.shape)
    grad_x, grad_w, grad_b = conv2d_backward(grad_y, x, w, stride=2)
    F = torch.nn.functional
    right = (grad_x, grad_w, grad_b)
    assert_matches_torch(torch, F.conv2d, [x, w, b], y, right, grad_y, RTOL, names=XWB, stride=2)
    wrong = {
        "value": (y * (1 + 1e-9), right),
        "grad_w": (y, (grad_x, rot180(grad_w), grad_b)),  # the kernel gradient turned over
        "grad_b": (y, (grad_x, grad_w, 1.001 * grad_b)),
        # the gradients of y.sum(): an all-ones upstream gradient instead of grad_y
        "grad_x": (y, conv2d_backward(np.ones(y.shape), x, w, stride=2)),
    }
    for label, (value, grads) in wrong.items():
        with pytest.raises(AssertionError, match=rf"^{label}: relative error"):
            assert_matches_torch(
                torch, F.conv2d, [x, w, b], value, grads, grad_y, RTOL, names=XWB, stride=2
            )


def test_the_oracle_helper_refuses_what_it_cannot_compare(torch):
    F = torch.nn.functional
    x, w = np.arange(12.0).reshape(1, 1, 3, 4), np.array([[[[1.0, -2.0], [0.5, 3.0]]]])
    y, grad_y = conv2d(x, w), np.ones((1, 1, 2, 3))
    grads = conv2d_backward(grad_y, x, w)[:2]
    # forward only: a non-scalar value and no upstream gradient
    value, none = torch_value_and_grads(torch, F.conv2d, [x, w])
    assert_close(value, y, RTOL)
    assert none == (None, None)
    with pytest.raises(ValueError, match=r"value, grads: nothing to compare"):
        assert_matches_torch(torch, F.conv2d, [x, w], None)
    with pytest.raises(ValueError, match=r"grad_y: expected the value's shape \(1, 1, 2, 3\)"):
        torch_value_and_grads(torch, F.conv2d, [x, w], np.ones((1, 2, 3)))
    with pytest.raises(ValueError, match=r"grads: PyTorch computed no grad_w \(a constant"):
        assert_matches_torch(torch, F.conv2d, [x, constant(w)], y, grads, grad_y, names=("x", "w"))
    with pytest.raises(ValueError, match=r"names, grads: expected one per argument \(2\)"):
        assert_matches_torch(torch, F.conv2d, [x, w], y, grads[:1], grad_y)
    with pytest.raises(TypeError, match=r"arrays\[1\]: a int64 array has no gradient"):
        torch_value_and_grads(torch, F.cross_entropy, [np.zeros((2, 3)), np.array([0, 2])])
    with pytest.raises(ValueError, match=r"names: expected the module's parameters"):
        module_as_function(torch, torch.nn.Linear(2, 3), ["weight"])
