"""Plumbing of paper 1's kNN / one-class SVM / classification methods and of the
distance cache, on SYNTHETIC fixtures (test fixtures, not physics)."""
from __future__ import annotations

import os

import numpy as np
import pytest

from l1ot.ot import distcache, w2
from l1ot.evaluation import metrics
from l1ot.paper1 import methods as pm
from l1ot.io.data import write_events
from l1ot.evaluation.evaluate import BACKGROUND, SIGNALS
from l1ot.io.splits import Splits

from test_augment import selected_events


def _two_blobs(n, sep, seed=0):
    """Two toy classes as points on a line: distance matrix = |x_i - x_j|."""
    rng = np.random.default_rng(seed)
    x = np.r_[rng.normal(0, 1, n), rng.normal(sep, 1, n)]
    y = np.r_[np.zeros(n, int), np.ones(n, int)]
    return np.abs(x[:, None] - x[None, :]), y, x


# ------------------------------------------------------------------ kNN
def test_knn_separated_classes_auc_near_one():
    d, y, _ = _two_blobs(150, 8.0)
    res, info = pm.classify_cv(d, y, seed=1, ks=(5, 15, 25))
    assert res["auc"][0] > 0.99


def test_knn_shuffled_labels_auc_near_half():
    d, y, _ = _two_blobs(200, 8.0)
    y = np.random.default_rng(3).permutation(y)
    res, _ = pm.classify_cv(d, y, seed=1, ks=(25, 55, 95))
    assert abs(res["auc"][0] - 0.5) < 0.1


def test_knn_score_is_fraction_of_label1_neighbours():
    d, y, x = _two_blobs(30, 1.0, seed=4)
    q = np.array([0.3, 2.0, -1.0])
    dq = np.abs(q[:, None] - x[None, :])
    k = 7
    s = pm.knn_scores(d, y, dq, k)
    # independent reference: sort distances, count label-1 among the k nearest
    ref = np.array([y[np.argsort(row, kind="stable")[:k]].mean() for row in dq])
    np.testing.assert_allclose(s, ref)


def test_scan_k_picks_best_and_limits_k():
    d, y, _ = _two_blobs(40, 3.0)
    tr, va = np.arange(0, 80, 2), np.arange(1, 80, 2)
    best, res = pm.scan_k(d[np.ix_(tr, tr)], y[tr], d[np.ix_(va, tr)], y[va])
    assert max(res) <= 40 and best in res and res[best] == max(res.values())


# ------------------------------------------------------------------ one-class SVM
def test_ocsvm_support_vector_columns_only():
    d, y, x = _two_blobs(120, 6.0, seed=5)
    tr = np.nonzero(y == 0)[0]
    dtr = d[np.ix_(tr, tr)]
    g = 0.35
    m = pm.ocsvm_fit(dtr, g)
    dq = d[:, tr]
    full = (m.predict(np.exp(-g * dq ** 2)) < 0).astype(int)
    sv = np.sort(m.support_)
    assert sv.size < tr.size  # the shortcut actually drops columns
    part = pm.ocsvm_predict(m, dq[:, sv], sv, tr.size, g)
    np.testing.assert_array_equal(full, part)
    # outliers (the far class) are flagged much more often than inliers
    assert part[y == 1].mean() > 0.9 and part[y == 0].mean() < 0.4


def test_binary_row_keys_and_values():
    r = pm.binary_row(np.r_[np.ones(10), np.zeros(90)], np.r_[np.ones(60), np.zeros(40)])
    assert r["eps_s"] == 0.6 and r["eps_b"] == 0.1
    assert r["auc"] == pytest.approx(0.5 * (1 + 0.6 - 0.1))
    assert r["max_si"][0] == pytest.approx(0.6 / np.sqrt(0.1))
    prec = 60 / 70
    assert r["max_f1"][0] == pytest.approx(2 * prec * 0.6 / (prec + 0.6))


# ------------------------------------------------------------------ planing
def test_plane_matches_binned_distributions():
    rng = np.random.default_rng(0)
    tb = rng.exponential(60, 20000)
    ts = 110 - rng.exponential(20, 5000)  # rising where the background falls
    ib, is_ = pm.plane(tb, ts, 50, 100, n_max=500, n_bins=10, seed=1)
    assert ib.size == is_.size and 0 < ib.size <= 500
    assert np.all((tb[ib] > 50) & (tb[ib] < 100)) and np.all((ts[is_] > 50) & (ts[is_] < 100))
    hb = np.histogram(tb[ib], np.linspace(50, 100, 11))[0]
    hs = np.histogram(ts[is_], np.linspace(50, 100, 11))[0]
    np.testing.assert_array_equal(hb, hs)
    # before planing the shapes differ clearly
    hb0 = np.histogram(tb, np.linspace(50, 100, 11))[0]
    hs0 = np.histogram(ts, np.linspace(50, 100, 11))[0]
    assert abs(hb0[0] / hb0.sum() - hs0[0] / hs0.sum()) > 0.05


