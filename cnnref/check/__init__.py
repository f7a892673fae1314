"""Is my backward pass right? A checker for anyone's conv and pooling backward pass.

:func:`check_backward` calls a backward function on a designed set of small
configurations (rectangular shapes, non-symmetric random kernels, random
upstream gradients, stride remainders, padding, dilation and groups where the
calling convention has them), compares every gradient with cnnref's, and
reports the verdict, the smallest failing configuration, which gradient is
wrong and where, and which known bug explains it, with the page of the site
that derives the right formula. :func:`assert_backward_correct` is the same
check as an assertion for a test suite.

The forward convention is **cross-correlation** (``cnnref.conv2d``, as
PyTorch); arrays are NCHW, weights OIHW. Calling conventions: 'cnnref'
(``fn(grad_y, x, w, stride=, padding=, dilation=, groups=)``; pooling
``fn(grad_y, x, kernel_size=, stride=, padding=)``) and 'cs231n'
(``conv_backward_naive(dout, cache)``, ``max_pool_backward_naive(dout,
cache)``); see :mod:`cnnref.check.conventions`.

Command line: ``python -m cnnref.check FILE.py:FUNCTION --op conv2d
--convention cs231n [--json]``.
"""

from __future__ import annotations

from .report import CheckReport, Diagnosis, Failure
from .run import check_backward

__all__ = ["CheckReport", "Diagnosis", "Failure", "assert_backward_correct", "check_backward"]


def assert_backward_correct(fn, op: str = "conv2d", convention: str = "cnnref") -> CheckReport:
    """Raise ``AssertionError`` with the checker's report unless ``fn`` is correct.

    For a test suite, e.g. ``assert_backward_correct(conv_backward_naive,
    op="conv2d", convention="cs231n")``; pytest shows the report (verdict,
    smallest failing configuration, diagnosis) as the failure message.

    Parameters
    ----------
    fn : callable
        The backward function, as for :func:`check_backward`.
    op : {'conv2d', 'max_pool2d', 'avg_pool2d'}
    convention : {'cnnref', 'cs231n'}

    Returns
    -------
    CheckReport
        The report, when the verdict is 'correct'.
    """
    report = check_backward(fn, op=op, convention=convention)
    if not report.ok:
        raise AssertionError("\n" + report.text())
    return report
