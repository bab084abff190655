"""The firmware default (issue 26): species transport, K = 64, on ``l1ot_kernel_cm``.

* the default is the point of the committed Pareto study (reports/pareto.json) that meets the
  Phase-2 goals with the best mean fixed-point AUC, checked here from the report's figures
  (not from the constant);
* the demo's goal checks (``scripts/demo.py``: ``auc_goals``, ``fw_goals``) on hand-worked rows;
* ``make csim`` without arguments simulates the default export (``hls/run_csim.default_points``);
* ``scripts/build_artifacts.py`` refuses options that the species export does not take.
"""
from __future__ import annotations

import importlib.util
import json

import pytest

from pathlib import Path

from conftest import REPO as _REPO

REPO = Path(_REPO)
from l1ot.kernel import fixed


def _script(path, name):
    spec = importlib.util.spec_from_file_location(name, REPO / path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_default_is_the_best_pareto_point_within_the_phase2_goals():
    rep = json.loads((REPO / "reports" / "pareto.json").read_text())
    ok = []
    for p in rep["points"]:
        s = p.get("synth")
        if not s or "latency_ns" not in p:   # a point without cosim has no measured latency
            continue
        if s["fmax_est_mhz"] >= 480 and p["latency_ns"] <= 50 and s["pct"]["LUT"] <= 3 and s["pct"]["DSP"] <= 0.5:
            a = p["auc"]["auc_fixed"]
            ok.append((sum(v[0] for v in a.values()) / len(a), p["transport"], p["K"]))
    assert ok, "no Pareto point meets the Phase-2 goals"
    best = max(ok)
    assert (best[1], best[2]) == (fixed.FIRMWARE_TRANSPORT, fixed.FIRMWARE_K), sorted(ok)


def test_demo_goal_checks_on_hand_worked_rows():
    demo = _script("scripts/demo.py", "l1ot_demo_goals")
    auc = lambda a, h, p, l: {"A": {"auc": [a, 0]}, "h0": {"auc": [h, 0]}, "hpm": {"auc": [p, 0]},  # noqa: E731
                              "LQ": {"auc": [l, 0]}}
    ev = {"fixed_species_k64": auc(0.842, 0.805, 0.964, 0.910), "3d_ot": auc(0.825, 0.792, 0.960, 0.895)}
    ae = {"rows": {"ae_float": auc(0.838, 0.777, 0.935, 0.874)}}
    g = demo.auc_goals(ev, ae, "fixed_species_k64")
    assert len(g) == 8 and all(g.values())
    ev["fixed_species_k64"]["hpm"]["auc"] = [0.959, 0]          # below exact min-W2, above the AE
    g = demo.auc_goals(ev, ae, "fixed_species_k64")
    assert [k for k, v in g.items() if not v] == ["AUC hpm >= exact min-W2 (0.960)"]
    ev["fixed_species_k64"]["hpm"]["auc"] = [0.960, 0]          # equal is enough
    assert all(demo.auc_goals(ev, ae, "fixed_species_k64").values())
    row = {"II_cycles": 1, "fmax_est_mhz": 487.8, "latency_ns_at_est_clock": 47.9,
           "pct_VU13P": {"LUT": 1.42, "DSP": 0.46}}
    assert all(demo.fw_goals(row).values()) and len(demo.fw_goals(row)) == 5
    for key, val, goal in (("fmax_est_mhz", 479.9, "est. Fmax >= 480 MHz"),
                           ("latency_ns_at_est_clock", 50.1, "latency <= 50 ns"),
                           ("II_cycles", 2, "II = 1")):
        bad = dict(row, **{key: val})
        assert [k for k, v in demo.fw_goals(bad).items() if not v] == [goal]
    for key, val, goal in (("LUT", 3.01, "LUT <= 3 %"), ("DSP", 0.51, "DSP <= 0.5 %")):
        bad = dict(row, pct_VU13P=dict(row["pct_VU13P"], **{key: val}))
        assert [k for k, v in demo.fw_goals(bad).items() if not v] == [goal]
    assert demo.DEFAULT_RTL == "64:1:species-cm"


def test_csim_without_arguments_simulates_the_default_export():
    import sys

    sys.path.insert(0, str(REPO / "hls"))
    import run_csim

    assert run_csim.default_points(None, [], False) == ([], [64])
    assert run_csim.default_points([32], [], False) == ([32], [])
    assert run_csim.default_points(None, [8], False) == ([], [8])
    assert run_csim.default_points(None, [], True) == ([], [])


def test_build_artifacts_species_refuses_sorted_only_options(capsys):
    ba = _script("scripts/build_artifacts.py", "l1ot_build_artifacts")
    for argv in (["--config", "x.json"], ["--bkg-eff", "0.01"], ["--transport", "exact"], ["--k", "0"]):
        with pytest.raises(SystemExit) as e:
            ba.main(argv)
        assert e.value.code == 2, argv
    assert "--config and --bkg-eff are for --transport sorted" in capsys.readouterr().err
