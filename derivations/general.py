"""The layers of the general theorem as sums with symbolic limits (cross-correlation, NCHW / OIHW).

Every size and hyper-parameter is a SymPy symbol: batch ``N``; groups ``G``
with ``C_g`` input and ``O_g`` output channels per group (``C = G·C_g``,
``O = G·O_g``; channel ``c'`` of group ``g`` is ``g·C_g + c'``); input
``H x W``; kernel ``k_h x k_w``; stride ``s_h, s_w``; dilation ``d_h, d_w``;
padding ``p_t, p_b, p_l, p_r`` (top, bottom, left, right: 'same' and uneven
padding included); ``H_o x W_o`` windows. Padding is an indicator on the
input's index: ``x_p[n, c, r, q] = x[n, c, r, q]·[0 <= r < H][0 <= q < W]``.

The loss of a layer inside any network is written with its upstream gradient
``δ = ∂L/∂y`` (any array): ``L = Σ δ ⊙ y`` has the same derivatives with
respect to the layer's inputs as the network's loss (the chain rule).

Each function returns a :class:`~derivations.sums.Sum`. The right-hand sides
are built from the operational definitions (dilate, pad, rotate, correlate),
not from the left-hand sides.
"""

from __future__ import annotations

import sympy as sp

from .sums import Sum, amount, index, product, size, sum_of, term

# sizes and hyper-parameters
N, G, Cg, Og = size("N"), size("G"), size("C_g"), size("O_g")
H, W, Ho, Wo = size("H"), size("W"), size("H_o"), size("W_o")
kh, kw, sh, sw, dh, dw = (size(n) for n in ("k_h", "k_w", "s_h", "s_w", "d_h", "d_w"))
pt, pb, pl, pr = (amount(n) for n in ("p_t", "p_b", "p_l", "p_r"))
oph, opw = amount("op_h"), amount("op_w")

# bound indices
n, g, o, c, i, j, a, b = (index(s) for s in ("n", "g", "o'", "c'", "i", "j", "a", "b"))
a1, b1, u, v = index("a'"), index("b'"), index("u"), index("v")
# free indices (the entry a gradient is taken at)
n0, g0, c0, o0 = (index(s) for s in ("n_0", "g_0", "c_0", "o_0"))
r0, q0, a0, b0 = (index(s) for s in ("r_0", "q_0", "a_0", "b_0"))

x, w, bias = sp.IndexedBase("x"), sp.IndexedBase("w"), sp.IndexedBase("b")
delta = sp.IndexedBase("delta")
divisor, alpha, beta = sp.IndexedBase("m"), sp.IndexedBase("alpha"), sp.IndexedBase("beta")

GROUP_SIZES = (Cg, Og)
SIZES = (N, G, Cg, Og, H, W, Ho, Wo, kh, kw, sh, sw, dh, dw, pt, pb, pl, pr, oph, opw)

# The free indices of each gradient and their ranges.
X_ENTRY = x[n0, g0 * Cg + c0, r0, q0]
X_FREE = {n0: N, g0: G, c0: Cg, r0: H, q0: W}
W_ENTRY = w[g0 * Og + o0, c0, a0, b0]
W_FREE = {g0: G, o0: Og, c0: Cg, a0: kh, b0: kw}
B_ENTRY = bias[g0 * Og + o0]
B_FREE = {g0: G, o0: Og}
POOL_ENTRY = x[n0, c0, r0, q0]
POOL_FREE = {n0: N, c0: Cg, r0: H, q0: W}


def identity_taps(p, q):
    return p, q


def rotated_taps(p, q):
    """``rot180``: tap ``(p, q)`` of the layer reads ``w[k_h-1-p, k_w-1-q]``."""
    return kh - 1 - p, kw - 1 - q


