"""Multi-scale OT (paper 2) against references written apart from the code.

References: the definition of the azimuth interval, isometry and moment-tensor invariants of the
jet alignment for jets of every size, thrust by enumerating every sign pattern (exact), the
sunflower reference against a uniform area density, jet W2 / LinW2 by brute-force assignment
(SciPy, not POT), event OT by a linear program (SciPy ``linprog``, not POT), symmetry of the
preprocessing under a global azimuth rotation across +-pi and a longitudinal boost, and fold
hygiene of the kNN with a recording distance matrix and with data where a leak changes the answer.
Points and events are SYNTHETIC test fixtures (not physics) unless a bundled sample is named.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment, linprog

from l1ot.multiscale import classify, eventot, jetot, representation
from l1ot.multiscale.representation import Event

finite = st.floats(-50, 50, allow_nan=False, allow_infinity=False)


# ------------------------------------------------------------------------------ azimuth
@settings(max_examples=300, deadline=None)
@given(phi=finite)
def test_wrap_lands_in_half_open_interval_by_a_whole_number_of_turns(phi):
    w = float(representation.wrap(phi))
    assert -np.pi < w <= np.pi
    turns = (phi - w) / (2 * np.pi)
    assert abs(turns - round(turns)) < 1e-9
    assert w == pytest.approx(np.arctan2(np.sin(phi), np.cos(phi)), abs=1e-9) or abs(w - np.pi) < 1e-9


def test_wrap_edges():
    np.testing.assert_array_equal(representation.wrap(np.array([np.pi, -np.pi, 3 * np.pi, 0.0])),
                                  [np.pi, np.pi, np.pi, 0.0])
    assert representation.wrap(2 * np.pi - 0.1) == pytest.approx(-0.1)
    assert representation.wrap(-2 * np.pi + 0.1) == pytest.approx(0.1)


def cyl2(a, b):
    """Squared distance on the (y, phi) cylinder, azimuth difference by atan2."""
    dp = np.arctan2(np.sin(a[1] - b[1]), np.cos(a[1] - b[1]))
    return (a[0] - b[0]) ** 2 + dp ** 2


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.floats(-3, 3), st.floats(-np.pi, np.pi)), min_size=1, max_size=4),
       st.lists(st.tuples(st.floats(-3, 3), st.floats(-np.pi, np.pi)), min_size=1, max_size=4))
def test_axis_cost_is_the_cylinder_distance(a, b):
    c = eventot.axis_cost(np.array(a), np.array(b))
    ref = np.array([[cyl2(p, q) for q in b] for p in a])
    np.testing.assert_allclose(c, ref, rtol=1e-9, atol=1e-9)


# ------------------------------------------------------------------------------ jet alignment
def jets(min_size=1, max_size=12):
    n = st.integers(min_size, max_size)
    return n.flatmap(lambda k: st.tuples(
        st.lists(st.tuples(st.floats(-0.8, 0.8), st.floats(-0.8, 0.8)), min_size=k, max_size=k),
        st.lists(st.floats(0.5, 100.0), min_size=k, max_size=k)))


@settings(max_examples=300, deadline=None)
@given(jets())
def test_alignment_invariants_for_jets_of_any_size(jet):
    x, w = np.array(jet[0], float), np.array(jet[1], float)
    out = representation.align(x, w)
    assert out.shape == x.shape
    # an isometry fixing the axis: norms and pairwise distances kept
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), np.linalg.norm(x, axis=1), atol=1e-9)
    np.testing.assert_allclose(np.linalg.norm(out[:, None] - out[None], axis=-1),
                               np.linalg.norm(x[:, None] - x[None], axis=-1), atol=1e-9)
    if len(x) < 2:
        return
    m = (out * w[:, None]).T @ out
    scale = max(np.trace(m), 1e-12)
    assert abs(m[0, 1]) <= 1e-9 * scale                     # principal axes on the coordinate axes
    assert m[0, 0] >= m[1, 1] - 1e-9 * scale                 # the major one on y (first coordinate)
    assert w[out[:, 1] > 0].sum() >= w[out[:, 1] < 0].sum() - 1e-9   # more pT at phi > 0
    assert w[out[:, 0] > 0].sum() >= w[out[:, 0] < 0].sum() - 1e-9   # more pT at y > 0


@pytest.mark.parametrize("n", [2, 3, 5, 17])
@pytest.mark.parametrize("theta", [0.4, 2.2, -1.3, np.pi])
def test_aligned_jet_forgets_its_orientation(n, theta):
    """Any rotation and mirror image of a jet aligns to the same points (generic jets, 2+ constituents)."""
    rng = np.random.default_rng(n)
    x = rng.normal(size=(n, 2)) * [0.3, 0.1]
    w = rng.uniform(1, 10, n)
    c, s = np.cos(theta), np.sin(theta)
    xr = x @ np.array([[c, -s], [s, c]]).T
    ref = representation.align(x, w)
    for y in (xr, xr * [1, -1], xr * [-1, 1]):
        np.testing.assert_allclose(representation.align(y, w), ref, atol=1e-9)


@pytest.mark.parametrize("theta", [0.0, 0.9, 2.5, -np.pi / 2, np.pi])
def test_two_constituent_jet_lies_on_y_with_the_harder_one_up(theta):
    # offsets from the pT centroid (the jet axis): w1 x1 + w2 x2 = 0, so the pair is collinear with 0
    w = np.array([3.0, 1.0])
    p = 0.1 * np.array([np.cos(theta), np.sin(theta)])
    out = representation.align(np.array([p, -3.0 * p]), w)
    np.testing.assert_allclose(out, [[0.1, 0.0], [-0.3, 0.0]], atol=1e-12)
    one = representation.align(np.array([[0.0, 0.0]]), np.array([5.0]))
    np.testing.assert_array_equal(one, [[0.0, 0.0]])


def test_alignment_is_pt_weighted():
    # unweighted, the long axis is along phi (0.5 apart); weighted, the two hard points along y dominate
    x = np.array([[0.3, 0.0], [-0.3, 0.0], [0.0, 0.5], [0.0, -0.5]])
    w = np.array([50.0, 50.0, 1.0, 1.0])
    out = representation.align(x, w)
    np.testing.assert_allclose(sorted(np.abs(out[:2, 0])), [0.3, 0.3], atol=1e-12)
    np.testing.assert_allclose(out[:2, 1], 0, atol=1e-12)


# ------------------------------------------------------------------------------ thrust
def brute_thrust(pt, phi):
    """max over sign patterns of |sum s_i p_i| / sum pT (= max over axes of sum |p_i . n| / sum pT)."""
    v = np.column_stack([pt * np.cos(phi), pt * np.sin(phi)])
    best = 0.0
    for signs in itertools.product((1.0, -1.0), repeat=len(pt)):
        best = max(best, float(np.hypot(*(np.array(signs) @ v))))
    return best / np.sum(pt)


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 9).flatmap(lambda k: st.tuples(
    st.lists(st.floats(0.1, 100.0), min_size=k, max_size=k),
    st.lists(st.sampled_from([np.pi, -np.pi, 0.0, np.pi / 2]) | st.floats(-np.pi, np.pi), min_size=k, max_size=k))))
def test_thrust_equals_exact_sign_enumeration(ev):
    pt, phi = np.array(ev[0]), np.array(ev[1])
    t = representation.thrust(pt, phi)
    assert t == pytest.approx(brute_thrust(pt, phi), rel=1e-7, abs=1e-9)
    assert representation.tau_thrust(pt, phi) == pytest.approx((1 - t) * np.pi / (np.pi - 2), rel=1e-12, abs=1e-12)


def test_thrust_by_hand_cases():
    # two perpendicular equal vectors: n at 45 degrees gives sqrt(2)/2
    assert representation.thrust([1.0, 1.0], [0.0, np.pi / 2]) == pytest.approx(np.sqrt(2) / 2)
    # a 3:1 pair at 90 degrees: |(3, 1)| / 4
    assert representation.thrust([3.0, 1.0], [0.0, np.pi / 2]) == pytest.approx(np.sqrt(10) / 4)
    # a single particle, and a back-to-back pair across the +-pi seam
    assert representation.thrust([7.0], [np.pi]) == pytest.approx(1.0)
    assert representation.thrust([5.0, 5.0], [np.pi - 0.01, -0.01]) == pytest.approx(1.0)


# ------------------------------------------------------------------------------ LinW2 reference jet
@pytest.mark.parametrize("k", [16, 64, 200])
@pytest.mark.parametrize("radius", [0.4, 1.2])
def test_reference_jet_has_uniform_area_density(k, radius):
    r, m = jetot.reference(radius, k)
    assert r.shape == (k, 2) and np.allclose(m, 1 / k) and m.sum() == pytest.approx(1.0)
    rho = np.hypot(r[:, 0], r[:, 1])
    assert rho.max() <= radius
    for f in (0.25, 0.5, 0.75, 0.9):   # uniform on the disc: a fraction f^2 inside radius f R
        assert abs(np.mean(rho < f * radius) - f * f) <= 1.0 / k + 1e-12
    assert np.mean(rho ** 2) == pytest.approx(radius ** 2 / 2, rel=1e-12)   # second moment of the disc
    # isotropic and centred (golden-angle steps): moment tensor close to (R^2 / 4) I
    mt = (r * m[:, None]).T @ r
    np.testing.assert_allclose(mt, np.eye(2) * radius ** 2 / 4, atol=0.1 * radius ** 2 / 4)
    assert np.hypot(*r.mean(axis=0)) < 0.1 * radius
    # points spread over the whole disc: no two coincide
    d = np.linalg.norm(r[:, None] - r[None], axis=-1) + np.eye(k)
    assert d.min() > 0.3 * radius / np.sqrt(k)


# ------------------------------------------------------------------------------ jet OT
def brute_w2sq_uniform(a, b):
    """W2^2 of two equal-size uniform point sets: best permutation (SciPy assignment)."""
    c = ((a[:, None] - b[None]) ** 2).sum(-1)
    i, j = linear_sum_assignment(c)
    return c[i, j].mean()


def lp_w2sq(wa, wb, c):
    """Transport LP solved by SciPy (HiGHS): min <P, C> s.t. P 1 = wa, P^T 1 = wb, P >= 0."""
    na, nb = c.shape
    a_eq = np.zeros((na + nb, na * nb))
    for i in range(na):
        a_eq[i, i * nb:(i + 1) * nb] = 1
    for j in range(nb):
        a_eq[na + j, j::nb] = 1
    res = linprog(c.ravel(), A_eq=a_eq, b_eq=np.r_[wa, wb], bounds=(0, None), method="highs")
    assert res.status == 0
    return res.fun


@pytest.mark.parametrize("seed", range(4))
def test_jet_w2_against_assignment_and_lp(seed):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(6, 2)) * 0.3, rng.normal(size=(6, 2)) * 0.2
    u = np.full(6, 1 / 6)
    assert jetot.w2sq(a, u, b, u) == pytest.approx(brute_w2sq_uniform(a, b), rel=1e-9)
    wa, wb = rng.uniform(1, 5, 6), rng.uniform(1, 5, 4)
    c = ((a[:, None] - b[None, :4]) ** 2).sum(-1)
    assert jetot.w2sq(a, wa, b[:4], wb) == pytest.approx(lp_w2sq(wa / wa.sum(), wb / wb.sum(), c), rel=1e-7)
    assert jetot.w2sq(a, wa, a, wa) == pytest.approx(0.0, abs=1e-15)


@pytest.mark.parametrize("seed", range(3))
def test_linw2_equals_assignment_maps_when_plans_are_permutations(seed):
    """k reference points and k equal-weight constituents: the plan is a permutation sigma, so the
    embedding is sqrt(1/k) x_sigma and LinW2^2 = 1/k sum |x_sigma(k) - x'_sigma'(k)|^2."""
    rng = np.random.default_rng(seed)
    k = 12
    ref = jetot.reference(0.8, k)
    a, b = rng.normal(size=(k, 2)) * 0.25, rng.normal(size=(k, 2)) * 0.15
    u = np.full(k, 1 / k)
    ea, eb = jetot.embed([(a, u), (b, u)], ref=ref)

    def mapped(x):
        i, j = linear_sum_assignment(((ref[0][:, None] - x[None]) ** 2).sum(-1))
        return x[j[np.argsort(i)]]
    np.testing.assert_allclose(ea.reshape(k, 2), mapped(a) / np.sqrt(k), atol=1e-12)
    ta, tb = mapped(a), mapped(b)
    assert jetot.linw2sq(ea, eb) == pytest.approx(np.mean(((ta - tb) ** 2).sum(-1)), rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(jets(1, 15))
def test_embedding_keeps_the_jet_centroid(jet):
    """The barycentric projection of an optimal plan moves the reference's mass onto the jet's: the
    m-weighted mean of T(r_k) is the jet's w-weighted centroid, whatever the jet's size."""
    x, w = np.array(jet[0], float), np.array(jet[1], float)
    ref = jetot.reference(0.8, 16)
    e = jetot.embed([(x, w / w.sum())], ref=ref)[0].reshape(16, 2)
    t = e / np.sqrt(ref[1])[:, None]
    np.testing.assert_allclose(ref[1] @ t, (w / w.sum()) @ x, atol=1e-9)


# ------------------------------------------------------------------------------ event OT
def _ev(axes, pt):
    axes = np.asarray(axes, float)
    return Event(np.asarray(pt, float), axes, [np.zeros((1, 2))] * len(axes), [np.ones(1)] * len(axes),
                 [np.array([p]) for p in pt])


def random_events(n, rng, dim=6):
    evs, embs = [], []
    for _ in range(n):
        j = int(rng.integers(1, 5))
        axes = np.column_stack([rng.uniform(-2, 2, j), rng.uniform(-np.pi, np.pi, j)])
        evs.append(_ev(axes, np.sort(rng.uniform(20, 300, j))[::-1]))
        embs.append(rng.normal(size=(j, dim)) * 0.2)
    return evs, embs


def ref_event_d2(ea, eb, ma, mb, alpha, beta, weighting):
    """Event W2^2 from the definitions: eq. 5 cost by hand, OT by the SciPy LP, eq. 7 for jet1."""
    c = np.array([[alpha * cyl2(p, q) + beta * np.sum((u - v) ** 2) for q, v in zip(eb.axes, mb)]
                  for p, u in zip(ea.axes, ma)])
    if weighting == "jet1":
        return c[0, 0]
    wa = ea.jet_pt / ea.jet_pt.sum() if weighting == "pt" else np.full(ea.n_jets, 1 / ea.n_jets)
    wb = eb.jet_pt / eb.jet_pt.sum() if weighting == "pt" else np.full(eb.n_jets, 1 / eb.n_jets)
    return lp_w2sq(wa, wb, c)


def test_event_distances_against_a_linear_program():
    rng = np.random.default_rng(11)
    evs, embs = random_events(5, rng)
    scan = [(1.0, 0.0), (0.3, 0.7), (0.0, 1.0)]
    data = eventot.pack(evs, np.concatenate(embs))
    for n_tasks in (1, 2, 5, 9):
        mats = eventot.matrices(data, scan, n_tasks=n_tasks, cache_dir=None)
        assert mats.shape == (3, 3, 5, 5)
        for i in range(5):
            for j in range(5):
                for s, (al, be) in enumerate(scan):
                    for w, name in enumerate(eventot.WEIGHTINGS):
                        ref = 0.0 if i == j else ref_event_d2(evs[i], evs[j], embs[i], embs[j], al, be, name)
                        assert mats[s, w, i, j] == pytest.approx(np.sqrt(max(ref, 0)), rel=1e-6, abs=1e-9), \
                            (n_tasks, i, j, s, name)


def test_single_scale_distance_against_a_linear_program():
    rng = np.random.default_rng(3)
    evs = []
    for _ in range(4):
        j = int(rng.integers(1, 4))
        axes = np.column_stack([rng.uniform(-1, 1, j), rng.uniform(-np.pi, np.pi, j)])
        off = [rng.normal(size=(int(rng.integers(1, 4)), 2)) * 0.3 for _ in range(j)]
        pts = [rng.uniform(1, 20, len(o)) for o in off]
        evs.append(Event(np.array([p.sum() for p in pts]), axes, off, [p / p.sum() for p in pts], pts))
    mat = eventot.single_matrix(eventot.pack_points(evs), n_tasks=3, cache_dir=None)
    for i in range(4):
        for j in range(i + 1, 4):
            xa = np.concatenate([evs[i].axes[k] + evs[i].offsets[k] for k in range(evs[i].n_jets)])
            xb = np.concatenate([evs[j].axes[k] + evs[j].offsets[k] for k in range(evs[j].n_jets)])
            pa, pb = np.concatenate(evs[i].pt), np.concatenate(evs[j].pt)
            c = np.array([[cyl2(p, q) for q in xb] for p in xa])
            ref = np.sqrt(lp_w2sq(pa / pa.sum(), pb / pb.sum(), c))
            assert mat[i, j] == pytest.approx(ref, rel=1e-6) and mat[j, i] == mat[i, j]


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 60), t=st.integers(1, 80))
def test_row_sets_cover_every_row_once(n, t):
    sets = eventot._row_sets(n, t)
    rows = np.concatenate(sets)
    assert sorted(rows.tolist()) == list(range(n))
    assert 1 <= len(sets) <= min(n, t)


@pytest.mark.parametrize("r", [np.inf, 10.0, 1.0, 0.1, 0.0])
def test_alpha_beta_of_ratio(r):
    a, b = eventot.ab_of_ratio(r)
    assert a + b == pytest.approx(1.0) and a >= 0 and b >= 0
    if np.isinf(r):
        assert (a, b) == (1.0, 0.0)
    else:
        assert a == pytest.approx(r * b)


def test_jet_weights_definitions():
    pt = np.array([40.0, 250.0, 10.0])   # hardest not first: "jet1" is the hardest, by pT
    np.testing.assert_allclose(eventot.jet_weights(pt, "pt"), pt / 300)
    np.testing.assert_allclose(eventot.jet_weights(pt, "jet1"), [0, 1, 0])
    np.testing.assert_allclose(eventot.jet_weights(pt, "uniform"), [1 / 3] * 3)


# ------------------------------------------------------------------------------ preprocessing symmetry
def _toy_event(rng, phi_jet=np.pi - 0.05, y0=0.7):
    """Two hard sprays (one straddling phi = +-pi) and soft particles, columns pT, y, phi."""
    rows = []
    for (yc, pc, pt) in ((y0, phi_jet, 200.0), (y0 - 1.0, phi_jet - np.pi + 0.2, 150.0)):
        for _ in range(8):
            rows.append((pt / 8 * rng.uniform(0.5, 1.5), yc + rng.normal(0, 0.1), pc + rng.normal(0, 0.1)))
    for _ in range(5):
        rows.append((rng.uniform(1, 3), rng.uniform(-2, 2), rng.uniform(-np.pi, np.pi)))
    p = np.array(rows)
    p[:, 2] = representation.wrap(p[:, 2])
    return p


def _same_event(a, b):
    assert a.n_jets == b.n_jets
    np.testing.assert_allclose(a.jet_pt, b.jet_pt, rtol=1e-9)
    np.testing.assert_allclose(a.axes, b.axes, atol=1e-7)
    for u, v in zip(a.offsets, b.offsets):
        np.testing.assert_allclose(u, v, atol=1e-7)


@pytest.mark.parametrize("rotate", [False, True])
@pytest.mark.parametrize("dphi", [0.1, np.pi, -2.0])
def test_preprocess_forgets_a_global_rotation_and_boost(rotate, dphi):
    rng = np.random.default_rng(5)
    p = _toy_event(rng)
    ref = representation.preprocess(p, 0.4, rotate=rotate)
    assert ref.axes[0, 1] == pytest.approx(0.0, abs=1e-12)
    # jets of the straddling spray are tight: offsets are small, not ~2 pi
    assert max(np.abs(o).max() for o in ref.offsets) < 0.8
    q = p.copy()
    q[:, 2] = representation.wrap(q[:, 2] + dphi)   # rotation across the seam
    q[:, 1] += 1.3                                    # longitudinal boost of massless particles
    _same_event(representation.preprocess(q, 0.4, rotate=rotate), ref)


# ------------------------------------------------------------------------------ fold hygiene
class Recording(np.ndarray):
    """A distance matrix that records the (rows, columns) of every ``d[np.ix_(rows, cols)]``."""

    def __getitem__(self, key):
        if isinstance(key, tuple) and len(key) == 2 and all(isinstance(k, np.ndarray) for k in key):
            self.log.append((set(np.ravel(key[0]).tolist()), set(np.ravel(key[1]).tolist())))
        return np.asarray(super().__getitem__(key))


def _noise_matrix(n, rng):
    d = rng.random((n, n)) + 1.0
    d = d + d.T
    np.fill_diagonal(d, 0.0)
    return d


def test_classify_folds_partition_and_keep_test_apart():
    y = np.repeat([0, 1], [37, 23])
    sp = classify.folds(y, seed=3)
    tests = np.concatenate([te for _, _, te in sp])
    assert sorted(tests.tolist()) == list(range(len(y)))            # every event tested exactly once
    vals = np.concatenate([va for _, va, _ in sp])
    assert sorted(vals.tolist()) == list(range(len(y)))             # and validates exactly once
    for tr, va, te in sp:
        assert not (set(tr) & set(va) or set(tr) & set(te) or set(va) & set(te))
        assert len(tr) + len(va) + len(te) == len(y)
        assert abs(y[te].mean() - y.mean()) < 0.1                   # stratified


def test_knn_auc_test_fold_never_chooses_k():
    """Every matrix block the kNN reads is recorded: training columns are the training fold, k is
    scored on validation rows, and only the last block of a fold reads the test rows."""
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 30)
    d = _noise_matrix(60, rng).view(Recording)
    d.log = []
    sp = classify.folds(y, seed=1)
    grid = (3, 5, 7)
    res = classify.knn_auc(d, y, sp, k_grid=grid)
    log = d.log
    per_fold = 2 * (len(grid) + 1)
    assert len(log) == per_fold * len(sp), "knn_auc must read its blocks from the matrix it is given"
    for f, (tr, va, te) in enumerate(sp):
        blocks = log[f * per_fold:(f + 1) * per_fold]
        fits, evals = blocks[0::2], blocks[1::2]
        assert all(r == set(tr) and c == set(tr) for r, c in fits)
        assert all(r == set(va) and c == set(tr) for r, c in evals[:-1])
        assert evals[-1] == (set(te), set(tr))
    assert len(res["aucs"]) == len(sp)


def _leak_sensitive(n_per_class, rng):
    """Labels and distances where a leak changes the answer. Signal events sit slightly closer to each
    other, so a large k wins honestly; and d(i, i) = 0 makes k = 1 perfect on any event that is also
    a training event, so a validation fold that entered training picks k = 1."""
    y = np.repeat([0, 1], n_per_class)
    d = _noise_matrix(2 * n_per_class, rng)
    s = y == 1
    d[np.ix_(s, s)] -= 0.35
    np.fill_diagonal(d, 0.0)
    return d, y


def test_knn_auc_validation_never_trains():
    d, y = _leak_sensitive(60, np.random.default_rng(2))
    res = classify.knn_auc(d, y, classify.folds(y, seed=0), k_grid=(1, 25))
    assert res["k"] == [25] * 5
    assert res["val_auc"] < 0.999 and res["auc"] > 0.8


def test_observable_direction_is_chosen_on_validation_only():
    """An observable whose direction is reversed on exactly the test events: choosing the sign on the
    test fold would report AUC 1; the honest answer is 0."""
    y = np.repeat([0, 1], 25)
    sp = classify.folds(y, seed=4)
    for f, (tr, va, te) in enumerate(sp):
        x = np.where(y == 1, 1.0, 0.0) + 0.01 * np.arange(50) / 50
        x[te] = -x[te]
        r = classify.observable_auc(x, y, [(tr, va, te)])
        assert r["auc"] == pytest.approx(0.0, abs=1e-12), f


def test_multiscale_best_point_is_chosen_on_validation():
    """pipeline.run reports, per weighting, the scan point with the best validation AUC (not test)."""
    import os

    from l1ot.multiscale import pipeline

    folder = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "multiscale")
    res = pipeline.run("ttbar", 0.8, 15, folder=folder, cache_dir=None, single=False, log=None)
    for w in eventot.WEIGHTINGS:
        rows = res["scan"][w]
        best = res["methods"][f"multiscale_{w}"]
        assert best["val_auc"] == max(r["val_auc"] for r in rows)
        i = [r["val_auc"] for r in rows].index(best["val_auc"])
        assert best["auc"] == rows[i]["auc"] and (best["alpha"], best["beta"]) == (rows[i]["alpha"], rows[i]["beta"])


def test_knn_auc_numbers_recomputed_with_an_independent_knn():
    """Per fold: the validation AUC of every k from a sort-and-count kNN, k = the first best, the test
    AUC at that k; the result's mean, population std, k list and mean validation AUC follow."""
    from sklearn.metrics import roc_auc_score

    d, y = _leak_sensitive(25, np.random.default_rng(8))
    d = d + 0.3 * np.random.default_rng(9).random(d.shape)   # weaker signal: k matters
    d = (d + d.T) / 2
    np.fill_diagonal(d, 0.0)
    sp = classify.folds(y, seed=2)
    grid = (1, 3, 9, 15)
    res = classify.knn_auc(d, y, sp, k_grid=grid)

    def auc_at(tr, ev, k):
        s = [y[tr][np.argsort(d[i, tr])[:k]].mean() for i in ev]
        return roc_auc_score(y[ev], s)
    aucs, ks, vals = [], [], []
    for tr, va, te in sp:
        v = [auc_at(tr, va, k) for k in grid]
        k = grid[int(np.argmax(v))]
        ks.append(k)
        vals.append(max(v))
        aucs.append(auc_at(tr, te, k))
    assert res["k"] == ks
    np.testing.assert_allclose(res["aucs"], aucs, atol=1e-12)
    assert res["auc"] == pytest.approx(np.mean(aucs), abs=1e-12)
    assert res["std"] == pytest.approx(np.std(aucs), abs=1e-12)
    assert res["val_auc"] == pytest.approx(np.mean(vals), abs=1e-12)
    assert len(set(ks)) > 1 or len(set(np.round(aucs, 6))) > 1
