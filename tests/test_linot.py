"""LinW2: sorted transport equals POT's exact plan for pT-axis references;
k-medoids training; scoring; the model file."""
from __future__ import annotations

import h5py
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays

from l1ot import errors
from l1ot.ot import linot, spaces
from fixtures import toy_events
from conftest import bundled, requires_bundled


def _events_from_arrays(pt, eta, phi, occ):
    ev = np.zeros((1, 19, 4))
    cls = np.array([1] + [2] * 4 + [3] * 4 + [4] * 10)
    occ = occ.copy()
    occ[0] = True
    ev[0, occ, 0] = pt[occ]
    ev[0, occ, 1] = eta[occ]
    ev[0, occ, 2] = phi[occ]
    ev[0, occ, 3] = cls[occ]
    return ev


def _assert_sorted_is_optimal(ev, ref):
    x = spaces.coordinates(ev, "3d")
    p_sort = linot.sort_permutation(x[..., 0])
    p_exact = linot.exact_permutation(x, ref)
    c_sort = linot.transport_cost(ev, p_sort, ref)
    c_exact = linot.transport_cost(ev, p_exact, ref)
    np.testing.assert_allclose(c_sort, c_exact, rtol=1e-9, atol=1e-9)
    # the embeddings coincide wherever pT values are distinct; where pT ties, any order
    # is optimal, and tied points share the same pT coordinate in T_E
    t_sort = np.take_along_axis(x, p_sort[..., None], axis=1)
    t_exact = np.take_along_axis(x, p_exact[..., None], axis=1)
    np.testing.assert_allclose(t_sort[..., 0], t_exact[..., 0], atol=1e-9)
    # "distinct" must mean resolvable by the solver: cost differences below float64
    # resolution (e.g. subnormal pT next to 0) leave the exact plan free to swap them
    for n in range(x.shape[0]):
        pts = np.sort(x[n, :, 0])
        if np.min(np.diff(pts)) > 1e-6 * max(1.0, pts[-1]):
            np.testing.assert_array_equal(t_sort[n], t_exact[n])


pt_el = st.floats(0, 1000, allow_nan=False)


@settings(max_examples=150, deadline=None)
@given(arrays(np.float64, 19, elements=pt_el), arrays(np.float64, 19, elements=st.floats(-4, 4)),
       arrays(np.float64, 19, elements=st.floats(-3.14, 3.14)), arrays(bool, 19),
       arrays(np.float64, 19, elements=st.floats(0.01, 300)))
def test_sorted_equals_exact_random(pt, eta, phi, occ, gaps):
    ev = _events_from_arrays(pt, eta, phi, occ)
    ref = np.zeros((19, 3))
    ref[:, 0] = np.cumsum(gaps[::-1])[::-1]  # strictly decreasing, any values
    _assert_sorted_is_optimal(ev, ref)


@requires_bundled
def test_sorted_equals_exact_bundled():
    from l1ot.io import data

    ev = data.load(bundled(), n=400)
    ref = linot.pt_axis_reference(ev)
    assert np.all(np.diff(ref[:, 0]) < 0) and np.all(ref[:, 1:] == 0)
    _assert_sorted_is_optimal(ev, ref)


def test_reference_strictly_decreasing_even_with_empty_ranks():
    ev = toy_events(200, seed=1, fill=0.1)
    for tr in ("sorted", "species"):
        ref = linot.pt_axis_reference(ev, tr)
        blocks = [(0, 19)] if tr == "sorted" else [(0, 1), (1, 5), (5, 9), (9, 19)]
        for a, b in blocks:
            assert np.all(np.diff(ref[a:b, 0]) <= -linot.REF_GAP + 1e-12)


def test_species_sorts_within_blocks():
    ev = toy_events(50, seed=2)
    t = linot.embed(ev, "species")
    for a, b in ((1, 5), (5, 9), (9, 19)):
        assert np.all(np.diff(t[:, a:b, 0], axis=1) <= 0)
        # same multiset per block as the input
        np.testing.assert_array_equal(np.sort(t[:, a:b, 0], 1), np.sort(ev[:, a:b, 0].astype(float), 1))


