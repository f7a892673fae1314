"""Pooling with every PyTorch option: dilation, ceil_mode, return_indices, count_include_pad,
divisor_override, and max_unpool2d.

The fast code is compared with the loop specification and with PyTorch (float64,
1e-10); the loop specification with PyTorch and with hand-worked windows; the
backward passes with finite differences. The grids hold what these options are
about: ceil_mode windows that overhang past the padding (their average divides
by fewer taps) and windows PyTorch drops because they would start in the
padding, dilated windows with ties (integer inputs), count_include_pad=False
next to padding, and divisor_override.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from cnnref import (
    AvgPool2D,
    MaxPool2D,
    avg_pool2d,
    avg_pool2d_backward,
    avg_pool2d_backward_naive,
    avg_pool2d_naive,
    conv_output_size,
    gradcheck,
    max_pool2d,
    max_pool2d_backward,
    max_pool2d_backward_naive,
    max_pool2d_naive,
    max_unpool2d,
    max_unpool2d_naive,
    pool_output_size,
)
from cnnref.pool_windows import avg_divisors, pool_geometry, unpool_output_hw

from .helpers import assert_close
from .oracle import assert_matches_torch, torch_value_and_grads

SHAPES = [(2, 2, 7, 6), (1, 3, 5, 9)]


def _valid(shape, kw):
    pool_kw = {k: v for k, v in kw.items() if k not in ("count_include_pad", "divisor_override")}
    try:
        return pool_geometry(shape, **pool_kw)
    except ValueError:
        return None


def _grid(**axes):
    cases = []
    for values in itertools.product(SHAPES, *axes.values()):
        shape, kw = values[0], dict(zip(axes, values[1:], strict=True))
        if isinstance(kw.get("divisor"), tuple):
            kw["count_include_pad"], kw["divisor_override"] = kw.pop("divisor")
        if _valid(shape, kw) is not None:
            cases.append((shape, kw))
    return cases


MAX_GRID = _grid(
    kernel_size=[2, (3, 2)],
    stride=[None, 2, (1, 3)],
    padding=[0, 1],
    dilation=[1, 2, (1, 3)],
    ceil_mode=[False, True],
)
AVG_GRID = _grid(
    kernel_size=[2, (3, 2), (2, 3)],
    stride=[None, 2, (1, 3)],
    padding=[0, 1],
    ceil_mode=[False, True],
    divisor=[(True, None), (False, None), (False, 3)],
)
AVG_KEYS = ("kernel_size", "stride", "padding", "ceil_mode")


def _id(case):
    shape, kw = case
    short = {"kernel_size": "k", "stride": "s", "padding": "p", "dilation": "d"}
    short |= {"ceil_mode": "ceil", "count_include_pad": "cip", "divisor_override": "div"}
    args = "-".join(f"{short[k]}{v}".replace(" ", "") for k, v in kw.items())
    return "x" + "x".join(map(str, shape)) + "-" + args


def _x(rng, shape, ties):
    return rng.integers(-2, 3, shape).astype(float) if ties else rng.standard_normal(shape)


def _overhangs(shape, kw):
    """Whether a ceil_mode window reaches past the padded input (PyTorch clips its divisor)."""
    geo = _valid(shape, kw)
    return any(
        (o - 1) * s + e > n + 2 * p
        for o, s, e, n, p in zip(
            geo.out_hw, geo.stride, geo.span, geo.in_hw, geo.padding, strict=True
        )
    )


def _drops(shape, kw):
    """Whether ceil_mode rounds up to a window that PyTorch drops (it starts in the padding)."""
    geo = _valid(shape, kw)
    return any(
        -(-(n + 2 * p - e) // s) + 1 != o
        for o, s, e, n, p in zip(
            geo.out_hw, geo.stride, geo.span, geo.in_hw, geo.padding, strict=True
        )
    )


def test_grids_cover_what_they_claim():
    ceil_max = [c for c in MAX_GRID if c[1]["ceil_mode"]]
    ceil_avg = [c for c in AVG_GRID if c[1]["ceil_mode"]]
    assert len(MAX_GRID) > 80 and len(AVG_GRID) > 80
    assert sum(_overhangs(*c) for c in ceil_max) > 10, "max windows overhanging the padding"
    assert sum(_overhangs(*c) for c in ceil_avg) > 10, "avg windows overhanging the padding"
    assert any(_drops(*c) for c in ceil_max + ceil_avg), "windows ceil_mode drops"
    assert sum(c[1]["dilation"] != 1 and c[1]["padding"] != 0 for c in MAX_GRID) > 10
    assert any(not c[1]["count_include_pad"] and c[1]["padding"] for c in AVG_GRID)
    # count_include_pad=True divides by fewer than kh·kw taps somewhere (the overhang).
    partial = [
        c
        for c in ceil_avg
        if c[1]["count_include_pad"]
        and avg_divisors(_valid(*c), True, None).min() < np.prod(_valid(*c).kernel)
    ]
    assert partial, "an overhanging window whose divisor is clipped"


def test_pool_output_size_is_the_floor_formula_or_the_ceiling_without_empty_windows():
    for n, k, s, p, d in itertools.product(
        range(1, 9), range(1, 4), range(1, 4), range(2), (1, 2)
    ):
        span = d * (k - 1) + 1
        if 2 * p > k or n + 2 * p < span:
            continue
        assert pool_output_size(n, k, s, p, d) == conv_output_size(n, k, s, p, d)
        # ceil_mode's windows, stated directly: every start t = -p + i·s such that the
        # window leaves less than a stride of the padded input uncovered after it (it may
        # overhang, by less than a stride) and starts inside x or the top/left padding.
        starts = [t for t in range(-p, n + p, s) if t + span - s < n + p and t < n]
        assert pool_output_size(n, k, s, p, d, ceil_mode=True) == len(starts), (n, k, s, p, d)


# -- the loop specification against hand-worked windows ------------------------------------


def test_ceil_mode_last_window_by_hand():
    # A 5-wide row, k=2, s=2, ceil_mode: windows [0, 2), [2, 4) and [4, 6); the last one
    # holds only x[4]. PyTorch clips a window to the padded input [-p, 5 + p) = [0, 5)
    # before counting, so with padding 0 it divides by 1 whether or not padding counts.
    x = np.array([1.0, 2.0, 4.0, 8.0, 16.0]).reshape(1, 1, 1, 5)
    kw = {"kernel_size": (1, 2), "ceil_mode": True}
    for include in (True, False):
        y = avg_pool2d_naive(x, **kw, count_include_pad=include)
        np.testing.assert_array_equal(y[0, 0, 0], [1.5, 6.0, 16.0])
    np.testing.assert_array_equal(max_pool2d_naive(x, **kw)[0, 0, 0], [2.0, 8.0, 16.0])
    # Without ceil_mode the last entry is in no window: its gradient is zero.
    g = np.array([10.0, 20.0]).reshape(1, 1, 1, 2)
    grad = avg_pool2d_backward_naive(g, x, (1, 2))
    np.testing.assert_array_equal(grad[0, 0, 0], [5.0, 5.0, 10.0, 10.0, 0.0])


def test_ceil_mode_window_in_the_padding_by_hand():
    # 6-wide row, k=3, s=2, p=1, ceil_mode: windows start at -1, 1, 3, 5. The last covers
    # columns 5, 6, 7: x[5], one padding zero (column 6 < 6 + p) and column 7 past the
    # padded input. count_include_pad: 6 / 2 (the padding counts, the overhang does not);
    # without it 6 / 1. The first window: (0 + 1 + 2) / 3, or / 2 without the padding.
    x = np.arange(1.0, 7.0).reshape(1, 1, 1, 6)
    kw = {"kernel_size": (1, 3), "stride": (1, 2), "padding": (0, 1), "ceil_mode": True}
    np.testing.assert_array_equal(avg_pool2d_naive(x, **kw)[0, 0, 0], [1, 3, 5, 3])
    y = avg_pool2d_naive(x, **kw, count_include_pad=False)
    np.testing.assert_array_equal(y[0, 0, 0], [1.5, 3, 5, 6])
    y = avg_pool2d_naive(x, **kw, divisor_override=4)
    np.testing.assert_array_equal(y[0, 0, 0], [3 / 4, 9 / 4, 15 / 4, 6 / 4])
    g = np.array([6.0, 12.0, 18.0, 24.0]).reshape(1, 1, 1, 4)
    grad = avg_pool2d_backward_naive(g, x, **kw)
    np.testing.assert_array_equal(grad[0, 0, 0], [2, 2 + 4, 4, 4 + 6, 6, 6 + 12])


def test_ceil_mode_drops_a_window_starting_in_the_padding():
    # 5 rows, k=2, s=2, p=1: rounding up gives a 4th window starting at row 3·2 - 1 = 5,
    # all in the bottom padding; PyTorch drops it, leaving the floor mode's 3 windows.
    assert pool_output_size(5, 2, 2, 1, ceil_mode=True) == 3
    x = np.arange(25.0).reshape(1, 1, 5, 5)
    assert max_pool2d_naive(x, 2, padding=1, ceil_mode=True).shape == (1, 1, 3, 3)
    # 5 rows, k=2, s=2, p=0: the 3rd window starts at row 4, inside x, and is kept.
    assert max_pool2d_naive(x, 2, ceil_mode=True).shape == (1, 1, 3, 3)
    assert max_pool2d_naive(x, 2).shape == (1, 1, 2, 2)


def test_dilation_with_ties_by_hand():
    # k=2 taps 2 apart along a row: windows read columns (0, 2), (1, 3), (2, 4).
    x = np.array([3.0, 1.0, 3.0, 2.0, 3.0]).reshape(1, 1, 1, 5)
    y, idx = max_pool2d_naive(x, (1, 2), stride=1, dilation=(1, 2), return_indices=True)
    np.testing.assert_array_equal(y[0, 0, 0], [3, 2, 3])
    np.testing.assert_array_equal(idx[0, 0, 0], [0, 3, 2])  # ties: the first in row-major order
    g = np.array([1.0, 10.0, 100.0]).reshape(1, 1, 1, 3)
    grad = max_pool2d_backward_naive(g, x, (1, 2), stride=1, dilation=(1, 2))
    np.testing.assert_array_equal(grad[0, 0, 0], [1, 0, 100, 10, 0])


def test_max_unpool_by_hand():
    # Pooled (1, 2) with kernel 2: default output (0·2 + 2, 1·2 + 2) = (2, 4).
    y = np.array([5.0, 7.0]).reshape(1, 1, 1, 2)
    idx = np.array([6, 0]).reshape(1, 1, 1, 2)
    out = max_unpool2d_naive(y, idx, 2)
    np.testing.assert_array_equal(out[0, 0], [[7, 0, 0, 0], [0, 0, 5, 0]])
    # A repeated index keeps the later value; output_size (2, 5) is within a stride of (2, 4).
    out = max_unpool2d_naive(y, np.array([3, 3]).reshape(1, 1, 1, 2), 2, output_size=(2, 5))
    np.testing.assert_array_equal(out[0, 0], [[0, 0, 0, 7, 0], [0, 0, 0, 0, 0]])


# -- fast == loop specification -------------------------------------------------------------


@pytest.mark.parametrize("ties", [False, True], ids=["distinct", "ties"])
@pytest.mark.parametrize("case", MAX_GRID[::2], ids=_id)
def test_max_fast_matches_loop_spec(case, ties, rng):
    shape, kw = case
    x = _x(rng, shape, ties)
    y, idx = max_pool2d_naive(x, **kw, return_indices=True)
    grad_y = rng.standard_normal(y.shape)
    y_fast, idx_fast = max_pool2d(x, **kw, return_indices=True)
    assert_close(y_fast, y, 1e-14, "y")
    np.testing.assert_array_equal(idx_fast, idx)
    assert idx_fast.dtype == np.int64
    assert_close(
        max_pool2d_backward(grad_y, x, **kw), max_pool2d_backward_naive(grad_y, x, **kw), 1e-14
    )
    assert_close(max_pool2d(x[0], **kw), y[0], 1e-14, "unbatched")
    unpool = _unpool_kw(kw, x.shape)
    if unpool is not None:  # x's own size as output_size, the way max_unpool2d is used
        assert_close(max_unpool2d(y, idx, **unpool), max_unpool2d_naive(y, idx, **unpool), 0)
        assert_close(
            max_unpool2d(y[0], idx[0], **unpool), max_unpool2d_naive(y, idx, **unpool)[0], 0
        )


def _unpool_kw(kw, x_shape):
    """max_unpool2d's arguments restoring x's size, or None when that size is not allowed."""
    unpool = {k: kw[k] for k in ("kernel_size", "stride", "padding")}
    unpool["output_size"] = x_shape
    geo = pool_geometry(x_shape, **kw)
    try:
        unpool_output_hw(
            geo.out_hw, output_size=x_shape, **{k: kw[k] for k in unpool if k != "output_size"}
        )
    except ValueError:
        return None
    return unpool


@pytest.mark.parametrize("case", AVG_GRID, ids=_id)
def test_avg_fast_matches_loop_spec(case, rng):
    shape, kw = case
    x = rng.standard_normal(shape)
    y = avg_pool2d_naive(x, **kw)
    grad_y = rng.standard_normal(y.shape)
    assert_close(avg_pool2d(x, **kw), y, 1e-14, "y")
    assert_close(
        avg_pool2d_backward(grad_y, x, **kw), avg_pool2d_backward_naive(grad_y, x, **kw), 1e-14
    )
    assert_close(avg_pool2d(x[0], **kw), y[0], 1e-14, "unbatched")


@st.composite
def option_cases(draw):
    """Random small shapes (down to 1x1) with every option, ties likely."""
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    h, w = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    kw = {
        "kernel_size": kernel,
        "stride": draw(st.sampled_from([None, 1, 2, 3, (1, 3), (3, 2)])),
        "padding": (draw(st.integers(0, kernel[0] // 2)), draw(st.integers(0, kernel[1] // 2))),
        "ceil_mode": draw(st.booleans()),
    }
    dilation = draw(st.sampled_from([1, 2, (1, 3), (3, 2)]))
    divisor = draw(st.sampled_from([(True, None), (False, None), (True, 2), (False, -3)]))
    if (
        _valid((n, c, h, w), kw) is None
        or _valid((n, c, h, w), {**kw, "dilation": dilation}) is None
    ):
        assume(False)
    seed = draw(st.integers(0, 2**32 - 1))
    x = np.random.default_rng(seed).integers(-1, 2, (n, c, h, w)).astype(float)
    return x, kw, dilation, divisor, seed


@given(option_cases())
def test_fast_matches_loop_spec_on_random_options(case):
    x, kw, dilation, (include, override), seed = case
    rng = np.random.default_rng(seed + 1)
    max_kw = {**kw, "dilation": dilation}
    y, idx = max_pool2d_naive(x, **max_kw, return_indices=True)
    grad_y = rng.standard_normal(y.shape)
    y_fast, idx_fast = max_pool2d(x, **max_kw, return_indices=True)
    assert_close(y_fast, y, 1e-14, "max y")
    np.testing.assert_array_equal(idx_fast, idx)
    assert_close(
        max_pool2d_backward(grad_y, x, **max_kw),
        max_pool2d_backward_naive(grad_y, x, **max_kw),
        1e-14,
        "max grad_x",
    )
    avg_kw = {**kw, "count_include_pad": include, "divisor_override": override}
    y = avg_pool2d_naive(x, **avg_kw)
    grad_y = rng.standard_normal(y.shape)
    assert_close(avg_pool2d(x, **avg_kw), y, 1e-14, "avg y")
    assert_close(
        avg_pool2d_backward(grad_y, x, **avg_kw),
        avg_pool2d_backward_naive(grad_y, x, **avg_kw),
        1e-14,
        "avg grad_x",
    )


# -- fast == PyTorch ----------------------------------------------------------------------


def _max_matches(torch, x, grad_y, kw, y, idx, grad_x, what=""):
    """cnnref's max pooling (value, indices, input gradient) against PyTorch's."""
    F = torch.nn.functional
    assert_matches_torch(
        torch, F.max_pool2d, [x], y, [grad_x], grad_y, names=["x"], what=what, **kw
    )
    _, idx_t = F.max_pool2d(torch.tensor(x), **kw, return_indices=True)
    np.testing.assert_array_equal(idx, idx_t.numpy())


def _avg_matches(torch, x, grad_y, kw, y, grad_x, what=""):
    """cnnref's average pooling (value, input gradient) against PyTorch's."""
    F = torch.nn.functional
    assert_matches_torch(
        torch, F.avg_pool2d, [x], y, [grad_x], grad_y, names=["x"], what=what, **kw
    )


@pytest.mark.oracle
@pytest.mark.parametrize("ties", [False, True], ids=["distinct", "ties"])
@pytest.mark.parametrize("case", MAX_GRID, ids=_id)
def test_max_matches_torch(torch, case, ties, rng):
    shape, kw = case
    x = _x(rng, shape, ties)
    y, idx = max_pool2d(x, **kw, return_indices=True)
    grad_y = rng.standard_normal(y.shape)
    _max_matches(torch, x, grad_y, kw, y, idx, max_pool2d_backward(grad_y, x, **kw))
    # Unpooling, with values other than the maxima so that a repeated index shows
    # which entry wins.
    unpool = _unpool_kw(kw, shape)
    if unpool is not None:
        v = rng.standard_normal(y.shape)
        ours = max_unpool2d(v, idx, **unpool)
        theirs = torch.nn.functional.max_unpool2d(torch.tensor(v), torch.tensor(idx), **unpool)
        assert_close(ours, theirs.numpy(), 1e-10, "max_unpool2d")


@pytest.mark.oracle
@pytest.mark.parametrize("case", AVG_GRID, ids=_id)
def test_avg_matches_torch(torch, case, rng):
    shape, kw = case
    x = rng.standard_normal(shape)
    y = avg_pool2d(x, **kw)
    grad_y = rng.standard_normal(y.shape)
    _avg_matches(torch, x, grad_y, kw, y, avg_pool2d_backward(grad_y, x, **kw))


# The loop specification against PyTorch directly, so a mistake cannot hide in both.
@pytest.mark.oracle
@pytest.mark.parametrize("case", MAX_GRID[1::5] + AVG_GRID[1::5], ids=_id)
def test_loop_spec_matches_torch(torch, case, rng):
    shape, kw = case
    x = _x(rng, shape, ties="dilation" in kw)
    if "dilation" in kw:
        y, idx = max_pool2d_naive(x, **kw, return_indices=True)
        grad_y = rng.standard_normal(y.shape)
        _max_matches(torch, x, grad_y, kw, y, idx, max_pool2d_backward_naive(grad_y, x, **kw))
    else:
        y = avg_pool2d_naive(x, **kw)
        grad_y = rng.standard_normal(y.shape)
        _avg_matches(torch, x, grad_y, kw, y, avg_pool2d_backward_naive(grad_y, x, **kw))


@pytest.mark.oracle
@given(option_cases())
def test_random_options_match_torch(torch, case):
    x, kw, dilation, (include, override), seed = case
    rng = np.random.default_rng(seed + 2)
    max_kw = {**kw, "dilation": dilation}
    y, idx = max_pool2d(x, **max_kw, return_indices=True)
    grad_y = rng.standard_normal(y.shape)
    grad_x = max_pool2d_backward(grad_y, x, **max_kw)
    _max_matches(torch, x, grad_y, max_kw, y, idx, grad_x, what="max")
    avg_kw = {**kw, "count_include_pad": include, "divisor_override": override}
    y = avg_pool2d(x, **avg_kw)
    grad_y = rng.standard_normal(y.shape)
    _avg_matches(torch, x, grad_y, avg_kw, y, avg_pool2d_backward(grad_y, x, **avg_kw), "avg")


@pytest.mark.oracle
def test_unbatched_indices_and_unpool_match_torch(torch, rng):
    x = rng.integers(-2, 3, (3, 7, 8)).astype(float)
    for dilation in [(2, 1), 1]:
        kw = {"kernel_size": 3, "stride": 2, "padding": 1, "dilation": dilation, "ceil_mode": True}
        y, idx = max_pool2d(x, **kw, return_indices=True)
        y_t, idx_t = torch.nn.functional.max_pool2d(torch.tensor(x), **kw, return_indices=True)
        np.testing.assert_array_equal(y, y_t.numpy())
        np.testing.assert_array_equal(idx, idx_t.numpy())
    assert y.shape == (3, 4, 5)  # unpooled by default to (3·2 - 2 + 3, 4·2 - 2 + 3) = (7, 9)
    for size in [None, (7, 8), (1, 3, 7, 8)]:
        ours = max_unpool2d(y, idx, 3, 2, 1, output_size=size)
        theirs = torch.nn.functional.max_unpool2d(y_t, idx_t, 3, 2, 1, output_size=size)
        np.testing.assert_array_equal(ours, theirs.numpy())


@pytest.mark.oracle
def test_dilated_windows_of_minus_infinity_match_torch(torch, rng):
    # A window holding only -inf points at its first tap inside x: with padding 1 and
    # dilation 2 the first window's taps are rows -1, 1, 3, so row 1, not row 0.
    x = np.full((1, 2, 7, 6), -np.inf)
    x[0, 1, 4:, 3:] = rng.standard_normal((3, 3))
    kw = {"kernel_size": 3, "stride": 2, "padding": 1, "dilation": 2, "ceil_mode": True}
    y, idx = max_pool2d(x, **kw, return_indices=True)
    grad_y = rng.standard_normal(y.shape)
    # the value holds -inf: compared exactly here, not through a relative error
    y_t, (grad_x_t,) = torch_value_and_grads(
        torch, torch.nn.functional.max_pool2d, [x], grad_y, **kw
    )
    _, idx_t = torch.nn.functional.max_pool2d(torch.tensor(x), **kw, return_indices=True)
    np.testing.assert_array_equal(y, y_t)
    np.testing.assert_array_equal(idx, idx_t.numpy())
    np.testing.assert_array_equal(max_pool2d_naive(x, **kw, return_indices=True)[1], idx_t)
    assert idx[0, 0, 0, 0] == 1 * 6 + 1
    assert_close(max_pool2d_backward(grad_y, x, **kw), grad_x_t, 1e-15, "grad_x")


@pytest.mark.oracle
def test_negative_divisor_override_matches_torch(torch, rng):
    # PyTorch accepts any non-zero divisor; so does cnnref.
    x = rng.standard_normal((1, 2, 5, 6))
    kw = {"kernel_size": 2, "padding": 1, "ceil_mode": True, "divisor_override": -3}
    y = avg_pool2d(x, **kw)
    grad_y = rng.standard_normal(y.shape)
    _avg_matches(torch, x, grad_y, kw, y, avg_pool2d_backward(grad_y, x, **kw))


@pytest.mark.oracle
def test_argument_checks_agree_with_torch(torch):
    # Every combination on a small input: cnnref accepts exactly what PyTorch accepts, and
    # then gives the same output shape. One deliberate exception: a dilated window with no
    # entry of x, where PyTorch returns -inf with an index outside the plane.
    x = np.zeros((1, 1, 4, 5))
    for k, s, p, d, ceil in itertools.product(
        range(1, 7), [None, 1, 2, 3], range(3), [1, 2, 3], [False, True]
    ):
        kw = {"kernel_size": k, "stride": s, "padding": p, "dilation": d, "ceil_mode": ceil}
        try:
            y_t, idx_t = torch.nn.functional.max_pool2d(torch.tensor(x), **kw, return_indices=True)
        except RuntimeError:
            y_t = None
        try:
            y = max_pool2d(x, **kw)
        except ValueError as err:
            if y_t is not None:
                assert "without any entry of x" in str(err), kw
                assert np.isneginf(y_t.numpy()).any() and (idx_t.numpy() >= 20).any(), kw
                continue
            y = None
        assert (y is None) == (y_t is None), kw
        if y is not None:
            assert y.shape == tuple(y_t.shape), kw
            if d == 1:
                avg_t = torch.nn.functional.avg_pool2d(torch.tensor(x), k, s, p, ceil)
                assert avg_pool2d(x, k, s, p, ceil).shape == tuple(avg_t.shape), kw


# -- finite differences -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "kw"),
    [
        ("max", {"kernel_size": 3, "stride": 2, "padding": 1, "dilation": 2, "ceil_mode": True}),
        ("max", {"kernel_size": (2, 3), "stride": (3, 1), "dilation": (2, 1)}),
        ("avg", {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
        (
            "avg",
            {"kernel_size": (3, 2), "padding": 1, "ceil_mode": True, "count_include_pad": False},
        ),
        ("avg", {"kernel_size": 2, "stride": 1, "divisor_override": 3}),
    ],
    ids=["max-dilated-ceil", "max-dilated-rect", "avg-ceil", "avg-no-pad-count", "avg-override"],
)
def test_options_gradcheck(kind, kw, rng):
    # Standard normal inputs: no ties, so the max is differentiable at x.
    x = rng.standard_normal((2, 2, 7, 8))
    forward, backward = {
        "max": (max_pool2d, max_pool2d_backward),
        "avg": (avg_pool2d, avg_pool2d_backward),
    }[kind]
    result = gradcheck(
        lambda x: forward(x, **kw), lambda g, x: {"x": backward(g, x, **kw)}, {"x": x}
    )
    assert result.max_error < 1e-8, result


# -- layers -------------------------------------------------------------------------------


def test_layers_take_the_same_options(rng):
    x = rng.standard_normal((2, 3, 7, 6))
    max_kw = {"kernel_size": 3, "stride": 2, "padding": 1, "dilation": 2, "ceil_mode": True}
    avg_kw = {
        "kernel_size": (3, 2),
        "stride": 2,
        "padding": 1,
        "ceil_mode": True,
        "count_include_pad": False,
        "divisor_override": None,
    }
    for layer, forward, backward, kw in [
        (MaxPool2D(**max_kw), max_pool2d, max_pool2d_backward, max_kw),
        (AvgPool2D(**avg_kw), avg_pool2d, avg_pool2d_backward, avg_kw),
    ]:
        y = layer.forward(x)
        np.testing.assert_array_equal(y, forward(x, **kw))
        grad_y = rng.standard_normal(y.shape)
        np.testing.assert_array_equal(layer.backward(grad_y), backward(grad_y, x, **kw))
    assert "ceil_mode=True" in repr(MaxPool2D(**max_kw))


def test_layers_check_their_options_when_built():
    with pytest.raises(ValueError, match="divisor_override: expected a non-zero int"):
        AvgPool2D(2, divisor_override=0)
    with pytest.raises(TypeError, match="ceil_mode: expected a bool"):
        MaxPool2D(2, ceil_mode=1)
    with pytest.raises(ValueError, match="dilation: expected ints positive"):
        MaxPool2D(2, dilation=0)
    MaxPool2D(3, dilation=3, padding=1)  # fits once the window is dilated


# -- errors and inputs left alone ---------------------------------------------------------

X = np.zeros((2, 3, 6, 5))
MAX_ERRORS = [
    ({"dilation": 0}, ValueError, r"dilation: expected ints positive"),
    ({"dilation": 1.5}, TypeError, r"dilation: expected an int or a pair"),
    ({"ceil_mode": 1}, TypeError, r"ceil_mode: expected a bool, got 1"),
    ({"return_indices": "yes"}, TypeError, r"return_indices: expected a bool"),
    # PyTorch also checks half the dilated kernel; half of kernel_size is never larger.
    ({"padding": 2, "dilation": 3}, ValueError, r"padding: expected at most half"),
    ({"kernel_size": 3, "dilation": 3}, ValueError, r"kernel_size: \(3, 3\) with dilation"),
    # Columns -1 and 5 of a 5-wide x: both in the padding.
    ({"dilation": (1, 6), "padding": (0, 1)}, ValueError, r"dilation: .* column 0 without any"),
]
AVG_ERRORS = [
    ({"ceil_mode": "no"}, TypeError, r"ceil_mode: expected a bool"),
    ({"count_include_pad": 0}, TypeError, r"count_include_pad: expected a bool"),
    ({"divisor_override": 0}, ValueError, r"divisor_override: expected a non-zero int, got 0"),
    ({"divisor_override": 2.5}, TypeError, r"divisor_override: expected None or an int"),
    ({"divisor_override": True}, TypeError, r"divisor_override: expected None or an int"),
    # (ceil_mode with the default stride k always leaves one window: PyTorch's rule.)
    ({"kernel_size": 7, "stride": 1, "ceil_mode": True}, ValueError, r"kernel_size: \(7, 7\) is"),
]


@pytest.mark.parametrize("fn", [max_pool2d, max_pool2d_naive])
@pytest.mark.parametrize(("kwargs", "exc", "message"), MAX_ERRORS)
def test_max_option_errors_name_the_argument(fn, kwargs, exc, message):
    with pytest.raises(exc, match=message):
        fn(X, **{"kernel_size": 2, **kwargs})


@pytest.mark.parametrize("fn", [avg_pool2d, avg_pool2d_naive])
@pytest.mark.parametrize(("kwargs", "exc", "message"), AVG_ERRORS)
def test_avg_option_errors_name_the_argument(fn, kwargs, exc, message):
    with pytest.raises(exc, match=message):
        fn(X, **{"kernel_size": 2, **kwargs})


Y = np.ones((2, 3, 2, 2))
IDX = np.zeros((2, 3, 2, 2), dtype=np.int64)
UNPOOL_ERRORS = [
    ({"indices": IDX.astype(float)}, TypeError, r"indices: expected an integer array"),
    ({"indices": IDX[..., :1]}, ValueError, r"indices: expected the shape of y \(2, 3, 2, 2\)"),
    ({"indices": IDX + 16}, ValueError, r"indices: expected flat positions in \[0, 16\)"),
    ({"indices": IDX - 1}, ValueError, r"indices: expected flat positions .* got -1"),
    ({"output_size": (4,)}, TypeError, r"output_size: expected None, \(H, W\) or"),
    ({"output_size": (2, 3, 4)}, TypeError, r"output_size: expected None, \(H, W\) or"),
    ({"output_size": (6, 4)}, ValueError, r"output_size: expected H strictly between 2 and 6"),
    ({"padding": 2}, ValueError, r"output_size: the output \(0, 0\) .* is empty"),
    ({"kernel_size": 0}, ValueError, r"kernel_size: expected ints positive"),
]


@pytest.mark.parametrize("fn", [max_unpool2d, max_unpool2d_naive])
@pytest.mark.parametrize(("kwargs", "exc", "message"), UNPOOL_ERRORS)
def test_unpool_errors_name_the_argument(fn, kwargs, exc, message):
    args = {"y": Y, "indices": IDX, "kernel_size": 2, **kwargs}
    with pytest.raises(exc, match=message):
        fn(**args)


def test_inputs_are_not_modified(rng):
    # Read-only arguments (an in-place write raises), compared with copies afterwards.
    x = rng.standard_normal((2, 2, 7, 6))
    kw = {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}
    y, idx = max_pool2d(x, **kw, return_indices=True)
    grad_y = rng.standard_normal(y.shape)
    arrays = (x, y, idx, grad_y)
    saved = [a.copy() for a in arrays]
    for a in arrays:
        a.setflags(write=False)
    max_pool2d_backward(grad_y, x, **kw)
    max_pool2d_backward_naive(grad_y, x, **kw)
    max_unpool2d(y, idx, 3, 2, 1, output_size=(7, 6))
    max_unpool2d_naive(y, idx, 3, 2, 1, output_size=(7, 6))
    options = {"count_include_pad": False, "divisor_override": None}
    avg_pool2d_backward(grad_y, x, **kw, **options)
    avg_pool2d_backward_naive(grad_y, x, **kw, **options)
    for a, b in zip(arrays, saved, strict=True):
        np.testing.assert_array_equal(a, b)
