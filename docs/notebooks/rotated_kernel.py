# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Why the kernel is rotated
#
# A 3x3 input $X$, a 2x2 kernel $K$, and the forward pass of every framework:
# the cross-correlation $Z = X \star K$, a 2x2 output. Given the upstream
# gradient $\delta = \partial L / \partial Z$, which entries of $K$ reach an
# input pixel, and in which order? This page answers with pictures and
# numbers computed by `cnnref`; the derivations prove the same statements
# symbolically. The same layer is in the
# <a href="../../explorer/#input=3x3&kernel=2&stride=1&padding=0&dilation=1">explorer</a>:
# select an input cell to see the kernel taps that reach it, or step through
# the rotated kernel sliding over the padded $\delta$.
#
# The sizes are those of the single-kernel network in Jae Duk Seo's
# [*Only Numpy: Implementing Convolutional Neural Network using Numpy*][seo]
# (four 3x3 images, one 2x2 kernel), and the matrix view is the one of
# qrsforever's [*神经网络之卷积过程实例*][qrs] (a worked example of the
# convolution process in a neural network).
#
# [seo]: https://becominghuman.ai/only-numpy-implementing-convolutional-neural-network-using-numpy-deriving-forward-feed-and-back-458a5250d6e4
# [qrs]: https://qrsforever.github.io/

# %%
import matplotlib.pyplot as plt
import numpy as np

import cnnref
from cnnref.examples import FIGURE_STYLE

# %% tags=["hide-input"]
# Figures for both palettes (no background, grey text and lines). A first figure
# starts the inline backend, which sets its own defaults; the style comes after.
plt.close(plt.figure())
plt.rcParams.update(FIGURE_STYLE)

# %%
rng = np.random.default_rng(7)
X = rng.integers(-4, 5, size=(3, 3)).astype(float)
K = np.array([[1.0, 2.0], [3.0, 4.0]])  # deliberately not symmetric
Z = cnnref.correlate2d(X, K, "valid")
delta = rng.standard_normal(
    Z.shape
)  # a random upstream gradient, never all ones
print("Z = X ⋆ K =\n", Z)

# %% [markdown]
# ## Which inputs each kernel entry touches
#
# $Z_{ij} = \sum_{a,b} X_{i+a,\,j+b} K_{ab}$: the entry $K_{ab}$ multiplies the
# input pixels $X_{i+a,\,j+b}$ for every output position $(i, j)$. Each panel
# shades the four pixels one kernel entry touches, and labels each with the
# output it feeds.

# %% tags=["hide-input"]
fig, axes = plt.subplots(1, 4, figsize=(11, 3))
for ax, (a, b) in zip(axes, [(0, 0), (0, 1), (1, 0), (1, 1)], strict=True):
    touched = np.zeros((3, 3))
    for i in range(2):
        for j in range(2):
            touched[i + a, j + b] = 1
            ax.text(
                j + b,
                i + a,
                f"Z{i + 1}{j + 1}",
                ha="center",
                va="center",
                fontsize=10,
                color="black",  # on the opaque cells, whatever the palette
            )
    ax.imshow(touched, cmap="Blues", vmin=0, vmax=1.6)
    ax.set_title(f"K{a + 1}{b + 1} touches")
    ax.set_xticks(range(3))
    ax.set_yticks(range(3))
fig.suptitle(
    "Input pixels read by each kernel entry (labels: the output they feed)"
)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## The gradient of one input pixel runs the kernel backwards
#
# By the chain rule, $\partial L / \partial X_{rc} = \sum_{i,j}
# \delta_{ij}\, K_{r-i,\,c-j}$ over the outputs that read pixel $(r, c)$
# (indices from 0 in the formulas; the labels below count from 1, as the
# article's do). For the centre pixel, the output $Z_{11}$ (top left) reads it through
# $K_{22}$ (bottom right), and $Z_{22}$ (bottom right) reads it through
# $K_{11}$: as the output moves forwards, the tap moves backwards. Laid over
# the outputs, the taps form the kernel rotated by 180 degrees.

