"""Paper-1 metrics against references written apart from the code.

References: brute-force counting over every threshold, the Mann-Whitney pair count, scikit-learn
(``roc_auc_score``, ``roc_curve``, ``f1_score``), exact-fraction maxima and hand-worked ROCs.
Scores are SYNTHETIC (test fixtures, not physics).
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import f1_score, roc_auc_score

from l1ot.evaluation import metrics


# ----------------------------------------------------------------------------------- references
def brute_roc(bkg, sig):
    """ROC points by direct counting, one per distinct score, thresholds decreasing, from (0, 0)."""
    thr = np.unique(np.r_[bkg, sig])[::-1]
    eb = [0.0] + [float(np.mean(bkg >= t)) for t in thr]
    es = [0.0] + [float(np.mean(sig >= t)) for t in thr]
    return np.array(eb), np.array(es), np.r_[np.inf, thr]


def brute_auc(bkg, sig):
    """P(s > b) + P(s = b) / 2 over all pairs (Mann-Whitney)."""
    b, s = np.asarray(bkg)[None, :], np.asarray(sig)[:, None]
    return float(np.mean((s > b) + 0.5 * (s == b)))


def eb_at(eb, es, target):
    """eps_b where the ROC (piecewise linear in (eps_s, eps_b)) first reaches eps_s = target."""
    for i in range(len(es)):
        if es[i] >= target:
            if es[i] == target or i == 0:
                return eb[i]
            return float(np.interp(target, [es[i - 1], es[i]], [eb[i - 1], eb[i]]))
    return 1.0


def brute_summary(bkg, sig, eps_s_min=0.2):
    """Every paper-1 number from the definitions: counts at each threshold, F1 from scikit-learn.

    The maxima are chosen with exact fractions; ``max_si``/``max_f1`` are (value, set of the eps_s
    where the exact maximum is reached).
    """
    bkg, sig = np.asarray(bkg, float), np.asarray(sig, float)
    n_b, n_s = len(bkg), len(sig)
    eb, es, thr = brute_roc(bkg, sig)
    e = max(eb_at(eb, es, 0.3), 1.0 / n_b)
    y = np.r_[np.zeros(n_b), np.ones(n_s)]
    sc = np.r_[bkg, sig]
    si, f1 = [], []
    for t in thr[1:]:
        tp, fp = int(np.count_nonzero(sig >= t)), int(np.count_nonzero(bkg >= t))
        if Fraction(tp, n_s) < Fraction(eps_s_min).limit_denominator(10**6):
            continue
        si2 = Fraction(tp * tp * n_b, n_s * n_s * max(fp, 1))          # SI^2, eps_b floored at 1/n_b
        si.append((si2, tp / n_s, (tp / n_s) / np.sqrt(max(fp / n_b, 1.0 / n_b))))
        f1x = Fraction(2 * tp, 2 * tp + fp + (n_s - tp))
        f1.append((f1x, tp / n_s, f1_score(y, (sc >= t).astype(int), zero_division=0.0)))

    def best(rows):
        top = max(r[0] for r in rows)
        return rows[[r[0] for r in rows].index(top)][2], {r[1] for r in rows if r[0] == top}

    return {"auc": brute_auc(bkg, sig), "inv_eb_at_0p3": 1.0 / e, "si_at_0p3": 0.3 / np.sqrt(e),
            "max_si": best(si), "max_f1": best(f1)}


def assert_summary(got, ref):
    for k in ("auc", "inv_eb_at_0p3", "si_at_0p3"):
        assert got[k] == pytest.approx(ref[k], rel=1e-12, abs=1e-12), k
    for k in ("max_si", "max_f1"):
        assert got[k][0] == pytest.approx(ref[k][0], rel=1e-12), k
        assert any(got[k][1] == pytest.approx(e, rel=1e-12) for e in ref[k][1]), (k, got[k], ref[k])


# ----------------------------------------------------------------------------------- ROC and AUC
scores = st.lists(st.integers(0, 12), min_size=1, max_size=40)   # small range: many ties


@settings(max_examples=150, deadline=None)
@given(b=scores, s=scores)
def test_roc_and_auc_equal_direct_counts_and_sklearn(b, s):
    b, s = np.array(b, float), np.array(s, float)
    eb, es, thr = metrics.roc_curve(b, s)
    rb, rs, rt = brute_roc(b, s)
    np.testing.assert_array_equal(thr, rt)
    np.testing.assert_allclose(eb, rb, rtol=0, atol=1e-15)
    np.testing.assert_allclose(es, rs, rtol=0, atol=1e-15)
    assert metrics.auc(b, s) == pytest.approx(brute_auc(b, s), abs=1e-12)
    y = np.r_[np.zeros(len(b)), np.ones(len(s))]
    assert metrics.auc(b, s) == pytest.approx(roc_auc_score(y, np.r_[b, s]), abs=1e-12)


@settings(max_examples=120, deadline=None)
@given(b=st.lists(st.integers(0, 30), min_size=3, max_size=60), s=st.lists(st.integers(0, 30), min_size=3, max_size=60))
def test_summary_equals_definitions_on_random_rocs(b, s):
    """Unequal class sizes on purpose: a swap of n_b and n_s changes F1 and the 1/n_b floor."""
    assert_summary(metrics.summarize(np.array(b, float), np.array(s, float)), brute_summary(b, s))


@pytest.mark.parametrize("seed", range(2))
def test_summary_equals_definitions_continuous_scores(seed):
    rng = np.random.default_rng(seed)
    b = rng.normal(0, 1, 150 + 40 * seed)
    s = rng.normal(1.2, 1, 90)
    assert_summary(metrics.summarize(b, s), brute_summary(b, s))
    r = metrics.summarize(b, s, eps_s_min=0.25)
    assert r["max_si"][1] >= 0.25 and r["max_f1"][1] >= 0.25
    assert_summary(r, brute_summary(b, s, eps_s_min=0.25))


def test_hand_worked_roc_interpolation_and_floor():
    # 10 signal, 16 background; four background tied with two signal at 6. ROC points (eps_b, eps_s):
    # 9 -> (0, .1), 8 -> (0, .2), 6 -> (.25, .4), 5 -> (.25, .5), ... The first point reaching
    # eps_s = 0.3 is (.25, .4); 0.3 is halfway from (0, .2): eps_b = 0.125 (above 1/n_b = 1/16).
    sig = np.array([9, 8, 6, 6, 5, 4, 3, 2, 1, 0], float)
    bkg = np.r_[np.full(4, 6.0), np.linspace(0.1, 0.9, 12)]
    r = metrics.summarize(bkg, sig)
    assert r["inv_eb_at_0p3"] == pytest.approx(8.0)
    assert r["si_at_0p3"] == pytest.approx(0.3 / np.sqrt(0.125))
    # max SI over eps_s >= 0.2 with eps_b floored at 1/n_b = 1/16: (0.2, 0) -> 0.2 / 0.25 = 0.8;
    # (0.4, .25) -> 0.8; (0.5, .25) -> 1.0; ... (0.9, .25) -> 1.8; then eps_b grows; (1, 1) -> 1
    assert r["max_si"] == pytest.approx([1.8, 0.9])
    # max F1 by hand, 2 TP / (2 TP + FP + FN): at eps_s .9: TP 9, FP 4, FN 1 -> 18 / 23 (the largest)
    assert r["max_f1"] == pytest.approx([18 / 23, 0.9])
    # an exact hit of eps_s = 0.3 takes that point, not the next one
    sig3 = np.array([9, 8, 7.5, 6, 5, 4, 3, 2, 1, 0], float)
    bkg3 = np.array([8.5, 7.2, 0.4, 0.3], float)   # points (.25, .2) (.25, .3) at 7.5, then (.5, .3) at 7.2
    assert metrics.summarize(bkg3, sig3)["inv_eb_at_0p3"] == pytest.approx(4.0)
    # no background above the eps_s = 0.3 point: eps_b floored at 1/n_b (n_b = 4, not n_s = 10)
    assert metrics.summarize(bkg3 - 8, sig3)["inv_eb_at_0p3"] == pytest.approx(4.0)
    assert metrics.summarize(bkg3 - 8, sig3)["si_at_0p3"] == pytest.approx(0.3 / np.sqrt(0.25))


def test_significance_is_eps_s_over_sqrt_eps_b_by_hand():
    # 100 background of which 4 at the top, 10 signal all on top: eps_s = 1 at eps_b = 0.04 -> SI = 5
    bkg = np.r_[np.full(4, 10.0), np.zeros(96)]
    sig = np.full(10, 11.0)
    r = metrics.summarize(bkg, sig)
    assert r["max_si"] == pytest.approx([1.0 / np.sqrt(0.01), 1.0])   # eps_b = 0 at eps_s = 1 -> 1/n_b
    sig2 = np.full(10, 10.0)                                            # tied with the 4 background
    r2 = metrics.summarize(bkg, sig2)
    assert r2["max_si"] == pytest.approx([5.0, 1.0])
    assert r2["auc"] == pytest.approx(0.96 + 0.04 / 2)
    # the window [0.2, 1] includes its lower end: 2 of 10 signal above 100 background give the maxima
    # at eps_s = 0.2 exactly (SI 0.2 / sqrt(1/100) = 2, F1 = 4 / 12); the next points are worse
    sig3 = np.r_[10.0, 9.0, np.zeros(8)]
    bkg3 = np.r_[np.full(50, 5.0), np.full(50, -1.0)]
    r3 = metrics.summarize(bkg3, sig3)
    assert r3["max_si"] == pytest.approx([2.0, 0.2]) and r3["max_f1"] == pytest.approx([1 / 3, 0.2])


# ----------------------------------------------------------------------------------- binary and sets
@settings(max_examples=80, deadline=None)
@given(b=st.lists(st.integers(0, 1), min_size=2, max_size=50), s=st.lists(st.integers(0, 1), min_size=2, max_size=50))
def test_binary_working_point_against_sklearn(b, s):
    b, s = np.array(b), np.array(s)
    r = metrics.summarize_binary(b, s)
    y = np.r_[np.zeros(len(b)), np.ones(len(s))]
    pred = np.r_[b, s]
    assert r["eps_s"] == pytest.approx(s.mean()) and r["eps_b"] == pytest.approx(b.mean())
    assert r["auc"] == pytest.approx(roc_auc_score(y, pred), abs=1e-12)
    assert r["f1"][0] == pytest.approx(f1_score(y, pred, zero_division=0.0), abs=1e-12)
    assert r["si"][0] == pytest.approx(s.mean() / np.sqrt(max(b.mean(), 1 / len(b))), abs=1e-12)


def test_summarize_sets_is_mean_and_population_std():
    import statistics

    per = [{"auc": a, "max_si": [v, e]} for a, v, e in ((0.5, 1.0, 0.2), (0.9, 4.0, 0.5), (0.7, 1.5, 0.8))]
    out = metrics.summarize_sets(per)
    assert out["auc"] == pytest.approx([0.7, statistics.pstdev([0.5, 0.9, 0.7])])
    assert out["max_si"] == pytest.approx([statistics.mean([1.0, 4.0, 1.5]), statistics.pstdev([1.0, 4.0, 1.5]), 0.5])


def test_bands_by_hand():
    # one diagonal ROC and one step ROC: rejection 1 - eps_b on the eps_s grid
    curves = [(np.array([0.0, 1.0]), np.array([0.0, 1.0])), (np.array([0.0, 0.0, 1.0]), np.array([0.0, 0.5, 1.0]))]
    g, m, s = metrics.roc_band(curves, grid=np.array([0.25, 0.5, 0.75]))
    np.testing.assert_allclose(m, [(0.75 + 1) / 2, (0.5 + 1) / 2, (0.25 + 0.5) / 2])
    np.testing.assert_allclose(s, [0.125, 0.25, 0.125])
    g, m, s = metrics.si_band(curves[:1], grid=np.array([0.25, 1.0]), n_b=16)
    np.testing.assert_allclose(m, [0.25 / np.sqrt(0.25), 1.0])
    g, m, s = metrics.si_band([(np.array([0.0, 0.0, 1.0]), np.array([0.0, 0.5, 1.0]))], grid=np.array([0.5]), n_b=16)
    np.testing.assert_allclose(m, [0.5 / np.sqrt(1 / 16)])   # eps_b = 0 floored at 1/n_b
