"""Mutants of the convolution core: cnnref.signal, geometry, shapes, conv, _columns,
_col2im, _blocks, _parallel, naive.

Each entry is one plausible bug. ``tests`` lists the project's own tests that
must reject it, the most direct first; the PyTorch oracle comes last, as the
net under the net.
"""

from __future__ import annotations

from . import reports
from .model import Mutant, Patch

SIGNAL = "tests/test_signal.py"
SHAPES = "tests/test_shapes.py"
SPEC = "tests/test_conv_spec.py"
SPEC_FORWARD = f"{SPEC}::test_naive_forward_matches_scipy"
SPEC_SAME = f"{SPEC}::test_same_padding_matches_scipy_same_mode"
SPEC_BACKWARD = f"{SPEC}::test_naive_backward_matches_finite_differences"
SPEC_ADJOINT = f"{SPEC}::test_naive_transpose_is_the_adjoint_of_conv"
SPEC_BACKWARD_IS_TRANSPOSE = f"{SPEC}::test_naive_backward_is_the_naive_transpose"
FAST = "tests/test_conv_fast.py"
FAST_FORWARD = f"{FAST}::test_forward_matches_spec"
FAST_BACKWARD = f"{FAST}::test_backward_matches_spec"
FAST_TRANSPOSE = f"{FAST}::test_transpose_matches_spec"
FAST_STRATEGIES = f"{FAST}::test_every_input_gradient_strategy_matches_spec"
FAST_FLOAT32 = f"{FAST}::test_float32_follows_the_input_and_stays_close"
FAST_BLOCKS = f"{FAST}::test_blocks_of_the_batch_match_spec"
FAST_BLOCKS_INNER = f"{FAST}::test_blocks_with_the_batch_innermost_match_spec"
FAST_NON_FINITE = f"{FAST}::test_nan_and_inf_in_the_backward_as_in_the_spec"
FAST_OWN_MEMORY = f"{FAST}::test_results_own_their_memory"
TORCH = "tests/test_torch_oracle.py"
TORCH_CONV = f"{TORCH}::test_conv2d_and_gradients_match_torch"
TORCH_SPEC = f"{TORCH}::test_naive_spec_matches_torch"
TORCH_TRANSPOSE = f"{TORCH}::test_conv_transpose2d_matches_torch"
TORCH_SAME = f"{TORCH}::test_same_padding_of_even_kernels_matches_torch"

FAST_BACKWARD_TESTS = (FAST_BACKWARD, FAST_STRATEGIES, TORCH_CONV)
SPEC_BACKWARD_TESTS = (SPEC_BACKWARD, SPEC_BACKWARD_IS_TRANSPOSE, TORCH_SPEC)

# The one line every naive-backward mutant of the weight gradient starts from.
NAIVE_GRAD_W = "grad_w[o] += delta * xp[n, channels, rows, cols]"
FAST_GRAD_W = "grad_w.append(np.matmul(cols, dy.transpose(0, 2, 1)).transpose(0, 2, 1))"
TAPS_ROWS = "        rows = slice(a * dh, a * dh + sh * (ho - 1) + 1, sh)\n"
TAPS_BUFFER = "    gxp = _zeros(geo.in_channels, n, geo.padded_hw, grad_cols.dtype, inner)\n"


def _patch(path: str, old: str, new: str) -> tuple[Patch, ...]:
    return (Patch(f"cnnref/{path}", old, new),)


