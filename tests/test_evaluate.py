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


def test_evaluate_cli_writes_report_table_and_figures(toy_dir, tmp_path, capsys, caplog):
    rep = tmp_path / "rep" / "evaluation.json"
    code = main(["evaluate", "--data", str(toy_dir), "--methods", "total_pt,met,multiplicity,3d_ot,linw2_sorted_k8",
                 "--n-sets", "2", "--n-per-set", "50", "--n-calib", "100", "--n-ref", "60", "--n-train", "300",
                 "--jobs", "1", "--report", str(rep), "--figures", str(tmp_path / "fig")])
    assert code == 0
    out = capsys.readouterr().out
    assert "### AUC" in out and "| method | A→4ℓ | h⁰→ττ | h±→τν | LQ→bτ |" in out and "| Total pT |" in out
    r = json.loads(rep.read_text())
    for m in ("total_pt", "met", "multiplicity", "3d_ot", "linw2_sorted_k8"):
        for sig in evaluate.SIGNALS:
            v = r[m][sig]
            assert set(v) == {"auc", "inv_eb_at_0p3", "si_at_0p3", "max_f1", "max_si"}
            assert len(v["auc"]) == 2 and len(v["max_f1"]) == 3
            assert 0 <= v["auc"][0] <= 1
    # the LQ fixture has the hardest spectrum: total pT separates it clearly
    assert r["total_pt"]["LQ"]["auc"][0] > 0.8
    for kind in ("roc", "rejection", "si"):
        for ext in ("png", "pdf"):
            assert (tmp_path / "fig" / f"{kind}_paper1.{ext}").exists()
            assert (tmp_path / "fig" / f"{kind}_linw2.{ext}").exists()
    assert not (tmp_path / "fig" / "auc_vs_k.png").exists()  # one k only: no AUC-vs-k figure
    assert "No TeX to Unicode" not in out + capsys.readouterr().err + caplog.text  # matplotlib logs it
    # a second run with another method and the same settings extends the same report
    assert main(["evaluate", "--data", str(toy_dir), "--methods", "2d_ot", "--n-sets", "2", "--n-per-set", "50",
                 "--n-calib", "100", "--n-ref", "60", "--n-train", "300", "--jobs", "1", "--report", str(rep),
                 "--figures", ""]) == 0
    r2 = json.loads(rep.read_text())
    assert "2d_ot" in r2 and "total_pt" in r2
    assert set(r2["_meta"]["rows"]) == {m for m in r2 if not m.startswith("_")}


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
    assert main(["evaluate", "--data", str(tmp_path), "--methods", "met", "--figures", "",
                 "--report", str(tmp_path / "r.json")]) == 2
    assert "need more than" in capsys.readouterr().err


def test_evaluate_fixed_reports_saturations_and_drift(toy_dir, tmp_path, capsys):
    rep = tmp_path / "evaluation.json"
    assert main(["evaluate", "--data", str(toy_dir), "--methods", "linw2_sorted_k8", "--fixed", "sorted:32,species:8",
                 "--signals", "A,LQ", "--n-sets", "2", "--n-per-set", "50", "--n-calib", "100",
                 "--n-train", "300", "--jobs", "1", "--report", str(rep), "--figures", ""]) == 0
    out = capsys.readouterr().out
    assert "score drift against linw2_sorted_k32" in out and "exact" in out
    r = json.loads(rep.read_text())
    fm = r["_meta"]["fixed"]
    assert set(fm["saturations"]) == {"score", "input"}
    assert fm["drift"]["all"]["n"] == 3 * 2 * 50
    assert sum(fm["drift"]["all"]["counts"].values()) == fm["drift"]["all"]["n"]
    assert "fixed_sorted_k32" in r and "fixed_species_k8" in r
    # the first row's meta is _meta.fixed, the second's under its float method
    assert fm["float_method"] == "linw2_sorted_k32"
    assert r["_meta"]["fixed_rows"]["linw2_species_k8"]["drift"]["all"]["n"] == 3 * 2 * 50
    # every row records the seconds it took, the fixed-point row included
    for m in ("linw2_sorted_k8", "fixed_sorted_k32"):
        sec = r["_meta"]["rows"][m].get("seconds")
        assert isinstance(sec, float) and sec > 0, (m, r["_meta"]["rows"][m])


