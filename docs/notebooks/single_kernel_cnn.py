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
# # Replay: the single-kernel CNN and its unrotated kernel update
#
# **Source:** Jae Duk Seo, [*Only Numpy: Implementing Convolutional Neural
# Network using Numpy (Deriving Forward Feed and Back Propagation) with
# Interactive Code*][source], a numpy-only CNN whose forward and backward
# passes are derived by hand. **Architecture:** four 3x3 images $x_n$, one 2x2
# kernel $K$, a tanh, a dense layer of four weights $w$ and a sigmoid:
#
# $$\hat y_n = \sigma\big(w^\top \operatorname{vec}\tanh(x_n \star K)\big),
# \qquad L = \tfrac12 \sum_n (\hat y_n - t_n)^2 ,$$
#
# where $\star$ is cross-correlation, as `cnnref.Conv2D` computes it (see the
# [notation](../../notation/)). The article writes a true convolution, which is
# the same layer with its kernel stored rotated.
#
# The images and targets follow the article's description: the more ones an
# image holds, the larger its target, and the largest target is 1.1, which a
# sigmoid can never reach (so the loss cannot go to zero). Training here is
# full-batch gradient descent, learning rate 0.5, 300 epochs, weights drawn
# from a standard normal with a fixed seed.
#
# **The article's correction.** A later revision of the article says that its
# kernel gradient comes out in the order w(2,2), w(2,1) over w(1,2), w(1,1),
# which is the kernel rotated by 180 degrees (the article calls the fix a
# transpose), and that the first version updated the kernel with it without
# putting it back.
# Replaying that first version means applying $\mathrm{rot180}(\partial
# L/\partial K)$ in place of $\partial L/\partial K$ at every step.
#
# **Verified here:** the gradients used for training pass `gradcheck`; the
# uncorrected update does not; how far it is from the true gradient (cosine
# similarity, relative error) and what it does to training, on one seed and
# on twenty. The code is `cnnref.examples.single_kernel`.
#
# [source]: https://becominghuman.ai/only-numpy-implementing-convolutional-neural-network-using-numpy-deriving-forward-feed-and-back-458a5250d6e4

# %%
import matplotlib.pyplot as plt
import numpy as np

import cnnref
from cnnref.examples import FIGURE_STYLE, loss_gradcheck
from cnnref.examples import single_kernel as sk

# %% tags=["hide-input"]
# Figures for both palettes (no background, grey text and lines). A first figure
# starts the inline backend, which sets its own defaults; the style comes after.
plt.close(plt.figure())
plt.rcParams.update(FIGURE_STYLE)

# %%
print(sk.network(0))

# %% tags=["hide-input"]
fig, ax = plt.subplots(1, 4, figsize=(9, 2.4))
for a, img, t in zip(ax, sk.IMAGES[:, 0], sk.TARGETS[:, 0], strict=True):
    a.imshow(img, cmap="Greys", vmin=0, vmax=1)
    a.set_title(f"target {t}")
    a.set_xticks([])
    a.set_yticks([])
fig.suptitle("The four training images")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## The gradients used for training pass gradcheck; the first version's do not
#
# `loss_gradcheck` differentiates the loss numerically in every parameter and
# compares with what the training loop applies.

# %%
model = sk.network(0)
true_check = loss_gradcheck(model, sk.gradients)
print("true gradients:      ", true_check)


def first_version(m):
    loss, grads = sk.gradients(m)
    return loss, sk.uncorrected(grads)


bug_check = loss_gradcheck(model, first_version)
print("uncorrected update:  ", bug_check)
assert true_check.max_error < 1e-6
assert bug_check.max_error > 1e-2

# %% [markdown]
# ## How far is the uncorrected update from the gradient?
#
# Rotating a matrix does not change its norm, so for $u =
# \mathrm{rot180}(g)$ the relative error and the cosine similarity are
# tied: $\lVert u - g\rVert / \lVert g\rVert = \sqrt{2(1 - \cos(u, g))}$.
# There is a second, less obvious effect of the data. Every image here is
# constant along its rows, so $\partial L/\partial K_{ab} = \sum_n \sum_{i,j}
# x^{(n)}_{i+a,\,j+b}\,\delta^{(n)}_{ij}$, with
# $\delta^{(n)} = \partial L/\partial (x_n \star K)$, does not depend on the
# column $b$: the two
# columns of the kernel gradient are equal, and a 180-degree rotation acts on
# it as an up-down flip only. How wrong the update is then depends on how
# different the two rows of the gradient are, which depends on the weights.

