"""Shared fixtures: seeded random numbers, the optional PyTorch oracle, hypothesis profile."""

from __future__ import annotations

import os

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
