"""Fixed-point score drift against float LinW2, in buckets (l1ot.kernel.drift)."""
from __future__ import annotations

import numpy as np
import pytest

from l1ot.io import data
from l1ot.kernel import drift, fixed
from l1ot.ot import linot
from conftest import bundled, requires_bundled


def test_buckets_on_constructed_drifts():
    cfg = fixed.KernelConfig.load()
    q = np.array([10.0, 10.0, 1000.0, 1000.0, 1000.0, 40.0, cfg.score_max * 1.5])
    s = np.array([10.4, 11.5, 1030.0, 1049.0, 1051.0, 43.0, cfg.score_max])
    b = drift.drift_buckets(s, cfg.score_to_linw2(q), cfg)
    # 0.4 -> exact; 1.5 -> 1 LSB; 30 and 49 of 1000 -> small (<= 5%); 51 -> big;
    # 3 of 40 (7.5%) -> big; saturated -> big and counted
    assert b["counts"] == {"exact": 1, "1 LSB": 1, "small": 2, "big": 3}
    assert b["saturated"] == 1 and b["n"] == 7
    assert abs(sum(b["fractions"].values()) - 1) < 1e-12
    np.testing.assert_allclose(cfg.linw2_to_score(cfg.score_to_linw2(q)), q, rtol=1e-12)


def test_shape_mismatch_is_an_error():
    cfg = fixed.KernelConfig.load()
    with pytest.raises(ValueError, match="same length"):
        drift.drift_buckets(np.zeros(3), np.zeros(4), cfg)


@requires_bundled
def test_default_kernel_tracks_float_on_bundled_background():
    cfg = fixed.KernelConfig.load()
    path = bundled()
    n = data.count(path)
    model = linot.train(data.load(path, n=2000), k=16, seed=0)
    ev = data.load(path, n=3000, start=n - 3000)  # held-out background
    res, _ = fixed.run_events(ev, fixed.medoid_rom(model, cfg), None, cfg)
    fl = model.score(ev)
    b = drift.drift_buckets(res.score, fl, cfg)
    assert b["fractions"]["exact"] + b["fractions"]["1 LSB"] > 0.9, drift.format_buckets(b)
    assert b["fractions"]["big"] < 0.02, drift.format_buckets(b)
    # a kernel that is off by one bit of score shift lands in "big"
    broken = drift.drift_buckets(res.score >> 1, fl, cfg)
    assert broken["fractions"]["big"] > 0.5
