"""Mutants applied at run time: each function replaces public functions by broken wrappers.

The test process calls the function named by a mutant's ``runtime`` field
before it collects the tests (see :mod:`tests.mutants.plugin`), so the test
modules import the broken version. Patch both the defining module and the
package namespace: tests import from either.
"""

from __future__ import annotations

import numpy as np


def float32_upcast_backward() -> None:
    """conv2d_backward returns its gradients as float64 whatever the input dtype."""
    import cnnref
    import cnnref.conv

    original = cnnref.conv.conv2d_backward

    def upcast(*args, **kwargs):
        return tuple(np.asarray(g, dtype=np.float64) for g in original(*args, **kwargs))

    cnnref.conv2d_backward = cnnref.conv.conv2d_backward = upcast
