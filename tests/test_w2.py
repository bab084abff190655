"""Exact W2: the fast assignment path equals POT; metric properties; ground spaces."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays

from l1ot.ot import spaces, w2
from fixtures import toy_events
from conftest import bundled, requires_bundled

coord = st.floats(-50, 500, allow_nan=False, width=64)


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, (19, 3), elements=coord), arrays(np.float64, (19, 3), elements=coord))
def test_fast_equals_pot_random_points(x, y):
    f = w2.w2_squared_points(x, y, "fast")
    p = w2.w2_squared_points(x, y, "pot")
    assert f == pytest.approx(p, rel=1e-9, abs=1e-9)


@requires_bundled
@pytest.mark.parametrize("space", ["3d", "2d", "2d_nomet", "2d_uniform"])
def test_fast_equals_pot_bundled(space):
    from l1ot.io import data

    ev = data.load(bundled(), n=120)
    for i in range(60):
        a, b = ev[i], ev[i + 60]
        assert w2.w2(a, b, space, solver="fast") == pytest.approx(w2.w2(a, b, space, solver="pot"), rel=1e-9, abs=1e-12)


def test_symmetry_identity_triangle():
    ev = toy_events(30, seed=1)
    d = w2.pairwise_w2(ev)
    np.testing.assert_allclose(d, d.T, rtol=1e-12)
    assert np.all(np.diag(d) == 0)
    off = d + np.eye(len(d))
    assert np.all(off > 0)
    # triangle inequality (W2 is a metric)
    assert np.all(d[:, None, :] <= d[:, :, None] + d[None, :, :].transpose(0, 2, 1) + 1e-9)


def test_permutation_invariance_and_empty_slots_at_origin():
    ev = toy_events(2, seed=2)
    a = ev[0]
    shuffled = a[np.random.default_rng(0).permutation(19)]
    assert w2.w2(a, shuffled) == pytest.approx(0.0, abs=1e-12)
    empty = np.zeros((19, 4), np.float32)
    # W2 to the empty event is the RMS distance of the points to the origin
    x = spaces.coordinates(a, "3d")
    assert w2.w2(a, empty) == pytest.approx(np.sqrt((x ** 2).sum() / 19))


def test_spaces_and_weights():
    ev = toy_events(3, seed=3)
    x3 = spaces.coordinates(ev, "3d")
    x2 = spaces.coordinates(ev, "2d")
    assert x3.shape == (3, 19, 3) and x2.shape == (3, 19, 2)
    np.testing.assert_array_equal(x2, x3[..., 1:])
    xw = spaces.coordinates(ev, "3d", weights=(4.0, 1.0, 0.0))
    np.testing.assert_allclose(xw[..., 0], 2 * x3[..., 0])
    assert np.all(xw[..., 2] == 0)
    # in 2D, pT is invisible: two events differing only in pT have W2 = 0
    b = ev[0].copy()
    b[:, 0] *= 4  # a power of two: the float32 pT ratios stay exact
    assert w2.w2(ev[0], b, "2d") == pytest.approx(0.0, abs=1e-12)
    assert w2.w2(ev[0], b, "3d") > 1
    with pytest.raises(ValueError, match="unknown ground space"):
        spaces.coordinates(ev, "4d")
    with pytest.raises(ValueError, match="axis weights"):
        spaces.coordinates(ev, "3d", weights=(1, -1, 1))


@pytest.mark.parametrize("space", ["3d", "2d", "2d_nomet", "2d_uniform"])
def test_min_w2_pruning_is_exact(space):
    test = toy_events(40, seed=4)
    refs = toy_events(150, seed=5)
    full = w2.pairwise_w2(test, refs, space=space)
    for compiled in (True, False):   # the compiled search (l1ot.ot.csolve) and the Python loop
        s, idx = w2.min_w2(test, refs, space=space, return_index=True, batch=16, compiled=compiled)
        np.testing.assert_allclose(s, full.min(axis=1), rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(idx, full.argmin(axis=1))


def test_min_w2_parallel_equals_serial():
    test = toy_events(20, seed=6)
    refs = toy_events(50, seed=7)
    np.testing.assert_array_equal(w2.min_w2(test, refs, n_jobs=1, batch=5),
                                  w2.min_w2(test, refs, n_jobs=2, batch=5))


def test_marginal_bound_is_a_lower_bound():
    a = spaces.coordinates(toy_events(30, seed=8))
    b = spaces.coordinates(toy_events(30, seed=9))
    lb = w2.marginal_lower_bound(a, b)
    ex = np.array([[w2.w2_squared_points(a[i], b[j]) for j in range(30)] for i in range(30)])
    assert np.all(lb <= ex + 1e-9)


# ------------------------------------------------------------ paper 1's 2D space: pT weights
def _event(objs, met=(0.0, 0.0)):
    """(19, 4) event from [(pT, eta, phi), ...] in jet slots 9.. and MET (pT, phi) in slot 0."""
    e = np.zeros((19, 4), np.float32)
    e[0] = (met[0], 0.0, met[1], 1)
    for k, (pt, eta, phi) in enumerate(objs):
        e[9 + k] = (pt, eta, phi, 4)
    return e


def test_2d_masses_are_normalised_pt():
    ev = toy_events(50, seed=11)
    m = spaces.masses(ev, "2d")
    np.testing.assert_allclose(m.sum(1), 1.0, rtol=1e-12)
    assert np.all(m[ev[..., 0] == 0] == 0)  # empty slots carry no mass
    np.testing.assert_allclose(m, ev[..., 0] / ev[..., 0].sum(1, keepdims=True), rtol=1e-6)
    mn = spaces.masses(ev, "2d_nomet")
    assert np.all(mn[:, 0] == 0)
    np.testing.assert_allclose(mn.sum(1), 1.0, rtol=1e-12)
    assert np.all(spaces.masses(ev, "3d") == 1 / 19) and np.all(spaces.masses(ev, "2d_uniform") == 1 / 19)
    assert spaces.is_uniform("3d") and not spaces.is_uniform("2d")


def test_2d_w2_hand_computed():
    # 30 GeV at (0, 0) and 10 GeV at (1, 0) against 40 GeV at (0, 0): a quarter of the
    # mass moves by 1 in eta, so W2^2 = 0.25 (MET 0 carries no mass)
    a = _event([(30.0, 0.0, 0.0), (10.0, 1.0, 0.0)])
    b = _event([(40.0, 0.0, 0.0)])
    assert w2.w2(a, b, "2d") ** 2 == pytest.approx(0.25, rel=1e-12)
    # MET enters "2d" at (eta 0, phi) with its pT share, not "2d_nomet"
    am = _event([(30.0, 0.0, 0.0)], met=(30.0, 2.0))
    bm = _event([(30.0, 0.0, 0.0)], met=(30.0, 0.0))
    assert w2.w2(am, bm, "2d") ** 2 == pytest.approx(0.5 * 4.0, rel=1e-12)
    assert w2.w2(am, bm, "2d_nomet") == pytest.approx(0.0, abs=1e-12)


def test_2d_is_blind_to_multiplicity_and_total_pt():
    # splitting an object into two collinear halves and scaling all pT: same 2D
    # distribution (paper 1 §4: total pT "entirely absent"); the 1/19-slot variant sees both
    a = _event([(40.0, 0.5, 1.0), (20.0, -1.0, -2.0)], met=(10.0, 0.3))
    b = _event([(20.0, 0.5, 1.0), (20.0, 0.5, 1.0), (20.0, -1.0, -2.0)], met=(10.0, 0.3))
    c = a.copy()
    c[:, 0] *= 4
    assert w2.w2(a, b, "2d") == pytest.approx(0.0, abs=1e-7)
    assert w2.w2(a, c, "2d") == pytest.approx(0.0, abs=1e-7)
    assert w2.w2(a, b, "2d_uniform") > 0.1
    assert w2.w2(a, c, "3d") > 1


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000))
def test_weighted_fast_equals_pot_and_moment_bound(seed):
    ev = toy_events(6, seed=seed)
    x = spaces.coordinates(ev, "2d")
    m = spaces.masses(ev, "2d")
    z = w2.moment_embedding(x, m)
    lb = w2.moment_lower_bound(z, z)
    for i in range(3):
        for j in range(3, 6):
            f = w2.w2_squared_weighted(x[i], m[i], x[j], m[j], "fast")
            p = w2.w2_squared_weighted(x[i], m[i], x[j], m[j], "pot")
            assert f == pytest.approx(p, rel=1e-9, abs=1e-12)
            assert lb[i, j] <= f + 1e-12


def test_2d_pairwise_matrix_is_a_metric():
    ev = toy_events(25, seed=12)
    d = w2.pairwise_w2(ev, space="2d")
    np.testing.assert_allclose(d, d.T, rtol=1e-12)
    assert np.all(np.diag(d) == 0)
    assert np.all(d[:, None, :] <= d[:, :, None] + d[None, :, :].transpose(0, 2, 1) + 1e-9)
