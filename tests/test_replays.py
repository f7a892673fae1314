"""The claims the replay notebooks make, checked from the same code they run."""

import numpy as np

from cnnref.examples import eleven_lines


def test_eleven_lines_two_layer_reproduces_the_article_to_8_decimals():
    # the article's printed output after 10000 iterations with np.random.seed(1)
    article = [0.00966449, 0.00786506, 0.99358898, 0.99211957]
    run = eleven_lines.train(eleven_lines.Y_COPY, hidden=(), iterations=10000)
    assert np.round(run.output.ravel(), 8).tolist() == article


def test_legacy_weights_are_the_global_seed_stream():
    rs_weights = eleven_lines.article_weights([(3, 4), (4, 1)])
    np.random.seed(1)  # noqa: NPY002 - the article's own call, restored below
    try:
        legacy = [2 * np.random.random(s) - 1 for s in [(3, 4), (4, 1)]]  # noqa: NPY002
    finally:
        np.random.seed(None)  # noqa: NPY002
    for a, b in zip(rs_weights, legacy, strict=True):
        assert np.array_equal(a, b)


def test_eleven_lines_three_layer_learns_xor():
    run = eleven_lines.train(eleven_lines.Y_XOR, hidden=(4,), iterations=10000)
    assert np.mean(np.abs(eleven_lines.Y_XOR - run.output)) < 0.01
    assert np.all(np.diff(run.mean_abs_error) < 0)  # the recorded error only falls
