"""conv_transpose2d_backward and the ConvTranspose2D layer.

The fast path (built from conv2d's code) against the loop specification (the
scatter differentiated by hand), both against PyTorch autograd (float64,
1e-10, a random upstream gradient), finite differences, the layer against the
functions and against torch.nn.ConvTranspose2d, and bad input.
"""

from __future__ import annotations

import itertools
import zlib

import numpy as np
import pytest
from hypothesis import given

from cnnref import (
    ConvTranspose2D,
    conv_transpose2d,
    conv_transpose2d_backward,
    conv_transpose2d_backward_naive,
    conv_transpose2d_naive,
    conv_transpose_output_size,
    gradcheck,
    gradcheck_layer,
)

from .helpers import assert_close
from .oracle import assert_matches_torch, module_as_function
from .strategies import transpose_configs

RTOL = 1e-10
XWB = ("x", "w", "b")


def _pair(v):
    return (v, v) if isinstance(v, int) else v


def _grid():
    """Rectangular inputs and kernels, every output_padding (the forward conv's stride
    remainders), dilation, and groups with one, two and three channels per group."""
    cases = []
    for (h, w), (kh, kw), (s, d), p, (c, o, g) in itertools.product(
        [(3, 4), (4, 2)],
        [(3, 2), (2, 3)],
        [(1, 1), (2, 1), (3, 2), ((2, 3), (1, 2))],
        [0, (1, 2)],
        [(2, 3, 1), (4, 6, 2), (6, 3, 3)],
    ):
        s2, d2, p2 = _pair(s), _pair(d), _pair(p)
        for op in itertools.product(*(range(max(a, b)) for a, b in zip(s2, d2, strict=True))):
            sizes = [
                conv_transpose_output_size(n, k, a, q, e, b)
                for n, k, a, q, e, b in zip((h, w), (kh, kw), s2, p2, op, d2, strict=True)
            ]
            if min(sizes) < 1:
                continue
            kw_ = {"stride": s, "padding": p, "output_padding": op, "dilation": d, "groups": g}
            cases.append(((2, c, h, w), (c, o // g, kh, kw), kw_))
    return cases


GRID = _grid()


def _id(case):
    xs, ws, kw = case
    return "-".join([f"x{xs[1:]}", f"w{ws}", *(f"{k[0]}{v}" for k, v in kw.items())]).replace(
        " ", ""
    )


def _case(case):
    xs, ws, kw = case
    rng = np.random.default_rng(zlib.crc32(_id(case).encode()))
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    b = rng.standard_normal(ws[1] * kw["groups"])
    grad_y = rng.standard_normal(conv_transpose2d(x, w, **kw).shape)
    return x, w, b, grad_y


def test_the_grid_covers_what_it_claims():
    assert 300 < len(GRID) < 600
    assert any(max(kw["output_padding"]) > 0 for _, _, kw in GRID), "output_padding"
    assert any(kw["output_padding"][0] >= 2 for _, _, kw in GRID), "output_padding 2"
    assert any(ws[0] // kw["groups"] > 1 and kw["groups"] > 1 for _, ws, kw in GRID)
    assert any(ws[2] != ws[3] and xs[2] != xs[3] for xs, ws, _ in GRID)


@pytest.mark.oracle
@pytest.mark.parametrize("case", GRID, ids=_id)
def test_fast_matches_torch_autograd(torch, case):
    kw = case[2]
    x, w, b, grad_y = _case(case)
    grads = conv_transpose2d_backward(grad_y, x, w, **kw)
    fn = torch.nn.functional.conv_transpose2d
    assert_matches_torch(torch, fn, [x, w, b], None, grads, grad_y, RTOL, names=XWB, **kw)


# The loop specification is slow: every fifth configuration.
@pytest.mark.oracle
@pytest.mark.parametrize("case", GRID[::5], ids=_id)
def test_loop_specification_matches_torch_autograd(torch, case):
    x, w, b, grad_y = _case(case)
    kw = case[2]
    grads = conv_transpose2d_backward_naive(grad_y, x, w, **kw)
    fn = torch.nn.functional.conv_transpose2d
    assert_matches_torch(torch, fn, [x, w, b], None, grads, grad_y, RTOL, names=XWB, **kw)


@given(transpose_configs())
def test_fast_matches_the_loop_specification(case):
    x, w, _, kw = case
    rng = np.random.default_rng(x.size + w.size)
    grad_y = rng.standard_normal(conv_transpose2d_naive(x, w, **kw).shape)
    fast = conv_transpose2d_backward(grad_y, x, w, **kw)
    spec = conv_transpose2d_backward_naive(grad_y, x, w, **kw)
    for name, a, e in zip(("grad_x", "grad_w", "grad_b"), fast, spec, strict=True):
        assert_close(a, e, 1e-13, name)


@pytest.mark.parametrize("hw", [(4, 3), (15, 13)], ids=["index-path", "strided-path"])
def test_backward_by_finite_differences(hw):
    rng = np.random.default_rng(hw[0])
    x, w, b = rng.standard_normal((2, 4, *hw)), rng.standard_normal((4, 3, 3, 2)), np.zeros(6)
    kw = {"stride": (2, 3), "padding": (1, 0), "output_padding": (1, 2), "dilation": (1, 2),
          "groups": 2}  # fmt: skip
    if hw[0] > 10:  # finite differences on every entry of a big x would be slow: w and b
        x0 = x

        def forward(w, b):
            return conv_transpose2d(x0, w, b, **kw)

        def backward(g, w, b):
            _, grad_w, grad_b = conv_transpose2d_backward(g, x0, w, **kw)
            return {"w": grad_w, "b": grad_b}

        inputs = {"w": w, "b": b}
    else:

        def forward(x, w, b):
            return conv_transpose2d(x, w, b, **kw)

        def backward(g, x, w, b):
            return dict(zip("xwb", conv_transpose2d_backward(g, x, w, **kw), strict=True))

        inputs = {"x": x, "w": w, "b": b}
    result = gradcheck(forward, backward, inputs, seed=rng)
    assert result.max_error < 1e-8, str(result)


def test_spec_by_finite_differences():
    rng = np.random.default_rng(7)
    x, w, b = rng.standard_normal((1, 2, 3, 2)), rng.standard_normal((2, 2, 2, 3)), np.zeros(4)
    kw = {"stride": (3, 2), "padding": (0, 1), "output_padding": (2, 0), "dilation": (1, 2),
          "groups": 2}  # fmt: skip

    def backward(g, x, w, b):
        return dict(zip("xwb", conv_transpose2d_backward_naive(g, x, w, **kw), strict=True))

    result = gradcheck(
        lambda x, w, b: conv_transpose2d_naive(x, w, b, **kw), backward, {"x": x, "w": w, "b": b}
    )
    assert result.max_error < 1e-8, str(result)


def test_float32_unbatched_and_inputs_unchanged(rng):
    x = rng.standard_normal((2, 4, 5, 3)).astype(np.float32)
    w = rng.standard_normal((4, 1, 2, 3)).astype(np.float32)
    kw = {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2}
    g = rng.standard_normal(conv_transpose2d(x, w, **kw).shape).astype(np.float32)
    for a in (x, w, g):
        a.flags.writeable = False
    copies = [a.copy() for a in (x, w, g)]
    grads = conv_transpose2d_backward(g, x, w, **kw)
    assert [a.dtype for a in grads] == [np.float32] * 3
    exact = conv_transpose2d_backward(*(a.astype(np.float64) for a in (g, x, w)), **kw)
    for a, e in zip(grads, exact, strict=True):
        assert_close(a, e, 1e-5)
    for a, c in zip((x, w, g), copies, strict=True):
        np.testing.assert_array_equal(a, c)
    one = conv_transpose2d_backward(g[1], x[1], w, **kw)
    batch = conv_transpose2d_backward(g[1:], x[1:], w, **kw)
    assert_close(one[0], batch[0][0], 0.0, "grad_x")
    assert_close(one[1], batch[1], 0.0, "grad_w")


def test_an_empty_batch_gives_zero_weight_gradients():
    w = np.ones((4, 3, 3, 2))
    grad_x, grad_w, grad_b = conv_transpose2d_backward(
        np.zeros((0, 6, 7, 4)), np.zeros((0, 4, 3, 2)), w, stride=2, groups=2
    )
    assert grad_x.shape == (0, 4, 3, 2)
    np.testing.assert_array_equal(grad_w, np.zeros(w.shape))
    np.testing.assert_array_equal(grad_b, np.zeros(6))


ERRORS = [
    (lambda x, w: conv_transpose2d_backward(np.zeros((1, 6, 5, 5)), x, w),
     ValueError, r"grad_y: expected the output shape \(1, 6, 4, 5\), got \(1, 6, 5, 5\)"),
    (lambda x, w: conv_transpose2d_backward(np.zeros((6, 4, 5)), x, w),
     ValueError, r"grad_y: expected a 4-D array with as many dimensions as x"),
    (lambda x, w: conv_transpose2d_backward(np.zeros((1, 6, 4, 5)), x, w[0]),
     ValueError, r"w: expected a 4-D array \(C_in, C_out // groups, kh, kw\)"),
    (lambda x, w: conv_transpose2d_backward(np.zeros((1, 6, 4, 5)), x, w, output_padding=1),
     ValueError, r"output_padding: expected values smaller than stride or dilation"),
    (lambda x, w: conv_transpose2d_backward(np.zeros((1, 6, 4, 5), dtype=bool), x, w),
     TypeError, r"grad_y: expected a real numeric array"),
    (lambda x, w: conv_transpose2d_backward_naive(np.zeros((1, 6, 5, 5)), x, w),
     ValueError, r"grad_y: expected the output shape \(1, 6, 4, 5\)"),
    (lambda x, w: ConvTranspose2D(4, 6, 3, groups=4),
     ValueError, r"groups: 4 does not divide 4 and 6"),
]  # fmt: skip


@pytest.mark.parametrize(("call", "exc", "message"), ERRORS)
def test_errors_name_the_argument(call, exc, message):
    x, w = np.zeros((1, 4, 3, 3)), np.zeros((4, 6, 2, 3))
    with pytest.raises(exc, match=message):
        call(x, w)


LAYERS = [
    (ConvTranspose2D(4, 6, (3, 2), stride=(2, 1), padding=(1, 0), output_padding=(1, 0),
                     groups=2, rng=1), (2, 4, 3, 4)),
    (ConvTranspose2D(2, 3, 2, stride=3, dilation=2, output_padding=(2, 1), bias=False, rng=2),
     (1, 2, 2, 3)),
]  # fmt: skip


@pytest.mark.parametrize(("layer", "shape"), LAYERS, ids=["grouped", "dilated-no-bias"])
def test_layer_backward_is_the_functions_and_passes_gradcheck(layer, shape, rng):
    x = rng.standard_normal(shape)
    y = layer.forward(x)
    grad_y = rng.standard_normal(y.shape)
    grad_x = layer.backward(grad_y)
    assert_close(y, conv_transpose2d(x, layer.weight, layer.bias, **layer.conv), 0.0, "y")
    grad_x_f, grad_w_f, grad_b_f = conv_transpose2d_backward(grad_y, x, layer.weight, **layer.conv)
    assert_close(grad_x, grad_x_f, 0.0, "grad_x")
    assert_close(layer.gradients()["weight"], grad_w_f, 0.0, "weight")
    if layer.bias is not None:
        assert_close(layer.gradients()["bias"], grad_b_f, 0.0, "bias")
    else:
        assert set(layer.gradients()) == {"weight"}
    result = gradcheck_layer(layer, x, seed=rng)
    assert set(result.errors) == {"x", *layer.parameters()}
    assert result.max_error < 1e-8, str(result)


@pytest.mark.oracle
def test_layer_matches_torch_module(torch, rng):
    layer = ConvTranspose2D(4, 6, (3, 2), stride=(2, 3), padding=(1, 0), output_padding=(1, 2),
                            dilation=(1, 2), groups=2, rng=3)  # fmt: skip
    module = torch.nn.ConvTranspose2d(
        4, 6, (3, 2), stride=(2, 3), padding=(1, 0), output_padding=(1, 2), dilation=(1, 2),
        groups=2,
    ).double()  # fmt: skip
    assert tuple(module.weight.shape) == layer.weight.shape
    x = rng.standard_normal((2, 4, 3, 4))
    y = layer.forward(x)
    grad_y = rng.standard_normal(y.shape)
    grad_x, grads = layer.backward(grad_y), layer.gradients()
    assert_matches_torch(
        torch,
        module_as_function(torch, module, ["weight", "bias"]),
        [x, layer.weight, layer.bias],
        y,
        (grad_x, grads["weight"], grads["bias"]),
        grad_y,
        RTOL,
        names=("x", "weight", "bias"),
    )


def test_layer_initialisation_uses_torchs_fan_in():
    layer = ConvTranspose2D(6, 4, (3, 2), groups=2, rng=0)
    assert layer.weight.shape == (6, 2, 3, 2)
    bound = 1 / np.sqrt(2 * 3 * 2)  # fan_in of a (C_in, C_out/groups, kh, kw) weight: axes 1-3
    assert np.abs(layer.weight).max() <= bound
    assert np.abs(layer.weight).max() > 0.8 * bound
    assert np.abs(layer.bias).max() <= bound
    assert repr(layer) == (
        "ConvTranspose2D(6, 4, (3, 2), stride=1, padding=0, output_padding=0, dilation=1, "
        "groups=2)"
    )
    assert layer.accepts((1, 6, 3, 3)) and not layer.accepts((1, 4, 3, 3))
