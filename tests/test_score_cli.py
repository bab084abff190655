"""`l1ot score` on the bundled sample: float LinW2 and the --fixed firmware emulation."""
from __future__ import annotations

import h5py
import numpy as np
import pytest

from l1ot.io import data
from l1ot.kernel import fixed
from l1ot.ot import linot
from l1ot.cli import main
from l1ot.commands.calibrate import calibrate
from conftest import bundled, requires_bundled


@pytest.fixture
def model_path(tmp_path):
    ev = data.load(bundled(), n=2000)
    m = linot.train(ev, k=8, seed=0)
    p = tmp_path / "m.h5"
    m.meta.update({"train_start": 0, "n_train": 2000})
    m.save(p)
    return p


@requires_bundled
def test_score_float_and_fixed(model_path, tmp_path, capsys):
    sig = str(bundled("hChToTauNu_13TeV_PU20.h5"))
    ev = data.load(sig, n=3000)
    m = linot.LinModel.load(model_path)
    # float
    out = tmp_path / "float.h5"
    assert main(["score", str(model_path), sig, "-n", "3000", "--chunk-size", "1000", "-o", str(out)]) == 0
    with h5py.File(out) as f:
        s, i, e = f["score"][()], f["index"][()], f["event"][()]
    ref_s, ref_i = m.score(ev, return_index=True)
    np.testing.assert_allclose(s, ref_s, rtol=1e-12)
    assert (i == ref_i).all() and (e == np.arange(3000)).all()
    # fixed, uncalibrated: trig = 0 and the printout says so
    out = tmp_path / "fixed.h5"
    assert main(["score", str(model_path), sig, "-n", "3000", "--chunk-size", "1000", "--fixed",
                 "-o", str(out)]) == 0
    assert "not calibrated" in capsys.readouterr().out
    cfg = fixed.KernelConfig.load()
    res, _ = fixed.run_events(ev, fixed.medoid_rom(m, cfg), None, cfg)
    with h5py.File(out) as f:
        assert (f["score"][()] == res.score).all() and (f["index"][()] == res.idx).all()
        assert not f["trig"][()].any()
        assert f.attrs["config_sha256"] == cfg.sha256
    # calibrated: the trigger bit is score >= threshold, counted in the file and the printout
    cal = calibrate(str(model_path), 0.01, data_path=bundled())
    assert main(["score", str(model_path), sig, "-n", "3000", "--fixed", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    with h5py.File(out) as f:
        trig, score = f["trig"][()], f["score"][()]
        assert f.attrs["threshold"] == cal["threshold"]
        assert f.attrs["n_trig"] == int(trig.sum())
    assert (trig == (score >= cal["threshold"])).all() and trig.any()
    assert f"triggered {int(trig.sum())} of 3000" in text
    # the threshold belongs to the config it was calibrated with
    assert main(["score", str(model_path), sig, "-n", "100", "--fixed", "--config",
                 str(fixed.DEFAULT_CONFIG.parent / "kernel_run3.json"), "-o", str(out)]) == 2
    assert "calibrated for kernel config" in capsys.readouterr().err


@requires_bundled
def test_score_fixed_bad_input_names_the_event(model_path, tmp_path, capsys):
    ev = data.load(bundled("hChToTauNu_13TeV_PU20.h5"), n=50)
    ev[17, 3, 1] = np.nan
    bad = tmp_path / "bad.h5"
    with h5py.File(bad, "w") as f:  # written raw: the data layer would refuse to write NaN
        f.create_dataset("Particles", data=ev)
    assert main(["score", str(model_path), str(bad), "--fixed", "-o", str(tmp_path / "o.h5")]) == 2
    err = capsys.readouterr().err
    assert "bad.h5" in err and "event 17" in err and "eta" in err
