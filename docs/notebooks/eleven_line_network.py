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
# # Replay: the 11-line network
#
# **Source:** Andrew Trask, [*A Neural Network in 11 lines of Python (Part
# 1)*][source], a tutorial that teaches backpropagation with a
# network of a few numpy lines. **Architecture:** fully connected layers
# without biases, a sigmoid $\sigma(z) = 1/(1+e^{-z})$ after each, four
# training examples of three inputs, trained full-batch for a fixed number of
# iterations. Part 1 has one weight matrix (3x1); part 2 has a hidden layer
# of four units (3x4 and 4x1) and learns XOR.
#
# **Verified here:** rebuilt from `cnnref`'s `Dense`, `Sigmoid`, `Sequential`,
# `half_sum_squares` and `SGD`, the 2-layer network reproduces the article's
# printed output to 8 decimals, and the 3-layer network learns XOR to a mean
# absolute error below 0.01. The training code lives in
# `cnnref.examples.eleven_lines`, which the tests call too.
#
# [source]: https://iamtrask.github.io/2015/07/12/basic-python-network/

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

import cnnref
from cnnref.examples import FIGURE_STYLE
from cnnref.examples import eleven_lines as eleven

# %% tags=["hide-input"]
# Figures for both palettes (no background, grey text and lines). A first figure
# starts the inline backend, which sets its own defaults; the style comes after.
plt.close(plt.figure())
plt.rcParams.update(FIGURE_STYLE)

# %% [markdown]
# ## The article's update is plain gradient descent
#
# With $L = \tfrac12 \sum_n (\hat y_n - y_n)^2$ and $\hat y = \sigma(X W)$,
# the chain rule gives $\partial L / \partial W = X^\top \big((\hat y - y)
# \odot \sigma'(XW)\big)$ with $\sigma' = \sigma (1 - \sigma)$. The article
# adds $X^\top\big((y - \hat y) \odot \hat y (1 - \hat y)\big)$ to the
# weights: a step of gradient descent with learning rate 1. So the replay is
# `SGD(lr=1)` on `half_sum_squares`, with the weights drawn as the article
# draws them: $2 u - 1$, $u$ uniform from numpy's legacy generator seeded
# with 1 (a `RandomState(1)` gives the same numbers as `np.random.seed(1)`).

# %%
W0 = eleven.article_weights([(3, 1)])[0]
print("initial weights (3x1):", np.round(W0.ravel(), 6))

# one step by hand, set against one step of the library
out = cnnref.sigmoid(eleven.X @ W0)
by_hand = W0 + eleven.X.T @ ((eleven.Y_COPY - out) * out * (1 - out))
model = eleven.network((3, 1))
model.load_parameters({"0.weight": W0.T})
model.backward(
    cnnref.half_sum_squares_grad(model.forward(eleven.X), eleven.Y_COPY)
)
cnnref.SGD(lr=1.0).step(model)
assert np.allclose(
    model.parameters()["0.weight"].T, by_hand, rtol=0, atol=1e-15
)
print("one article step == one SGD(lr=1) step on ½Σ(ŷ-y)²")

# %% [markdown]
# ## Part 1: the 2-layer network, 10000 iterations
#
# The article prints the output of the last iteration's forward pass. Its
# numbers are $0.00966449, 0.00786506, 0.99358898, 0.99211957$.

# %%
ARTICLE = np.array([0.00966449, 0.00786506, 0.99358898, 0.99211957])
start = time.perf_counter()
copy_run = eleven.train(eleven.Y_COPY, hidden=(), iterations=10000)
elapsed = time.perf_counter() - start
replayed = copy_run.output.ravel()
print(
    "replayed:",
    np.array2string(replayed, precision=8, floatmode="fixed"),
)
print(
    "article: ",
    np.array2string(ARTICLE, precision=8, floatmode="fixed"),
)
largest = np.max(np.abs(replayed - ARTICLE))
print(f"largest difference: {largest:.1e} ({elapsed:.2f} s)")
assert np.array_equal(np.round(replayed, 8), ARTICLE)

# %% [markdown]
# All four numbers agree in every printed decimal. The weight on the first
# input grows large and positive: the first column is the one that predicts
# the output. The third input is always 1, so its weight acts as a bias; it
# grows large and negative and keeps the output near 0 where the first input
# is 0. The second weight stays small.

# %%
trained = copy_run.model.parameters()["0.weight"].ravel()
print("trained weights:", np.round(trained, 4))
assert trained[0] > 5 and trained[2] < -2 and abs(trained[1]) < 1

# %% [markdown]
# ## Part 2: the 3-layer network learns XOR, 60000 iterations
#
# The target is the XOR of the first two columns, which no single-layer
# network can fit. Every 10000 iterations the article prints the mean
# absolute error; here it is recorded every 100.

# %%
start = time.perf_counter()
xor_run = eleven.train(eleven.Y_XOR, hidden=(4,), iterations=60000)
elapsed = time.perf_counter() - start
for it, err in zip(xor_run.iteration, xor_run.mean_abs_error, strict=True):
    if it % 10000 == 0:
        print(f"iteration {it:5d}: mean |error| = {err:.8f}")
final_mae = float(np.mean(np.abs(eleven.Y_XOR - xor_run.output)))
print("output after training:", np.round(xor_run.output.ravel(), 5))
print(f"final mean absolute error {final_mae:.5f} ({elapsed:.1f} s)")
assert final_mae < 0.01

# %% tags=["hide-input"]
fig, ax = plt.subplots(1, 2, figsize=(10, 3.4))
ax[0].semilogy(copy_run.iteration, copy_run.mean_abs_error)
ax[0].set_title("2-layer network, target = first column")
ax[1].semilogy(xor_run.iteration, xor_run.mean_abs_error, color="C1")
ax[1].axhline(0.01, color="grey", ls="--", lw=1)
ax[1].set_title("3-layer network, target = XOR")
for a in ax:
    a.set_xlabel("iteration")
    a.set_ylabel("mean |y - ŷ|")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## What was verified
#
# - The article's update rule is one step of `SGD(lr=1)` on
#   $\tfrac12\sum(\hat y - y)^2$ through `Dense` and `Sigmoid` (checked to
#   $10^{-15}$ on the first step).
# - With the article's seed, the 2-layer network's output after 10000
#   iterations equals the printed $0.00966449, 0.00786506, 0.99358898,
#   0.99211957$ to 8 decimals (`tests/test_replays.py` asserts the same from
#   the same code).
# - The 3-layer network drives the mean absolute error on XOR below 0.01.
