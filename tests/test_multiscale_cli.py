"""``l1ot multiscale``: bad input gives one clear line (exit 2, nothing written); a small valid run."""
from __future__ import annotations

import json
import os
import shutil

import h5py
import numpy as np
import pytest

from l1ot.cli import main

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MSDATA = os.path.join(REPO, "data", "multiscale")


@pytest.fixture
def data_dir(tmp_path):
    d = tmp_path / "ms"
    d.mkdir()
    for p in ("qcd", "ttbar", "stop"):
        shutil.copy(os.path.join(MSDATA, f"{p}.h5"), d / f"{p}.h5")
    return d


def _one_line(capsys, *must):
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if "error:" in ln]
    assert len(lines) == 1, err
    for m in must:
        assert m in lines[0], lines[0]
    return lines[0]


def _tamper(path, fn):
    with h5py.File(path, "a") as f:
        fn(f)


def _classify(d, out, *extra):
    return main(["multiscale", "classify", "--task", "ttbar", "--n", "10", "--no-single", "--workers", "1",
                 "--cache", "", "--data", str(d), "-o", str(out), *extra])


def test_missing_file(data_dir, tmp_path, capsys):
    os.remove(data_dir / "ttbar.h5")
    assert _classify(data_dir, tmp_path / "r.json") == 2
    _one_line(capsys, "ttbar.h5", "no such file")
    assert not (tmp_path / "r.json").exists()


def test_not_hdf5(data_dir, tmp_path, capsys):
    (data_dir / "qcd.h5").write_text("not an HDF5 file\n")
    assert _classify(data_dir, tmp_path / "r.json") == 2
    _one_line(capsys, "qcd.h5")


def test_missing_dataset(data_dir, tmp_path, capsys):
    _tamper(data_dir / "ttbar.h5", lambda f: f.__delitem__("offsets"))
    assert _classify(data_dir, tmp_path / "r.json") == 2
    _one_line(capsys, "ttbar.h5", "offsets")


def test_non_finite_constituent_names_event_and_field(data_dir, tmp_path, capsys):
    def nan(f):
        c = f["constituents"][()]
        off = f["offsets"][()]
        c[off[3] + 2, 1] = np.nan  # event 3, rapidity
        del f["constituents"]
        f.create_dataset("constituents", data=c)
    _tamper(data_dir / "ttbar.h5", nan)
    assert _classify(data_dir, tmp_path / "r.json") == 2
    _one_line(capsys, "ttbar.h5", "event 3", "field y")
    assert not (tmp_path / "r.json").exists()


def test_too_few_events(data_dir, tmp_path, capsys):
    assert main(["multiscale", "classify", "--task", "paired-dijet", "--n", "100000", "--no-single",
                 "--data", str(data_dir), "-o", str(tmp_path / "r.json")]) == 2
    _one_line(capsys, "stop.h5", "--n 100000")


def test_output_is_an_input(data_dir, capsys):
    assert _classify(data_dir, data_dir / "qcd.h5") == 2
    _one_line(capsys, "qcd.h5", "input")


def test_bad_task_and_radius(data_dir, tmp_path, capsys):
    assert main(["multiscale", "classify", "--task", "wjets", "-o", str(tmp_path / "r.json")]) == 2
    _one_line(capsys, "--task")
    assert main(["multiscale", "classify", "--task", "ttbar", "--radius", "-0.4", "-o", str(tmp_path / "r.json")]) == 2
    _one_line(capsys, "--radius")


def test_small_valid_run(data_dir, tmp_path):
    out = tmp_path / "r.json"
    assert _classify(data_dir, out, "--radius", "0.8", "0.4") == 0
    rep = json.loads(out.read_text())
    assert rep["statement"] == "simulated, not CMS"
    assert [r["radius"] for r in rep["results"]] == [0.8, 0.4]
    for r in rep["results"]:
        assert r["n_signal"] == r["n_background"] == 10
        for m in ("thrust", "multiscale_pt", "multiscale_uniform", "multiscale_jet1"):
            assert 0.0 <= r["methods"][m]["auc"] <= 1.0
        assert len(r["scan"]["pt"]) == 8
    # more jets per event at the smaller radius (the same constituents reclustered)
    assert rep["results"][1]["jets_per_event"] > rep["results"][0]["jets_per_event"]
