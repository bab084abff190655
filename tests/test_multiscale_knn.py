"""Exact pruned kNN on single-scale W2 (l1ot.multiscale.knn): every bound against exact W2 computed here
with POT on a cost matrix built in this file, adversarial pairs (point mass, identical clouds, azimuth
wrap-around, very unequal pT), the tie rule by hand, and the pruned kNN against brute force on the full
matrix (same neighbours, same AUC) and against scikit-learn's kNN."""
from __future__ import annotations

import numpy as np
import pytest

from l1ot.multiscale import classify, eventot, knn


def _cyl_cost(xa, xb):
    """Squared cylinder distance, written apart from the code under test."""
    dy = xa[:, None, 0] - xb[None, :, 0]
    dp = np.abs(xa[:, None, 1] - xb[None, :, 1]) % (2 * np.pi)
    dp = np.minimum(dp, 2 * np.pi - dp)
    return dy ** 2 + dp ** 2


def _exact(xa, wa, xb, wb):
    import ot

    return float(ot.emd2(wa / wa.sum(), wb / wb.sum(), _cyl_cost(xa, xb)))


def _pack(clouds):
    xs = [np.asarray(x, float) for x, _ in clouds]
    ws = [np.asarray(w, float) / np.sum(w) for _, w in clouds]
    off = np.concatenate([[0], np.cumsum([len(x) for x in xs])]).astype(np.int64)
    return {"x": np.concatenate(xs), "w": np.concatenate(ws), "off": off}


def _cloud(rng, n, y0=0.0, phi0=0.0, spread=0.3):
    x = np.column_stack([y0 + spread * rng.normal(size=n), phi0 + spread * rng.normal(size=n)])
    x[:, 1] = np.pi - np.mod(np.pi - x[:, 1], 2 * np.pi)
    return x, rng.exponential(size=n) + 1e-3


def _adversarial_pairs():
    rng = np.random.default_rng(5)
    pairs = []
    for _ in range(25):  # random events: two or three blobs, some across phi = +-pi
        a = [_cloud(rng, rng.integers(3, 12), rng.normal(), rng.uniform(-np.pi, np.pi)) for _ in range(3)]
        b = [_cloud(rng, rng.integers(3, 12), rng.normal(), rng.uniform(-np.pi, np.pi)) for _ in range(2)]
        pairs.append((np.concatenate([c[0] for c in a]), np.concatenate([c[1] for c in a]),
                      np.concatenate([c[0] for c in b]), np.concatenate([c[1] for c in b])))
    x, w = _cloud(rng, 9)
    pairs.append((np.array([[0.2, 3.0]]), np.array([1.0]), x, w))            # point mass vs cloud
    pairs.append((np.array([[0.2, 3.0]]), np.array([1.0]), np.array([[-0.1, -3.1]]), np.array([5.0])))
    pairs.append((x, w, x.copy(), 7.0 * w))                                   # identical clouds
    # wrap-around: the same event rotated across phi = +-pi
    xa = np.array([[0.0, np.pi - 0.01], [0.3, np.pi - 0.2], [-0.5, 0.1]])
    xb = xa.copy()
    xb[:, 1] = np.pi - np.mod(np.pi - (xb[:, 1] + 0.03), 2 * np.pi)
    pairs.append((xa, np.array([3.0, 1.0, 2.0]), xb, np.array([3.0, 1.0, 2.0])))
    pairs.append((np.array([[0.0, np.pi]]), np.ones(1), np.array([[0.0, -np.pi + 1e-3]]), np.ones(1)))
    pairs.append((np.array([[0.0, 0.0], [0.0, np.pi]]), np.ones(2), np.array([[0.0, np.pi / 2], [0.0, -np.pi / 2]]),
                  np.ones(2)))                                              # antipodal: equal-cost plans
    # very unequal pT: one constituent carries almost all of it
    xa, wa = _cloud(rng, 12, 0.1, 2.9)
    wa[0] = 1e4
    xb, wb = _cloud(rng, 8, -0.2, -2.8)
    wb[-1] = 1e-6
    pairs.append((xa, wa, xb, wb))
    return pairs


PAIRS = _adversarial_pairs()


