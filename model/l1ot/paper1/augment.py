"""Anomaly augmentations of SM background events (paper 1 §2.1, after Dillon et al.,
SciPost Phys. 2023, arXiv:2301.04660).

Augmented background serves as the "signal" class of the weakly supervised
3D OT + anomaly kNN (paper 1 §3.2). Three transformations:

1. **Multiplicity increase** (:func:`add_objects`). For each species with
   ``n`` objects out of ``cap`` slots (e/gamma 4, muons 4, jets 10) the new
   count is drawn uniformly in ``{n, ..., cap}`` -- the paper's range
   ``(n, cap - n)`` read as "from the current count up to the cap"; if the
   draw adds nothing, one object of a random species with a free slot is
   added, so the multiplicity always increases. Each new object has
   ``pT = pT_min + U[0, 1) * max pT`` (``max pT`` = highest object pT of the
   event, MET excluded; ``pT_min`` = 3, 3, 15 GeV for e/gamma, muons, jets),
   eta uniform in ``(-eta_max, eta_max)`` (3, 2.1, 4) and phi uniform in
   ``[-pi, pi)``. **MET recomputation:** MET is the negative vector sum of the
   visible transverse momenta, so adding objects with momenta ``p_k`` changes
   the MET vector to ``MET_vec - sum_k p_k``; the MET slot gets its modulus
   and azimuth (eta stays 0).
2. **Multiplicity increase at constant MET and total pT** (:func:`split_object`).
   An object whose species block has a free slot is split in two with
   ``pT_1 = f pT``, ``pT_2 = (1 - f) pT``; ``f`` is uniform on the interval
   that keeps both pieces above the species threshold and, if the object is
   the only lepton with ``pT > 23`` GeV, keeps the larger piece above 23 GeV.
   Both pieces get eta and phi smeared with Gaussian noise of
   ``SPLIT_SIGMA_ETA`` = ``SPLIT_SIGMA_PHI`` = 0.1 (eta clipped to the species
   limit, phi wrapped to ``[-pi, pi)``). The MET slot and the scalar pT sum
   are unchanged.
3. **MET and/or pT shift** (:func:`shift`). With equal probability: (a) MET
   times ``U[0.5, 5)``; (b) every object pT times one factor ``U[1, 5)``;
   (c) both, with independent factors.

:func:`augment` applies (1), (2), (3) with equal probability; events for which
(2) is impossible (no object that can be split without breaking a threshold or
the selection, or no free slot in its block) get (1) or (3) with equal
probability; events with all 18 object slots full cannot take (1) either and
get (3). Within each block objects are kept first and sorted by decreasing pT,
like the input files. Every output event passes the L1 selection
(:func:`passes_selection`) and :func:`l1ot.io.data.validate`.
"""
from __future__ import annotations

import numpy as np

from ..io.data import BLOCKS, SLOT_CLASS, validate
from ..errors import DataError

#: object species: (name, first slot, stop slot, class id, pT threshold/GeV, |eta| limit)
SPECIES = (
    ("egamma", 1, 5, 2, 3.0, 3.0),
    ("muon", 5, 9, 3, 3.0, 2.1),
    ("jet", 9, 19, 4, 15.0, 4.0),
)
#: event selection: at least one e/gamma or muon above this pT (GeV)
LEPTON_PT_MIN = 23.0
SPLIT_SIGMA_ETA = 0.1
SPLIT_SIGMA_PHI = 0.1
MET_FACTOR = (0.5, 5.0)
PT_FACTOR = (1.0, 5.0)
KINDS = {1: "multiplicity", 2: "split", 3: "shift"}
#: margin keeping drawn eta strictly inside the open interval (float32 rounding)
_ETA_MARGIN = 1e-4


def passes_selection(particles: np.ndarray) -> np.ndarray:
    """L1 selection of the ADC2021 sample, bool (N,).

    At least one e/gamma or muon with pT > 23 GeV; every e/gamma and muon with
    pT > 3 GeV and |eta| < 3 / 2.1; every jet with pT > 15 GeV and |eta| < 4.
    """
    p = np.asarray(particles, dtype=np.float64)
    lep = p[:, 1:9]
    ok = np.any((lep[..., 3] != 0) & (lep[..., 0] > LEPTON_PT_MIN), axis=1)
    for _, a, b, _, thr, eta_max in SPECIES:
        blk = p[:, a:b]
        occ = blk[..., 3] != 0
        good = (blk[..., 0] > thr) & (np.abs(blk[..., 1]) < eta_max)
        ok &= np.all(~occ | good, axis=1)
    return ok


