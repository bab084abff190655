"""scripts/pareto.py: per-step cache and the partial report (no training, Yosys or cosim)."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("l1ot_pareto", REPO / "scripts" / "pareto.py")
pareto = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pareto)


def test_cache_reuses_only_the_same_key(tmp_path):
    calls = []

    def fn():
        calls.append(1)
        return {"v": len(calls)}

    p = tmp_path / "step.json"
    assert pareto._cached(p, {"model": "a"}, fn)["v"] == 1
    assert pareto._cached(p, {"model": "a"}, fn)["v"] == 1        # cached
    assert pareto._cached(p, {"model": "b"}, fn)["v"] == 2        # another model: recomputed
    assert len(calls) == 2


def _point(k, tr, cosim):
    p = {"K": k, "transport": tr,
         "auc": {"auc_fixed": {"A": [0.8, 0.01], "h0": [0.7, 0.01]}},
         "synth": {"fmax_est_mhz": 400.0, "pct": {"LUT": 1.0, "FF": 0.5, "DSP": 0.25}}}
    if cosim:
        p["cosim"] = {"ok": True, "vectors": 100, "latency_cycles": 20}
        p["latency_cycles"] = 20
        p["latency_ns"] = round(20 * 1000.0 / min(pareto.CLOCK_MHZ, 400.0), 1)
    return p


def test_partial_report_names_missing_points_and_latency_source(tmp_path):
    out = tmp_path / "pareto.json"
    pts = [_point(8, "species", True), _point(16, "sorted", False)]
    pareto.write_report(pts, ["k128_sorted"], out, "python scripts/pareto.py")
    rep = json.loads(out.read_text())
    assert rep["partial"] is True and rep["missing"] == ["k128_sorted"]
    md = out.with_suffix(".md").read_text()
    assert "**Partial:**" in md and "k128_sorted" in md
    rows = [ln for ln in md.splitlines() if ln.startswith("| 8 ") or ln.startswith("| 16 ")]
    # 20 cycles at min(480, 400) MHz = 50 ns; the point without cosim has no latency
    assert "20 / 50.0" in rows[0] and "0 mismatches / 100" in rows[0]
    assert "n/a (no cosim)" in rows[1] and "synthesis only, no cosim" in rows[1]
    assert "ran cosim (0 mismatches, latency measured): k8_species;" in md
    assert rep["cosim_points"] == ["k8_species"]
