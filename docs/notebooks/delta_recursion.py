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
# # Replay: the delta recursion and the weight-sharing matrix
#
# **Source:** qrsforever, [*神经网络之卷积过程实例*][source] (a worked example of the
# convolution process in a neural network, 2019), notes that derive the backward pass of a fully
# connected network as a recursion on $\delta^l = \partial E / \partial z^l$,
# then show a 2-D convolution as a fully connected layer whose weights are
# shared.
#
# **Architecture:** a fully connected network 4 → 5 → 3 → 2 with biases and
# activations tanh, arctan, sigmoid; six examples at once (one per row), loss
# $E = \tfrac12 \sum (a^L - t)^2$. Then the article's 3x3 image and 2x2 kernel.
#
# **Verified here:** the recursion, run with explicit arrays
# (`cnnref.examples.delta_recursion.deltas`), gives exactly the gradients of
# `Sequential`'s backward pass, and both pass `gradcheck`; the article's
# convolution example reproduces; the shared-weight matrix's backward pass is
# the convolution's.
#
# [source]: https://qrsforever.github.io/

# %%
import matplotlib.pyplot as plt
import numpy as np

import cnnref
from cnnref.examples import FIGURE_STYLE, loss_gradcheck
from cnnref.examples import delta_recursion as dr

# %% tags=["hide-input"]
# Figures for both palettes (no background, grey text and lines). A first figure
# starts the inline backend, which sets its own defaults; the style comes after.
plt.close(plt.figure())
plt.rcParams.update(FIGURE_STYLE)

# %% [markdown]
# ## The recursion
#
# With $z^l = a^{l-1} W^{l\top} + b^l$ and $a^l = f_l(z^l)$ (examples in
# rows), the chain rule gives, from the output back:
#
# $$\delta^L = (a^L - t) \odot f_L'(z^L), \qquad
# \delta^l = \big(\delta^{l+1} W^{l+1}\big) \odot f_l'(z^l),$$
#
# $$\frac{\partial E}{\partial W^l} = \delta^{l\top} a^{l-1}, \qquad
# \frac{\partial E}{\partial b^l} = \textstyle\sum_{\text{rows}} \delta^l .$$
#
# (The article writes column vectors, $\delta^l = (W^{l+1})^\top \delta^{l+1}
# \sigma'(z^l)$, the product with $\sigma'$ meant entry by entry: the same
# statement transposed, with the $\odot$ written out here.)

# %%
model = dr.mlp((4, 5, 3, 2), ("tanh", "arctan", "sigmoid"), seed=0)
rng = np.random.default_rng(1)
x = rng.standard_normal((6, 4))
t = rng.random((6, 2))

delta, by_recursion = dr.deltas(model, x, t)
loss, by_library = dr.gradients(model, x, t)
for name in by_library:
    diff = np.max(np.abs(by_recursion[name] - by_library[name]))
    shape = str(by_library[name].shape)
    print(f"{name:9s} shape {shape:7s} recursion - library: {diff:.1e}")
    assert diff < 1e-14

check = loss_gradcheck(
    model, lambda m: (dr.gradients(m, x, t)[0], dr.deltas(m, x, t)[1])
)
print("recursion against finite differences:", check)
assert check.max_error < 1e-6

# %% [markdown]
# Each layer's $\delta$ for the six examples, from the input side (left) to
# the output (right). Here the magnitudes shrink as they travel back (asserted
# below): every step multiplies by a weight matrix that shrinks every vector
# here (its largest singular value, its spectral norm, is below 1 for all
# three layers at these weights) and by an activation derivative of at most 1.

# %% tags=["hide-input"]
fig, ax = plt.subplots(
    1,
    3,
    figsize=(10, 3.4),
    gridspec_kw={"width_ratios": [5, 3, 2]},
    layout="constrained",
)
m = max(np.abs(d).max() for d in delta)
for i, (a, d) in enumerate(zip(ax, delta, strict=True)):
    im = a.imshow(d, cmap="RdBu", vmin=-m, vmax=m, aspect="auto")
    a.set_title(f"δ of layer {i + 1}\nrms {np.sqrt(np.mean(d**2)):.3f}")
    a.set_xlabel("unit")
ax[0].set_ylabel("example")
fig.colorbar(im, ax=ax, shrink=0.8)
plt.show()

# %%
rms = [np.sqrt(np.mean(d**2)) for d in delta]
assert rms[0] < rms[1] < rms[2]
weights = [v for k, v in model.parameters().items() if k.endswith("weight")]
assert all(np.linalg.norm(w, 2) < 1 for w in weights)  # spectral norms