def conv_loss(taps=identity_taps, rows_in=None) -> Sum:
    """``L = Σ δ ⊙ conv2d(x, w, b)`` over every sample, group, channel and window.

    ``y[n, g·O_g+o', i, j] = b[g·O_g+o'] + Σ_{c',a,b} w[g·O_g+o', c', a, b] ·
    x_p[n, g·C_g+c', s_h·i + d_h·a - p_t, s_w·j + d_w·b - p_l]``;
    ``taps`` gives the kernel index a tap reads (``rotated_taps``: the
    true-convolution layer ``conv2d(x, rot180(w))``); ``rows_in`` overrides
    the input height ``H`` (the transposed convolution's output height).
    """
    out_channel = g * Og + o
    rows, cols = sh * i + dh * a - pt, sw * j + dw * b - pl
    ta, tb = taps(a, b)
    weight = term(
        [(n, N), (g, G), (o, Og), (i, Ho), (j, Wo), (c, Cg), (a, kh), (b, kw)],
        delta[n, out_channel, i, j] * w[out_channel, c, ta, tb] * x[n, g * Cg + c, rows, cols],
        indicators=[(rows, H if rows_in is None else rows_in), (cols, W)],
    )
    offset = term(
        [(n, N), (g, G), (o, Og), (i, Ho), (j, Wo)],
        delta[n, out_channel, i, j] * bias[out_channel],
    )
    return sum_of(weight, offset)


def dilated_padded_delta(rows: sp.Expr, cols: sp.Expr, channel, top, left, stride=None) -> Sum:
    """``D[rows, cols]`` of ``D = pad(dilate_s(δ))``: ``Σ_{i,j} δ[n_0, channel, i, j]
    [rows = s_h·i + top][cols = s_w·j + left]`` (zero wherever no entry of δ lands)."""
    s_h, s_w = (sh, sw) if stride is None else stride
    return sum_of(
        term(
            [(i, Ho), (j, Wo)],
            delta[n0, channel, i, j],
            [(rows, s_h * i + top), (cols, s_w * j + left)],
        )
    )


def transposed_conv(
    taps=rotated_taps, top=None, left=None, channel=None, spacing=(dh, dw), sample_delta=None
) -> Sum:
    """``∂L/∂x`` as a transposed convolution, from its definition.

    ``(D ⋆ K)[r_0, q_0] = Σ_{o',a',b'} D[n_0, ch, r_0 + d_h·a', q_0 + d_w·b'] ·
    K[ch, c_0, a', b']`` with ``D = pad(dilate_s(δ))`` padded by ``top`` and
    ``left`` (default ``d(k-1) - p``: the correct amount), ``K = rot180(w)``
    by default (``taps``), ``ch = g_0·O_g + o'`` by default (``channel``):
    in and out channels swapped within the group.
    """
    top = dh * (kh - 1) - pt if top is None else top
    left = dw * (kw - 1) - pl if left is None else left
    ch = g0 * Og + o if channel is None else channel
    ta, tb = taps(a1, b1)
    outer = sum_of(term([(o, Og), (a1, kh), (b1, kw)], w[ch, c0, ta, tb]))
    rows, cols = r0 + spacing[0] * a1, q0 + spacing[1] * b1
    inner = dilated_padded_delta(rows, cols, ch, top, left)
    if sample_delta is not None:
        inner = sample_delta(rows, cols, ch)
    return product(outer, inner)


def weight_correlation(taps=identity_taps, spacing=(dh, dw), stride=(sh, sw)) -> Sum:
    """``∂L/∂w[g_0·O_g+o_0, c_0, a_0, b_0]`` from its definition: the padded input
    correlated with δ dilated by the stride, taps ``spacing`` apart, summed over the batch.

    ``Σ_n Σ_{u,v} x_p[n, g_0·C_g+c_0, u + d_h·a, v + d_w·b] · Dδ[n, o, u, v]``
    with ``Dδ[u, v] = Σ_{i,j} δ[n, o, i, j][u = s_h·i][v = s_w·j]`` and
    ``(a, b) = taps(a_0, b_0)`` (``rotated_taps``: rot180 of the result).
    """
    ta, tb = taps(a0, b0)
    ch = g0 * Og + o0
    span_h, span_w = stride[0] * (Ho - 1) + 1, stride[1] * (Wo - 1) + 1
    rows, cols = u + spacing[0] * ta - pt, v + spacing[1] * tb - pl
    return sum_of(
        term(
            [(n, N), (u, span_h), (v, span_w), (i, Ho), (j, Wo)],
            x[n, g0 * Cg + c0, rows, cols] * delta[n, ch, i, j],
            [(u, stride[0] * i), (v, stride[1] * j)],
            [(rows, H), (cols, W)],
        )
    )


