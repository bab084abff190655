"""The autoencoder (l1ot.ae): inputs, training, hls4ml bit-exactness, model files, CLI.

A tiny HGQ2 model is trained for 2 epochs on 1,024 events of the bundled
background training block (simulated, not CMS), converted with hls4ml (Vitis,
io_parallel, Latency) and compiled once per module. The bit-exactness test
compares ``hls_model.predict`` with the written project's own test bench built
by g++ as a separate program, on real test-set events and on edge-case inputs.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from l1ot.ae import keras_backend  # noqa: E402  (the ae extra is part of dev: no skip)

keras_backend()
from l1ot.ae import evaluate as aev  # noqa: E402
from l1ot.ae import firmware, model  # noqa: E402
from l1ot.errors import ConfigError, ModelError  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
BKG = REPO / "data" / "background_for_training.h5"
SIG = REPO / "data" / "Ato4l_lepFilter_13TeV.h5"

pytestmark = pytest.mark.skipif(not BKG.is_file(), reason="bundled sample missing")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """(TrainResult, hls_model, project dir) of a 2-epoch HGQ2 model."""
    x = model.features(aev.train_events(str(BKG), 1024))
    res = model.train(x, quantized=True, epochs=2, batch_size=256, seed=0)
    prj = tmp_path_factory.mktemp("ae_hls") / "prj"
    hm = firmware.convert(res.scorer, prj)
    return res, hm, prj


@pytest.fixture(scope="module")
def real_inputs():
    from l1ot.io import data
    bkg = data.load(str(BKG), n=300, start=data.count(str(BKG)) - 300)   # test block
    sig = data.load(str(SIG), n=300)
    return model.features(np.concatenate([bkg, sig]))


def test_features_layout_and_scales():
    ev = np.zeros((2, 19, 4), np.float32)
    ev[0, 0] = [64.0, 0.0, -2.0, 1]     # MET: pT 64 GeV, phi -2
    ev[1, 18] = [32.0, 4.0, 3.0, 4]     # last jet
    f = model.features(ev)
    assert f.shape == (2, 57) and f.dtype == np.float32
    assert f[0, :3].tolist() == [1.0, 0.0, -0.5]
    assert f[1, 54:].tolist() == [0.5, 1.0, 0.75]
    assert np.count_nonzero(f) == 5
    with pytest.raises(ValueError, match=r"\(N, 19, 4\)"):
        model.features(np.zeros((3, 57)))


def test_training_uses_the_training_block_only():
    from l1ot.io import data
    from l1ot.io.splits import DEFAULT
    n = data.count(str(BKG))
    a, b = DEFAULT.background(n, str(BKG))["train"]
    ev = aev.train_events(str(BKG), 10)
    assert np.array_equal(ev, data.load(str(BKG), n=10, start=a))
    with pytest.raises(ConfigError, match="training block"):
        aev.train_events(str(BKG), b - a + 1)


def test_training_learns_and_is_reproducible(tiny):
    res, _, _ = tiny
    assert res.meta["data"] == "simulated, not CMS"
    assert res.meta["n_train_events"] == 1024 and res.meta["epochs"] == 2
    assert np.isfinite(res.meta["final_loss"])
    x = model.features(aev.train_events(str(BKG), 1024))
    again = model.train(x[:512], quantized=False, epochs=1, seed=3)
    again2 = model.train(x[:512], quantized=False, epochs=1, seed=3)
    assert np.array_equal(model.score(again.scorer, x[:200]), model.score(again2.scorer, x[:200]))


def _edge_inputs(prj, rng):
    lo, hi, lsb = firmware.input_range(prj)
    edge = [np.zeros(57), np.full(57, hi), np.full(57, lo), np.full(57, hi + 10.0), np.full(57, lo - 10.0),
            np.full(57, lsb), np.full(57, -lsb), np.full(57, lsb / 2), np.full(57, -lsb / 2),
            np.full(57, 1.5 * lsb)]
    rand = rng.uniform(2 * lo, 2 * hi, size=(40, 57))
    grid = rng.integers(int(lo / lsb), int(hi / lsb) + 1, size=(40, 57)) * lsb
    return np.vstack([np.array(edge), rand, grid]).astype(np.float32)


def test_hls_predict_equals_the_written_project_csim_bit_for_bit(tiny, real_inputs, tmp_path):
    """Acceptance: hls4ml predict == g++ build of the written project's test bench, 0 mismatches."""
    if shutil.which("g++") is None:
        pytest.skip("g++ not found")
    res, hm, prj = tiny
    x = np.vstack([real_inputs, _edge_inputs(prj, np.random.default_rng(19))])
    pred = firmware.predict(hm, x)
    sim = firmware.csim(prj, x, workdir=tmp_path / "csim")
    assert sim.shape == pred.shape == (len(x),)
    mismatches = int(np.count_nonzero(sim != pred))
    assert mismatches == 0, f"{mismatches} of {len(x)} scores differ"
    # the scores are not trivially constant: the test can fail
    assert len(np.unique(pred)) > 50
    # and both equal the HGQ2 Keras emulation used in training
    assert np.array_equal(model.score(res.scorer, x), pred)


