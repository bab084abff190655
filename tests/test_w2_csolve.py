"""The compiled exact-OT kernels (l1ot.ot.csolve) against POT, and every pruning bound of min-W2
checked to be a lower bound of the exact W2^2 (POT) on random, degenerate and adversarial clouds."""
from __future__ import annotations

import numpy as np
import ot
import pytest
from hypothesis import given, settings, strategies as st

from l1ot.ot import csolve, spaces, w2
from fixtures import toy_events

pytestmark = pytest.mark.skipif(not csolve.lib(), reason="no C compiler: the compiled kernels are not built")


# ------------------------------------------------------------------ independent references (POT)
def pot_w2sq_weighted(x, a, y, b):
    """W2^2 by POT's network simplex on the points of positive mass; b rescaled to sum(a)."""
    ka, kb = a > 0, b > 0
    if not ka.any() or not kb.any():
        return 0.0
    x, a, y, b = x[ka], a[ka].astype(np.float64), y[kb], b[kb].astype(np.float64)
    b = b * (a.sum() / b.sum())
    c = ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)
    return float(ot.emd2(a, b, c, numItermax=1_000_000))


def pot_w2sq_uniform(x, y):
    c = ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)
    u = np.full(x.shape[0], 1.0 / x.shape[0])
    return float(ot.emd2(u, u, c))


def pot_1d(x, a, y, b):
    """1D W2^2 by POT's LP (not a quantile merge)."""
    return pot_w2sq_weighted(x[:, None], a, y[:, None], b)


def cloud(rng, n, d=2, kind="random"):
    """A (19, d) cloud with masses (19,) summing to 1 and n points of positive mass."""
    x = np.zeros((19, d))
    m = np.zeros(19)
    slots = rng.choice(19, n, replace=False)
    if kind == "random":
        x[slots] = rng.normal(0, 2, (n, d))
        m[slots] = rng.exponential(1.0, n)
    elif kind == "equal":          # equal weights: degenerate transportation problems
        x[slots] = rng.normal(0, 2, (n, d))
        m[slots] = 1.0
    elif kind == "lattice":        # integer points, dyadic masses: many exactly tied costs
        x[slots] = rng.integers(-2, 3, (n, d))
        m[slots] = rng.integers(1, 5, n)
    elif kind == "coincident":     # every point at one place
        x[slots] = rng.normal(0, 1, d)
        m[slots] = rng.exponential(1.0, n)
    elif kind == "extreme":        # masses over 12 decades
        x[slots] = rng.normal(0, 3, (n, d))
        m[slots] = 10.0 ** rng.uniform(-12, 0, n)
    m /= m.sum()
    return x, m


KINDS = ("random", "equal", "lattice", "coincident", "extreme")


# ------------------------------------------------------------------ the transport solver
@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(1, 19), st.integers(1, 19), st.sampled_from(KINDS),
       st.sampled_from(KINDS), st.sampled_from([2, 3]))
