"""Engine partitions against a direct statement of the rule: every event of a range in exactly one
partition, on chunk boundaries, one-event tails included; the in-process engine keeps order; and
``l1ot score`` on a file whose last chunk holds one event scores every event once (toy events, not
physics).
"""
from __future__ import annotations

import h5py
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fixtures import toy_events
from l1ot import engine
from l1ot.io import data


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
