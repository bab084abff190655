"""Ground spaces of paper 1 §3.1.

* ``"3d"``: (pT/GeV, eta, phi) -- the paper's "3D OT" space;
* ``"2d"``: (eta, phi) -- the "2D OT" space.

Each of the 19 slots is a point mass of weight 1/19; empty (zero-padded) slots
sit at the origin. Axis weights ``w`` scale the squared ground metric,
``c(x, x') = sum_a w_a (x_a - x'_a)^2``; they are applied by multiplying each
coordinate by ``sqrt(w_a)``. The default is the paper's unweighted metric.
"""
from __future__ import annotations

import numpy as np

N_SLOTS = 19
WEIGHT = 1.0 / N_SLOTS
SPACES = {"3d": (0, 1, 2), "2d": (1, 2)}


def axis_weights(space: str, weights=None) -> np.ndarray:
    """Validated axis weights for ``space`` (float64 (d,)); default all ones."""
    cols = _cols(space)
    if weights is None:
        return np.ones(len(cols))
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    if w.shape != (len(cols),) or not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError(f"axis weights for space {space!r} must be {len(cols)} finite values >= 0, got {weights!r}")
    return w


def _cols(space: str):
    try:
        return SPACES[space]
    except KeyError:
        raise ValueError(f"unknown ground space {space!r}; choose one of {sorted(SPACES)}") from None


def coordinates(particles: np.ndarray, space: str = "3d", weights=None) -> np.ndarray:
    """Point locations of events in a ground space.

    Parameters
    ----------
    particles : array (N, 19, 4) or (19, 4)
        ADC2021 rows (pT/GeV, eta, phi, class id).
    space : {"3d", "2d"}
    weights : array (d,), optional
        Axis weights of the squared metric (default: ones).

    Returns
    -------
    x : float64 array (N, 19, d) or (19, d)
        Coordinates scaled by ``sqrt(weights)``; empty slots are at the origin.
    """
    cols = _cols(space)
    w = axis_weights(space, weights)
    x = np.asarray(particles)[..., cols[0]:cols[-1] + 1].astype(np.float64)  # contiguous columns
    if np.any(w != 1.0):
        x = x * np.sqrt(w)
    return x