def test_transport_equals_pot(seed, n, m, ka, kb, d):
    rng = np.random.default_rng(seed)
    xa, ma = cloud(rng, n, d, ka)
    xb, mb = cloud(rng, m, d, kb)
    got = csolve.w2sq_weighted_matrix(xa[None], ma[None], xb[None], mb[None])[0, 0]
    ref = pot_w2sq_weighted(xa, ma, xb, mb)
    assert got == pytest.approx(ref, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_transport_every_small_size(kind):
    # every (n, m) up to 6 x 6, so the closed forms (one or two sources or sinks) and the
    # general solver are all exercised on each kind of cloud
    rng = np.random.default_rng(KINDS.index(kind))
    for n in range(1, 7):
        for m in range(1, 7):
            for _ in range(3):
                xa, ma = cloud(rng, n, 2, kind)
                xb, mb = cloud(rng, m, 2, kind)
                got = csolve.w2sq_weighted_matrix(xa[None], ma[None], xb[None], mb[None])[0, 0]
                assert got == pytest.approx(pot_w2sq_weighted(xa, ma, xb, mb), rel=1e-9, abs=1e-12), (n, m)


def test_transport_degenerate_cases():
    rng = np.random.default_rng(1)
    x, m = cloud(rng, 7, 2, "random")
    one = np.zeros((19, 2)); one[3] = (0.5, -1.0)
    w1 = np.zeros(19); w1[3] = 1.0
    # identical clouds: 0; the same cloud with its slots permuted: 0
    perm = rng.permutation(19)
    assert csolve.w2sq_weighted_matrix(x[None], m[None], x[perm][None], m[perm][None])[0, 0] == pytest.approx(0, abs=1e-15)
    # one point against a cloud: the mass-weighted mean squared distance (hand formula)
    exp = float((m * ((x - one[3]) ** 2).sum(1)).sum())
    assert csolve.w2sq_weighted_matrix(one[None], w1[None], x[None], m[None])[0, 0] == pytest.approx(exp, rel=1e-12)
    assert csolve.w2sq_weighted_matrix(x[None], m[None], one[None], w1[None])[0, 0] == pytest.approx(exp, rel=1e-12)
    # one point against one point: the squared distance
    two = np.zeros((19, 2)); two[0] = (2.0, 1.0)
    w2_ = np.zeros(19); w2_[0] = 1.0
    assert csolve.w2sq_weighted_matrix(one[None], w1[None], two[None], w2_[None])[0, 0] == pytest.approx(2.25 + 4.0, rel=1e-15)
    # an empty cloud (no mass): 0 by convention, as w2.w2_squared_weighted
    assert csolve.w2sq_weighted_matrix(one[None], np.zeros((1, 19)), x[None], m[None])[0, 0] == 0.0


def _event(objs, met=(0.0, 0.0)):
    e = np.zeros((19, 4), np.float32)
    e[0] = (met[0], 0.0, met[1], 1)
    for k, (pt, eta, phi) in enumerate(objs):
        e[9 + k] = (pt, eta, phi, 4)
    return e


def adversarial_events():
    """Events that stress the solvers and bounds: MET-only, one object, coincident and
    equal-pT objects, duplicates, an object on top of MET."""
    ev = [
        _event([], met=(50.0, 1.0)),                                  # MET only
        _event([], met=(20.0, -2.5)),                                 # MET only, elsewhere
        _event([(30.0, 0.0, 0.0)]),                                   # one object, no MET
        _event([(30.0, 1.2, -0.4)], met=(30.0, -0.4)),                # equal pT, same phi as MET
        _event([(25.0, 0.5, 0.5)] * 4),                               # four coincident equal objects
        _event([(25.0, 0.5, 0.5)] * 4, met=(100.0, 0.5)),             # ... and a heavy MET
        _event([(10.0, -1.0, -1.0), (10.0, 1.0, 1.0), (10.0, -1.0, 1.0), (10.0, 1.0, -1.0)]),
        _event([(10.0, -1.0, 1.0), (10.0, 1.0, -1.0), (10.0, -1.0, -1.0), (10.0, 1.0, 1.0)]),  # same set
        _event([(40.0, 0.0, 3.1), (1e-3, 2.4, -3.1)], met=(5.0, 0.0)),   # a tiny mass far away
        _event([(10.0 * (k + 1), 0.3 * k - 1.5, 0.6 * k - 3.0) for k in range(10)], met=(33.0, 2.0)),  # 11 points
    ]
    return np.stack(ev)


def all_events(n_toy=14, seed=3):
    return np.concatenate([adversarial_events(), toy_events(n_toy, seed=seed)])


@pytest.mark.parametrize("space", ["2d", "2d_nomet"])
def test_pairwise_weighted_equals_pot(space):
    ev = all_events()
    got = w2.pairwise_w2(ev, ev, space=space, solver="fast") ** 2
    x, m = spaces.coordinates(ev, space), spaces.masses(ev, space)
    ref = np.array([[pot_w2sq_weighted(x[i], m[i], x[j], m[j]) for j in range(len(ev))] for i in range(len(ev))])
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-12)
    sym = w2.pairwise_w2(ev, space=space, solver="fast", n_jobs=2) ** 2
    np.testing.assert_allclose(sym, np.triu(ref, 1) + np.triu(ref, 1).T, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("space", ["3d", "2d_uniform"])
def test_pairwise_uniform_equals_pot(space):
    ev = all_events()
    got = w2.pairwise_w2(ev, ev[::-1], space=space, solver="fast") ** 2
    x = spaces.coordinates(ev, space)
    y = x[::-1]
    ref = np.array([[pot_w2sq_uniform(x[i], y[j]) for j in range(len(ev))] for i in range(len(ev))])
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-9)


# ------------------------------------------------------------------ lower bounds
SPACE_WEIGHTS = [("3d", None), ("3d", (0.01, 2.0, 0.5)), ("2d", None), ("2d", (3.0, 0.25)),
                 ("2d_nomet", None), ("2d_uniform", None), ("2d_uniform", (0.5, 2.0))]


def _exact(ev, space, weights):
    x, m = spaces.coordinates(ev, space, weights), spaces.masses(ev, space)
    n = len(ev)
    if spaces.is_uniform(space):
        return np.array([[pot_w2sq_uniform(x[i], x[j]) for j in range(n)] for i in range(n)])
    return np.array([[pot_w2sq_weighted(x[i], m[i], x[j], m[j]) for j in range(n)] for i in range(n)])


