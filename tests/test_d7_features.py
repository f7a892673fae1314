"""D7's proven closed forms against cnnref, at random numbers, configuration by configuration.

The proofs (run by tests/test_derivations_cases.py) show that each closed form
is the derivative of its layer's definition; here the same closed forms,
evaluated at random inputs, must equal what cnnref computes. A wrong closed
form planted into the proof must be rejected by it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import cnnref
from derivations import d7_features as D7
from derivations import pool_features as P
from derivations.polynomial import Poly


def evaluate(a: np.ndarray, values: dict[str, float]) -> np.ndarray:
    """An array of exact polynomials at the given numbers."""

    def one(p):
        if not isinstance(p, Poly):
            return float(p)
        return sum(float(c) * math.prod(values[n] for n in m) for m, c in p.terms.items())

    return np.vectorize(one, otypes=[float])(np.asarray(a, dtype=object))


def numbers(rng, *arrays) -> tuple[dict[str, float], list[np.ndarray]]:
    """Random values for the variables of each array (one name per entry)."""
    values, out = {}, []
    for a in arrays:
        v = rng.standard_normal(a.shape)
        for index in np.ndindex(a.shape):
            (name,) = next(iter(a[index].terms))
            values[name] = v[index]
        out.append(v)
    return values, out


@pytest.mark.parametrize("cfg", D7.mode_grid(), ids=lambda c: c.label)
def test_padding_mode_closed_forms_are_cnnrefs_gradients(cfg, rng):
    forms = D7.mode_closed_forms(cfg)
    values, (x, w, g) = numbers(rng, forms["x"], forms["w"], forms["g"])
    conv = cfg.conv
    kw = dict(stride=conv.stride, padding=cfg.pads, dilation=conv.dilation, groups=conv.groups)
    y = cnnref.conv2d(x[None], w, padding_mode=cfg.mode, **kw)
    assert y.shape[1:] == g.shape
    dx, dw, _ = cnnref.conv2d_backward(g[None], x[None], w, padding_mode=cfg.mode, **kw)
    np.testing.assert_allclose(evaluate(forms["dx"], values), dx[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(evaluate(forms["dw"], values), dw, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("tcfg", D7.output_padding_grid(), ids=lambda c: c.label)
def test_transposed_closed_forms_are_cnnrefs_gradients(tcfg, rng):
    forms = D7.transpose_closed_forms(tcfg)
    values, (x, w, _, g) = numbers(rng, forms["x"], forms["w"], forms["b"], forms["g"])
    kw = dict(
        stride=tcfg.stride,
        padding=tcfg.padding,
        output_padding=tcfg.output_padding,
        dilation=tcfg.dilation,
        groups=tcfg.groups,
    )
    assert cnnref.conv_transpose2d(x[None], w, **kw).shape[1:] == g.shape
    dx, dw, db = cnnref.conv_transpose2d_backward(g[None], x[None], w, **kw)
    np.testing.assert_allclose(evaluate(forms["dx"], values), dx[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(evaluate(forms["dw"], values), dw, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(evaluate(forms["db"], values), db, rtol=1e-12, atol=1e-12)


def test_a_wrong_fold_is_rejected(monkeypatch):
    """Reflect's fold with its far-side term dropped: the proof must fail where it matters."""
    cfg = next(c for c in D7.mode_grid() if c.mode == "reflect" and c.pads[1] > 0)
    assert all(D7.prove_mode(cfg)[0].values())
    real = D7.fold_axis

    def cropped(g, before, after, n, mode, axis):
        # fold as if the far padding held nothing to add
        head = np.moveaxis(np.moveaxis(g, axis, 0)[: before + n], 0, axis)
        return real(head, before, 0, n, mode, axis)

    monkeypatch.setattr(D7, "fold_axis", cropped)
    statements, _ = D7.prove_mode(cfg)
    assert statements["mode-input"] is False


def test_every_control_runs_somewhere_and_each_grid_is_not_empty():
    proofs = {p.key: p for p in D7.run()}
    for key in D7.CONTROLS:
        assert proofs[f"D7.control.{key}"].details["configurations"] > 0, key
    for key in D7.STATEMENTS:
        assert proofs[f"D7.{key}"].details["configurations"] > 0, key


@pytest.mark.parametrize("cfg", P.avg_grid()[::7], ids=lambda c: c.label)
def test_average_pooling_closed_form_is_cnnrefs_gradient(cfg, rng):
    x = rng.standard_normal((1, 1, *cfg.in_hw))
    names = D7.S.variables("g", tuple(P.pytorch_sizes(cfg)))
    values, (g,) = numbers(rng, names)
    kw = dict(
        kernel_size=cfg.kernel,
        stride=cfg.stride,
        padding=cfg.padding,
        ceil_mode=cfg.ceil_mode,
        count_include_pad=cfg.count_include_pad,
        divisor_override=cfg.divisor,
    )
    assert cnnref.avg_pool2d(x, **kw).shape[2:] == g.shape
    expected = cnnref.avg_pool2d_backward(g[None, None], x, **kw)[0, 0]
    np.testing.assert_allclose(
        evaluate(P.avg_backward(names, cfg), values), expected, rtol=1e-12, atol=1e-12
    )


@pytest.mark.parametrize("cfg", P.max_grid(), ids=lambda c: c.label)
def test_max_pooling_closed_form_is_cnnrefs_gradient(cfg, rng):
    h, w = cfg.in_hw
    ties = np.array([[(3 * i + 5 * j) % 4 for j in range(w)] for i in range(h)], dtype=float)
    names = D7.S.variables("g", tuple(P.pytorch_sizes(cfg)))
    values, (g,) = numbers(rng, names)
    kw = dict(
        kernel_size=cfg.kernel,
        stride=cfg.stride,
        padding=cfg.padding,
        dilation=cfg.dilation,
        ceil_mode=cfg.ceil_mode,
    )
    expected = cnnref.max_pool2d_backward(g[None, None], ties[None, None], **kw)[0, 0]
    got = evaluate(P.max_routing(ties, names, cfg), values)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_pooling_output_sizes_are_cnnrefs():
    for cfg in P.avg_grid() + P.max_grid():
        fields = (cfg.in_hw, cfg.kernel, cfg.stride, cfg.padding, cfg.dilation)
        sizes = [cnnref.pool_output_size(*(v[a] for v in fields), cfg.ceil_mode) for a in (0, 1)]
        assert sizes == P.pytorch_sizes(cfg), cfg.label
