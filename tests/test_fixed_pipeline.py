"""artifacts.ensure (train -> calibrate -> export, only stale steps) and the fixed-vs-float rows."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from fixtures import toy_events
from l1ot import artifacts
from l1ot.io import data
from l1ot.evaluation import eval_fixed
from l1ot.kernel import fixed
from l1ot.evaluation.evaluate import SIGNALS
from l1ot.io.splits import Splits


@pytest.fixture(scope="module")
def toy_data(tmp_path_factory):
    d = tmp_path_factory.mktemp("toydata")
    data.write_events(str(d / "background_for_training.h5"), toy_events(10_600, seed=301))
    for i, name in enumerate(SIGNALS.values()):
        data.write_events(str(d / name), toy_events(800, seed=310 + i, pt_scale=45.0 + 15 * i))
    return d


def test_ensure_rebuilds_only_stale_steps(toy_data, tmp_path):
    build = tmp_path / "build"
    r = artifacts.ensure(k=4, build=str(build), data=str(toy_data), verbose=False)
    assert artifacts.LAST_REBUILT == ["train", "calibrate", "export"]
    assert all(isinstance(v, str) for v in r.values())
    for key in ("model", "golden", "export_json"):
        assert os.path.isfile(r[key]), key
    from l1ot.export.vectorfile import read_golden
    hdr, words, *_ = read_golden(r["golden"])
    assert hdr["K"] == 4 and len(words) >= 10_000
    # nothing changed: nothing redone
    artifacts.ensure(k=4, build=str(build), data=str(toy_data), verbose=False)
    assert artifacts.LAST_REBUILT == []
    # another precision config: recalibrate and re-export, but no retraining
    cfg2 = tmp_path / "cfg2.json"
    obj = fixed.KernelConfig.load().to_json()
    obj["score_shift"] = 9
    cfg2.write_text(json.dumps(obj))
    r2 = artifacts.ensure(k=4, build=str(build), data=str(toy_data), config=str(cfg2), verbose=False)
    assert artifacts.LAST_REBUILT == ["calibrate", "export"]
    hdr2, *_ = read_golden(r2["golden"])
    assert hdr2["config_sha256"] == fixed.KernelConfig.load(cfg2).sha256 != hdr["config_sha256"]
    # a deleted output is rebuilt
    (build / "export" / "k4" / "golden.txt").unlink()
    artifacts.ensure(k=4, build=str(build), data=str(toy_data), config=str(cfg2), verbose=False)
    assert artifacts.LAST_REBUILT == ["export"]


def test_ensure_without_data_fails_clearly(tmp_path):
    from l1ot.errors import DataError
    with pytest.raises(DataError, match="make data"):
        artifacts.ensure(k=4, build=str(tmp_path / "b"), data=str(tmp_path / "nodata"), verbose=False)


def test_fixed_rows_close_to_float(toy_data):
    sp = Splits(n_sets=2, n_per_set=300, n_calib=500)
    rows = eval_fixed.evaluate_rows(bkg_path=str(toy_data / "background_for_training.h5"),
                                    data_dir=str(toy_data), signals=["A", "LQ"], splits=sp, n_train=400,
                                    k=8, log=None)
    row = rows["fixed_sorted_k8"]
    assert set(row) == {"A", "LQ"}
    for sig, m in row.items():
        assert {"auc", "inv_eb_at_0p3", "max_si", "delta_auc", "float_auc"} <= set(m)
        assert abs(m["delta_auc"][0]) < 0.01
        assert abs(m["auc"][0] - m["float_auc"][0] - m["delta_auc"][0]) < 1e-12
    assert rows["_fixed_meta"]["config_sha256"] == fixed.KernelConfig.load().sha256
    dr = rows["_fixed_meta"]["drift"]
    assert set(dr) == {"bkg", "A", "LQ", "all"}
    assert dr["all"]["n"] == sum(dr[s]["n"] for s in ("bkg", "A", "LQ")) == 3 * 2 * 300


def test_compare_detects_a_broken_kernel():
    """delta_auc must see a degraded score (the comparison is not vacuous)."""
    rng = np.random.default_rng(0)
    fl = {"bkg": rng.normal(0, 1, (3, 500)), "A": rng.normal(1.5, 1, (3, 500))}
    same = eval_fixed.compare({k: v.copy() for k, v in fl.items()}, fl)
    assert same["A"]["delta_auc"][0] == 0.0
    coarse = {k: np.floor(v) for k, v in fl.items()}
    assert eval_fixed.compare(coarse, fl)["A"]["delta_auc"][0] < -0.005


def test_ensure_retrains_when_the_background_file_changes(toy_data, tmp_path):
    import shutil

    d = tmp_path / "data"
    shutil.copytree(toy_data, d)
    build = tmp_path / "build"
    artifacts.ensure(k=4, build=str(build), data=str(d), verbose=False)
    assert "train" in artifacts.LAST_REBUILT
    # a new production of the sample: same file name, other events
    data.write_events(str(d / "background_for_training.h5"), toy_events(10_600, seed=999))
    artifacts.ensure(k=4, build=str(build), data=str(d), verbose=False)
    assert artifacts.LAST_REBUILT == ["train", "calibrate", "export"]
