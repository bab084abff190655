"""Paper 1's cross-validation, k and gamma choices and planing: fold hygiene and direct references.

Fold hygiene is checked two ways: a distance matrix that records every block the real kNN reads
(which rows score, which columns train), and labels/distances built so that a leak changes the
answer (d(i, i) = 0 makes k = 1 perfect on any event that is also a training event). Distances and
labels are SYNTHETIC test fixtures (not physics).
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import balanced_accuracy_score

from l1ot.paper1 import methods as pm


class Recording(np.ndarray):
    """A distance matrix that records the (rows, columns) of every ``d[np.ix_(rows, cols)]``."""

    def __getitem__(self, key):
        if isinstance(key, tuple) and len(key) == 2 and all(isinstance(k, np.ndarray) for k in key):
            self.log.append((frozenset(np.ravel(key[0]).tolist()), frozenset(np.ravel(key[1]).tolist())))
        return np.asarray(super().__getitem__(key))


def recording(d):
    r = np.asarray(d).view(Recording)
    r.log = []
    return r


def noise_matrix(n, rng):
    d = rng.random((n, n)) + 1.0
    d = d + d.T
    np.fill_diagonal(d, 0.0)
    return d


def leak_sensitive(n_per_class, seed):
    """Signal events slightly closer to each other (a large k wins honestly); d(i, i) = 0."""
    y = np.repeat([0, 1], n_per_class)
    d = noise_matrix(2 * n_per_class, np.random.default_rng(seed))
    s = y == 1
    d[np.ix_(s, s)] -= 0.35
    np.fill_diagonal(d, 0.0)
    return d, y


# ------------------------------------------------------------------------------ 5-fold classification
def test_classify_cv_blocks_keep_test_validation_and_training_apart():
    d, y = leak_sensitive(30, 0)
    rd = recording(d)
    res, info = pm.classify_cv(rd, y, seed=2, ks=(3, 7))
    log = rd.log
    assert len(log) == 4 * 5, "classify_cv reads four blocks per fold from the matrix it is given"
    tests, vals = [], []
    for f in range(5):
        (a_r, a_c), (v_r, v_c), (b_r, b_c), (t_r, t_c) = log[4 * f:4 * f + 4]
        tr = a_c
        assert a_r == tr and v_c == tr and b_r == tr and b_c == tr and t_c == tr   # one training fold
        assert not (v_r & tr) and not (t_r & tr) and not (v_r & t_r)               # three disjoint sets
        assert len(tr | v_r | t_r) == len(y)
        tests.append(t_r)
        vals.append(v_r)
    assert sorted(i for t in tests for i in t) == list(range(len(y)))   # every event tested exactly once
    assert sorted(i for v in vals for i in v) == list(range(len(y)))    # and validates exactly once
    assert len(info["k"]) == 5 and res["auc"][0] > 0.7


def test_classify_cv_validation_never_trains():
    d, y = leak_sensitive(60, 1)
    res, info = pm.classify_cv(d, y, seed=0, ks=(1, 25))
    assert info["k"] == [25] * 5
    assert res["auc"][0] > 0.8


def test_classify_cv_metrics_are_the_mean_over_test_folds():
    """Each fold's test AUC recomputed from its recorded blocks with an independent kNN (sorted
    distances); the reported AUC is their mean, the std their population std."""
    from sklearn.metrics import roc_auc_score

    d, y = leak_sensitive(30, 3)
    rd = recording(d)
    res, info = pm.classify_cv(rd, y, seed=5, ks=(5, 9))
    aucs = []
    for f in range(5):
        tr = sorted(rd.log[4 * f + 2][1])
        te = sorted(rd.log[4 * f + 3][0])
        k = info["k"][f]
        s = [y[tr][np.argsort(d[i, tr], kind="stable")[:k]].mean() for i in te]
        aucs.append(roc_auc_score(y[te], s))
    assert res["auc"][0] == pytest.approx(np.mean(aucs), abs=1e-12)
    assert res["auc"][1] == pytest.approx(np.std(aucs), abs=1e-12)


# ------------------------------------------------------------------------------ anomaly kNN: k on validation
def test_anomaly_knn_split_and_k_choice():
    d, y = leak_sensitive(40, 4)
    rd = recording(d)
    tr, va, k, scan = pm.choose_k(rd, y, val_frac=0.25, seed=7, ks=(1, 25))
    assert len(va) == 20 and len(tr) == 60
    assert sorted(np.r_[tr, va].tolist()) == list(range(80))
    assert rd.log == [(frozenset(tr.tolist()), frozenset(tr.tolist())), (frozenset(va.tolist()), frozenset(tr.tolist()))]
    assert k == 25 and scan[25] > scan[1]
    # the split is reproducible by seed and differs between seeds
    assert np.array_equal(pm.train_val_split(80, 0.25, 7)[1], va)
    assert not np.array_equal(pm.train_val_split(80, 0.25, 8)[1], va)


def test_scan_k_smallest_best_k_and_cap():
    # perfectly separated: every k gives validation AUC 1; the smallest wins; k above the training size is not run
    x = np.r_[np.zeros(10), np.full(10, 10.0)] + np.linspace(0, 0.1, 20)
    y = np.repeat([0, 1], 10)
    tr, va = np.arange(0, 20, 2), np.arange(1, 20, 2)
    d = np.abs(x[:, None] - x[None])
    best, res = pm.scan_k(d[np.ix_(tr, tr)], y[tr], d[np.ix_(va, tr)], y[va], ks=(3, 5, 9, 10, 11, 15))
    assert set(res) == {3, 5, 9, 10} and best == 3
    assert res[3] == res[5] == 1.0 and res[10] == 0.5   # k = n_train: every score is the class balance


def test_best_of_prefers_the_smallest_parameter_on_ties():
    assert pm.best_of({0.45: 0.8, 0.15: 0.8, 0.35: 0.7}) == 0.15
    assert pm.best_of({25: 0.9, 5: 0.91}) == 5
    assert pm.best_of({35: 0.9, 15: 0.9, 5: 0.2}) == 15


@settings(max_examples=100, deadline=None)
@given(pred=st.lists(st.integers(0, 1), min_size=4, max_size=40), seed=st.integers(0, 1000))
def test_balanced_accuracy_against_sklearn(pred, seed):
    pred = np.array(pred)
    y = np.random.default_rng(seed).permutation(np.arange(len(pred)) % 2)
    assert pm.balanced_accuracy(pred, y) == pytest.approx(balanced_accuracy_score(y, pred), abs=1e-12)


# ------------------------------------------------------------------------------ planing
@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), n_max=st.integers(1, 300), n_bins=st.integers(1, 12))
def test_plane_rules(seed, n_max, n_bins):
    rng = np.random.default_rng(seed)
    tb = rng.exponential(80, 800)
    ts = rng.uniform(20, 180, 300)
    lo, hi = 50.0, 150.0
    ib, is_ = pm.plane(tb, ts, lo, hi, n_max=n_max, n_bins=n_bins, seed=seed)
    assert ib.size == is_.size <= n_max                                  # at most n_max per class
    assert len(set(ib.tolist())) == ib.size and len(set(is_.tolist())) == is_.size   # no replacement
    assert np.all((tb[ib] > lo) & (tb[ib] < hi)) and np.all((ts[is_] > lo) & (ts[is_] < hi))
    edges = np.linspace(lo, hi, n_bins + 1)
    hb, hs = np.histogram(tb[ib], edges)[0], np.histogram(ts[is_], edges)[0]
    np.testing.assert_array_equal(hb, hs)                                # same total-pT distribution
    # nothing is thrown away needlessly: when the per-bin minima fit, every bin keeps its minimum
    cb = np.histogram(tb[(tb > lo) & (tb < hi)], edges)[0]
    cs = np.histogram(ts[(ts > lo) & (ts < hi)], edges)[0]
    if np.minimum(cb, cs).sum() <= n_max:
        np.testing.assert_array_equal(hb, np.minimum(cb, cs))


# ------------------------------------------------------------------------------ one-class SVM shortcut
def test_ocsvm_kernel_is_gaussian_in_w2():
    """The precomputed kernel is exp(-gamma d^2): the SVM on it equals scikit-learn's RBF SVM on points
    whose Euclidean distance is d."""
    from sklearn.svm import OneClassSVM

    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 2))
    q = rng.normal(size=(30, 2)) * 2
    d = np.linalg.norm(x[:, None] - x[None], axis=-1)
    dq = np.linalg.norm(q[:, None] - x[None], axis=-1)
    g = 0.3
    m = pm.ocsvm_fit(d, g)
    rbf = OneClassSVM(kernel="rbf", gamma=g, nu=pm.NU).fit(x)
    sv = np.sort(m.support_)
    got = pm.ocsvm_predict(m, dq[:, sv], sv, len(x), g)
    np.testing.assert_array_equal(got, (rbf.predict(q) < 0).astype(int))


# ------------------------------------------------------------------------------ event ranges of the methods
def test_method_event_ranges(tmp_path):
    """_Files hands each method the documented events: training from the train block (refused past
    it), SVM validation background from the calibration block only, the standard test sets, and
    signal events after the signal test block when the file has enough of them."""
    from fixtures import toy_events
    from l1ot.errors import DataError
    from l1ot.evaluation.evaluate import BACKGROUND, SIGNALS
    from l1ot.io import data
    from l1ot.io.splits import Splits

    bkg = toy_events(60, seed=1)
    data.write_events(str(tmp_path / BACKGROUND), bkg)
    sig = toy_events(30, seed=2, pt_scale=60)
    data.write_events(str(tmp_path / SIGNALS["A"]), sig)
    s = Splits(n_sets=2, n_per_set=10, n_calib=15)   # per event: train [0, 25), calib [25, 40), test [40, 60)
    f = pm._Files(str(tmp_path / BACKGROUND), str(tmp_path), s)
    np.testing.assert_array_equal(f.bkg_train(5, offset=20), bkg[20:25])
    with pytest.raises(DataError, match="train block"):
        f.bkg_train(5, offset=21)
    np.testing.assert_array_equal(f.bkg_calib(100), bkg[25:40])       # never into the test block
    t = f.test_sets(["A"])
    np.testing.assert_array_equal(t["bkg"], bkg[40:60])
    np.testing.assert_array_equal(t["A"], sig[:20])
    ev, start = f.sig_extra("A", 10)                                   # exactly enough after the test block
    assert start == 20
    np.testing.assert_array_equal(ev, sig[20:30])
    ev, start = f.sig_extra("A", 11)                                   # not enough: from the start (recorded)
    assert start == 0 and len(ev) == 11
