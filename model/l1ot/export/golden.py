"""Golden vectors: the bit-exact test set shared by the Python model, HLS and RTL.

:func:`golden_events` builds the input words of every category the contract asks
for (:data:`CATEGORIES`), from the generators of :mod:`l1ot.export.vectors`,
:mod:`l1ot.export.species` and :mod:`l1ot.export.boundary` (its searches in
:mod:`l1ot.export.search`); :func:`l1ot.export.vectorfile.write_golden` runs the
kernel on them and writes ``golden.txt``, :func:`l1ot.export.vectorfile.read_golden`
reads it back.
"""
from __future__ import annotations

import glob
import os
import warnings

import numpy as np

from ..errors import ModelError
from ..kernel import fixed
from .boundary import TIE_FRACTION, boundary_events
from .search import find_medoid_tie
from .species import species_events
from .vectors import float_events, inverse_maps, random_raw, words_from_x

CATEGORIES = ("empty", "full", "pt_ties", "pt_saturation", "angle_extremes", "medoid",
              "medoid_tie", "threshold_below", "threshold_at", "threshold_above", "score_max_unsat",
              "score_first_sat", "argmin_tie2", "argmin_tie3", "pt_all_equal", "diff_extremes",
              "random", "sample")


def sample_events(data_dir="data", n_per_file=500, reports=None):
    """Events from the bundled sample (``data/*.h5``): background test block and signals.

    Returns (events (N, 19, 4), list of file names) or (None, []) with a warning.
    Bad events are skipped; ``reports`` (a dict, optional) receives a
    ``ValidationReport`` per file path.
    """
    files = sorted(glob.glob(os.path.join(data_dir, "*.h5")))
    if not files:
        print(f"warning: no bundled sample under {data_dir}/: golden category 'sample' skipped")
        return None, []
    from ..io import data as l1data
    out, used = [], []
    for f in files:
        n = l1data.count(f)
        start = max(0, n - n_per_file) if "background" in os.path.basename(f) else 0
        rep = l1data.ValidationReport()
        ev = l1data.load(f, n=min(n_per_file, n - start), start=start, on_bad_event="skip", report=rep)
        if reports is not None:
            reports[f] = rep
        out.append(ev)
        used.append(os.path.basename(f))
    return np.concatenate(out).astype(np.float64), used


