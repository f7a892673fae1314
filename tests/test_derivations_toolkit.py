"""The symbolic toolkit against cnnref (numbers substituted), and the exact checker itself."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import cnnref
from derivations import symbolic as S
from derivations.polynomial import Poly
from derivations.proof import (
    canonical,
    derivative,
    entries_equal,
    exactly_equal,
    freeze,
    rationally_equal,
)


def _values(rng, *arrays) -> tuple[dict, list[np.ndarray]]:
    """Random numbers for every symbol of the arrays (and the numeric arrays themselves)."""
    mapping, numeric = {}, []
    for a in arrays:
        v = rng.standard_normal(a.shape)
        mapping.update(zip(a.reshape(-1), v.reshape(-1), strict=True))
        numeric.append(v)
    return mapping, numeric


CONV_CASES = [
    dict(x=(1, 3, 3), w=(1, 1, 2, 2)),
    dict(x=(2, 5, 7), w=(3, 2, 3, 2), stride=2, padding=1, dilation=2),
    dict(x=(2, 6, 5), w=(2, 1, 2, 3), stride=(3, 2), padding=(2, 0), groups=2),
    dict(x=(3, 4, 6), w=(3, 3, 3, 3), padding="same"),
    dict(x=(2, 4, 5), w=(3, 2, 2, 2), padding="same", dilation=2),
    dict(x=(4, 5, 4), w=(2, 2, 1, 3), stride=3, padding=2, groups=2),
]


@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: str(sorted(c.items())))
def test_symbolic_conv2d_matches_cnnref(case, rng):
    kwargs = {k: v for k, v in case.items() if k not in ("x", "w")}
    x, w, b = S.symbols("x", case["x"]), S.symbols("w", case["w"]), S.symbols("b", case["w"][:1])
    values, (xv, wv, bv) = _values(rng, x, w, b)
    y = S.conv2d(x, w, b, **kwargs)
    expected = cnnref.conv2d(xv, wv, bv, **kwargs)
    np.testing.assert_allclose(S.substitute(y, values), expected, rtol=1e-12, atol=1e-12)


TRANSPOSE_CASES = [
    dict(x=(1, 2, 2), w=(1, 1, 2, 2)),
    dict(x=(4, 3, 4), w=(4, 1, 3, 2), stride=2, padding=1, output_padding=1, dilation=2, groups=2),
    dict(x=(2, 3, 2), w=(2, 3, 2, 3), stride=3, padding=2, output_padding=(2, 1)),
    dict(x=(3, 2, 3), w=(3, 2, 1, 1), stride=2, padding=0, output_padding=1),
    # output_padding at or past the stride, allowed because the dilation is larger
    dict(x=(2, 2, 3), w=(2, 1, 2, 2), stride=1, dilation=2, output_padding=1),
    dict(
        x=(4, 2, 3),
        w=(4, 1, 3, 2),
        stride=(3, 2),
        padding=(1, 0),
        output_padding=(2, 2),
        dilation=(2, 3),
        groups=2,
    ),
]


@pytest.mark.parametrize("case", TRANSPOSE_CASES, ids=lambda c: str(sorted(c.items())))
def test_symbolic_conv_transpose2d_matches_cnnref(case, rng):
    kwargs = {k: v for k, v in case.items() if k not in ("x", "w")}
    x, w = S.symbols("g", case["x"]), S.symbols("w", case["w"])
    values, (xv, wv) = _values(rng, x, w)
    y = S.conv_transpose2d(x, w, **kwargs)
    expected = cnnref.conv_transpose2d(xv, wv, **kwargs)
    np.testing.assert_allclose(S.substitute(y, values), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", ["valid", "full"])
def test_single_channel_ops_match_cnnref(mode, rng):
    x, k = S.symbols("x", (4, 5)), S.symbols("k", (2, 3))
    values, (xv, kv) = _values(rng, x, k)
    for sym_op, ref_op in ((S.correlate2d, cnnref.correlate2d), (S.convolve2d, cnnref.convolve2d)):
        got = S.substitute(sym_op(x, k, mode), values)
        np.testing.assert_allclose(got, ref_op(xv, kv, mode), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(S.substitute(S.rot180(k), values), cnnref.rot180(kv))
    np.testing.assert_allclose(
        S.substitute(S.pad2d(x, (1, 2, 0, 3)), values), cnnref.pad2d(xv, (1, 2, 0, 3))
    )
    np.testing.assert_allclose(
        S.substitute(S.dilate2d(x, (2, 3)), values), cnnref.dilate2d(xv, (2, 3))
    )


def test_uneven_padding_of_the_transposed_convolution_is_the_input_gradient(rng):
    # (top, bottom, left, right) = (0, 1, 2, 0): the adjoint of a convolution padded unevenly
    g, w = S.symbols("g", (2, 3, 3)), S.symbols("w", (2, 2, 2, 3))
    values, (gv, wv) = _values(rng, g, w)
    pads, stride = (0, 1, 2, 0), (2, 2)
    xv = rng.standard_normal((1, 2, 5, 6))  # conv output 3x3, stride remainder (0, 1)
    grad_x, _, _ = cnnref.conv2d_backward(gv[None], xv, wv, stride=stride, padding=pads)
    got = S.conv_transpose2d(g, w, stride=stride, padding=pads, output_padding=(0, 1))
    np.testing.assert_allclose(S.substitute(got, values), grad_x[0], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "padding, message",
    [((0, -1, 0, 0), "padding: expected non-negative"), ((4, 4, 0, 0), "empty output")],
)
def test_transposed_convolution_names_a_bad_padding(padding, message):
    g, w = S.symbols("g", (1, 2, 2)), S.symbols("w", (1, 1, 2, 2))
    with pytest.raises(ValueError, match=message):
        S.conv_transpose2d(g, w, padding=padding)


def test_negative_padding_crops():
    x = S.symbols("x", (3, 4))
    cropped = S.pad2d(x, (-1, 0, -1, -2))
    assert cropped.shape == (2, 1)
    assert list(cropped.reshape(-1)) == [x[1, 1], x[2, 1]]


def test_symbols_are_real_and_named_after_the_math():
    x = S.symbols("x", (2, 3))
    assert x[1, 2].name == "x_23"
    assert x[0, 0].is_real
    assert S.symbols("w", (2, 1, 3, 2))[1, 0, 2, 1].name == "w_2132"


def test_avg_pool_matches_window_means(rng):
    x = S.symbols("x", (2, 5, 6))
    values, (xv,) = _values(rng, x)
    got = S.substitute(S.avg_pool2d(x, (2, 3), (2, 2)), values)
    expected = np.array(
        [
            [
                [xv[c, 2 * i : 2 * i + 2, 2 * j : 2 * j + 3].mean() for j in range(2)]
                for i in range(2)
            ]
            for c in range(2)
        ]
    )
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_max_pool_argmax_takes_the_first_maximum():
    values = np.array([[[1, 3, 3, 0], [3, 2, 1, 1]]])
    # window 1: [[1, 3], [3, 2]] -> first 3 at local index 1; window 2: [[3, 0], [1, 1]] -> 0
    assert S.max_pool2d_argmax(values, 2).tolist() == [[[1, 0]]]
    x = S.symbols("x", (1, 2, 4))
    picked = S.max_pool2d_select(x, S.max_pool2d_argmax(values, 2), 2)
    assert list(picked.reshape(-1)) == [x[0, 0, 1], x[0, 0, 2]]


def test_max_pool_by_max_matches_cnnref(rng):
    x = S.symbols("x", (2, 5, 6))
    values, (xv,) = _values(rng, x)
    for kernel, stride in (((2, 3), (2, 2)), ((3, 2), (1, 3)), (2, None)):
        got = S.substitute(S.max_pool2d(x, kernel, stride), values)
        np.testing.assert_array_equal(got, cnnref.max_pool2d(xv[None], kernel, stride)[0])


@pytest.mark.parametrize(
    "values, kernel, stride, expected",
    [
        # windows [[1, 3], [3, 2]] and [[3, 0], [1, 1]]: the first 3 of each wins
        ([[[1, 3, 3, 0], [3, 2, 1, 1]]], 2, 2, [[[0, "g_111", "g_112", 0], [0, 0, 0, 0]]]),
        # all equal, overlapping windows: each window's first entry, in row-major order
        ([[[2, 2, 2], [2, 2, 2]]], 2, 1, [[["g_111", "g_112", 0], [0, 0, 0]]]),
        # a column of ties under a 2x1 window, stride 1: the upper entry each time
        ([[[5], [5], [5]]], (2, 1), 1, [[["g_111"], ["g_121"], [0]]]),
    ],
)
def test_max_pool_gradient_by_max_follows_the_first_maximum(values, kernel, stride, expected):
    from derivations.d5_grid import max_pool_gradient

    values = np.array(values)
    oh = (values.shape[1] - S._pair(kernel)[0]) // S._pair(stride)[0] + 1
    ow = (values.shape[2] - S._pair(kernel)[1]) // S._pair(stride)[1] + 1
    g = S.variables("g", (values.shape[0], oh, ow))
    got = max_pool_gradient(values, g, kernel, stride)
    want = np.vectorize(
        lambda e: Poly.variable(e) if isinstance(e, str) else Poly(), otypes=[object]
    )(np.array(expected, dtype=object))
    assert exactly_equal(got, want)


def test_poly_gradient_agrees_with_sympy_diff(rng):
    x, w, g = (
        S.variables("x", (2, 4, 3)),
        S.variables("w", (2, 2, 2, 2)),
        S.variables("g", (2, 2, 2)),
    )
    y = S.conv2d(x, w, stride=2, padding=(0, 1), dilation=(1, 2))
    loss = Poly.total(a * b for a, b in zip(g.reshape(-1), y.reshape(-1), strict=True))
    loss = loss + Poly.variable("x_111") * Poly.variable("x_111")  # a square: the power rule
    expr = loss.to_sympy()
    grads = loss.gradient()
    for sym in sorted(expr.free_symbols, key=lambda s: s.name):
        assert sp.expand(grads.get(sym.name, Poly()).to_sympy() - sp.diff(expr, sym)) == 0


def test_checker_rejects_wrong_and_accepts_right():
    a, b = sp.symbols("a b", real=True)
    f = sp.Function("f", real=True)
    assert exactly_equal(np.array([(a + b) ** 2]), np.array([a**2 + 2 * a * b + b**2]))
    assert not exactly_equal(np.array([(a + b) ** 2]), np.array([a**2 + b**2]))
    assert not exactly_equal(np.zeros((2, 2)), np.zeros((2, 3)))
    # SymPy's chain rule vs the closed form written with f'
    assert entries_equal(sp.diff(f(a * b), a), b * derivative(f, a * b))
    assert not entries_equal(sp.diff(f(a * b), a), a * derivative(f, a * b))
    assert Poly.variable("a") * 2 == Poly.variable("a") + Poly.variable("a")
    assert Poly.variable("a") != Poly.variable("b")


def test_canonical_and_freeze_compare_like_with_like():
    a = sp.Symbol("a", real=True)
    f = sp.Function("f", real=True)
    fp = derivative(f, a**2 + 1)
    assert canonical(sp.diff(f(a**2 + 1), a)) == 2 * a * fp
    # freeze: the same application becomes the same symbol, different ones differ
    frozen = freeze(sp.tanh(a) - sp.tanh(a) + sp.tanh(2 * a))
    assert len(frozen.free_symbols) == 1


def test_logistic_slope_needs_common_denominator_not_just_expand():
    s = sp.Symbol("s", real=True)
    sigma = 1 / (1 + sp.exp(-s))
    slope = sp.diff(sigma, s)
    # expand alone does not reach zero (a false negative, not a disproof) ...
    assert sp.expand(slope - sigma * (1 - sigma)) != 0
    # ... bringing the difference over a common denominator does
    assert rationally_equal(slope, sigma * (1 - sigma))
    assert not rationally_equal(slope, sigma * (1 + sigma))


GRID_SAMPLES = [
    # (input, kernel, stride, padding, dilation, channels, groups)
    ((5, 7), (3, 2), (2, 2), (1, 1), (2, 2), (2, 3), 1),
    ((6, 4), (2, 3), (3, 3), (2, 2), (1, 1), (2, 2), 2),
    ((4, 6), (3, 3), (2, 2), (0, 0), (1, 1), (3, 1), 1),
    ((3, 5), (1, 3), (3, 3), (2, 2), (2, 2), (1, 2), 1),
    # the families: several channels per group, per-axis, 'same' with an even kernel, uneven
    ((5, 4), (3, 2), (2, 2), (1, 0), (1, 1), (4, 6), 2),
    ((5, 6), (2, 3), (2, 1), (1, 1), (1, 2), (4, 6), 2),
    ((5, 5), (2, 2), (1, 1), "same", (3, 1), (3, 1), 1),
    ((4, 6), (2, 4), (1, 1), "same", (1, 3), (4, 6), 2),
    ((6, 5), (3, 2), (2, 3), (2, 0, 1, 1), (1, 2), (1, 2), 1),
]


@pytest.mark.parametrize("sample", GRID_SAMPLES, ids=str)
def test_proven_closed_forms_agree_with_cnnref_backward(sample, rng):
    """The formulas D5 proves, at random numbers, are what cnnref.conv2d_backward returns."""
    from derivations.d5_grid import Config, prove_config

    cfg = Config(*sample)
    outcome = prove_config(cfg, controls=False)
    assert all(outcome.statements.values())
    c, o = cfg.channels
    xv = rng.standard_normal((1, c, *cfg.in_hw))
    wv = rng.standard_normal((o, c // cfg.groups, *cfg.kernel))
    gv = rng.standard_normal((1, o, *cfg.out_hw))
    values = {}
    for name, arr in (("x", xv[0]), ("w", wv), ("g", gv[0])):
        for index in np.ndindex(arr.shape):
            values[sp.Symbol(S.entry_name(name, index), real=True)] = arr[index]
    grad_x, grad_w, grad_b = cnnref.conv2d_backward(
        gv, xv, wv, stride=cfg.stride, padding=cfg.padding, dilation=cfg.dilation,
        groups=cfg.groups,
    )  # fmt: skip
    for key, expected in (("corr.dx", grad_x[0]), ("corr.dw", grad_w), ("corr.db", grad_b)):
        got = S.substitute(outcome.formulas[key], values)
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)
