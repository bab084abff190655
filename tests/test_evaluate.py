"""`l1ot evaluate` end to end on files written by the data layer (synthetic fixtures)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from l1ot.io import data
from l1ot.evaluation import evaluate
from l1ot.cli import main
from fixtures import toy_events


@pytest.fixture
def toy_dir(tmp_path):
    data.write_events(tmp_path / evaluate.BACKGROUND, toy_events(700, seed=1, pt_scale=20))
    # "signals": harder spectra / more objects -- fixtures, not physics
    for i, (sig, fname) in enumerate(evaluate.SIGNALS.items()):
        data.write_events(tmp_path / fname, toy_events(120, seed=10 + i, pt_scale=20 + 15 * i, fill=0.5 + 0.1 * i))
    return tmp_path


def test_evaluate_cli_writes_report_table_and_figures(toy_dir, tmp_path, capsys):
    rep = tmp_path / "rep" / "evaluation.json"
    code = main(["evaluate", "--data", str(toy_dir), "--methods", "total_pt,met,multiplicity,3d_ot,linw2_sorted_k8",
                 "--n-sets", "2", "--n-per-set", "50", "--n-calib", "100", "--n-ref", "60", "--n-train", "300",
                 "--jobs", "1", "--report", str(rep), "--figures", str(tmp_path / "fig")])
    assert code == 0
    out = capsys.readouterr().out
    assert "| AUC | A→4ℓ |" in out
    r = json.loads(rep.read_text())
    for m in ("total_pt", "met", "multiplicity", "3d_ot", "linw2_sorted_k8"):
        for sig in evaluate.SIGNALS:
            v = r[m][sig]
            assert set(v) == {"auc", "inv_eb_at_0p3", "si_at_0p3", "max_f1", "max_si"}
            assert len(v["auc"]) == 2 and len(v["max_f1"]) == 3
            assert 0 <= v["auc"][0] <= 1
    # the LQ fixture has the hardest spectrum: total pT separates it clearly
    assert r["total_pt"]["LQ"]["auc"][0] > 0.8
    assert (tmp_path / "fig" / "roc_curves.png").exists() and (tmp_path / "fig" / "si_curves.png").exists()
    # a second run with another method extends the same report
    assert main(["evaluate", "--data", str(toy_dir), "--methods", "2d_ot", "--n-sets", "2", "--n-per-set", "50",
                 "--n-calib", "100", "--n-ref", "30", "--jobs", "1", "--report", str(rep), "--figures", ""]) == 0
    r2 = json.loads(rep.read_text())
    assert "2d_ot" in r2 and "total_pt" in r2


def test_evaluate_metrics_match_direct_computation(toy_dir):
    from l1ot.evaluation import baselines, metrics
    from l1ot.io.splits import Splits

    sp = Splits(n_sets=2, n_per_set=50, n_calib=100)
    res, _, _ = evaluate.evaluate(str(toy_dir / evaluate.BACKGROUND), str(toy_dir), ["met"], signals=["h0"],
                                  splits=sp, progress=False, log=None)
    bkg = data.load(toy_dir / evaluate.BACKGROUND)[-100:]
    sig = data.load(toy_dir / evaluate.SIGNALS["h0"])[:100]
    aucs = [metrics.auc(baselines.met(bkg[i * 50:(i + 1) * 50]), baselines.met(sig[i * 50:(i + 1) * 50])) for i in range(2)]
    assert res["met"]["h0"]["auc"] == pytest.approx([np.mean(aucs), np.std(aucs)])


def test_too_small_background_is_a_clear_error(tmp_path, capsys):
    data.write_events(tmp_path / evaluate.BACKGROUND, toy_events(50))
    for fname in evaluate.SIGNALS.values():
        data.write_events(tmp_path / fname, toy_events(50))
    assert main(["evaluate", "--data", str(tmp_path), "--methods", "met", "--figures", ""]) == 2
    assert "need more than" in capsys.readouterr().err


def test_evaluate_fixed_reports_saturations_and_drift(toy_dir, tmp_path, capsys):
    rep = tmp_path / "evaluation.json"
    assert main(["evaluate", "--data", str(toy_dir), "--methods", "linw2_sorted_k8", "--fixed",
                 "--signals", "A,LQ", "--n-sets", "2", "--n-per-set", "50", "--n-calib", "100",
                 "--n-train", "300", "--jobs", "1", "--report", str(rep), "--figures", ""]) == 0
    out = capsys.readouterr().out
    assert "score drift against linw2_sorted_k32" in out and "exact" in out
    r = json.loads(rep.read_text())
    fm = r["_meta"]["fixed"]
    assert set(fm["saturations"]) == {"score", "input"}
    assert fm["drift"]["all"]["n"] == 3 * 2 * 50
    assert sum(fm["drift"]["all"]["counts"].values()) == fm["drift"]["all"]["n"]
    assert "fixed_sorted_k32" in r
