"""Fixed-point kernel vs float LinW2 on the bundled sample (skipped without data/)."""
from __future__ import annotations

import os

import numpy as np
import pytest

from conftest import bundled, requires_bundled
from l1ot.io import data
from l1ot.kernel import fixed
from l1ot.ot import linot


@requires_bundled
def test_kernel_tracks_float_linw2_on_sample():
    bkg = bundled()
    ev = data.load(bkg, n=3000)
    model = linot.train(ev[:1000], k=8)
    cfg = fixed.KernelConfig.load()
    rom = fixed.medoid_rom(model, cfg)
    test = ev[1000:]
    sig_path = bundled("Ato4l_lepFilter_13TeV.h5")
    if os.path.exists(sig_path):
        test = np.concatenate([test, data.load(sig_path, n=1000)])
    res, st = fixed.run_events(test, rom, None, cfg)
    assert st.n_saturated == 0
    fs, fi = model.score(test, return_index=True)
    ok = res.score < cfg.score_max
    diff = np.abs(cfg.score_to_linw2(res.score) - fs)[ok]
    # quantization (1/4 GeV, 1/4 rad) and the score LSB (4 GeV^2 of D): sub-GeV agreement
    assert np.median(diff) < 0.1 and np.quantile(diff, 0.99) < 1.0
    assert (fi == res.idx).mean() > 0.95
