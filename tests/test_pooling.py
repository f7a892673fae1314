"""Max and average pooling against PyTorch, the loop specification, hand-worked values and
finite differences.

Integer-valued inputs put many ties inside windows (the gradient must go to the
first maximum in row-major order, as in PyTorch) and, with kernel > stride,
the same entry can be the maximum of several windows (the gradients add up).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from cnnref import (
    avg_pool2d,
    avg_pool2d_backward,
    avg_pool2d_backward_naive,
    avg_pool2d_naive,
    conv_remainder,
    gradcheck,
    max_pool2d,
    max_pool2d_backward,
    max_pool2d_backward_naive,
    max_pool2d_naive,
)
from cnnref.pooling import pool_geometry

from .helpers import assert_close
from .oracle import assert_matches_torch, torch_value_and_grads

FAST = {"max": (max_pool2d, max_pool2d_backward), "avg": (avg_pool2d, avg_pool2d_backward)}
SPEC = {
    "max": (max_pool2d_naive, max_pool2d_backward_naive),
    "avg": (avg_pool2d_naive, avg_pool2d_backward_naive),
}


def _grid():
    cases = []
    for shape, k, s, p in itertools.product(
        [(2, 3, 7, 6), (1, 2, 5, 9)],
        [2, 3, (2, 3), (3, 1)],
        [None, 1, 2, (1, 3), 3],
        [0, 1, (1, 0)],
    ):
        kw = {"kernel_size": k, "stride": s, "padding": p}
        try:
            pool_geometry(shape, **kw)
        except ValueError:
            continue
        cases.append((shape, kw))
    return cases


GRID = _grid()


def _id(case):
    shape, kw = case
    return "x" + "x".join(map(str, shape)) + "-" + "-".join(f"{k[0]}{v}" for k, v in kw.items())


def _inputs(rng, shape, ties: bool):
    x = rng.integers(-2, 3, shape).astype(float) if ties else rng.standard_normal(shape)
    return x


def torch_pool(torch, kind):
    """PyTorch's function of the same name."""
    F = torch.nn.functional
    return F.max_pool2d if kind == "max" else F.avg_pool2d


def test_grid_covers_what_it_claims():
    def remainder(shape, kw):
        geo = pool_geometry(shape, **kw)
        return any(
            conv_remainder(geo.in_hw[i], geo.kernel[i], geo.stride[i], geo.padding[i])
            for i in (0, 1)
        )

    assert len(GRID) > 100
    assert sum(remainder(*c) for c in GRID) > 30, "stride remainders"
    geos = [pool_geometry(shape, **kw) for shape, kw in GRID]
    assert any(g.kernel[0] > g.stride[0] for g in geos), "overlapping windows"
    assert any(g.kernel[1] < g.stride[1] for g in geos), "gaps between windows"
    assert any(g.padding != (0, 0) for g in geos), "padding"
    assert any(g.kernel[0] != g.kernel[1] for g in geos), "rectangular kernels"


@pytest.mark.oracle
@pytest.mark.parametrize("ties", [False, True], ids=["distinct", "ties"])
@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("case", GRID, ids=_id)
def test_pooling_matches_torch(torch, case, kind, ties, rng):
    shape, kw = case
    x = _inputs(rng, shape, ties)
    forward, backward = FAST[kind]
    y = forward(x, **kw)
    grad_y = rng.standard_normal(y.shape)
    grad_x = backward(grad_y, x, **kw)
    assert_matches_torch(torch, torch_pool(torch, kind), [x], y, [grad_x], grad_y, 1e-14, **kw)


# The loop specification against PyTorch directly, so a mistake cannot hide in both.
@pytest.mark.oracle
@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("case", GRID[1::4], ids=_id)
def test_loop_spec_matches_torch(torch, case, kind, rng):
    shape, kw = case
    x = _inputs(rng, shape, ties=True)
    forward, backward = SPEC[kind]
    y = forward(x, **kw)
    grad_y = rng.standard_normal(y.shape)
    grad_x = backward(grad_y, x, **kw)
    assert_matches_torch(torch, torch_pool(torch, kind), [x], y, [grad_x], grad_y, 1e-14, **kw)


