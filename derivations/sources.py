"""The source articles the cases replay, by author and title, as Markdown links.

One place for the citations: a case's ``SOURCES`` is built from these.
"""

from __future__ import annotations

SEO_CNN = (
    "Jae Duk Seo, [*Only Numpy: Implementing Convolutional Neural Network using Numpy "
    "(Deriving Forward Feed and Back Propagation) with Interactive Code*]"
    "(https://becominghuman.ai/only-numpy-implementing-convolutional-neural-network-using-"
    "numpy-deriving-forward-feed-and-back-458a5250d6e4)"
)
QRS_CONV = (
    "qrsforever, [*神经网络之卷积过程实例* (a worked example of the convolution process in a "
    "neural network)](https://qrsforever.github.io/), on the author's blog, 19 July 2019"
)
SEO_TRANSPOSE = (
    "Jae Duk Seo, [*Only Numpy: Understanding Back Propagation for Transpose Convolution in "
    "Multi Layer CNN with Example and Interactive Code*]"
    "(https://towardsdatascience.com/only-numpy-understanding-back-propagation-for-transpose-"
    "convolution-in-multi-layer-cnn-with-c0a07d191981)"
)
SEO_MULTI = (
    "Jae Duk Seo, [*Only Numpy: (Why I do Manual Back Propagation) Implementing Multi "
    "Channel/Layer Convolution Neural Network on Numpy with Interactive Code*]"
    "(https://medium.com/swlh/only-numpy-why-i-do-manual-back-propagation-implementing-"
    "multi-channel-layer-convolution-neural-7d83242fcc24)"
)
TRASK = (
    "Andrew Trask, [*A Neural Network in 11 lines of Python (Part 1)*]"
    "(https://iamtrask.github.io/2015/07/12/basic-python-network/)"
)

TORCH_DOCS = "https://pytorch.org/docs/stable/generated/"


def torch_function(name: str) -> str:
    """A Markdown link to the documentation of ``torch.nn.functional.<name>``."""
    return f"[`{name}`]({TORCH_DOCS}torch.nn.functional.{name}.html)"


def torch_class(name: str) -> str:
    """A Markdown link to the documentation of ``torch.nn.<name>``."""
    return f"[`torch.nn.{name}`]({TORCH_DOCS}torch.nn.{name}.html)"
