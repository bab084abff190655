"""Golden categories at the kernel's boundaries, constructed against the model and then checked:
score windows at the threshold and at saturation, argmin ties, all pT equal, largest differences.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ..errors import ModelError
from ..kernel import fixed
from .search import find_argmin_tie, find_dmin_window, find_dmin_window_scan, max_distance_inputs, tie_groups, tie_lp
from .vectors import inverse_maps, words_from_x, x_bounds

#: categories built by :func:`boundary_events`; each has its own tag in golden.txt
BOUNDARY_CATEGORIES = ("threshold_below", "threshold_at", "threshold_above", "score_max_unsat",
                       "score_first_sat", "argmin_tie2", "argmin_tie3", "pt_all_equal", "diff_extremes")
#: fraction of the golden vectors that are two- or three-way argmin ties (argmin_tie2 + argmin_tie3)
TIE_FRACTION = 0.01


def boundary_events(cfg, rom, threshold, n_total=10_000, seed=2024):
    """Golden vectors at the kernel's boundaries (categories :data:`BOUNDARY_CATEGORIES`).

    * ``threshold_below`` / ``threshold_at`` / ``threshold_above``: score exactly
      T − 1, T, T + 1 (D at both ends of each score step and in between);
    * ``score_max_unsat``: score ``2^score_bits − 1`` without saturation
      (``D >> score_shift == 2^score_bits − 1``); ``score_first_sat``: the first
      saturating ``D >> score_shift == 2^score_bits`` (including
      ``D = 2^score_bits << score_shift``);
    * ``argmin_tie2`` / ``argmin_tie3``: two / three medoids at exactly equal
      minimal distance (together at least :data:`TIE_FRACTION` of ``n_total``);
    * ``pt_all_equal``: all ``n_obj`` pT equal (0, 1, the type maximum, others);
    * ``diff_extremes``: on each axis the largest ``|x − rom|`` any input can
      reach against this ROM (every slot at the working-range end, both ends),
      and for the medoids farthest from a corner the input with the largest D.

    Raises ModelError (naming the category) when the model or config makes a
    category impossible or the construction fails.

    Returns
    -------
    words : uint64 (N, n_obj), tags : list[str], info : dict
    """
    rng = np.random.default_rng([seed, 13])
    rom = np.asarray(rom, dtype=np.int64)
    K, n = rom.shape[0], cfg.n_obj
    inv = inverse_maps(cfg)
    lo, hi = x_bounds(cfg)
    sh, smax = cfg.score_shift, cfg.score_max
    blocks, tags, info = [], [], {}

    def add(ws, tag):
        ws = [w for w in ws if w is not None]
        if ws:
            blocks.append(np.asarray(ws, dtype=np.uint64).reshape(-1, n))
            tags.extend([tag] * len(ws))

    def need(ok, cat, why):
        if not ok:
            raise ModelError(f"golden category '{cat}': {why}")

    xmax, dmax = max_distance_inputs(cfg, rom, inv)
    d_reach = int(dmax.max())
    info["d_max_reachable"], info["d_max_config"] = d_reach, int(cfg.d_max)

    # --- score windows: threshold and saturation ---------------------------------
    def window(s, cat, n_vec):
        d_lo, d_hi = s << sh, ((s + 1) << sh) - 1
        need(d_lo <= d_reach, cat, f"needs D >= {d_lo}, but the largest D any input reaches "
                                   f"against this ROM is {d_reach}")
        d_hi = min(d_hi, d_reach)
        mids = rng.integers(d_lo, d_hi + 1, max(0, n_vec - 2)).tolist()
        got = find_dmin_window(cfg, rom, d_lo, d_hi, rng, [d_lo, d_hi] + mids, inv=inv)
        if not got:
            got = find_dmin_window_scan(cfg, rom, d_lo, d_hi, rng, [d_lo, d_hi] + mids, inv=inv)
        # the same window reached from random medoids (the first construction favours the
        # medoid with the largest leading pT): the window edges with other nearest medoids
        got += find_dmin_window_scan(cfg, rom, d_lo, d_hi, rng, [d_lo, d_hi], inv=inv, tries=12)
        for edge in (d_lo, d_hi):   # exactly on the edges, from random medoids
            got += find_dmin_window_scan(cfg, rom, edge, edge, rng, [edge, edge], inv=inv, tries=12)
        need(len(got) > 0, cat, f"no input with D_min in [{d_lo}, {d_hi}] found (score {s})")
        add(got, cat)

    if threshold is not None:
        T = int(threshold)
        need(T >= 1, "threshold_below", f"threshold {T}: there is no score T - 1")
        need(T + 1 <= smax, "threshold_above", f"threshold {T}: T + 1 exceeds the largest score {smax}")
        for s, cat in ((T - 1, "threshold_below"), (T, "threshold_at"), (T + 1, "threshold_above")):
            window(s, cat, 6)
        info["threshold"] = T
    window(smax, "score_max_unsat", 4)
    window(smax + 1, "score_first_sat", 4)

    # --- argmin ties ---------------------------------------------------------------
    # D_a = D_b needs |r_a|^2 = |r_b|^2 (mod 2) (2 x.(r_b - r_a) is even): a group of medoids
    # whose squared norms differ in parity can never tie. Categories no group can reach are
    # provably impossible for this ROM: skipped with a warning and listed in info["impossible"].
    par = (rom ** 2).sum(axis=(1, 2)) % 2
    n_par = max(int((par == 0).sum()), int((par == 1).sum()))
    impossible = {}
    for nw in (2, 3):
        if n_par < nw:
            impossible[f"argmin_tie{nw}"] = (f"K = {K} medoids: no {nw} of them have squared norms |rom|^2 of "
                                             f"equal parity, so no {nw}-way tie exists")
    for cat, why in impossible.items():
        warnings.warn(f"golden category '{cat}' skipped: {why}", stacklevel=2)
    n_ties = max(2, math.ceil(TIE_FRACTION * n_total))
    want3 = max(1, (2 * n_ties) // 5)
    found = {2: [], 3: []}
    for nw, want in ((3, want3), (2, None)):
        if f"argmin_tie{nw}" in impossible:
            continue
        gs = [g for g in tie_groups(rom, nw) if len({int(par[i]) for i in g}) == 1]
        dead, proven, lp, attempts = set(), set(), {}, 0
        while attempts < 40 * len(gs) + 4 * n_ties and len(dead) < len(gs) and len(found[nw]) < (want or n_ties - len(found[3])):
            g = gs[attempts % len(gs)]
            attempts += 1
            if g in dead:
                continue
            # from the group's centroid first; then from the LP point with the largest margin
            w = find_argmin_tie(cfg, rom, g, rng, inv=inv, tries=20)
            if w is None:
                if g not in lp:
                    lp[g] = tie_lp(cfg, rom, g)
                if lp[g] is None:
                    proven.add(g)
                else:
                    w = find_argmin_tie(cfg, rom, g, rng, inv=inv, tries=40, x_start=lp[g][0])
            if w is None:
                dead.add(g)  # no tie found for this group: do not retry it
            else:
                found[nw].append((w, g))
        if gs and proven == set(gs):
            impossible[f"argmin_tie{nw}"] = (f"no {nw} of the K = {K} medoids can be the nearest at equal "
                                             "distance (parity of |rom|^2 and the tie LP)")
            warnings.warn(f"golden category 'argmin_tie{nw}' skipped: {impossible[f'argmin_tie{nw}']}",
                          stacklevel=2)
    for nw in (3, 2):
        if f"argmin_tie{nw}" not in impossible:
            need(len(found[nw]) >= 1, f"argmin_tie{nw}",
                 f"no {nw} medoids could be put at equal minimal distance")
    if len(impossible) < 2:
        need(len(found[2]) + len(found[3]) >= n_ties, "argmin_tie2",
             f"only {len(found[2]) + len(found[3])} tie vectors, need {n_ties} ({TIE_FRACTION:.0%} of {n_total})")
    add([w for w, _ in found[2]], "argmin_tie2")
    add([w for w, _ in found[3]], "argmin_tie3")
    info["argmin_tie_groups"] = {"2": len({g for _, g in found[2]}), "3": len({g for _, g in found[3]})}
    info["impossible"] = impossible

    # --- all pT equal ----------------------------------------------------------------
    top = cfg.raw_range["pt"][1]
    (le, he), (lp, hp) = cfg.raw_range["eta"], cfg.raw_range["phi"]
    pts = [0, 1, 2, top, top - 1, top // 2] + rng.integers(1, top + 1, 24).tolist()
    ws = []
    for v in pts:
        p = np.full((1, n), v, dtype=np.int64)
        e = rng.integers(le, he + 1, (1, n))
        f = rng.integers(lp, hp + 1, (1, n))
        ws.append(fixed.pack_words(p, e, f, cfg)[0])
    add(ws, "pt_all_equal")

    # --- largest |x - rom| per axis and the largest D ----------------------------------
    ws = []
    for pt_end in (lo[0], hi[0]):
        for e_end in (lo[1], hi[1]):
            for f_end in (lo[2], hi[2]):
                x = np.empty((n, 3), dtype=np.int64)
                x[:, 0], x[:, 1], x[:, 2] = pt_end, e_end, f_end
                ws.append(words_from_x(x, cfg, inv))
    for m in np.argsort(-dmax, kind="stable")[:4]:
        ws.append(words_from_x(xmax[m], cfg, inv))
    need(all(w is not None for w in ws), "diff_extremes", "working-range ends not reachable from raw inputs")
    add(ws, "diff_extremes")
    info["diff_extremes"] = {a: {"max_abs_diff": int(max(hi[ai] - rom[..., ai].min(), rom[..., ai].max() - lo[ai])),
                                 "config_span": int(hi[ai] - lo[ai]), "diff_bits": int(cfg.diff_bits[a])}
                             for ai, a in enumerate(fixed.AXES)}

    words = np.concatenate(blocks)
    # the construction worked: every category is present and at its boundary
    res = fixed.run(words, rom, None, cfg, stages=True)
    q, d = res.stages["dmin"] >> sh, res.stages["d"]
    tg = np.array(tags)
    want = {"score_max_unsat": smax, "score_first_sat": smax + 1}
    if threshold is not None:
        want.update({"threshold_below": T - 1, "threshold_at": T, "threshold_above": T + 1})
    for cat in BOUNDARY_CATEGORIES:
        if (threshold is None and cat.startswith("threshold")) or cat in impossible:
            continue
        sel = tg == cat
        need(sel.any(), cat, "no vector constructed")
        if cat in want:
            need((q[sel] == want[cat]).all(), cat, "constructed D_min outside its score step")
        elif cat.startswith("argmin_tie"):
            nw = int(cat[-1])
            need(((d[sel] == d[sel].min(axis=1, keepdims=True)).sum(axis=1) >= nw).all(), cat,
                 f"constructed vector is not a {nw}-way tie")
    return words, tags, info
