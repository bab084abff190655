"""reports/firmware.json merging: a partial `make cosim` run takes only its own records."""
from __future__ import annotations

import json
import os
import sys
import time

from conftest import REPO

sys.path.insert(0, os.path.join(REPO, "testbench"))
import fw_report  # noqa: E402


def test_collect_cosim_since_skips_records_of_earlier_runs(tmp_path):
    sim = tmp_path / "sim"
    for name, k, r in (("l1ot_kernel_k32_r1", 32, 1), ("l1ot_kernel_k8_r4", 8, 4)):
        (sim / name).mkdir(parents=True)
        (sim / name / "results.json").write_text(json.dumps({"_meta": {"k": k, "reuse": r, "variant": ""}}))
    old = sim / "l1ot_kernel_k32_r1" / "results.json"
    t_old = time.time() - 3600
    os.utime(old, (t_old, t_old))
    t0 = time.time() - 60
    assert set(fw_report.collect_cosim(tmp_path)) == {"k32_r1", "k8_r4"}
    assert set(fw_report.collect_cosim(tmp_path, since=t0)) == {"k8_r4"}
