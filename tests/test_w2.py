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
@pytest.mark.parametrize("space", ["3d", "2d"])
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
    b[:, 0] *= 3
    assert w2.w2(ev[0], b, "2d") == pytest.approx(0.0, abs=1e-12)
    assert w2.w2(ev[0], b, "3d") > 1
    with pytest.raises(ValueError, match="unknown ground space"):
        spaces.coordinates(ev, "4d")
    with pytest.raises(ValueError, match="axis weights"):
        spaces.coordinates(ev, "3d", weights=(1, -1, 1))


@pytest.mark.parametrize("space", ["3d", "2d"])
def test_min_w2_pruning_is_exact(space):
    test = toy_events(40, seed=4)
    refs = toy_events(150, seed=5)
    full = w2.pairwise_w2(test, refs, space=space)
    s, idx = w2.min_w2(test, refs, space=space, return_index=True, batch=16)
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
