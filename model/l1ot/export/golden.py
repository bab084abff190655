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
import os
import warnings
from pathlib import Path

import numpy as np

from ..kernel import fixed
from ..errors import DataError, ModelError

MAGIC = "# l1ot golden vectors v1"
CATEGORIES = ("empty", "full", "pt_ties", "pt_saturation", "angle_extremes", "medoid",
              "medoid_tie", "random", "sample")
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


def golden_events(cfg, rom, data_dir="data", n_total=10_000, seed=2024, medoid_events=None):
    """Input words of every golden category.

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
    # bundled sample
    ev, used = sample_events(data_dir)
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
    return np.concatenate(blocks), tags, info


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
    path = str(path)
    if not os.path.isfile(path):
        raise DataError("golden-vector file not found", file=path)
    with open(path) as f:
        lines = f.read().splitlines()
    if not lines or lines[0].strip() != MAGIC:
        raise DataError(f"first line must be '{MAGIC}'", file=path)
    if len(lines) < 2 or not lines[1].startswith("#"):
        raise DataError("line 2 must be the header", file=path)
    tok = lines[1][1:].split()
    if len(tok) % 2:
        raise DataError("line 2: header must be 'key value' pairs", file=path)
    header = {}
    for k, v in zip(tok[::2], tok[1::2]):
        header[k] = int(v) if k in INT_KEYS else v
    for k in ("K", "n_obj", "word_bits", "score_bits", "idx_bits"):
        if k not in header:
            raise DataError(f"line 2: header key '{k}' missing", file=path)
    n = header["n_obj"]
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
        if any(v >> header["word_bits"] for v in w) or o[2] not in (0, 1):
            raise DataError(f"line {ln}: value out of range", file=path)
        words.append(w)
        outs.append(o)
        tags.append(comment.strip())
    if "n_events" in header and header["n_events"] != len(words):
        raise DataError(f"header says n_events {header['n_events']}, file has {len(words)}", file=path)
    words = np.array(words, dtype=np.uint64).reshape(-1, n)
    o = np.array(outs, dtype=np.int64).reshape(-1, 3)
    return header, words, o[:, 0], o[:, 1], o[:, 2].astype(np.uint8), tags
