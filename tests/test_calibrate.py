"""Trigger-threshold calibration (``l1ot calibrate``) against a brute-force count.

The threshold against a scan of every integer threshold with exact fractions (hypothesis), the
calibration block against the documented split, the block rule (a model trained up to the block is
fine, one event into it is refused) and the in-place update's permissions. Events are toy events in
the ADC2021 layout (test fixtures, not physics).
"""
from __future__ import annotations

import os
import stat
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from l1ot.commands.calibrate import calibrate, threshold_for_efficiency


def brute_threshold(s, eff_num, eff_den, score_max):
    """Smallest integer T in 0..score_max with #(s >= T) / n <= eff (exact fractions), else score_max."""
    n = len(s)
    for t in range(score_max + 1):
        if Fraction(int(np.count_nonzero(s >= t)), n) <= Fraction(eff_num, eff_den):
            return t
    return score_max


@settings(max_examples=300, deadline=None)
@given(s=st.lists(st.integers(0, 40), min_size=1, max_size=80), eff=st.integers(1, 999),
       score_max=st.integers(1, 45))
def test_threshold_equals_brute_force_scan(s, eff, score_max):
    s = np.minimum(np.array(s, dtype=np.int64), score_max)   # the kernel saturates at score_max
    t, achieved = threshold_for_efficiency(s, eff / 1000, score_max)
    ref = brute_threshold(s, eff, 1000, score_max)
    assert t == ref
    assert achieved == np.count_nonzero(s >= t) / len(s)
    if np.count_nonzero(s >= score_max) / len(s) <= eff / 1000:   # not saturated: never above the target
        assert achieved <= eff / 1000
        assert t == 0 or np.count_nonzero(s >= t - 1) / len(s) > eff / 1000   # and T is the smallest


N_CAL = 10_200   # > n_calib + n_test = 10,000 of the default splits


@pytest.fixture(scope="module")
def cal_files(tmp_path_factory):
    from fixtures import toy_events
    from l1ot.io import data
    from l1ot.ot import linot

    d = tmp_path_factory.mktemp("cal")
    bkg = d / "bkg.h5"
    data.write_events(str(bkg), toy_events(N_CAL, seed=7), compression=None)
    model = linot.train(data.load(str(bkg), n=150), k=4, transport="sorted", provenance={"train_start": 0})
    m = d / "model.h5"
    model.save(str(m))
    return d, bkg, m


def _with_train_stop(src, dst, stop):
    import shutil

    import h5py

    shutil.copy(src, dst)
    with h5py.File(dst, "a") as f:
        f.attrs["train_start"] = 0
        f.attrs["n_train"] = stop
    return str(dst)


def test_calibration_block_and_threshold_by_brute_force(cal_files, capsys):
    """The threshold is computed on exactly the n_calib events before the test block, by the definition."""
    from l1ot.errors import ModelError
    from l1ot.io import data
    from l1ot.kernel import fixed

    d, bkg, m = cal_files
    calib = (N_CAL - 10_000, N_CAL - 5_000)   # docs: the 5,000 events before the last 5 x 1,000
    r = calibrate(str(m), 0.03, str(bkg), write=False)
    assert tuple(r["calib_events"]) == calib and r["n_events"] == 5000
    cfg = fixed.KernelConfig.load()
    res, _ = fixed.run_events(data.load(str(bkg), n=5000, start=calib[0]), fixed.medoid_rom(str(m), cfg), None, cfg)
    sc = np.asarray(res.score, dtype=np.int64)
    assert r["threshold"] == brute_threshold(sc, 3, 100, cfg.score_max)
    assert r["achieved_bkg_eff"] == np.count_nonzero(sc >= r["threshold"]) / 5000 <= 0.03
    # block rule: a model trained up to the calibration block is fine, one event into it is refused
    ok = _with_train_stop(m, d / "adjacent.h5", calib[0])
    assert tuple(calibrate(ok, 0.03, str(bkg), write=False)["calib_events"]) == calib
    bad = _with_train_stop(m, d / "overlap.h5", calib[0] + 1)
    with pytest.raises(ModelError, match="overlap the calibration block"):
        calibrate(bad, 0.03, str(bkg), write=False)


def test_calibrate_in_place_keeps_the_permissions(cal_files):
    import h5py

    d, bkg, m = cal_files
    mp = _with_train_stop(m, d / "perm.h5", 150)
    os.chmod(mp, 0o640)
    calibrate(mp, 0.05, str(bkg), write=True)
    assert stat.S_IMODE(os.stat(mp).st_mode) == 0o640
    with h5py.File(mp, "r") as f:
        assert float(f.attrs["threshold_bkg_eff"]) == 0.05
    assert sorted(p.name for p in d.iterdir() if p.name.startswith(".")) == []   # no temporary file left