@pytest.mark.oracle
def test_ties_really_are_resolved_as_in_torch(torch):
    # Every window is constant: the whole gradient must land on its top-left entry,
    # and entries shared by overlapping windows collect several gradients.
    x = np.ones((1, 1, 5, 5))
    grad_y = np.arange(1.0, 5.0).reshape(1, 1, 2, 2)
    expected = np.zeros((1, 1, 5, 5))
    expected[0, 0, 0, 0], expected[0, 0, 0, 2] = 1, 2
    expected[0, 0, 2, 0], expected[0, 0, 2, 2] = 3, 4
    kw = {"kernel_size": 3, "stride": 2}
    np.testing.assert_array_equal(max_pool2d_backward(grad_y, x, **kw), expected)
    _, (grad_x_t,) = torch_value_and_grads(torch, torch_pool(torch, "max"), [x], grad_y, **kw)
    np.testing.assert_array_equal(grad_x_t, expected)


@pytest.mark.oracle
def test_windows_of_minus_infinity_match_torch(torch):
    # PyTorch gives the gradient of an all -inf window to its first in-bounds entry,
    # never to the padding.
    x = np.full((1, 2, 4, 5), -np.inf)
    x[0, 1, 2:, 3:] = 1.0
    kw = {"kernel_size": 3, "stride": 2, "padding": 1}
    grad_y = np.arange(1.0, 13.0).reshape(1, 2, 2, 3)
    y_t, (grad_x_t,) = torch_value_and_grads(torch, torch_pool(torch, "max"), [x], grad_y, **kw)
    np.testing.assert_array_equal(max_pool2d(x, **kw), y_t)
    np.testing.assert_array_equal(max_pool2d_backward(grad_y, x, **kw), grad_x_t)
    np.testing.assert_array_equal(max_pool2d_backward_naive(grad_y, x, **kw), grad_x_t)


@pytest.mark.oracle
def test_nan_windows_match_torch(torch, rng):
    x = rng.integers(0, 3, (2, 2, 6, 7)).astype(float)
    x[rng.random(x.shape) < 0.2] = np.nan
    kw = {"kernel_size": 3, "stride": 2, "padding": 1}
    grad_y = rng.standard_normal((2, 2, 3, 4))
    y_t, (grad_x_t,) = torch_value_and_grads(torch, torch_pool(torch, "max"), [x], grad_y, **kw)
    assert np.isnan(y_t).sum() > 3, "the case has NaN windows"
    np.testing.assert_array_equal(max_pool2d(x, **kw), y_t)
    np.testing.assert_array_equal(max_pool2d_naive(x, **kw), y_t)
    assert_close(max_pool2d_backward(grad_y, x, **kw), grad_x_t, 1e-15)
    assert_close(max_pool2d_backward_naive(grad_y, x, **kw), grad_x_t, 1e-15)


@pytest.mark.oracle
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_unbatched_input_matches_torch(torch, kind, rng):
    x = rng.standard_normal((3, 6, 7))
    kw = {"kernel_size": (3, 2), "stride": (2, 3), "padding": 1}
    forward, backward = FAST[kind]
    y = forward(x, **kw)
    grad_y = rng.standard_normal(y.shape)
    grad_x = backward(grad_y, x, **kw)
    assert_matches_torch(torch, torch_pool(torch, kind), [x], y, [grad_x], grad_y, 1e-14, **kw)


@pytest.mark.oracle
def test_argument_checks_agree_with_torch(torch):
    x = np.zeros((1, 1, 4, 5))
    for k, s, p in itertools.product(range(1, 6), [None, 1, 2], range(3)):
        kw = {"kernel_size": k, "stride": s, "padding": p}
        try:
            torch.nn.functional.max_pool2d(torch.tensor(x), **kw)
            torch_ok = True
        except RuntimeError:
            torch_ok = False
        try:
            max_pool2d(x, **kw)
            ours_ok = True
        except ValueError:
            ours_ok = False
        assert ours_ok == torch_ok, kw


