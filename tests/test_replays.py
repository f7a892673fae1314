"""The claims the replay notebooks make, checked from the same code they run."""

import copy

import numpy as np
import pytest

from cnnref import conv2d_backward, convolve2d, rot180
from cnnref.examples import (
    cosine_similarity,
    delta_recursion,
    digits_cnn,
    eleven_lines,
    loss_gradcheck,
    relative_error,
    single_kernel,
    two_conv,
)


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


def test_single_kernel_training_gradients_pass_gradcheck():
    model = single_kernel.network(0)
    assert loss_gradcheck(model, single_kernel.gradients).max_error < 1e-6


@pytest.mark.parametrize("seed", [0, 7])
def test_single_kernel_uncorrected_update_is_the_rotated_gradient(seed):
    # the measured distance is between rot180(gradient) and a finite-difference gradient
    model = single_kernel.network(seed)
    _, grads = single_kernel.gradients(model)
    numeric = _numeric_kernel_gradient(model)
    applied = single_kernel.uncorrected(grads)["0.weight"]
    assert np.allclose(applied, rot180(numeric), atol=1e-8)
    run = single_kernel.train(corrected=False, epochs=1, seed=seed)
    assert run.cosine[0] == pytest.approx(cosine_similarity(rot180(numeric), numeric), abs=1e-6)
    assert run.rel_error[0] == pytest.approx(relative_error(rot180(numeric), numeric), abs=1e-6)
    assert run.rel_error[0] == pytest.approx(np.sqrt(2 * (1 - run.cosine[0])))


def test_single_kernel_first_version_fails_gradcheck():
    model = single_kernel.network(0)

    def first_version(m):
        loss, grads = single_kernel.gradients(m)
        return loss, single_kernel.uncorrected(grads)

    assert loss_gradcheck(model, first_version).max_error > 1e-2


def _numeric_kernel_gradient(model, eps=1e-6):
    model = copy.deepcopy(model)
    k = model.parameters()["0.weight"]
    out = np.zeros_like(k)
    for idx in np.ndindex(k.shape):
        k0 = k[idx]
        k[idx] = k0 + eps
        up = single_kernel.gradients(model)[0]
        k[idx] = k0 - eps
        down = single_kernel.gradients(model)[0]
        k[idx] = k0
        out[idx] = (up - down) / (2 * eps)
    return out


def test_two_conv_trains_with_gradients_that_pass_gradcheck():
    x, t = two_conv.data()
    model, loss = two_conv.train(x, t)
    assert loss[-1] < 0.01 * loss[0]
    assert np.array_equal(model.forward(x) > 0.5, t > 0.5)
    assert loss_gradcheck(model, lambda m: two_conv.gradients(m, x, t)).max_error < 1e-6


@pytest.mark.parametrize("sample", [0, 3])
def test_two_conv_padded_step_is_the_input_gradient(sample):
    x, t = two_conv.data()
    model = two_conv.network(1)
    step = two_conv.padded_step(model, x, t, sample)
    # independent: the chain rule entry by entry, ∂L/∂a1[r, c] = Σ δ2[i, j] K2[r - i, c - j]
    expected = np.zeros((3, 3))
    for (i, j), d in np.ndenumerate(step.delta2):
        expected[i : i + 2, j : j + 2] += d * step.kernel2
    assert np.allclose(step.via_padded_kernel, expected, rtol=0, atol=1e-15)
    assert np.allclose(step.via_padded_delta, expected, rtol=0, atol=1e-15)
    assert np.allclose(step.library, expected, rtol=0, atol=1e-15)


@pytest.fixture(scope="module")
def digits():
    datasets = pytest.importorskip("sklearn.datasets")
    d = datasets.load_digits()
    return digits_cnn.zeros_and_ones(d.images, d.target)


def test_digits_cnn_training_gradients_pass_gradcheck(digits):
    x, t, _, _ = digits
    model = digits_cnn.network()
    check = loss_gradcheck(model, lambda m: digits_cnn.gradients(m, x[:2], t[:2]))
    assert check.max_error < 1e-6


def test_digits_cnn_trains_to_a_high_test_accuracy(digits):
    x, t, x_test, t_test = digits
    run = digits_cnn.train(x, t, x_test, t_test, epochs=60, measure_every=1000)
    assert run.loss[-1] < 0.01 * run.loss[0]
    assert run.test_accuracy[-1] >= 0.95


