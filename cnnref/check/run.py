"""Run a backward pass on the designed configurations, compare with cnnref, diagnose.

The right answers are :func:`cnnref.conv2d_backward`,
:func:`cnnref.max_pool2d_backward` and :func:`cnnref.avg_pool2d_backward`
(PyTorch's semantics: cross-correlation; max pooling sends δ to the first
maximum of a window in row-major order; average pooling divides by kh·kw).
Inputs are float64; every call gets fresh copies, and the arguments are
compared afterwards with what was passed.
"""

from __future__ import annotations

import copy
import traceback
from pathlib import Path

import numpy as np

from ..conv import conv2d_backward
from ..pooling import avg_pool2d_backward, max_pool2d_backward
from .catalogue import bugs_for
from .configs import CONV, POOL, Config
from .conventions import convention as get_convention
from .explain import close, pattern, relative_error, same, shape_hint, where
from .report import CheckReport, Diagnosis, Failure


def right_answer(op: str, cfg: Config, inputs: dict) -> dict[str, np.ndarray]:
    """The right gradients, from cnnref: {'dx', 'dw', 'db'} for conv2d, {'dx'} for pooling."""
    gy, x = inputs["grad_y"], inputs["x"]
    if op == "conv2d":
        dx, dw, db = conv2d_backward(
            gy, x, inputs["w"], cfg.stride, cfg.padding, cfg.dilation, cfg.groups
        )
        return {"dx": dx, "dw": dw, "db": db}
    backward = max_pool2d_backward if op == "max_pool2d" else avg_pool2d_backward
    return {"dx": backward(gy, x, (cfg.kh, cfg.kw), cfg.stride, cfg.padding)}


def _unchanged(before, after) -> bool:
    if isinstance(before, np.ndarray):
        return (
            isinstance(after, np.ndarray)
            and before.shape == after.shape
            and bool(np.array_equal(before, after, equal_nan=True))
        )
    if isinstance(before, tuple | list):
        return len(before) == len(after) and all(map(_unchanged, before, after))
    if isinstance(before, dict):
        return before.keys() == after.keys() and all(
            _unchanged(before[k], after[k]) for k in before
        )
    return before == after


def _where_raised(err: BaseException) -> str:
    frames = traceback.extract_tb(err.__traceback__)
    if len(frames) < 2:
        return ""
    last = frames[-1]
    return f" (at {Path(last.filename).name}, line {last.lineno}: {last.line})"


class _Run:
    """One configuration's call and the problems found in its result."""

    def __init__(self, fn, op, conv, cfg):
        self.cfg, self.op = cfg, op
        self.inputs = cfg.inputs(op)
        self.right = right_answer(op, cfg, self.inputs)
        self.got: dict[str, np.ndarray] = {}
        self.failures: list[Failure] = []
        passed = copy.deepcopy(self.inputs)
        args, kwargs = conv.arguments(cfg, passed)
        before = copy.deepcopy((args, kwargs))
        try:
            result = fn(*args, **kwargs)
        except Exception as err:  # the function's own bug: report it, do not propagate it
            self._fail("raised", "", f"raised {type(err).__name__}: {err}{_where_raised(err)}")
            return
        changed = [
            conv.names.get(k, k) for k in passed if not _unchanged(self.inputs[k], passed[k])
        ]
        if changed or not _unchanged(before, (args, kwargs)):
            what = ", ".join(changed) if changed else "the hyper-parameters it was given"
            self._fail("modified", "", f"modified its arguments in place: {what}")
        self._read(result)

    def _fail(self, kind, gradient, message, error=None):
        settings = self.cfg.settings(self.op)
        self.failures.append(
            Failure(settings, self.cfg.describe(self.op), kind, gradient, message, error)
        )

    def _read(self, result):
        names = list(self.right)
        if len(names) > 1:
            if not isinstance(result, tuple | list) or len(result) != len(names):
                self._fail(
                    "result", "", f"returned {type(result).__name__}, expected (dx, dw, db)"
                )
                return
            values = dict(zip(names, result, strict=True))
        else:
            values = {"dx": result}
        shapes = {k: v.shape for k, v in self.right.items()}
        for name, value in values.items():
            try:
                arr = np.asarray(value)
            except Exception:
                arr = np.asarray(None)
            expected = self.right[name]
            if arr.dtype.kind != "f":
                self._fail("dtype", name, f"returned dtype {arr.dtype}, expected float64")
            elif arr.dtype.itemsize < 8:
                self._fail(
                    "dtype", name, f"returned {arr.dtype} for float64 input: precision lost"
                )
            elif arr.shape != expected.shape:
                hint = shape_hint(name, arr.shape, expected.shape, self.cfg, shapes)
                message = f"shape {arr.shape}, expected {expected.shape}"
                self._fail("shape", name, message + (f": {hint}" if hint else ""))
            else:
                self.got[name] = arr
                self._compare(name, arr, expected)

    def _compare(self, name, got, right):
        wrong = ~close(got, right)
        if not wrong.any():
            return
        message = "wrong: " + where(wrong, self.cfg, name)
        found = pattern(got, right)
        if found:
            message += f"; {found}"
        self._fail("mismatch", name, message, relative_error(got, right))


