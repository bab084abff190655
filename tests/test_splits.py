"""Splits keep every parton-level group (``parton_event``) on one side; files without the
dataset (the real ADC2021 files, samples from the earlier generator) fall back to one group
per event."""
from __future__ import annotations

import os

import h5py
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from l1ot.errors import DataError
from l1ot.io import data, splits
from l1ot.io.splits import Splits, group_overlap

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BKG = os.path.join(REPO, "data", "background_for_training.h5")


def contiguous_groups(sizes):
    return np.repeat(np.arange(len(sizes), dtype=np.int64) * 7 + 3, sizes)


@settings(max_examples=200, deadline=None)
@given(sizes=st.lists(st.integers(1, 12), min_size=30, max_size=120),
       n_sets=st.integers(1, 3), n_per_set=st.integers(1, 20), n_calib=st.integers(0, 30))
def test_no_group_on_two_sides_and_test_block_exact(sizes, n_sets, n_per_set, n_calib):
    g = contiguous_groups(sizes)
    s = Splits(n_sets=n_sets, n_per_set=n_per_set, n_calib=n_calib)
    try:
        r = s.background(len(g), "f.h5", groups=g)
    except DataError:
        return
    assert group_overlap(g, r) == 0
    assert r["test"] == (len(g) - s.n_test, len(g))
    assert r["calib"][1] - r["calib"][0] == n_calib
    assert 0 < r["train"][1] <= r["calib"][0] <= r["calib"][1] <= r["test"][0]
    # with contiguous groups only the straddling group is left out at each boundary
    assert r["calib"][0] - r["train"][1] < max(sizes) and r["test"][0] - r["calib"][1] < max(sizes)


def test_event_level_split_leaks_and_group_split_does_not():
    # a group of 5 straddles the calib/test boundary of the per-event split
    g = contiguous_groups([1] * 40 + [5] + [1] * 8)
    s = Splits(n_sets=1, n_per_set=10, n_calib=5)
    naive = s.background(len(g))
    assert group_overlap(g, naive) == 1
    r = s.background(len(g), groups=g)
    assert group_overlap(g, r) == 0 and r["calib"] == (35, 40)


def test_scattered_groups_are_still_kept_apart_or_refused():
    rng = np.random.default_rng(0)
    g = rng.integers(0, 400, 1000)              # groups not contiguous
    s = Splits(n_sets=1, n_per_set=100, n_calib=100)
    with pytest.raises(DataError, match="parton_event"):
        s.background(len(g), "x.h5", groups=g)
    g = np.sort(rng.integers(0, 400, 1000))[::-1].copy()
    r = s.background(len(g), "x.h5", groups=g)
    assert group_overlap(g, r) == 0


def test_fallback_one_group_per_event_without_parton_event(tmp_path, capsys):
    """The bundled background with its group ids removed, as in the real ADC2021 files."""
    src = str(tmp_path / "no_groups.h5")
    with h5py.File(BKG, "r") as fi, h5py.File(src, "w") as fo:
        for name in fi:
            if name not in ("parton_event", "pthat"):
                fi.copy(name, fo)
        fo.attrs.update(fi.attrs)
    groups, stored = data.load_groups(src)
    n = data.count(src)
    assert n == data.count(BKG)
    assert not stored and np.array_equal(groups, np.arange(n))
    splits._NOTED.discard(src)
    r1 = splits.DEFAULT.background_file(src)
    r2 = splits.DEFAULT.background_file(src)
    assert r1 == r2 == splits.DEFAULT.background(n)
    err = capsys.readouterr().out
    assert err.count("no 'parton_event' dataset") == 1 and src in err


@pytest.mark.parametrize("bad,match", [
    (np.arange(10, dtype=np.int64), r"expected shape \(20,\)"),
    (np.zeros(20, dtype=np.float32), "integer dtype"),
])
def test_bad_parton_event_is_one_clear_error(tmp_path, bad, match):
    p = tmp_path / "b.h5"
    data.write_events(p, data.load(BKG, n=20), extra={"parton_event": bad})
    with pytest.raises(DataError, match=match) as e:
        splits.DEFAULT.background_file(str(p))
    assert "parton_event" in str(e.value) and str(p) in str(e.value) and "\n" not in str(e.value)


def test_signal_extra_block_skips_test_groups(tmp_path):
    p = tmp_path / "s.h5"
    g = np.r_[np.arange(9), [8, 8], np.arange(9, 20)].astype(np.int64)   # group 8 straddles event 10
    data.write_events(p, data.load(BKG, n=len(g)), extra={"parton_event": g})
    s = Splits(n_sets=1, n_per_set=10, n_calib=0)
    assert s.signal_extra_start(str(p)) == 11
    with h5py.File(p, "a") as f:
        del f["parton_event"]
    assert s.signal_extra_start(str(p)) == 10
