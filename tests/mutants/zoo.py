"""Mutants that reproduce gradient bugs frameworks actually shipped (see :mod:`.reports`).

Each puts the reported mistake into cnnref as closely as cnnref's code allows;
its ``report`` names the public thread, and the site's "Bugs that shipped"
page shows it beside the test that kills it and the proof of the right
formula. Older mutants of the catalogue that match a report carry it too.
"""

from __future__ import annotations

from . import reports
from .core import FAST, FAST_BACKWARD, FAST_GRAD_W, TORCH_CONV, TORCH_SAME
from .model import Mutant, Patch

MODES = "tests/test_padding_modes.py"
MODES_SPEC = f"{MODES}::test_fast_matches_the_loop_specification"
MODES_TORCH = f"{MODES}::test_fast_and_spec_match_torch"
MODES_ADJOINT = f"{MODES}::test_pad2d_backward_is_the_adjoint_of_pad2d"
OPTIONS = "tests/test_pooling_options.py"
AVG_SPEC = f"{OPTIONS}::test_avg_fast_matches_loop_spec"
AVG_TORCH = f"{OPTIONS}::test_avg_matches_torch"
MAX_SPEC = f"{OPTIONS}::test_max_fast_matches_loop_spec"
MAX_TORCH = f"{OPTIONS}::test_max_matches_torch"
SIZES = (
    f"{OPTIONS}::test_pool_output_size_is_the_floor_formula_or_the_ceiling_without_empty_windows"
)
TRANSPOSE = "tests/test_conv_transpose_backward.py"
TRANSPOSE_SPEC = f"{TRANSPOSE}::test_fast_matches_the_loop_specification"
TRANSPOSE_TORCH = f"{TRANSPOSE}::test_fast_matches_torch_autograd"
# the line of cnnref.pool_windows that counts each window's positions
DIVISOR_LINE = (
    "            div = np.outer(window_counts(geo, 0, region), window_counts(geo, 1, region))\n"
)
# the line of pad2d that says which entry each padded position copies
SOURCES_LINE = (
    "        rows, cols = _sources(h, top, bottom, mode), _sources(w, left, right, mode)\n"
)


def _patch(path: str, old: str, new: str) -> tuple[Patch, ...]:
    return (Patch(f"cnnref/{path}", old, new),)


