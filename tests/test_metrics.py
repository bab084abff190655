"""Metrics against scikit-learn and against hand-countable cases."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score, roc_curve as sk_roc

from l1ot.evaluation import metrics


@pytest.mark.parametrize("seed", range(5))
def test_auc_and_roc_match_sklearn(seed):
    rng = np.random.default_rng(seed)
    b = rng.normal(size=700).round(1)  # rounding creates ties
    s = rng.normal(0.7, size=500).round(1)
    y = np.r_[np.zeros(b.size), np.ones(s.size)]
    sc = np.r_[b, s]
    assert metrics.auc(b, s) == pytest.approx(roc_auc_score(y, sc), abs=1e-12)
    eb, es, _ = metrics.roc_curve(b, s)
    fpr, tpr, _ = sk_roc(y, sc, drop_intermediate=False)
    np.testing.assert_allclose(eb, fpr, atol=1e-12)
    np.testing.assert_allclose(es, tpr, atol=1e-12)


def test_hand_counted_working_point():
    # 10 bkg scores 0..9, 10 sig scores 10..19 except three low ones
    b = np.arange(10.0)
    s = np.r_[np.arange(13.0, 20.0), 0.5, 1.5, 2.5]
    r = metrics.summarize(b, s)
    # eps_s = 0.3 reached with the 3 highest signal scores and no background
    assert r["inv_eb_at_0p3"] == pytest.approx(10.0)  # capped at 1/n_b
    assert r["si_at_0p3"] == pytest.approx(0.3 / np.sqrt(0.1))
    # max F1: at eps_s = 0.7 with eps_b = 0 -> precision 1, F1 = 2*0.7/1.7
    assert r["max_f1"][0] == pytest.approx(2 * 0.7 / 1.7)
    assert r["max_f1"][1] == pytest.approx(0.7)


def test_useless_score_gives_half_and_f1_two_thirds():
    b = np.zeros(1000)
    s = np.zeros(1000)
    r = metrics.summarize(b, s)
    assert r["auc"] == pytest.approx(0.5)
    assert r["max_f1"] == pytest.approx([2 / 3, 1.0])  # paper: MET for A gives 0.6667 (1)


def test_summarize_sets_mean_std():
    per = [{"auc": 0.5, "max_si": [1.0, 0.2]}, {"auc": 0.7, "max_si": [3.0, 0.4]}]
    out = metrics.summarize_sets(per)
    assert out["auc"] == pytest.approx([0.6, 0.1])
    assert out["max_si"] == pytest.approx([2.0, 1.0, 0.3])


def test_binary_working_point():
    r = metrics.summarize_binary(np.r_[np.zeros(90), np.ones(10)], np.r_[np.ones(60), np.zeros(40)])
    assert r["eps_s"] == pytest.approx(0.6) and r["eps_b"] == pytest.approx(0.1)
    assert r["si"][0] == pytest.approx(0.6 / np.sqrt(0.1))


def test_rejects_nan():
    with pytest.raises(ValueError, match="NaN"):
        metrics.auc(np.array([np.nan, 1.0]), np.array([1.0]))
