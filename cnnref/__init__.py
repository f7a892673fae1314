"""cnnref: a numpy reference implementation of convolutional-network backpropagation.

Every function here is checked against SymPy derivations, finite differences,
``scipy.signal`` and PyTorch (see the project's verification report). The
library imports numpy only.

Conventions: NCHW arrays, OIHW weights; :func:`conv2d` computes
**cross-correlation** (what frameworks call convolution); :func:`convolve2d`
is true convolution, i.e. correlation with :func:`rot180` of the kernel.
"""

from .conv import conv2d, conv2d_backward, conv_transpose2d
from .naive import conv2d_backward_naive, conv2d_naive, conv_transpose2d_naive
from .shapes import conv_output_size, conv_remainder, conv_transpose_output_size
from .signal import convolve2d, correlate2d, dilate2d, pad2d, rot180

__all__ = [
    "conv2d",
    "conv2d_backward",
    "conv2d_backward_naive",
    "conv2d_naive",
    "conv_output_size",
    "conv_remainder",
    "conv_transpose2d",
    "conv_transpose2d_naive",
    "conv_transpose_output_size",
    "convolve2d",
    "correlate2d",
    "dilate2d",
    "pad2d",
    "rot180",
]