MUTANTS = [
    Mutant(
        name="depthwise-stride-last-row-as-padding",
        target="conv backward (fast)",
        description="with groups and a stride, the weight gradient reads the last input row "
        "as zeros, as if it were padding",
        source="a dependency's grouped-convolution kernel shipped with PyTorch",
        tests=(FAST_BACKWARD, TORCH_CONV),
        patches=_patch(
            "_blocks.py",
            FAST_GRAD_W,
            "xw = x[span] if geo.groups == 1 or geo.stride[0] == 1 else np.concatenate("
            "[x[span][:, :, :-1], 0 * x[span][:, :, -1:]], axis=2)\n"
            "        cols = im2col(xw, geo, inner)\n"
            "        grad_w.append(np.matmul(dy, cols.transpose(0, 2, 1)))",
        ),
        report=reports.DEPTHWISE_STRIDE,
    ),
    Mutant(
        name="circular-padding-axes-swapped",
        target="padding modes",
        description="circular padding pads the rows by the columns' amounts and the columns "
        "by the rows'",
        source="F.pad's last-axis-first argument order, read the other way",
        tests=(MODES_SPEC, MODES_TORCH),
        patches=_patch(
            "signal.py",
            SOURCES_LINE,
            SOURCES_LINE + '        if mode == "circular":\n'
            "            rows, cols = _sources(h, left, right, mode), "
            "_sources(w, top, bottom, mode)\n",
        ),
        report=reports.CIRCULAR_AXES,
    ),
    Mutant(
        name="reflect-backward-folded-as-replicate",
        target="padding modes",
        description="the backward pass of reflect padding adds the border's gradient to the "
        "edge entries, as replicate padding's does",
        source="a padding backward written for one mode and reused for another",
        tests=(MODES_ADJOINT, MODES_SPEC, MODES_TORCH),
        patches=_patch(
            "signal.py",
            "        sources = _sources(n, before, after, mode)\n",
            '        sources = _sources(n, before, after, "replicate" if mode == "reflect" '
            "else mode)\n",
        ),
        report=reports.REFLECT_BACKWARD,
    ),
    Mutant(
        name="same-padding-backward-split-reversed",
        target="conv backward (fast)",
        description="with padding='same' and an odd total, the backward pass puts the odd row "
        "and column at the top and left while the forward pass puts them at the bottom and right",
        source="forward and backward passes that each compute the 'same' split",
        tests=(f"{FAST}::test_same_padding_of_even_kernels_backward_matches_spec", TORCH_SAME),
        patches=_patch(
            "conv.py",
            "    grad_x, grad_w, grad_b = blocks.backward(grad_y, x, w, geo)\n",
            "    grad_x, grad_w, grad_b = blocks.backward(grad_y, x, w, geo)\n"
            '    if padding == "same":\n'
            '        flipped = __import__("dataclasses").replace(\n'
            "            geo, pads=tuple(p[::-1] for p in geo.pads), plans={}\n"
            "        )\n"
            "        grad_x = blocks.backward(grad_y, x, w, flipped)[0]\n",
        ),
        report=reports.SAME_OFFSET,
    ),
    Mutant(
        name="transpose-backward-stride-dilation-swapped",
        target="conv_transpose2d backward",
        description="the transposed convolution's weight gradient reads the upstream gradient "
        "with the stride as the dilation and the dilation as the stride",
        source="two keyword arguments of the same type passed in the wrong order",
        tests=(TRANSPOSE_SPEC, TRANSPOSE_TORCH),
        patches=_patch(
            "conv.py",
            "    grad_w = np.matmul(dx, cols.transpose(0, 2, 1)).reshape(w.shape)\n",
            '    swapped = __import__("dataclasses").replace(\n'
            "        geo, stride=geo.dilation, dilation=geo.stride, plans={}\n"
            "    )\n"
            "    grad_w = np.matmul(dx, columns.im2col(grad_y, swapped).transpose(0, 2, 1))"
            ".reshape(w.shape)\n",
        ),
        report=reports.TRANSPOSE_SWAPPED,
    ),
    Mutant(
        name="avgpool-ceil-divisor-full-kernel",
        target="pooling",
        description="average pooling with count_include_pad divides every window by kh·kw, "
        "also a ceil_mode window that overhangs the padded input",
        source="a pooling kernel written before ceil_mode and never revisited",
        tests=(AVG_SPEC, AVG_TORCH),
        patches=_patch(
            "pool_windows.py",
            DIVISOR_LINE,
            DIVISOR_LINE + '            if region == "padded":\n'
            "                div = np.full(geo.out_hw, geo.kernel[0] * geo.kernel[1])\n",
        ),
        report=reports.CEIL_DIVISOR_FORWARD,
    ),
    Mutant(
        name="avgpool-backward-full-kernel-divisor",
        target="pooling",
        description="average pooling's backward pass divides by kh·kw while its forward pass "
        "divides an overhanging ceil_mode window by its clipped size",
        source="a backward pass that recomputes the divisor instead of sharing the forward's",
        tests=(AVG_SPEC, AVG_TORCH),
        patches=_patch(
            "pooling.py",
            "    share = grad_y.astype(dtype, copy=False) / avg_divisors(geo, *options)"
            ".astype(dtype)\n",
            "    divisors = avg_divisors(geo, *options)\n"
            "    if options == (True, None):\n"
            "        divisors = np.full(geo.out_hw, kh * kw)\n"
            "    share = grad_y.astype(dtype, copy=False) / divisors.astype(dtype)\n",
        ),
        report=reports.CEIL_DIVISOR_BACKWARD,
    ),
    Mutant(
        name="avgpool-no-pad-divisor-counts-overhang",
        target="pooling",
        description="with count_include_pad off, a ceil_mode window still counts the "
        "positions it overhangs past the input in its divisor",
        source="the divisor computed for the full window and clipped on one side only",
        tests=(AVG_SPEC, AVG_TORCH),
        patches=_patch(
            "pool_windows.py",
            '    low, high = (0, n) if region == "x" else (-p, n + p)\n',
            '    low, high = (0, n + (s if geo.ceil_mode else 0)) if region == "x" '
            "else (-p, n + p)\n",
        ),
        report=reports.CEIL_DIVISOR_NO_PAD,
    ),
    Mutant(
        name="avgpool-override-ignored-without-pad",
        target="pooling",
        description="divisor_override is used only when count_include_pad is on",
        source="two options handled in the wrong order",
        tests=(AVG_SPEC, AVG_TORCH),
        patches=_patch(
            "pool_windows.py",
            "        if divisor_override is not None:\n            div = np.full",
            "        if divisor_override is not None and count_include_pad:\n"
            "            div = np.full",
        ),
        report=reports.OVERRIDE_IGNORED,
    ),
    Mutant(
        name="ceil-mode-window-in-padding-kept",
        target="pooling",
        description="ceil_mode rounds the window count up and keeps a last window that starts "
        "in the trailing padding",
        source="ceil_mode read as 'round the output size up' and nothing more",
        tests=(SIZES, MAX_SPEC, MAX_TORCH),
        patches=_patch(
            "shapes.py",
            "        if (out - 1) * stride >= size + padding:\n            out -= 1\n",
            "",
        ),
        report=reports.CEIL_EMPTY_WINDOW,
    ),
    Mutant(
        name="maxpool-backward-overwrites",
        target="pooling",
        description="max pooling's backward pass assigns each window's gradient to its maximum "
        "instead of adding: an entry that is the maximum of several windows keeps one",
        source="fancy-index assignment used where np.add.at was meant",
        tests=(MAX_SPEC, MAX_TORCH),
        patches=_patch(
            "pooling.py",
            "    flat = np.bincount((index + offsets).ravel(), grad_y.ravel(), "
            "minlength=n * c * h * w)\n",
            "    flat = np.zeros(n * c * h * w, dtype=grad_y.dtype)\n"
            "    flat[(index + offsets).ravel()] = grad_y.ravel()\n",
        ),
        report=reports.MAXPOOL_OVERWRITE,
    ),
]
