"""Delay model of firmware/synth/run_yosys.py (``timing``) on hand-built Yosys netlists.

The expected figures are worked by hand from the documented model (UltraScale+: LUT 0.45 ns
+ 0.10 ns routing per level, CARRY4 0.10 ns, 0.35 ns register overhead), not taken from the
code: a one-clock netlist keeps its single-domain figures; in a two-clock netlist whose
longest path crosses from ``ipb_clk`` to ``clk`` that path is reported as a crossing and
counted in neither domain.
"""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from conftest import REPO

LUT, CARRY, OVH = 0.45 + 0.10, 0.10, 0.35


def _ry():
    spec = importlib.util.spec_from_file_location("run_yosys", Path(REPO) / "firmware" / "synth" / "run_yosys.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _ff(clk, d, q):
    return {"type": "FDRE", "port_directions": {"C": "input", "CE": "input", "R": "input", "D": "input",
                                                "Q": "output"},
            "connections": {"C": [clk], "CE": ["1"], "R": ["0"], "D": [d], "Q": [q]}}


def _lut(ins, o):
    n = len(ins)
    return {"type": f"LUT{n}", "port_directions": {**{f"I{i}": "input" for i in range(n)}, "O": "output"},
            "connections": {**{f"I{i}": [b] for i, b in enumerate(ins)}, "O": [o]}}


def _carry(s, o):
    return {"type": "CARRY4", "port_directions": {"S": "input", "CI": "input", "O": "output", "CO": "output"},
            "connections": {"S": [s, "0", "0", "0"], "CI": ["0"], "O": [o, 900 + o, 901 + o, 902 + o],
                            "CO": [903 + o, 904 + o, 905 + o, 906 + o]}}


def _net(ports, cells, names):
    return {"modules": {"top": {"attributes": {"top": "00000000000000000000000000000001"},
                                "ports": {p: {"direction": d, "bits": [b]} for p, (d, b) in ports.items()},
                                "cells": cells,
                                "netnames": {n: {"hide_name": 0, "bits": [b], "attributes": a}
                                             for n, (b, a) in names.items()}}}}


def _timing(tmp_path, nl):
    p = tmp_path / "netlist.json"
    p.write_text(json.dumps(nl))
    return _ry().timing(p, "xcup")


def test_one_clock_netlist_keeps_its_single_domain_figures(tmp_path):
    # a -> LUT -> LUT -> CARRY4 -> e (1.2 ns of logic); in -> LUT -> f (0.55 ns)
    cells = {"a": _ff(2, 3, 10), "b": _lut([10, 10], 11), "c": _lut([11], 12), "d": _carry(12, 13),
             "e": _ff(2, 13, 14), "g": _lut([3], 15), "f": _ff(2, 15, 16)}
    t = _timing(tmp_path, _net({"clk": ("input", 2), "in": ("input", 3)}, cells,
                               {"a_q": (10, {}), "e_q": (14, {}), "f_q": (16, {})}))
    assert t["worst_path_ns"] == pytest.approx(2 * LUT + CARRY + OVH) == 1.55
    assert t["fmax_est_mhz"] == 645.2
    assert t["worst_end"] == "e"
    assert t["worst_levels"] == {"LUT": 2, "CARRY": 1}
    assert t["domain"] == "clk" and set(t["domains"]) == {"clk"} and t["cdc"] == []
    assert t["domains"]["clk"]["registers"] == 3
    assert t["domains"]["clk"]["fmax_est_mhz"] == 645.2


def test_crossing_is_reported_apart_and_in_no_domain(tmp_path):
    cells = {
        # clk: a -> 2 LUT -> b (1.1 ns of logic -> 1.45 ns)
        "a": _ff(2, 40, 10), "l1": _lut([10], 11), "l2": _lut([11], 12), "b": _ff(2, 12, 13),
        # ipb_clk through a clock buffer: p -> LUT -> q (0.55 ns)
        "buf": {"type": "BUFG", "port_directions": {"I": "input", "O": "output"},
                "connections": {"I": [3], "O": [30]}},
        "p": _ff(30, 41, 20), "l3": _lut([20], 21), "q": _ff(30, 21, 22),
        # ipb_clk input port -> 3 LUT -> r (ipb_clk; 1.65 ns -> 2.0 ns): counts in ipb_clk
        "m1": _lut([4], 50), "m2": _lut([50], 51), "m3": _lut([51], 52), "r": _ff(30, 52, 53),
        # the longest path: p (ipb_clk) -> 4 LUT -> s (clk), 2.2 ns of logic -> 2.55 ns
        "c1": _lut([20], 60), "c2": _lut([60], 61), "c3": _lut([61], 62), "c4": _lut([62], 63),
        "s": _ff(2, 63, 64),
        # two-flop synchroniser clk -> ipb_clk, no logic
        "x": _ff(2, 42, 70), "y": _ff(3, 70, 71), "y2": _ff(3, 71, 72),
    }
    names = {"a_q": (10, {}), "b_q": (13, {}), "p_q": (20, {}), "q_q": (22, {}), "r_q": (53, {}),
             "s_q": (64, {}), "x_q": (70, {}), "sync_q": (71, {"ASYNC_REG": "TRUE"}), "sync2_q": (72, {})}
    t = _timing(tmp_path, _net({"clk": ("input", 2), "ipb_clk": ("input", 3), "addr": ("input", 4),
                                "d0": ("input", 40), "d1": ("input", 41), "d2": ("input", 42)}, cells, names))
    dom = t["domains"]
    assert set(dom) == {"clk", "ipb_clk"}
    assert dom["clk"]["registers"] == 4 and dom["ipb_clk"]["registers"] == 5
    # clk: the crossing (2.55 ns) is not in it
    assert dom["clk"]["worst_path_ns"] == pytest.approx(2 * LUT + OVH) == 1.45
    assert dom["clk"]["worst_end"] == "b"
    assert dom["clk"]["fmax_est_mhz"] == 689.7
    # ipb_clk: the port path (2.0 ns) is, the crossing is not
    assert dom["ipb_clk"]["worst_path_ns"] == pytest.approx(3 * LUT + OVH) == 2.0
    assert dom["ipb_clk"]["worst_end"] == "r"
    assert dom["ipb_clk"]["fmax_est_mhz"] == 500.0
    # headline: the algorithm clock
    assert t["domain"] == "clk" and t["fmax_est_mhz"] == 689.7 and t["worst_path_ns"] == 1.45
    cdc = {(c["from"], c["to"], c["end"]): c for c in t["cdc"]}
    assert set(cdc) == {("ipb_clk", "clk", "s_q"), ("clk", "ipb_clk", "sync_q")}
    c = cdc[("ipb_clk", "clk", "s_q")]
    assert c["path_ns"] == pytest.approx(4 * LUT + OVH) == 2.55
    assert c["start"] == "p_q" and c["levels"] == {"LUT": 4} and not c["synchroniser"]
    s = cdc[("clk", "ipb_clk", "sync_q")]
    assert s["path_ns"] == OVH and s["start"] == "x_q" and s["synchroniser"]
    assert t["cdc"][0]["end"] == "s_q", "crossings are listed longest first"


def test_report_rows_old_and_per_domain(tmp_path):
    """fw_report reads a row timed before the per-domain model (one table) and a row with
    two domains (per-domain figures, the ipb_clk goal, the crossings table)."""
    import sys
    sys.path.insert(0, str(Path(REPO) / "testbench"))
    import fw_report

    base = {"LUT": 10, "FF": 10, "CARRY8_equiv": 1, "DSP48E2": 0, "BRAM36_equiv": 0, "LUTRAM_SRL": 0,
            "pct_VU13P": {"LUT": 0.1, "FF": 0.1, "CARRY8": 0.1, "DSP": 0.0, "BRAM": 0.0}}
    stage = {"u_x": {"logic_ns": 1.0, "path_ns": 1.35, "levels": {"LUT": 2}, "end": "c"}}
    old = dict(base, timing={"worst_path_ns": 1.35, "fmax_est_mhz": 740.7, "stages": stage})
    new = dict(base, timing={"worst_path_ns": 2.5, "fmax_est_mhz": 400.0, "stages": stage, "domain": "clk",
                             "domains": {"clk": {"worst_path_ns": 2.5, "fmax_est_mhz": 400.0, "registers": 5,
                                                 "stages": stage},
                                         "ipb_clk": {"worst_path_ns": 10.0, "fmax_est_mhz": 100.0, "registers": 2,
                                                     "stages": stage}},
                             "cdc": [{"from": "clk", "to": "ipb_clk", "logic_ns": 3.0, "path_ns": 3.35,
                                      "levels": {"LUT": 5}, "start": "snap", "end": "rdata", "end_cell": "e",
                                      "synchroniser": False}]})
    data = {"synth": {"k8_r1": old, "k8_r1_cm-ipb": new}}
    rows = {r["config"]: r for r in fw_report.configs(data)}
    assert rows["k8_r1"]["fmax_est_mhz"] == 740.7 and "fmax_est_mhz_by_domain" not in rows["k8_r1"]
    r = rows["k8_r1_cm-ipb"]
    assert r["fmax_est_mhz"] == 400.0 and r["fmax_est_mhz_by_domain"] == {"clk": 400.0, "ipb_clk": 100.0}
    assert r["goals"]["Fmax_est>=480MHz"] is False and r["goals"]["Fmax_est(ipb_clk)>=125MHz"] is False
    dev = {"name": "XCVU13P", "source": "test", "LUT": 1, "FF": 1, "CARRY8": 1, "DSP": 1, "BRAM36": 1}
    md = fw_report.markdown(dict(data, configs=list(rows.values()), device=dev))
    assert "### Longest paths per stage, k8_r1 (" in md
    assert "`clk` 400.0 MHz (2.5 ns, 5 registers), `ipb_clk` 100.0 MHz" in md
    assert "| `clk` | `ipb_clk` | 3.35 | {'LUT': 5} | `snap` | `rdata` | no" in md
