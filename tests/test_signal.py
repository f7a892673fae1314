"""Single-channel correlation/convolution and the building blocks, against scipy.signal."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal
from hypothesis import given
from hypothesis import strategies as st

from cnnref import convolve2d, correlate2d, dilate2d, pad2d, rot180

from .helpers import assert_close

MODES = ["full", "same", "valid"]


@st.composite
def image_and_kernel(draw, mode):
    h = draw(st.integers(1, 9))
    w = draw(st.integers(1, 9))
    limit_h, limit_w = (h, w) if mode == "valid" else (7, 7)
    kh = draw(st.integers(1, limit_h))
    kw = draw(st.integers(1, limit_w))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    return rng.standard_normal((h, w)), rng.standard_normal((kh, kw))


@pytest.mark.parametrize("mode", MODES)
@given(data=st.data())
def test_correlate2d_matches_scipy(mode, data):
    x, k = data.draw(image_and_kernel(mode))
    assert_close(correlate2d(x, k, mode), scipy.signal.correlate2d(x, k, mode), 1e-12, mode)


@pytest.mark.parametrize("mode", MODES)
@given(data=st.data())
def test_convolve2d_matches_scipy(mode, data):
    x, k = data.draw(image_and_kernel(mode))
    assert_close(convolve2d(x, k, mode), scipy.signal.convolve2d(x, k, mode), 1e-12, mode)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("shape", "kshape"), [((4, 7), (2, 3)), ((6, 3), (3, 2)), ((5, 5), (4, 1))]
)
def test_rectangular_shapes_every_mode(rng, mode, shape, kshape):
    x, k = rng.standard_normal(shape), rng.standard_normal(kshape)
    assert_close(correlate2d(x, k, mode), scipy.signal.correlate2d(x, k, mode), 1e-12)
    assert_close(convolve2d(x, k, mode), scipy.signal.convolve2d(x, k, mode), 1e-12)


def test_worked_example_of_the_convolution_article():
    # The 3x3 image 1..9 convolved (true convolution) with [[1, 2], [3, 4]],
    # as printed in the article: [[23, 33], [53, 63]].
    x = np.arange(1, 10).reshape(3, 3)
    k = np.array([[1, 2], [3, 4]])
    np.testing.assert_array_equal(convolve2d(x, k, "valid"), [[23, 33], [53, 63]])
    # and cross-correlation is something else for this kernel
    np.testing.assert_array_equal(correlate2d(x, k, "valid"), [[37, 47], [67, 77]])


def test_convolution_is_correlation_with_rotated_kernel(rng):
    x, k = rng.standard_normal((5, 6)), rng.standard_normal((3, 2))
    for mode in ("full", "valid"):
        np.testing.assert_allclose(convolve2d(x, k, mode), correlate2d(x, rot180(k), mode))


def test_rot180_flips_the_last_two_axes(rng):
    w = rng.standard_normal((2, 3, 4, 5))
    r = rot180(w)
    for a in range(4):
        for b in range(5):
            np.testing.assert_array_equal(r[:, :, a, b], w[:, :, 3 - a, 4 - b])
    np.testing.assert_array_equal(rot180(r), w)
    assert not np.shares_memory(r, w)


def test_pad2d_forms(rng):
    x = rng.standard_normal((2, 3, 4))
    np.testing.assert_array_equal(pad2d(x, 1), np.pad(x, ((0, 0), (1, 1), (1, 1))))
    np.testing.assert_array_equal(pad2d(x, (2, 0)), np.pad(x, ((0, 0), (2, 2), (0, 0))))
    np.testing.assert_array_equal(
        pad2d(x, (1, 2, 3, 0), value=-np.inf),
        np.pad(x, ((0, 0), (1, 2), (3, 0)), constant_values=-np.inf),
    )


def test_dilate2d_places_entries_on_a_grid(rng):
    x = rng.standard_normal((2, 3, 4))
    d = dilate2d(x, (2, 3))
    assert d.shape == (2, 5, 10)
    np.testing.assert_array_equal(d[:, ::2, ::3], x)
    mask = np.ones(d.shape, bool)
    mask[:, ::2, ::3] = False
    assert np.all(d[mask] == 0)
    np.testing.assert_array_equal(dilate2d(x, 1), x)


def test_dtype_follows_the_input(rng):
    x = rng.standard_normal((4, 5)).astype(np.float32)
    k = rng.standard_normal((2, 2)).astype(np.float32)
    for fn in (correlate2d, convolve2d):
        assert fn(x, k).dtype == np.float32
        assert fn(x, k.astype(np.float64)).dtype == np.float64
    assert correlate2d(np.ones((3, 3), int), np.ones((2, 2), int)).dtype == np.float64


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: correlate2d(np.ones((3, 3)), np.ones((2, 2)), "wide"), "mode"),
        (lambda: correlate2d(np.ones((3, 3, 1)), np.ones((2, 2))), "x: expected a 2-D"),
        (lambda: convolve2d(np.ones((3, 3)), np.ones(2)), "k: expected a 2-D"),
        (lambda: correlate2d(np.ones((2, 3)), np.ones((3, 3)), "valid"), "k: kernel of shape"),
        (lambda: correlate2d(np.array([["a"]]), np.ones((1, 1))), "x: expected a real numeric"),
        (lambda: convolve2d(np.ones((2, 2)), np.ones((1, 1), complex)), "k: expected a real"),
        (lambda: pad2d(np.ones((2, 2)), -1), "padding: expected non-negative"),
        (lambda: pad2d(np.ones((2, 2)), (1, 2, 3)), "padding: expected an int, a pair"),
        (lambda: dilate2d(np.ones((2, 2)), 0), "dilation: expected ints positive"),
        (lambda: rot180(np.ones(3)), "k: expected an array with at least 2"),
    ],
)
def test_bad_input_names_the_argument(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_nan_and_inf_propagate_to_the_windows_that_contain_them(rng):
    x = rng.standard_normal((5, 5))
    x[1, 3] = np.nan
    x[4, 0] = np.inf
    k = rng.standard_normal((2, 2))
    out = correlate2d(x, k, "valid")
    ref = scipy.signal.correlate2d(x, k, "valid")
    np.testing.assert_array_equal(np.isnan(out), np.isnan(ref))
    np.testing.assert_array_equal(np.isinf(out), np.isinf(ref))
    assert np.isnan(out[0, 2]) and np.isnan(out[1, 3]) and np.isfinite(out[3, 3])
