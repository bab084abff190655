"""Synthetic ADC2021-layout events for tests -- test fixtures, NOT physics."""
from __future__ import annotations

import numpy as np

SLOT_CLASS = np.array([1] + [2] * 4 + [3] * 4 + [4] * 10)


def toy_events(n: int, seed: int = 0, fill: float = 0.5, pt_scale: float = 30.0) -> np.ndarray:
    """``n`` random events (N, 19, 4) float32 passing l1ot.io.data validation.

    Objects occupy the first slots of each block (like real files), pT is
    exponential with mean ``pt_scale`` GeV, eta/phi uniform in range; MET at eta 0.
    """
    rng = np.random.default_rng(seed)
    p = np.zeros((n, 19, 4), dtype=np.float32)
    blocks = ((1, 5, 3.0), (5, 9, 2.1), (9, 19, 4.0))
    for i in range(n):
        p[i, 0] = (rng.exponential(pt_scale), 0.0, rng.uniform(-np.pi, np.pi), 1)
        for a, b, eta_max in blocks:
            m = rng.binomial(b - a, fill)
            pts = np.sort(rng.exponential(pt_scale, m) + 3.0)[::-1]
            for j in range(m):
                p[i, a + j] = (pts[j], rng.uniform(-eta_max, eta_max), rng.uniform(-np.pi, np.pi), SLOT_CLASS[a + j])
    return p