# ------------------------------------------------------------------ distances + cache
def test_distance_matrix_matches_pot():
    a = selected_events(12, seed=1)
    b = selected_events(9, seed=2)
    for space in ("3d", "2d"):
        ref = w2.pairwise_w2(a, b, space=space, solver="pot")
        got = distcache.distance_matrix(a, b, space=space, cache_dir=None)
        np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-9)
        sym = distcache.distance_matrix(a, space=space, cache_dir=None, n_jobs=2)
        np.testing.assert_allclose(sym, w2.pairwise_w2(a, space=space, solver="pot"), rtol=1e-9, atol=1e-9)
        assert np.all(np.diag(sym) == 0) and np.array_equal(sym, sym.T)


def test_scipy_fallback_agrees():
    a = selected_events(6, seed=3)
    xa = w2.coordinates(a, "3d") if hasattr(w2, "coordinates") else None
    from l1ot.ot.spaces import coordinates

    xa = coordinates(a, "3d")
    np.testing.assert_allclose(distcache.w2_squared_matrix(xa, use_c=False),
                               distcache.w2_squared_matrix(xa), rtol=1e-9, atol=1e-9)


def test_linw2_distance():
    from l1ot.ot import linot

    a = selected_events(10, seed=4)
    got = distcache.distance_matrix(a, distance="linw2", cache_dir=None)
    t = linot.embed(a, "sorted")
    ref = np.sqrt(((t[:, None] - t[None]) ** 2).sum(axis=(2, 3)) / 19)
    np.testing.assert_allclose(got, ref, atol=1e-6)


def test_cache_hit_does_not_recompute(tmp_path):
    a = selected_events(15, seed=5)
    b = selected_events(7, seed=6)
    kw = dict(cache_dir=str(tmp_path), space="3d")
    h0, m0 = distcache.STATS["hits"], distcache.STATS["misses"]
    d1 = distcache.distance_matrix(a, b, **kw)
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and files[0].name.startswith("w2_") and files[0].suffix == ".h5"
    mtime = files[0].stat().st_mtime_ns
    d2 = distcache.distance_matrix(a, b, **kw)
    np.testing.assert_array_equal(d1, d2)
    assert distcache.STATS["hits"] == h0 + 1 and distcache.STATS["misses"] == m0 + 1
    assert files[0].stat().st_mtime_ns == mtime
    # any change of inputs or parameters is a different key
    distcache.distance_matrix(a, b, cache_dir=str(tmp_path), space="2d")
    c = a.copy()
    c[0, 0, 0] += 1
    distcache.distance_matrix(c, b, **kw)
    distcache.distance_matrix(a, b, distance="linw2", cache_dir=str(tmp_path))
    assert len(list(tmp_path.glob("w2_*.h5"))) == 4
    assert distcache.STATS["misses"] == m0 + 4


# ------------------------------------------------------------------ end to end on a fixture sample
def _fixture_dir(tmp_path):
    """Fixture files with ADC2021 names: 'signals' are background-like events with
    pT scaled up (synthetic, not physics)."""
    bkg = selected_events(1300, seed=10)
    write_events(tmp_path / BACKGROUND, bkg)
    for i, name in enumerate(SIGNALS.values()):
        s = selected_events(160, seed=20 + i)
        s[:, :, 0] *= 2.0 + 0.5 * i
        write_events(tmp_path / name, s)
    return str(tmp_path)


