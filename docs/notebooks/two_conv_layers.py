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
# # Replay: two convolution layers and the padded backward step
#
# **Source:** Jae Duk Seo, [*Only Numpy: Understanding Back Propagation for
# Transpose Convolution in Multi Layer CNN with Example and Interactive
# Code*][source], which trains a CNN of two convolution layers
# and one fully connected layer by hand and explains the backward pass through
# the second convolution as a convolution with a zero-padded kernel. The
# article later published corrections to its hand-written equations (two
# columns of the forward pass swapped, wrong coordinates in the kernel
# derivative): exactly the kind of slip a numerical gradient check catches.
#
# **Architecture** (the article's sizes; activations tanh and arctan, as in
# its code):
#
# $$\begin{aligned}
# x\ (4{\times}4) &\xrightarrow{\ \star K_1\ (2{\times}2)\ } z_1\ (3{\times}3)
# \xrightarrow{\tanh} a_1 \xrightarrow{\ \star K_2\ (2{\times}2)\ } z_2\ (2{\times}2) \\
# &\xrightarrow{\arctan} a_2 \xrightarrow{\ w^\top
# \operatorname{vec}(\cdot)\ } \xrightarrow{\sigma} \hat y,
# \qquad L = \tfrac12 \sum (\hat y - t)^2 .
# \end{aligned}$$
#
# The article's training images are not in its text, so the replay makes its
# own: eight noisy 4x4 images holding one bar, target 1 for a vertical bar
# and 0 for a horizontal one. Full-batch gradient descent, learning rate 0.5,
# 400 epochs, standard normal initial weights with a fixed seed.
#
# **Verified here:** the training gradients pass `gradcheck`; the network
# learns the task; the padded step computed the article's way (pad the
# kernel) and the textbook way (pad $\delta$) equals what the library's
# backward pass produces. Code: `cnnref.examples.two_conv`.
#
# [source]: https://towardsdatascience.com/only-numpy-understanding-back-propagation-for-transpose-convolution-in-multi-layer-cnn-with-c0a07d191981

# %%
import matplotlib.pyplot as plt
import numpy as np

from cnnref.examples import FIGURE_STYLE, loss_gradcheck
from cnnref.examples import two_conv as tc

# %% tags=["hide-input"]
# Figures for both palettes (no background, grey text and lines). A first figure
# starts the inline backend, which sets its own defaults; the style comes after.
plt.close(plt.figure())
plt.rcParams.update(FIGURE_STYLE)

# %%
x, t = tc.data()
print(tc.network(0))

# %% [markdown]
# ## Training

# %%
check = loss_gradcheck(tc.network(0), lambda m: tc.gradients(m, x, t))
print("at the initial weights:", check)
assert check.max_error < 1e-6

model, loss = tc.train(x, t)
y = model.forward(x).ravel()
accuracy = np.mean((y > 0.5) == (t.ravel() > 0.5))
print(f"loss {loss[0]:.4f} -> {loss[-1]:.5f};", end=" ")
print(f"training accuracy {accuracy:.0%}")
check = loss_gradcheck(model, lambda m: tc.gradients(m, x, t))
print("at the trained weights:", check)
assert check.max_error < 1e-6
assert loss[-1] < 0.01 * loss[0]

# %% tags=["hide-input"]
fig, ax = plt.subplots(
    1, 2, figsize=(10, 3.2), gridspec_kw={"width_ratios": [1.3, 1]}
)
ax[0].semilogy(loss)
ax[0].set_xlabel("epoch")
ax[0].set_ylabel("½ Σ (ŷ - t)²")
ax[0].set_title("training loss")
ax[1].bar(range(len(y)), y, color=["C1" if ti else "C0" for ti in t.ravel()])
ax[1].axhline(0.5, color="grey", lw=1, ls="--")
ax[1].set_xlabel("image (orange: vertical bar)")
ax[1].set_title("ŷ after training")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## The padded step
#
# Write $\delta_2 = \partial L / \partial z_2$ (2x2). Each entry of $a_1$
# (3x3) feeds up to four entries of $z_2$, each through a different kernel
# tap, so
#
# $$\frac{\partial L}{\partial a_1} = \delta_2 \mathbin{*_{\text{full}}} K_2
# = \operatorname{pad}_1(\delta_2) \star \mathrm{rot180}(K_2)
# = \operatorname{pad}_1(K_2) * \delta_2 ,$$
#
# where $*$ is true convolution and $\star$ cross-correlation. The last form
# is the article's: it pads the *kernel* with a ring of zeros and convolves
# $\delta_2$ over it. Full convolution is commutative, so padding the kernel
# or padding $\delta_2$ gives the same 3x3 array. (The article writes its
# forward pass as true convolution, so its kernel is the 180-degree rotation
# of the one stored here; its "rotate before convolving" and ours describe the
# same arithmetic.) The numbers, for the first training image and the trained
# weights:

# %%
step = tc.padded_step(model, x, t, sample=0)
assert np.allclose(step.via_padded_kernel, step.library, rtol=0, atol=1e-15)
assert np.allclose(step.via_padded_delta, step.library, rtol=0, atol=1e-15)


def show(ax, title, img, scale=1e3):
    m = np.abs(img).max() or 1.0
    ax.imshow(img, cmap="RdBu", vmin=-m, vmax=m)
    for (i, j), v in np.ndenumerate(img):
        ax.text(
            j,
            i,
            f"{v * scale:.2f}",
            ha="center",
            va="center",
            fontsize=12,
            color="white"
            if abs(v) > 0.6 * m
            else "black",  # readable on the cell
        )
    ax.set_title(title, fontsize=12)
    ax.set_xticks([])
    ax.set_yticks([])


# %% tags=["hide-input"]
fig, ax = plt.subplots(2, 3, figsize=(10, 6.4))
show(ax[0, 0], "δ₂ (×10³)", step.delta2)
show(ax[0, 1], "kernel K₂ padded", step.padded_kernel, scale=1)
show(ax[0, 2], "pad(K₂) * δ₂ (×10³)", step.via_padded_kernel)
show(ax[1, 0], "δ₂ padded (×10³)", step.padded_delta)
show(ax[1, 1], "rot180(K₂)", np.rot90(step.kernel2, 2), scale=1)
show(ax[1, 2], "pad(δ₂) ⋆ rot180(K₂) (×10³)", step.via_padded_delta)
fig.suptitle("∂L/∂a₁ two ways: pad the kernel (top) or pad δ₂ (bottom)")
fig.tight_layout()
plt.show()

# %%
print("∂L/∂a₁ from the library's backward pass (×10³):")
print(np.round(step.library * 1e3, 4))

# %% [markdown]
# ## What was verified
#
# - Every gradient used in training passes `gradcheck`, at the initial and
#   at the trained weights, and the loss falls by more than a factor of 100.
# - The padded step: the article's form (zero-padded kernel, convolved with
#   $\delta_2$), the textbook form (zero-padded $\delta_2$, correlated with
#   the rotated kernel) and `Sequential.backward` agree to $10^{-15}$.
