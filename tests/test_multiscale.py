"""Multi-scale optimal transport (paper 2, l1ot.multiscale): hand-computable cases, the toy JSON
recomputed with POT, the bundled samples (simulated, not CMS), and the Dask engine against serial."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from l1ot.multiscale import classify, eventot, generate, jetot, representation, samples, toy
from l1ot.multiscale.representation import Event

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MSDATA = os.path.join(REPO, "data", "multiscale")


def _event(axes, jet_pt, emb=None):
    """An Event whose jets are single points at their axes (offsets 0)."""
    axes = np.asarray(axes, float)
    n = len(axes)
    return Event(np.asarray(jet_pt, float), axes, [np.zeros((1, 2))] * n, [np.ones(1)] * n,
                 [np.array([p]) for p in jet_pt])


def _pair(ev_a, ev_b, emb_a, emb_b, scan):
    data = eventot.pack([ev_a, ev_b], np.concatenate([emb_a, emb_b]))
    _, out = eventot.multiscale_rows(data, np.array([0]), scan)
    return out[0, 1]  # (S, 3) squared distances


# -- eq. 5 and the event level, by hand ----------------------------------------------------------
def test_beta_zero_one_jet_is_alpha_times_squared_axis_distance():
    # axes (0.3, 3.0) and (-0.1, -3.0): dy = 0.4, dphi wraps to 2 pi - 6 = 0.28318...
    a = _event([[0.3, 3.0]], [100.0])
    b = _event([[-0.1, -3.0]], [80.0])
    ea, eb = np.array([[0.5, 0.1]]), np.array([[-0.2, 0.7]])  # jet shapes must not matter at beta = 0
    d2 = _pair(a, b, ea, eb, [(0.7, 0.0), (1.0, 0.0)])
    hand = 0.4 ** 2 + (2 * np.pi - 6.0) ** 2
    for w in range(3):
        assert d2[0, w] == pytest.approx(0.7 * hand, rel=1e-12)
        assert d2[1, w] == pytest.approx(hand, rel=1e-12)


def test_single_point_jets_reduce_to_w2_between_the_points():
    # two jets each, uniform weights: the better matching is (0,0)-(0,2), (1,0)-(1.5,2.5)
    a = _event([[0.0, 0.0], [1.0, 0.0]], [50.0, 50.0])
    b = _event([[0.0, 2.0], [1.5, 2.5]], [50.0, 50.0])
    e = np.zeros((2, 4))  # single points: centred jets identical, W2(J~, J~') = 0
    d2 = _pair(a, b, e, e, [(1.0, 0.0), (1.0, 1.0)])
    straight = (4.0 + (0.25 + 6.25)) / 2  # 5.25
    crossed = ((2.25 + 6.25) + (1.0 + 4.0)) / 2  # 6.75
    assert min(straight, crossed) == 5.25
    for s in range(2):
        assert d2[s, 0] == pytest.approx(5.25)  # pT weights are equal here
        assert d2[s, 1] == pytest.approx(5.25)
    # and the single-scale W2 of the same points agrees
    pts = eventot.pack_points([a, b])
    _, single = eventot.single_rows(pts, np.array([0]))
    assert single[0, 1] == pytest.approx(5.25)


def test_pt_weighting_moves_mass_by_hand():
    # event a: jets of pT 75 and 25 at x = 0 and x = 1; event b: one jet at x = 0 (all weight)
    a = _event([[0.0, 0.0], [1.0, 0.0]], [75.0, 25.0])
    b = _event([[0.0, 0.0]], [40.0])
    d2 = _pair(a, b, np.zeros((2, 2)), np.zeros((1, 2)), [(1.0, 0.0)])
    assert d2[0, 0] == pytest.approx(0.25)  # pT: 1/4 of the mass moves a distance 1
    assert d2[0, 1] == pytest.approx(0.5)   # uniform: 1/2 moves a distance 1
    assert d2[0, 2] == pytest.approx(0.0)   # jet 1: hardest jets coincide


def test_jet1_distance_is_eq7_by_hand():
    a = _event([[0.5, 0.0], [-1.0, 2.0], [0.2, -2.5]], [300.0, 120.0, 60.0])
    b = _event([[-0.5, 0.3], [1.5, 1.0]], [250.0, 200.0])
    ea = np.array([[0.0, 0.0, 0.0], [9.0, 9.0, 9.0], [5.0, 0.0, 1.0]])
    eb = np.array([[0.1, 0.0, 0.0], [0.0, 0.0, 0.0]])
    d2 = _pair(a, b, ea, eb, [(0.5, 0.5), (0.2, 0.8)])
    axis2 = 1.0 ** 2 + 0.3 ** 2  # 1.09
    lin2 = 0.1 ** 2  # 0.01
    assert d2[0, 2] == pytest.approx(0.5 * 1.09 + 0.5 * 0.01)
    assert d2[1, 2] == pytest.approx(0.2 * axis2 + 0.8 * lin2)
    # the softer jets do matter for the other weightings
    assert d2[0, 0] > d2[0, 2] and d2[0, 1] > d2[0, 2]


def test_jet_weights():
    pt = [60.0, 30.0, 10.0]
    assert eventot.jet_weights(pt, "pt").tolist() == [0.6, 0.3, 0.1]
    assert eventot.jet_weights(pt, "uniform").tolist() == pytest.approx([1 / 3] * 3)
    assert eventot.jet_weights(pt, "jet1").tolist() == [1.0, 0.0, 0.0]
    with pytest.raises(ValueError):
        eventot.jet_weights(pt, "mass")


# -- jets --------------------------------------------------------------------------------------
def _rot(x, t):
    c, s = np.cos(t), np.sin(t)
    return x @ np.array([[c, -s], [s, c]]).T


@pytest.mark.parametrize("theta", [0.3, 1.9, -2.6, np.pi])
def test_rotated_jet_has_w2_zero_to_its_copy_after_alignment(theta):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(25, 2)) * [0.3, 0.08]
    x[0] = [0.5, 0.2]  # break the symmetry of the moments
    w = rng.uniform(1, 10, 25)
    w /= w.sum()
    xr = _rot(x, theta)
    assert jetot.w2sq(x, w, xr, w) > 1e-3  # the rotation does move the jet
    assert jetot.w2sq(representation.align(x, w), w, representation.align(xr, w), w) == pytest.approx(0, abs=1e-20)


def test_alignment_puts_the_principal_axis_on_y_and_more_pt_up():
    x = np.array([[0.0, 0.0], [0.2, 0.2], [-0.2, -0.2], [0.1, -0.05]])
    w = np.array([4.0, 1.0, 1.0, 2.0])
    out = representation.align(x, w)
    m = (out * w[:, None]).T @ out
    assert abs(m[0, 1]) < 1e-12 and m[0, 0] > m[1, 1]  # principal axis along y
    assert w[out[:, 1] > 0].sum() >= w[out[:, 1] < 0].sum()
    assert w[out[:, 0] > 0].sum() >= w[out[:, 0] < 0].sum()


def test_exact_and_linw2_agree_in_1d():
    # jets on the line phi = 0 with uniform weights (4 points), reference of 8 equal points on the line:
    # the plans are monotone maps, so LinW2 is exact; by hand W2^2 = mean (sorted a - sorted b)^2
    a = np.array([[-0.3, 0], [0.0, 0], [0.1, 0], [0.4, 0]])
    b = np.array([[-0.1, 0], [0.05, 0], [0.3, 0], [0.5, 0]])
    w = np.full(4, 0.25)
    hand = np.mean((np.array([-0.3, 0.0, 0.1, 0.4]) - np.array([-0.1, 0.05, 0.3, 0.5])) ** 2)
    ref = (np.column_stack([np.linspace(-0.5, 0.5, 8), np.zeros(8)]), np.full(8, 1 / 8))
    ea, eb = jetot.embed([(a, w), (b, w)], ref=ref)
    assert jetot.w2sq(a, w, b, w) == pytest.approx(hand, rel=1e-12)
    assert jetot.linw2sq(ea, eb) == pytest.approx(hand, rel=1e-12)


def test_linw2_is_not_exact_in_general():
    """The 1D agreement above is not automatic: in 2D, with plans that split mass, LinW2 differs from W2."""
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(30, 2)) * 0.2, rng.normal(size=(20, 2)) * [0.3, 0.05]
    wa, wb = np.full(30, 1 / 30), np.full(20, 1 / 20)
    ea, eb = jetot.embed([(a, wa), (b, wb)], radius=0.8)
    ex, lin = jetot.w2sq(a, wa, b, wb), jetot.linw2sq(ea, eb)
    assert lin != pytest.approx(ex, rel=1e-3)


def test_thrust_by_hand():
    assert representation.thrust([10.0, 10.0], [0.3, 0.3 + np.pi]) == pytest.approx(1.0)
    assert representation.tau_thrust([10.0, 10.0], [0.3, 0.3 + np.pi]) == pytest.approx(0.0, abs=1e-12)
    # three equal vectors at 120 degrees: n along one of them gives 1 + 1/2 + 1/2 = 2 of 3
    assert representation.thrust([1.0, 1.0, 1.0], [0.0, 2 * np.pi / 3, 4 * np.pi / 3]) == pytest.approx(2 / 3)
    phi = np.linspace(0, 2 * np.pi, 720, endpoint=False)
    assert representation.tau_thrust(np.ones(720), phi) == pytest.approx(1.0, abs=1e-4)


def test_preprocess_boost_and_phi_translation():
    # two back-to-back particles at y = 1.2 +- 0.5: the z boost removes the common 1.2
    p = np.array([[100.0, 1.7, 2.0], [100.0, 0.7, 2.0 - np.pi], [5.0, 1.75, 2.05]])
    ev = representation.preprocess(p, 0.4, rotate=False)
    assert ev.n_jets == 2
    assert ev.axes[0, 1] == pytest.approx(0.0, abs=1e-9)  # hardest jet at phi = 0
    assert abs(ev.axes[1, 1]) == pytest.approx(np.pi, abs=5e-3)  # the 5 GeV particle pulls jet 1 by 2.4e-3
    x, w = ev.points()
    assert np.sum(w * np.sinh(x[:, 0])) == pytest.approx(0.0, abs=1e-9)  # pz = 0 in the CM frame
    assert w.sum() == pytest.approx(1.0)


# -- classification ------------------------------------------------------------------------------
def test_knn_auc_separable_and_random():
    rng = np.random.default_rng(0)
    y = np.repeat([1, 0], 60)
    x = np.where(y[:, None] == 1, 0.0, 10.0) + rng.normal(size=(120, 2))
    d = np.linalg.norm(x[:, None] - x[None], axis=-1)
    sp = classify.folds(y)
    assert classify.knn_auc(d, y, sp, k_grid=(5, 10))["auc"] == 1.0
    r = rng.random((120, 120))
    r = r + r.T
    np.fill_diagonal(r, 0)
    assert abs(classify.knn_auc(r, y, sp, k_grid=(10,))["auc"] - 0.5) < 0.2
    for tr, va, te in sp:
        assert not (set(tr) & set(va)) and not (set(tr) & set(te)) and not (set(va) & set(te))


# -- toy ----------------------------------------------------------------------------------------
def test_toy_json_reproduced_with_pot(tmp_path):
    """Every distance of the toy report recomputed from its points and weights with POT alone."""
    import ot

    from l1ot.cli import main

    out = tmp_path / "toy.json"
    assert main(["multiscale", "toy", "-o", str(out), "--figure", str(tmp_path / "toy")]) == 0
    assert (tmp_path / "toy.png").stat().st_size > 0 and (tmp_path / "toy.pdf").stat().st_size > 0
    rep = json.loads(out.read_text())
    e1, e2 = ([(np.array(j["points"]), np.array(j["weights"])) for j in ev] for ev in rep["events"])
    assert [len(x) for x, _ in e1] == [30, 40, 50] and [len(x) for x, _ in e2] == [50, 30, 40]
    assert all(np.isclose(w.sum(), 1 / 3) for _, w in e1 + e2)
    c1 = [np.average(x, axis=0, weights=w) for x, w in e1]
    c2 = [np.average(x, axis=0, weights=w) for x, w in e2]
    w2 = np.array([[ot.emd2(wa / wa.sum(), wb / wb.sum(), ot.dist(xa - ca, xb - cb))
                    for (xb, wb), cb in zip(e2, c2)] for (xa, wa), ca in zip(e1, c1)])
    ax = np.array([[np.sum((ca - cb) ** 2) for cb in c2] for ca in c1])
    assert len(rep["multiscale"]) == 5
    for p in rep["multiscale"]:
        cost = p["alpha"] * ax + p["beta"] * w2
        d = np.sqrt(ot.emd2(np.full(3, 1 / 3), np.full(3, 1 / 3), cost))
        assert p["distance"] == pytest.approx(d, rel=1e-9)
        assert np.sum(np.array(p["plan"]) * cost) == pytest.approx(d * d, rel=1e-9)
    xa = np.concatenate([x for x, _ in e1])
    xb = np.concatenate([x for x, _ in e2])
    pa = np.concatenate([w for _, w in e1])
    pb = np.concatenate([w for _, w in e2])
    assert rep["single_scale"]["distance"] == pytest.approx(np.sqrt(ot.emd2(pa, pb, ot.dist(xa, xb))), rel=1e-9)
    # the plans change with (alpha, beta): location matching at (1, 0), shape matching at (0, 1)
    assert rep["multiscale"][0]["matching"] != rep["multiscale"][-1]["matching"]


# -- bundled samples (simulated, not CMS) ----------------------------------------------------------
@pytest.mark.parametrize("process", ["qcd", "ttbar", "stop"])
def test_bundled_sample_is_labelled_and_passes_the_selection(process):
    path = samples.path_of(process, MSDATA)
    a = samples.attrs(path)
    assert "not CMS" in a["statement"] and a["simulated"]
    for k in ("generator", "pythia_settings", "selection", "base_seed", "config_hash", "generation_stats"):
        assert k in a
    assert a["process"] == process
    ev = samples.read(path, n=15)
    for e in ev:
        assert set(np.unique(e[:, 3]).astype(int)) == {0, 1, 2, 3}
        jets = representation.cluster(e[:, 0], e[:, 1], e[:, 2], generate.R_BENCH)
        assert len(jets) >= 4
        pts = sorted((j[0] for j in jets), reverse=True)
        assert pts[1] > generate.PT12 and pts[3] > generate.PT34
        assert np.all(e[:, 0] > generate.PARTICLE_PT)


# -- engine ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_task():
    events, y = [], []
    for proc, lab in (("ttbar", 1), ("qcd", 0)):
        ev = samples.read(samples.path_of(proc, MSDATA), n=6)
        events += ev
        y += [lab] * len(ev)
    pre = [representation.preprocess(e, 0.8) for e in events]
    return pre, np.array(y)


def test_dask_local_cluster_equals_serial(small_task):
    from distributed import Client, LocalCluster

    from l1ot.engine import Engine
    from l1ot.multiscale import pipeline

    pre, _ = small_task
    data = pipeline.multiscale_data(pre, 0.8)
    pts = eventot.pack_points(pre)
    serial = eventot.matrices(data, engine=None, cache_dir=None, n_tasks=3)
    serial1 = eventot.single_matrix(pts, engine=None, cache_dir=None, n_tasks=3)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=":0") as cl, Client(cl):
        with Engine(scheduler=cl.scheduler_address, progress=False) as eng:
            dist = eventot.matrices(data, engine=eng, cache_dir=None, n_tasks=3)
            dist1 = eventot.single_matrix(pts, engine=eng, cache_dir=None, n_tasks=3)
    assert np.array_equal(serial, dist) and np.array_equal(serial1, dist1)
    n = len(pre)
    assert serial.shape == (len(eventot.SCAN), 3, n, n)
    assert np.allclose(serial, np.swapaxes(serial, 2, 3)) and np.all(np.diagonal(serial, axis1=2, axis2=3) == 0)
    assert np.all(serial[:, :, ~np.eye(n, dtype=bool)] > 0)


def test_matrix_cache_hits(small_task, tmp_path):
    from l1ot.multiscale import pipeline

    pre, _ = small_task
    data = pipeline.multiscale_data(pre[:5], 0.8)
    h = eventot.STATS["hits"]
    a = eventot.matrices(data, cache_dir=str(tmp_path))
    b = eventot.matrices(data, cache_dir=str(tmp_path))
    assert eventot.STATS["hits"] == h + 1 and np.array_equal(a, b)
    data["axes"] = data["axes"] + 0.01  # other inputs, other key
    eventot.matrices(data, cache_dir=str(tmp_path))
    assert eventot.STATS["hits"] == h + 1


# -- generation ---------------------------------------------------------------------------------
def test_generation_is_reproducible_by_seed_and_resumes_from_cache(tmp_path, monkeypatch):
    ev1, st1 = generate.produce("stop", 2, seed=5, chunk=2, cache_dir=str(tmp_path))
    assert len(ev1) == 2 and st1[0]["n_accepted"] == 2
    ev2, _ = generate.run_chunk("stop", generate.chunk_seed(5, "stop", 0), 2)
    assert all(np.array_equal(a, b) for a, b in zip(ev1, ev2))
    for e in ev1:
        assert set(np.unique(e[:, 3]).astype(int)) == {0, 1, 2, 3}

    def boom(*a, **k):
        raise AssertionError("the cached chunk must be read, not regenerated")
    monkeypatch.setattr(generate, "run_chunk", boom)
    ev3, _ = generate.produce("stop", 2, seed=5, chunk=2, cache_dir=str(tmp_path))
    assert all(np.array_equal(a, b) for a, b in zip(ev1, ev3))
    assert generate.chunk_seed(5, "stop", 0) != generate.chunk_seed(5, "stop", 1) != generate.chunk_seed(6, "stop", 1)


def test_fast_network_simplex_equals_ot_emd2(small_task):
    """The direct call of POT's C++ solver in the matrix workers gives ot.emd2's numbers."""
    import ot

    pre, _ = small_task
    pts = eventot.pack_points(pre[:4])
    _, fast = eventot.single_rows(pts, np.arange(4))
    off, x, w = pts["off"], pts["x"], pts["w"]
    for i in range(4):
        for j in range(i + 1, 4):
            c = eventot.axis_cost(x[off[i]:off[i + 1]], x[off[j]:off[j + 1]])
            assert fast[i, j] == pytest.approx(ot.emd2(w[off[i]:off[i + 1]], w[off[j]:off[j + 1]], c), rel=1e-10)