@pytest.mark.parametrize("k", range(len(PAIRS)))
def test_every_bound_is_below_exact_w2_and_the_upper_bound_above(k):
    xa, wa, xb, wb = PAIRS[k]
    ex = _exact(xa, wa, xb, wb)
    tol = 1e-12 + 1e-9 * ex
    assert knn.centroid_bound(xa, wa, xb, wb) <= ex + tol
    assert knn.map_bound(xa, wa, xb, wb) <= ex + tol
    for kind, c in knn.MAPS:  # each map alone (y term + its azimuthal terms)
        assert knn.map_bound(xa, wa, xb, wb, maps=((kind, c),)) <= ex + tol
    data = _pack([(xa, wa), (xb, wb)])
    emb = knn.embeddings(data)
    assert knn.lower_bounds(emb, np.array([0]), np.array([1]))[0, 0] <= ex
    assert knn.lower_bounds(emb, np.array([1]), np.array([0]))[0, 0] <= ex
    # the code's own exact pair agrees with POT on the hand-built cost
    assert eventot.single_pair(data, 0, 1) == pytest.approx(ex, rel=1e-9, abs=1e-12)


def test_identical_clouds_have_zero_bounds_and_wraparound_is_tight():
    xa, wa, xb, wb = PAIRS[27]
    assert knn.map_bound(xa, wa, xb, wb) == pytest.approx(0.0, abs=1e-12)
    # the rotated event across +-pi is 0.03 away in azimuth: the bound must see a small distance
    xa, wa, xb, wb = PAIRS[28]
    ex = _exact(xa, wa, xb, wb)
    assert ex == pytest.approx(0.03 ** 2, rel=1e-9)
    assert knn.map_bound(xa, wa, xb, wb) > 0.5 * ex


def test_bounds_on_many_random_clouds_and_pivot_bounds():
    rng = np.random.default_rng(11)
    clouds = [_cloud(rng, rng.integers(1, 15), rng.normal(), rng.uniform(-np.pi, np.pi), rng.uniform(0.05, 1.0))
              for _ in range(24)]
    data = _pack(clouds)
    n = len(clouds)
    ex = np.array([[_exact(*clouds[i], *clouds[j]) for j in range(n)] for i in range(n)])
    lb = knn.lower_bounds(knn.embeddings(data), np.arange(n), np.arange(n))
    assert np.all(lb <= ex + 1e-12)
    assert np.median(lb[ex > 0] / ex[ex > 0]) > 0.2  # not a trivial bound
    s = knn.PrunedSearch(data, n_pivots=4)
    for q in range(n):
        lo, up = s.bounds(q, np.arange(n))
        assert np.all(lo <= ex[q] * (1 + 1e-9) + 1e-12)
        assert np.all(up >= ex[q] * (1 - 1e-9) - 1e-12)


def test_tie_rule_by_hand():
    # distances 1, 0, 1, 0 at training indices 5, 6, 7, 8 -> 6, 8, 5, 7
    assert list(knn.rank([1.0, 0.0, 1.0, 0.0], [5, 6, 7, 8])) == [1, 3, 0, 2]
    # a hand matrix with ties: queries 0 and 1, training 2..5 (labels 1, 0, 1, 0)
    d = np.array([[0, 9, 1, 1, 2, 2],
                  [9, 0, 3, 3, 3, 3],
                  [1, 3, 0, 9, 9, 9],
                  [1, 3, 9, 0, 9, 9],
                  [2, 3, 9, 9, 0, 9],
                  [2, 3, 9, 9, 9, 0]], float)
    y = np.array([1, 0, 1, 0, 1, 0])
    tr, va, te = np.arange(2, 6), np.array([0, 1]), np.array([0, 1])
    r = knn.knn_auc_brute(d, y, [(tr, va, te)], k_grid=(1, 3))
    nb = r["neighbours"][0]
    assert list(nb[("val", 0)]) == [2, 3, 4]   # 2 before 3 (tie at 1), then 4 before 5 (tie at 2)
    assert list(nb[("val", 1)]) == [2, 3, 4]   # all tied at 3: lowest indices
    # k = 1: scores 1 (query 0), 1 (query 1) -> AUC 0.5; k = 3: 2/3 and 2/3 -> 0.5; first k wins
    assert r["k"] == [1]


def _synthetic(n_per_class, seed=3, dup=False):
    """Two classes of small events: signal has three blobs, background two back-to-back."""
    rng = np.random.default_rng(seed)
    clouds, y = [], []
    for lab in (1, 0):
        for _ in range(n_per_class):
            phis = [0.0, np.pi + 0.3 * rng.normal()] + ([rng.uniform(-np.pi, np.pi)] if lab else [])
            parts = [_cloud(rng, rng.integers(2, 7), 0.8 * rng.normal(), p, 0.2) for p in phis]
            clouds.append((np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])))
            y.append(lab)
    if dup:  # exact copies of training events: distance ties
        clouds[5] = clouds[3]
        clouds[40] = clouds[3]
        clouds[41] = clouds[30]
    return _pack(clouds), np.array(y)