def test_reports_never_mix(toy_dir, tmp_path, capsys):
    """Two evaluate runs with different settings: the second is refused, the report is untouched,
    and the same run into a new file holds only its own rows, described by its own settings."""
    rep = tmp_path / "evaluation.json"
    common = ["--data", str(toy_dir), "--n-sets", "2", "--n-calib", "100", "--n-train", "300", "--jobs", "1",
              "--figures", ""]
    assert main(["evaluate", "--methods", "total_pt,3d_ot", "--n-per-set", "50", "--n-ref", "60",
                 "--report", str(rep)] + common) == 0
    before = rep.read_bytes()
    first = json.loads(before)
    st = first["_meta"]["settings"]
    assert (st["n_ref"], st["n_per_set"], st["n_sets"], st["n_train"], st["seed"]) == (60, 50, 2, 300, 0)
    assert set(st["signals"]) == set(evaluate.SIGNALS) and len(st["background"]["sha256"]) == 64
    capsys.readouterr()
    # other settings, same report: refused with one line naming the differences, file unchanged
    for extra, why in ((["--n-per-set", "50", "--n-ref", "30"], "n_ref 60 there, 30 now"),
                       (["--n-per-set", "40", "--n-ref", "60"], "n_per_set 50 there, 40 now"),
                       (["--n-per-set", "50", "--n-ref", "60", "--seed", "3"], "seed 0 there, 3 now")):
        assert main(["evaluate", "--methods", "multiplicity,3d_ot"] + extra + ["--report", str(rep)] + common) == 2
        err = capsys.readouterr().err
        assert why in err and "--report" in err and len(err.strip().splitlines()) == 1
        assert rep.read_bytes() == before
    # another background file with the same settings is refused too
    other = tmp_path / "other_bkg.h5"
    data.write_events(other, toy_events(700, seed=99, pt_scale=20))
    assert main(["evaluate", "--methods", "met", "--n-per-set", "50", "--n-ref", "60", "--background", str(other),
                 "--report", str(rep)] + common) == 2
    assert "background file" in capsys.readouterr().err and rep.read_bytes() == before
    # the same run into a new file: only its own rows, its own settings
    rep2 = tmp_path / "evaluation_nref30.json"
    assert main(["evaluate", "--methods", "multiplicity,3d_ot", "--n-per-set", "50", "--n-ref", "30",
                 "--report", str(rep2)] + common) == 0
    second = json.loads(rep2.read_text())
    assert {m for m in second if not m.startswith("_")} == {"multiplicity", "3d_ot"}
    assert second["_meta"]["settings"]["n_ref"] == 30
    assert second["3d_ot"] != first["3d_ot"]  # 30 vs 60 references: different numbers, never merged
    # an older report without recorded settings is not extended either
    legacy = tmp_path / "legacy.json"
    legacy.write_text(json.dumps({"met": first["total_pt"], "_meta": {"n_ref": 60}}))
    assert main(["evaluate", "--methods", "met", "--n-per-set", "50", "--n-ref", "60",
                 "--report", str(legacy)] + common) == 2
    assert "no recorded settings" in capsys.readouterr().err


def test_tables_one_per_metric_rounded_by_error():
    from l1ot.evaluation import tables

    assert tables.fmt_pm([17.6, 1.5742]) == "18 ± 2"
    assert tables.fmt_pm([0.8161, 0.009226]) == "0.816 ± 0.009"
    assert tables.fmt_pm([0.8161, 0.0962, 0.451]) == "0.8 ± 0.1 (0.45)"
    assert tables.fmt_pm([123.4, 37.0]) == "123 ± 37"  # no negative decimals: integer precision
    assert tables.fmt_pm(None) == "–"
    res = {"a": {"A": {"auc": [0.71, 0.012], "max_f1": [0.7, 0.01, 0.9]}},
           "b": {"A": {"auc": [0.6, 0.02]}}}
    md = evaluate.format_tables(res, ["A"])
    assert md.count("| method |") == 2  # AUC and max F1; metrics nobody has are left out
    assert "| a | 0.71 ± 0.01 |" in md and "| a | 0.70 ± 0.01 (0.90) |" in md


def test_evaluate_fixed_rows_default_to_the_firmware_default():
    """``--fixed`` alone asks for the firmware default, species K = 64 (issue 26); a list of
    TRANSPORT:K asks for one row each; a bad item is refused naming it."""
    import argparse

    from l1ot.commands import evaluate as cmd

    p = argparse.ArgumentParser()
    cmd.register(p.add_subparsers())
    parse = lambda *a: p.parse_args(["evaluate", *a]).fixed  # noqa: E731
    assert parse() is None
    assert parse("--fixed") == [("species", 64)]
    assert parse("--fixed", "species:64,sorted:32") == [("species", 64), ("sorted", 32)]
    for bad in ("exact:32", "species", "sorted:0", "sorted:32,sorted:32"):
        with pytest.raises(SystemExit):
            parse("--fixed", bad)
