"""Golden-vector selection of the kernel cosim (``tbutil.select_vectors``)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tbutil  # noqa: E402


def test_rare_selection_keeps_every_constructed_vector():
    tags = (["empty"] * 3 + ["random"] * 50 + ["score_at_threshold"] * 2 + ["sample"] * 40
            + ["medoid_tie"] + [None] * 6)
    sel = tbutil.select_vectors(tags, "rare:10")
    rare = [i for i, t in enumerate(tags) if t not in (None, "random", "sample")]
    assert set(rare) <= set(sel)                     # every constructed vector, new categories included
    bulk = [i for i in sel if i not in rare]
    assert len(bulk) == 10 and sel == sorted(sel)    # N bulk vectors, file order
    assert {tags[i] for i in bulk} >= {"random", "sample"}   # spread over the bulk kinds
    assert tbutil.select_vectors(tags, "rare:0") == rare
    assert len(tbutil.select_vectors(tags, "rare:1000")) == len(tags)


def test_all_and_first_and_bad_spec():
    tags = ["random"] * 7
    assert tbutil.select_vectors(tags, "all") == list(range(7))
    assert tbutil.select_vectors(tags, "first:3") == [0, 1, 2]
    with pytest.raises(ValueError, match="expected all, first:N or rare:N"):
        tbutil.select_vectors(tags, "some")