# %%
r, c = 1, 1
taps = np.empty((2, 2), dtype=object)
for i in range(2):
    for j in range(2):
        taps[i, j] = f"K{r - i + 1}{c - j + 1}"

# %% tags=["hide-input"]
fig, ax = plt.subplots(1, 2, figsize=(8, 3.4))
ax[0].imshow(np.ones((2, 2)), cmap="Greys", vmin=0, vmax=6)
for i in range(2):
    for j in range(2):
        ax[0].text(
            j,
            i,
            f"δ{i + 1}{j + 1} · {taps[i, j]}",
            ha="center",
            va="center",
            color="black",
        )
ax[0].set_title("terms of ∂L/∂X22, placed at their output")
ax[1].imshow(np.ones((2, 2)), cmap="Greys", vmin=0, vmax=6)
rot = cnnref.rot180(np.array([[11.0, 12.0], [21.0, 22.0]])).astype(int)
for i in range(2):
    for j in range(2):
        ax[1].text(
            j, i, f"K{rot[i, j]}", ha="center", va="center", color="black"
        )
ax[1].set_title("rot180(K)")
for a in ax:
    a.set_xticks([])
    a.set_yticks([])
fig.tight_layout()
plt.show()

# %% [markdown]
# ## δ padded into a full convolution
#
# Every input pixel, edges included, gets its gradient the same way once
# $\delta$ is padded with $k - 1 = 1$ zero on each side: slide
# $\mathrm{rot180}(K)$ over the padded $\delta$ (cross-correlation), or
# equivalently take the *full* true convolution of $\delta$ with $K$:
#
# $$
# \frac{\partial L}{\partial X} = \operatorname{pad}_1(\delta) \star
# \mathrm{rot180}(K) = \delta \mathbin{*_{\text{full}}} K .
# $$
#
# The cell below computes it three ways: the chain rule written out pixel by
# pixel, the padded correlation, and `conv2d_backward`.

# %%
chain_rule = np.zeros_like(X)
for i in range(2):
    for j in range(2):
        for a in range(2):
            for b in range(2):
                chain_rule[i + a, j + b] += delta[i, j] * K[a, b]

padded = cnnref.pad2d(delta, 1)
via_rotation = cnnref.correlate2d(padded, cnnref.rot180(K), "valid")
via_full_convolution = cnnref.convolve2d(delta, K, "full")
grad_x, grad_w, _ = cnnref.conv2d_backward(
    delta[None, None], X[None, None], K[None, None]
)

assert np.allclose(chain_rule, via_rotation)
assert np.allclose(chain_rule, via_full_convolution)
assert np.allclose(chain_rule, grad_x[0, 0])
print("padded delta:\n", np.round(padded, 3))
print("dL/dX: chain rule = padded ⋆ rot180(K)")
print("      = full convolution = conv2d_backward:")
print(np.round(chain_rule, 4))

# %% tags=["hide-input"]
fig, ax = plt.subplots(1, 3, figsize=(10, 3.2))
for a, (title, img) in zip(
    ax,
    [
        ("padded δ", padded),
        ("rot180(K)", cnnref.rot180(K)),
        ("∂L/∂X", chain_rule),
    ],
    strict=True,
):
    a.imshow(
        img,
        cmap="RdBu",
        vmin=-np.abs(img).max(),
        vmax=np.abs(img).max(),
    )
    for (i, j), v in np.ndenumerate(img):
        # black on the pale cells, white on the dark ones
        ink = "white" if abs(v) > 0.6 * np.abs(img).max() else "black"
        a.text(
            j, i, f"{v:.2f}", ha="center", va="center", fontsize=9, color=ink
        )
    a.set_title(title)
    a.set_xticks([])
    a.set_yticks([])
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Without the rotation
#
# Sliding $K$ itself over the padded $\delta$ gives a different array. They
# coincide only for a kernel equal to its own rotation. An all-ones $\delta$
# does not make them coincide: the padded all-ones $\delta$ is unchanged by
# the rotation, so the unrotated result is the right one rotated by 180
# degrees (computed below). It has the same sum, though, so a test that looks
# only at sums or means cannot tell them apart; tests of a backward pass
# compare entry by entry, with random upstream gradients and non-symmetric
# kernels.

