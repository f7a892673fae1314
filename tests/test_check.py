"""The backward-pass checker: right implementations pass, wrong ones are caught and named.

Right implementations in several styles (tests/check_implementations.py) must
all be "correct"; classic hand-written bugs (tests/check_buggy.py) and the
project's own mutants of the conv and pooling backward passes
(tests/check_mutants.py) must never be, and must be named where the
catalogue has them. Those implementations are written without cnnref and
without the checker's catalogue, so agreement is not the code agreeing with
itself.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import cnnref
from cnnref.check import assert_backward_correct, check_backward
from cnnref.check.catalogue import bugs_for
from cnnref.check.configs import CONV, POOL
from cnnref.check.run import right_answer
from cnnref.check.variants import conv_backward_variant, pool_backward_variant
from tests import check_buggy as buggy
from tests import check_docs, check_mutants
from tests import check_implementations as impl

ROOT = Path(__file__).resolve().parents[1]

RIGHT = [
    (impl.conv_backward_six_loops, "conv2d", "cs231n"),
    (impl.conv_backward_window_loops, "conv2d", "cs231n"),
    (impl.conv_backward_im2col_cs231n, "conv2d", "cs231n"),
    (impl.conv_backward_im2col, "conv2d", "cnnref"),
    (impl.conv_backward_einsum, "conv2d", "cnnref"),
    (impl.max_pool_backward_loops, "max_pool2d", "cs231n"),
    (impl.avg_pool_backward_loops, "avg_pool2d", "cs231n"),
    (impl.max_pool_backward_vectorised, "max_pool2d", "cnnref"),
    (impl.avg_pool_backward_vectorised, "avg_pool2d", "cnnref"),
    (cnnref.conv2d_backward_naive, "conv2d", "cnnref"),
    (cnnref.max_pool2d_backward_naive, "max_pool2d", "cnnref"),
    (check_mutants.as_cs231n(cnnref.conv2d_backward, "conv2d"), "conv2d", "cs231n"),
]


@pytest.mark.parametrize(
    ("fn", "op", "convention"), RIGHT, ids=lambda v: getattr(v, "__name__", v)
)
def test_right_implementations_in_any_style_are_correct(fn, op, convention):
    report = check_backward(fn, op=op, convention=convention)
    assert report.verdict == "correct", report.text()
    assert report.failures == [] and report.diagnoses == []
    # every configuration the convention can express (cs231n: no dilation, groups, pool padding)
    expected = {("conv2d", "cnnref"): 9, ("conv2d", "cs231n"): 5}.get((op, convention))
    expected = expected or (7 if convention == "cnnref" else 6)
    assert report.configurations == expected


def test_configurations_can_reveal_what_they_are_for():
    """Rectangular, non-square sizes; remainders inside x; ties only where asked for."""
    assert all(c.h != c.w and (c.kh != c.kw or c.stride > 1 or c.ties) for c in CONV + POOL)
    assert any(c.remainder[0] > c.padding for c in CONV), "a remainder row inside x"
    assert {c.dilation for c in CONV} >= {1, 2} and {c.groups for c in CONV} >= {1, 2, 3}
    for cfg in CONV:
        inputs = cfg.inputs("conv2d")
        w = inputs["w"]
        assert not np.allclose(w, w[..., ::-1, ::-1]), "a symmetric kernel hides the rotation"
        assert np.ptp(inputs["grad_y"]) > 0.5, "an all-ones δ hides the rotation"
    for cfg in POOL:
        x = cfg.inputs("max_pool2d")["x"]
        assert (len(np.unique(x)) < x.size) == cfg.ties


@pytest.mark.parametrize("cfg", CONV, ids=lambda c: c.label)
def test_the_wrong_answer_engine_starts_from_the_right_formula(cfg):
    inputs = cfg.inputs("conv2d")
    right = right_answer("conv2d", cfg, inputs)
    dx, dw = conv_backward_variant(cfg, inputs["grad_y"], inputs["x"], inputs["w"])
    np.testing.assert_allclose(dx, right["dx"], atol=1e-12)
    np.testing.assert_allclose(dw, right["dw"], atol=1e-12)
    for kind, op in (("max", "max_pool2d"), ("avg", "avg_pool2d")):
        for pcfg in POOL:
            pin = pcfg.inputs(op)
            got = pool_backward_variant(pcfg, pin["grad_y"], pin["x"], kind)
            np.testing.assert_allclose(got, right_answer(op, pcfg, pin)["dx"], atol=1e-12)


@pytest.mark.parametrize("op", ["conv2d", "max_pool2d", "avg_pool2d"])
def test_every_catalogue_bug_shows_somewhere_and_pages_exist(op):
    nav = (ROOT / "mkdocs.yml").read_text()
    configs = CONV if op == "conv2d" else POOL
    for bug in bugs_for(op):
        page = bug.page.rstrip("/") + ".md"
        assert (ROOT / "docs" / page).is_file() and page in nav, bug.page
        one_sentence = bug.explanation.endswith(".") and not re.search(
            r"\. [A-Z]", bug.explanation
        )
        assert one_sentence, f"{bug.name}: explain in one sentence"
        differs = False
        for cfg in configs:
            inputs = cfg.inputs(op)
            right = right_answer(op, cfg, inputs)
            variants = bug.variants(cfg, inputs, right)
            differs |= any(not np.allclose(v, right[bug.gradient]) for v in variants)
        assert differs, f"{bug.name} equals the right answer on every configuration"


def _names(report):
    return {d.name for d in report.diagnoses}


CLASSIC = [
    (buggy.conv_stride_ignored_in_dx, "conv2d", "wrong", "dx-stride-ignored"),
    (buggy.conv_rotated_in_scatter, "conv2d", "wrong", "dx-kernel-not-rotated"),
    (buggy.conv_bias_mean, "conv2d", "wrong", "db-wrong-reduction"),
    (buggy.max_pool_mask, "max_pool2d", "wrong", "maxpool-gradient-to-every-tied-maximum"),
    (buggy.avg_pool_not_divided, "avg_pool2d", "wrong", "avgpool-gradient-not-divided"),
]


@pytest.mark.parametrize(
    ("fn", "op", "verdict", "name"), CLASSIC, ids=lambda v: getattr(v, "__name__", v)
)
def test_classic_bugs_are_named(fn, op, verdict, name):
    report = check_backward(fn, op=op, convention="cs231n")
    assert report.verdict == verdict, report.text()
    assert name in _names(report), report.text()
    assert "Diagnosis" in report.text() and "page" in report.text()


def test_broken_calls_are_said_plainly():
    cases = {
        buggy.conv_padding_not_cropped: ("error", "padding was not cropped"),
        buggy.conv_clears_dout: ("wrong", "modified its arguments in place: dout"),
        buggy.conv_float_division: ("error", "raised TypeError"),
        buggy.conv_float32: ("error", "float32 for float64 input"),
        (lambda dout, cache: None): ("error", "returned NoneType, expected (dx, dw, db)"),
    }
    for fn, (verdict, words) in cases.items():
        report = check_backward(fn, op="conv2d", convention="cs231n")
        assert report.verdict == verdict and words in report.text(), report.text()


def test_the_smallest_failing_configuration_comes_first():
    report = check_backward(buggy.conv_stride_ignored_in_dx, op="conv2d", convention="cs231n")
    first = report.failures[0]
    assert first.configuration["stride"] == 2 and first.gradient == "dx"
    assert [c.label for c in CONV].index(first.configuration["label"]) == 2


@pytest.mark.parametrize("mutant", check_mutants.mutants(), ids=lambda m: m.name)
def test_every_mutant_is_caught_and_named(mutant, tmp_path):
    functions, conventions, small, expected = check_mutants.EXPECTED[mutant.name]
    module = check_mutants.load_mutated(mutant, tmp_path)
    try:
        if small is not None:
            module._columns.SMALL = small
        for name in functions:
            op = "conv2d" if name.startswith("conv") else name.removesuffix("_backward")
            for convention in conventions:
                fn = getattr(module, name)
                fn = fn if convention == "cnnref" else check_mutants.as_cs231n(fn, op)
                report = check_backward(fn, op=op, convention=convention)
                assert report.verdict != "correct", f"{mutant.name} passed as correct"
                if expected:
                    assert expected in _names(report), report.text()
    finally:
        check_mutants.drop(module.__name__)


def test_most_mutants_are_named_and_the_rest_are_accounted_for():
    named = [n for n, entry in check_mutants.EXPECTED.items() if entry[-1]]
    assert len(named) >= 0.75 * len(check_mutants.EXPECTED)
    run = set(check_mutants.EXPECTED) | set(check_mutants.LEFT_OUT)
    from tests.mutants.catalogue import all_mutants

    for m in all_mutants():
        patched = {p.path for p in m.patches}
        backward = patched & {
            "cnnref/conv.py",
            "cnnref/_columns.py",
            "cnnref/_col2im.py",
            "cnnref/_blocks.py",
            "cnnref/naive.py",
            "cnnref/pooling.py",
        }
        if backward and (
            "backward" in m.target
            or "col2im" in m.target
            or "pool" in m.target
            or m.name.startswith("naive-d")
        ):
            assert m.name in run, f"{m.name}: run it through the checker or say why not"


def test_assert_helper_fails_with_the_diagnosis():
    with pytest.raises(AssertionError, match="dx-kernel-not-rotated") as info:
        assert_backward_correct(buggy.conv_rotated_in_scatter, op="conv2d", convention="cs231n")
    assert "derivations/d1-single-kernel/" in str(info.value)
    report = assert_backward_correct(impl.conv_backward_einsum, op="conv2d")
    assert report.ok


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match=r"^op:"):
        check_backward(impl.conv_backward_einsum, op="conv3d")
    with pytest.raises(ValueError, match=r"^convention:"):
        check_backward(impl.conv_backward_einsum, convention="torch")
    with pytest.raises(TypeError, match=r"^fn:"):
        check_backward("conv_backward", op="conv2d")


def _cli(*args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, "-m", "cnnref.check", *args], cwd=cwd, capture_output=True, text=True
    )


def test_command_line(tmp_path):
    source = tmp_path / "layers.py"
    source.write_text((ROOT / "tests" / "check_buggy.py").read_text())
    good = tmp_path / "good.py"
    good.write_text((ROOT / "tests" / "check_implementations.py").read_text())
    ok = _cli(f"{good}:conv_backward_six_loops", "--op", "conv2d", "--convention", "cs231n")
    assert ok.returncode == 0 and "CORRECT" in ok.stdout, ok.stderr
    bad = _cli(
        f"{source}:avg_pool_not_divided", "--op", "avg_pool2d", "--convention", "cs231n", "--json"
    )
    assert bad.returncode == 1, bad.stderr
    data = json.loads(bad.stdout)
    assert {"verdict", "configurations", "untested", "failures", "diagnoses"} <= set(data)
    assert data["verdict"] == "wrong" and data["configurations"] == 6
    assert data["diagnoses"][0]["name"] == "avgpool-gradient-not-divided"
    assert {"name", "explanation", "page"} <= set(data["diagnoses"][0])
    error = _cli(
        f"{source}:conv_float_division", "--op", "conv2d", "--convention", "cs231n", "--json"
    )
    assert error.returncode == 1 and json.loads(error.stdout)["verdict"] == "error"
    for args, word in (
        ((f"{good}:conv_backward_six_loops", "--op", "conv3d", "--convention", "cs231n"), "--op"),
        (
            (f"{good}:conv_backward_six_loops", "--op", "conv2d", "--convention", "x"),
            "--convention",
        ),
        ((f"{good}:nothing", "--op", "conv2d", "--convention", "cs231n"), "FILE.py:FUNCTION"),
        ((f"{tmp_path}/missing.py:f", "--op", "conv2d", "--convention", "cs231n"), "FILE.py"),
        (("layers.py", "--op", "conv2d", "--convention", "cs231n"), "FILE.py:FUNCTION"),
    ):
        result = _cli(*args)
        assert result.returncode == 2 and result.stdout == ""
        assert len(result.stderr.strip().splitlines()) == 1 and word in result.stderr, (
            result.stderr
        )


def test_checker_imports_numpy_only():
    code = (
        "import sys, cnnref.check, cnnref.check.__main__\n"
        "bad = [m for m in ('pytest', 'scipy', 'sympy', 'torch') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_page_blocks_are_generated_from_the_checker():
    text = check_docs.PAGE.read_text()
    assert check_docs.render(text) == text, "stale: run `python -m tests.check_docs`"
    assert "dx-kernel-not-rotated" in text.split("<!-- check:output -->")[1]
    assert "check.md" in (ROOT / "mkdocs.yml").read_text()


def test_page_adjoint_test_passes_right_and_fails_wrong():
    code = check_docs.example_code(check_docs.PAGE.read_text(), "adjoint")
    exec(code, {"conv_backward_naive": impl.conv_backward_six_loops})
    for wrong in (buggy.conv_rotated_in_scatter, buggy.conv_bias_mean):
        with pytest.raises(AssertionError):
            exec(code, {"conv_backward_naive": wrong})
