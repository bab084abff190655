"""Shared pytest fixtures.

``toy_events`` builds SYNTHETIC events in the ADC2021 layout. They are test
fixtures for plumbing and edge cases, not physics.
"""
from __future__ import annotations

import os
import sys

import numpy as np
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(REPO, "data")
sys.path.insert(0, os.path.join(REPO, "tests"))

from fixtures import toy_events  # noqa: E402,F401  (re-exported for tests)

from hypothesis import settings  # noqa: E402

# The suite is reproducible by default: property tests draw the same examples on
# every run, so CI is red or green for a reason. `HYPOTHESIS_PROFILE=explore`
# draws fresh random examples (use it locally to hunt for new counter-examples).
settings.register_profile("repro", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repro"))


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture
def repo():
    return REPO


def bundled(name: str = "background_for_training.h5") -> str:
    return os.path.join(DATA, name)


requires_bundled = pytest.mark.skipif(
    not os.path.exists(bundled()), reason="bundled sample data/ not present"
)