# %%
loss0, g = sk.gradients(sk.network(0))
gK = g["0.weight"][0, 0]
print("true kernel gradient:\n", np.round(gK, 5))
print("applied by the first version:\n", np.round(cnnref.rot180(gK), 5))
cos0 = cnnref.examples.cosine_similarity(cnnref.rot180(gK), gK)
rel0 = cnnref.examples.relative_error(cnnref.rot180(gK), gK)
print(f"cosine similarity {cos0:.4f}, relative error {rel0:.4f}")
assert np.allclose(gK[:, 0], gK[:, 1])
assert np.isclose(rel0, np.sqrt(2 * (1 - cos0)))

# %% [markdown]
# ## Training side by side (random seed 0)
#
# Same initial weights, same learning rate; the only difference is the
# orientation of the kernel update. The right panel shows, at every epoch of
# the uncorrected run, the cosine between the update it applied and the true
# gradient at the same point.

# %%
good = sk.train(corrected=True, seed=0)
bad = sk.train(corrected=False, seed=0)

# %% tags=["hide-input"]
fig, ax = plt.subplots(1, 2, figsize=(10, 3.4))
ax[0].semilogy(good.loss, label="corrected (rotated back)")
ax[0].semilogy(bad.loss, label="first version (unrotated)", ls="--")
ax[0].set_xlabel("epoch")
ax[0].set_ylabel("½ Σ (ŷ - t)²")
ax[0].legend()
ax[1].plot(bad.cosine, color="C1")
ax[1].set_ylim(-1.05, 1.05)
ax[1].set_xlabel("epoch")
ax[1].set_title("cos(applied kernel update, true gradient)")
fig.tight_layout()
plt.show()

# %%
print(f"final loss: corrected {good.loss[-1]:.5f},", end=" ")
print(f"first version {bad.loss[-1]:.5f}")
assert (
    np.abs(bad.cosine[60:]).max() < 1e-2
)  # the kernel's update orthogonal to its gradient
assert bad.loss[-1] > good.loss[-1]

# %% [markdown]
# ## Twenty seeds
#
# One seed is an anecdote. The same comparison over twenty initialisations:
# the cosine at the first step, and the loss at the last of 300 epochs of
# each run.

# %%
seeds = range(20)
rows = []
for seed in seeds:
    a, b = sk.train(True, seed=seed), sk.train(False, seed=seed)
    rows.append((b.cosine[0], b.rel_error[0], a.loss[-1], b.loss[-1]))
cos_first, rel_first, loss_good, loss_bad = np.array(rows).T

# %% tags=["hide-input"]
fig, ax = plt.subplots(1, 2, figsize=(10, 3.4))
ax[0].bar(seeds, cos_first)
ax[0].set_xlabel("seed")
ax[0].set_title("cosine at the first step")
ax[1].scatter(loss_good, loss_bad)
lim = [0, max(loss_good.max(), loss_bad.max()) * 1.05]
ax[1].plot(lim, lim, color="grey", lw=1)
ax[1].set_xlabel("final loss, corrected")
ax[1].set_ylabel("final loss, first version")
fig.tight_layout()
plt.show()

# %%
worse = int(np.sum(loss_bad > loss_good * 1.05))
better = int(np.sum(loss_bad < loss_good / 1.05))
median = np.median(cos_first)
print(f"cosine at the first step: min {cos_first.min():.3f},", end=" ")
print(f"median {median:.3f}")
print(f"relative error at the first step: max {rel_first.max():.3f}")
within = len(rows) - worse - better
print(f"first version ends >5% worse on {worse} seeds,", end=" ")
print(f">5% better on {better}, within 5% on {within}")
first_losses = np.array(
    [sk.train(False, epochs=1, seed=s).loss[0] for s in seeds]
)
assert np.all(
    loss_bad < first_losses
)  # the first version still lowers the loss every time
assert worse > better

# %% [markdown]
# ## What the numbers say
#
# - The true gradients pass `gradcheck`; the first version's kernel update
#   fails it, by the error printed above.
# - How wrong the uncorrected update is varies with the weights: on some
#   seeds it is almost the gradient (cosine near 1, because the data make the
#   gradient's columns equal and its two rows happen to be close), on others
#   it is close to orthogonal or points uphill (negative cosine).
# - The first version still lowers the loss in all twenty runs (asserted
#   above). The rotation is invertible, so the uncorrected update is zero
#   exactly where the gradient is zero: the bug keeps the stationary points.
#   It does not keep where the iteration goes. In the seed-0 run above the
#   cosine falls to about 0 within some 50 epochs (asserted with the run):
#   from then on the kernel's update is orthogonal to its gradient, only the
#   dense weights still descend, and the loss keeps falling, more slowly, to
#   end above the corrected run's. That a loss curve still goes
#   down is how the bug could go unnoticed on a network this small.
# - It does cost: after the same 300 epochs the first version ends more than
#   5% worse on more seeds than it ends better (counts printed above).
