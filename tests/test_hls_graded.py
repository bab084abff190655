"""HLS graded trigger bits (``l1ot_score_graded``): thresholds as top-level inputs, N bits
bit-exact against ``golden_graded.txt`` (scores at T - 1, T, T + 1 of each threshold);
a flipped expected bit is detected. Synthetic export (test fixture, not physics), N = 3."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
from test_hls_csim import _toolchain_or_skip, make_synthetic_export, run_csim  # noqa: E402

pytestmark = pytest.mark.hw


def test_graded_csim_bit_exact_and_detects_a_flipped_bit(tmp_path):
    from l1ot.export import graded_golden as gg
    from l1ot.kernel import fixed

    _toolchain_or_skip()
    ex = make_synthetic_export(tmp_path / "k8", n_golden=1200)
    cfg = fixed.KernelConfig.load()
    sys.path.insert(0, str(REPO / "testbench"))
    import tbutil
    ev = tbutil.random_medoid_events(np.random.default_rng(3), 8)
    top = [((1 << b) - 1 if a == "pt" else (1 << (b - 1)) - 1) * cfg.field_lsb[a]
           for a, b in (("pt", cfg.pt_bits), ("eta", cfg.eta_bits), ("phi", cfg.phi_bits))]
    ev[7, :, :3] = np.array(top, dtype=np.float32)
    ev[7, :, 3] = 4
    rom = fixed.medoid_rom(ev, cfg)
    thr = [25, 400, 5000]
    s = gg.write_for_export(ex / "golden_graded.txt", cfg, rom, thr, ex / "golden.txt")
    assert sum(s["counts"].get(c, 0) for c in gg.CATEGORIES) >= 9
    exe, _ = run_csim.build(ex, 1, tmp_path / "b", tb=run_csim.TB_GRADED, defines=("-DL1OT_N_THR=3",))
    r = run_csim.run_binary(exe, ex / "golden_graded.txt")
    assert r["exit_code"] == 0 and r["failed"] == 0 and r["passed"] == s["n_events"], r["output"][-2000:]
    # flip bit 1 of the first 'graded_at' line of threshold 1 (score exactly 400)
    lines = (ex / "golden_graded.txt").read_text().splitlines(keepends=True)
    i = next(i for i, ln in enumerate(lines) if "graded_at" in ln and int(ln.split()[19], 16) == 400)
    tok = lines[i].split("#")[0].split()
    tok[22] = f"{int(tok[22], 16) ^ 2:x}"
    lines[i] = " ".join(tok) + "  # graded_at\n"
    bad = tmp_path / "bad.txt"
    bad.write_text("".join(lines))
    r = run_csim.run_binary(exe, bad)
    assert r["exit_code"] == 1 and r["failed"] == 1
    assert f"MISMATCH line {i + 1}" in r["output"]
