"""Engine partitions, the output rules and the split fallback against direct statements of their rules.

* engine: every event of a range in exactly one partition, on chunk boundaries, one-event tails
  included, and ``l1ot score`` on a file whose last chunk holds one event scores every event once;
* outputs: an existing output's permissions are kept when it is replaced, a fresh output gets the
  umask's, folders made for a failed run are removed (and only those), nothing temporary is left;
* splits: files without ``parton_event`` are split per event with one note per file, files with it
  keep every group on one side, and the signal events after the test block skip its last group.
Events are SYNTHETIC fixtures (not physics).
"""
from __future__ import annotations

import os
import stat

import h5py
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fixtures import toy_events
from l1ot import engine, outputs
from l1ot.io import data, splits
from l1ot.io.splits import Splits


# ------------------------------------------------------------------------------ engine
@settings(max_examples=400, deadline=None)
@given(start=st.integers(0, 50), length=st.integers(0, 400), size=st.integers(1, 120), align=st.integers(1, 40))
def test_partitions_cover_every_event_once_on_chunk_boundaries(start, length, size, align):
    stop = start + length
    parts = engine.partitions(start, stop, size, align=align)
    covered = [i for lo, hi in parts for i in range(lo, hi)]
    assert covered == list(range(start, stop))                    # each event once, in order
    step = -(-size // align) * align                                # size rounded up to the chunk
    for n, (lo, hi) in enumerate(parts):
        assert hi > lo                                              # no empty partition
        assert lo == start + n * step and (lo - start) % align == 0
        assert hi - lo == step or (n == len(parts) - 1 and hi == stop)


@pytest.mark.parametrize("n", [1, 2, 1000, 1001, 2999, 3001])
def test_one_event_tails(n):
    parts = engine.partitions(0, n, 1000)
    assert parts[-1][1] == n and sum(hi - lo for lo, hi in parts) == n
    if n % 1000 == 1:
        assert parts[-1] == (n - 1, n)


def _span(lo, hi):
    return list(range(lo, hi))


def test_engine_in_process_map_keeps_order_and_every_task():
    parts = engine.partitions(3, 1004, 250)
    with engine.Engine(workers=1, progress=False) as eng:
        got = list(eng.map(_span, parts, weights=[hi - lo for lo, hi in parts]))
    assert [i for g in got for i in g] == list(range(3, 1004))


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    from l1ot.ot import linot

    d = tmp_path_factory.mktemp("tiny")
    ev = toy_events(120, seed=3)
    m = d / "m.h5"
    linot.train(ev, k=4, transport="sorted", provenance={"train_start": 0}).save(str(m))
    return d, m


def test_score_scores_a_one_event_tail(tiny_model):
    from l1ot.cli import main
    from l1ot.ot import linot

    d, m = tiny_model
    ev = toy_events(2 * 64 + 1, seed=4)
    f = d / "ev.h5"
    data.write_events(str(f), ev)
    out = d / "scores.h5"
    assert main(["score", str(m), str(f), "-o", str(out), "--workers", "1", "--chunk-size", "64"]) == 0
    with h5py.File(out, "r") as h:
        np.testing.assert_array_equal(h["event"][()], np.arange(len(ev)))
        ref, _ = linot.LinModel.load(str(m)).score(ev, return_index=True)
        np.testing.assert_allclose(h["score"][()], ref, rtol=1e-9, atol=1e-9)


# ------------------------------------------------------------------------------ outputs
def _umask():
    old = os.umask(0)
    os.umask(old)
    return old


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o604, 0o755])
def test_replaced_output_keeps_its_permissions(tmp_path, mode):
    target = tmp_path / "out.txt"
    target.write_text("old")
    os.chmod(target, mode)
    with outputs.Transaction() as tx:
        with open(tx.file(target), "w") as fh:
            fh.write("new")
    assert target.read_text() == "new"
    assert stat.S_IMODE(os.stat(target).st_mode) == mode
    with outputs.Transaction() as tx:   # an in-place update through a copy as well
        p = tx.copy(target)
        with open(p, "a") as fh:
            fh.write("+")
    assert target.read_text() == "new+" and stat.S_IMODE(os.stat(target).st_mode) == mode
    assert [q.name for q in tmp_path.iterdir()] == ["out.txt"]


def test_new_output_gets_the_umask_mode(tmp_path):
    with outputs.Transaction() as tx:
        with open(tx.file(tmp_path / "fresh.txt"), "w") as fh:
            fh.write("x")
        fo = tx.folder(tmp_path / "figs")
        with open(os.path.join(fo, "a.png"), "w") as fh:
            fh.write("x")
        os.close(os.open(os.path.join(fo, "b.pdf"), os.O_CREAT | os.O_WRONLY, 0o600))   # as mkstemp makes them
    assert stat.S_IMODE(os.stat(tmp_path / "fresh.txt").st_mode) == 0o666 & ~_umask()
    for name in ("a.png", "b.pdf"):
        assert stat.S_IMODE(os.stat(tmp_path / "figs" / name).st_mode) == 0o666 & ~_umask()


def test_failed_run_removes_the_folders_it_made_and_only_those(tmp_path):
    keep = tmp_path / "existing"
    keep.mkdir()
    with pytest.raises(RuntimeError):
        with outputs.Transaction() as tx:
            tx.file(keep / "new" / "deeper" / "out.h5")
            tx.folder(tmp_path / "figs" / "sub")
            tx.file(keep / "x.json")
            raise RuntimeError("the command failed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing"]
    assert list(keep.iterdir()) == []
    # on success the folders stay, with the outputs in them
    with outputs.Transaction() as tx:
        with open(tx.file(keep / "new" / "deeper" / "out.h5"), "w") as fh:
            fh.write("x")
    assert (keep / "new" / "deeper" / "out.h5").read_text() == "x"
    assert [p.name for p in (keep / "new" / "deeper").iterdir()] == ["out.h5"]


def test_failed_replace_leaves_the_old_output(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(KeyboardInterrupt):
        with outputs.Transaction() as tx:
            with open(tx.file(target), "w") as fh:
                fh.write("half")
            raise KeyboardInterrupt
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_check_refuses_an_output_that_is_an_input(tmp_path):
    from l1ot.errors import OutputError

    f = tmp_path / "in.h5"
    f.write_text("x")
    link = tmp_path / "link.h5"
    os.symlink(f, link)
    for out in (f, link, tmp_path / "." / "in.h5"):
        with pytest.raises(OutputError, match="is the input"):
            outputs.check(outputs=[out], inputs=[f])
    with pytest.raises(OutputError, match="same file"):
        outputs.check(outputs=[tmp_path / "a", tmp_path / "." / "a"])
    outputs.check(outputs=[tmp_path / "new" / "out.h5"], inputs=[f])   # a creatable folder is fine
    assert not (tmp_path / "new").exists()                               # and check makes nothing


# ------------------------------------------------------------------------------ splits
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
