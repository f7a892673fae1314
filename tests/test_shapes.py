"""The output-size helpers against counting windows by hand."""

from __future__ import annotations

import itertools
import subprocess
import sys

from cnnref import conv_output_size, conv_remainder, conv_transpose_output_size


def count_windows(size, kernel, stride, before, after, dilation):
    """Count the start positions whose dilated window lies inside the padded input."""
    span = dilation * (kernel - 1) + 1
    return sum(
        1
        for start in range(0, size + before + after, stride)
        if start + span <= size + before + after
    )


def test_output_size_counts_the_windows():
    for size, k, s, before, after, d in itertools.product(
        range(1, 9), range(1, 4), range(1, 4), range(3), range(3), range(1, 3)
    ):
        expected = count_windows(size, k, s, before, after, d)
        got = conv_output_size(size, k, s, (before, after), d)
        assert max(got, 0) == expected, (size, k, s, before, after, d)
        if before == after and expected:
            assert conv_output_size(size, k, s, before, d) == expected


def test_remainder_is_what_the_last_window_leaves_over():
    for size, k, s, p, d in itertools.product(
        range(1, 10), range(1, 4), range(1, 4), range(3), (1, 2)
    ):
        n = conv_output_size(size, k, s, p, d)
        if n < 1:
            continue
        last_read = (n - 1) * s + d * (k - 1)  # index in the padded input
        assert conv_remainder(size, k, s, p, d) == size + 2 * p - 1 - last_read


def test_transpose_size_inverts_the_forward_size():
    for size, k, s, p, d in itertools.product(
        range(1, 10), range(1, 4), range(1, 4), range(3), (1, 2)
    ):
        n = conv_output_size(size, k, s, p, d)
        if n < 1:
            continue
        op = conv_remainder(size, k, s, p, d)
        assert conv_transpose_output_size(n, k, s, p, op, d) == size


def test_cnnref_imports_numpy_only():
    code = (
        "import sys, cnnref\n"
        "bad = sorted({m.split('.')[0] for m in sys.modules} & "
        "{'scipy', 'sympy', 'torch', 'derivations', 'matplotlib'})\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
