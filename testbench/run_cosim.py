#!/usr/bin/env python3
"""``make cosim``: build and run every cocotb test of the RTL, then print the report.

Runs pytest on ``testbench/`` (one Verilator build per configuration, every
configuration class with its full golden-vector selection: ``L1OT_COSIM_FULL=1``),
gathers the per-configuration records from ``BUILD/sim/*/results.json`` and the
float check, and writes ``--report`` (default ``reports/firmware.json``) and the
``.md`` beside it
(merged with the synthesis figures of ``make synth`` if present). A failing
configuration is still reported: its first mismatches, failing cocotb tests and
log path (section "Cosim failures"); the exit code is pytest's.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "testbench"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("-k", dest="select", default=None, help="pytest -k selection")
    ap.add_argument("--report", default=str(REPO / "reports" / "firmware.json"),
                    help="JSON report to merge into (default reports/firmware.json; the .md goes beside it)")
    args = ap.parse_args(argv)
    build = Path(args.build).resolve()
    # full vector selection of every configuration class (`make test` runs the fast one)
    env = dict(os.environ, L1OT_BUILD=str(build), L1OT_COSIM_FULL="1")
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(REPO / "testbench")]
    if args.select:
        cmd += ["-k", args.select]
    t0 = time.time()
    rc = subprocess.call(cmd, cwd=REPO, env=env)
    import fw_report

    def merge(data):
        # only records written by this run replace the report's; a run of a subset
        # of configurations (-k) keeps the others as they are (not stale files in BUILD)
        data["cosim"] = {**data.get("cosim", {}), **fw_report.collect_cosim(build, since=t0)}
        fc = build / "sim" / "float_check.json"
        if fc.exists() and fc.stat().st_mtime >= t0:
            data["float_check"] = json.loads(fc.read_text())

    print(fw_report.update(merge, args.report))
    return rc


if __name__ == "__main__":
    sys.exit(main())
