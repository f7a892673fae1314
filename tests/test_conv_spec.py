"""The loop specification (cnnref.naive) checked against independent oracles.

* forward: scipy.signal.correlate2d, one channel pair at a time, with the
  stride done by subsampling and the dilation by a kernel written out with
  zeros (dilate2d) — none of the naive code's indexing is reused;
* backward: central finite differences of L = Σ G ⊙ conv2d(x, w, b) with a
  random upstream gradient G;
* transposed convolution: the adjoint identity ⟨conv2d(x), G⟩ = ⟨x, conv_transpose2d(G)⟩.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal
from hypothesis import given

from cnnref import (
    conv2d,
    conv2d_backward_naive,
    conv2d_naive,
    conv_remainder,
    conv_transpose2d_naive,
    dilate2d,
)
from cnnref.geometry import conv_geometry

from .helpers import assert_close
from .strategies import conv_configs, transpose_configs


def scipy_conv2d(x, w, b, stride, padding, dilation, groups):
    """conv2d from scipy.signal.correlate2d: pad, correlate each channel pair, subsample."""
    geo = conv_geometry(x.shape, w.shape, stride, padding, dilation, groups)
    (t, bo), (l, r) = geo.pads
    xp = np.pad(x, ((0, 0), (0, 0), (t, bo), (l, r)))
    wd = dilate2d(w, geo.dilation)
    o_per_g, c_per_g = geo.out_channels // groups, geo.in_channels // groups
    sh, sw = geo.stride
    ho, wo = geo.out_hw
    y = np.zeros((x.shape[0], geo.out_channels, ho, wo))
    for n in range(x.shape[0]):
        for o in range(geo.out_channels):
            g = o // o_per_g
            for c in range(c_per_g):
                full = scipy.signal.correlate2d(xp[n, g * c_per_g + c], wd[o, c], "valid")
                y[n, o] += full[::sh, ::sw][:ho, :wo]
            if b is not None:
                y[n, o] += b[o]
    return y


@given(conv_configs())
def test_naive_forward_matches_scipy(case):
    x, w, b, kw = case
    assert_close(conv2d_naive(x, w, b, **kw), scipy_conv2d(x, w, b, **kw), 1e-12)


@pytest.mark.parametrize("dilation", [1, 2, (1, 3)])
@pytest.mark.parametrize(("hw", "khw"), [((6, 7), (2, 4)), ((5, 8), (3, 2)), ((7, 6), (4, 3))])
def test_same_padding_matches_scipy_same_mode(rng, hw, khw, dilation):
    # 'same' padding resolved by scipy, not by the library's geometry: PyTorch
    # puts the odd zero of an even (dilated) kernel at the bottom/right, which
    # is the window scipy.signal's 'same' mode keeps for correlation
    x = rng.standard_normal((2, 3, *hw))
    w = rng.standard_normal((2, 3, *khw))
    wd = dilate2d(w, dilation)
    expected = np.zeros((2, 2, *hw))
    for n, o, c in np.ndindex(2, 2, 3):
        expected[n, o] += scipy.signal.correlate2d(x[n, c], wd[o, c], "same")
    assert_close(conv2d_naive(x, w, padding="same", dilation=dilation), expected, 1e-12)
    assert_close(conv2d(x, w, padding="same", dilation=dilation), expected, 1e-12, "fast")


def central_differences(f, a, eps=1e-3):
    """∂f/∂a entry by entry, (f(a + ε) - f(a - ε)) / 2ε, in float64.

    The losses below are linear in each argument, so the step causes no
    truncation error; a step of 1e-3 rather than 1e-6 keeps the rounding error
    of the two loss values (about ulp(L) / ε) well below the tolerance even
    when a gradient entry is small.
    """
    grad = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        plus, minus = a.copy(), a.copy()
        plus[idx] += eps
        minus[idx] -= eps
        grad[idx] = (f(plus) - f(minus)) / (2 * eps)
    return grad


@given(conv_configs(max_hw=6, max_batch=2))
def test_naive_backward_matches_finite_differences(case):
    x, w, b, kw = case
    b = np.zeros(w.shape[0]) if b is None else b
    rng = np.random.default_rng(x.size * 31 + w.size)
    grad_y = rng.standard_normal(conv2d_naive(x, w, b, **kw).shape)

    def loss(x_, w_, b_):
        # Exact linear functional: forward is linear in each argument, so
        # central differences are exact up to rounding.
        return float(np.sum(grad_y * conv2d_naive(x_, w_, b_, **kw)))

    # The loss is affine in each argument, so any step is exact but for rounding,
    # which is about 1e-16 |L| / eps: a unit step keeps it far below a gradient
    # that nearly cancels (grad_b is a sum of a few entries of grad_y).
    gx, gw, gb = conv2d_backward_naive(grad_y, x, w, **kw)
    assert_close(gx, central_differences(lambda a: loss(a, w, b), x, 1.0), 1e-10, "grad_x")
    assert_close(gw, central_differences(lambda a: loss(x, a, b), w, 1.0), 1e-10, "grad_w")
    assert_close(gb, central_differences(lambda a: loss(x, w, a), b, 1.0), 1e-10, "grad_b")


@given(transpose_configs())
def test_naive_transpose_is_the_adjoint_of_conv(case):
    g, w, _, kw = case
    out = conv_transpose2d_naive(g, w, **kw)
    conv_kw = {k: v for k, v in kw.items() if k != "output_padding"}
    rng = np.random.default_rng(g.size)
    x = rng.standard_normal(out.shape)
    y = conv2d_naive(x, w, **conv_kw)
    if y.shape != g.shape:
        # output_padding >= stride (allowed when dilation > stride): the
        # convolution of the larger input has more outputs; the transposed
        # convolution is the adjoint of the convolution cropped to g's size.
        y = y[:, :, : g.shape[2], : g.shape[3]]
    lhs = np.sum(y * g)
    rhs = np.sum(x * out)
    assert abs(lhs - rhs) <= 1e-10 * max(1.0, abs(lhs))


def test_naive_backward_is_the_naive_transpose(rng):
    # grad_x of a strided, padded, dilated convolution is its transposed convolution
    x = rng.standard_normal((2, 4, 7, 6))
    w = rng.standard_normal((6, 2, 3, 2))
    kw = {"stride": (2, 3), "padding": (1, 2), "dilation": (2, 1), "groups": 2}
    grad_y = rng.standard_normal(conv2d_naive(x, w, **kw).shape)
    gx, _, _ = conv2d_backward_naive(grad_y, x, w, **kw)
    # the stride remainders pick which input size the transposed convolution makes
    out_pad = (conv_remainder(7, 3, 2, 1, 2), conv_remainder(6, 2, 3, 2, 1))
    assert out_pad == (0, 2)
    assert_close(gx, conv_transpose2d_naive(grad_y, w, output_padding=out_pad, **kw), 1e-13)


@pytest.mark.parametrize("padding", [0, 1])
def test_stride_remainder_rows_get_zero_gradient(rng, padding):
    # H = 8, k = 3, s = 3, p = 0: (8 - 3) % 3 = 2 -> the last 2 rows are never read
    x = rng.standard_normal((1, 1, 8, 8))
    w = rng.standard_normal((1, 1, 3, 3))
    grad_y = rng.standard_normal(conv2d_naive(x, w, stride=3, padding=padding).shape)
    gx, _, _ = conv2d_backward_naive(grad_y, x, w, stride=3, padding=padding)
    untouched = (8 + 2 * padding - 3) % 3 - padding
    if untouched > 0:
        assert np.all(gx[..., -untouched:, :] == 0)
        assert np.all(gx[..., -untouched:] == 0)
    assert np.any(gx[..., : 8 - max(untouched, 0), :] != 0)
