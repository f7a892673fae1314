"""D6, the general theorem: its verdicts, the soundness of its engine, and its instances.

* every statement is proven for symbolic sizes and every control rejected,
  with a counterexample that cnnref confirms;
* the engine (:mod:`derivations.sums`) rejects known-false identities (the
  SymPy summation trap among them) and accepts known-true rewrites;
* a wrong line planted in any step of any chain is rejected;
* instantiated at concrete sizes, the closed forms agree with cnnref (every
  setting at once: groups of several channels, uneven padding, dilation,
  stride remainders) and with D5's proven closed forms at every grid
  configuration.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
import sympy as sp

import cnnref
from derivations import d5_grid
from derivations import d6_general as D6
from derivations import general as L
from derivations import sums as Z


@functools.cache
def _proofs():
    return {p.key: p for p in D6.run()}


@functools.cache
def _statements():
    return {s.key: s for s in D6.statements()}


# verdicts -----------------------------------------------------------------------------------

EXPECTED_STATEMENTS = {
    "D6.corr.dx", "D6.corr.dx.unread", "D6.corr.dw", "D6.corr.db", "D6.conv.dx", "D6.conv.dw",
    "D6.adjoint.conv-transpose", "D6.pool.avg", "D6.pool.max", "D6.size.windows",
    "D6.size.output-padding",
}  # fmt: skip
EXPECTED_CONTROLS = {
    "D6.corr.dx.control-no-rot180",
    "D6.corr.dx.control-padding-ignores-dilation",
    "D6.corr.dx.control-group-order",
    "D6.corr.dx.control-rot180-on-delta",
    "D6.corr.dx.control-sympy-sum-trap",
    "D6.corr.dw.control-stride-dilation-not-swapped",
    "D6.corr.dw.control-no-dilation-spacing",
}


def test_every_statement_is_proven_and_every_control_rejected():
    proofs = _proofs()
    assert {k for k, p in proofs.items() if not p.control} == EXPECTED_STATEMENTS
    assert {k for k, p in proofs.items() if p.control} == EXPECTED_CONTROLS
    for key, p in proofs.items():
        assert p.ok, f"{key}: {p.verdict}"


def test_convolution_statements_hold_for_symbolic_sizes_and_record_their_conditions():
    proofs = _proofs()
    every = {"N", "G", "C_g", "O_g", "H", "W", "H_o", "W_o", "k_h", "k_w", "s_h", "s_w", "d_h"}
    for key in ("D6.corr.dx", "D6.corr.dw", "D6.conv.dx", "D6.conv.dw"):
        assert every - {"N"} <= set(proofs[key].holds_for), key
        conditions = " ".join(proofs[key].side_conditions)
        assert "group split" in conditions
        assert r"\sum_{c'}: c' = c_{0},\ 0 \le c_{0} < C_{g}\text{ holds}" in conditions
    assert {"p_t", "p_b", "op_h"} <= set(proofs["D6.adjoint.conv-transpose"].holds_for)


def test_the_sympy_trap_is_what_sympy_does():
    """The control is SymPy's real answer: ``Sum(...).doit()`` drops the divisibility."""
    i, m = sp.symbols("i m", integer=True)
    s, M = sp.symbols("s M", integer=True, positive=True)
    g = sp.IndexedBase("g")
    evaluated = sp.Sum(g[i] * sp.KroneckerDelta(m, s * i), (i, 0, M - 1)).doit()
    assert evaluated.subs({m: 3, s: 2, M: 4}).has(g[sp.Rational(3, 2)])


# the engine: known-false identities rejected, known-true rewrites accepted ---------------------

i, m, k, c1 = Z.index("i"), Z.index("m"), Z.index("k"), Z.index("c_1")
s, M, C = Z.size("s"), Z.size("M"), Z.size("C")
g = sp.IndexedBase("g")


def _equal(a: Z.Sum, b: Z.Sum, free) -> bool:
    return Z.equal(Z.canonical(a, free, (C,)), Z.canonical(b, free, (C,)))


