"""What the checker knows of one bug, and the pages of the site its explanations link to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .configs import Config

D1 = "derivations/d1-single-kernel/"
GRID = "general-conv/"
TRANSPOSED = "transposed/"
POOLING = "pooling/"


@dataclass(frozen=True)
class Bug:
    """One known bug: which gradient it breaks, what it is, where the right formula is."""

    name: str
    gradient: str  # 'dx', 'dw' or 'db'
    explanation: str  # one sentence
    page: str  # site path of the page deriving the right formula
    variants: Callable[[Config, dict, dict], list[np.ndarray]]  # (cfg, inputs, right) -> arrays