@pytest.mark.parametrize("ties", [False, True], ids=["distinct", "ties"])
@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("case", GRID[::3], ids=_id)
def test_fast_matches_loop_spec(case, kind, ties, rng):
    shape, kw = case
    x = _inputs(rng, shape, ties)
    y = SPEC[kind][0](x, **kw)
    grad_y = rng.standard_normal(y.shape)
    assert_close(FAST[kind][0](x, **kw), y, 1e-14, "y")
    assert_close(FAST[kind][1](grad_y, x, **kw), SPEC[kind][1](grad_y, x, **kw), 1e-14, "grad_x")


@st.composite
def pool_cases(draw):
    """Random shapes (down to 1x1 and kernel 1), every argument form, ties likely."""
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    h, w = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = draw(st.sampled_from([None, 1, 2, 3, (1, 2), (3, 1), (4, 4)]))
    padding = (draw(st.integers(0, kernel[0] // 2)), draw(st.integers(0, kernel[1] // 2)))
    kw = {
        "kernel_size": draw(st.sampled_from([kernel, list(kernel)]))
        if kernel[0] != kernel[1]
        else kernel[0],
        "stride": stride,
        "padding": padding if padding[0] != padding[1] else padding[0],
    }
    try:
        pool_geometry((n, c, h, w), **kw)
    except ValueError:
        assume(False)
    seed = draw(st.integers(0, 2**32 - 1))
    x = np.random.default_rng(seed).integers(-1, 2, (n, c, h, w)).astype(float)
    return x, kw, seed


@given(pool_cases())
def test_fast_matches_loop_spec_on_random_configurations(case):
    x, kw, seed = case
    grad_y = np.random.default_rng(seed + 1).standard_normal(max_pool2d_naive(x, **kw).shape)
    for kind in ("max", "avg"):
        (fwd, bwd), (fwd_spec, bwd_spec) = FAST[kind], SPEC[kind]
        assert_close(fwd(x, **kw), fwd_spec(x, **kw), 1e-14, f"{kind} y")
        assert_close(bwd(grad_y, x, **kw), bwd_spec(grad_y, x, **kw), 1e-14, f"{kind} grad_x")
        assert_close(fwd(x[0], **kw), fwd_spec(x, **kw)[0], 1e-14, f"{kind} unbatched")


def test_loop_spec_by_hand():
    # One channel, 3x4, kernel 2, stride (1, 2), no padding: two rows of two windows.
    x = np.array([[1.0, 5.0, 2.0, 2.0], [5.0, 0.0, 2.0, 1.0], [3.0, 4.0, 7.0, 0.0]])[None, None]
    kw = {"kernel_size": 2, "stride": (1, 2)}
    np.testing.assert_array_equal(max_pool2d_naive(x, **kw)[0, 0], [[5, 2], [5, 7]])
    np.testing.assert_array_equal(avg_pool2d_naive(x, **kw)[0, 0], [[11 / 4, 7 / 4], [3, 10 / 4]])
    g = np.array([[10.0, 20.0], [30.0, 40.0]])[None, None]
    # Window (0, 0) ties 5 at (0, 1) and (1, 0): row-major order picks (0, 1).
    # Window (0, 1) is all 2 but a 1: first is (0, 2). Window (1, 0): 5 at (1, 0).
    expected = np.zeros((3, 4))
    expected[0, 1], expected[0, 2], expected[1, 0], expected[2, 2] = 10, 20, 30, 40
    np.testing.assert_array_equal(max_pool2d_backward_naive(g, x, **kw)[0, 0], expected)
    avg = np.array([[10, 10, 20, 20], [40, 40, 60, 60], [30, 30, 40, 40]]) / 4
    np.testing.assert_array_equal(avg_pool2d_backward_naive(g, x, **kw)[0, 0], avg)


def test_padding_by_hand():
    # Average pooling divides by the whole window, zeros of the padding included;
    # max pooling never returns a padded value.
    x = -np.ones((1, 1, 2, 2))
    kw = {"kernel_size": 2, "stride": 1, "padding": 1}
    np.testing.assert_array_equal(max_pool2d(x, **kw)[0, 0], -np.ones((3, 3)))
    expected = -np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 4
    np.testing.assert_array_equal(avg_pool2d(x, **kw)[0, 0], expected)


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize(
    "kw",
    [
        {"kernel_size": (3, 2), "stride": (2, 3), "padding": (1, 0)},
        {"kernel_size": 3, "stride": 2, "padding": 1},
        {"kernel_size": (2, 3), "stride": 1},
    ],
    ids=["rect", "overlap", "dense"],
)
def test_pooling_gradcheck(kind, kw, rng):
    x = rng.standard_normal((2, 3, 7, 8))
    forward, backward = FAST[kind]
    result = gradcheck(
        lambda x: forward(x, **kw), lambda g, x: {"x": backward(g, x, **kw)}, {"x": x}
    )
    assert result.max_error < 1e-8, result


def test_float32_stays_float32(rng):
    x = rng.standard_normal((1, 2, 5, 5)).astype(np.float32)
    for kind in ("max", "avg"):
        y = FAST[kind][0](x, 2)
        assert y.dtype == np.float32
        assert FAST[kind][1](np.ones_like(y), x, 2).dtype == np.float32


X = np.zeros((2, 3, 6, 5))
POOL_ERRORS = [
    ({"kernel_size": 0}, ValueError, r"kernel_size: expected ints positive"),
    ({"kernel_size": 2.0}, TypeError, r"kernel_size: expected an int or a pair"),
    ({"kernel_size": (2, 2, 2)}, TypeError, r"kernel_size: expected an int or a pair"),
    ({"kernel_size": 7}, ValueError, r"kernel_size: \(7, 7\) is larger than the padded input"),
    ({"kernel_size": 2, "stride": 0}, ValueError, r"stride: expected ints positive"),
    ({"kernel_size": 2, "stride": "2"}, TypeError, r"stride: expected an int or a pair"),
    ({"kernel_size": 2, "padding": -1}, ValueError, r"padding: expected ints >= 0"),
    ({"kernel_size": 3, "padding": 2}, ValueError, r"padding: expected at most half"),
    ({"kernel_size": (3, 2), "padding": (1, 2)}, ValueError, r"padding: expected at most half"),
]


@pytest.mark.parametrize("fn", [max_pool2d, avg_pool2d, max_pool2d_naive, avg_pool2d_naive])
@pytest.mark.parametrize(("kwargs", "exc", "message"), POOL_ERRORS)
def test_pool_argument_errors_name_the_argument(fn, kwargs, exc, message):
    with pytest.raises(exc, match=message):
        fn(X, **kwargs)


@pytest.mark.parametrize("fn", [max_pool2d_backward, avg_pool2d_backward])
def test_backward_checks_grad_y(fn):
    with pytest.raises(ValueError, match=r"grad_y: expected the output shape \(2, 3, 3, 2\)"):
        fn(np.zeros((2, 3, 3, 3)), X, 2)
    with pytest.raises(ValueError, match=r"grad_y: expected the output shape \(3, 3, 2\)"):
        fn(np.zeros((3, 3, 3)), X[0], 2)


@pytest.mark.parametrize("fn", [max_pool2d, avg_pool2d])
def test_input_errors_name_x(fn):
    with pytest.raises(ValueError, match=r"x: expected a 3-D or 4-D array"):
        fn(np.zeros((6, 5)), 2)
    with pytest.raises(TypeError, match=r"x: expected a real numeric array"):
        fn(X.astype(complex), 2)
    with pytest.raises(ValueError, match=r"x: expected non-empty axes"):
        fn(np.zeros((0, 3, 6, 5)), 2)
