"""The vectorized fixed-point model against an independent scalar reference.

``ref_*`` below is written from docs/kernel.md in plain Python integers
(fractions for the input rounding, ``sorted`` for the pT order, no network,
no numpy, unreduced multipliers M = round(sqrt(w) LSB 2^F 2^S) at S =
mult_shift). It shares nothing with l1ot.kernel.fixed except the config JSON.
"""
from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from fixtures import toy_events
from l1ot.kernel import fixed
from l1ot.errors import ConfigError, DataError, ModelError

CONFIGS = Path(fixed.__file__).parent / "configs"
AX = ("pt", "eta", "phi")


# ---------------------------------------------------------------------------
# independent scalar reference (docs/kernel.md)
# ---------------------------------------------------------------------------
class Ref:
    def __init__(self, path=CONFIGS / "kernel_default.json", **over):
        c = json.loads(Path(path).read_text())
        c.update(over)
        self.c = c
        self.n = c["n_obj"]
        self.bits = {"pt": c["pt_bits"], "eta": c["eta_bits"], "phi": c["phi_bits"]}

        def lsb(v):
            if isinstance(v, str):
                num, den = v.split("/")
                return (2 if num == "2pi" else 1) * math.pi / float(den)
            return float(v)

        self.lsb = {a: lsb(c[f"{a}_lsb"]) for a in AX}
        w = c.get("axis_weights", [1, 1, 1])
        F, S = c["work_frac_bits"], c["mult_shift"]
        self.M = {a: round(math.sqrt(wa) * self.lsb[a] * 2.0 ** F * 2.0 ** S) for a, wa in zip(AX, w)}
        self.S = S
        self.species = c["transport"] == "species"

    # stage 0
    def quant(self, x, a):
        v = Fraction(float(x) / self.lsb[a])  # the float64 quotient, then exact rounding
        r = math.floor(v + Fraction(1, 2))
        b = self.bits[a]
        if a == "pt":
            return min(max(r, 0), 2 ** b - 1)
        if a == "phi" and self.c.get("phi_wrap", True):
            P = round(2 * math.pi / self.lsb["phi"])
            r = (r + P // 2) % P - P // 2
        return min(max(r, -(2 ** (b - 1))), 2 ** (b - 1) - 1)

    def word(self, pt, eta, phi):
        be, bp = self.bits["eta"], self.bits["phi"]
        return (pt << (be + bp)) | ((eta % 2 ** be) << bp) | (phi % 2 ** bp)

    def event_words(self, ev):
        return [self.word(*(self.quant(ev[s][i], a) for i, a in enumerate(AX))) for s in range(self.n)]

    def unword(self, w):
        be, bp = self.bits["eta"], self.bits["phi"]
        pt = w >> (be + bp)
        eta = (w >> bp) % 2 ** be
        phi = w % 2 ** bp
        eta -= 2 ** be if eta >= 2 ** (be - 1) else 0
        phi -= 2 ** bp if phi >= 2 ** (bp - 1) else 0
        return pt, eta, phi

    # stages a, b
    def xs(self, words):
        x = []
        for w in words:
            raw = self.unword(w)
            # rnd_shift(v, S) = (v + 2^(S-1)) >> S with floor semantics
            x.append(tuple((r * self.M[a] + (1 << (self.S - 1))) // (1 << self.S) if self.S else r * self.M[a]
                           for r, a in zip(raw, AX)))
        blocks = [[0], [1, 2, 3, 4], [5, 6, 7, 8], list(range(9, 19))] if self.species else [list(range(self.n))]
        out = [None] * self.n
        for blk in blocks:
            order = sorted(blk, key=lambda s: (-x[s][0], s))  # pT descending, ties to lower slot
            for wire, s in zip(blk, order):
                out[wire] = x[s]
        return out

    # stages c .. f
    def kernel(self, words, rom, threshold):
        xs = self.xs(words)
        d = [sum((xs[i][a] - rom[m][i][a]) ** 2 for i in range(self.n) for a in range(3))
             for m in range(len(rom))]
        dmin = min(d)
        idx = d.index(dmin)  # first = lowest index
        smax = 2 ** self.c["score_bits"] - 1
        q = dmin >> self.c["score_shift"]
        score = min(q, smax)
        return score, idx, int(score >= threshold), q > smax


def _events(n, seed):
    ev = toy_events(n, seed=seed).astype(np.float64)
    return ev


def _check(cfg, ref, events, medoids, threshold, n_check=None):
    words, _ = fixed.events_to_words(events, cfg)
    rom = fixed.medoid_rom(medoids, cfg)
    ref_rom = [ref.xs(ref.event_words(m)) for m in medoids]
    np.testing.assert_array_equal(rom, np.array(ref_rom))
    res = fixed.run(words, rom, threshold, cfg)
    n_sat = 0
    for e in range(len(events) if n_check is None else n_check):
        rw = ref.event_words(events[e])
        assert [int(w) for w in words[e]] == rw, f"event {e}: words differ"
        score, idx, trig, sat = ref.kernel(rw, ref_rom, threshold)
        assert (int(res.score[e]), int(res.idx[e]), int(res.trig[e])) == (score, idx, trig), f"event {e}"
        n_sat += sat
    if n_check is None:
        assert res.n_score_sat == n_sat
    return res


@pytest.mark.parametrize("over", [
    {},
    {"transport": "species"},
    {"work_frac_bits": 0, "mult_shift": 12, "score_shift": 4},
    {"work_frac_bits": 6, "mult_shift": 20, "score_shift": 16},
    {"axis_weights": [1.0, 4.0, 2.0]},
    {"score_bits": 8, "score_shift": 6},   # many saturated scores
    {"phi_wrap": False},
])
def test_kernel_matches_scalar_reference(over):
    cfg = fixed.KernelConfig.load(**over)
    ref = Ref(**over)
    ev = _events(400, seed=11)
    med = _events(9, seed=12)
    res = _check(cfg, ref, ev, med, threshold=min(300, cfg.score_max - 5))
    assert 0 < res.trig.sum() < len(res.trig) and len(np.unique(res.idx)) > 3
    if "score_bits" in over:
        assert res.n_score_sat > 0


def test_run3_matches_scalar_reference():
    path = CONFIGS / "kernel_run3.json"
    cfg = fixed.KernelConfig.load(path)
    ev = _events(300, seed=21)
    ev[:, :, 0] = np.minimum(ev[:, :, 0], 300.0)
    _check(cfg, Ref(path), ev, _events(5, seed=22), threshold=100)


def test_stage_values_match_fast_path():
    cfg = fixed.KernelConfig.load()
    ev = _events(3000, seed=3)
    words, _ = fixed.events_to_words(ev, cfg)
    rom = fixed.medoid_rom(_events(16, seed=4), cfg)
    a = fixed.run(words, rom, 100, cfg, chunk=1000)
    b = fixed.run(words, rom, 100, cfg, stages=True)
    for k in ("score", "idx", "trig"):
        np.testing.assert_array_equal(getattr(a, k), getattr(b, k))
    st = b.stages
    assert st["xs"].shape == (3000, 19, 3) and st["d"].shape == (3000, 16)
    np.testing.assert_array_equal(st["d"].min(1), st["dmin"])
    # perm really is a permutation producing xs from x
    np.testing.assert_array_equal(np.sort(st["perm"], 1), np.tile(np.arange(19), (3000, 1)))
    np.testing.assert_array_equal(np.take_along_axis(st["x"], st["perm"][..., None], 1), st["xs"])


def test_int64_fallback_equals_blas_path():
    cfg = fixed.KernelConfig.load()
    ev = _events(500, seed=8)
    words, _ = fixed.events_to_words(ev, cfg)
    rom = fixed.medoid_rom(_events(7, seed=9), cfg)
    a = fixed.run(words, rom, 50, cfg)
    cfg.blas_exact = False
    b = fixed.run(words, rom, 50, cfg)
    np.testing.assert_array_equal(a.score, b.score)
    np.testing.assert_array_equal(a.idx, b.idx)


def test_pt_ties_keep_slot_order():
    cfg = fixed.KernelConfig.load()
    ev = np.zeros((1, 19, 4))
    ev[0, :, 0] = 50.0  # all equal pT
    ev[0, :, 1] = np.linspace(-2, 2, 19)
    ev[0, :, 2] = np.linspace(-3, 3, 19)
    words, _ = fixed.events_to_words(ev, cfg)
    res = fixed.run(words, fixed.medoid_rom(_events(2, 1), cfg), 0, cfg, stages=True)
    np.testing.assert_array_equal(res.stages["perm"][0], np.arange(19))
    ev[0, 7, 0] = 60.0
    words, _ = fixed.events_to_words(ev, cfg)
    res = fixed.run(words, fixed.medoid_rom(_events(2, 1), cfg), 0, cfg, stages=True)
    np.testing.assert_array_equal(res.stages["perm"][0], [7] + [s for s in range(19) if s != 7])


def test_event_equal_to_medoid_scores_zero():
    cfg = fixed.KernelConfig.load()
    med = _events(6, seed=30)
    med[4] = med[1]  # duplicate medoid: ties go to the lower index
    words, _ = fixed.events_to_words(med, cfg)
    res = fixed.run(words, fixed.medoid_rom(med, cfg), 1, cfg)
    np.testing.assert_array_equal(res.score, 0)
    np.testing.assert_array_equal(res.idx, [0, 1, 2, 3, 1, 5])
    np.testing.assert_array_equal(res.trig, 0)


def test_equidistant_medoids_pick_lowest_index():
    cfg = fixed.KernelConfig.load()
    ev = np.zeros((1, 19, 4))
    ev[0, 0] = (100.0, 0.0, 0.0, 1)
    m = np.zeros((3, 19, 4))
    m[0, 0] = (300.0, 0.0, 0.0, 1)   # far
    m[1, 0] = (110.0, 0.0, 0.0, 1)   # +10 GeV
    m[2, 0] = (90.0, 0.0, 0.0, 1)    # -10 GeV: same distance
    words, _ = fixed.events_to_words(ev, cfg)
    res = fixed.run(words, fixed.medoid_rom(m, cfg), 0, cfg, stages=True)
    d = res.stages["d"][0]
    assert d[1] == d[2] < d[0]
    assert res.idx[0] == 1
    res = fixed.run(words, fixed.medoid_rom(m[[0, 2, 1]], cfg), 0, cfg)
    assert res.idx[0] == 1


def test_input_saturation_is_counted():
    cfg = fixed.KernelConfig.load()
    ev = np.zeros((2, 19, 4))
    ev[0, 9, :3] = (5000.0, 7.0, 0.1)      # pT above 2047.97 GeV and eta above 6.28
    ev[0, 10, :3] = (2047.96875, -7.0, np.pi)  # pT at the top code, eta below range, phi = +pi
    ev[1, 0, :3] = (10.0, 0.0, -np.pi)
    pt, eta, phi, st = fixed.quantize_inputs(ev, cfg)
    assert (st.sat_pt, st.sat_eta, st.sat_phi, st.phi_wrapped) == (1, 2, 0, 1)
    assert pt[0, 9] == pt[0, 10] == 2 ** 16 - 1
    assert eta[0, 9] == 2 ** 13 - 1 and eta[0, 10] == -(2 ** 13)
    assert phi[0, 10] == phi[1, 0] == -4096
    pt, eta, phi, st = fixed.quantize_inputs(ev, cfg.replace(phi_wrap=False))
    assert (st.sat_phi, st.phi_wrapped) == (1, 0) and phi[0, 10] == 4095


def test_score_saturation_is_counted():
    cfg = fixed.KernelConfig.load(score_bits=6, score_shift=4)
    ev = _events(200, seed=5)
    words, _ = fixed.events_to_words(ev, cfg)
    rom = fixed.medoid_rom(_events(4, seed=6), cfg)
    res = fixed.run(words, rom, 63, cfg, stages=True)
    expect = int(((res.stages["dmin"] >> 4) > 63).sum())
    assert res.n_score_sat == expect > 0
    assert res.score.max() == 63
    np.testing.assert_array_equal(res.trig, (res.score >= 63).astype(np.uint8))


def test_pack_unpack_roundtrip():
    cfg = fixed.KernelConfig.load()
    rng = np.random.default_rng(0)
    pt = rng.integers(0, 2 ** 16, (100, 19))
    eta = rng.integers(-(2 ** 13), 2 ** 13, (100, 19))
    phi = rng.integers(-(2 ** 12), 2 ** 12, (100, 19))
    w = fixed.pack_words(pt, eta, phi, cfg)
    assert w.dtype == np.uint64 and int(w.max()) < 2 ** 43
    for a, b in zip((pt, eta, phi), fixed.unpack_words(w, cfg)):
        np.testing.assert_array_equal(a, b)
    # field layout: pt in bits 42..27, eta 26..13, phi 12..0
    one = fixed.pack_words(np.array([[1] + [0] * 18]), np.array([[-1] + [0] * 18]),
                           np.array([[-2] + [0] * 18]), cfg)
    assert int(one[0, 0]) == (1 << 27) | (0x3FFF << 13) | 0x1FFE


def test_bad_words_name_event_and_slot():
    cfg = fixed.KernelConfig.load()
    rom = fixed.medoid_rom(_events(2, 1), cfg)
    w = np.zeros((5, 19), np.uint64)
    w[3, 7] = np.uint64(1) << np.uint64(43)
    with pytest.raises(DataError, match="event 3, slot 7"):
        fixed.run(w, rom, 0, cfg)
    with pytest.raises(DataError, match=r"shape \(N, 19\)"):
        fixed.run(np.zeros((5, 18), np.uint64), rom, 0, cfg)


def test_bad_float_input_is_reported():
    cfg = fixed.KernelConfig.load()
    ev = np.zeros((3, 19, 4))
    ev[2, 4, 1] = np.nan
    with pytest.raises(DataError, match="event 2, slot 4, field eta"):
        fixed.quantize_inputs(ev, cfg)
    ev[2, 4, 1] = 0
    ev[1, 3, 0] = -1.0
    with pytest.raises(DataError, match="event 1, slot 3, field pt"):
        fixed.quantize_inputs(ev, cfg)


def test_bad_rom_and_threshold():
    cfg = fixed.KernelConfig.load()
    w = np.zeros((2, 19), np.uint64)
    with pytest.raises(ModelError, match="shape"):
        fixed.run(w, np.zeros((4, 19, 2), np.int64), 0, cfg)
    bad = np.zeros((2, 19, 3), np.int64)
    bad[1, 0, 0] = 10 ** 6
    with pytest.raises(ModelError, match="outside the working range"):
        fixed.run(w, bad, 0, cfg)
    with pytest.raises(ModelError, match="threshold"):
        fixed.run(w, np.zeros((2, 19, 3), np.int64), 2 ** 16, cfg)


@pytest.mark.parametrize("over, msg", [
    ({"transport": "exact"}, "transport"),
    ({"work_frac_bits": 1.5}, "work_frac_bits"),
    ({"score_shift": 40}, "score_shift"),
    ({"eta_lsb": "tau/3"}, "eta_lsb"),
    ({"bogus": 1}, "unknown field"),
    ({"networks": {"sorted": "nope"}}, "nope"),
])
def test_config_errors(over, msg):
    with pytest.raises(ConfigError, match=msg):
        fixed.KernelConfig.load(**over)


def test_derived_widths_default():
    cfg = fixed.KernelConfig.load()
    assert cfg.word_bits == 43
    assert (cfg.mult, cfg.shift) == ({"pt": 1, "eta": 201, "phi": 201}, {"pt": 3, "eta": 16, "phi": 16})
    assert cfg.x_range == {"pt": (0, 8192), "eta": (-25, 25), "phi": (-13, 13)}
    assert cfg.x_bits == {"pt": 14, "eta": 6, "phi": 5}
    assert (cfg.tag_bits, cfg.key_bits) == (5, 19)
    # D_max = 19 * (8192^2 + 50^2 + 26^2) needs 31 bits
    assert cfg.d_bits == (19 * (8192 ** 2 + 50 ** 2 + 26 ** 2)).bit_length() == 31
    assert [cfg.idx_bits(k) for k in (1, 2, 3, 32, 33)] == [1, 1, 2, 5, 6]
    assert cfg.blas_exact
    assert len(cfg.sha256) == 64
    assert cfg.sha256 == fixed.KernelConfig.load().sha256 != cfg.replace(score_shift=9).sha256


@pytest.mark.parametrize("over", [{}, {"transport": "species"}, {"score_bits": 12, "score_shift": 14}])
def test_raw_words_over_full_ranges_match_reference(over):
    """Random raw fields over the whole input ranges (incl. type limits) against the reference."""
    cfg = fixed.KernelConfig.load(**over)
    ref = Ref(**over)
    rng = np.random.default_rng(77)
    n = 300
    fields = []
    for a in AX:
        lo, hi = cfg.raw_range[a]
        v = rng.integers(lo, hi + 1, (n, 19))
        edge = rng.random((n, 19)) < 0.2
        v = np.where(edge, rng.choice([lo, lo + 1, hi - 1, hi, 0], (n, 19)), v)
        fields.append(v)
    empty = rng.random((n, 19)) < 0.3
    fields = [np.where(empty, 0, f) for f in fields]
    words = fixed.pack_words(*fields, cfg)
    med = fixed.pack_words(*[f[:6] for f in fields], cfg)
    rom = fixed.run(med, np.zeros((1, 19, 3), np.int64), None, cfg, stages=True).stages["xs"]
    ref_rom = [ref.xs([int(w) for w in row]) for row in med]
    np.testing.assert_array_equal(rom, np.array(ref_rom))
    thr = cfg.score_max // 2
    res = fixed.run(words, rom, thr, cfg)
    n_sat = 0
    for e in range(n):
        score, idx, trig, sat = ref.kernel([int(w) for w in words[e]], ref_rom, thr)
        assert (int(res.score[e]), int(res.idx[e]), int(res.trig[e])) == (score, idx, trig), f"event {e}"
        n_sat += sat
    assert res.n_score_sat == n_sat


@pytest.mark.parametrize("frac_bits", [2, 4, 6])
def test_packed_sort_path_equals_stage_path(frac_bits):
    """The fast path sorts {x_pt, tag, eta, phi} words (int32 at F=2, int64 at F=4, 6);
    it must equal the stage-by-stage path (sort keys, then gather the angles)."""
    cfg = fixed.KernelConfig.load(work_frac_bits=frac_bits)
    ev = _events(2000, seed=30 + frac_bits)
    ev[:200, :, 0] = np.round(ev[:200, :, 0])  # many exact pT ties
    words, _ = fixed.events_to_words(ev, cfg)
    rom = fixed.medoid_rom(_events(12, seed=5), cfg)
    a = fixed.run(words, rom, 50, cfg, chunk=700)
    b = fixed.run(words, rom, 50, cfg, stages=True)
    for k in ("score", "idx", "trig"):
        np.testing.assert_array_equal(getattr(a, k), getattr(b, k))