# %% [markdown]
# ## Convolution as a fully connected layer with shared weights
#
# The article's example: the image with entries 1 to 9 convolved ("valid",
# true convolution, so the kernel is rotated by 180 degrees) with the kernel
# $\begin{pmatrix}1&2\\3&4\end{pmatrix}$ gives
# $\begin{pmatrix}23&33\\53&63\end{pmatrix}$. As a matrix, each of the four
# outputs is a row of a 4x9 matrix $C$ holding the four kernel entries at the
# pixels that output reads, so $\operatorname{vec}(y) = C
# \operatorname{vec}(x)$: a fully connected layer with 36 weights of which
# only 4 are free.

# %%
image = np.arange(1.0, 10.0).reshape(3, 3)
kernel = np.array([[1.0, 2.0], [3.0, 4.0]])
y = cnnref.convolve2d(image, kernel, "valid")
C = dr.sharing_matrix(kernel, (3, 3))
print("convolve2d:\n", y)
assert np.array_equal(y, [[23, 33], [53, 63]])
assert np.array_equal(C @ image.ravel(), y.ravel())

taps = dr.sharing_matrix(
    np.array([[1, 2], [3, 4]]), (3, 3)
)  # which tap sits where

# %% tags=["hide-input"]
fig, ax = plt.subplots(figsize=(7, 3))
ax.imshow(taps, cmap="Blues", vmin=0, vmax=6)
for (i, j), v in np.ndenumerate(taps):
    if v:
        ax.text(
            j,
            i,
            f"k{int(v)}",
            ha="center",
            va="center",
            fontsize=9,
            color="black",
        )
ax.set_xticks(range(9), [f"x{i + 1}" for i in range(9)])
ax.set_yticks(range(4), [f"y{i + 1}" for i in range(4)])
ax.set_title("C: the same four kernel entries in every row (true convolution)")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## The recursion through a shared-weight layer
#
# Treat $C$ as a dense layer and apply the recursion: the gradient reaching
# the image is $C^\top \delta$, and the gradient of the dense weights is
# $\delta^\top \operatorname{vec}(x)$, a 4x9 array. Because the 36 weights are
# 4 shared values, the gradient of each kernel entry is the sum of the
# entries of that array where it sits. Both must equal the convolution's own
# backward pass, `conv2d_backward` (which works with the cross-correlation
# kernel $\mathrm{rot180}(K)$, hence the rotations below).

# %%
d = rng.standard_normal(4)  # an upstream gradient on the four outputs
dense = cnnref.Dense(9, 4, bias=False)
dense.load_parameters({"weight": C})
dense.forward(image.reshape(1, 9))
grad_image = dense.backward(d.reshape(1, 4)).reshape(3, 3)
grad_C = dense.gradients()["weight"]
grad_kernel = np.array(
    [[grad_C[taps == v].sum() for v in row] for row in [[1, 2], [3, 4]]]
)

gx, gw, _ = cnnref.conv2d_backward(
    d.reshape(1, 1, 2, 2),
    image[None, None],
    cnnref.rot180(kernel)[None, None],
)
assert np.allclose(grad_image, gx[0, 0], rtol=0, atol=1e-13)
assert np.allclose(grad_kernel, cnnref.rot180(gw[0, 0]), rtol=0, atol=1e-13)
print(
    "Cᵀδ as an image = conv2d_backward's input gradient:\n",
    np.round(grad_image, 4),
)
print(
    "summed shared-weight gradients",
    "= conv2d_backward's kernel gradient:\n",
    np.round(grad_kernel, 4),
)


def forward(k):
    return dr.sharing_matrix(k, (3, 3)) @ image.ravel()


def backward(g, k):
    full = np.outer(g, image.ravel())
    return {
        "k": np.array(
            [[full[taps == v].sum() for v in row] for row in [[1, 2], [3, 4]]]
        )
    }


check = cnnref.gradcheck(forward, backward, {"k": kernel})
print(check)
assert check.max_error < 1e-6

# %% [markdown]
# ## What was verified
#
# - The delta recursion written out with arrays equals `Sequential`'s
#   backward pass for every weight and bias (to $10^{-14}$), and passes
#   `gradcheck`.
# - The article's example convolution gives $23, 33, 53, 63$, and the
#   shared-weight matrix reproduces it.
# - Through the shared-weight matrix, the recursion's $C^\top\delta$ is the
#   input gradient of the convolution, and the summed weight gradients are
#   its kernel gradient, also confirmed by `gradcheck`.
