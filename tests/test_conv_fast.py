"""The vectorised convolutions against the loop specification, and their contracts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

import cnnref
from cnnref import _blocks as blocks
from cnnref import _col2im as col2im
from cnnref import _columns as columns
from cnnref import _parallel as parallel
from cnnref import (
    conv2d,
    conv2d_backward,
    conv2d_backward_naive,
    conv2d_naive,
    conv_remainder,
    conv_transpose2d,
    conv_transpose2d_backward,
    conv_transpose2d_naive,
)
from cnnref.geometry import conv_geometry

from .helpers import assert_close
from .strategies import conv_configs, transpose_configs


@given(conv_configs())
def test_forward_matches_spec(case):
    x, w, b, kw = case
    assert_close(conv2d(x, w, b, **kw), conv2d_naive(x, w, b, **kw), 1e-13)


@given(conv_configs())
def test_backward_matches_spec(case):
    x, w, _, kw = case
    rng = np.random.default_rng(x.size)
    grad_y = rng.standard_normal(conv2d_naive(x, w, **kw).shape)
    fast = conv2d_backward(grad_y, x, w, **kw)
    spec = conv2d_backward_naive(grad_y, x, w, **kw)
    for name, a, e in zip(("grad_x", "grad_w", "grad_b"), fast, spec, strict=True):
        assert_close(a, e, 1e-13, name)


@given(transpose_configs())
def test_transpose_matches_spec(case):
    x, w, b, kw = case
    assert_close(conv_transpose2d(x, w, b, **kw), conv_transpose2d_naive(x, w, b, **kw), 1e-13)


# Shapes large enough for each strategy of the input gradient: one bincount
# (small), one strided add per kernel tap (strided widths), full-width rows
# (unit width stride, fewer than INNER_MIN images), and taps with the batch
# innermost (unit width stride, INNER_MIN images or more).
PATH_CASES = [
    pytest.param((2, 3, 5, 4), (4, 3, 2, 3), {"stride": 1}, "bincount", id="small"),
    pytest.param((4, 6, 17, 15), (8, 3, 3, 2), {"stride": 2, "groups": 2}, "taps", id="strided"),
    pytest.param(
        (3, 4, 16, 13), (6, 4, 3, 3), {"stride": (3, 2), "padding": 1}, "taps", id="s3x2"
    ),
    # a stride remainder in both axes larger than the bottom/right padding: the
    # last row and column are read by no window and must get zero gradient
    pytest.param((4, 4, 17, 14), (6, 4, 3, 3), {"stride": (3, 2)}, "taps", id="remainder"),
    pytest.param(
        (4, 6, 18, 14),
        (6, 3, 3, 2),
        {"stride": (3, 2), "dilation": 2, "groups": 2},
        "taps",
        id="dilated-remainder",
    ),
    pytest.param((6, 4, 14, 12), (5, 4, 5, 3), {"padding": (2, 1)}, "wide", id="wide"),
    pytest.param(
        (7, 6, 15, 16),
        (6, 2, 3, 2),
        {"stride": (2, 1), "dilation": 2, "groups": 3},
        "wide",
        id="wide-strided-rows",
    ),
    pytest.param((8, 4, 12, 11), (6, 4, 3, 2), {"padding": (2, 1)}, "inner", id="inner"),
    # a row stride with a remainder row beyond the far padding, dilation and groups
    pytest.param(
        (9, 6, 18, 13),
        (6, 3, 3, 2),
        {"stride": (3, 1), "padding": (0, 1), "dilation": 2, "groups": 2},
        "inner",
        id="inner-strided-rows",
    ),
]


@pytest.mark.parametrize(("xs", "ws", "kw", "path"), PATH_CASES)
def test_every_input_gradient_strategy_matches_spec(rng, monkeypatch, xs, ws, kw, path):
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    grad_y = rng.standard_normal(conv2d(x, w, **kw).shape)
    used = []
    spied = [
        ("wide", col2im, "input_gradient_wide"),
        ("taps", col2im, "col2im_taps"),
        ("bincount", col2im, "gather_index"),
        ("bincount", columns, "gather_index"),
    ]
    for label, module, attr in spied:
        original = getattr(module, attr)

        def spy(*args, _original=original, _label=label):
            # the fourth argument of the taps: the batch innermost
            used.append("inner" if _label == "taps" and args[3:] and args[3] else _label)
            return _original(*args)

        monkeypatch.setattr(module, attr, spy)
    fast = conv2d_backward(grad_y, x, w, **kw)
    # the small path gathers its columns by index too (for grad_w)
    assert used == (["bincount", "bincount"] if path == "bincount" else [path])
    spec = conv2d_backward_naive(grad_y, x, w, **kw)
    for name, a, e in zip(("grad_x", "grad_w", "grad_b"), fast, spec, strict=True):
        assert_close(a, e, 1e-13, name)
    # conv_transpose2d shares the strategy; check it on the same problem
    out_pad = tuple(
        conv_remainder(xs[2 + i], ws[2 + i], geo_stride, geo_pad, geo_dil)
        for i, (geo_stride, geo_pad, geo_dil) in enumerate(_axis_params(kw))
    )
    transpose_kw = {k: v for k, v in kw.items()}
    transpose_kw.setdefault("padding", 0)
    assert_close(
        conv_transpose2d(grad_y, w, output_padding=out_pad, **transpose_kw),
        conv_transpose2d_naive(grad_y, w, output_padding=out_pad, **transpose_kw),
        1e-13,
        "conv_transpose2d",
    )


# Blocks of the batch: a budget of one or two images' columns and a half, so
# that the batch splits into several blocks, some of them shorter by an image.
BLOCK_CASES = [
    pytest.param((5, 4, 14, 12), (5, 4, 5, 3), {"padding": (2, 1)}, id="wide"),
    pytest.param((7, 6, 17, 15), (8, 3, 3, 2), {"stride": 2, "groups": 2}, id="taps"),
    pytest.param(
        (5, 4, 16, 13), (6, 4, 3, 3), {"stride": (3, 2), "padding": 1, "dilation": 2}, id="s3x2"
    ),
]


@pytest.mark.parametrize("threads", ["1", "2"])
@pytest.mark.parametrize("images", [1, 2])
@pytest.mark.parametrize(("xs", "ws", "kw"), BLOCK_CASES)
def test_blocks_of_the_batch_match_spec(rng, monkeypatch, xs, ws, kw, images, threads):
    """Blocks run in the calling thread (threads "1") or split over two cores ("2").

    The split is forced, also where the BLAS is held at one thread (as in the
    mutation suite's runs), so that its reduction is always tested.
    """
    spans = _check_blocks(rng, monkeypatch, xs, ws, kw, images, threads)
    geo = conv_geometry(xs, ws, **{"stride": 1, "padding": 0, "dilation": 1, "groups": 1, **kw})
    assert not any(columns.batch_inner(geo, s.stop - s.start) for s in spans)


@pytest.mark.parametrize("threads", ["1", "2"])
def test_blocks_with_the_batch_innermost_match_spec(rng, monkeypatch, threads):
    """Blocks of INNER_MIN images or more, with a row stride, padding and groups."""
    images = columns.INNER_MIN + 1
    xs, ws, kw = (4 * images - 2, 4, 9, 7), (6, 2, 3, 2), {"stride": (2, 1), "padding": 1}
    kw["groups"] = 2
    spans = _check_blocks(rng, monkeypatch, xs, ws, kw, images, threads)
    geo = conv_geometry(xs, ws, **{"dilation": 1, **kw})
    assert all(columns.batch_inner(geo, s.stop - s.start) for s in spans)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_batch_in_both_layouts_matches_spec(rng, monkeypatch, dtype):
    """One block of INNER_MIN - 1 images laid out NCHW, one of INNER_MIN with the batch
    innermost, in one batch: their weight and bias gradients are added together."""
    monkeypatch.setenv("CNNREF_NUM_THREADS", "1")
    n = 2 * columns.INNER_MIN - 1
    xs, ws, kw = (n, 4, 9, 8), (6, 2, 3, 2), {"padding": (1, 0), "groups": 2}
    geo = conv_geometry(xs, ws, **{"stride": 1, "dilation": 1, **kw})
    itemsize = np.dtype(dtype).itemsize
    per_image = xs[1] * ws[2] * ws[3] * geo.out_hw[0] * geo.out_hw[1] * itemsize
    monkeypatch.setattr(blocks, "BLOCK", columns.INNER_MIN * per_image + per_image // 2)
    spans = blocks.blocks(geo, n, itemsize)
    assert [columns.batch_inner(geo, s.stop - s.start) for s in spans] == [False, True]
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    tol = 1e-13 if dtype == np.float64 else 1e-5
    y = conv2d(x.astype(dtype), w.astype(dtype), b.astype(dtype), **kw)
    assert y.dtype == dtype
    assert_close(y, conv2d_naive(x, w, b, **kw), tol, "y")
    grad_y = rng.standard_normal(y.shape)
    fast = conv2d_backward(grad_y.astype(dtype), x.astype(dtype), w.astype(dtype), **kw)
    spec = conv2d_backward_naive(grad_y, x, w, **kw)
    for name, a, e in zip(("grad_x", "grad_w", "grad_b"), fast, spec, strict=True):
        assert a.dtype == dtype, name
        assert_close(a, e, tol, name)


def _check_blocks(rng, monkeypatch, xs, ws, kw, images, threads):
    """Forward, backward and transpose with blocks of at most ``images`` images; their spans."""
    monkeypatch.setenv("CNNREF_NUM_THREADS", threads)
    if threads == "2":
        if parallel.blas_controls() is None:
            pytest.skip("the batch is never split here: a BLAS cnnref cannot set")
        monkeypatch.setattr(parallel._POOL, "cores", lambda: 2)
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    geo = conv_geometry(xs, ws, **{"stride": 1, "padding": 0, "dilation": 1, "groups": 1, **kw})
    per_image = xs[1] * ws[2] * ws[3] * geo.out_hw[0] * geo.out_hw[1] * x.itemsize
    monkeypatch.setattr(blocks, "BLOCK", images * per_image + per_image // 2)
    monkeypatch.setattr(columns, "SMALL", 0)  # the strategy of a large problem in every block
    spans = blocks.blocks(geo, xs[0], x.itemsize)
    sizes = [s.stop - s.start for s in spans]
    assert len(sizes) > 2 and max(sizes) == images and max(sizes) - min(sizes) <= 1, spans
    assert [i for s in spans for i in range(s.start, s.stop)] == list(range(xs[0]))
    for multiple in (2, 3):
        cut = blocks.blocks(geo, xs[0], x.itemsize, multiple=multiple)
        assert len(cut) % multiple == 0 or len(cut) == xs[0], cut
        assert max(s.stop - s.start for s in cut) <= images, cut
        assert [i for s in cut for i in range(s.start, s.stop)] == list(range(xs[0]))
    assert parallel.parts(len(spans)) == int(threads)
    y = conv2d(x, w, b, **kw)
    assert_close(y, conv2d_naive(x, w, b, **kw), 1e-13, "y")
    grad_y = rng.standard_normal(y.shape)
    fast = conv2d_backward(grad_y, x, w, **kw)
    spec = conv2d_backward_naive(grad_y, x, w, **kw)
    for name, a, e in zip(("grad_x", "grad_w", "grad_b"), fast, spec, strict=True):
        assert_close(a, e, 1e-13, name)
    transpose_kw = {"padding": 0, **kw}
    out_pad = tuple(
        conv_remainder(xs[2 + i], ws[2 + i], s, p, d)
        for i, (s, p, d) in enumerate(_axis_params(kw))
    )
    assert_close(
        conv_transpose2d(
            grad_y, w, b[: ws[1] * kw.get("groups", 1)], output_padding=out_pad, **transpose_kw
        ),
        conv_transpose2d_naive(
            grad_y, w, b[: ws[1] * kw.get("groups", 1)], output_padding=out_pad, **transpose_kw
        ),
        1e-13,
        "conv_transpose2d",
    )
    return spans


def test_an_empty_batch_is_one_empty_block(rng):
    x, w = np.zeros((0, 3, 6, 5)), rng.standard_normal((4, 3, 3, 2))
    geo = conv_geometry(x.shape, w.shape, 1, 1, 1, 1)
    for multiple in (1, 2):
        assert blocks.blocks(geo, 0, x.itemsize, multiple=multiple) == [slice(0, 0)]
    y = conv2d(x, w, np.ones(4), padding=1)
    assert y.shape == (0, 4, 6, 6)
    grad_x, grad_w, grad_b = conv2d_backward(np.zeros(y.shape), x, w, padding=1)
    assert grad_x.shape == x.shape
    np.testing.assert_array_equal(grad_w, np.zeros(w.shape))
    np.testing.assert_array_equal(grad_b, np.zeros(4))


def test_strategy_cases_cover_what_they_claim():
    # remainder rows/columns on the strided-taps path, beyond the far padding
    # (a buffer that drops them, or an alignment that shifts them, must show)
    def far_remainders(xs, ws, kw):
        kw = {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, **kw}
        geo = conv_geometry(xs, ws, **kw)
        return [
            conv_remainder(
                geo.in_hw[i], geo.kernel[i], geo.stride[i], geo.pads[i], geo.dilation[i]
            )
            - geo.pads[i][1]
            for i in (0, 1)
        ]

    taps = [p.values for p in PATH_CASES if p.values[3] == "taps"]
    assert any(min(far_remainders(*c[:3])) > 0 for c in taps), "remainders on the taps path"
    assert any(c[2].get("dilation", 1) != 1 and c[1][3] > 1 for c in taps), "dilated taps"
    assert any(c[2].get("groups", 1) > 1 for c in taps), "groups on the taps path"
    inner = [p.values for p in PATH_CASES if p.values[3] == "inner"]
    assert any(far_remainders(*c[:3])[0] > 0 for c in inner), "remainder rows, batch innermost"
    assert any(c[2].get("groups", 1) > 1 for c in inner), "groups, batch innermost"
    assert all(c[0][0] >= columns.INNER_MIN for c in inner)
    assert all(c.values[0][0] < columns.INNER_MIN for c in PATH_CASES if c.values[3] == "wide")
    paths = {p.values[3] for p in PATH_CASES}
    assert paths == {"bincount", "taps", "wide", "inner"}


def _axis_params(kw):
    def pair(v):
        return v if isinstance(v, tuple) else (v, v)

    s, p, d = pair(kw.get("stride", 1)), pair(kw.get("padding", 0)), pair(kw.get("dilation", 1))
    return list(zip(s, p, d, strict=True))


@pytest.mark.parametrize("kw", [{}, {"stride": 2, "padding": 1}, {"dilation": 2, "groups": 2}])
def test_float32_follows_the_input_and_stays_close(rng, kw):
    x = rng.standard_normal((3, 4, 12, 11))
    w = rng.standard_normal((6, 4 // kw.get("groups", 1), 3, 2))
    b = rng.standard_normal(6)
    y64 = conv2d(x, w, b, **kw)
    grad_y = rng.standard_normal(y64.shape)
    y32 = conv2d(x.astype(np.float32), w.astype(np.float32), b.astype(np.float32), **kw)
    assert y32.dtype == np.float32
    assert_close(y32, y64, 1e-5, "y")
    grads32 = conv2d_backward(
        grad_y.astype(np.float32), x.astype(np.float32), w.astype(np.float32), **kw
    )
    for name, g32, g64 in zip(
        ("grad_x", "grad_w", "grad_b"), grads32, conv2d_backward(grad_y, x, w, **kw), strict=True
    ):
        assert g32.dtype == np.float32, name
        assert_close(g32, g64, 1e-5, name)
    t32 = conv_transpose2d(grad_y.astype(np.float32), w.astype(np.float32), **kw)
    assert t32.dtype == np.float32
    # mixed precision promotes like numpy
    assert conv2d(x.astype(np.float32), w, **kw).dtype == np.float64
    assert conv2d(x.astype(int), w.astype(int), **kw).dtype == np.float64


def test_unbatched_input_drops_the_batch_axis(rng):
    x, w = rng.standard_normal((3, 6, 5)), rng.standard_normal((2, 3, 2, 2))
    y = conv2d(x, w, padding=1)
    assert y.shape == (2, 7, 6)
    np.testing.assert_array_equal(y, conv2d(x[None], w, padding=1)[0])
    grad_y = rng.standard_normal(y.shape)
    gx, gw, gb = conv2d_backward(grad_y, x, w, padding=1)
    gx4, gw4, gb4 = conv2d_backward(grad_y[None], x[None], w, padding=1)
    assert gx.shape == x.shape
    np.testing.assert_array_equal(gx, gx4[0])
    np.testing.assert_array_equal(gw, gw4)
    np.testing.assert_array_equal(gb, gb4)
    assert conv_transpose2d(grad_y, w).shape == (3, 8, 7)


@pytest.mark.parametrize(
    ("xs", "ws", "kw"),
    [
        pytest.param((1, 1, 3, 3), (1, 1, 2, 2), {}, id="small"),
        pytest.param((1, 8, 20, 20), (4, 8, 3, 3), {"padding": 1}, id="one-image"),
        pytest.param((2, 4, 17, 15), (6, 4, 3, 3), {"stride": 2}, id="taps"),
        pytest.param((9, 3, 10, 9), (4, 3, 3, 2), {}, id="inner"),
    ],
)
def test_results_own_their_memory(rng, monkeypatch, xs, ws, kw):
    """A thread reuses its intermediates from call to call (scratch memory); never a result.

    The results of a first call must not change when a second call runs, nor
    share memory with the scratch buffers, whichever strategy ran.
    """
    monkeypatch.setenv("CNNREF_NUM_THREADS", "1")  # the scratch of the calling thread
    w = rng.standard_normal(ws)

    def results(x):
        y = conv2d(x, w, **kw)
        grad_y = rng.standard_normal(y.shape)
        t = conv_transpose2d(grad_y, w, **kw)
        grads_t = conv_transpose2d_backward(rng.standard_normal(t.shape), grad_y, w, **kw)
        return [y, *conv2d_backward(grad_y, x, w, **kw), t, *grads_t]

    first = results(rng.standard_normal(xs))
    kept = [a.copy() for a in first]
    results(rng.standard_normal(xs))
    names = ("y", "grad_x", "grad_w", "grad_b", "transpose", "its grad_x", "grad_w", "grad_b")
    for name, a, before in zip(names, first, kept, strict=True):
        np.testing.assert_array_equal(a, before, err_msg=name)
        for buffer in vars(columns._SCRATCH).values():
            assert not np.shares_memory(a, buffer), name


def test_noncontiguous_and_readonly_inputs(rng):
    x = rng.standard_normal((2, 5, 9, 3)).transpose(0, 3, 2, 1)  # (2, 3, 9, 5), strided
    w = rng.standard_normal((4, 3, 2, 2))
    x.flags.writeable = False
    w.flags.writeable = False
    expected = conv2d_naive(np.ascontiguousarray(x), w)
    assert_close(conv2d(x, w), expected, 1e-13)
    grad_y = rng.standard_normal(expected.shape)
    fast = conv2d_backward(grad_y, x, w)
    for a, e in zip(fast, conv2d_backward_naive(grad_y, np.ascontiguousarray(x), w), strict=True):
        assert_close(a, e, 1e-13)


FUNCTIONS = {
    "conv2d": lambda x, w, g: conv2d(x, w, np.ones(w.shape[0]), stride=2, padding=1),
    "conv2d_backward": lambda x, w, g: conv2d_backward(g, x, w, stride=2, padding=1),
    "conv_transpose2d": lambda x, w, g: conv_transpose2d(g, w, stride=2, padding=1),
    "conv2d_naive": lambda x, w, g: conv2d_naive(x, w, stride=2, padding=1),
    "conv2d_backward_naive": lambda x, w, g: conv2d_backward_naive(g, x, w, stride=2, padding=1),
    "conv_transpose2d_naive": lambda x, w, g: conv_transpose2d_naive(g, w, stride=2, padding=1),
    "correlate2d": lambda x, w, g: cnnref.correlate2d(x[0, 0], w[0, 0]),
    "convolve2d": lambda x, w, g: cnnref.convolve2d(x[0, 0], w[0, 0], "same"),
    "rot180": lambda x, w, g: cnnref.rot180(w),
    "pad2d": lambda x, w, g: cnnref.pad2d(x, 2),
    "dilate2d": lambda x, w, g: cnnref.dilate2d(x, 2),
    # the settings that change nothing still return a new array
    "pad2d-zero": lambda x, w, g: cnnref.pad2d(x, 0),
    "dilate2d-one": lambda x, w, g: cnnref.dilate2d(x, 1),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_no_argument_is_modified(rng, name):
    x = rng.standard_normal((2, 3, 7, 6))
    w = rng.standard_normal((4, 3, 3, 2))
    g = rng.standard_normal(conv2d(x, w, stride=2, padding=1).shape)
    copies = [a.copy() for a in (x, w, g)]
    out = FUNCTIONS[name](x, w, g)
    for before, after in zip(copies, (x, w, g), strict=True):
        np.testing.assert_array_equal(before, after)
    # and the results do not alias the arguments
    for result in out if isinstance(out, tuple) else (out,):
        for arg in (x, w, g):
            assert not np.shares_memory(result, arg), name


def _same_non_finite(actual, expected, name):
    """Where the spec has NaN, +inf or -inf the fast path has the same; elsewhere, the values."""
    for kind in (np.isnan, np.isposinf, np.isneginf):
        np.testing.assert_array_equal(kind(actual), kind(expected), err_msg=f"{name}: {kind}")
    finite = np.isfinite(expected)
    assert_close(actual[finite], expected[finite], 1e-13, name)


@pytest.mark.parametrize(("xs", "ws", "kw", "path"), PATH_CASES)
@pytest.mark.parametrize("where", ["x", "w"])
def test_nan_and_inf_in_the_backward_as_in_the_spec(rng, monkeypatch, xs, ws, kw, path, where):
    """An inf or NaN reaches exactly the gradients whose sums contain it, in every strategy.

    A strategy that pads δ with zeros must not multiply them by an inf of
    ``w`` (or of ``x``) into a NaN where the sum has no such term.
    """
    if path != "bincount":
        monkeypatch.setattr(columns, "SMALL", 0)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    grad_y = rng.standard_normal(conv2d(x, w, **kw).shape)
    target = x if where == "x" else w
    corner = (0,) * (target.ndim - 2)
    target[(*corner, -1, -1)] = np.inf  # the last column: beside the zeros a strategy may add
    target[(*corner, 0, 0)] = -np.inf
    target[(*corner[:-1], target.shape[-3] - 1, 1, 0)] = np.nan
    with np.errstate(invalid="ignore"):
        fast = conv2d_backward(grad_y, x, w, **kw)
        spec = conv2d_backward_naive(grad_y, x, w, **kw)
    for name, a, e in zip(("grad_x", "grad_w", "grad_b"), fast, spec, strict=True):
        _same_non_finite(a, e, name)


def test_nan_and_inf_propagate_like_numpy(rng):
    x = rng.standard_normal((1, 1, 6, 6))
    x[0, 0, 1, 1] = np.nan
    x[0, 0, 5, 5] = np.inf
    w = np.abs(rng.standard_normal((1, 1, 2, 2))) + 0.1
    y = conv2d(x, w)
    expected = conv2d_naive(x, w)
    np.testing.assert_array_equal(np.isnan(y), np.isnan(expected))
    np.testing.assert_array_equal(np.isposinf(y), np.isposinf(expected))
    assert np.isnan(y[0, 0, :2, :2]).all() and np.isposinf(y[0, 0, 4, 4])
    assert np.isfinite(y[0, 0, 3, :4]).all()


@pytest.mark.parametrize(
    "kernel, dilation",
    [((2, 2), 1), ((2, 3), 1), ((4, 2), (1, 3)), ((3, 2), (2, 1))],
    ids=["k2x2", "k2x3", "k4x2-d1x3", "k3x2-d2x1"],
)
def test_same_padding_of_even_kernels_backward_matches_spec(kernel, dilation, rng):
    """'same' pads d(k-1) in total, the odd row at the bottom: forward and backward agree on it."""
    x = rng.standard_normal((2, 3, 6, 5))
    w = rng.standard_normal((4, 3, *kernel))
    kw = {"padding": "same", "dilation": dilation}
    grad_y = rng.standard_normal(conv2d(x, w, **kw).shape)
    assert grad_y.shape[2:] == x.shape[2:]
    for got, expected in zip(
        conv2d_backward(grad_y, x, w, **kw), conv2d_backward_naive(grad_y, x, w, **kw), strict=True
    ):
        assert_close(got, expected, 1e-13)