def bias_sum() -> Sum:
    """``Σ_{n,i,j} δ[n, g_0·O_g+o_0, i, j]``."""
    return sum_of(term([(n, N), (i, Ho), (j, Wo)], delta[n, g0 * Og + o0, i, j]))


# pooling (one channel axis: pooling is depthwise) ------------------------------------


def avg_pool_loss() -> Sum:
    """``L = Σ δ ⊙ avg_pool2d(x)``: ``y[n,c,i,j] = Σ_{a,b} x_p[n, c, s_h·i+a-p_t, s_w·j+b-p_l]
    / m[i, j]`` with any divisor ``m`` (``k_h·k_w``; the count of entries inside the input
    when ``count_include_pad=False``; ``divisor_override``)."""
    rows, cols = sh * i + a - pt, sw * j + b - pl
    return sum_of(
        term(
            [(n, N), (c, Cg), (i, Ho), (j, Wo), (a, kh), (b, kw)],
            delta[n, c, i, j] * x[n, c, rows, cols] / divisor[i, j],
            indicators=[(rows, H), (cols, W)],
        )
    )


def avg_pool_backward() -> Sum:
    """``(δ/m)`` dilated by the stride, padded by ``k - 1 - p``, correlated with the all-ones
    kernel (its own rot180):
    ``Σ_{a',b'} Σ_{i,j} δ[n_0,c_0,i,j]/m[i,j] [r_0 + a' = s_h·i + k_h-1-p_t]…``.
    """
    outer = sum_of(term([(a1, kh), (b1, kw)], 1))
    rows, cols = r0 + a1, q0 + b1
    inner = sum_of(
        term(
            [(i, Ho), (j, Wo)],
            delta[n0, c0, i, j] / divisor[i, j],
            [(rows, sh * i + kh - 1 - pt), (cols, sw * j + kw - 1 - pl)],
        )
    )
    return product(outer, inner)


def max_pool_loss() -> Sum:
    """``L = Σ δ ⊙ max_pool2d(x)`` with the argmax as index functions: window ``(i, j)`` of
    channel ``c`` takes ``x[n, c, s_h·i + d_h·α - p_t, s_w·j + d_w·β - p_l]``,
    ``(α, β) = (alpha, beta)[n, c, i, j]`` its first maximum in row-major order."""
    rows = sh * i + dh * alpha[n, c, i, j] - pt
    cols = sw * j + dw * beta[n, c, i, j] - pl
    return sum_of(
        term(
            [(n, N), (c, Cg), (i, Ho), (j, Wo)],
            delta[n, c, i, j] * x[n, c, rows, cols],
            indicators=[(rows, H), (cols, W)],
        )
    )


def max_unpool() -> Sum:
    """``max_unpool2d(δ, argmax)[r_0, q_0]``: each δ entry placed at its window's argmax."""
    rows = sh * i + dh * alpha[n0, c0, i, j] - pt
    cols = sw * j + dw * beta[n0, c0, i, j] - pl
    return sum_of(term([(i, Ho), (j, Wo)], delta[n0, c0, i, j], [(r0, rows), (q0, cols)]))


# the number of windows: q = floor(E / s), E the last start a window may have
q = amount("q")
EXTENT_H = H + pt + pb - dh * (kh - 1) - 1
EXTENT_W = W + pl + pr - dw * (kw - 1) - 1
amount_t = amount("t")  # a non-negative offset