def _window_loop(grad_y, pooled_input, variant):
    """The broken backward passes written with loops over every 2x2 window."""
    n, c, h, w = grad_y.shape
    mask = np.zeros_like(pooled_input)
    up = np.zeros_like(pooled_input)
    for b, ch, i, j in np.ndindex(n, c, h, w):
        window = pooled_input[b, ch, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2]
        a, bb = np.unravel_index(np.argmax(window), (2, 2))  # first maximum, row-major
        mask[b, ch, 2 * i + a, 2 * j + bb] = 1
        up[b, ch, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2] = grad_y[b, ch, i, j]
    return {
        "true": mask * up,
        "no mask": up,
        "transposed gradient": mask * up.swapaxes(2, 3),
        "transposed mask": mask.swapaxes(2, 3) * up,
    }[variant]


@pytest.mark.parametrize("variant", digits_cnn.VARIANTS)
def test_pool_backward_variants_match_their_definition(variant):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 4, 4))
    layer = digits_cnn.PoolBackward(variant)
    g = rng.standard_normal(layer.forward(x).shape)
    assert np.array_equal(layer.backward(g), _window_loop(g, x, variant))


@pytest.mark.parametrize("variant", digits_cnn.VARIANTS[1:])
def test_broken_variant_distance_is_measured_against_the_numeric_gradient(digits, variant):
    x, t, _, _ = digits
    xs, ts = x[:6], t[:6]
    model = digits_cnn.network(variant)
    applied = digits_cnn.gradients(model, xs, ts)[1]
    numeric = {}
    for name in digits_cnn.CONV_WEIGHTS:
        w = model.parameters()[name]
        numeric[name] = np.zeros_like(w)
        for idx in np.ndindex(w.shape):
            w0 = w[idx]
            w[idx] = w0 + 1e-6
            up = digits_cnn.gradients(model, xs, ts)[0]
            w[idx] = w0 - 1e-6
            down = digits_cnn.gradients(model, xs, ts)[0]
            w[idx] = w0
            numeric[name][idx] = (up - down) / 2e-6
    applied = {k: applied[k] for k in digits_cnn.CONV_WEIGHTS}
    cos, rel = digits_cnn.conv_gradient_error(model, xs, ts)
    assert cos == pytest.approx(cosine_similarity(applied, numeric), abs=1e-6)
    assert rel == pytest.approx(relative_error(applied, numeric), rel=1e-5)
    assert cos < 0.99  # the variant really is a different update


def test_delta_recursion_matches_the_library_and_gradcheck():
    model = delta_recursion.mlp((4, 5, 3, 2), ("tanh", "arctan", "sigmoid"), seed=0)
    rng = np.random.default_rng(1)
    x, t = rng.standard_normal((6, 4)), rng.random((6, 2))
    deltas, grads = delta_recursion.deltas(model, x, t)
    _, library = delta_recursion.gradients(model, x, t)
    assert [d.shape for d in deltas] == [(6, 5), (6, 3), (6, 2)]
    for name in library:
        assert np.allclose(grads[name], library[name], rtol=0, atol=1e-14)

    def recursion(m):
        return delta_recursion.gradients(m, x, t)[0], delta_recursion.deltas(m, x, t)[1]

    assert loss_gradcheck(model, recursion).max_error < 1e-6


@pytest.mark.parametrize("flip", [True, False])
def test_sharing_matrix_is_the_convolution_and_its_transpose_the_input_gradient(flip):
    rng = np.random.default_rng(5)
    x, k, d = rng.standard_normal((4, 5)), rng.standard_normal((2, 3)), rng.standard_normal((3, 3))
    c = delta_recursion.sharing_matrix(k, x.shape, flip=flip)
    w = rot180(k) if flip else k  # the cross-correlation kernel of the same map
    assert np.allclose(c @ x.ravel(), convolve2d(x, rot180(w), "valid").ravel())
    gx, _, _ = conv2d_backward(d[None, None], x[None, None], w[None, None])
    assert np.allclose(c.T @ d.ravel(), gx.ravel())


def test_sharing_matrix_reproduces_the_article_example():
    image = np.arange(1.0, 10.0).reshape(3, 3)
    c = delta_recursion.sharing_matrix([[1, 2], [3, 4]], (3, 3))
    assert (c @ image.ravel()).tolist() == [23, 33, 53, 63]