@pytest.mark.parametrize("space,weights", SPACE_WEIGHTS)
def test_every_pruning_bound_is_a_lower_bound(space, weights):
    ev = all_events(n_toy=16, seed=7)
    ex = _exact(ev, space, weights)
    tol = 1e-12 + 1e-10 * ex
    x, m = spaces.coordinates(ev, space, weights), spaces.masses(ev, space)
    bounds = {}
    if spaces.is_uniform(space):
        bounds["marginal (sorted coordinates)"] = w2.marginal_lower_bound(x, x)
    z = w2.moment_embedding(x, m)
    bounds["moment"] = w2.moment_lower_bound(z, z)
    for k in (1, 3, 16, 64):
        q = w2.quantile_embedding(x, m, k)
        bounds[f"quantile {k} bins"] = w2.moment_lower_bound(q, q)
    xc, mc, cc = csolve.compact_weighted(x, m)
    for nb in (1, 2) if x.shape[2] == 2 else (1,):
        basis = csolve.bases(x.shape[2])[:nb]
        p, q = csolve.projections(xc, mc, cc, basis)
        bounds[f"marginal C, {nb} bases"] = csolve.marginal_bounds(p, q, cc, p, q, cc, nb, x.shape[2])
    for name, lb in bounds.items():
        bad = lb > ex + tol
        assert not bad.any(), f"{name} bound above W2^2 for pairs {np.argwhere(bad)[:5].tolist()}"
        assert np.all(lb >= 0)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(1, 19), st.integers(1, 19), st.sampled_from(KINDS),
       st.sampled_from(KINDS))
def test_bounds_random_clouds_and_1d_marginals_exact(seed, n, m, ka, kb):
    rng = np.random.default_rng(seed)
    xa, wa = cloud(rng, n, 2, ka)
    xb, wb = cloud(rng, m, 2, kb)
    ex = pot_w2sq_weighted(xa, wa, xb, wb)
    tol = 1e-12 + 1e-10 * ex
    for k in (1, 4, 16):
        za, zb = w2.quantile_embedding(xa[None], wa[None], k), w2.quantile_embedding(xb[None], wb[None], k)
        assert w2.moment_lower_bound(za, zb)[0, 0] <= ex + tol
    a = csolve.compact_weighted(xa[None], wa[None])
    b = csolve.compact_weighted(xb[None], wb[None])
    basis = csolve.bases(2)
    pa, qa = csolve.projections(*a, basis)
    pb, qb = csolve.projections(*b, basis)
    per_basis = [csolve.marginal_bounds(pa, qa, a[2], pb, qb, b[2], 1, 2)[0, 0]]
    # the C bound of a basis is exactly the sum of the 1D W2^2 of the projections (POT's LP in 1D)
    for B in basis:
        ref = sum(pot_1d(xa @ u, wa, xb @ u, wb) for u in B)
        pj = csolve.projections(*a, B[None])
        pk = csolve.projections(*b, B[None])
        got = csolve.marginal_bounds(*pj, a[2], *pk, b[2], 1, 2)[0, 0]
        assert got == pytest.approx(ref, rel=1e-9, abs=1e-12)
    both = csolve.marginal_bounds(pa, qa, a[2], pb, qb, b[2], 2, 2)[0, 0]
    assert both >= per_basis[0] - 1e-15 and both <= ex + tol


def test_quantile_embedding_one_bin_is_the_moment_embedding():
    ev = toy_events(20, seed=9)
    x, m = spaces.coordinates(ev, "2d"), spaces.masses(ev, "2d")
    np.testing.assert_allclose(w2.quantile_embedding(x, m, 1), w2.moment_embedding(x, m), rtol=1e-9, atol=1e-9)


# ------------------------------------------------------------------ compiled min-W2 search
@pytest.mark.parametrize("space,weights", SPACE_WEIGHTS)
def test_compiled_min_w2_equals_brute_force_pot(space, weights):
    adv = adversarial_events()
    refs = np.concatenate([toy_events(60, seed=11), adv, adv[:3]])   # duplicate references: ties
    test = np.concatenate([adv, toy_events(20, seed=12), refs[[5, 61]]])  # events equal to references
    full = w2.pairwise_w2(test, refs, space=space, weights=weights, solver="pot")
    s, idx = w2.min_w2(test, refs, space=space, weights=weights, return_index=True, batch=7)
    np.testing.assert_allclose(s, full.min(axis=1), rtol=1e-9, atol=1e-9)
    # the chosen reference attains the minimum (ties within rounding may pick another copy)
    np.testing.assert_allclose(full[np.arange(len(test)), idx], full.min(axis=1), rtol=1e-9, atol=1e-9)
    # exact duplicates: the lowest index wins
    dup = np.isin(np.arange(len(test)), np.nonzero(np.all(test[:, None] == adv[None, :3], axis=(2, 3)).any(1))[0])
    assert np.all(idx[dup] < 70)
    assert np.all(s[-2:] == 0.0)
    assert list(idx[-2:]) == [int(np.nonzero(full[i] <= 1e-12)[0][0]) for i in (-2, -1)]


def test_compiled_min_w2_equals_python_loop_and_prunes():
    test = toy_events(30, seed=13)
    refs = toy_events(200, seed=14)
    for space in ("3d", "2d", "2d_nomet", "2d_uniform"):
        st = {}
        s1, i1 = w2.min_w2(test, refs, space=space, return_index=True, stats=st)
        s0, i0 = w2.min_w2(test, refs, space=space, return_index=True, compiled=False)
        np.testing.assert_allclose(s1, s0, rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(i1, i0)
        # the bounds do their job: most references are never solved (measured 2-16 %)
        assert st["solved"] < 0.3 * len(test) * len(refs), (space, st)
