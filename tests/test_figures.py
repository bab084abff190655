"""Result figures: the curve store keeps the bands exact; AUC-vs-k only with several k; PNG + PDF."""
from __future__ import annotations

import numpy as np

from l1ot.evaluation import figures, metrics


def _curves(seed, n_sets=3):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_sets):
        b, s = rng.normal(0, 1, 1000), rng.normal(0.8, 1.2, 1000)
        out.append(metrics.roc_curve(b, s)[:2])
    return out


def test_curve_store_gives_the_same_bands(tmp_path):
    raw = {"3d_ot": {"A": _curves(1)}, "met": {"A": _curves(2), "LQ": _curves(3)}}
    p = figures.save_curves(raw, str(tmp_path / "r_curves.npz"))
    figures.save_curves({"total_pt": {"A": _curves(4)}}, p)  # merges, keeps the others
    back = figures.load_curves(p)
    assert set(back) == {"3d_ot", "met", "total_pt"} and set(back["met"]) == {"A", "LQ"}
    for m, sig in (("3d_ot", "A"), ("met", "LQ")):
        for band in (metrics.roc_band, metrics.si_band):
            g0, mu0, sd0 = band(raw[m][sig])
            g1, mu1, sd1 = band(back[m][sig])
            np.testing.assert_allclose(mu1, mu0, rtol=0, atol=1e-12)
            np.testing.assert_allclose(sd1, sd0, rtol=0, atol=1e-12)


def test_auc_vs_k_needs_two_k(tmp_path):
    row = {s: {"auc": [0.8, 0.01]} for s in ("A", "h0", "hpm", "LQ")}
    assert figures.plot_auc_vs_k({"linw2_sorted_k32": row, "3d_ot": row}, str(tmp_path)) == []
    assert not list(tmp_path.iterdir())
    paths = figures.plot_auc_vs_k({"linw2_sorted_k16": row, "linw2_sorted_k32": row, "3d_ot": row}, str(tmp_path))
    assert sorted(p.rsplit(".", 1)[1] for p in paths) == ["pdf", "png"]


def test_group_figures_png_pdf_and_label(tmp_path):
    curves = {m: {s: _curves(i) for s in ("A", "LQ")} for i, m in enumerate(figures.GROUPS["paper1"])}
    results = {m: {s: {"auc": [0.7, 0.01], "max_si": [1.5, 0.1, 0.5]} for s in ("A", "LQ")} for m in curves}
    paths = figures.plot_group(curves, results, "paper1", str(tmp_path))
    names = sorted(p.rsplit("/", 1)[1] for p in paths)
    assert names == sorted(f"{k}_paper1.{e}" for k in ("roc", "rejection", "si") for e in ("png", "pdf"))
    pdf = (tmp_path / "roc_paper1.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    assert len(figures.GROUPS["paper1"]) <= figures.MAX_CURVES and len(figures.GROUPS["linw2"]) <= figures.MAX_CURVES
    # the palette is Okabe-Ito throughout
    assert {c for c, _ in figures.STYLE.values()} <= set(figures.OKABE_ITO.values())


def test_figures_are_byte_identical_when_redrawn(tmp_path):
    """The same inputs give the same PNG and PDF bytes (no creation date), and no temp files stay behind."""
    row = {s: {"auc": [0.8, 0.01]} for s in ("A", "h0", "hpm", "LQ")}
    res = {"linw2_sorted_k16": row, "linw2_sorted_k32": row, "3d_ot": row}
    a, b = tmp_path / "a", tmp_path / "b"
    pa = figures.plot_auc_vs_k(res, str(a))
    pb = figures.plot_auc_vs_k(res, str(b))
    assert [p.rsplit("/", 1)[1] for p in pa] == [p.rsplit("/", 1)[1] for p in pb]
    for x, y in zip(pa, pb):
        assert open(x, "rb").read() == open(y, "rb").read(), x
        assert b"CreationDate" not in open(x, "rb").read(), x
    assert sorted(p.name for p in a.iterdir()) == sorted(p.rsplit("/", 1)[1] for p in pa)
