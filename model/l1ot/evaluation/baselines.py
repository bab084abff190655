"""Baseline anomaly scores of paper 1 (Table 2): total pT, MET, total multiplicity.

All take ``particles`` float (N, 19, 4) in ADC2021 layout and return float64 (N,).
"""
from __future__ import annotations

import numpy as np


def total_pt(particles: np.ndarray) -> np.ndarray:
    """Scalar sum of pT/GeV over the reconstructed objects (slots 1-18; MET excluded)."""
    return np.asarray(particles, dtype=np.float64)[:, 1:, 0].sum(axis=1)


def met(particles: np.ndarray) -> np.ndarray:
    """Missing transverse energy/GeV (slot 0)."""
    return np.asarray(particles, dtype=np.float64)[:, 0, 0]


def multiplicity(particles: np.ndarray) -> np.ndarray:
    """Number of reconstructed objects (non-empty slots 1-18)."""
    return (np.asarray(particles)[:, 1:, 3] != 0).sum(axis=1).astype(np.float64)


BASELINES = {"total_pt": total_pt, "met": met, "multiplicity": multiplicity}
