"""Golden vectors of the graded trigger bits (``golden_graded.txt``).

Every event of ``golden.txt`` (every golden category) plus, for each graded
threshold ``T[i]``, events whose score is exactly ``T[i] - 1``, ``T[i]`` and
``T[i] + 1`` (categories ``graded_below``, ``graded_at``, ``graded_above``; built
with the constructions of :mod:`l1ot.export.golden`, then checked). Each line
carries the N expected bits as one hex word (bit i = score >= T[i], computed by
:func:`l1ot.kernel.graded.trigger_bits`), so the HLS csim and the RTL cosim
compare integers.

Format::

    # l1ot graded golden vectors v1
    # K <int>  score_bits <int>  n_thr <N>  thresholds <hex>,<hex>,...  config_sha256 <hex>
    # columns: w0 .. w18 score idx trig bits  # category
    <19 hex words> <score hex> <idx hex> <0|1> <bits hex>  # category
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from ..errors import DataError, ModelError
from ..kernel import fixed, graded
from . import golden as gold

MAGIC = "# l1ot graded golden vectors v1"
CATEGORIES = ("graded_below", "graded_at", "graded_above")


def window_events(cfg, rom, thresholds, seed: int = 24, per: int = 4):
    """Inputs with score exactly T - 1, T, T + 1 for each threshold T (where that score exists).

    Returns words uint64 (n, n_obj) and tags (n,). A window no input reaches is skipped
    with a warning naming the threshold and category; a constructed input off its
    score is a ModelError."""
    rng = np.random.default_rng([seed, 24])
    rom = np.asarray(rom, dtype=np.int64)
    inv = gold._inverse_maps(cfg)
    sh, smax = cfg.score_shift, cfg.score_max
    words, tags, want = [], [], []
    for i, T in enumerate(int(t) for t in thresholds):
        for s, cat in ((T - 1, "graded_below"), (T, "graded_at"), (T + 1, "graded_above")):
            if s < 0 or s > smax:
                continue
            d_lo, d_hi = s << sh, ((s + 1) << sh) - 1
            targets = [d_lo, d_hi] + rng.integers(d_lo, d_hi + 1, max(0, per - 2)).tolist()
            got = gold.find_dmin_window(cfg, rom, d_lo, d_hi, rng, targets, inv=inv)
            if not got:
                got = gold.find_dmin_window_scan(cfg, rom, d_lo, d_hi, rng, targets, inv=inv)
            if not got:   # e.g. a score no input reaches against this ROM: said, not fatal
                warnings.warn(f"graded golden category '{cat}': no input with score {s} "
                              f"(threshold {i} = {T}) found; skipped", stacklevel=2)
                continue
            words += [np.asarray(w, dtype=np.uint64) for w in got]
            tags += [cat] * len(got)
            want += [s] * len(got)
    w = np.asarray(words, dtype=np.uint64).reshape(-1, cfg.n_obj)
    if len(w):   # the construction worked: every window at its score
        sc = fixed.run(w, rom, None, cfg).score
        off = np.flatnonzero(sc != np.asarray(want))
        if len(off):
            raise ModelError(f"graded golden category '{tags[off[0]]}': constructed score {int(sc[off[0]])}, "
                             f"wanted {want[off[0]]}")
    return w, tags


def write_graded_golden(path, cfg, rom, thresholds, words, tags) -> dict:
    """Score ``words`` with the Python model and write ``golden_graded.txt``; returns a summary."""
    rom = fixed.check_rom(rom, cfg)
    thr = graded.check_thresholds(thresholds, cfg.score_max, "graded thresholds")
    res = fixed.run(words, rom, None, cfg)
    bits = graded.pack_bits(graded.trigger_bits(res.score, thr))
    K = rom.shape[0]
    ww, sw, iw = gold._hexw(cfg.word_bits), gold._hexw(cfg.score_bits), gold._hexw(cfg.idx_bits(K))
    bw = max(1, (len(thr) + 3) // 4)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wl = np.asarray(words, dtype=np.uint64).tolist()
    with open(path, "w") as f:
        f.write(MAGIC + "\n")
        f.write(f"# K {K}  score_bits {cfg.score_bits}  n_thr {len(thr)}  thresholds "
                + ",".join(f"{t:x}" for t in thr) + f"  config_sha256 {cfg.sha256}\n")
        f.write(f"# columns: w0 .. w{cfg.n_obj - 1} score idx trig bits  # category "
                "(trig: bit 0, kept for the golden.txt layout)\n")
        for e in range(len(wl)):
            b = int(bits[e])
            f.write(" ".join(f"{v:0{ww}x}" for v in wl[e]) + f" {int(res.score[e]):0{sw}x} {int(res.idx[e]):0{iw}x}"
                    f" {b & 1} {b:0{bw}x}  # {tags[e]}\n")
    counts = {}
    for t in tags:
        counts[t] = counts.get(t, 0) + 1
    return {"path": str(path), "n_events": len(wl), "thresholds": thr, "counts": counts,
            "n_bits_set": [int(x) for x in graded.trigger_bits(res.score, thr).sum(axis=0)]}


def read_graded_golden(path):
    """-> (header dict, words uint64 (n, n_obj), score, idx, bits (int64), tags). DataError naming the line."""
    path = str(path)
    hdr, rows = {}, []
    try:
        lines = open(path).read().splitlines()
    except OSError as exc:
        raise DataError(f"cannot read graded golden vectors ({exc.strerror})", file=path) from None
    if not lines or lines[0] != MAGIC:
        raise DataError(f"first line is not '{MAGIC}'", file=path)
    toks = lines[1].lstrip("# ").split()
    hdr = dict(zip(toks[::2], toks[1::2]))
    hdr["thresholds"] = [int(x, 16) for x in hdr["thresholds"].split(",")]
    for k in ("K", "score_bits", "n_thr"):
        hdr[k] = int(hdr[k])
    words, score, idx, bits, tags = [], [], [], [], []
    for ln, line in enumerate(lines[3:], start=4):
        body, _, tag = line.partition("#")
        t = body.split()
        if len(t) != 23:
            raise DataError(f"line {ln}: expected 23 fields, got {len(t)}", file=path)
        try:
            words.append([int(x, 16) for x in t[:19]])
            score.append(int(t[19], 16))
            idx.append(int(t[20], 16))
            bits.append(int(t[22], 16))
        except ValueError:
            raise DataError(f"line {ln}: a field is not hex", file=path) from None
        tags.append(tag.strip())
    return (hdr, np.asarray(words, dtype=np.uint64), np.asarray(score, dtype=np.int64),
            np.asarray(idx, dtype=np.int64), np.asarray(bits, dtype=np.int64), tags)


def write_for_export(path, cfg, rom, thresholds, golden_path, seed: int = 24) -> dict:
    """``golden_graded.txt`` of an export: the events of ``golden_path`` and the graded windows."""
    _h, w0, _s, _i, _t, tags0 = gold.read_golden(golden_path)
    ww, wt = window_events(cfg, rom, thresholds, seed=seed)
    words = np.concatenate([w0, ww]) if len(ww) else w0
    return write_graded_golden(path, cfg, rom, thresholds, words, list(tags0) + list(wt))
