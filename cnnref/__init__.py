"""cnnref: a numpy reference implementation of convolutional-network backpropagation.

Every function here is checked against SymPy derivations, finite differences,
``scipy.signal`` and PyTorch (see the project's verification report). The
library imports numpy only.

Conventions: NCHW arrays, OIHW weights; :func:`conv2d` computes
**cross-correlation** (what frameworks call convolution); :func:`convolve2d`
is true convolution, i.e. correlation with :func:`rot180` of the kernel.

Beyond convolution: pooling and max unpooling (:mod:`cnnref.pooling`, PyTorch's
semantics and options), activations with their derivatives, losses with their
gradients, layers with forward and backward side by side, :class:`Sequential`, the optimizers
:class:`SGD` and :class:`Momentum`, and :func:`gradcheck`.

:mod:`cnnref.examples` rebuilds the source articles' networks from these
parts; the replay notebooks and their tests run that code.
"""

from .activations import (
    arctan,
    arctan_derivative,
    leaky_relu,
    leaky_relu_derivative,
    relu,
    relu_derivative,
    sigmoid,
    sigmoid_derivative,
    softplus,
    softplus_derivative,
    tanh,
    tanh_derivative,
)
from .conv import conv2d, conv2d_backward, conv_transpose2d, conv_transpose2d_backward
from .conv_layers import Conv2D, ConvTranspose2D
from .gradcheck import GradcheckResult, gradcheck, gradcheck_layer
from .layers import (
    Activation,
    ArcTan,
    AvgPool2D,
    Dense,
    Flatten,
    Layer,
    LeakyReLU,
    MaxPool2D,
    ReLU,
    Sigmoid,
    Softplus,
    Tanh,
)
from .losses import (
    binary_cross_entropy,
    binary_cross_entropy_grad,
    binary_cross_entropy_with_logits,
    binary_cross_entropy_with_logits_grad,
    half_sum_squares,
    half_sum_squares_grad,
    log_softmax,
    mse,
    mse_grad,
    softmax,
    softmax_cross_entropy,
    softmax_cross_entropy_grad,
)
from .naive import (
    conv2d_backward_naive,
    conv2d_naive,
    conv_transpose2d_backward_naive,
    conv_transpose2d_naive,
)
from .naive_pooling import (
    avg_pool2d_backward_naive,
    avg_pool2d_naive,
    max_pool2d_backward_naive,
    max_pool2d_naive,
    max_unpool2d_naive,
)
from .optim import SGD, Momentum
from .pooling import (
    avg_pool2d,
    avg_pool2d_backward,
    max_pool2d,
    max_pool2d_backward,
    max_unpool2d,
)
from .sequential import Sequential
from .shapes import (
    conv_output_size,
    conv_remainder,
    conv_transpose_output_size,
    pool_output_size,
)
from .signal import convolve2d, correlate2d, dilate2d, pad2d, pad2d_backward, rot180

__all__ = [
    "SGD",
    "Activation",
    "ArcTan",
    "AvgPool2D",
    "Conv2D",
    "ConvTranspose2D",
    "Dense",
    "Flatten",
    "GradcheckResult",
    "Layer",
    "LeakyReLU",
    "MaxPool2D",
    "Momentum",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softplus",
    "Tanh",
    "arctan",
    "arctan_derivative",
    "avg_pool2d",
    "avg_pool2d_backward",
    "avg_pool2d_backward_naive",
    "avg_pool2d_naive",
    "binary_cross_entropy",
    "binary_cross_entropy_grad",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy_with_logits_grad",
    "conv2d",
    "conv2d_backward",
    "conv2d_backward_naive",
    "conv2d_naive",
    "conv_output_size",
    "conv_remainder",
    "conv_transpose2d",
    "conv_transpose2d_backward",
    "conv_transpose2d_backward_naive",
    "conv_transpose2d_naive",
    "conv_transpose_output_size",
    "convolve2d",
    "correlate2d",
    "dilate2d",
    "gradcheck",
    "gradcheck_layer",
    "half_sum_squares",
    "half_sum_squares_grad",
    "leaky_relu",
    "leaky_relu_derivative",
    "log_softmax",
    "max_pool2d",
    "max_pool2d_backward",
    "max_pool2d_backward_naive",
    "max_pool2d_naive",
    "max_unpool2d",
    "max_unpool2d_naive",
    "mse",
    "mse_grad",
    "pad2d",
    "pad2d_backward",
    "pool_output_size",
    "relu",
    "relu_derivative",
    "rot180",
    "sigmoid",
    "sigmoid_derivative",
    "softmax",
    "softmax_cross_entropy",
    "softmax_cross_entropy_grad",
    "softplus",
    "softplus_derivative",
    "tanh",
    "tanh_derivative",
]
