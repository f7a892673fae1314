"""The source articles' networks, rebuilt from cnnref's layers.

One small module per article. The notebooks in ``docs/notebooks/`` and the
tests in ``tests/test_replays.py`` call the same functions, so the numbers a
reader sees on the site are the numbers the tests check. Like the rest of
cnnref these modules import numpy only; data sets are passed in as arrays.
"""

from .common import FIGURE_STYLE, cosine_similarity, loss_gradcheck, relative_error

__all__ = ["FIGURE_STYLE", "cosine_similarity", "loss_gradcheck", "relative_error"]
