"""Mutants that reproduce gradient bugs frameworks actually shipped (see :mod:`.reports`).

Each puts the reported mistake into cnnref as closely as cnnref's code allows;
its ``report`` names the public thread, and the site's "Bugs that shipped"
page shows it beside the test that kills it and the proof of the right
formula. Older mutants of the catalogue that match a report carry it too.
"""

from __future__ import annotations

from . import reports
from .core import FAST_BACKWARD, FAST_BACKWARD_TESTS, FAST_GRAD_W, TORCH_CONV, TORCH_SAME
from .model import Mutant, Patch

MODES = "tests/test_padding_modes.py"
MODES_SPEC = f"{MODES}::test_fast_matches_the_loop_specification"
MODES_TORCH = f"{MODES}::test_fast_and_spec_match_torch"
MODES_ADJOINT = f"{MODES}::test_pad2d_backward_is_the_adjoint_of_pad2d"
TRANSPOSE = "tests/test_conv_transpose_backward.py"
TRANSPOSE_SPEC = f"{TRANSPOSE}::test_fast_matches_the_loop_specification"
TRANSPOSE_TORCH = f"{TRANSPOSE}::test_fast_matches_torch_autograd"
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
            "conv.py",
            FAST_GRAD_W,
            "xw = x if geo.groups == 1 or geo.stride[0] == 1 else np.concatenate("
            "[x[:, :, :-1], 0 * x[:, :, -1:]], axis=2)\n"
            "    grad_w = np.matmul(dy, columns.im2col(xw, geo).transpose(0, 2, 1))"
            ".reshape(w.shape)",
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
        tests=(TORCH_SAME, *FAST_BACKWARD_TESTS),
        patches=_patch(
            "conv.py",
            "    grad_x = columns.input_gradient(grad_y, w, geo, dy)\n",
            '    flipped = __import__("dataclasses").replace(\n'
            "        geo, pads=tuple(p[::-1] for p in geo.pads), plans={}\n"
            "    )\n"
            '    grad_x = columns.input_gradient(grad_y, w, flipped if padding == "same" else '
            "geo, dy)\n",
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
]