KNOWN_FALSE = {
    # SymPy's evaluation: Σ_i g[i] [m = s·i] is not g[m/s] (at m = 3, s = 2 it is 0)
    "scatter with a symbolic stride is not a gather": (
        Z.sum_of(Z.term([(i, M)], g[i], [(m, s * i)])),
        Z.sum_of(Z.term([], g[m / s])),
        {m: M},
    ),
    # ... not even with the range of i kept: m/s need not be a whole number
    "scatter is not a gather within range": (
        Z.sum_of(Z.term([(i, M)], g[i], [(m, s * i)])),
        Z.sum_of(Z.term([], g[m / s], indicators=[(m / s, M)])),
        {m: M},
    ),
    # nor is it g[m] at s = 1 dressed up: a coefficient s is never solved for
    "stride divided out": (
        Z.sum_of(Z.term([(i, M)], g[i], [(m, s * i)])),
        Z.sum_of(Z.term([(i, M)], g[i], [(m, i)])),
        {m: M},
    ),
    # the range of the summed-out index is a condition: m may lie outside [0, M)
    "range of the eliminated index dropped": (
        Z.sum_of(Z.term([(i, M)], g[i], [(m, i)])),
        Z.sum_of(Z.term([], g[m])),
        {m: M + 5},
    ),
    # group split needs |b| < C: here k runs to 2C (and at C = 1, k - 1 = -C is possible)
    "group split without the remainder bound": (
        Z.sum_of(Z.term([(i, M)], g[i], [(i * C + k, m * C)])),
        Z.sum_of(Z.term([(i, M)], g[i], [(i, m), (k, 0)])),
        {m: M, k: 2 * C},
    ),
    "group split with a remainder that reaches -C": (
        Z.sum_of(Z.term([(i, M)], g[i], [(i * C + k, m * C + 1)])),
        Z.sum_of(Z.term([(i, M)], g[i], [(i, m), (k, 1)])),
        {m: M, k: C},
    ),
    "reversal is not the identity": (
        Z.sum_of(Z.term([(i, M)], g[i] * g[M - 1 - i])),
        Z.sum_of(Z.term([(i, M)], g[i] * g[i])),
        {},
    ),
}

KNOWN_TRUE = {
    "sifting over a unit coefficient": (
        Z.sum_of(Z.term([(i, M)], g[i], [(m, i)])),
        Z.sum_of(Z.term([], g[m])),
        {m: M},
    ),
    "sifting with a shift keeps the shifted range": (
        Z.sum_of(Z.term([(i, M)], g[i], [(m, i + 2)])),
        Z.sum_of(Z.term([], g[m - 2], indicators=[(m - 2, M)])),
        {m: M + 2},
    ),
    # channel k of group i is channel c1 of group m: same group, same channel
    "group split inside the bound": (
        Z.sum_of(Z.term([(i, M)], g[i], [(i * C + k, m * C + c1)])),
        Z.sum_of(Z.term([], g[m], [(k, c1)])),
        {m: M, k: C, c1: C},
    ),
    "a range implied by the free index is discharged": (
        Z.sum_of(Z.term([], g[m], indicators=[(m, M)])),
        Z.sum_of(Z.term([], g[m])),
        {m: M},
    ),
}


@pytest.mark.parametrize("name", sorted(KNOWN_FALSE))
def test_known_false_identities_are_rejected(name):
    lhs, rhs, free = KNOWN_FALSE[name]
    assert not _equal(lhs, rhs, free)
    # ... also under a reversal of every bound index (a change of index cannot rescue them)
    for var, upper in {v: u for t in lhs.terms for v, u in t.bound}.items():
        new = Z.index(f"{var}_r")
        flipped = Z.reindex(lhs, var, new, upper - 1 - new)
        assert not _equal(flipped, rhs, free)


