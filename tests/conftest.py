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
