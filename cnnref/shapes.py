"""The one output-size formula, used by every layer of the library.

For an input of ``size`` entries, a kernel of ``kernel`` taps spread
``dilation`` apart, ``padding`` zeros added before and after, and a step of
``stride``::

    out = floor((size + pad_before + pad_after - dilation * (kernel - 1) - 1) / stride) + 1

which with symmetric padding ``p`` is the familiar
``floor((in + 2p - d(k-1) - 1) / s) + 1``. When the division leaves a
remainder, the last ``remainder`` rows of the padded input are never touched
by any window: their gradient is zero.
"""

from __future__ import annotations


def _pads(padding) -> tuple[int, int]:
    if isinstance(padding, tuple | list):
        before, after = padding
        return int(before), int(after)
    return int(padding), int(padding)


def conv_output_size(size: int, kernel: int, stride: int = 1, padding=0, dilation: int = 1) -> int:
    """Number of output positions along one axis of a convolution or pooling.

    Parameters
    ----------
    size : int
        Input length along the axis.
    kernel : int
        Number of kernel taps along the axis.
    stride, dilation : int
        Step between windows, and between taps of one window (1 = none).
    padding : int or (int, int)
        Zeros added at both ends, or ``(before, after)``.

    Returns
    -------
    int
        ``floor((size + before + after - dilation * (kernel - 1) - 1) / stride) + 1``.
        The value is ``<= 0`` when the dilated kernel does not fit in the
        padded input; callers turn that into an error naming their arguments.
    """
    before, after = _pads(padding)
    span = dilation * (kernel - 1) + 1
    return (size + before + after - span) // stride + 1


def conv_remainder(size: int, kernel: int, stride: int = 1, padding=0, dilation: int = 1) -> int:
    """Rows of the padded input (at the far end) that no window reaches.

    ``(size + before + after - dilation * (kernel - 1) - 1) % stride``.
    """
    before, after = _pads(padding)
    span = dilation * (kernel - 1) + 1
    return (size + before + after - span) % stride


def conv_transpose_output_size(
    size: int,
    kernel: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
) -> int:
    """Output length of a transposed convolution along one axis.

    ``(size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1``.
    While ``output_padding < stride`` it chooses among the ``stride`` input
    lengths whose convolution (same stride, padding and dilation) has
    ``size`` outputs, the largest with ``output_padding = stride - 1``.
    PyTorch also allows ``stride <= output_padding < dilation``: the
    convolution of such a length has ``size + output_padding // stride``
    outputs, and the transposed convolution is the adjoint of its first
    ``size`` (D5 and D6 prove both cases).
    """
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def pool_output_size(
    size: int, kernel: int, stride: int, padding: int = 0, dilation: int = 1, ceil_mode=False
) -> int:
    """Number of windows of a pooling along one axis (PyTorch's rule).

    Without ``ceil_mode`` this is :func:`conv_output_size`. With it the division
    rounds up, so a last, partial window covers the rows a stride remainder
    would leave out; that window is dropped again when it would start in the
    right/bottom padding, i.e. when ``(out - 1) * stride >= size + padding``.
    """
    out = conv_output_size(size, kernel, stride, padding, dilation)
    if ceil_mode:
        span = dilation * (kernel - 1) + 1
        out = -(-(size + 2 * padding - span) // stride) + 1
        if (out - 1) * stride >= size + padding:
            out -= 1
    return out
