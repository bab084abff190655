"""Phase-2 GT object words (l1ot.kernel.gtwords, l1ot.export.gt) against the CMSSW layout.

The reference is typed here by hand from CMSSW
``L1Trigger/Phase2L1GT/plugins/L1GTEvaluationInterface.h`` (``l1t_pack_int`` packs its
arguments from bit 0 upwards; ``L1TGT_Common3Vector``: valid u1, pT u16, phi s13, eta s14;
``L1TGT_CommonSum``: valid u1, pT u16, phi s13, scalarSumPT u16) and built with the
``bitstring`` package, not read from ``gt_words.json``.
"""
from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest
from bitstring import Bits

from l1ot.errors import ConfigError, DataError
from l1ot.export import gt as gtx
from l1ot.kernel import fixed, gtwords

CFG = fixed.KernelConfig.load()
#: slot word widths of the CMSSW types: GCT_Sum2 64, GCT_Egamma 64, GMT_TrackMatchedmuon 96, GTT_PromptJet 128
WIDTHS = [64] + [64] * 4 + [96] * 4 + [128] * 10


def cmssw_3vector(valid, pt, phi, eta, width=64, rest=0) -> int:
    """l1t_pack_int(valid, pT, phi, eta) in a ``width``-bit word; ``rest`` fills bits 44 and up."""
    fields = [Bits(uint=rest, length=width - 44), Bits(int=eta, length=14), Bits(int=phi, length=13),
              Bits(uint=pt, length=16), Bits(uint=valid, length=1)]   # MSB first for bitstring
    return sum(fields, Bits()).uint


def cmssw_sum(valid, pt, phi, scalar, rest=0) -> int:
    fields = [Bits(uint=rest, length=64 - 46), Bits(uint=scalar, length=16), Bits(int=phi, length=13),
              Bits(uint=pt, length=16), Bits(uint=valid, length=1)]
    return sum(fields, Bits()).uint


def kernel_word(pt, eta, phi) -> int:
    """docs/kernel.md stage 0: {pt[15:0], eta[13:0], phi[12:0]}, pt in bits 42..27."""
    return (Bits(uint=pt, length=16) + Bits(int=eta, length=14) + Bits(int=phi, length=13)).uint


def _gt(rows):
    return gtwords.from_ints(rows, 19)


def test_layout_matches_the_cmssw_header():
    L = gtwords.default_layout()
    assert L.slot_bits == WIDTHS and L.bus_bits == sum(WIDTHS)
    assert L.record_bits == {"common3vector": 44, "commonsum": 46}
    c, s = L.records["common3vector"], L.records["commonsum"]
    assert [(f.name, f.lo, f.bits, f.signed) for f in c.values()] == [
        ("valid", 0, 1, False), ("pt", 1, 16, False), ("phi", 17, 13, True), ("eta", 30, 14, True)]
    assert [(f.name, f.lo, f.bits) for f in s.values()] == [
        ("valid", 0, 1), ("pt", 1, 16), ("phi", 17, 13), ("scalar_sum_pt", 30, 16)]
    assert "L1GTEvaluationInterface.h" in L.source
    L.check_config(CFG)