@pytest.mark.parametrize("dup", [False, True])
def test_pruned_knn_equals_brute_force(dup):
    data, y = _synthetic(30, dup=dup)
    d = eventot.single_matrix(data, cache_dir=None)
    splits = classify.folds(y, seed=1)
    grid = (1, 2, 3, 5, 8)
    ref = knn.knn_auc_brute(d, y, splits, grid)
    for kw in ({}, {"n_pivots": 0, "use_pivots": False}, {"use_upper": False}):
        res = knn.knn_auc_pruned(data, y, splits, grid, **kw)
        assert res["auc"] == ref["auc"] and res["aucs"] == ref["aucs"] and res["k"] == ref["k"]
        for a, b in zip(ref["neighbours"], res["neighbours"]):
            assert a.keys() == b.keys()
            for key in a:
                assert list(a[key]) == list(b[key]), key
        assert res["stats"]["solved_fraction"] < 1.0
    if not dup:  # no ties: the same as scikit-learn's kNN of classify.knn_auc
        sk = classify.knn_auc(d, y, splits, grid)
        assert sk["aucs"] == pytest.approx(ref["aucs"], abs=1e-12) and sk["k"] == ref["k"]


def test_pruned_knn_equals_brute_force_on_bundled_events():
    from l1ot.multiscale import generate, pipeline

    events, y = pipeline.load_task("ttbar", 12)
    data = eventot.pack_points(pipeline.represent(events, generate.R_BENCH, rotate=False))
    d = eventot.single_matrix(data, cache_dir=None)
    splits = classify.folds(y)
    ref = knn.knn_auc_brute(d, y, splits, (1, 2, 4))
    res = knn.knn_auc_pruned(data, y, splits, (1, 2, 4))
    assert res["aucs"] == ref["aucs"]
    assert all(list(a[k]) == list(b[k]) for a, b in zip(ref["neighbours"], res["neighbours"]) for k in a)


def test_pruned_knn_on_a_dask_cluster_equals_brute_force():
    from distributed import Client, LocalCluster

    from l1ot.engine import Engine

    data, y = _synthetic(20, seed=7)
    d = eventot.single_matrix(data, cache_dir=None)
    splits = classify.folds(y, seed=2)
    grid = (1, 3, 5)
    ref = knn.knn_auc_brute(d, y, splits, grid)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=":0") as cl, Client(cl):
        with Engine(scheduler=cl.scheduler_address, progress=False) as eng:
            res = knn.knn_auc_pruned(data, y, splits, grid, engine=eng, n_tasks=3)
    assert res["aucs"] == ref["aucs"] and res["k"] == ref["k"]
    assert all(list(a[k]) == list(b[k]) for a, b in zip(ref["neighbours"], res["neighbours"]) for k in a)
    assert res["stats"]["queries"] == sum(len(va) + len(te) for _, va, te in splits)


def test_sample_variants_keep_the_bundled_configuration_and_set_their_mass():
    from l1ot.multiscale import generate
    from l1ot.sim.generate import pythia_from

    assert not set(generate.VARIANT_IDS) & set(generate.config()["settings"])   # bundled hash unchanged
    ids = list(generate.PROCESS_IDS.values()) + list(generate.VARIANT_IDS.values())
    assert len(ids) == len(set(ids))                                             # distinct chunk seeds
    assert "PhaseSpace:pTHatMin = 0." in generate.settings("stop_nocut", 1)
    assert "HardQCD:3parton = on" in generate.settings("qcd_3parton", 1)
    py = pythia_from(generate.settings("stop500_nocut", 3), "stop500_nocut")
    assert py.next()
    masses = [p.m() for p in py.event if abs(p.id()) == 1000006]
    assert masses and all(abs(m - generate.M_S_HEAVY) < 20.0 for m in masses)  # not the SLHA's 150 GeV


# -- issue 27: the dual (c-transform) bound -----------------------------------------------------------
def _potential(xa, wa, xb, wb):
    """Optimal source potential of (a, b) from POT's ot.emd on the cost built in this file."""
    import ot

    _, log = ot.emd(wa / wa.sum(), wb / wb.sum(), _cyl_cost(xa, xb), log=True)
    return log["u"]


def _dual_pairs():
    pairs = list(PAIRS)
    rng = np.random.default_rng(9)
    t = np.linspace(-1.0, 1.0, 7)
    pairs.append((np.column_stack([t, np.full(7, 0.4)]), rng.exponential(size=7),           # collinear in y
                  np.column_stack([0.5 * t + 0.2, np.full(7, 0.4)]), rng.exponential(size=7)))
    pairs.append((np.column_stack([np.zeros(5), np.linspace(2.9, 3.1, 5)]), np.ones(5),      # collinear across +-pi
                  np.column_stack([np.zeros(4), np.pi - np.mod(np.pi - np.linspace(3.0, 3.3, 4), 2 * np.pi)]),
                  np.ones(4)))
    pairs.append((np.array([[0.1, -np.pi + 1e-9]]), np.ones(1), np.array([[0.1, np.pi - 1e-9]]), np.ones(1)))
    return pairs


