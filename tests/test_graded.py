"""Graded trigger bits, counters and their calibration (``l1ot.kernel.graded``, ``l1ot calibrate --graded``).

The bits against a per-event loop over the thresholds, the counters against a
plain count, the graded calibration against a brute-force scan of every integer
threshold with exact fractions, the rate conversion against hand-worked numbers,
and the CLI writing the thresholds into the model file. Toy events (test
fixtures, not physics).
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from l1ot.kernel import graded


def test_default_input_rate_hand_worked():
    # 40 MHz x 2544 / 3564 = 28.5521885... MHz
    assert graded.DEFAULT_INPUT_RATE_MHZ == pytest.approx(28.552188552188552, rel=1e-12)
    assert graded.DEFAULT_N == 8 == len(graded.DEFAULT_EFFS)


def test_efficiencies_from_rates_hand_worked():
    # 1 kHz at 28.552 MHz: 1 / 28552.19 = 3.5023e-5; 10 kHz at 40 MHz: 2.5e-4
    assert graded.efficiencies_from_rates([1.0])[0] == pytest.approx(3.50230e-5, rel=1e-4)
    assert graded.efficiencies_from_rates([10.0, 400.0], 40.0) == pytest.approx([2.5e-4, 1e-2])
    from l1ot.errors import ConfigError
    with pytest.raises(ConfigError, match="outside"):
        graded.efficiencies_from_rates([50_000.0], 40.0)     # 50 MHz out of 40 MHz
    with pytest.raises(ConfigError, match="positive"):
        graded.efficiencies_from_rates([1.0], 0.0)


@settings(max_examples=200, deadline=None)
@given(s=st.lists(st.integers(0, 70), min_size=1, max_size=60),
       t=st.lists(st.integers(0, 70), min_size=1, max_size=9))
def test_bits_and_counters_against_a_loop(s, t):
    bits = graded.trigger_bits(s, t)
    packed = graded.pack_bits(bits)
    for e, sc in enumerate(s):
        word = 0
        for i, ti in enumerate(t):
            b = 1 if sc >= ti else 0          # direct comparison
            assert bits[e, i] == b
            word |= b << i
        assert packed[e] == word
    c = graded.counters(s, t, score_max=70)
    assert c.events == len(s)
    assert c.trig == [sum(1 for sc in s if sc >= ti) for ti in t]
    assert c.sat == sum(1 for sc in s if sc == 70)


def brute(s, eff: Fraction, score_max):
    n = len(s)
    for t in range(score_max + 1):
        if Fraction(sum(1 for x in s if x >= t), n) <= eff:
            return t
    return score_max


@settings(max_examples=200, deadline=None)
@given(s=st.lists(st.integers(0, 40), min_size=1, max_size=80),
       effs=st.lists(st.integers(1, 999), min_size=1, max_size=8), score_max=st.integers(1, 45))
def test_graded_thresholds_equal_brute_force(s, effs, score_max):
    s = np.minimum(np.array(s, dtype=np.int64), score_max)
    thr, ach = graded.thresholds_for_efficiencies(s, [e / 1000 for e in effs], score_max)
    for e, t, a in zip(effs, thr, ach):
        assert t == brute(s.tolist(), Fraction(e, 1000), score_max)
        assert a == np.count_nonzero(s >= t) / len(s)


def test_model_thresholds_fallback_and_check():
    from l1ot.errors import ModelError

    class M:
        threshold, meta = 17, {}
    assert graded.model_thresholds(M(), 100) == [17] * graded.DEFAULT_N
    M.meta = {"thresholds": np.array([1, 2, 3])}
    assert graded.model_thresholds(M(), 100) == [1, 2, 3]
    M.meta = {"thresholds": np.array([1, 200])}
    with pytest.raises(ModelError, match=r"thresholds\[1\] = 200 is not an integer in 0..100"):
        graded.model_thresholds(M(), 100)


def test_calibrate_writes_graded_thresholds(tmp_path, capsys):
    """`l1ot calibrate --graded-rates` writes N thresholds equal to a brute-force count
    on the calibration scores, with efficiencies rate / input rate."""
    import h5py

    from fixtures import toy_events
    from l1ot.cli import main
    from l1ot.io import data
    from l1ot.kernel import fixed
    from l1ot.ot import linot

    bkg = tmp_path / "bkg.h5"
    data.write_events(str(bkg), toy_events(10_200, seed=7), compression=None)
    model = linot.train(data.load(str(bkg), n=150), k=4, transport="sorted", provenance={"train_start": 0})
    m = tmp_path / "model.h5"
    model.save(str(m))
    rc = main(["calibrate", str(m), "--bkg-eff", "0.01", "--data", str(bkg),
               "--graded-rates", "1000,300,100", "--input-rate", "10"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "graded thresholds" in out and "input rate 10 MHz" in out
    cfg = fixed.KernelConfig.load()
    res, _ = fixed.run_events(data.load(str(bkg), n=5000, start=200), fixed.medoid_rom(str(m), cfg), None, cfg)
    sc = np.asarray(res.score, dtype=np.int64)
    # rate / input rate: 1000 kHz / 10 MHz = 0.1, 0.03, 0.01
    want = [brute(sc.tolist(), Fraction(r, 10_000), cfg.score_max) for r in (1000, 300, 100)]
    with h5py.File(m, "r") as f:
        assert [int(x) for x in f.attrs["thresholds"]] == want
        assert list(f.attrs["thresholds_bkg_eff"]) == pytest.approx([0.1, 0.03, 0.01])
    loaded = linot.LinModel.load(str(m))
    assert graded.model_thresholds(loaded, cfg.score_max) == want
    # --input-rate without --graded-rates is refused with one line
    rc = main(["calibrate", str(m), "--bkg-eff", "0.01", "--data", str(bkg), "--input-rate", "10"])
    assert rc != 0
    assert "--input-rate is only used with --graded-rates" in capsys.readouterr().err