MUTANTS = [
    # -- single-channel signal operations --------------------------------------------------
    Mutant(
        name="convolve2d-kernel-not-rotated",
        target="signal",
        description="convolve2d slides the kernel as it is: true convolution computed as "
        "cross-correlation",
        source="the source articles, which say convolution and compute correlation",
        tests=(f"{SIGNAL}::test_convolve2d_matches_scipy", SIGNAL),
        patches=_patch("signal.py", "    flipped = k[::-1, ::-1]\n", "    flipped = k\n"),
    ),
    Mutant(
        name="correlate2d-same-window-off-centre",
        target="signal",
        description="correlate2d 'same' keeps the centre window rounded the wrong way for "
        "even kernels",
        source="scipy.signal's 'same' convention, mirrored wrongly (convolve2d's rule)",
        tests=(f"{SIGNAL}::test_correlate2d_matches_scipy", SIGNAL),
        patches=_patch(
            "signal.py",
            "    top, left = kh // 2, kw // 2\n",
            "    top, left = (kh - 1) // 2, (kw - 1) // 2\n",
        ),
    ),
    Mutant(
        name="rot180-is-a-transpose",
        target="signal",
        description="rot180 transposes the kernel instead of flipping both axes "
        "(square symmetric kernels hide it)",
        source="a known backward-pass slip: a toolkit whose rot180 is a transpose",
        tests=(f"{SIGNAL}::test_rot180_flips_the_last_two_axes", SIGNAL),
        patches=_patch(
            "signal.py",
            "    return k[..., ::-1, ::-1].copy()\n",
            "    return np.swapaxes(k, -1, -2).copy()\n",
        ),
    ),
    Mutant(
        name="dilate2d-counts-inserted-zeros",
        target="signal",
        description="dilate2d inserts `dilation` zeros between entries (0 = none) instead of "
        "spacing them `dilation` apart",
        source="numpy-ml's dilation convention, where 0 means none",
        tests=(f"{SIGNAL}::test_dilate2d_places_entries_on_a_grid", SIGNAL, SPEC_FORWARD),
        patches=_patch(
            "signal.py",
            "    out = np.zeros((*x.shape[:-2], (h - 1) * dh + 1, (w - 1) * dw + 1), "
            "dtype=x.dtype)\n    out[..., ::dh, ::dw] = x\n",
            "    out = np.zeros((*x.shape[:-2], (h - 1) * (dh + 1) + 1, (w - 1) * (dw + 1) + 1), "
            "dtype=x.dtype)\n    out[..., :: dh + 1, :: dw + 1] = x\n",
        ),
    ),
    Mutant(
        name="rot180-returns-a-view",
        target="signal",
        description="rot180 returns a flipped view: writing into the result writes into the "
        "kernel",
        source="the style notes' rule: never change an argument, never alias one",
        tests=(
            f"{SIGNAL}::test_rot180_flips_the_last_two_axes",
            f"{FAST}::test_no_argument_is_modified",
        ),
        patches=_patch(
            "signal.py",
            "    return k[..., ::-1, ::-1].copy()\n",
            "    return k[..., ::-1, ::-1]\n",
        ),
    ),
    Mutant(
        name="pad2d-aliases-when-unpadded",
        target="signal",
        description="pad2d with zero padding returns its argument itself instead of a new array",
        source="a shortcut for the common case that breaks the no-aliasing contract",
        tests=(f"{FAST}::test_no_argument_is_modified", SIGNAL),
        patches=_patch(
            "signal.py",
            '    (top, bottom), (left, right) = padding_pairs("padding", padding, '
            "allow_strings=False)\n",
            '    (top, bottom), (left, right) = padding_pairs("padding", padding, '
            "allow_strings=False)\n    if top == bottom == left == right == 0:\n"
            "        return x\n",
        ),
    ),
    Mutant(
        name="dilate2d-aliases-at-dilation-1",
        target="signal",
        description="dilate2d with dilation 1 returns its argument itself instead of a new array",
        source="a shortcut for the common case that breaks the no-aliasing contract",
        tests=(f"{FAST}::test_no_argument_is_modified", SIGNAL),
        patches=_patch(
            "signal.py",
            '    dh, dw = int_pair("dilation", dilation, minimum=1)\n',
            '    dh, dw = int_pair("dilation", dilation, minimum=1)\n'
            "    if dh == dw == 1:\n        return x\n",
        ),
    ),
    Mutant(
        name="integers-stay-integers",
        target="validation",
        description="integer input is kept as integers: the results are truncated to an integer "
        "dtype instead of float64",
        source="the dtype contract: integers become float64, floats keep their precision",
        tests=(f"{SIGNAL}::test_dtype_follows_the_input", FAST_FLOAT32),
        patches=_patch(
            "_validate.py",
            '    if kind in "iu":\n        return arr.astype(np.float64)\n',
            '    if kind in "iu":\n        return arr\n',
        ),
    ),
    # -- sizes and padding ------------------------------------------------------------------
    Mutant(
        name="output-size-ceil",
        target="shapes",
        description="output size rounds up: ceil((in + 2p - d(k-1) - 1) / s) + 1",
        source="pooling's ceil_mode leaking into the convolution formula",
        tests=(SHAPES, FAST_FORWARD),
        patches=_patch(
            "shapes.py",
            "    return (size + before + after - span) // stride + 1\n",
            "    return -(-(size + before + after - span) // stride) + 1\n",
        ),
    ),
    Mutant(
        name="same-padding-odd-zero-top-left",
        target="geometry",
        description="'same' padding of an even (dilated) kernel puts the odd zero at the "
        "top/left instead of the bottom/right",
        source="PyTorch's and TensorFlow's 'same' rule, ported the wrong way round",
        tests=(SPEC_SAME, TORCH_SAME, TORCH_CONV),
        patches=_patch(
            "geometry.py",
            "        pads.append((total // 2, total - total // 2))\n",
            "        pads.append((total - total // 2, total // 2))\n",
        ),
    ),
    Mutant(
        name="output-padding-ignored",
        target="geometry",
        description="conv_transpose2d ignores output_padding: the input sizes that a stride "
        "remainder distinguishes collapse to the smallest",
        source="transposed convolutions that cannot give back the input size",
        tests=(SPEC_BACKWARD_IS_TRANSPOSE, SPEC_ADJOINT, TORCH_TRANSPOSE),
        patches=_patch(
            "geometry.py",
            "        conv_transpose_output_size(n, k, s, p, op, d)\n",
            "        conv_transpose_output_size(n, k, s, p, 0, d)\n",
        ),
        report=reports.OUTPUT_PADDING,
    ),
    Mutant(
        name="transpose-delta-padded-one-too-few",
        target="geometry",
        description="conv_transpose2d crops padding + 1 rows from the top: δ padded with "
        "d(k-1) - p - 1 zero rows, one too few",
        source="the rotated-kernel formula's pad d(k-1) - p, off by one",
        tests=(SPEC_ADJOINT, FAST_TRANSPOSE, TORCH_TRANSPOSE),
        patches=_patch(
            "geometry.py",
            "        pads=((pad[0], pad[0]), (pad[1], pad[1])),\n",
            "        pads=((pad[0] + 1, pad[0] + 1), (pad[1], pad[1])),\n",
        ),
    ),
    Mutant(
        name="geometry-cache-keyed-on-shapes",
        target="geometry",
        description="the memoised geometry is looked up by the array shapes only: a call with "
        "another stride or padding gets a stale one",
        source="memoisation keyed on part of the arguments",
        tests=(FAST_FORWARD, FAST_BACKWARD, TORCH_CONV),
        patches=_patch(
            "geometry.py",
            "        key = (build.__name__, *args)\n",
            "        key = (build.__name__, *args[:2])\n",
        ),
    ),
    # -- conv2d forward and backward, fast path ---------------------------------------------
    Mutant(
        name="forward-is-true-convolution",
        target="conv forward (fast)",
        description="conv2d rotates the kernel: true convolution where every framework "
        "computes cross-correlation",
        source="the convolution / cross-correlation confusion of the source articles",
        tests=(FAST_FORWARD, TORCH_CONV),
        patches=_patch(
            "_blocks.py",
            "    weight = grouped_weight(w, geo)\n",
            "    weight = grouped_weight(w[..., ::-1, ::-1], geo)\n",
        ),
    ),
    Mutant(
        name="forward-bias-dropped",
        target="conv forward (fast)",
        description="conv2d accepts a bias and does not add it",
        source="a bias argument threaded through but never used",
        tests=(FAST_FORWARD, TORCH_CONV),
        patches=_patch(
            "_blocks.py", "            part += b[:, None, None]\n", "            pass\n"
        ),
    ),
    Mutant(
        name="transpose-bias-dropped",
        target="conv transpose (fast)",
        description="conv_transpose2d accepts a bias and does not add it",
        source="a bias argument threaded through but never used",
        tests=(FAST_TRANSPOSE, TORCH_TRANSPOSE),
        patches=_patch("conv.py", "        y += b[:, None, None]\n", "        pass\n"),
    ),
    Mutant(
        name="dx-kernel-not-rotated",
        target="conv backward (fast)",
        description="input gradient correlates δ with w instead of rot180(w) "
        "(every col2im strategy, and conv_transpose2d)",
        source="published backprop code whose missing rotation passed a mean-only check",
        tests=(FAST_BACKWARD, FAST_TRANSPOSE, TORCH_CONV),
        patches=_patch(
            "_col2im.py",
            "    wt = grouped_weight(w, geo).transpose(0, 2, 1)\n",
            "    wt = grouped_weight(w[..., ::-1, ::-1], geo).transpose(0, 2, 1)\n",
        ),
    ),
    Mutant(
        name="dw-kernel-rotated",
        target="conv backward (fast)",
        description="weight gradient rotated by 180 degrees (the rotation belongs to the input "
        "gradient only)",
        source="derivations that rotate the kernel in both gradients",
        tests=FAST_BACKWARD_TESTS,
        patches=_patch(
            "_blocks.py",
            "grad_w.reshape(w.shape), grad_b",
            "grad_w.reshape(w.shape)[..., ::-1, ::-1], grad_b",
        ),
    ),
    Mutant(
        name="dw-transposed",
        target="conv backward (fast)",
        description="weight gradient computed as Xᵀδ instead of δXᵀ and reshaped to OIHW: "
        "the layout transposed",
        source="the correction in Jae Duk Seo's single-kernel CNN article: its first weight "
        "gradient was transposed",
        tests=FAST_BACKWARD_TESTS,
        patches=_patch(
            "_blocks.py",
            FAST_GRAD_W,
            "grad_w.append(np.matmul(cols, dy.transpose(0, 2, 1))"
            ".reshape(dy.shape[0], dy.shape[1], -1))",
        ),
    ),
    Mutant(
        name="dw-batch-not-summed",
        target="conv backward (fast)",
        description="weight gradient of the last example only, as a per-example loop that "
        "assigns instead of adding",
        source="per-example backward loops that overwrite dW",
        tests=FAST_BACKWARD_TESTS,
        patches=_patch(
            "_blocks.py",
            FAST_GRAD_W,
            "n, m = span.stop - span.start, geo.out_hw[0] * geo.out_hw[1]\n"
            "        last = slice(n - 1, None, n) if inner else slice(-m, None)\n"
            "        grad_w.append(np.matmul(dy[..., last], cols[..., last].transpose(0, 2, 1)))",
        ),
    ),
    Mutant(
        name="dw-groups-mixed-up",
        target="conv backward (fast)",
        description="every group's weight gradient correlates δ with the first group's input "
        "channels",
        source="PyTorch's nn.grad.conv2d_weight, wrong for groups > 1 (Bugs that shipped)",
        tests=FAST_BACKWARD_TESTS,
        patches=_patch(
            "_blocks.py",
            FAST_GRAD_W,
            "grad_w.append(np.matmul(dy, cols[:1].transpose(0, 2, 1)))",
        ),
        report=reports.GROUPS_WEIGHT,
    ),
    Mutant(
        name="dw-dilation-ignored",
        target="conv backward (fast)",
        description="weight gradient reads undilated windows: taps adjacent instead of "
        "`dilation` apart",
        source="backward passes written for dilation 1 and reused for atrous convolution",
        tests=FAST_BACKWARD_TESTS,
        patches=(
            Patch(
                "cnnref/_blocks.py",
                "import numpy as np\n",
                "from dataclasses import replace\n\nimport numpy as np\n",
            ),
            Patch(
                "cnnref/_blocks.py",
                "cols = im2col(x[span], geo, inner)",
                "cols = im2col(x[span], replace(geo, dilation=(1, 1)), inner)",
            ),
        ),
    ),
    Mutant(
        name="parts-not-summed",
        target="conv backward (fast)",
        description="with the batch split over the cores, the weight and bias gradients of "
        "the first part only: the other parts' sums are never added",
        source="a parallel reduction that keeps the calling thread's partial result",
        tests=(FAST_BLOCKS,),
        patches=_patch(
            "_blocks.py",
            "    for _, part_w, part_b in parts[1:]:\n",
            "    for _, part_w, part_b in parts[1:1]:\n",
        ),
    ),
    Mutant(
        name="inner-delta-in-batch-order",
        target="conv backward (fast)",
        description="with the batch innermost, δ is flattened image after image while the "
        "columns run over (Ho, Wo, N): each window is paired with another pixel's δ",
        source="two arrays flattened in different orders before their product",
        tests=(FAST_STRATEGIES, FAST_BLOCKS_INNER),
        patches=_patch(
            "_columns.py",
            "    axes = (1, 2, 3, 0) if inner else (1, 0, 2, 3)\n",
            "    axes = (1, 0, 2, 3)\n",
        ),
    ),
    Mutant(
        name="inner-output-in-batch-order",
        target="conv forward (fast)",
        description="with the batch innermost, the forward product is read back image after "
        "image although its columns run over (Ho, Wo, N): outputs land in other images",
        source="two arrays flattened in different orders before their product",
        tests=(FAST_BLOCKS_INNER,),
        patches=_patch(
            "_columns.py",
            "        return product.reshape(o, ho, wo, -1).transpose(3, 0, 1, 2)\n",
            "        return product.reshape(o, -1, ho, wo).transpose(1, 0, 2, 3)\n",
        ),
    ),
    Mutant(
        name="output-in-scratch-memory",
        target="conv forward (fast)",
        description="the forward product is written into the thread's reused memory and "
        "returned from it: the next call overwrites the caller's output",
        source="buffers reused between calls for speed, leaking into a result",
        tests=(FAST_OWN_MEMORY,),
        patches=(
            Patch("cnnref/_blocks.py", "output_images\n", "output_images, scratch\n"),
            *_patch(
                "_blocks.py",
                "        part = output_images(np.matmul(weight, im2col(x[span], geo, inner)), "
                "geo, inner)\n",
                "        cols = im2col(x[span], geo, inner)\n"
                "        out = scratch('product', (cols.shape[0], weight.shape[1], "
                "cols.shape[2]), cols.dtype)\n"
                "        part = output_images(np.matmul(weight, cols, out=out), geo, inner)\n",
            ),
        ),
    ),
    Mutant(
        name="fork-inherits-dead-workers",
        target="conv (batch over the cores)",
        description="a process forked after a split keeps the parent's thread pool, whose "
        "threads do not exist in the child: its first split waits for ever",
        source="thread pools that do not reset after fork() (multiprocessing's default on Linux)",
        tests=("tests/test_parallel.py::test_a_forked_child_splits_with_threads_of_its_own",),
        patches=_patch(
            "_parallel.py",
            "    os.register_at_fork(after_in_child=_POOL.forget_threads)\n",
            "    pass\n",
        ),
    ),
    Mutant(
        name="bias-gradient-mean",
        target="conv backward (fast)",
        description="bias gradient averaged over batch and pixels instead of summed",
        source="the loss-averaging habit (mean over the batch) applied to the bias",
        tests=FAST_BACKWARD_TESTS,
        patches=_patch(
            "_blocks.py", "grad_b.append(dy.sum(axis=2))", "grad_b.append(dy.mean(axis=2))"
        ),
    ),
    Mutant(
        name="float32-upcast-backward",
        target="conv backward (fast)",
        description="conv2d_backward returns float64 gradients for float32 input "
        "(dtype contract broken, memory doubled)",
        source="numpy's silent promotion, e.g. np.bincount's float64 result",
        tests=(FAST_FLOAT32,),
        runtime="tests.mutants.runtime:float32_upcast_backward",
    ),
    # -- col2im strategies of the input gradient --------------------------------------------
    Mutant(
        name="bincount-upcasts-float32",
        target="col2im (small problems)",
        description="the bincount path returns float64 for float32 input: np.bincount's "
        "result not cast back",
        source="np.bincount always returns float64",
        tests=(FAST_FLOAT32,),
        patches=_patch(
            "_col2im.py",
            "return sums[:size].astype(grad_y.dtype, copy=False).reshape(",
            "return sums[:size].reshape(",
        ),
    ),
    Mutant(
        name="bincount-padding-clipped-in",
        target="col2im (small problems)",
        description="the bincount path clips the padding entries' index into the image "
        "instead of discarding them",
        source="an index-out-of-range error 'fixed' with np.minimum",
        tests=FAST_BACKWARD_TESTS,
        patches=_patch(
            "_col2im.py",
            "            gather_index(geo, n).reshape(-1), weights=",
            "            np.minimum(gather_index(geo, n).reshape(-1), size - 1), weights=",
        ),
    ),
    Mutant(
        name="taps-stride-ignored",
        target="col2im (strided taps)",
        description="δ not dilated by the stride in the input gradient: each tap adds to a "
        "contiguous block",
        source="backward passes right only for stride 1",
        tests=(FAST_STRATEGIES, FAST_BACKWARD, TORCH_CONV),
        patches=_patch(
            "_col2im.py",
            TAPS_ROWS + "        for b in range(kw):\n"
            "            gxp[:, :, rows, b * dw : b * dw + sw * (wo - 1) + 1 : sw] += ",
            "        rows = slice(a * dh, a * dh + ho)\n        for b in range(kw):\n"
            "            gxp[:, :, rows, b * dw : b * dw + wo] += ",
        ),
        report=reports.STRIDE_NOT_MULTIPLIED,
    ),
    Mutant(
        name="taps-dilation-ignored",
        target="col2im (strided taps)",
        description="the strided-taps path places kernel columns next to each other, "
        "ignoring the dilation",
        source="backward passes written for dilation 1 and reused for atrous convolution",
        tests=(FAST_STRATEGIES, FAST_BACKWARD, TORCH_CONV),
        patches=_patch(
            "_col2im.py",
            "gxp[:, :, rows, b * dw : b * dw + sw * (wo - 1) + 1 : sw]",
            "gxp[:, :, rows, b : b + sw * (wo - 1) + 1 : sw]",
        ),
    ),
    Mutant(
        name="taps-remainder-rows-shifted",
        target="col2im (strided taps)",
        description="the rows no window reaches are put at the top: δ aligned with the far end "
        "of the padded input",
        source="gradients that are right only when the stride divides evenly",
        tests=(FAST_STRATEGIES, FAST_BACKWARD, TORCH_CONV),
        patches=_patch(
            "_col2im.py",
            TAPS_BUFFER + "    for a in range(kh):\n" + TAPS_ROWS,
            TAPS_BUFFER + "    rem = (geo.padded_hw[0] - dh * (kh - 1) - 1) % sh\n"
            "    for a in range(kh):\n"
            "        rows = slice(a * dh + rem, a * dh + rem + sh * (ho - 1) + 1, sh)\n",
        ),
    ),
    Mutant(
        name="taps-remainder-rows-dropped",
        target="col2im (strided taps)",
        description="the input-gradient buffer ends at the last row a window reaches: the "
        "stride remainder rows are dropped",
        source="the full-correlation formula's result, (Ho-1)s + d(k-1) + 1 rows, taken as "
        "the whole gradient",
        tests=(FAST_STRATEGIES, FAST_BACKWARD, TORCH_CONV),
        patches=_patch(
            "_col2im.py",
            TAPS_BUFFER,
            "    gxp = _zeros(geo.in_channels, n, (sh * (ho - 1) + dh * (kh - 1) + 1, "
            "geo.padded_hw[1]), grad_cols.dtype, inner)\n",
        ),
        report=reports.REMAINDER_ROWS,
    ),
    Mutant(
        name="taps-delta-padded-one-too-many",
        target="col2im (strided taps)",
        description="the strided-taps input gradient is shifted down one row: δ padded with "
        "one zero row too many",
        source="the rotated-kernel formula's pad d(k-1) - p, off by one",
        tests=(FAST_STRATEGIES, FAST_BACKWARD, TORCH_CONV),
        patches=_patch(
            "_col2im.py",
            TAPS_BUFFER + "    for a in range(kh):\n" + TAPS_ROWS,
            "    gxp = _zeros(geo.in_channels, n, (geo.padded_hw[0] + 1, geo.padded_hw[1]), "
            "grad_cols.dtype, inner)\n"
            "    for a in range(kh):\n"
            "        rows = slice(a * dh + 1, a * dh + 1 + sh * (ho - 1) + 1, sh)\n",
        ),
    ),
    Mutant(
        name="wide-delta-padded-one-too-few",
        target="col2im (full-width rows)",
        description="the full-width input gradient is cropped one row low: δ padded with one "
        "zero row too few",
        source="the rotated-kernel formula's pad d(k-1) - p, off by one",
        tests=(FAST_STRATEGIES, FAST_BACKWARD, TORCH_CONV),
        patches=_patch(
            "_col2im.py",
            "    return gxp[:, :, t : t + h, l : l + w_].transpose(1, 0, 2, 3)\n",
            "    return gxp[:, :, t + 1 : t + 1 + h, l : l + w_].transpose(1, 0, 2, 3)\n",
        ),
    ),
    Mutant(
        name="wide-zeros-times-inf",
        target="col2im (full-width rows)",
        description="the full-width path also for weights with an inf: the zeros that widen "
        "δ become NaN in entries of the input gradient whose sums have no inf",
        source="0 · inf = NaN in padding that was meant to add nothing",
        tests=(FAST_NON_FINITE,),
        patches=_patch(
            "_col2im.py",
            "        and np.isfinite(w).all()\n",
            "",
        ),
    ),
    Mutant(
        name="wide-stride-ignored",
        target="col2im (full-width rows)",
        description="the full-width path steps one row per output row, ignoring the row stride",
        source="backward passes right only for stride 1",
        tests=(FAST_STRATEGIES, FAST_BACKWARD, TORCH_CONV),
        patches=_patch(
            "_col2im.py",
            "rows * wp * item, sh * wp * item, item)",
            "rows * wp * item, wp * item, item)",
        ),
    ),
    Mutant(
        name="wide-row-pitch-of-output",
        target="col2im (full-width rows)",
        description="the full-width path offsets kernel rows by the output width instead of "
        "the padded width",
        source="flat-index arithmetic with the wrong row pitch",
        tests=(FAST_STRATEGIES, FAST_BACKWARD, TORCH_CONV),
        patches=_patch(
            "_col2im.py",
            "offset = (a * dh * wp + b * dw) * item",
            "offset = (a * dh * wo + b * dw) * item",
        ),
    ),
    # -- the loop specification -------------------------------------------------------------
    Mutant(
        name="naive-forward-groups-mixed-up",
        target="naive spec",
        description="the loop forward reads the first group's input channels for every output "
        "channel",
        source="grouped convolution reduced to a channel-count check",
        tests=(SPEC_FORWARD, FAST_FORWARD, TORCH_SPEC),
        patches=_patch(
            "naive.py",
            "y[n, o, i, j] = np.sum(xp[n, channels, rows, cols] * w[o])",
            "y[n, o, i, j] = np.sum(xp[n, :c_in, rows, cols] * w[o])",
        ),
    ),
    Mutant(
        name="naive-dx-kernel-not-rotated",
        target="naive spec",
        description="the loop backward scatters the flipped kernel: dX = full correlation of "
        "δ with w instead of rot180(w)",
        source="published backprop code with the rotation missing in dX",
        tests=SPEC_BACKWARD_TESTS,
        patches=_patch(
            "naive.py",
            "grad_xp[n, channels, rows, cols] += delta * w[o]\n",
            "grad_xp[n, channels, rows, cols] += delta * w[o, :, ::-1, ::-1]\n",
        ),
    ),
    Mutant(
        name="naive-dw-kernel-rotated",
        target="naive spec",
        description="the loop backward rotates each window before adding it to the weight "
        "gradient",
        source="derivations that rotate the kernel in both gradients",
        tests=SPEC_BACKWARD_TESTS,
        patches=_patch("naive.py", NAIVE_GRAD_W, NAIVE_GRAD_W + "[..., ::-1, ::-1]"),
    ),
    Mutant(
        name="naive-dw-transposed",
        target="naive spec",
        description="the loop backward reads each window column-major into the weight "
        "gradient (transposed for square kernels)",
        source="the correction in Jae Duk Seo's single-kernel CNN article: its first weight "
        "gradient was transposed",
        tests=SPEC_BACKWARD_TESTS,
        patches=_patch(
            "naive.py",
            NAIVE_GRAD_W,
            "grad_w[o] += delta * np.swapaxes(xp[n, channels, rows, cols], -1, -2)"
            ".reshape(w[o].shape)",
        ),
    ),
    Mutant(
        name="naive-dw-first-example-only",
        target="naive spec",
        description="the loop backward reads the first example's window for every example",
        source="numpy-ml's naive backward, never called by its own tests",
        tests=SPEC_BACKWARD_TESTS,
        patches=_patch(
            "naive.py", NAIVE_GRAD_W, "grad_w[o] += delta * xp[0, channels, rows, cols]"
        ),
    ),
    Mutant(
        name="naive-dw-groups-mixed-up",
        target="naive spec",
        description="the loop backward reads the first group's channels for every group's "
        "weight gradient",
        source="PyTorch's nn.grad.conv2d_weight, wrong for groups > 1 (Bugs that shipped)",
        tests=SPEC_BACKWARD_TESTS,
        patches=_patch("naive.py", NAIVE_GRAD_W, "grad_w[o] += delta * xp[n, :c_in, rows, cols]"),
    ),
    Mutant(
        name="naive-dx-crop-uses-far-padding",
        target="naive spec",
        description="the loop backward crops the input gradient by the bottom/right padding: "
        "off by one or more for asymmetric padding",
        source="off-by-one padding in the input gradient, hidden by symmetric padding",
        tests=SPEC_BACKWARD_TESTS,
        patches=_patch(
            "naive.py",
            "    (t, _), (l, _) = pads\n    h, w = hw\n",
            "    (_, t), (_, l) = pads\n    h, w = hw\n",
        ),
    ),
    Mutant(
        name="naive-transpose-groups-mixed-up",
        target="naive spec",
        description="the loop transposed convolution scatters every group into the first "
        "group's output channels",
        source="PyTorch's nn.grad.conv2d_weight, wrong for groups > 1 (Bugs that shipped)",
        tests=(SPEC_ADJOINT, FAST_TRANSPOSE, TORCH_TRANSPOSE),
        patches=_patch(
            "naive.py",
            "channels = slice(group * out_per_group, (group + 1) * out_per_group)",
            "channels = slice(0, out_per_group)",
        ),
    ),
]
