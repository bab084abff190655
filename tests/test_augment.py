"""Anomaly augmentations (paper 1 §2.1): invariants on SYNTHETIC fixtures (not physics)."""
from __future__ import annotations

import numpy as np
import pytest

from l1ot.paper1 import augment as aug
from l1ot.io.data import validate
from l1ot.errors import DataError


def selected_events(n: int, seed: int = 0) -> np.ndarray:
    """Synthetic events (N, 19, 4) that pass the L1 selection -- a test fixture, not physics.

    One lepton above 23 GeV, a few more objects above their thresholds; the
    occupancy varies so that some events are full (no free slot) and some
    have nothing splittable.
    """
    rng = np.random.default_rng(seed)
    p = np.zeros((n, 19, 4), dtype=np.float32)
    for i in range(n):
        p[i, 0] = (rng.exponential(30.0), 0.0, rng.uniform(-np.pi, np.pi), 1)
        lead_block = 1 if rng.random() < 0.5 else 5
        for name, a, b, cls, thr, eta_max in aug.SPECIES:
            cap = b - a
            m = int(rng.integers(0, cap + 1)) if rng.random() < 0.9 else cap
            if a == lead_block:
                m = max(m, 1)
            pts = thr + 0.5 + rng.exponential(10.0, m)
            if a == lead_block:
                pts[0] = 23.5 + rng.exponential(5.0)
            pts = np.sort(pts)[::-1]
            for j in range(m):
                p[i, a + j] = (pts[j], rng.uniform(-eta_max + 0.01, eta_max - 0.01),
                               rng.uniform(-np.pi, np.pi), cls)
    assert aug.passes_selection(p).all()
    return p


def _mult(p):
    return (p[:, 1:, 3] != 0).sum(axis=1)


@pytest.fixture(scope="module")
def events():
    return selected_events(3000, seed=7)


@pytest.fixture(scope="module")
def augmented(events):
    return aug.augment(events, seed=3)


def test_outputs_valid_and_selected(events, augmented):
    out, info = augmented
    assert out.shape == events.shape and out.dtype == np.float32
    good, rep = validate(out, on_bad_event="skip")
    assert rep.ok, rep.summary()
    assert aug.passes_selection(out).all()
    assert not np.array_equal(out, events)


def test_kind_1_increases_multiplicity_and_updates_met(events, augmented):
    out, info = augmented
    m = info["kind"] == 1
    assert m.sum() > 500
    assert np.all(_mult(out[m]) > _mult(events[m]))
    # MET = -(vector sum of visible pT): the MET vector moves by minus the added momenta
    for i in np.nonzero(m)[0][:200]:
        def vec(ev):
            occ = ev[1:, 3] != 0
            pt, phi = ev[1:, 0][occ].astype(float), ev[1:, 2][occ].astype(float)
            return np.array([np.sum(pt * np.cos(phi)), np.sum(pt * np.sin(phi))])
        met = lambda ev: np.array([ev[0, 0] * np.cos(ev[0, 2]), ev[0, 0] * np.sin(ev[0, 2])], dtype=float)
        added = vec(out[i]) - vec(events[i])
        np.testing.assert_allclose(met(out[i]), met(events[i]) - added, atol=2e-3 * (1 + np.abs(added).max()))


def test_kind_1_new_objects_within_ranges(events, augmented):
    out, info = augmented
    for i in np.nonzero(info["kind"] == 1)[0][:300]:
        pt_max = events[i, 1:, 0].max()
        for _, a, b, cls, thr, eta_max in aug.SPECIES:
            old = set(map(tuple, np.round(events[i, a:b][events[i, a:b, 3] != 0, :3], 4)))
            for row in out[i, a:b][out[i, a:b, 3] != 0]:
                if tuple(np.round(row[:3], 4)) in old:
                    continue
                assert thr < row[0] <= thr + pt_max * (1 + 1e-6)
                assert abs(row[1]) < eta_max and abs(row[2]) <= np.pi + 1e-6


