"""Input vectors of the kernel: random raw words, random float events, and the raw
words that produce given working-space coordinates.

The building blocks of the golden categories (:mod:`l1ot.export.golden`,
:mod:`l1ot.export.species`, :mod:`l1ot.export.search`, :mod:`l1ot.export.boundary`).
"""
from __future__ import annotations

import numpy as np

from ..kernel import fixed


def inverse_maps(cfg):
    """For each axis: dict working value x -> a raw value producing it (the one nearest 0)."""
    inv = {}
    for a in fixed.AXES:
        lo, hi = cfg.raw_range[a]
        raw = np.arange(lo, hi + 1, dtype=np.int64)
        x = fixed.rnd_shift(raw * cfg.mult[a], cfg.shift[a])
        order = np.argsort(np.abs(raw), kind="stable")[::-1]  # later writes win: nearest 0 last
        m = {}
        for xv, rv in zip(x[order].tolist(), raw[order].tolist()):
            m[xv] = rv
        inv[a] = m
    return inv


def words_from_x(x, cfg, inv=None):
    """Raw input words (n_obj,) whose working coordinates are exactly ``x`` (n_obj, 3).

    Returns None if some value is not reachable from any raw input.
    """
    inv = inv or inverse_maps(cfg)
    raw = []
    for ai, a in enumerate(fixed.AXES):
        col = []
        for v in x[:, ai].tolist():
            if v not in inv[a]:
                return None
            col.append(inv[a][v])
        raw.append(np.array(col, dtype=np.int64)[None])
    return fixed.pack_words(*raw, cfg)[0]


def random_raw(cfg, rng, n, fill=0.6, pt_max=None):
    """Random raw fields (pt, eta, phi), each int64 (n, n_obj), uniform over the raw types
    (pT from 1 to ``pt_max`` raw LSBs at most); a slot is occupied with probability ``fill``,
    an empty slot is all zero. Not sorted: :func:`l1ot.kernel.fixed.pack_words` packs them.
    """
    lo_e, hi_e = cfg.raw_range["eta"]
    lo_p, hi_p = cfg.raw_range["phi"]
    top = cfg.raw_range["pt"][1]
    pt_hi = top if pt_max is None else min(pt_max, top)  # pt_max is in raw LSBs; never beyond the type
    pt = rng.integers(1, pt_hi + 1, (n, cfg.n_obj))
    eta = rng.integers(lo_e, hi_e + 1, (n, cfg.n_obj))
    phi = rng.integers(lo_p, hi_p + 1, (n, cfg.n_obj))
    occ = rng.random((n, cfg.n_obj)) < fill
    return pt * occ, eta * occ, phi * occ


def float_events(rng, n, pt_scale=30.0, fill=0.5):
    """Random float events (n, 19, 4): pT exponential (mean ``pt_scale`` GeV) + 1 GeV, eta
    uniform in [-4.5, 4.5], phi in [-pi, pi]; a slot is occupied with probability ``fill``,
    an empty slot has pT = eta = phi = 0 (column 3, the type, is left 0).
    """
    p = np.zeros((n, 19, 4))
    occ = rng.random((n, 19)) < fill
    p[..., 0] = rng.exponential(pt_scale, (n, 19)) + 1.0
    p[..., 1] = rng.uniform(-4.5, 4.5, (n, 19))
    p[..., 2] = rng.uniform(-np.pi, np.pi, (n, 19))
    p[..., :3] *= occ[..., None]
    return p


def x_bounds(cfg):
    """Working-space ranges: (lo, hi), each int64 (3,) over (pt, eta, phi)."""
    lo = np.array([cfg.x_range[a][0] for a in fixed.AXES], dtype=np.int64)
    hi = np.array([cfg.x_range[a][1] for a in fixed.AXES], dtype=np.int64)
    return lo, hi


def dmin_of(x, rom):
    """Squared distances of working coordinates ``x`` (n_obj, 3) to every ROM row: (D_min, d (K,))."""
    d = ((rom - x[None]) ** 2).sum(axis=(1, 2))
    return int(d.min()), d


def kernel_distances(w, rom, cfg):
    """Kernel stages of one word vector: (d (K,), idx) from :func:`l1ot.kernel.fixed.run`."""
    res = fixed.run(np.asarray(w)[None], rom, None, cfg, stages=True)
    return res.stages["d"][0], int(res.idx[0])