def _sort_blocks(ev: np.ndarray) -> None:
    """In place: occupied slots first in each block, by decreasing pT (ties keep order)."""
    for _, a, b in BLOCKS[1:]:
        blk = ev[a:b]
        key = np.where(blk[:, 3] != 0, -blk[:, 0].astype(np.float64), np.inf)
        ev[a:b] = blk[np.argsort(key, kind="stable")]


def _met_vec(ev):
    return np.array([ev[0, 0] * np.cos(ev[0, 2]), ev[0, 0] * np.sin(ev[0, 2])], dtype=np.float64)


def _set_met(ev, vec):
    ev[0] = (np.hypot(vec[0], vec[1]), 0.0, np.arctan2(vec[1], vec[0]), 1.0)


def _max_object_pt(ev) -> float:
    occ = ev[1:, 3] != 0
    return float(ev[1:, 0][occ].max()) if occ.any() else 0.0


def n_free(ev: np.ndarray) -> int:
    """Number of empty object slots (1-18) of one event (19, 4)."""
    return int(np.sum(ev[1:, 3] == 0))


def add_objects(ev: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Augmentation (1) on one event (19, 4); returns a new array. Needs a free slot."""
    out = np.array(ev, dtype=np.float64)
    counts = [int(np.sum(out[a:b, 3] != 0)) for _, a, b, *_ in SPECIES]
    caps = [b - a for _, a, b, *_ in SPECIES]
    if sum(counts) == sum(caps):
        raise ValueError("event has no free object slot")
    new = [int(rng.integers(n, cap + 1)) for n, cap in zip(counts, caps)]
    if new == counts:
        free = [s for s in range(len(SPECIES)) if counts[s] < caps[s]]
        s = free[int(rng.integers(len(free)))]
        new[s] += 1
    pt_max = _max_object_pt(out)
    met = _met_vec(out)
    for (_, a, b, cls, thr, eta_max), n0, n1 in zip(SPECIES, counts, new):
        empty = [a + j for j in range(b - a) if out[a + j, 3] == 0][: n1 - n0]
        for slot in empty:
            pt = thr + rng.random() * pt_max
            pt = max(pt, float(np.nextafter(np.float32(thr), np.float32(np.inf))))  # stays > thr in float32
            eta = rng.uniform(-eta_max + _ETA_MARGIN, eta_max - _ETA_MARGIN)
            phi = rng.uniform(-np.pi, np.pi)
            out[slot] = (pt, eta, phi, cls)
            met -= (pt * np.cos(phi), pt * np.sin(phi))
    _set_met(out, met)
    _sort_blocks(out)
    return out


def _split_candidates(ev: np.ndarray):
    """Slots that augmentation (2) can split, with the allowed interval of f."""
    lep_occ = (ev[1:9, 3] != 0) & (ev[1:9, 0] > LEPTON_PT_MIN)
    n_pass = int(lep_occ.sum())
    cands = []
    for _, a, b, cls, thr, _ in SPECIES:
        if np.all(ev[a:b, 3] != 0):
            continue  # no free slot for the second piece
        for slot in range(a, b):
            if ev[slot, 3] == 0:
                continue
            pt = float(ev[slot, 0])
            lo, hi = thr / pt, 1.0 - thr / pt  # both pieces strictly above threshold
            if cls in (2, 3) and pt > LEPTON_PT_MIN and n_pass == 1:
                lo = max(lo, LEPTON_PT_MIN / pt)  # this lepton carries the selection
            # keep a small margin so float32 storage cannot land on the threshold
            lo, hi = lo + 1e-4, hi - 1e-4
            if hi > lo:
                cands.append((slot, lo, hi))
    return cands


def can_split(ev: np.ndarray) -> bool:
    """Whether augmentation (2) can transform one event without breaking the selection."""
    return bool(_split_candidates(np.asarray(ev, dtype=np.float64)))


def split_object(ev: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Augmentation (2) on one event (19, 4); returns a new array."""
    out = np.array(ev, dtype=np.float64)
    cands = _split_candidates(out)
    if not cands:
        raise ValueError("no object can be split without breaking the selection")
    slot, lo, hi = cands[int(rng.integers(len(cands)))]
    name, a, b, cls, thr, eta_max = next(s for s in SPECIES if s[1] <= slot < s[2])
    f = rng.uniform(lo, hi)
    pt, eta, phi = out[slot, :3]
    free = next(a + j for j in range(b - a) if out[a + j, 3] == 0)
    lim = eta_max - _ETA_MARGIN
    for s, frac in ((slot, f), (free, 1.0 - f)):
        e = float(np.clip(eta + rng.normal(0.0, SPLIT_SIGMA_ETA), -lim, lim))
        ph = float((phi + rng.normal(0.0, SPLIT_SIGMA_PHI) + np.pi) % (2 * np.pi) - np.pi)
        out[s] = (frac * pt, e, ph, cls)
    _sort_blocks(out)
    return out


def shift(particles: np.ndarray, rng: np.random.Generator):
    """Augmentation (3) on events (N, 19, 4), vectorized.

    Returns ``(out, mode, met_factor, pt_factor)``: ``mode`` int (N,) in
    {0: MET only, 1: object pT only, 2: both}; factors are 1 where not applied.
    """
    out = np.array(particles, dtype=np.float64)
    n = out.shape[0]
    mode = rng.integers(0, 3, size=n)
    fm = rng.uniform(*MET_FACTOR, size=n)
    fp = rng.uniform(*PT_FACTOR, size=n)
    fm = np.where(mode != 1, fm, 1.0)
    fp = np.where(mode != 0, fp, 1.0)
    out[:, 0, 0] *= fm
    out[:, 1:, 0] *= fp[:, None]
    return out, mode, fm, fp


def augment(particles: np.ndarray, seed: int = 0, *, source: str = "<array>"):
    """Apply paper 1's anomaly augmentations to background events.

    Parameters
    ----------
    particles : (N, 19, 4) SM events passing the L1 selection.
    seed : RNG seed (results are reproducible for a given seed).

    Returns
    -------
    out : float32 (N, 19, 4) augmented events (valid, passing the selection).
    info : dict with ``kind`` int (N,) in {1, 2, 3} (see :data:`KINDS`),
        ``shift_mode`` int (N,) (-1 unless kind 3), ``met_factor``,
        ``pt_factor`` float (N,), ``split_possible`` bool (N,) and
        ``fractions`` {name: realized fraction}.
    """
    p = np.asarray(particles, dtype=np.float64)
    validate(p, source=source)
    sel = passes_selection(p)
    if not sel.all():
        bad = int(np.argmin(sel))
        raise DataError(f"input event does not pass the L1 selection (>= 1 e/gamma or muon with "
                        f"pT > {LEPTON_PT_MIN} GeV, object thresholds)", file=source, event=bad)
    rng = np.random.default_rng(seed)
    n = p.shape[0]
    can2 = np.array([can_split(e) for e in p], dtype=bool)
    can1 = np.array([n_free(e) > 0 for e in p], dtype=bool)
    kind = rng.integers(1, 4, size=n)
    u = rng.random(n)
    kind = np.where(can2, kind, np.where(u < 0.5, 1, 3))
    kind = np.where((kind == 1) & ~can1, 3, kind)
    out = p.copy()
    for i in np.nonzero(kind == 1)[0]:
        out[i] = add_objects(p[i], rng)
    for i in np.nonzero(kind == 2)[0]:
        out[i] = split_object(p[i], rng)
    m3 = kind == 3
    shift_mode = np.full(n, -1)
    fm, fp = np.ones(n), np.ones(n)
    if m3.any():
        out[m3], shift_mode[m3], fm[m3], fp[m3] = shift(p[m3], rng)
    out32 = out.astype(np.float32)
    validate(out32, source=f"{source} (augmented)")
    ok = passes_selection(out32)
    if not ok.all():  # pragma: no cover - guarded by construction; never silently wrong
        raise DataError("augmented event fails the L1 selection", file=source, event=int(np.argmin(ok)))
    fr = {name: float(np.mean(kind == k)) for k, name in KINDS.items()}
    return out32, {"kind": kind, "shift_mode": shift_mode, "met_factor": fm, "pt_factor": fp,
                   "split_possible": can2, "fractions": fr}


def write_augmented(path, particles, seed: int = 0, source: str = "<array>", attrs=None) -> dict:
    """Augment and write an ADC2021-layout file with ``augmentation_kind`` (N,); returns info."""
    from ..io.data import write_events

    out, info = augment(particles, seed=seed, source=source)
    a = {"content": "anomaly-augmented SM background (paper 1 section 2.1)", "seed": int(seed),
         "source": str(source)}
    a.update(attrs or {})
    write_events(path, out, attrs=a, extra={"augmentation_kind": info["kind"].astype(np.int8)})
    return info


__all__ = ["augment", "add_objects", "split_object", "shift", "passes_selection", "can_split",
           "write_augmented", "KINDS", "SPECIES", "SLOT_CLASS"]
