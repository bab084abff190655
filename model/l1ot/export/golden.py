"""Golden vectors: the bit-exact test set shared by the Python model, HLS and RTL.

Format (docs/kernel.md, "Golden vectors")::

    # l1ot golden vectors v1
    # config_sha256 <hex>  model_sha256 <hex>  rom_sha256 <hex>  K <int>  threshold <int>  ...
    # columns: w0 .. w18 score idx trig  # category
    <w0> ... <w18> <score> <idx> <trig>  # category

:func:`golden_events` builds the input words of every category the contract
asks for; :func:`write_golden` runs :func:`l1ot.kernel.fixed.run` on them and writes
the file; :func:`read_golden` parses it back (and validates it).
"""
from __future__ import annotations

import glob
import hashlib
import math
import os
import warnings
from pathlib import Path

import numpy as np

from ..kernel import fixed
from ..errors import DataError, ModelError

MAGIC = "# l1ot golden vectors v1"
CATEGORIES = ("empty", "full", "pt_ties", "pt_saturation", "angle_extremes", "medoid",
              "medoid_tie", "threshold_below", "threshold_at", "threshold_above", "score_max_unsat",
              "score_first_sat", "argmin_tie2", "argmin_tie3", "pt_all_equal", "diff_extremes",
              "random", "sample")
#: categories added when the config's sorting network sorts inside blocks (species transport)
SPECIES_CATEGORIES = ("species_ties", "species_empty")
HEADER_KEYS = ("config_sha256", "model_sha256", "rom_sha256", "K", "threshold", "n_obj", "word_bits",
               "score_bits", "score_shift", "idx_bits", "transport", "network", "n_events")
INT_KEYS = {"K", "threshold", "n_obj", "word_bits", "score_bits", "score_shift", "idx_bits", "n_events"}


def file_sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for blk in iter(lambda: f.read(1 << 20), b""):
            h.update(blk)
    return h.hexdigest()


def rom_sha256(rom) -> str:
    """SHA-256 of the ROM as little-endian int64 (K, n_obj, 3) C-order bytes."""
    return hashlib.sha256(np.ascontiguousarray(np.asarray(rom), dtype="<i8").tobytes()).hexdigest()


def model_sha256(model) -> str:
    """SHA-256 of the model file bytes (or of the medoid events if there is no file)."""
    path = getattr(model, "path", None) if not isinstance(model, (str, Path)) else model
    if path and os.path.isfile(path):
        return file_sha256(path)
    ev = np.ascontiguousarray(getattr(model, "medoid_events", model), dtype="<f4")
    return hashlib.sha256(ev.tobytes()).hexdigest()


# ---------------------------------------------------------------------------
# categories
# ---------------------------------------------------------------------------
def _inverse_maps(cfg):
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
    inv = inv or _inverse_maps(cfg)
    raw = []
    for ai, a in enumerate(fixed.AXES):
        col = []
        for v in x[:, ai].tolist():
            if v not in inv[a]:
                return None
            col.append(inv[a][v])
        raw.append(np.array(col, dtype=np.int64)[None])
    return fixed.pack_words(*raw, cfg)[0]


def find_medoid_tie(cfg, rom, rng, max_pairs=200, tries=400, skip=()):
    """Construct an input whose two nearest medoids are at exactly equal distance.

    Works in the working space: start from the midpoint of two close medoids
    (sorted order is preserved; pT snapped to reachable values when the pT LSB
    is coarser than the working LSB), then move angle coordinates (which do not
    change the pT order), greedily and then exactly, until ``D_a == D_b``;
    ``D_a - D_b`` is linear in x.

    Returns (words (n_obj,), a, b) with a < b, or None.
    """
    rom = np.asarray(rom, dtype=np.int64)
    K = rom.shape[0]
    if K < 2:
        return None
    inv = _inverse_maps(cfg)
    R = rom.reshape(K, -1)
    dd = ((R[:, None, :] - R[None, :, :]) ** 2).sum(-1)
    pairs = [(int(dd[a, b]), a, b) for a in range(K) for b in range(a + 1, K)]
    pairs.sort()
    lo = np.array([cfg.x_range[a][0] for a in fixed.AXES])
    hi = np.array([cfg.x_range[a][1] for a in fixed.AXES])
    pt_ok = np.array(sorted(inv["pt"]), dtype=np.int64)
    for _, a, b in [p for p in pairs if (p[1], p[2]) not in set(skip)][:max_pairs]:
        g = rom[b] - rom[a]                       # D_a - D_b = 2 x.g + |a|^2 - |b|^2
        rhs = int((rom[b] ** 2).sum() - (rom[a] ** 2).sum())
        if rhs % 2:
            continue
        x0 = (rom[a] + rom[b]) // 2
        if any(v not in inv["pt"] for v in x0[:, 0].tolist()):
            # coarse pT LSB: snap to the nearest reachable working value (monotonic, so the
            # descending order is kept); the angles absorb the imbalance below
            x0[:, 0] = pt_ok[np.abs(pt_ok[None, :] - x0[:, :1]).argmin(axis=1)]
        ang = [(i, c) for i in range(cfg.n_obj) for c in (1, 2) if g[i, c] != 0]
        if not ang:
            continue
        for _ in range(tries):
            x = x0.copy()
            for i, c in [ang[j] for j in rng.integers(0, len(ang), size=3)]:
                x[i, c] = np.clip(x[i, c] + rng.integers(-3, 4), lo[c], hi[c])
            r = rhs // 2 - int((x * g).sum())
            for j in rng.permutation(len(ang))[:-1]:  # greedy: shrink the residual
                i, c = ang[j]
                step = int(np.clip(round(r / int(g[i, c])), lo[c] - x[i, c], hi[c] - x[i, c]))
                x[i, c] += step
                r -= step * int(g[i, c])
            i, c = ang[int(rng.integers(0, len(ang)))]
            if r % int(g[i, c]):
                continue
            x[i, c] += r // int(g[i, c])
            if not lo[c] <= x[i, c] <= hi[c]:
                continue
            d = ((rom - x[None]) ** 2).sum(axis=(1, 2))
            if not d[a] == d[b] == d.min():
                continue
            w = words_from_x(x, cfg, inv)
            if w is None:
                continue
            res = fixed.run(w[None], rom, None, cfg, stages=True)
            d = res.stages["d"][0]
            if d[a] == d[b] == d.min() and int(res.idx[0]) == a:
                return w, a, b
    return None