def test_da4ml_logic_equals_hls_predict_on_the_input_grid(tiny, real_inputs):
    """The logic da4ml emits as Verilog (its interpreter) == hls4ml predict, 0 mismatches,
    with the hls4ml project's input port (inputs converted to its type first)."""
    res, hm, prj = tiny
    x = firmware.to_input_grid(np.vstack([real_inputs, _edge_inputs(prj, np.random.default_rng(7))]), prj)
    sol = firmware.da4ml_logic(res.scorer, firmware.project_input_kif(prj))
    da = np.asarray(sol.predict(x), dtype=np.float64).reshape(-1)
    pred = firmware.predict(hm, x)
    assert int(np.count_nonzero(da != pred)) == 0
    assert len(np.unique(pred)) > 50


def test_input_grid_conversion(tmp_path):
    fw = tmp_path / "firmware"
    fw.mkdir()
    (fw / "defines.h").write_text("typedef ap_fixed<6,3,AP_RND,AP_SAT,0> x_t;\ntypedef ap_fixed<9,3> y_t;\n")
    assert firmware.input_range(tmp_path) == (-4.0, 3.875, 0.125)
    assert firmware.project_input_kif(tmp_path) == (1, 2, 3)
    got = firmware.to_input_grid(np.array([0.0625, 0.06, -0.0625, 5.0, -9.0, 1.3]), tmp_path)
    assert got.tolist() == [0.125, 0.0, 0.0, 3.875, -4.0, 1.25]


def test_csim_sees_a_changed_weight(tiny, real_inputs, tmp_path):
    """The C simulation really runs the written sources: a changed weight file changes its scores."""
    if shutil.which("g++") is None:
        pytest.skip("g++ not found")
    _, hm, prj = tiny
    bad = tmp_path / "prj"
    shutil.copytree(prj, bad)
    # zero the weights of the last dense layer (mu): the scores become the constant bias . bias
    wfiles = sorted((bad / "firmware" / "weights").glob("w*.txt"), key=lambda f: int(f.stem[1:]))
    n = len(wfiles[-1].read_text().split(","))
    wfiles[-1].write_text(", ".join(["0"] * n))
    x = real_inputs[:200]
    assert np.count_nonzero(firmware.csim(bad, x, workdir=tmp_path / "c2") != firmware.predict(hm, x)) > 0


def test_input_saturation_is_counted(tiny):
    _, _, prj = tiny
    lo, hi, lsb = firmware.input_range(prj)
    assert lo < 0 < hi and lsb > 0
    x = np.array([[lo - 1, lo, 0.0, hi, hi + lsb]])
    assert firmware.saturation_count(x, lo, hi) == 2


def test_save_load_roundtrip_and_bad_files(tiny, real_inputs, tmp_path):
    res, _, _ = tiny
    p = model.save(res, tmp_path / "m.keras")
    meta = json.loads((tmp_path / "m.keras.json").read_text())
    assert meta["data"] == "simulated, not CMS" and meta["quantized"] is True
    back = model.load(p)
    assert np.array_equal(model.score(back.scorer, real_inputs), model.score(res.scorer, real_inputs))
    junk = tmp_path / "junk.keras"
    junk.write_text("not a model")
    with pytest.raises(ModelError, match="junk.keras"):
        model.load(junk)
    with pytest.raises(ModelError, match="not found"):
        model.load(tmp_path / "missing.keras")
    with pytest.raises(ConfigError, match=".keras"):
        model.save(res, tmp_path / "m.h5")


def test_cli_refuses_output_that_is_an_input(tmp_path):
    src = tmp_path / "bkg.keras"
    shutil.copy(BKG, src)
    r = subprocess.run([sys.executable, "-m", "l1ot.cli", "ae", "train", str(src), "-o", str(src)],
                       capture_output=True, text=True)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "is also an input" in lines[0] and "Traceback" not in r.stderr


def test_cli_bad_model_file_is_one_line(tmp_path):
    junk = tmp_path / "junk.keras"
    junk.write_text("x")
    r = subprocess.run([sys.executable, "-m", "l1ot.cli", "ae", "evaluate", "--float-model", str(junk),
                        "--fixed-model", str(junk), "--background", str(BKG), "--data", str(REPO / "data"),
                        "--hls-dir", str(tmp_path / "h"), "-o", str(tmp_path / "ae.json")],
                       capture_output=True, text=True)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "junk.keras" in lines[0], r.stderr
