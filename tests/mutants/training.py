"""Mutants of the training pieces: pooling, activations, losses, layers, optimizers.

Each entry is one plausible bug of the kind hand-written backward passes and
the source articles have had. ``tests`` lists the project's own tests that
must reject it, the most direct first.
"""

from __future__ import annotations

from . import reports
from .model import Mutant, Patch

POOL = "tests/test_pooling.py"
POOL_SPEC = f"{POOL}::test_fast_matches_loop_spec"
POOL_FD = f"{POOL}::test_pooling_gradcheck"
POOL_TORCH = f"{POOL}::test_pooling_matches_torch"
ACT = "tests/test_activations.py"
ACT_FD = f"{ACT}::test_derivative_by_finite_differences"
ACT_TORCH = f"{ACT}::test_activation_and_derivative_match_torch"
LOSS = "tests/test_losses.py"
LOSS_FD = f"{LOSS}::test_gradient_by_finite_differences"
LOSS_HALF_FD = f"{LOSS}::test_half_sum_squares_by_finite_differences"
LAYERS = "tests/test_layers.py"
LAYER_FD = f"{LAYERS}::test_layer_gradients_by_finite_differences"
SEQ_FD = f"{LAYERS}::test_sequential_gradients_by_finite_differences"
OPTIM = f"{LAYERS}::test_sgd_and_momentum_closed_form"
OPTIM_TORCH = f"{LAYERS}::test_momentum_training_matches_torch"


def _patch(path: str, old: str, new: str) -> tuple[Patch, ...]:
    return (Patch(f"cnnref/{path}", old, new),)


MUTANTS = [
    Mutant(
        name="maxpool-gradient-to-last-maximum",
        target="pooling",
        description="max pooling sends a window's gradient to its last maximum, not the first",
        source="DESIGN.md's tie rule; loops written with >= instead of >",
        tests=(POOL_SPEC, POOL_TORCH),
        patches=_patch(
            "pooling.py",
            "    tap = np.argmax(win, axis=-1)  # the first maximum in row-major order\n",
            "    tap = win.shape[-1] - 1 - np.argmax(win[..., ::-1], axis=-1)\n",
        ),
        report=reports.TIES,
    ),
    Mutant(
        name="maxpool-gradient-to-window-corner",
        target="pooling",
        description="max pooling routes every window's gradient to its top-left entry",
        source="an unpooling that forgets the argmax",
        tests=(POOL_SPEC, POOL_FD, POOL_TORCH),
        patches=_patch(
            "pooling.py",
            "    index = origin + taps[tap]\n",
            "    index = origin + taps[0 * tap]\n",
        ),
    ),
    Mutant(
        name="maxpool-gradient-to-every-entry",
        target="pooling",
        description="max pooling's backward pass sends δ to every entry of the window, "
        "not to its maximum",
        source="a known backward-pass slip: max-pool gradient to every element of the window",
        tests=(POOL_SPEC, POOL_FD, POOL_TORCH),
        patches=_patch(
            "pooling.py",
            "    grad_x = _max_unpool(grad_y, _max_pool(x, geo)[1], geo, dtype)\n",
            "    kh, kw = geo.kernel\n"
            "    spread = grad_y * (kh * kw)\n"
            "    grad_x = avg_pool2d_backward(spread, x, kernel_size, stride, padding)\n"
            "    grad_x = grad_x.astype(dtype, copy=False)\n",
        ),
    ),
    Mutant(
        name="avgpool-gradient-not-divided",
        target="pooling",
        description="average pooling's backward pass forgets to divide by the window size",
        source="a known backward-pass slip: avg-pool gradient not divided by the window size",
        tests=(POOL_SPEC, POOL_FD, POOL_TORCH),
        patches=_patch(
            "pooling.py",
            "copy=False) / avg_divisors(geo, *options).astype(dtype)\n",
            "copy=False)\n",
        ),
    ),
    Mutant(
        name="sigmoid-derivative-of-z",
        target="activations",
        description="the sigmoid slope s(1 - s) is evaluated on z instead of on s = sigmoid(z)",
        source="Andrew Trask's 11-line network: nonlin(x, deriv=True) expects the output and "
        "was fed the input",
        tests=(ACT_FD, ACT_TORCH),
        patches=_patch(
            "activations.py",
            "    s = sigmoid(z)\n    return s * (1.0 - s)\n",
            "    z = np.asarray(z, dtype=float)\n    return z * (1.0 - z)\n",
        ),
    ),
    Mutant(
        name="tanh-derivative-sign",
        target="activations",
        description="the tanh slope is written tanh² - 1 instead of 1 - tanh²",
        source="a known backward-pass slip: tanh derivative sign",
        tests=(ACT_FD, ACT_TORCH),
        patches=_patch("activations.py", "    return 1.0 - t * t\n", "    return t * t - 1.0\n"),
    ),
    Mutant(
        name="softmax-ce-gradient-without-softmax",
        target="losses",
        description="the softmax cross-entropy gradient uses the logits instead of softmax(z)",
        source="a known backward-pass slip: softmax-CE gradient missing the softmax",
        tests=(LOSS_FD, f"{LOSS}::test_loss_and_gradient_match_torch"),
        patches=_patch(
            "losses.py",
            "(softmax(z, axis=1) * total - t)",
            "(z * total - t)",
        ),
    ),
    Mutant(
        name="half-squares-gradient-sign",
        target="losses",
        description="the gradient of ½Σ(y - t)² is written t - y",
        source="the source articles' error = t - y, added where it should be subtracted",
        tests=(LOSS_HALF_FD, f"{LOSS}::test_half_sum_squares_matches_torch"),
        patches=_patch(
            "losses.py",
            '    """``y - t``."""\n    y, t = _pair(y, t)\n    return y - t\n',
            '    """``y - t``."""\n    y, t = _pair(y, t)\n    return t - y\n',
        ),
    ),
    Mutant(
        name="dense-weight-gradient-transposed",
        target="layers",
        description="Dense's weight gradient is computed as xᵀ δ, the transpose of δᵀ x",
        source="the published correction of Jae Duk Seo's single-kernel CNN article (a gradient "
        "used transposed)",
        tests=(LAYER_FD, SEQ_FD),
        patches=_patch(
            "layers.py",
            '        self.grads = {"weight": grad_y.T @ x}\n',
            '        self.grads = {"weight": (x.T @ grad_y).reshape(grad_y.shape[1], -1)}\n',
        ),
    ),
    Mutant(
        name="dense-input-gradient-ignores-weight",
        target="layers",
        description="Dense passes δ back unchanged in shape but multiplied by the weight's sum",
        source="a backward pass that treats the layer as elementwise",
        tests=(LAYER_FD, SEQ_FD),
        patches=_patch(
            "layers.py",
            "        return grad_y @ self.weight\n",
            "        return grad_y @ np.ones_like(self.weight)\n",
        ),
    ),
    Mutant(
        name="momentum-applied-twice",
        target="optimizers",
        description="the momentum factor decays the velocity twice per step",
        source="a known backward-pass slip: momentum applied twice",
        tests=(OPTIM, OPTIM_TORCH),
        patches=_patch(
            "optim.py",
            "                v *= self.momentum  # the velocity is the optimizer's own array\n",
            "                v *= self.momentum * self.momentum\n",
        ),
    ),
]