def golden_events(cfg, rom, data_dir="data", n_total=10_000, seed=2024, medoid_events=None, threshold=None):
    """Input words of every golden category.

    The boundary categories (:func:`boundary_events`) come from their own random
    stream, so the other categories do not depend on them; ``random`` fills the
    file up to ``n_total``. Without ``threshold`` the three threshold categories
    are left out.

    Returns
    -------
    words : uint64 (N, n_obj), tags : list[str] (category of each event), info : dict
    """
    rng = np.random.default_rng(seed)
    rom = np.asarray(rom, dtype=np.int64)
    n = cfg.n_obj
    blocks, tags, info = [], [], {}

    def add(w, tag):
        w = np.asarray(w, dtype=np.uint64).reshape(-1, n)
        blocks.append(w)
        tags.extend([tag] * len(w))

    pack = lambda p, e, f: fixed.pack_words(p, e, f, cfg)  # noqa: E731
    # empty events
    add(np.zeros((20, n), np.uint64), "empty")
    # all slots filled: raw (full range) and float-generated
    p, e, f = random_raw(cfg, rng, 300, fill=1.0)
    add(pack(p, e, f), "full")
    w, _ = fixed.events_to_words(float_events(rng, 300, fill=1.0), cfg)
    add(w, "full")
    # exact pT ties with different eta/phi
    p, e, f = random_raw(cfg, rng, 600, fill=0.9)
    pt_top = cfg.raw_range["pt"][1]
    choices = rng.integers(1, min(2000, pt_top), (600, 3))
    p = np.where(p > 0, np.take_along_axis(choices, rng.integers(0, 3, p.shape), 1), 0)
    p[:100] = np.where(p[:100] > 0, min(777, pt_top // 2), 0)  # all occupied slots tie
    add(pack(p, e, f), "pt_ties")
    # pT at and above saturation
    top = cfg.raw_range["pt"][1]
    p, e, f = random_raw(cfg, rng, 300, fill=0.7)
    sel = rng.random(p.shape) < 0.4
    p = np.where(sel, rng.choice([top, top - 1, top - 2], p.shape), p)
    add(pack(p, e, f), "pt_saturation")
    fe = float_events(rng, 200, fill=0.7)
    fe[..., 0] = np.where((rng.random((200, n)) < 0.4) & (fe[..., 0] > 0),
                          rng.choice([2047.96875, 2048.0, 3000.0, 1e5], (200, n)), fe[..., 0])
    w, st = fixed.events_to_words(fe, cfg)
    info["pt_saturation_float_sat"] = st.sat_pt
    add(w, "pt_saturation")
    # eta/phi extremes (raw type limits; float +-pi, +-6.28, beyond)
    lo_e, hi_e = cfg.raw_range["eta"]
    lo_p, hi_p = cfg.raw_range["phi"]
    p, e, f = random_raw(cfg, rng, 300, fill=0.8, pt_max=4000)
    e = np.where(p > 0, rng.choice([lo_e, lo_e + 1, hi_e - 1, hi_e, 0], p.shape), 0)
    f = np.where(p > 0, rng.choice([lo_p, lo_p + 1, hi_p - 1, hi_p, 0], p.shape), 0)
    add(pack(p, e, f), "angle_extremes")
    fe = float_events(rng, 200, fill=0.8)
    occ = fe[..., 0] > 0
    fe[..., 1] = np.where(occ, rng.choice([-7.0, -6.28, 6.28, 7.0, 0.0], occ.shape), 0)
    fe[..., 2] = np.where(occ, rng.choice([-np.pi, np.pi, np.float32(np.pi), -np.float32(np.pi), 0.0],
                                          occ.shape), 0)
    w, st = fixed.events_to_words(fe, cfg)
    info["angle_float_sat_eta"], info["angle_float_phi_wrapped"] = st.sat_eta, st.phi_wrapped
    add(w, "angle_extremes")
    # events equal to a medoid: the medoid events, and words rebuilt from the ROM rows
    if medoid_events is not None:
        w, _ = fixed.events_to_words(np.asarray(medoid_events), cfg)
        add(w, "medoid")
    inv = inverse_maps(cfg)
    med = [words_from_x(rom[m], cfg, inv) for m in range(rom.shape[0])]
    add(np.array([w for w in med if w is not None]), "medoid")
    # two medoids at equal distance
    ties = []
    for _ in range(5):
        t = find_medoid_tie(cfg, rom, rng, skip=[(a, b) for _, a, b in ties])
        if t is None:
            break
        ties.append(t)
    info["medoid_ties"] = [(int(a), int(b)) for _, a, b in ties]
    if ties:
        add(np.array([w for w, _, _ in ties]), "medoid_tie")
    else:
        warnings.warn("could not construct an input equidistant to two medoids", stacklevel=2)
    blocks_net = getattr(cfg.network, "blocks", None)
    if blocks_net:
        for w, tag in species_events(cfg, blocks_net, np.random.default_rng(seed + 26)):
            add(w, tag)
    ev, used = sample_events(data_dir)
    # boundaries: score at T - 1, T, T + 1 and at saturation, argmin ties, all pT equal, largest |x - rom|;
    # the ties are sized for the final file (at least 1000 random vectors follow; boundary vectors < 300)
    n_final = max(n_total, sum(len(b) for b in blocks) + (0 if ev is None else len(ev)) + 1000 + 300)
    bw, btags, binfo = boundary_events(cfg, rom, threshold, n_total=n_final, seed=seed)
    blocks.append(bw)
    tags.extend(btags)
    info["boundary"] = binfo
    # bundled sample
    info["sample_files"] = used
    if ev is not None:
        w, st = fixed.events_to_words(ev, cfg)
        add(w, "sample")
    # random: fill up to n_total (half raw words, half float events)
    have = sum(len(b) for b in blocks)
    n_rand = max(1000, n_total - have)
    p, e, f = random_raw(cfg, rng, n_rand // 2, fill=0.5, pt_max=8000)
    add(pack(p, e, f), "random")
    w, _ = fixed.events_to_words(float_events(rng, n_rand - n_rand // 2), cfg)
    add(w, "random")
    n_tie = sum(t in ("argmin_tie2", "argmin_tie3") for t in tags)
    if len(binfo["impossible"]) < 2 and n_tie < TIE_FRACTION * len(tags):
        raise ModelError(f"golden categories 'argmin_tie2'/'argmin_tie3': {n_tie} ties are fewer than "
                         f"{TIE_FRACTION:.0%} of {len(tags)} vectors")
    return np.concatenate(blocks), tags, info
