"""pytest plugin loaded into every mutant's test run (``-p tests.mutants.plugin``).

It checks that the tests run against the mutated copy, not the project's own
tree (an editable install or a stray ``sys.path`` entry would otherwise make
every mutant survive, or be killed, for the wrong reason), then applies the
mutant's runtime function, if any.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest

TREE = "CNNREF_MUTANT_TREE"
RUNTIME = "CNNREF_MUTANT_RUNTIME"


def pytest_configure(config: pytest.Config) -> None:
    tree = os.environ.get(TREE)
    if not tree:
        return
    import cnnref

    package = Path(cnnref.__file__).resolve().parent
    if package != Path(tree).resolve() / "cnnref":
        raise pytest.UsageError(f"cnnref was imported from {package}, not from the mutated copy")
    runtime = os.environ.get(RUNTIME)
    if runtime:
        module, _, function = runtime.partition(":")
        getattr(importlib.import_module(module), function)()