def test_hand_worked_words_both_ways():
    rows = [[0] * 19]
    rows[0][1] = cmssw_3vector(1, 0x1234, -3, -100)                      # e/gamma, 64 bit
    rows[0][6] = cmssw_3vector(1, 65535, 4095, 8191, width=96)           # muon at the field maxima
    rows[0][18] = cmssw_3vector(1, 1, -4096, -8192, width=128)           # jet at the minima
    rows[0][0] = cmssw_sum(1, 777, -2000, 0)                             # MET
    kw = np.zeros((1, 19), np.uint64)
    kw[0, 1], kw[0, 6] = kernel_word(0x1234, -100, -3), kernel_word(65535, 8191, 4095)
    kw[0, 18], kw[0, 0] = kernel_word(1, -8192, -4096), kernel_word(777, 0, -2000)
    gt = _gt(rows)
    assert (gtwords.kernel_from_gt(gt, CFG) == kw).all()
    assert (gtwords.gt_from_kernel(kw, CFG) == gt).all()
    # the layout's own hex: slot 1 is 16 hex digits, slot 6 24, slot 18 32
    txt = gtwords.format_event(gt[0], gtwords.default_layout()).split()
    assert [len(t) for t in txt] == [w // 4 for w in WIDTHS]
    assert int(txt[1], 16) == rows[0][1]


def test_valid_zero_is_empty_whatever_the_payload():
    rows = [[cmssw_3vector(0, 500, 12, -7, width=w, rest=5) if s else cmssw_sum(0, 900, 3, 77, rest=1)
             for s, w in enumerate(WIDTHS)]]
    assert (gtwords.kernel_from_gt(_gt(rows), CFG) == 0).all()
    assert not gtwords.gt_valid(_gt(rows)).any()


def test_other_fields_are_ignored_and_bits_above_the_width_refused():
    a = _gt([[cmssw_3vector(1, 50, 1, 2, width=w) if s else cmssw_sum(1, 9, 3, 0) for s, w in enumerate(WIDTHS)]])
    b = _gt([[cmssw_3vector(1, 50, 1, 2, width=w, rest=(1 << (w - 44)) - 1) if s else cmssw_sum(1, 9, 3, 65535, 7)
              for s, w in enumerate(WIDTHS)]])
    assert (gtwords.kernel_from_gt(a, CFG) == gtwords.kernel_from_gt(b, CFG)).all()
    bad = a.copy()
    bad[0, 7, 1] = np.uint64(1 << 32)          # bit 96 of a 96-bit muon word
    with pytest.raises(DataError, match=r"event 0, slot 7, field word: GT word wider than 96 bits"):
        gtwords.kernel_from_gt(bad, CFG)
    bad = a.copy()
    bad[0, 2, 1] = np.uint64(1)                # bit 64 of a 64-bit e/gamma word
    with pytest.raises(DataError, match="slot 2"):
        gtwords.kernel_from_gt(bad, CFG)


def test_sum_word_has_no_eta():
    kw = np.zeros((2, 19), np.uint64)
    kw[1, 0] = kernel_word(10, 5, 3)
    with pytest.raises(DataError, match=r"event 1, slot 0, field eta"):
        gtwords.gt_from_kernel(kw, CFG)
    gt = gtwords.gt_from_kernel(kw, CFG, drop_sum_eta=True)
    assert int(gt[1, 0, 0]) == cmssw_sum(1, 10, 3, 0)


def test_round_trip_on_random_kernel_words():
    rng = np.random.default_rng(5)
    pt = rng.integers(0, 1 << 16, (400, 19))
    eta = rng.integers(-(1 << 13), 1 << 13, (400, 19))
    phi = rng.integers(-(1 << 12), 1 << 12, (400, 19))
    eta[:, 0] = 0
    w = fixed.pack_words(pt, eta, phi, CFG)
    w[rng.random((400, 19)) < 0.3] = 0
    assert (gtwords.kernel_from_gt(gtwords.gt_from_kernel(w, CFG), CFG) == w).all()


def test_run3_config_and_wrong_widths_refused(tmp_path):
    with pytest.raises(ConfigError, match="Phase-2 format only"):
        gtwords.default_layout().check_config(fixed.KernelConfig.load(fixed.CONFIG_DIR / "kernel_run3.json"))
    with pytest.raises(ConfigError, match="field eta is 14 bits, the kernel's 12"):
        gtwords.default_layout().check_config(CFG.replace(eta_bits=12))


def test_generated_sv_package(tmp_path):
    p = tmp_path / "l1ot_gt_pkg.sv"
    gtx.write_sv_package(CFG, p)
    txt = p.read_text()
    assert re.search(r"^package l1ot_gt_pkg;", txt, re.M) and txt.rstrip().endswith("endpackage : l1ot_gt_pkg")
    named = gtx.write_sv_package(CFG, tmp_path / "named.sv", name="l1ot_k8")
    assert named["package"] == "l1ot_k8_gt_pkg"
    assert (tmp_path / "named.sv").read_text() == re.sub(r"\bl1ot_gt_pkg\b(?!\.sv)", "l1ot_k8_gt_pkg", txt)

    def table(name):
        m = re.search(rf"{name}\s*=\s*\{{([^}}]*)\}}", txt)
        return [int(v.split("'d")[1]) for v in m.group(1).split(",")][::-1]

    assert table("SLOT_W") == WIDTHS
    assert table("SLOT_BUS_LO") == [int(v) for v in np.cumsum([0] + WIDTHS[:-1])]
    assert table("SLOT_PT_LO") == [1] * 19 and table("SLOT_PHI_LO") == [17] * 19
    assert table("SLOT_ETA_LO")[1:] == [30] * 18
    assert re.search(r"SLOT_HAS_ETA\s*=\s*19'b1{18}0;", txt)
    assert re.search(r"BUS_W\s*=\s*1984;", txt)


@pytest.mark.hw
def test_generated_cpp_unpack(tmp_path):
    """The generated C++ header, compiled, unpacks the hand-worked words like the reference."""
    cxx = shutil.which("g++")
    if cxx is None:
        pytest.skip("g++ not found")
    gtx.write_cpp_header(CFG, tmp_path / "l1ot_gt.h")
    cases = [(1, cmssw_3vector(1, 0x1234, -3, -100)), (0, cmssw_sum(1, 777, -2000, 65535, rest=3)),
             (6, cmssw_3vector(0, 5, 5, 5, width=96)), (12, cmssw_3vector(1, 65535, -4096, 8191, width=128))]
    body = "".join(f'    std::printf("%llx\\n", (unsigned long long)l1ot_gt::kernel_word({v & ((1 << 64) - 1)}ULL, {s}));\n'
                   for s, v in cases)
    (tmp_path / "t.cpp").write_text('#include <cstdio>\n#include "l1ot_gt.h"\nint main() {\n' + body + "}\n")
    subprocess.run([cxx, "-std=c++17", "-Wall", "-Werror", "-I", str(tmp_path), str(tmp_path / "t.cpp"), "-o",
                    str(tmp_path / "t")], check=True)
    got = [int(v, 16) for v in subprocess.run([str(tmp_path / "t")], capture_output=True, text=True).stdout.split()]
    assert got == [kernel_word(0x1234, -100, -3), kernel_word(777, 0, -2000), 0, kernel_word(65535, 8191, -4096)]


def test_gt_golden_round_trip_and_categories(tmp_path):
    rng = np.random.default_rng(2)
    ev = np.zeros((4, 19, 4), np.float32)
    ev[..., 0] = rng.exponential(30, (4, 19))
    ev[..., 1] = rng.uniform(-3, 3, (4, 19))
    ev[..., 2] = rng.uniform(-3, 3, (4, 19))
    ev[:, 0, 1] = 0
    rom = fixed.medoid_rom(ev, CFG)
    words, _ = fixed.events_to_words(ev, CFG)
    words = np.concatenate([words, np.zeros((1, 19), np.uint64)])
    words[2, 0] |= np.uint64(kernel_word(0, 8000, 0))    # a MET eta the sum word cannot carry
    tags = ["medoid"] * 4 + ["empty"]
    gt, tg, info = gtx.gt_golden_events(CFG, words, tags, n_invalid=3, n_all_invalid=2, n_extra=2)
    assert info["sum_eta_dropped"] == 1
    assert tg.count("gt_invalid_payload") == 3 and tg.count("gt_all_invalid") == 2 and tg.count("gt_extra_bits") == 2

    class M:
        threshold, path, sha256, medoid_events = 5, None, None, ev

    gtx.write_gt_golden(tmp_path / "g.txt", CFG, M(), rom, gt, tg, info)
    hdr, gt2, score, idx, trig, tags2 = gtx.read_gt_golden(tmp_path / "g.txt")
    assert (gt2 == gt).all() and tags2 == tg and hdr["sum_eta_dropped"] == 1
    # medoid events in GT words score 0 at their own index; event 2 lost its MET eta in the
    # sum word, so it is medoid 2 again (its kernel-word golden score is not 0)
    assert list(score[:4]) == [0, 0, 0, 0] and list(idx[:4]) == [0, 1, 2, 3]
    assert fixed.run(words[2:3], rom, 5, CFG).score[0] > 0
    # invalid-payload events score as the event with those slots emptied
    kw = gtwords.kernel_from_gt(gt, CFG)
    inv = [i for i, t in enumerate(tg) if t == "gt_invalid_payload"]
    common = np.uint64((1 << 43) - 1) << np.uint64(1)        # pT, phi, eta: bits 1..43
    for i in inv:
        valid = gtwords.gt_valid(gt[i:i + 1])[0]
        assert (kw[i][~valid] == 0).all()
        assert np.any(~valid & ((gt[i, :, 0] & common) != 0)), "no valid = 0 slot with a payload"
    ref = fixed.run(kw[inv], rom, 5, CFG)
    assert (ref.score == score[inv]).all()


def test_met_eta_moved_only_where_the_distances_stay():
    """met_compatible: slot 0 (a sum word, no eta) takes an object of working eta 0 from
    another slot when every medoid distance is unchanged; otherwise the event is kept."""
    rom = np.zeros((2, 19, 3), np.int64)
    rom[1, :, 0] = 40
    pt = np.zeros((3, 19), np.int64)
    eta = np.zeros((3, 19), np.int64)
    phi = np.zeros((3, 19), np.int64)
    pt[:, 0], eta[:, 0] = 3200, 4000          # MET slot: pT 100 GeV, eta raw 4000 (x_eta 12)
    pt[0, 1:], eta[0, 1:] = 800, 3000          # every slot occupied ...
    pt[0, 3], eta[0, 3] = 1600, 100           # ... and one e/gamma with x_eta 0 (raw 100 -> 0): it takes slot 0
    pt[1, 3], eta[1, 3] = 1600, 2000          # no object with x_eta 0 but the empty slots 1, 2, 4..18
    pt[2, 1:], eta[2, 1:] = 800, 3000          # every slot occupied, none with x_eta 0
    w = fixed.pack_words(pt, eta, phi, CFG)
    rom = fixed.check_rom(rom, CFG)
    new, n = gtx.met_compatible(w, CFG, rom)
    d_old = fixed.run(w, rom, None, CFG, stages=True).stages["d"]
    d_new = fixed.run(new, rom, None, CFG, stages=True).stages["d"]
    assert n == 2 and (d_new == d_old).all()
    npt, neta, _ = fixed.unpack_words(new, CFG)
    assert neta[0, 0] == 0 and npt[0, 0] == 1600 and npt[0, 3] == 3200 and neta[0, 3] == 4000
    assert neta[1, 0] == 0 and npt[1, 0] == 0          # an empty slot moved in
    assert (new[2] == w[2]).all()                      # nothing to swap with: unchanged
