"""Public reports of gradient bugs that frameworks, converters and course solutions shipped.

Each is attached to the mutant that puts the same mistake into cnnref (see
:class:`~tests.mutants.model.Report`); ``make mutate`` writes them into the
kill table and the site's "Bugs that shipped" page shows them beside the test
that catches the mutant and the proof of the right formula. Every entry was
read in its public thread; ``what`` says what went wrong in this project's
words.
"""

from __future__ import annotations

from .model import Report

GROUPS_WEIGHT = Report(
    framework="PyTorch 1.7",
    headline="the weight gradient of a grouped convolution",
    title="Convolution weight gradient computation in nn.grad is wrong with groups > 1",
    url="https://github.com/pytorch/pytorch/issues/51430",
    what="torch.nn.grad.conv2d_weight, the helper that computes a convolution's weight "
    "gradient, disagreed with autograd whenever groups > 1: each group's gradient must pair "
    "the group's own input channels with its own output channels.",
    statement="D5.corr.dw",
)
DEPTHWISE_STRIDE = Report(
    framework="PyTorch (a dependency's kernel)",
    headline="a depthwise weight gradient with stride 2 drops the last input row",
    title="[group conv backward] wrong value calculated",
    url="https://github.com/pytorch/pytorch/issues/50042",
    what="A 24-channel depthwise 3x3 convolution with stride 2 and padding 1 on a 6x6 input of "
    "ones gave the weight gradient [[4,6,6],[6,9,9],[4,6,6]] instead of "
    "[[4,6,6],[6,9,9],[6,9,9]]: the bottom kernel row read the last input row as if it were "
    "padding (23 or 25 groups were right).",
    statement="D5.corr.dw",
)
REMAINDER_ROWS = Report(
    framework="Torch7",
    headline="the input gradient loses the rows a stride remainder leaves out",
    title="Bug in SpatialConvolution",
    url="https://github.com/torch/DEPRECEATED-torch7-distro/issues/20",
    what="With a 32x32 input, a 5x5 kernel and stride 2 no window reads the last row and "
    "column; the backward pass returned a 31x31 input gradient instead of 32x32 with zeros "
    "there.",
    statement="D6.corr.dx.unread",
)
STRIDE_NOT_MULTIPLIED = Report(
    framework="deeplearning.ai course solutions",
    headline="the stride left out of the backward pass",
    title="stride not multiplied in backward pass",
    url="https://github.com/enggen/Deep-Learning-Coursera/issues/7",
    what="Solutions of the convolutional-network assignment, copied widely, sliced the "
    "windows of the backward pass as if the stride were 1 (vert_start = h instead of "
    "h·stride), so every strided layer got a wrong gradient; the same fix was merged in "
    "another solutions repository.",
    statement="D5.corr.dx",
    also=(
        ("deep-learning-coursera", "https://github.com/Kulbear/deep-learning-coursera/pull/34"),
    ),
)
OUTPUT_PADDING = Report(
    framework="FlagGems",
    headline="the input gradient computed without output_padding",
    title="[KUNLUNXIN] fix conv2d",
    url="https://github.com/flagos-ai/FlagGems/pull/1576",
    what="The convolution's input gradient was computed as a transposed convolution without "
    "output_padding, so where a stride remainder leaves rows out it was wrong: 43.7% of "
    "the elements, the largest error 49.9.",
    statement="D5.adjoint",
)
TIES = Report(
    framework="TensorFlow",
    headline="max pooling's tie rule differs between operations and libraries",
    title="Gradient of tf.reduce_max and tf.nn.max_pool don't agree with each other, and theano",
    url="https://github.com/tensorflow/tensorflow/issues/4886",
    what="For the input [1, 2, 2, 2] max_pool sent the whole gradient to one tied maximum, "
    "reduce_max split it three ways and Theano gave 1 to each: the gradient at a tie is a "
    "convention, and a reference must follow one (PyTorch's: the first maximum) exactly.",
    statement="D7.max-backward",
)
MAXPOOL_OVERWRITE = Report(
    framework="NNlib.jl (Flux)",
    headline="overlapping max-pool windows overwrite each other's gradient",
    title="Wrong MaxPool gradient",
    url="https://github.com/FluxML/NNlib.jl/issues/205",
    what="With overlapping windows (kernel 3, stride 2, padding 1, ResNet's stem) an entry "
    "that is the maximum of several windows must receive the sum of their gradients; the "
    "backward pass assigned with = instead of adding, so one window's gradient survived.",
    statement="D7.max-backward",
)
CEIL_DIVISOR_FORWARD = Report(
    framework="PyTorch 2 (torch.compile)",
    headline="average pooling with ceil_mode divides the overhanging window by the whole kernel",
    title="[torch.compile] returns inconsistent value `AvgPool` when `ceil_mode = True`",
    url="https://github.com/pytorch/pytorch/issues/100987",
    what="With ceil_mode the last window runs past the padded input; the compiled kernel "
    "divided every window by kh·kw (9 for a 3x3 kernel where a border window holds 6 "
    "positions). The same mistake shipped in coremltools, tract and ROOT's SOFIE.",
    statement="D7.avg-backward",
    also=(
        ("coremltools", "https://github.com/apple/coremltools/pull/2844"),
        ("tract", "https://github.com/sonos/tract/pull/2851"),
        ("ROOT (TMVA SOFIE)", "https://github.com/root-project/root/issues/22523"),
    ),
)
CEIL_DIVISOR_BACKWARD = Report(
    framework="PyTorch (torch.compile) and burn",
    headline="average pooling's backward divides by the whole kernel while its forward does not",
    title="burn-flex: avg_pool2d_backward divisor disagrees with forward in ceil_mode with "
    "count_include_pad",
    url="https://github.com/tracel-ai/burn/issues/5604",
    what="The forward pass divided the overhanging last window by its clipped size, the "
    "backward by kh·kw: on [1, 2, 3, 4, 5] with kernel 2, stride 2 and ceil_mode the last "
    "entry's gradient came out 0.5 instead of 1. PyTorch's compiled backward shipped the same.",
    statement="D7.avg-backward",
    also=(("PyTorch (torch.compile)", "https://github.com/pytorch/pytorch/issues/198119"),),
)
CEIL_DIVISOR_NO_PAD = Report(
    framework="ROOT (TMVA SOFIE)",
    headline="count_include_pad off, and the overhang still counted",
    title="[tmva][sofie] AveragePool with ceil_mode divides the partial/overhang window by the "
    "full kernel size",
    url="https://github.com/root-project/root/issues/22523",
    what="Generated code divided the partial last window by the kernel size even with "
    "count_include_pad off: [1..6] with kernel 3, stride 2 and ceil_mode gave "
    "[2, 4, 3.667] instead of [2, 4, 5.5].",
    statement="D7.avg-backward",
)
OVERRIDE_IGNORED = Report(
    framework="ExecuTorch",
    headline="divisor_override ignored when count_include_pad is off",
    title="Fix avg_pool2d divisor_override being ignored when count_include_pad is false.",
    url="https://github.com/pytorch/executorch/pull/18616",
    what="With count_include_pad=False the kernel always divided by the number of input "
    "entries in the window, silently ignoring divisor_override.",
    statement="D7.avg-backward",
)
CEIL_EMPTY_WINDOW = Report(
    framework="PyTorch",
    headline="ceil_mode adds a window that lies entirely outside the input",
    title="Bug in max_pool2d with ceil_mode under certain conditions",
    url="https://github.com/pytorch/pytorch/issues/45357",
    what="max_pool2d of a 6x7 input with kernel 1, stride 2 and ceil_mode returned 4x4 "
    "instead of 3x4: a last row of windows starting past the input, all -inf. The fix made "
    "the rule that every window starts inside the input or its leading padding.",
    statement="D7.pool-output-size",
)
REFLECT_BACKWARD = Report(
    framework="PyTorch 2 (torch.compile)",
    headline="the backward pass of reflect padding",
    title="`torch.compile` produce wrong backward gradient result in `pad` when `mode=reflect`",
    url="https://github.com/pytorch/pytorch/issues/100793",
    what="The compiled reflect-padding backward folded the border's gradient onto the wrong "
    "entries (the report's trigger was a negative pad on one axis, which cnnref refuses; the "
    "mutant folds reflect's copies the way replicate's are folded).",
    statement="D7.mode-input",
)
CIRCULAR_AXES = Report(
    framework="PyTorch 1.5",
    headline="circular padding applied to the wrong axes",
    title="Circular padding in Conv2d applies padding across the wrong dimension (regression "
    "from 1.4)",
    url="https://github.com/pytorch/pytorch/issues/37844",
    what="Conv2d with padding_mode='circular' padded the height by the width's amount and "
    "the width by the height's: an output of 20x8 where 18x10 was right (fixed in 1.5.1).",
    statement="D7.mode-input",
)
SAME_OFFSET = Report(
    framework="TensorFlow 1.2",
    headline="'SAME' padding placed differently in the forward and backward passes",
    title="conv2d on CPU does not numerical gradient check, possibly because the forward has "
    "an offset but the backward not when padding values are negative.",
    url="https://github.com/tensorflow/tensorflow/issues/11092",
    what="For some 'SAME' configurations the CPU gradient failed a numerical gradient "
    "check. The report, still open, suggests why: the forward pass applied the padding "
    "(negative there) as an offset into the input and the backward pass did not, so the "
    "two disagreed. The mutant gives the backward pass the other split of an odd 'same' "
    "padding.",
    statement="D5.corr.dx",
)
TRANSPOSE_SWAPPED = Report(
    framework="candle",
    headline="the transposed convolution's weight gradient with stride and dilation swapped",
    title="Fix for backprop in ConvTranspose2D with stride of 2",
    url="https://github.com/huggingface/candle/pull/2337",
    what="The weight gradient of conv_transpose2d is a convolution with the roles of input "
    "and gradient exchanged; candle's backward passed that convolution the stride and the "
    "dilation the wrong way round, so training a network with a stride-2 transposed "
    "convolution stopped at a shape mismatch.",
    statement="D7.transpose-weight",
)