def _random_raw(cfg, rng, n, fill=0.6, pt_max=None):
    lo_e, hi_e = cfg.raw_range["eta"]
    lo_p, hi_p = cfg.raw_range["phi"]
    top = cfg.raw_range["pt"][1]
    pt_hi = top if pt_max is None else min(pt_max, top)  # pt_max is in raw LSBs; never beyond the type
    pt = rng.integers(1, pt_hi + 1, (n, cfg.n_obj))
    eta = rng.integers(lo_e, hi_e + 1, (n, cfg.n_obj))
    phi = rng.integers(lo_p, hi_p + 1, (n, cfg.n_obj))
    occ = rng.random((n, cfg.n_obj)) < fill
    return pt * occ, eta * occ, phi * occ


def _float_events(rng, n, pt_scale=30.0, fill=0.5):
    p = np.zeros((n, 19, 4))
    occ = rng.random((n, 19)) < fill
    p[..., 0] = rng.exponential(pt_scale, (n, 19)) + 1.0
    p[..., 1] = rng.uniform(-4.5, 4.5, (n, 19))
    p[..., 2] = rng.uniform(-np.pi, np.pi, (n, 19))
    p[..., :3] *= occ[..., None]
    return p


def species_events(cfg, blocks, rng, n=200):
    """Words of the species categories (:data:`SPECIES_CATEGORIES`) for a network that
    sorts inside ``blocks`` (lists of slots).

    ``species_ties``: inside every block all occupied slots share one pT (a value per
    block, often the same value in several blocks), angles random, so the order inside
    a block is decided by the slot tag alone; half the events also tie two slots of one
    block with a slot of another. ``species_empty``: every nonempty subset of blocks
    left empty (each such pattern at least once, the rest drawn at random), the other
    blocks filled at random, including the event with one block occupied only.

    Returns a list of (words uint64 (m, n_obj), tag).
    """
    pack = lambda p, e, f: fixed.pack_words(p, e, f, cfg)  # noqa: E731
    nb = len(blocks)
    top = cfg.raw_range["pt"][1]
    out = []
    p, e, f = _random_raw(cfg, rng, n, fill=0.8, pt_max=8000)
    # shared pT values, never beyond the config's pT type (Run-3: 9 bits, top 511)
    vals = rng.choice(np.minimum([1, 2, 777, 4000, top], top), (n, nb))
    vals[: n // 4] = vals[: n // 4, :1]          # the same pT in every block
    for b, sl in enumerate(blocks):
        sl = list(sl)
        p[:, sl] = np.where(p[:, sl] > 0, vals[:, b:b + 1], 0)
    half = np.arange(n // 2, n)
    for i in half:                               # two slots of one block tie with a slot of another
        b1, b2 = rng.choice(nb, 2, replace=False)
        s1 = list(blocks[b1])
        s2 = list(blocks[b2])
        v = int(rng.integers(1, min(3000, top)))
        for s in rng.choice(s1, min(2, len(s1)), replace=False):
            p[i, s] = v
        p[i, int(rng.choice(s2))] = v
    out.append((pack(p, e, f), "species_ties"))
    masks = [m for m in range(1, 1 << nb)]
    m_all = np.array(masks + list(rng.choice(masks, max(0, n - len(masks)))))
    p, e, f = _random_raw(cfg, rng, len(m_all), fill=0.7, pt_max=8000)
    for b, sl in enumerate(blocks):
        sl = list(sl)
        empty = ((m_all >> b) & 1).astype(bool)
        p[:, sl[0]] = np.maximum(p[:, sl[0]], 1)   # a block left nonempty holds an object
        for s in sl:
            p[empty, s] = 0
            e[empty, s] = 0
            f[empty, s] = 0
    out.append((pack(p, e, f), "species_empty"))
    return out


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
    p, e, f = _random_raw(cfg, rng, 300, fill=1.0)
    add(pack(p, e, f), "full")
    w, _ = fixed.events_to_words(_float_events(rng, 300, fill=1.0), cfg)
    add(w, "full")
    # exact pT ties with different eta/phi
    p, e, f = _random_raw(cfg, rng, 600, fill=0.9)
    pt_top = cfg.raw_range["pt"][1]
    choices = rng.integers(1, min(2000, pt_top), (600, 3))
    p = np.where(p > 0, np.take_along_axis(choices, rng.integers(0, 3, p.shape), 1), 0)
    p[:100] = np.where(p[:100] > 0, min(777, pt_top // 2), 0)  # all occupied slots tie
    add(pack(p, e, f), "pt_ties")
    # pT at and above saturation
    top = cfg.raw_range["pt"][1]
    p, e, f = _random_raw(cfg, rng, 300, fill=0.7)
    sel = rng.random(p.shape) < 0.4
    p = np.where(sel, rng.choice([top, top - 1, top - 2], p.shape), p)
    add(pack(p, e, f), "pt_saturation")
    fe = _float_events(rng, 200, fill=0.7)
    fe[..., 0] = np.where((rng.random((200, n)) < 0.4) & (fe[..., 0] > 0),
                          rng.choice([2047.96875, 2048.0, 3000.0, 1e5], (200, n)), fe[..., 0])
    w, st = fixed.events_to_words(fe, cfg)
    info["pt_saturation_float_sat"] = st.sat_pt
    add(w, "pt_saturation")
    # eta/phi extremes (raw type limits; float +-pi, +-6.28, beyond)
    lo_e, hi_e = cfg.raw_range["eta"]
    lo_p, hi_p = cfg.raw_range["phi"]
    p, e, f = _random_raw(cfg, rng, 300, fill=0.8, pt_max=4000)
    e = np.where(p > 0, rng.choice([lo_e, lo_e + 1, hi_e - 1, hi_e, 0], p.shape), 0)
    f = np.where(p > 0, rng.choice([lo_p, lo_p + 1, hi_p - 1, hi_p, 0], p.shape), 0)
    add(pack(p, e, f), "angle_extremes")
    fe = _float_events(rng, 200, fill=0.8)
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
    inv = _inverse_maps(cfg)
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
    p, e, f = _random_raw(cfg, rng, n_rand // 2, fill=0.5, pt_max=8000)
    add(pack(p, e, f), "random")
    w, _ = fixed.events_to_words(_float_events(rng, n_rand - n_rand // 2), cfg)
    add(w, "random")
    n_tie = sum(t in ("argmin_tie2", "argmin_tie3") for t in tags)
    if len(binfo["impossible"]) < 2 and n_tie < TIE_FRACTION * len(tags):
        raise ModelError(f"golden categories 'argmin_tie2'/'argmin_tie3': {n_tie} ties are fewer than "
                         f"{TIE_FRACTION:.0%} of {len(tags)} vectors")
    return np.concatenate(blocks), tags, info


# ---------------------------------------------------------------------------
# boundary categories (constructed against the model, then checked)
# ---------------------------------------------------------------------------
#: categories built by :func:`boundary_events`; each has its own tag in golden.txt
BOUNDARY_CATEGORIES = ("threshold_below", "threshold_at", "threshold_above", "score_max_unsat",
                       "score_first_sat", "argmin_tie2", "argmin_tie3", "pt_all_equal", "diff_extremes")
#: fraction of the golden vectors that are two- or three-way argmin ties (argmin_tie2 + argmin_tie3)
TIE_FRACTION = 0.01


def _x_bounds(cfg):
    lo = np.array([cfg.x_range[a][0] for a in fixed.AXES], dtype=np.int64)
    hi = np.array([cfg.x_range[a][1] for a in fixed.AXES], dtype=np.int64)
    return lo, hi


def _dmin_of(x, rom):
    d = ((rom - x[None]) ** 2).sum(axis=(1, 2))
    return int(d.min()), d


def _checked(w, rom, cfg):
    """Kernel stages of one word vector: (d (K,), idx) from :func:`l1ot.kernel.fixed.run`."""
    res = fixed.run(np.asarray(w)[None], rom, None, cfg, stages=True)
    return res.stages["d"][0], int(res.idx[0])


def find_dmin_window(cfg, rom, d_lo, d_hi, rng, targets, inv=None, tries=60):
    """Inputs whose minimal squared distance ``D_min`` is in ``[d_lo, d_hi]`` (one per target).

    Solves in the working space: start from a ROM row (``D = 0`` to that medoid),
    raise the pT of a prefix of sorted positions to one reachable value ``v``
    (keeps the descending order) so that the pT part of ``D`` is just below the
    target, and put the remainder on the angle coordinates as a sum of squares
    (angles do not change the order), moving away from the other medoids. Every
    candidate is run through :func:`l1ot.kernel.fixed.run` and kept only if its
    ``D_min`` is the target.

    Parameters
    ----------
    d_lo, d_hi : int, the window of D (e.g. ``[s << score_shift, ((s + 1) << score_shift) - 1]``)
    targets : list of int, the D values wanted (each in the window); one vector per target at most

    Returns
    -------
    list of words (n_obj,) uint64
    """
    rom = np.asarray(rom, dtype=np.int64)
    inv = inv or _inverse_maps(cfg)
    K, n = rom.shape[0], cfg.n_obj
    lo, hi = _x_bounds(cfg)
    pt_ok = np.array(sorted(inv["pt"]), dtype=np.int64)
    order = np.argsort(-rom[:, 0, 0], kind="stable")  # largest leading pT first: raising it moves away
    out = []
    for target in targets:
        for t in range(tries):
            m = int(order[(t // 3) % K])  # three tries per medoid, largest leading pT first
            x0 = rom[m].copy()
            pts = x0[:, 0]
            vs = pt_ok[pt_ok >= pts[0]]
            # pT part of D for a prefix of p positions raised to v: sum_{i<p} (v - pts_i)^2
            cs = np.cumsum((vs[:, None] - pts[None, :]) ** 2, axis=1)  # (n_v, n): prefix p = col + 1
            others = np.delete(rom, m, axis=0) if K > 1 else rom
            away = np.sign(x0[:, 1:] - others[:, :, 1:].mean(axis=0)).astype(np.int64)
            room = np.where(away >= 0, hi[1:] - x0[:, 1:], x0[:, 1:] - lo[1:])
            room_o = np.where(away >= 0, x0[:, 1:] - lo[1:], hi[1:] - x0[:, 1:])
            cap = int((np.maximum(room, room_o) ** 2).sum())
            rem_all = target - cs
            ok = np.argwhere((rem_all >= 0) & (rem_all <= cap))
            if not len(ok):
                continue
            ok = ok[np.argsort(rem_all[ok[:, 0], ok[:, 1]], kind="stable")]  # smallest angle remainder first
            vi, pi = ok[0] if t % 3 == 0 else ok[int(rng.integers(0, min(len(ok), 16)))]
            x = x0.copy()
            x[:pi + 1, 0] = vs[vi]
            rem = int(rem_all[vi, pi])
            coords = [(i, c) for i in range(n) for c in (0, 1)]
            for q in rng.permutation(len(coords)):
                if rem == 0:
                    break
                i, c = coords[q]
                r1, r2 = int(room[i, c]), int(room_o[i, c])
                sgn = 1 if away[i, c] >= 0 else -1
                if r1 == 0 and r2 > 0:
                    r1, sgn = r2, -sgn
                step = min(math.isqrt(rem), r1)
                x[i, c + 1] += sgn * step
                rem -= step * step
            if rem:
                continue
            dmin, _ = _dmin_of(x, rom)
            if not d_lo <= dmin <= d_hi:
                continue
            w = words_from_x(x, cfg, inv)
            if w is None:
                continue
            d, _ = _checked(w, rom, cfg)
            if d_lo <= int(d.min()) <= d_hi:
                out.append(w)
                break
    return out


def find_dmin_window_scan(cfg, rom, d_lo, d_hi, rng, targets, inv=None, tries=40):
    """Second construction for :func:`find_dmin_window` (used when it finds nothing, e.g.
    coarse pT grids such as the Run-3 preset's even working pT).

    Walks from a medoid ``a`` towards a far input ``b`` (:func:`max_distance_inputs`):
    ``x(s) = a + s (b - a)`` with every coordinate snapped to its reachable grid (the pT
    stay non-increasing: both ends are sorted and the snapping is monotone). Bisection on
    ``s`` gives the largest ``D_min`` not above the target; then single grid steps of
    the angles away from the nearest medoid raise ``D_min`` into ``[d_lo, d_hi]``.
    Every candidate is checked with :func:`l1ot.kernel.fixed.run`.
    """
    rom = np.asarray(rom, dtype=np.int64)
    inv = inv or _inverse_maps(cfg)
    K, n = rom.shape[0], cfg.n_obj
    grids = [np.array(sorted(inv[a]), dtype=np.int64) for a in fixed.AXES]
    far, _ = max_distance_inputs(cfg, rom, inv)

    def snap(v, g):
        i = np.clip(np.searchsorted(g, v), 1, len(g) - 1)
        return np.where(np.abs(g[i - 1] - v) <= np.abs(g[i] - v), g[i - 1], g[i])

    def point(a, b, t):
        y = a + t * (b - a)
        return np.stack([snap(np.round(y[:, c]).astype(np.int64), grids[c]) for c in range(3)], axis=1)

    out = []
    for target in targets:
        for _ in range(tries):
            a = rom[int(rng.integers(K))].astype(np.float64)
            b = far[int(rng.integers(K))].astype(np.float64)
            if _dmin_of(point(a, b, 1.0), rom)[0] < target:
                continue
            t0, t1 = 0.0, 1.0
            for _ in range(40):
                tm = 0.5 * (t0 + t1)
                if _dmin_of(point(a, b, tm), rom)[0] <= target:
                    t0 = tm
                else:
                    t1 = tm
            x = point(a, b, t0)
            dmin, d = _dmin_of(x, rom)
            for _ in range(4 * n):
                if dmin >= d_lo:
                    break
                m = int(np.argmin(d))
                best = None
                for i in rng.permutation(n):
                    for c in (1, 2):
                        g = grids[c]
                        j = int(np.searchsorted(g, x[i, c]))
                        for jj in (j - 1, j + 1):
                            if not 0 <= jj < len(g):
                                continue
                            y = x.copy()
                            y[i, c] = g[jj]
                            dm, dd = _dmin_of(y, rom)
                            if dmin < dm <= d_hi and abs(int(g[jj]) - int(rom[m, i, c])) > abs(int(x[i, c]) - int(rom[m, i, c])):
                                if best is None or dm > best[0]:
                                    best = (dm, dd, y)
                if best is None:
                    break
                dmin, d, x = best
            if not d_lo <= dmin <= d_hi:
                continue
            w = words_from_x(x, cfg, inv)
            if w is None:
                continue
            dk, _ = _checked(w, rom, cfg)
            if d_lo <= int(dk.min()) <= d_hi:
                out.append(w)
                break
    return out


def _tie_groups(rom, n_way, max_groups=400):
    """Groups of ``n_way`` medoids, closest first (sum of pairwise squared distances)."""
    K = rom.shape[0]
    R = rom.reshape(K, -1)
    dd = ((R[:, None, :] - R[None, :, :]) ** 2).sum(-1)
    if n_way == 2:
        g = [(int(dd[a, b]), (a, b)) for a in range(K) for b in range(a + 1, K)]
    else:
        near = np.argsort(dd, axis=1)[:, 1:9]  # the 8 nearest of each medoid
        seen = set()
        g = []
        for a in range(K):
            for b in near[a]:
                for c in near[a]:
                    t = tuple(sorted({a, int(b), int(c)}))
                    if len(t) == 3 and t not in seen:
                        seen.add(t)
                        g.append((int(dd[t[0], t[1]] + dd[t[0], t[2]] + dd[t[1], t[2]]), t))
    g.sort()
    return [t for _, t in g[:max_groups]]


def tie_lp(cfg, rom, group):
    """Real-valued point where the medoids of ``group`` tie with the largest margin to the others.

    Linear programme (``scipy.optimize.linprog``, HiGHS): ``D_a = D_g`` for g in the group
    (linear in x), ``D_c - D_a >= t`` for every other medoid c, x in the working ranges, pT
    non-increasing over positions; maximise t. Returns (x (n_obj, 3) float, t), or None when
    no real point exists with t >= 0 (then no integer input can make this group the minimum).
    """
    from scipy.optimize import linprog

    rom = np.asarray(rom, dtype=np.int64)
    K, n = rom.shape[0], cfg.n_obj
    lo, hi = _x_bounds(cfg)
    R = rom.reshape(K, -1).astype(np.float64)
    nn = (R * R).sum(1)
    a = group[0]
    nv = 3 * n + 1
    A_eq = np.array([np.append(2 * (R[g] - R[a]), 0.0) for g in group[1:]])
    b_eq = np.array([nn[g] - nn[a] for g in group[1:]])
    rows, b_ub = [], []
    for c in range(K):
        if c not in group:
            rows.append(np.append(-2 * (R[a] - R[c]), 1.0))
            b_ub.append(nn[c] - nn[a])
    for i in range(n - 1):  # x_pt[i+1] - x_pt[i] <= 0
        r = np.zeros(nv)
        r[3 * (i + 1)], r[3 * i] = 1.0, -1.0
        rows.append(r)
        b_ub.append(0.0)
    bounds = [(float(lo[k]), float(hi[k])) for _ in range(n) for k in range(3)] + [(None, float(nn.max() + 1))]
    cost = np.zeros(nv)
    cost[-1] = -1.0
    res = linprog(cost, A_ub=np.array(rows), b_ub=np.array(b_ub), A_eq=A_eq, b_eq=b_eq, bounds=bounds,
                  method="highs")
    if res.status != 0 or -res.fun < 0:
        return None
    return res.x[:-1].reshape(n, 3), float(-res.fun)


def find_argmin_tie(cfg, rom, group, rng, inv=None, tries=200, x_start=None):
    """An input whose distances to all medoids of ``group`` (2 or 3 of them) are equal and minimal.

    ``D_a - D_g`` is linear in x: ``2 x.(r_g - r_a) = |r_g|^2 - |r_a|^2``. Start at
    the group's centroid (pT snapped to reachable values; the order is kept),
    perturb a few angle coordinates, reduce the residuals greedily (pT within
    its neighbours' values, then the angles; this walks towards the group's
    circumcentre, the nearest equidistant point), then solve
    the last one (two-way) or two (three-way, Cramer's rule on a pair of
    coordinates) exactly in integers. Checked with :func:`l1ot.kernel.fixed.run`:
    every group member at the minimum, index = the lowest member.

    Returns words (n_obj,) or None.
    """
    rom = np.asarray(rom, dtype=np.int64)
    inv = inv or _inverse_maps(cfg)
    lo, hi = _x_bounds(cfg)
    a, rest = group[0], group[1:]
    G = np.stack([rom[g] - rom[a] for g in rest])                      # (e, n, 3)
    c2 = np.array([int((rom[g] ** 2).sum() - (rom[a] ** 2).sum()) for g in rest])
    if np.any(c2 % 2):
        return None                                                   # 2 x.G is even: no tie exists
    c = c2 // 2
    if x_start is None:
        x0 = np.floor(np.mean([rom[g] for g in group], axis=0)).astype(np.int64)
    else:
        x0 = np.clip(np.rint(x_start), lo, hi).astype(np.int64)  # rounding keeps pT non-increasing
    pt_ok = np.array(sorted(inv["pt"]), dtype=np.int64)
    if any(v not in inv["pt"] for v in x0[:, 0].tolist()):
        x0[:, 0] = pt_ok[np.abs(pt_ok[None, :] - x0[:, :1]).argmin(axis=1)]
    ang = [(i, k) for i in range(cfg.n_obj) for k in (1, 2) if np.any(G[:, i, k] != 0)]
    if len(ang) < len(rest):
        return None
    A = np.array([[int(G[e, i, k]) for (i, k) in ang] for e in range(len(rest))], dtype=np.int64)  # (e, J)
    lo_j = np.array([lo[k] for _, k in ang])
    hi_j = np.array([hi[k] for _, k in ang])
    Al = A.T.tolist()                                                 # per coordinate: [g_e ...]
    g2l = [sum(v * v for v in col) for col in Al]
    lo_l, hi_l = lo_j.tolist(), hi_j.tolist()
    ne = len(rest)
    n = cfg.n_obj
    Gpt = G[:, :, 0].T.tolist()                                       # per position: [g_e ...]
    g2pt = [sum(v * v for v in col) for col in Gpt]
    pt_step = int(np.gcd.reduce(np.diff(pt_ok))) if len(pt_ok) > 1 else 1
    lo0, hi0 = int(pt_ok[0]), int(pt_ok[-1])
    for _ in range(tries):
        x = x0.copy()
        for j in rng.integers(0, len(ang), size=3):
            i, k = ang[j]
            x[i, k] = np.clip(x[i, k] + rng.integers(-3, 4), lo[k], hi[k])
        r = [int(c[e]) - int((x * G[e]).sum()) for e in range(ne)]   # residuals to remove
        # pT first (it carries the large imbalances): order and reachable grid kept
        ptl = x[:, 0].tolist()
        for _sweep in range(3):
            for i in rng.permutation(n).tolist():
                col = Gpt[i]
                if not g2pt[i]:
                    continue
                s = round(sum(r[e] * col[e] for e in range(ne)) / g2pt[i] / pt_step) * pt_step
                s = min(max(s, (ptl[i + 1] if i + 1 < n else lo0) - ptl[i]), (ptl[i - 1] if i else hi0) - ptl[i])
                if s:
                    ptl[i] += s
                    for e in range(ne):
                        r[e] -= s * col[e]
        x[:, 0] = ptl
        xl = [int(x[i, k]) for i, k in ang]
        for _sweep in range(2):                                      # greedy least squares
            for j in rng.permutation(len(ang)).tolist():
                if not g2l[j]:
                    continue
                col = Al[j]
                s = round(sum(r[e] * col[e] for e in range(ne)) / g2l[j])
                s = min(max(s, lo_l[j] - xl[j]), hi_l[j] - xl[j])
                if s:
                    xl[j] += s
                    for e in range(ne):
                        r[e] -= s * col[e]
        xv = np.array(xl, dtype=np.int64)
        r = np.array(r, dtype=np.int64)
        if len(rest) == 1:
            a1 = A[0]
            cand = np.flatnonzero((a1 != 0) & (r[0] % np.where(a1 == 0, 1, a1) == 0))
            if len(cand):
                j = int(cand[rng.integers(0, len(cand))])
                xv[j] += r[0] // a1[j]
            else:  # two coordinates: s_j g_j + s_k g_k = r, solvable when gcd(g_j, g_k) divides r
                step = _two_coord_step(a1.tolist(), int(r[0]), xv.tolist(), lo_l, hi_l, rng)
                if step is None:
                    continue
                (j, sj), (k, sk) = step
                xv[j] += sj
                xv[k] += sk
        else:
            a1, a2 = A[0], A[1]
            det = a1[:, None] * a2[None, :] - a1[None, :] * a2[:, None]      # (J, J), pairs (j, k)
            num_j = r[0] * a2[None, :] - r[1] * a1[None, :]
            num_k = a1[:, None] * r[1] - a2[:, None] * r[0]
            safe = np.where(det == 0, 1, det)
            okm = (det != 0) & (num_j % safe == 0) & (num_k % safe == 0)
            sj, sk = num_j // safe, num_k // safe
            okm &= (xv[:, None] + sj >= lo_j[:, None]) & (xv[:, None] + sj <= hi_j[:, None])
            okm &= (xv[None, :] + sk >= lo_j[None, :]) & (xv[None, :] + sk <= hi_j[None, :])
            cand = np.argwhere(okm)
            if not len(cand):
                continue
            j, k = cand[int(rng.integers(0, len(cand)))]
            xv[j] += sj[j, k]
            xv[k] += sk[j, k]
        if np.any(xv < lo_j) or np.any(xv > hi_j):
            continue
        for (i, k), v in zip(ang, xv.tolist()):
            x[i, k] = v
        _, d = _dmin_of(x, rom)
        if not all(d[g] == d.min() for g in group):
            continue
        w = words_from_x(x, cfg, inv)
        if w is None:
            continue
        d, idx = _checked(w, rom, cfg)
        if all(d[g] == d.min() for g in group) and idx == a:
            return w
    return None


def _ext_gcd(a, b):
    """(g, u, v) with a*u + b*v = g = gcd(a, b) >= 0."""
    u0, v0, u1, v1 = 1, 0, 0, 1
    while b:
        q = a // b
        a, b = b, a - q * b
        u0, u1 = u1, u0 - q * u1
        v0, v1 = v1, v0 - q * v1
    return (a, u0, v0) if a >= 0 else (-a, -u0, -v0)


def _two_coord_step(g, r, x, lo, hi, rng):
    """Integer steps on two coordinates with ``s_j g_j + s_k g_k = r`` keeping ``lo <= x + s <= hi``.

    Takes the solution nearest zero along ``(g_k, -g_j) / gcd``; returns ((j, s_j), (k, s_k)) or None.
    """
    J = [j for j in range(len(g)) if g[j]]
    pairs = [(j, k) for ai, j in enumerate(J) for k in J[ai + 1:]]
    for q in rng.permutation(len(pairs)).tolist():
        j, k = pairs[q]
        d, u, v = _ext_gcd(g[j], g[k])
        if r % d:
            continue
        sj, sk = u * (r // d), v * (r // d)
        tj, tk = g[k] // d, -g[j] // d                   # homogeneous solution
        t = -round(sj / tj) if abs(tj) >= abs(tk) else -round(sk / tk)
        sj, sk = sj + t * tj, sk + t * tk
        if lo[j] <= x[j] + sj <= hi[j] and lo[k] <= x[k] + sk <= hi[k]:
            return (j, sj), (k, sk)
    return None


def max_distance_inputs(cfg, rom, inv=None):
    """For each medoid m, the input x with the largest ``D_m`` any input can reach.

    Over sorted inputs (pT non-increasing in ``[x_lo, x_hi]``) ``D_m`` is convex, so
    its maximum is at a vertex: pT = ``x_hi`` on a prefix of positions and ``x_lo``
    after it, each angle at the end of its range farther from the ROM value.

    Returns (x (K, n_obj, 3) int64, dmax (K,) int64).
    """
    rom = np.asarray(rom, dtype=np.int64)
    lo, hi = _x_bounds(cfg)
    K, n = rom.shape[0], cfg.n_obj
    ang = np.where(hi[1:] - rom[..., 1:] >= rom[..., 1:] - lo[1:], hi[1:], lo[1:])     # (K, n, 2)
    d_ang = ((ang - rom[..., 1:]) ** 2).sum(axis=(1, 2))
    p = np.arange(n + 1)
    pt = np.where(np.arange(n)[None, :] < p[:, None], hi[0], lo[0])                  # (n+1, n) prefixes
    d_pt = ((pt[None, :, :] - rom[:, None, :, 0]) ** 2).sum(-1)                       # (K, n+1)
    best = d_pt.argmax(axis=1)
    x = np.concatenate([pt[best][..., None], ang], axis=-1)
    return x, d_pt[np.arange(K), best] + d_ang


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
    inv = _inverse_maps(cfg)
    lo, hi = _x_bounds(cfg)
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
        gs = [g for g in _tie_groups(rom, nw) if len({int(par[i]) for i in g}) == 1]
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


# ---------------------------------------------------------------------------
# write / read
# ---------------------------------------------------------------------------
def _hexw(bits):
    return (bits + 3) // 4


def write_golden(path, cfg, model, rom, words, tags=None, threshold=None) -> dict:
    """Run the kernel on ``words`` and write the golden-vector file.

    Parameters
    ----------
    path : output file
    cfg : KernelConfig
    model : LinModel (``.threshold``, ``.path``) or path of the model file
    rom : int64 (K, n_obj, 3), from :func:`l1ot.kernel.fixed.medoid_rom`
    words : uint64 (N, n_obj)
    tags : list[str], optional, category of each event
    threshold : int, optional, overrides ``model.threshold``

    Returns
    -------
    dict: header fields, per-category counts, number of triggers and score saturations.
    """
    rom = fixed.check_rom(rom, cfg)
    if threshold is None:
        threshold = getattr(model, "threshold", None)
    if threshold is None:
        raise ModelError("the model has no trigger threshold (run `l1ot calibrate` first)")
    res = fixed.run(words, rom, int(threshold), cfg)
    K = rom.shape[0]
    hdr = {"config_sha256": cfg.sha256, "model_sha256": model_sha256(model), "rom_sha256": rom_sha256(rom),
           "K": K, "threshold": int(threshold), "n_obj": cfg.n_obj, "word_bits": cfg.word_bits,
           "score_bits": cfg.score_bits, "score_shift": cfg.score_shift, "idx_bits": cfg.idx_bits(K),
           "transport": cfg.transport, "network": cfg.network.name, "n_events": len(res)}
    ww, sw, iw = _hexw(cfg.word_bits), _hexw(cfg.score_bits), _hexw(cfg.idx_bits(K))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wl = np.asarray(words, dtype=np.uint64).tolist()
    sc, ix, tg = res.score.tolist(), res.idx.tolist(), res.trig.tolist()
    with open(path, "w") as f:
        f.write(MAGIC + "\n")
        f.write("# " + "  ".join(f"{k} {hdr[k]}" for k in HEADER_KEYS) + "\n")
        f.write(f"# columns: w0 .. w{cfg.n_obj - 1} score idx trig  # category\n")
        for e in range(len(wl)):
            line = " ".join(f"{v:0{ww}x}" for v in wl[e]) + f" {sc[e]:0{sw}x} {ix[e]:0{iw}x} {tg[e]}"
            if tags is not None:
                line += f"  # {tags[e]}"
            f.write(line + "\n")
    counts = {}
    for t in (tags or []):
        counts[t] = counts.get(t, 0) + 1
    return {"header": hdr, "path": str(path), "counts": counts, "n_trig": int(res.trig.sum()),
            "n_score_sat": res.n_score_sat}


def read_golden(path):
    """Parse a golden-vector file.

    Returns
    -------
    header : dict, words : uint64 (N, n_obj), score, idx : int64 (N,), trig : uint8 (N,),
    tags : list[str] ('' where a line has no category)
    """
    header, words, outs, tags = read_vector_file(path, ("K", "n_obj", "word_bits", "score_bits", "idx_bits"),
                                                  lambda h: [h["word_bits"]] * h["n_obj"], what="golden-vector")
    n = header["n_obj"]
    words = np.array(words, dtype=np.uint64).reshape(-1, n)
    o = np.array(outs, dtype=np.int64).reshape(-1, 3)
    return header, words, o[:, 0], o[:, 1], o[:, 2].astype(np.uint8), tags


def read_vector_file(path, required, slot_bits, what="golden-vector", magic=MAGIC, int_keys=INT_KEYS):
    """Parse a golden-vector text file (``golden.txt``, ``golden_gt.txt``): magic line,
    ``# key value ...`` header, then one event per line: ``n_obj`` hex words, hex score,
    hex index, trigger bit, optional ``# category``.

    ``magic``: the first line; ``int_keys``: header keys parsed as int;
    ``required``: header keys that must be present; ``slot_bits(header)``: width of
    each slot's word in bits (list of ``n_obj``). Returns ``header`` (dict), ``words``
    (list of lists of int), ``outs`` (list of (score, index, trigger)), ``tags``
    (list of str). Any defect raises :class:`DataError` naming the file and line.
    """
    path = str(path)
    if not os.path.isfile(path):
        raise DataError(f"{what} file not found", file=path)
    with open(path) as f:
        lines = f.read().splitlines()
    if not lines or lines[0].strip() != magic:
        raise DataError(f"first line must be '{magic}'", file=path)
    if len(lines) < 2 or not lines[1].startswith("#"):
        raise DataError("line 2 must be the header", file=path)
    tok = lines[1][1:].split()
    if not tok or len(tok) % 2:
        raise DataError("line 2: header must be 'key value' pairs", file=path)
    header = {k: (int(v) if k in int_keys else v) for k, v in zip(tok[::2], tok[1::2])}
    for k in required:
        if k not in header:
            raise DataError(f"line 2: header key '{k}' missing", file=path)
    n = header["n_obj"]
    sbits = slot_bits(header)
    words, outs, tags = [], [], []
    for ln, line in enumerate(lines[2:], start=3):
        body, _, comment = line.partition("#")
        if not body.strip():
            continue
        t = body.split()
        if len(t) != n + 3:
            raise DataError(f"line {ln}: expected {n + 3} fields, got {len(t)}", file=path)
        try:
            w = [int(v, 16) for v in t[:n]]
            o = (int(t[n], 16), int(t[n + 1], 16), int(t[n + 2]))
        except ValueError:
            raise DataError(f"line {ln}: not a hex number", file=path) from None
        for s, v in enumerate(w):
            if v >> sbits[s]:
                raise DataError(f"line {ln}: word wider than {sbits[s]} bits", file=path, slot=s)
        if o[2] not in (0, 1):
            raise DataError(f"line {ln}: trigger bit {o[2]} is not 0 or 1", file=path)
        words.append(w)
        outs.append(o)
        tags.append(comment.strip())
    if header.get("n_events") not in (None, len(words)):
        raise DataError(f"header says n_events {header['n_events']}, file has {len(words)}", file=path)
    return header, words, outs, tags
