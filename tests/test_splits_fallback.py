"""Split fallback and parton-level groups on files: a file without ``parton_event`` is split per
event with one note per file, a file with it keeps every group on one side, and the signal events
after the test block skip its last group (brute force). Toy events (test fixtures, not physics).
"""
from __future__ import annotations

import h5py
import numpy as np
import pytest

from fixtures import toy_events
from l1ot.io import data, splits
from l1ot.io.splits import Splits


def _write(path, n, groups=None):
    data.write_events(str(path), toy_events(n, seed=n))
    if groups is not None:
        with h5py.File(path, "a") as f:
            f.create_dataset("parton_event", data=np.asarray(groups, np.int64))


def test_split_fallback_per_event_with_one_note(tmp_path):
    s = Splits(n_sets=2, n_per_set=10, n_calib=15)
    f = tmp_path / "plain.h5"
    _write(f, 60)
    notes = []
    splits._NOTED.discard(str(f))
    r = s.background_file(str(f), log=notes.append)
    assert r == {"train": (0, 25), "calib": (25, 40), "test": (40, 60)}   # docs: by hand
    s.background_file(str(f), log=notes.append)
    assert len(notes) == 1 and "parton_event" in notes[0] and str(f) in notes[0]


def test_split_with_groups_moves_boundaries_and_says_nothing(tmp_path):
    s = Splits(n_sets=2, n_per_set=10, n_calib=15)
    g = np.repeat(np.arange(20), 3)     # groups of 3: boundaries 40 and 25 split groups 13 and 8
    f = tmp_path / "grouped.h5"
    _write(f, 60, g)
    notes = []
    splits._NOTED.discard(str(f))
    r = s.background_file(str(f), log=notes.append)
    assert notes == []
    # test block [40, 60) holds part of group 13 (events 39..41): event 39 is left out; the calib
    # block is the 15 events before it, [24, 39), and event 24 starts group 8: training ends at 24
    assert r == {"train": (0, 24), "calib": (24, 39), "test": (40, 60)}
    assert splits.group_overlap(g, r) == 0


@pytest.mark.parametrize("groups,n_test,expect", [
    ([0, 0, 1, 1, 2, 2, 2, 3, 3, 4], 5, 7),     # the last test group continues to event 6
    ([0, 1, 2, 3, 4, 5, 6, 7], 5, 5),           # no straddle
    ([0, 0, 0, 0, 0, 0, 0], 5, 7),              # nothing after the test block is free
    ([0, 1, 2, 3, 4, 0, 5, 1], 5, 6),           # scattered: first event of a fresh group
])
def test_signal_extra_start(tmp_path, groups, n_test, expect):
    f = tmp_path / "sig.h5"
    _write(f, len(groups), groups)
    s = Splits(n_sets=1, n_per_set=n_test, n_calib=0)
    got = s.signal_extra_start(str(f))
    # brute force: the first event at or after the test block whose group is not in the test block
    test_groups = set(groups[:n_test])
    ref = next((i for i in range(n_test, len(groups)) if groups[i] not in test_groups), len(groups))
    assert got == ref == expect
