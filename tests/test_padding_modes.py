"""Padding modes of conv2d: 'zeros', 'reflect', 'replicate', 'circular' (as torch.nn.Conv2d).

The fast path against the loop specification, both against PyTorch (float64,
1e-10, a random upstream gradient), the backward against finite differences,
the padding's adjoint against the inner-product identity, the Conv2D layer
against the functions, and the errors against what PyTorch rejects.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from cnnref import (
    Conv2D,
    conv2d,
    conv2d_backward,
    conv2d_backward_naive,
    conv2d_naive,
    gradcheck,
    gradcheck_layer,
    pad2d,
    pad2d_backward,
)
from cnnref.geometry import conv_geometry

from .helpers import assert_close
from .oracle import assert_matches_torch, module_as_function

MODES = ["zeros", "reflect", "replicate", "circular"]
RTOL = 1e-10

# (x shape, w shape, conv keywords): rectangular inputs, non-symmetric kernels,
# stride remainders, dilation, two channels per group, asymmetric 4-tuples,
# 'same' with an even kernel, and pads that reach the limits of reflect
# (size - 1) and circular (size).
CONFIGS = [
    ((2, 3, 7, 5), (4, 3, 3, 2), {"padding": 1}),
    ((1, 4, 6, 7), (6, 2, 2, 3), {"stride": (2, 3), "padding": (2, 1), "groups": 2}),
    ((2, 4, 5, 6), (4, 2, 3, 2), {"stride": (3, 2), "padding": (1, 0, 2, 3), "groups": 2}),
    ((1, 2, 6, 5), (3, 2, 2, 3), {"dilation": (2, 1), "padding": (0, 2, 1, 0)}),
    ((2, 2, 5, 6), (2, 2, 2, 4), {"padding": "same"}),
    ((1, 2, 6, 7), (4, 1, 3, 2), {"padding": "same", "dilation": (2, 3), "groups": 2}),
    ((1, 1, 3, 4), (2, 1, 2, 2), {"stride": 2, "padding": (2, 2, 3, 3)}),  # reflect limit
    ((1, 1, 3, 4), (1, 1, 3, 3), {"stride": (1, 2), "padding": (3, 0, 4, 1)}),
]
CASES = [
    pytest.param(xs, ws, {**kw, "padding_mode": mode}, id=f"{mode}-{i}")
    for mode in MODES
    for i, (xs, ws, kw) in enumerate(CONFIGS)
    # reflect needs pads below the input size; circular at most the input size
    if not (mode == "reflect" and i == 7)
]


def _case(xs, ws, kw):
    rng = np.random.default_rng(zlib.crc32(repr((xs, ws, kw)).encode()))
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    grad_y = rng.standard_normal(conv2d_naive(x, w, **kw).shape)
    return x, w, b, grad_y


def test_the_grid_covers_what_it_claims():
    remainders = 0
    for xs, ws, kw in CONFIGS:
        geo = conv_geometry(xs, ws, kw.get("stride", 1), kw["padding"], kw.get("dilation", 1),
                            kw.get("groups", 1))  # fmt: skip
        span = [d * (k - 1) + 1 for k, d in zip(geo.kernel, geo.dilation, strict=True)]
        hp = geo.padded_hw
        remainders += any((hp[a] - span[a]) % geo.stride[a] for a in (0, 1))
    assert remainders >= 2
    assert any(len(kw["padding"]) == 4 for _, _, kw in CONFIGS if isinstance(kw["padding"], tuple))
    assert any(kw["padding"] == "same" and ws[2] % 2 == 0 for _, ws, kw in CONFIGS)
    assert any(ws[1] > 1 and kw.get("groups", 1) > 1 for _, ws, kw in CONFIGS)
    assert {c.values[2]["padding_mode"] for c in CASES} == set(MODES)


@pytest.mark.parametrize(("xs", "ws", "kw"), CASES)
def test_fast_matches_the_loop_specification(xs, ws, kw):
    x, w, b, grad_y = _case(xs, ws, kw)
    assert_close(conv2d(x, w, b, **kw), conv2d_naive(x, w, b, **kw), 1e-13, "y")
    fast = conv2d_backward(grad_y, x, w, **kw)
    spec = conv2d_backward_naive(grad_y, x, w, **kw)
    for name, a, e in zip(("grad_x", "grad_w", "grad_b"), fast, spec, strict=True):
        assert_close(a, e, 1e-13, name)


@pytest.mark.oracle
@pytest.mark.parametrize(("xs", "ws", "kw"), CASES)
def test_fast_and_spec_match_torch(torch, xs, ws, kw):
    x, w, b, grad_y = _case(xs, ws, kw)
    mode, padding = kw["padding_mode"], kw["padding"]
    conv_kw = {k: v for k, v in kw.items() if k not in ("padding", "padding_mode")}
    F = torch.nn.functional
    if isinstance(padding, tuple) and len(padding) == 4:
        # nn.Conv2d takes no 4-tuple: pad as it does, F.pad first, then no padding
        t, b_, l, r = padding
        pad_mode = "constant" if mode == "zeros" else mode

        def conv(x, w, b):
            return F.conv2d(F.pad(x, (l, r, t, b_), mode=pad_mode), w, b, **conv_kw)
    else:
        layer = torch.nn.Conv2d(
            xs[1], ws[0], ws[2:], padding=padding, padding_mode=mode, **conv_kw
        )
        conv = module_as_function(torch, layer, ["weight", "bias"])
    for label, forward, backward in (
        ("fast", conv2d, conv2d_backward),
        ("spec", conv2d_naive, conv2d_backward_naive),
    ):
        y, grads = forward(x, w, b, **kw), backward(grad_y, x, w, **kw)
        assert_matches_torch(
            torch, conv, [x, w, b], y, grads, grad_y, RTOL, names=("x", "w", "b"), what=label
        )


@pytest.mark.parametrize("mode", MODES)
def test_backward_by_finite_differences(mode):
    rng = np.random.default_rng(zlib.crc32(mode.encode()))
    x, w = rng.standard_normal((1, 4, 5, 4)), rng.standard_normal((2, 2, 3, 2))
    kw = {"stride": (2, 1), "padding": (2, 1, 0, 3), "groups": 2, "padding_mode": mode}

    def backward(g, x, w):
        grad_x, grad_w, _ = conv2d_backward(g, x, w, **kw)
        return {"x": grad_x, "w": grad_w}

    result = gradcheck(lambda x, w: conv2d(x, w, **kw), backward, {"x": x, "w": w}, seed=rng)
    assert result.max_error < 1e-8, str(result)


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding", [(1, 2, 3, 0), (2, 0), 3])
def test_pad2d_backward_is_the_adjoint_of_pad2d(mode, padding):
    """⟨pad2d(x), G⟩ = ⟨x, pad2d_backward(G)⟩ for every x and G: the fold is the adjoint."""
    rng = np.random.default_rng(zlib.crc32(f"{mode}{padding}".encode()))
    x = rng.standard_normal((2, 3, 4, 5))
    g = rng.standard_normal(pad2d(x, padding, mode=mode).shape)
    folded = pad2d_backward(g, padding, mode=mode)
    assert folded.shape == x.shape
    assert np.sum(pad2d(x, padding, mode=mode) * g) == pytest.approx(np.sum(x * folded), rel=1e-12)
    # the adjoint of a linear map, applied to the basis: column by column
    for index in [(0, 0, 0, 0), (1, 2, 3, 4), (0, 1, 2, 0), (1, 0, 0, 4)]:
        e = np.zeros(x.shape)
        e[index] = 1.0
        assert folded[index] == pytest.approx(np.sum(pad2d(e, padding, mode=mode) * g), rel=1e-12)


@pytest.mark.oracle
@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad2d_and_its_backward_match_torch(torch, mode):
    rng = np.random.default_rng(zlib.crc32(mode.encode()))
    x = rng.standard_normal((2, 3, 4, 5))
    top, bottom, left, right = 3, 1, 0, 4  # reflect's largest: one less than H and W
    y = pad2d(x, (top, bottom, left, right), mode=mode)
    g = rng.standard_normal(y.shape)
    grads = (pad2d_backward(g, (top, bottom, left, right), mode=mode),)
    # a padding copies entries: the value must be exact
    assert_matches_torch(
        torch,
        torch.nn.functional.pad,
        [x],
        y,
        grads,
        g,
        1e-14,
        value_tol=0.0,
        names=("x",),
        pad=(left, right, top, bottom),
        mode=mode,
    )


def test_pad_modes_copy_the_entries_their_names_say():
    row = np.array([[1.0, 2.0, 3.0, 4.0]])
    expected = {
        "constant": [0, 0, 1, 2, 3, 4, 0, 0],
        "reflect": [3, 2, 1, 2, 3, 4, 3, 2],
        "replicate": [1, 1, 1, 2, 3, 4, 4, 4],
        "circular": [3, 4, 1, 2, 3, 4, 1, 2],
    }
    for mode, values in expected.items():
        np.testing.assert_array_equal(pad2d(row, (0, 0, 2, 2), mode=mode), [values], mode)
        spec = conv2d_naive(row[None, None], np.ones((1, 1, 1, 1)), padding=(0, 0, 2, 2),
                            padding_mode="zeros" if mode == "constant" else mode)  # fmt: skip
        np.testing.assert_array_equal(spec[0, 0], [values], mode)


def test_layer_backward_is_the_functions_and_passes_gradcheck(rng):
    layer = Conv2D(4, 2, (3, 2), stride=(2, 1), padding=(1, 2), groups=2,
                   padding_mode="reflect", rng=3)  # fmt: skip
    x = rng.standard_normal((2, 4, 6, 5))
    y = layer.forward(x)
    grad_y = rng.standard_normal(y.shape)
    grad_x = layer.backward(grad_y)
    kw = {**layer.conv}
    assert_close(y, conv2d(x, layer.weight, layer.bias, **kw), 0.0, "y")
    expected = conv2d_backward(grad_y, x, layer.weight, **kw)
    assert_close(grad_x, expected[0], 0.0, "grad_x")
    assert_close(layer.gradients()["weight"], expected[1], 0.0, "weight")
    assert_close(layer.gradients()["bias"], expected[2], 0.0, "bias")
    assert gradcheck_layer(layer, x, seed=rng).max_error < 1e-8
    assert "padding_mode='reflect'" in repr(layer)
    assert "padding_mode" not in repr(Conv2D(1, 1, 2))


def test_float32_stays_float32_and_inputs_are_not_modified(rng):
    x = rng.standard_normal((2, 2, 5, 4)).astype(np.float32)
    w = rng.standard_normal((3, 2, 2, 3)).astype(np.float32)
    x.flags.writeable = w.flags.writeable = False
    kw = {"padding": (1, 0, 2, 1), "padding_mode": "circular"}
    y = conv2d(x, w, **kw)
    assert y.dtype == np.float32
    assert_close(y, conv2d(x.astype(np.float64), w.astype(np.float64), **kw), 1e-5)
    g = rng.standard_normal(y.shape).astype(np.float32)
    g.flags.writeable = False
    grads = conv2d_backward(g, x, w, **kw)
    assert [a.dtype for a in grads] == [np.float32] * 3
    exact = conv2d_backward(g.astype(np.float64), x.astype(np.float64), w.astype(np.float64), **kw)
    for a, e in zip(grads, exact, strict=True):
        assert_close(a, e, 1e-5)
    # unbatched (C, H, W) as the batched call with N = 1
    assert_close(conv2d(x[0], w, **kw), y[0], 0.0)
    assert_close(
        conv2d_backward(g[0], x[0], w, **kw)[0], conv2d_backward(g[:1], x[:1], w, **kw)[0][0], 0.0
    )


ERRORS = [
    ({"padding": 1, "padding_mode": "mirror"}, r"padding_mode: expected one of \('zeros'"),
    ({"padding": 1, "padding_mode": None}, r"padding_mode: expected one of"),
    ({"padding": (3, 0), "padding_mode": "reflect"}, r"padding: padding_mode 'reflect' needs "
     r"padding smaller than the input size on each side, got \(3, 3\) for x with 3 rows"),
    ({"padding": (0, 0, 0, 4), "padding_mode": "reflect"}, r"got \(0, 4\) for x with 4 columns"),
    ({"padding": (4, 0), "padding_mode": "circular"}, r"padding: padding_mode 'circular' needs "
     r"padding at most the input size on each side, got \(4, 4\) for x with 3 rows"),
]  # fmt: skip


@pytest.mark.parametrize(("kw", "message"), ERRORS)
def test_errors_name_the_argument(kw, message):
    x, w = np.zeros((1, 1, 3, 4)), np.zeros((1, 1, 1, 1))
    for call in (
        lambda: conv2d(x, w, **kw),
        lambda: conv2d_backward(np.zeros((1, 1, 9, 9)), x, w, **kw),
        lambda: conv2d_naive(x, w, **kw),
        lambda: conv2d_backward_naive(np.zeros((1, 1, 9, 9)), x, w, **kw),
    ):
        with pytest.raises(ValueError, match=message):
            call()


@pytest.mark.oracle
@pytest.mark.parametrize("kw", [kw for kw, _ in ERRORS])
def test_torch_rejects_the_same_arguments(torch, kw):
    mode, padding = kw["padding_mode"], kw["padding"]
    with pytest.raises((ValueError, RuntimeError)):
        if isinstance(padding, tuple) and len(padding) == 4:
            t, b, l, r = padding
            torch.nn.functional.pad(torch.zeros(1, 1, 3, 4), (l, r, t, b), mode=mode)
        else:
            torch.nn.Conv2d(1, 1, 1, padding=padding, padding_mode=mode)(torch.zeros(1, 1, 3, 4))


@pytest.mark.oracle
@pytest.mark.parametrize(("mode", "pads"), [("reflect", (2, 2, 3, 3)), ("circular", (3, 3, 4, 4))])
def test_the_largest_pads_torch_accepts_are_accepted(torch, mode, pads):
    x = np.arange(12.0).reshape(1, 1, 3, 4)
    t, b, l, r = pads
    F = torch.nn.functional
    for label, y in (
        ("pad2d", pad2d(x, pads, mode=mode)),
        ("conv2d", conv2d(x, np.ones((1, 1, 1, 1)), padding=pads, padding_mode=mode)),
    ):  # copies of entries: exactly equal
        assert_matches_torch(
            torch, F.pad, [x], y, tol=0.0, what=label, pad=(l, r, t, b), mode=mode
        )


def test_layer_and_pad2d_reject_bad_modes():
    with pytest.raises(ValueError, match=r"padding_mode: expected one of"):
        Conv2D(1, 1, 3, padding_mode="reflection")
    with pytest.raises(ValueError, match=r"mode: expected one of \('constant', 'reflect'"):
        pad2d(np.zeros((3, 3)), 1, mode="zeros")
    with pytest.raises(ValueError, match=r"value: only mode 'constant' fills"):
        pad2d(np.zeros((3, 3)), 1, value=-np.inf, mode="replicate")
    with pytest.raises(ValueError, match=r"padding: mode 'replicate' cannot pad x with 0 rows"):
        pad2d(np.zeros((0, 3)), 1, mode="replicate")
    with pytest.raises(ValueError, match=r"grad: shape \(2, 2\) is smaller than the padding"):
        pad2d_backward(np.zeros((2, 2)), (2, 1, 0, 0))
    with pytest.raises(ValueError, match=r"padding: mode 'reflect' needs padding smaller"):
        pad2d_backward(np.zeros((5, 5)), (2, 2, 0, 0), mode="reflect")
