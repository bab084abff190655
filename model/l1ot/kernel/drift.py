"""Drift of the fixed-point kernel score against float LinW2, in buckets.

The kernel score is an integer: ``score = min(D_min >> shift, score_max)``
with ``D_min`` the squared distance in working units (``docs/kernel.md``).
The float LinW2 of the same event converts to the same units as a real
number ``q = (LinW2 / L)^2 * n_obj / 2^shift`` (``L = 2^-F`` the working LSB).
The drift ``score - q`` is reported in score LSBs, in the buckets used for
trigger emulators:

* ``exact``  : ``|score - q| < 1`` (the integer score is the float value
  up to the final truncation);
* ``1 LSB``  : ``1 <= |score - q| < 2``;
* ``small``  : ``|score - q| >= 2`` and at most ``small_rel`` of ``max(q, 1)``;
* ``big``    : everything else; ``saturated`` counts the subset whose
  float value is beyond the score range (the kernel saturates them).
"""
from __future__ import annotations

import numpy as np

BUCKETS = ("exact", "1 LSB", "small", "big")


def drift_buckets(score, linw2, cfg, small_rel: float = 0.05) -> dict:
    """Bucket the drift of kernel scores against float LinW2.

    Parameters
    ----------
    score : int array (N,)
        Kernel scores (:func:`l1ot.kernel.fixed.run`).
    linw2 : float array (N,)
        Float LinW2 of the same events against the same medoids (ground units).
    cfg : KernelConfig
    small_rel : float
        Relative bound of the ``small`` bucket.

    Returns
    -------
    dict with ``n``, ``counts`` and ``fractions`` per bucket (``BUCKETS``),
    ``saturated`` (events with ``q > score_max``), ``small_rel`` and the
    median / max of ``|score - q|`` in LSBs.
    """
    s = np.asarray(score, dtype=np.float64).ravel()
    q = cfg.linw2_to_score(linw2).ravel()
    if s.shape != q.shape:
        raise ValueError(f"score and linw2 must have the same length, got {s.shape} and {q.shape}")
    d = np.abs(s - q)
    exact = d < 1.0
    one = (d >= 1.0) & (d < 2.0)
    small = (d >= 2.0) & (d <= small_rel * np.maximum(q, 1.0))
    big = ~(exact | one | small)
    counts = {b: int(np.count_nonzero(m)) for b, m in zip(BUCKETS, (exact, one, small, big))}
    n = int(s.size)
    return {"n": n, "counts": counts,
            "fractions": {b: (c / n if n else 0.0) for b, c in counts.items()},
            "saturated": int(np.count_nonzero(q > cfg.score_max)), "small_rel": small_rel,
            "median_abs_lsb": float(np.median(d)) if n else 0.0, "max_abs_lsb": float(d.max()) if n else 0.0}


def format_buckets(b: dict) -> str:
    """One line: ``exact 97.1% | 1 LSB 2.5% | small 0.4% | big 0.0% (saturated 0)``."""
    parts = " | ".join(f"{k} {100 * b['fractions'][k]:.2f}%" for k in BUCKETS)
    return f"{parts} (n={b['n']}, saturated {b['saturated']})"