@pytest.mark.parametrize("name", sorted(KNOWN_TRUE))
def test_known_true_rewrites_are_accepted(name):
    lhs, rhs, free = KNOWN_TRUE[name]
    assert _equal(lhs, rhs, free)


def test_rot180_of_x_star_rot180_of_delta_is_the_rotated_kernel_gradient():
    """Convolution convention, stride 1: rot180(X) ⋆ rot180(δ) = rot180(X ⋆ δ) (valid)."""
    x, delta = sp.IndexedBase("x"), sp.IndexedBase("delta")
    a0, ho, kh = Z.index("a_0"), Z.size("H_o"), Z.size("k_h")
    h = ho + kh - 1  # valid correlation: H = H_o + k_h - 1
    lhs = Z.sum_of(Z.term([(i, ho)], x[h - 1 - (i + a0)] * delta[ho - 1 - i]))
    rhs = Z.sum_of(Z.term([(i, ho)], x[i + kh - 1 - a0] * delta[i]))
    free = {a0: kh}
    assert not _equal(lhs, rhs, free)  # not without the change of index...
    j = Z.index("j")
    assert _equal(Z.reindex(lhs, i, j, ho - 1 - j), rhs, free)  # ... which is a bijection
    with pytest.raises(ValueError, match="not a bijection"):
        Z.reindex(lhs, i, j, ho - j)


def test_nonnegative_is_sound_on_examples():
    assert Z.nonnegative(s * i, {i: M})
    assert Z.nonnegative(s * (M - 1) - s * i, {i: M})
    assert not Z.nonnegative(s * i - 1, {i: M})  # i = 0
    assert not Z.nonnegative(s - i, {i: M})  # undecided: M may exceed s
    assert not Z.nonnegative(i * i, {i: M})  # not linear: undecided


# planted wrong lines ---------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(k for k in EXPECTED_STATEMENTS if k in _statements()))
def test_a_planted_wrong_line_is_rejected_in_every_step(key):
    statement = _statements()[key]
    lines = statement.lines
    for n in range(1, len(lines)):
        before, wrong = lines[n - 1], lines[n].planted()
        assert D6.check_step(lines[n - 1], lines[n], statement.free, Z.Log())
        assert not D6.check_step(before, wrong, statement.free, Z.Log()), (key, n)


# instances: cnnref and the D5 grid --------------------------------------------------------------


def _padded(x, sizes):
    """x padded by (p_t, p_b, p_l, p_r) with numpy, so cnnref runs with padding 0."""
    pads = ((0, 0), (0, 0), (sizes[L.pt], sizes[L.pb]), (sizes[L.pl], sizes[L.pr]))
    return np.pad(x, pads)


def _cnnref_gradients(sizes, arrays, taps=L.identity_taps):
    x, w, delta = (arrays[k].astype(float) for k in ("x", "w", "delta"))
    if taps is L.rotated_taps:
        w = cnnref.rot180(w)
    gx, gw, gb = cnnref.conv2d_backward(
        delta, _padded(x, sizes), w, stride=(sizes[L.sh], sizes[L.sw]),
        dilation=(sizes[L.dh], sizes[L.dw]), groups=sizes[L.G],
    )  # fmt: skip
    h, wd = sizes[L.H], sizes[L.W]
    gx = gx[:, :, sizes[L.pt] : sizes[L.pt] + h, sizes[L.pl] : sizes[L.pl] + wd]
    if taps is L.rotated_taps:
        gw = cnnref.rot180(gw)
    return gx, gw, gb


def _configurations():
    """Settings that no two D5 axes share: uneven padding, per-axis stride and dilation."""
    base = dict(D6.EXAMPLE)
    rows = [
        base,
        {**base, L.G: 1, L.Cg: 3, L.Og: 2, L.sh: 3, L.sw: 2, L.dh: 1, L.dw: 3, L.pt: 0, L.pb: 2},
        {**base, L.N: 2, L.G: 3, L.Cg: 1, L.Og: 2, L.H: 6, L.W: 7, L.kh: 3, L.kw: 2, L.pl: 0},
    ]
    return [D6.with_windows({k: v for k, v in r.items() if k not in (L.Ho, L.Wo)}) for r in rows]


