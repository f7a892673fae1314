"""Hypothesis strategies for convolution configurations."""

from __future__ import annotations

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from cnnref.geometry import conv_geometry


@st.composite
def conv_configs(draw, max_hw: int = 8, max_batch: int = 3):
    """A valid (x, w, b, kwargs) for conv2d: random values, every parameter form."""
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    c = groups * draw(st.integers(1, 2))
    o = groups * draw(st.integers(1, 2))
    n = draw(st.integers(1, max_batch))
    h, w = draw(st.integers(1, max_hw)), draw(st.integers(1, max_hw))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = draw(st.sampled_from([1, 2, 3, (1, 2), (3, 1)]))
    dilation = draw(st.sampled_from([1, 2, (1, 2), (3, 1)]))
    padding_forms = [0, 1, 2, (1, 0), (0, 2), (2, 0, 1, 1), (0, 1, 2, 0), "valid"]
    if stride == 1:
        padding_forms.append("same")
    padding = draw(st.sampled_from(padding_forms))
    kwargs = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    try:
        conv_geometry((n, c, h, w), (o, c // groups, kh, kw), **kwargs)
    except ValueError:
        assume(False)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((n, c, h, w))
    weight = rng.standard_normal((o, c // groups, kh, kw))
    bias = draw(st.sampled_from([None, rng.standard_normal(o)]))
    return x, weight, bias, kwargs


@st.composite
def transpose_configs(draw, max_hw: int = 5, max_batch: int = 3):
    """A valid (x, w, b, kwargs) for conv_transpose2d."""
    groups = draw(st.sampled_from([1, 1, 2]))
    c = groups * draw(st.integers(1, 2))
    o = groups * draw(st.integers(1, 2))
    n = draw(st.integers(1, max_batch))
    h, w = draw(st.integers(1, max_hw)), draw(st.integers(1, max_hw))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dh, dw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    oph = draw(st.integers(0, max(sh, dh) - 1))
    opw = draw(st.integers(0, max(sw, dw) - 1))
    assume((h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1 >= 1)
    assume((w - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1 >= 1)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((n, c, h, w))
    weight = rng.standard_normal((c, o // groups, kh, kw))
    bias = draw(st.sampled_from([None, rng.standard_normal(o)]))
    kwargs = {
        "stride": (sh, sw),
        "padding": (ph, pw),
        "output_padding": (oph, opw),
        "dilation": (dh, dw),
        "groups": groups,
    }
    return x, weight, bias, kwargs
