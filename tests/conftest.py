"""Shared fixtures: seeded random numbers, the optional PyTorch oracle, hypothesis profile."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, settings

# Shared 2-core machines: never let a slow moment fail a property test.
settings.register_profile(
    "cnnref", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=60
)
# The mutation suite (tests/mutants) needs to know that a test fails, not the
# smallest failing example: no shrinking, no example database.
settings.register_profile(
    "mutants",
    parent=settings.get_profile("cnnref"),
    phases=(Phase.explicit, Phase.generate),
    database=None,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "cnnref"))

REQUIRE_ORACLES = os.environ.get("CNNREF_REQUIRE_ORACLES") == "1"


@pytest.fixture
def rng(request) -> np.random.Generator:
    """A generator seeded from the test's name: reproducible, different per test."""
    seed = sum(request.node.nodeid.encode()) * 7919 % (2**32)
    return np.random.default_rng(seed)


@pytest.fixture(scope="session")
def torch():
    """PyTorch in float64, or a skip with the reason (a failure under CNNREF_REQUIRE_ORACLES=1)."""
    try:
        import torch
    except ImportError:
        message = "PyTorch is not installed; `make oracle` installs torch==2.13.0"
        if REQUIRE_ORACLES:
            pytest.fail(f"CNNREF_REQUIRE_ORACLES=1 but the PyTorch oracle is missing: {message}")
        pytest.skip(message)
    torch.set_num_threads(1)
    return torch


# -- the report of the last full run, shown on the site's verification page ---------------

# Which layer of checking each test module belongs to.
LAYERS = {
    "test_signal": "scipy.signal oracle",
    "test_conv_spec": "loop specification vs scipy, finite differences, adjoint",
    "test_conv_fast": "fast path vs loop specification",
    "test_parallel": "the batch split over the cores",
    "test_torch_oracle": "PyTorch oracle",
    "test_padding_modes": "padding modes vs loop specification, PyTorch, finite differences",
    "test_conv_transpose_backward": "transposed backward vs loop specification, PyTorch",
    "test_errors": "input validation",
    "test_shapes": "output-size arithmetic",
    "test_readme": "documentation examples",
    "test_site_browser": "site in a real browser",
    "test_pooling": "pooling vs PyTorch, loop specification, finite differences",
    "test_pooling_options": "pooling options vs PyTorch, loop specification, hand-worked windows",
    "test_activations": "activations vs PyTorch, closed forms, finite differences",
    "test_losses": "losses vs PyTorch, closed forms, finite differences",
    "test_layers": "layers and Sequential vs finite differences and PyTorch",
    "test_gradcheck": "gradcheck catches wrong gradients",
    "test_no_mutation": "no function modifies its arguments",
    "test_derivations_cases": "exact symbolic proofs and negative controls",
    "test_derivations_toolkit": "symbolic toolkit vs cnnref",
    "test_mutants": "mutation suite machinery",
    "test_replays": "source articles replayed (published numbers, gradcheck)",
    "test_generated": "generated code vs symbolic (50 digits), reference, PyTorch",
}


def _case_layers() -> dict[str, str]:
    """Each derivation case's own test module (``tests/test_<case module>.py``)."""
    from derivations import registry

    return {
        f"test_{case.name}": "derivation chapters: steps, planted wrong steps, exercises"
        for case in registry.cases()
    }


LAYERS.update(_case_layers())
REPORT = Path(__file__).resolve().parents[1] / "build" / "test-report.json"
_outcomes: dict[str, str] = {}
_skip_reasons: dict[str, str] = {}


def pytest_runtest_logreport(report) -> None:
    if report.when == "call" or report.outcome != "passed":
        # a failure or skip in setup/teardown decides the test's outcome
        if _outcomes.get(report.nodeid) in ("failed",):
            return
        _outcomes[report.nodeid] = report.outcome
        if report.skipped and isinstance(report.longrepr, tuple):
            _skip_reasons[report.nodeid] = report.longrepr[2].removeprefix("Skipped: ")


def pytest_sessionfinish(session, exitstatus) -> None:
    """After a full run (no paths or -k given), write per-layer counts to build/."""
    options = session.config.option
    if options.file_or_dir or options.keyword or options.markexpr or not _outcomes:
        return
    layers: dict[str, dict[str, int]] = {}
    for nodeid, outcome in _outcomes.items():
        module = nodeid.split("::")[0].rsplit("/", 1)[-1].removesuffix(".py")
        layer = LAYERS.get(module, module)
        counts = layers.setdefault(layer, {"passed": 0, "failed": 0, "skipped": 0})
        counts[outcome] = counts.get(outcome, 0) + 1
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    tmp = REPORT.with_suffix(".tmp")
    reasons: dict[str, int] = {}
    for nodeid, outcome in _outcomes.items():
        if outcome == "skipped":
            reason = _skip_reasons.get(nodeid, "no reason given")
            reasons[reason] = reasons.get(reason, 0) + 1
    report = {"layers": layers, "skipped_because": reasons}
    tmp.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, REPORT)


# -- the site build, started while the tests before the browser tests run -----------------


def pytest_collection_finish(session) -> None:
    """Start building the site when the whole-site browser tests are selected and can run."""
    import importlib.util

    from . import site_build
    from .browser import CHROMIUM

    if session.config.option.collectonly:
        return
    if not any(item.path.name == "test_site_browser.py" for item in session.items):
        return
    if CHROMIUM.exists() and importlib.util.find_spec("playwright") is not None:
        site_build.start()


def pytest_unconfigure(config) -> None:
    from . import site_build

    site_build.cleanup()