@pytest.mark.parametrize("n", range(3))
@pytest.mark.parametrize("convention", ["corr", "conv"])
def test_closed_forms_at_concrete_sizes_equal_cnnref(n, convention):
    sizes = _configurations()[n]
    arrays = D6.example_arrays(sizes, seed=n)
    taps = L.identity_taps if convention == "corr" else L.rotated_taps
    gx, gw, gb = _cnnref_gradients(sizes, arrays, taps)
    statements = _statements()
    for key, reference in ((f"D6.{convention}.dx", gx), (f"D6.{convention}.dw", gw)):
        closed = statements[key].lines[-1].expr
        free = list(statements[key].free.items())
        value = Z.evaluate(closed, free, sizes, arrays)
        np.testing.assert_allclose(value.reshape(reference.shape), reference, atol=1e-9)
    value = Z.evaluate(L.bias_sum(), list(L.B_FREE.items()), sizes, arrays)
    np.testing.assert_allclose(value.reshape(gb.shape), gb, atol=1e-9)


def test_every_control_counterexample_is_confirmed_by_cnnref():
    proofs = _proofs()
    sizes = D6.EXAMPLE
    gx, gw, _ = _cnnref_gradients(sizes, D6.example_arrays(sizes))
    og, cg = sizes[L.Og], sizes[L.Cg]
    for key in EXPECTED_CONTROLS:
        found = proofs[key].details["counterexample"]
        e = found["entry"]
        if ".dx." in key:
            truth = gx[e["n_0"], e["g_0"] * cg + e["c_0"], e["r_0"], e["q_0"]]
        else:
            truth = gw[e["g_0"] * og + e["o_0"], e["c_0"], e["a_0"], e["b_0"]]
        assert found["true value"] == pytest.approx(truth, abs=1e-9), key
        assert found["claimed value"] != pytest.approx(truth, abs=1e-9), key


def test_unread_rows_are_exactly_the_zero_rows_of_cnnref():
    """The reading condition of D6.corr.dx.unread against cnnref with a random δ and w."""
    for sizes in _configurations():
        arrays = D6.example_arrays(sizes, seed=3)
        arrays["w"] = np.where(arrays["w"] == 0, 1, arrays["w"])  # no zero taps
        gx, _, _ = _cnnref_gradients(sizes, arrays)
        sh, dh, pt, ho, kh = (sizes[v] for v in (L.sh, L.dh, L.pt, L.Ho, L.kh))
        read = {sh * ii + dh * aa - pt for ii in range(ho) for aa in range(kh)}
        zero_rows = {r for r in range(sizes[L.H]) if not np.any(gx[:, :, r, :])}
        assert zero_rows == set(range(sizes[L.H])) - read


def _d5_sizes(cfg) -> dict:
    (c, o), grp = cfg.channels, cfg.groups
    top, bottom, left, right = cfg.pads
    return {
        L.N: 1, L.G: grp, L.Cg: c // grp, L.Og: o // grp, L.H: cfg.in_hw[0], L.W: cfg.in_hw[1],
        L.kh: cfg.kernel[0], L.kw: cfg.kernel[1], L.sh: cfg.stride[0], L.sw: cfg.stride[1],
        L.dh: cfg.dilation[0], L.dw: cfg.dilation[1], L.Ho: cfg.out_hw[0], L.Wo: cfg.out_hw[1],
        L.pt: top, L.pb: bottom, L.pl: left, L.pr: right,
    }  # fmt: skip