def _diagnose(op: str, runs: list[_Run]) -> list[Diagnosis]:
    out = []
    for gradient in ("dx", "dw", "db"):
        failing = [
            r
            for r in runs
            if any(f.kind == "mismatch" and f.gradient == gradient for f in r.failures)
        ]
        if not failing:
            continue
        usable = [r for r in runs if gradient in r.got]
        full, partial = [], []
        for bug in (b for b in bugs_for(op) if b.gradient == gradient):
            hits = {}
            for r in usable:
                variants = bug.variants(r.cfg, r.inputs, r.right) or [r.right[gradient]]
                hits[id(r)] = any(same(r.got[gradient], v) for v in variants)
            if all(hits.values()):
                full.append(Diagnosis(bug.name, bug.explanation, bug.page, gradient))
            else:
                n = sum(hits[id(r)] for r in failing)
                if n:
                    certainty = f"matches {n} of {len(failing)} failing configurations"
                    partial.append(
                        Diagnosis(bug.name, bug.explanation, bug.page, gradient, certainty)
                    )
        out += full or partial
    return out


def check_backward(fn, op: str = "conv2d", convention: str = "cnnref") -> CheckReport:
    """Check the backward pass ``fn`` of ``op``, called in ``convention``, against cnnref.

    The forward convention is cross-correlation (``cnnref.conv2d``); arrays are
    NCHW, weights OIHW. A bug of ``fn`` (an exception, a wrong result) goes
    into the report; only bad arguments of this call raise.

    Parameters
    ----------
    fn : callable
        The backward function. 'cnnref': ``fn(grad_y, x, w, stride=, padding=,
        dilation=, groups=) -> (grad_x, grad_w, grad_b)``, pooling ``fn(grad_y, x,
        kernel_size=, stride=, padding=) -> grad_x``; 'cs231n':
        ``fn(dout, cache)`` as the course assignment's naive layers.
    op : {'conv2d', 'max_pool2d', 'avg_pool2d'}
    convention : {'cnnref', 'cs231n'}

    Returns
    -------
    CheckReport
        ``verdict`` ('correct', 'wrong' or 'error'), the number of
        configurations, what was not tested, the failures (smallest
        configuration first) and the diagnoses; ``report.ok`` is True only
        for 'correct'.
    """
    if not callable(fn):
        raise TypeError(f"fn: expected a callable backward function, got {fn!r}")
    conv = get_convention(convention, op)
    configs = [c for c in (CONV if op == "conv2d" else POOL) if conv.supports(c)]
    runs = [_Run(fn, op, conv, cfg) for cfg in configs]
    failures = [f for r in runs for f in r.failures]
    if any(f.kind in ("raised", "result", "shape", "dtype") for f in failures):
        verdict = "error"
    elif failures:
        verdict = "wrong"
    else:
        verdict = "correct"
    name = getattr(fn, "__qualname__", None) or repr(fn)
    report = CheckReport(op, convention, name, verdict, len(runs), list(conv.untested), failures)
    report.passed = [r.cfg.label for r in runs if not r.failures]
    report.diagnoses = _diagnose(op, runs)
    if failures and not report.diagnoses and verdict == "wrong":
        mismatch = {f.gradient for f in failures if f.kind == "mismatch"}
        if mismatch:
            report.notes.append(
                "No known bug of the catalogue matches "
                + ", ".join(sorted(mismatch))
                + ": compare the smallest failing configuration by hand (see 'Check your "
                "backward pass' on the cnnref site, page check/)."
            )
    return report