def test_ties_go_to_lower_slot():
    ev = np.zeros((1, 19, 4))
    ev[0, 0] = (50, 0, 0.1, 1)
    ev[0, 1] = (50, 1.0, 0.2, 2)
    ev[0, 9] = (50, -1.0, 0.3, 4)
    perm = linot.sort_permutation(ev[..., 0])
    assert perm[0, :3].tolist() == [0, 1, 9]


def test_linw2_is_euclidean_in_embedding():
    ev = toy_events(20, seed=3)
    t = linot.embed(ev)
    d = linot.linw2(t, t)
    i, j = 3, 11
    assert d[i, j] == pytest.approx(np.sqrt(((t[i] - t[j]) ** 2).sum() / 19))
    assert np.all(np.diag(d) < 1e-6)


def test_train_deterministic_and_medoids_are_real_events(tmp_path):
    ev = toy_events(600, seed=4)
    m1 = linot.train(ev, k=8, seed=3)
    m2 = linot.train(ev, k=8, seed=3)
    np.testing.assert_array_equal(m1.medoid_train_index, m2.medoid_train_index)
    np.testing.assert_array_equal(m1.medoid_events, ev[m1.medoid_train_index])
    # a medoid event scores 0 with its own index
    s, idx = m1.score(ev[m1.medoid_train_index], return_index=True)
    assert np.all(s < 1e-4)  # float cancellation in |a|^2 - 2ab + |b|^2 only
    np.testing.assert_array_equal(idx, np.arange(8))
    # score equals brute force over medoids
    test = toy_events(100, seed=5)
    s, idx = m1.score(test, return_index=True)
    t = linot.embed(test)
    brute = np.sqrt(((t[:, None] - m1.medoid_embeddings[None]) ** 2).sum((2, 3)) / 19)
    np.testing.assert_allclose(s, brute.min(1), rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(idx, brute.argmin(1))
    # k-medoids beats a random choice of k events on the training cost
    d = linot.linw2(linot.embed(ev), m1.medoid_embeddings).min(1).sum()
    rnd = linot.linw2(linot.embed(ev), linot.embed(ev[:8])).min(1).sum()
    assert d < rnd


def test_model_file_roundtrip_and_errors(tmp_path):
    ev = toy_events(200, seed=6)
    m = linot.train(ev, k=4, transport="species", weights=(1.0, 2.0, 2.0), provenance={"input_file": "x.h5"})
    p = tmp_path / "m.h5"
    m.save(p)
    m2 = linot.LinModel.load(p)
    assert m2.transport == "species" and m2.k == 4 and m2.meta["input_file"] == "x.h5"
    np.testing.assert_array_equal(m2.axis_weights, [1, 2, 2])
    np.testing.assert_allclose(m2.score(ev), m.score(ev))
    with pytest.raises(errors.ModelError, match="not found"):
        linot.LinModel.load(tmp_path / "none.h5")
    with h5py.File(p, "a") as f:
        del f["medoid_embeddings"]
    with pytest.raises(errors.ModelError, match="medoid_embeddings"):
        linot.LinModel.load(p)


def test_exact_transport_with_barycenter_reference():
    ev = toy_events(150, seed=7)
    m = linot.train(ev[:100], k=4, transport="exact")
    assert m.reference.shape == (19, 3)
    assert np.any(m.reference[:, 1:] != 0)  # off the pT axis
    s = m.score(ev[100:])
    assert np.all(np.isfinite(s)) and np.all(s >= 0)


@pytest.mark.parametrize("transport", ["sorted", "species", "exact"])
def test_score_equals_brute_force_for_every_transport_and_axis_weights(transport):
    """LinModel.score (chunked, axis-major BLAS path) = brute force on LinModel.embed."""
    ev = toy_events(300, seed=8)
    m = linot.train(ev, k=6, transport=transport, weights=(1.0, 0.5, 2.0), seed=1)
    test = toy_events(250, seed=9)
    s, idx = m.score(test, return_index=True, chunk=64)  # several chunks, a short last one
    t = m.embed(test)
    brute = np.sqrt(((t[:, None] - m.medoid_embeddings[None]) ** 2).sum((2, 3)) / 19)
    np.testing.assert_allclose(s, brute.min(1), rtol=1e-9, atol=1e-6)
    np.testing.assert_array_equal(idx, brute.argmin(1))