def test_kind_2_conserves_total_pt_and_met(events, augmented):
    out, info = augmented
    m = info["kind"] == 2
    assert m.sum() > 500
    assert np.all(_mult(out[m]) == _mult(events[m]) + 1)
    np.testing.assert_allclose(out[m, 1:, 0].sum(1), events[m, 1:, 0].sum(1), rtol=1e-5)
    np.testing.assert_array_equal(out[m, 0], events[m, 0])
    # per species: total pT of each block conserved too (split stays in its species)
    for _, a, b, *_ in aug.SPECIES:
        np.testing.assert_allclose(out[m, a:b, 0].sum(1), events[m, a:b, 0].sum(1), rtol=1e-5, atol=1e-3)


def test_kind_3_factor_ranges(events, augmented):
    out, info = augmented
    m = info["kind"] == 3
    assert m.sum() > 500
    fm, fp, mode = info["met_factor"][m], info["pt_factor"][m], info["shift_mode"][m]
    assert set(np.unique(mode)) == {0, 1, 2}
    assert np.all((fm >= 0.5) & (fm < 5)) and np.all((fp >= 1) & (fp < 5))
    assert np.all(fm[mode == 1] == 1) and np.all(fp[mode == 0] == 1)
    np.testing.assert_allclose(out[m, 0, 0], events[m, 0, 0] * fm, rtol=1e-5)
    np.testing.assert_allclose(out[m, 1:, 0], events[m, 1:, 0] * fp[:, None], rtol=1e-5)
    # each sub-mode roughly a third
    for k in range(3):
        assert 0.25 < np.mean(mode == k) < 0.42


def test_realized_fractions(augmented):
    _, info = augmented
    p2 = info["split_possible"].mean()
    fr = info["fractions"]
    assert abs(sum(fr.values()) - 1) < 1e-12
    # design: (2) gets 1/3 of splittable events, (1)/(3) share the rest equally
    exp2 = p2 / 3
    assert abs(fr["split"] - exp2) < 0.03
    assert abs(fr["multiplicity"] - fr["shift"]) < 0.05
    assert 0.0 < 1 - p2 < 0.6  # the fixture has both kinds of events


def test_seeded(events):
    a, _ = aug.augment(events[:200], seed=11)
    b, _ = aug.augment(events[:200], seed=11)
    c, _ = aug.augment(events[:200], seed=12)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_split_respects_selection_edge():
    """A lone 30 GeV lepton can only split with its larger piece above 23 GeV."""
    ev = np.zeros((19, 4), dtype=np.float32)
    ev[0] = (10, 0, 0.5, 1)
    ev[5] = (30.0, 0.3, 1.0, 3)
    rng = np.random.default_rng(0)
    for _ in range(200):
        out = aug.split_object(ev, rng)
        assert aug.passes_selection(out[None])[0]
        assert out[5, 0] > 23 and out[6, 0] > 3
        assert abs(out[5, 0] + out[6, 0] - 30.0) < 1e-9
    ev[5, 0] = 25.0  # 25 - 23 < 3: cannot split without losing the selection
    assert not aug.can_split(ev)


def test_full_event_gets_shift():
    ev = selected_events(50, seed=1)
    full = ev.copy()
    for _, a, b, cls, thr, _ in aug.SPECIES:
        full[:, a:b] = (thr + 30.0, 0.1, 0.2, cls)
    out, info = aug.augment(full, seed=0)
    assert np.all(info["kind"] != 1)  # no free slot anywhere
    assert np.all(info["kind"] == 3)  # splitting needs a free slot too


def test_rejects_unselected_input():
    ev = selected_events(5, seed=2)
    ev[3, 1:9] = 0  # no lepton: fails the selection
    with pytest.raises(DataError, match="event 3"):
        aug.augment(ev)
