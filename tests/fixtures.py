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


# ---------------------------------------------------------------------------
# an independent reference of kernel stages 0..c for checking golden categories
# (written from docs/kernel.md: field shifts, rnd_shift, stable descending argsort)
# ---------------------------------------------------------------------------
def ref_working(words, cfg) -> np.ndarray:
    """Input words (N, n_obj) -> sorted working coordinates xs (N, n_obj, 3), int64.

    Only the config's field widths, multipliers and shifts are used (no kernel code):
    fields by masks and sign extension, ``x = (raw*M + 2^(S-1)) >> S``, then a stable
    argsort by pT descending (ties to the lower slot).
    """
    w = [[int(v) for v in row] for row in np.asarray(words, dtype=np.uint64)]
    bits = {"pt": cfg.pt_bits, "eta": cfg.eta_bits, "phi": cfg.phi_bits}
    lo = {"pt": cfg.eta_bits + cfg.phi_bits, "eta": cfg.phi_bits, "phi": 0}
    out = np.empty((len(w), cfg.n_obj, 3), dtype=np.int64)
    for ai, a in enumerate(("pt", "eta", "phi")):
        raw = np.array([[(v >> lo[a]) & ((1 << bits[a]) - 1) for v in row] for row in w], dtype=np.int64)
        if a != "pt":
            raw = np.where(raw >= 1 << (bits[a] - 1), raw - (1 << bits[a]), raw)
        m, s = cfg.mult[a], cfg.shift[a]
        out[..., ai] = (raw * m + (1 << (s - 1) if s else 0)) >> s
    order = np.argsort(-out[..., 0], axis=1, kind="stable")
    return np.take_along_axis(out, order[..., None], axis=1)


def ref_distances(words, rom_words, cfg) -> np.ndarray:
    """Exact squared distances D (N, K) between input words and medoid words, by brute force."""
    xs = ref_working(words, cfg)
    rom = ref_working(rom_words, cfg)
    return ((xs[:, None, :, :] - rom[None, :, :, :]) ** 2).sum(axis=(2, 3))


def ref_x_limits(cfg):
    """Working-coordinate ends per axis from the raw type ends: (lo (3,), hi (3,))."""
    lo, hi = [], []
    for a in ("pt", "eta", "phi"):
        b = getattr(cfg, f"{a}_bits")
        r = (0, (1 << b) - 1) if a == "pt" else (-(1 << (b - 1)), (1 << (b - 1)) - 1)
        m, s = cfg.mult[a], cfg.shift[a]
        x = [(v * m + (1 << (s - 1) if s else 0)) >> s for v in r]
        lo.append(min(x))
        hi.append(max(x))
    return np.array(lo), np.array(hi)


def check_boundary_categories(words, tags, medoid_words, threshold, cfg, n_total=None):
    """Assert every boundary golden category from recomputed distances (not from the tags' claims).

    Returns a dict of per-category facts (for messages).
    """
    tags = np.array(tags)
    D = ref_distances(words, medoid_words, cfg)
    dmin = D.min(axis=1)
    q = dmin >> cfg.score_shift
    smax = (1 << cfg.score_bits) - 1
    facts = {}
    for cat, want in (("threshold_below", threshold - 1), ("threshold_at", threshold),
                      ("threshold_above", threshold + 1), ("score_max_unsat", smax), ("score_first_sat", smax + 1)):
        sel = tags == cat
        assert sel.sum() >= 1, cat
        assert (q[sel] == want).all(), (cat, sorted(set(q[sel].tolist())))
        # both ends of the score step: D = s << shift and D = ((s + 1) << shift) - 1
        assert (dmin[sel] == want << cfg.score_shift).any(), (cat, "lower end")
        assert (dmin[sel] == ((want + 1) << cfg.score_shift) - 1).any(), (cat, "upper end")
        facts[cat] = int(sel.sum())
    # ties: 2 or 3 medoids at the minimum, together >= 1 % of the file
    nmin = (D == dmin[:, None]).sum(axis=1)
    for cat, nw in (("argmin_tie2", 2), ("argmin_tie3", 3)):
        sel = tags == cat
        assert sel.sum() >= 1 and (nmin[sel] >= nw).all(), cat
        facts[cat] = int(sel.sum())
    if n_total:
        assert (tags == "argmin_tie2").sum() + (tags == "argmin_tie3").sum() >= 0.01 * n_total
    # all 19 pT equal
    sel = tags == "pt_all_equal"
    pt = np.array([[int(v) >> (cfg.eta_bits + cfg.phi_bits) for v in row] for row in words[sel]])
    assert len(pt) and (pt == pt[:, :1]).all()
    assert (pt[:, 0] == (1 << cfg.pt_bits) - 1).any() and (pt[:, 0] == 0).any()
    # largest |x - rom| per axis: equal to the bound from the ROM and the working-range ends
    sel = tags == "diff_extremes"
    xs, rom = ref_working(words[sel], cfg), ref_working(medoid_words, cfg)
    lo, hi = ref_x_limits(cfg)
    reach = np.abs(xs[:, None] - rom[None]).max(axis=(0, 1, 2))
    bound = np.maximum(hi - rom.min(axis=(0, 1)), rom.max(axis=(0, 1)) - lo)
    np.testing.assert_array_equal(reach, bound)
    # and the largest D of any input: brute force over pT step vectors and angle corners
    n = cfg.n_obj
    best = 0
    for m in range(len(rom)):
        ang = np.maximum(hi[1:] - rom[m, :, 1:], rom[m, :, 1:] - lo[1:]) ** 2
        for p in range(n + 1):
            ptv = np.where(np.arange(n) < p, hi[0], lo[0])
            best = max(best, int(((ptv - rom[m, :, 0]) ** 2).sum() + ang.sum()))
    assert D[sel].max() == best
    facts["diff_extremes"] = {"reach": reach.tolist(), "bound": bound.tolist(), "d_max": best}
    return facts
