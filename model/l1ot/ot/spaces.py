"""Ground spaces and point masses of paper 1 §3.1.

* ``"3d"``: (pT/GeV, eta, phi) -- the paper's "3D OT" space. Each of the 19
  slots is a point mass of weight 1/19; empty (zero-padded) slots sit at the
  origin (paper 1 §3.1: "each of the 19 objects is given an equal probability
  weighting. Non-existent objects ... therefore, sit at the origin").
* ``"2d"``: (eta, phi) -- the paper's "2D OT" space, "the established picture":
  the probability of each object is its pT, normalised to the event's scalar
  pT sum (MET included, see below); empty slots carry no mass. Total pT and
  multiplicity are invisible to this distance ("entirely absent", paper 1 §4).
* ``"2d_nomet"``: as ``"2d"`` without the MET row (slot 0). Not paper 1's; a
  check of the MET choice.
* ``"2d_uniform"``: (eta, phi) with the 3D weighting (1/19 per slot, empty
  slots at the origin). Not paper 1's 2D space: the origin points make the
  distance see multiplicity. Kept under this name for comparison.

MET in the 2D cloud: paper 1 §2 describes the event as 19 objects including
"one aggregate missing transverse energy (MET) object", stored as row 0 of the
[19, 4] array, and §3.1 builds both distributions from that array without
excluding any object; the 3D space demonstrably keeps MET. We therefore keep
MET in ``"2d"`` at its stored (eta = 0, phi); ``"2d_nomet"`` measures what
dropping it changes (docs/paper1_comparison.md).

Axis weights ``w`` scale the squared ground metric,
``c(x, x') = sum_a w_a (x_a - x'_a)^2``; they are applied by multiplying each
coordinate by ``sqrt(w_a)``. The default is the paper's unweighted metric.
"""
from __future__ import annotations

import numpy as np

N_SLOTS = 19
WEIGHT = 1.0 / N_SLOTS
#: columns of the ADC2021 row (pT, eta, phi, class) spanning each space
SPACES = {"3d": (0, 1, 2), "2d": (1, 2), "2d_nomet": (1, 2), "2d_uniform": (1, 2)}
#: how each space puts mass on the slots: "uniform" (1/19, empty slots at the
#: origin) or "pt" (pT / sum pT over the occupied slots)
MASSES = {"3d": "uniform", "2d": "pt", "2d_nomet": "pt", "2d_uniform": "uniform"}
#: slots left out of a space (MET is slot 0 of the ADC2021 layout)
EXCLUDED_SLOTS = {"2d_nomet": (0,)}
LABELS = {"3d": "3D (pT, η, φ), 1/19 per slot",
          "2d": "2D (η, φ), pT-normalised weights (paper 1)",
          "2d_nomet": "2D (η, φ), pT-normalised weights, MET excluded",
          "2d_uniform": "2D (η, φ), 1/19 per slot (not paper 1)"}


def is_uniform(space: str) -> bool:
    """True if every slot weighs 1/19 (optimal plans are then permutations)."""
    _cols(space)
    return MASSES[space] == "uniform"


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
    space : one of :data:`SPACES`
    weights : array (d,), optional
        Axis weights of the squared metric (default: ones).

    Returns
    -------
    x : float64 array (N, 19, d) or (19, d)
        Coordinates scaled by ``sqrt(weights)``; empty slots are at the origin
        (in the pT-weighted spaces they carry zero mass, see :func:`masses`).
    """
    cols = _cols(space)
    w = axis_weights(space, weights)
    x = np.asarray(particles)[..., cols[0]:cols[-1] + 1].astype(np.float64)  # contiguous columns
    if np.any(w != 1.0):
        x = x * np.sqrt(w)
    return x


def masses(particles: np.ndarray, space: str = "3d") -> np.ndarray:
    """Probability mass of every slot, float64 (N, 19) or (19,); each event sums to 1.

    ``"uniform"`` spaces: 1/19 everywhere. ``"pt"`` spaces: pT / sum(pT) over
    the slots of the space; an event with no pT in the space gets uniform mass
    over its slots (a convention: such events do not occur in ADC2021, where
    every event has a lepton above 23 GeV).
    """
    _cols(space)
    p = np.asarray(particles)
    if MASSES[space] == "uniform":
        return np.full(p.shape[:-1], WEIGHT)
    pt = np.clip(p[..., 0].astype(np.float64), 0.0, None)
    for s in EXCLUDED_SLOTS.get(space, ()):
        pt[..., s] = 0.0
    tot = pt.sum(axis=-1, keepdims=True)
    n_in = N_SLOTS - len(EXCLUDED_SLOTS.get(space, ()))
    fallback = np.ones_like(pt) / n_in
    for s in EXCLUDED_SLOTS.get(space, ()):
        fallback[..., s] = 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.where(tot > 0, pt / np.where(tot > 0, tot, 1.0), fallback)
    return m
