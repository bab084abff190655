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
    with pytest.raises(ValueError, match="expected all, first:N, rare:N or per:N"):
        tbutil.select_vectors(tags, "some")


def test_per_selection_takes_up_to_n_of_every_category():
    tags = ["random"] * 30 + ["gt_all_invalid"] * 2 + ["empty"] * 5 + ["random"] * 10
    sel = tbutil.select_vectors(tags, "per:4")
    got = [tags[i] for i in sel]
    assert got.count("random") == 4 and got.count("gt_all_invalid") == 2 and got.count("empty") == 4
    assert sel == sorted(sel) and len(set(sel)) == len(sel)
    assert any(i >= 37 for i in sel if tags[i] == "random")   # spread over the whole category


def test_synthetic_species_export_has_threshold_boundaries(tmp_path):
    """The species-class export (no trained model) also carries scores at T-1, T and T+1."""
    import numpy as np
    from l1ot.export.vectorfile import read_golden
    from l1ot.kernel import fixed

    out = tbutil.synthetic_export(tmp_path, fixed.CONFIG_DIR / "kernel_species.json", k=8, n_total=1500)
    hdr, words, score, idx, trig, tags = read_golden(out / "golden.txt")
    t = int(hdr["threshold"])
    for s in (t - 1, t, t + 1):
        assert np.count_nonzero(score == s) >= 1, f"no vector with score {s} (threshold {t})"
    assert set(np.asarray(trig)[score >= t]) == {1} and set(np.asarray(trig)[score < t]) == {0}