# %%
unrotated = cnnref.correlate2d(padded, K, "valid")
err = np.linalg.norm(unrotated - chain_rule) / np.linalg.norm(chain_rule)
print(f"relative error of the unrotated formula: {err:.3f}")
assert err > 0.1

ones = cnnref.pad2d(np.ones((2, 2)), 1)
right = cnnref.correlate2d(ones, cnnref.rot180(K), "valid")
wrong = cnnref.correlate2d(ones, K, "valid")
assert np.array_equal(wrong, cnnref.rot180(right)) and not np.array_equal(
    wrong, right
)
print("all-ones δ, K =", K.tolist())
print("right (rot180(K)):", right.tolist())
print(
    "wrong (K):        ",
    wrong.tolist(),
    "= the right one rotated by 180 degrees",
)

# %% [markdown]
# ## The weight-sharing matrix
#
# Flatten $X$ row by row into a vector of 9 entries and $Z$ into 4. The
# convolution is then a 4x9 matrix $C$ whose rows hold the kernel entries at
# the positions each output reads, and zeros elsewhere: $\operatorname{vec}(Z)
# = C \operatorname{vec}(X)$. The gradient with respect to the input is
# $C^\top \operatorname{vec}(\delta)$, and reading $C^\top$ column by column is
# exactly the full convolution above: the transposed matrix is the
# "transposed convolution".

# %%
C = np.zeros((4, 9))
for i in range(2):
    for j in range(2):
        for a in range(2):
            for b in range(2):
                C[2 * i + j, 3 * (i + a) + (j + b)] = K[a, b]
assert np.allclose(C @ X.ravel(), Z.ravel())
assert np.allclose((C.T @ delta.ravel()).reshape(3, 3), chain_rule)

# %% tags=["hide-input"]
fig, ax = plt.subplots(figsize=(7, 3.4))
ax.imshow(C != 0, cmap="Blues", vmin=0, vmax=1.6)
for (i, j), v in np.ndenumerate(C):
    if v:
        ax.text(j, i, f"K{int(np.argwhere(K == v)[0][0]) + 1}{int(np.argwhere(K == v)[0][1]) + 1}",
                ha="center", va="center", fontsize=9, color="black")  # fmt: skip
ax.set_xticks(
    range(9), [f"X{r + 1}{c + 1}" for r in range(3) for c in range(3)]
)
ax.set_yticks(
    range(4), [f"Z{r + 1}{c + 1}" for r in range(2) for c in range(2)]
)
ax.set_title("C: vec(Z) = C vec(X); the input gradient is Cᵀ vec(δ)")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## The weight gradient is not rotated
#
# The kernel gradient collects, for each tap, the input pixels that tap read,
# weighted by $\delta$: $\partial L / \partial K = X \star \delta$, a plain
# cross-correlation with no rotation. In the true-convolution convention the
# same gradient reads $\mathrm{rot180}(X \star \delta)$; updating the
# kernel without that rotation is the mistake Seo's single-kernel article
# corrected in a later revision (see the [errata](../../errata/)).

# %%
via_correlation = cnnref.correlate2d(X, delta, "valid")
assert np.allclose(via_correlation, grad_w[0, 0])
rotated = cnnref.rot180(via_correlation)
err_w = np.linalg.norm(rotated - via_correlation) / np.linalg.norm(
    via_correlation
)
print("dL/dK = X ⋆ δ =\n", np.round(via_correlation, 4))
print(f"relative error if it were rotated: {err_w:.3f}")