DUAL_PAIRS = _dual_pairs()


@pytest.mark.parametrize("k", range(len(DUAL_PAIRS)))
def test_dual_bound_is_below_exact_w2_for_any_potential(k):
    xa, wa, xb, wb = DUAL_PAIRS[k]
    ex = _exact(xa, wa, xb, wb)
    data = _pack([(xa, wa), (xb, wb)])
    sp = eventot.single_pair(data, 0, 1)
    rng = np.random.default_rng(k)
    xo, wo, _, _ = DUAL_PAIRS[(k + 7) % len(DUAL_PAIRS)]
    own = _potential(xa, wa, xb, wb)
    pots = {"own": own, "own shifted by 1e4": own + 1e4,
            "unrelated pair": _potential(xa, wa, xo, wo), "random": 3.0 * rng.normal(size=len(xa)),
            "zero": np.zeros(len(xa))}
    for name, f in pots.items():
        b = knn.dual_bound(xa, wa, f, xb, wb)
        assert b <= ex and b <= sp, (name, b, ex, sp)
    # the optimal potential of the pair itself is tight (strong duality), shifted or not
    for name in ("own", "own shifted by 1e4"):
        assert knn.dual_bound(xa, wa, pots[name], xb, wb) >= ex * (1 - 1e-8) - 1e-8, name
    # the pair's duals from the search's solver: same value as single_pair, bit for bit, and tight
    v, fa, fb = eventot.single_pair_duals(data, 0, 1)
    assert v == sp
    assert ex * (1 - 1e-8) - 1e-8 <= knn.dual_bound(xa, wa, fa, xb, wb) <= ex
    assert ex * (1 - 1e-8) - 1e-8 <= knn.dual_bound(xb, wb, fb, xa, wa) <= ex


def test_batched_dual_bounds_below_exact_and_equal_to_the_pairwise_bound():
    rng = np.random.default_rng(13)
    clouds = [_cloud(rng, rng.integers(1, 12), rng.normal(), rng.uniform(-np.pi, np.pi), rng.uniform(0.05, 1.0))
              for _ in range(14)]
    clouds[5] = clouds[2]                                                       # an equal event
    data = _pack(clouds)
    s = knn.PrunedSearch(data, n_pivots=0, use_pivots=False)
    cols = np.arange(len(clouds))
    for q in range(len(clouds)):
        fs = [_potential(*clouds[q], *clouds[(q + 1) % len(clouds)]),
              _potential(*clouds[q], *clouds[(q + 3) % len(clouds)]) - 50.0]
        b = s.dual_bounds(q, cols, fs)
        ex = np.array([_exact(*clouds[q], *clouds[j]) for j in cols])
        assert np.all(b <= ex), (q, b - ex)
        one = [max(knn.dual_bound(*clouds[q][:1], clouds[q][1] / clouds[q][1].sum(), f, *clouds[j]) for f in fs)
               for j in cols]
        assert b == pytest.approx(one, rel=1e-12, abs=1e-12)
        assert b[(q + 1) % len(clouds)] >= ex[(q + 1) % len(clouds)] * (1 - 1e-8) - 1e-8   # its own pair: tight


def test_dual_bound_saves_exact_solves_and_keeps_the_brute_force_result():
    data, y = _synthetic(30, seed=4, dup=True)
    d = eventot.single_matrix(data, cache_dir=None)
    splits = classify.folds(y, seed=3)
    grid = (1, 2, 3, 4)
    ref = knn.knn_auc_brute(d, y, splits, grid)
    res = {}
    for use_dual in (False, True):
        res[use_dual] = r = knn.knn_auc_pruned(data, y, splits, grid, use_dual=use_dual)
        assert r["aucs"] == ref["aucs"] and r["k"] == ref["k"]
        assert all(list(a[k]) == list(b[k]) for a, b in zip(ref["neighbours"], r["neighbours"]) for k in a)
    assert res[True]["stats"]["dual_bounds"] > 0
    assert res[True]["stats"]["solved"] < 0.9 * res[False]["stats"]["solved"]


def test_dual_bound_of_a_non_finite_potential_is_zero():
    xa, wa, xb, wb = DUAL_PAIRS[0]
    for bad in (np.nan, np.inf, -np.inf):
        f = np.zeros(len(xa))
        f[0] = bad
        assert knn.dual_bound(xa, wa, f, xb, wb) == 0.0