@pytest.fixture(scope="module")
def fixture_rows(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pm")
    d = _fixture_dir(tmp)
    splits = Splits(n_sets=2, n_per_set=40, n_calib=100)
    rows = pm.evaluate_rows(os.path.join(d, BACKGROUND), d, list(SIGNALS), splits=splits, n_train=None,
                            seed=0, n_jobs=1, knn_n_per_class=100, svm_n_train=150,
                            svm_n_val_per_class=40, class_n_per_class=60, progress=False, log=None,
                            cache_dir=str(tmp / "cache"), planed_ranges={"lo": (40, 600), "hi": (9000, 9900)})
    return rows


def test_evaluate_rows_structure(fixture_rows):
    rows = fixture_rows
    for m in pm.METHOD_NAMES[:-1]:
        assert set(rows[m]) == set(SIGNALS), m
        for sig, r in rows[m].items():
            assert 0 <= r["auc"][0] <= 1 and len(r["auc"]) == 2
    for m in ("3d_ot_anomaly_knn", "knn_class_2d", "knn_class_3d"):
        assert set(rows[m]["A"]) == {"auc", "inv_eb_at_0p3", "si_at_0p3", "max_f1", "max_si"}
    assert {"auc", "max_f1", "max_si", "eps_s", "eps_b"} == set(rows["3d_ot_ocsvm"]["A"])
    # the high window is empty on the fixture: no rows, recorded as skipped
    assert rows["knn_class_2d_planed_hi"] == {}
    meta = rows["_paper_methods"]
    assert meta["3d_ot_anomaly_knn"]["k"] in pm.K_SCAN
    assert meta["3d_ot_ocsvm"]["gamma"] in pm.GAMMAS


def test_evaluate_rows_scaled_signals_are_found(fixture_rows):
    # fixture signals have pT x2..x3.5: 3D classification separates them well
    for sig in SIGNALS:
        assert fixture_rows["knn_class_3d"][sig]["auc"][0] > 0.9
        assert fixture_rows["3d_ot_anomaly_knn"][sig]["auc"][0] > 0.6


def test_unknown_method_is_config_error(tmp_path):
    from l1ot.errors import ConfigError

    with pytest.raises(ConfigError):
        pm.evaluate_rows("x.h5", ".", ["A"], methods=["nope"])


def test_linw2_option_names_and_skips_2d(tmp_path):
    d = _fixture_dir(tmp_path)
    splits = Splits(n_sets=2, n_per_set=40, n_calib=100)
    rows = pm.evaluate_rows(os.path.join(d, BACKGROUND), d, ["A", "hpm"], splits=splits, seed=0,
                            methods=["3d_ot_anomaly_knn", "knn_class_2d", "knn_class_3d"], distance="linw2",
                            knn_n_per_class=100, class_n_per_class=60, progress=False, log=None,
                            cache_dir=str(tmp_path / "cache"))
    assert set(k for k in rows if not k.startswith("_")) == {"3d_ot_anomaly_knn_linw2", "knn_class_3d_linw2"}
    assert rows["knn_class_3d_linw2"]["hpm"]["auc"][0] > 0.9
    md = pm.comparison_table(rows)
    assert "paper 1" in md and "0.920 ± 0.007" in md  # paper 1 Table 3: 0.9198 ± 0.006547 (3D, h±)


def test_cli_augment(tmp_path, capsys):
    from l1ot.cli import main
    from l1ot.io.data import load

    src = tmp_path / "bkg.h5"
    write_events(src, selected_events(300, seed=9))
    out = tmp_path / "aug.h5"
    assert main(["methods", "augment", str(src), "-o", str(out), "-n", "200", "--seed", "4"]) == 0
    assert "realized fractions" in capsys.readouterr().out
    assert load(out).shape == (200, 19, 4)
    # bad input: one clear error line, exit code 2
    assert main(["methods", "augment", str(tmp_path / "missing.h5"), "-o", str(out)]) == 2
    assert "file not found" in capsys.readouterr().err


def test_paper1_reference_file_columns():
    from l1ot.paper1 import reference

    cols = reference.columns()
    assert {(c["table"], c["method"]) for c in cols} >= {("Table 1", "2d_ot"), ("Table 1", "3d_ot"),
                                                        ("Table 2", "total_pt"), ("Table 3", "knn_class_3d")}
    v = reference.values()
    # every reproduced column has the four signals and the five metric keys
    for m, per in v.items():
        assert set(per) == {"A", "h0", "hpm", "LQ"}, m
        for sig in per.values():
            assert set(sig) == set(reference.METRIC_KEYS)
            assert 0 < sig["auc"][0] < 1 and sig["auc"][1] >= 0
    assert v["3d_ot_ocsvm"]["A"]["inv_eb_at_0p3"] is None  # '-' in Table 1
    assert reference.source("2d_ot") == "Table 1, 2D OT"
    assert reference.source("linw2_sorted_k32") == ""


def test_paper1_comparison_document(tmp_path):
    import json

    from l1ot.cli import main
    from l1ot.io import data
    from l1ot.evaluation import evaluate
    from l1ot.paper1 import comparison, reference
    from fixtures import toy_events

    data.write_events(tmp_path / evaluate.BACKGROUND, toy_events(700, seed=1, pt_scale=20))
    for i, fname in enumerate(evaluate.SIGNALS.values()):
        data.write_events(tmp_path / fname, toy_events(120, seed=10 + i, pt_scale=20 + 15 * i))
    rep = tmp_path / "evaluation.json"
    assert main(["evaluate", "--data", str(tmp_path), "--methods", "total_pt,met,multiplicity,2d_ot,3d_ot",
                 "--n-sets", "2", "--n-per-set", "50", "--n-calib", "100", "--n-ref", "40", "--jobs", "1",
                 "--report", str(rep), "--figures", ""]) == 0
    out = tmp_path / "cmp.md"
    comparison.generate(str(rep), str(out))
    md = out.read_text()
    r = json.loads(rep.read_text())
    p = reference.values()
    d = r["3d_ot"]["hpm"]["auc"][0] - p["3d_ot"]["hpm"]["auc"][0]
    line = next(l for l in md.splitlines() if l.startswith("| `3d_ot` | h±→τν |"))
    assert f"{d:+.3f}" in line
    assert "simulated, not CMS data" in md and "Table 1, 2D OT" in md
    assert "| `2d_ot` | Table 1, 2D OT |" in md and "0.654" in md