def test_the_theorem_instantiated_on_the_d5_grid_agrees_with_d5():
    """At every D5 configuration, D6's window count and closed forms equal D5's, exactly."""
    rng = np.random.default_rng(5)
    dx_form = _statements()["D6.corr.dx"].lines[-1].expr
    dw_form = _statements()["D6.corr.dw"].lines[-1].expr
    configs = d5_grid.grid()
    assert len(configs) >= 1296 + 29
    for cfg in configs:
        sizes = _d5_sizes(cfg)
        assert D6.with_windows(sizes) == sizes, cfg.label  # the window count of D6.size
        c, o = cfg.channels
        x = rng.integers(-3, 4, size=(c, *cfg.in_hw))
        w = rng.integers(-3, 4, size=(o, c // cfg.groups, *cfg.kernel))
        delta = rng.integers(-3, 4, size=(o, *cfg.out_hw))
        arrays = {"x": x[None], "w": w, "delta": delta[None]}
        d6_dx = Z.evaluate(dx_form, list(L.X_FREE.items()), sizes, arrays)
        d6_dw = Z.evaluate(dw_form, list(L.W_FREE.items()), sizes, arrays)
        d5_dx = d5_grid.input_gradient(delta.astype(object), w.astype(object), cfg)
        d5_dw = d5_grid.weight_gradient(x.astype(object), delta.astype(object), cfg)
        assert np.array_equal(d6_dx.reshape(d5_dx.shape), d5_dx.astype(float)), cfg.label
        assert np.array_equal(d6_dw.reshape(d5_dw.shape), d5_dw.astype(float)), cfg.label


# pooling against cnnref ------------------------------------------------------------------------


@pytest.mark.parametrize("n", range(2))
def test_pooling_statements_equal_cnnref(n):
    rng = np.random.default_rng(n)
    sizes = {L.N: 2, L.Cg: 2, L.H: 7, L.W: 6, L.kh: 3, L.kw: 2, L.sh: 2, L.sw: 3 - n,
             L.dh: 1, L.dw: 1, L.pt: 1, L.pb: 1, L.pl: 1, L.pr: 1}  # fmt: skip
    x = rng.standard_normal((2, 2, 7, 6))
    kernel, stride, pad = (3, 2), (2, 3 - n), 1
    # max pooling: the argmax of each window by a plain loop (first maximum, row-major)
    y = cnnref.max_pool2d(x, kernel, stride=stride, padding=pad)
    ho, wo = y.shape[-2:]
    sizes.update({L.Ho: ho, L.Wo: wo})
    delta = rng.standard_normal(y.shape)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=-np.inf)
    alpha = np.zeros(y.shape, dtype=int)
    beta = np.zeros(y.shape, dtype=int)
    for index in np.ndindex(y.shape):
        nn, cc, ii, jj = index
        window = xp[
            nn, cc, ii * stride[0] : ii * stride[0] + 3, jj * stride[1] : jj * stride[1] + 2
        ]
        alpha[index], beta[index] = divmod(int(np.argmax(window)), 2)
    arrays = {"x": x, "delta": delta, "alpha": alpha, "beta": beta}
    closed = _statements()["D6.pool.max"].lines[-1].expr
    value = Z.evaluate(closed, list(L.POOL_FREE.items()), sizes, arrays)
    reference = cnnref.max_pool2d_backward(delta, x, kernel, stride=stride, padding=pad)
    np.testing.assert_allclose(value, reference, atol=1e-12)
    # average pooling with the divisor k_h·k_w (count_include_pad=True)
    y = cnnref.avg_pool2d(x, kernel, stride=stride, padding=pad)
    sizes.update({L.Ho: y.shape[-2], L.Wo: y.shape[-1]})
    delta = rng.standard_normal(y.shape)
    arrays = {"x": x, "delta": delta, "m": np.full(y.shape[-2:], 6.0)}
    closed = _statements()["D6.pool.avg"].lines[-1].expr
    value = Z.evaluate(closed, list(L.POOL_FREE.items()), sizes, arrays)
    reference = cnnref.avg_pool2d_backward(delta, x, kernel, stride=stride, padding=pad)
    np.testing.assert_allclose(value, reference, atol=1e-12)


def test_the_committed_record_lists_verdicts_symbols_and_conditions():
    import json

    from derivations.cli import DEFAULT_OUT

    record = json.loads((DEFAULT_OUT / "records" / "d6-general.json").read_text("utf-8"))
    by_key = {p["key"]: p for p in record["proofs"]}
    assert set(by_key) == EXPECTED_STATEMENTS | EXPECTED_CONTROLS
    for key, p in by_key.items():
        assert p["control"] == (key in EXPECTED_CONTROLS)
        assert p["verdict"] == ("rejected (as it should be)" if p["control"] else "proven")
        assert p["holds_for"] and isinstance(p["side_conditions"], list)
    assert by_key["D6.corr.dx"]["side_conditions"]


def test_a_long_product_is_set_one_entry_to_a_row_and_a_named_bound_by_its_name():
    """The displayed sum keeps every entry and bracket, cut into rows; the text's name
    (H′) stands for the bound it defines, and only where the bound equals it."""
    i, j, n, k = sp.symbols("i j n k", integer=True)
    x, w, d = sp.IndexedBase("x"), sp.IndexedBase("w"), sp.IndexedBase("delta")
    long_index = sum(sp.Symbol(f"s_{m}") * i for m in range(12))
    height = sp.Symbol("H_o") * 2 + sp.Symbol("p") - 1
    expr = Z.sum_of(
        Z.term(
            [(i, n), (j, k)],
            3 * x[long_index, j] * w[long_index + 1, j] * d[i, j],
            indicators=[(long_index, height), (j, sp.Symbol("W"))],
        )
    )
    rows = Z.latex(expr, per_row=1, names={2 * sp.Symbol("H_o") + sp.Symbol("p") - 1: "H'"})
    parts = rows.split(r" \\ &\qquad ")
    assert [p.count("{x}_") + p.count("{w}_") + p.count(r"{\delta}_") for p in parts] == [
        1,
        1,
        1,
        0,
        0,
    ]
    assert parts[0].startswith(r"\sum_{i,\,j}\,3") and "< H'" in parts[3] and "< W" in parts[4]
    assert "H'" not in Z.latex(expr, per_row=1, names={sp.Symbol("H_o"): "H'"})
    assert r" \\ " not in Z.latex(expr)  # without per_row: one line, as before


def test_a_long_product_keeps_its_sign_and_brackets_when_cut_into_rows():
    """The rows of a long coefficient multiply back to it: a sum times an entry keeps its
    brackets, a minus sign stays a sign, and a short coefficient stays on one row."""
    i = sp.Symbol("i", integer=True)
    u, v = sp.symbols("u v")
    x, w = sp.IndexedBase("x"), sp.IndexedBase("w")
    long_index = sum(sp.Symbol(f"s_{m}") * i for m in range(12))
    for coeff in (
        2 * (u + v) * x[long_index] * w[long_index + 1],
        -x[long_index] * w[long_index + 1],
        -sp.Rational(3, 2) * (u + 1) * x[long_index] * w[long_index + 1],
    ):
        first, *others = Z._coefficient_rows(coeff)
        entries = {r"\cdot\," + sp.latex(e): e for e in (x[long_index], w[long_index + 1])}
        assert len(others) == 1 and others[0] in entries, others
        assert first == sp.latex(coeff / entries[others[0]]), first
        assert first.startswith("- ") == (coeff == -x[long_index] * w[long_index + 1])
        assert (r"\left(" in first) == (coeff.has(u) or coeff.has(v))
    assert Z._coefficient_rows(2 * x[i] * w[i]) == [sp.latex(2 * x[i] * w[i])]
    # a bound written differently from the name's expression, but equal to it
    expr = Z.sum_of(Z.term([(i, 3)], x[i], indicators=[(i, 2 * (u + 1))]))
    assert "< H'" in Z.latex(expr, per_row=1, names={2 * u + 2: "H'"})
