"""The README's example runs and prints what it says."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_runs():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "README has no python example"
    namespace: dict = {}
    exec(blocks[0], namespace)
    cnnref = namespace["cnnref"]
    x, k = namespace["x"], namespace["k"]
    assert x.shape == (8, 3, 32, 32)
    np.testing.assert_array_equal(
        cnnref.convolve2d(np.arange(1.0, 10.0).reshape(3, 3), k, "valid"), [[23, 33], [53, 63]]
    )
    assert namespace["grad_x"].shape == x.shape
    assert namespace["grad_w"].shape == namespace["w"].shape


def test_readme_network_example_runs():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) >= 2, "README has no network example"
    namespace: dict = {}
    exec(blocks[0], namespace)
    exec(blocks[1].replace("print(", "result = ("), namespace)
    assert namespace["logits"].shape == (5, 10)
    assert namespace["result"].max_error < 1e-7
    assert set(namespace["model"].gradients()) == {"0.weight", "0.bias", "4.weight", "4.bias"}
