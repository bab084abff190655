#!/usr/bin/env python3
"""Graded thresholds and counters read back through uhal from the co-simulated register bank.

Builds (once) the K = 8 top ``<name>_kernel_cm_ipb`` of ``l1ot export``; through uhal
over our IPbus 2.0 UDP endpoint reads the ID words and reset thresholds, writes and
commits 8 graded thresholds (quantiles of the streamed scores: a demo fixture), streams
the golden selection and reads back the thresholds and the snapshot counters; prints
them beside the Python counts of the same events (``make demo``'s last step).

Usage: uhal_readback.py [--build build] [--report BUILD/demo/uhal_readback.json]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))


def table(rec: dict) -> str:
    ids, c = rec["ids"], rec["counters"]
    L = [f"Register bank read back through uhal (ipbusudp-2.0 endpoint on 127.0.0.1, Verilator cosim): "
         f"K = {ids['k']}, {ids['n_thr']} graded thresholds, score {ids['score_w']} bit, "
         f"config {ids['config_sha']:08x}, firmware 0x{ids['fw_version']:06x}", "",
         "| bit | threshold | trigger counter (uhal) | Python count |", "|---|---|---|---|"]
    for i, t in enumerate(rec["thresholds"]):
        L.append(f"| {i} | {t} | {c[f'trig{i}']} | {rec['python_trig'][i]} |")
    L += ["", f"thresholds: reset values (model file) {rec['reset_thresholds']}; the graded set above was "
          "written and committed through uhal before the stream (quantiles of the streamed scores)",
          f"events {c['events']} (streamed {rec['events_streamed']}), saturated {c['sat']}, "
          f"overrun {c['overrun']}; {rec['packets']['control']} IPbus packets"]
    return "\n".join(L)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--report", default=None, help="JSON record (default BUILD/demo/uhal_readback.json)")
    a = ap.parse_args(argv)
    os.environ["L1OT_BUILD"] = str(Path(a.build).resolve())
    report = Path(a.report or Path(a.build) / "demo" / "uhal_readback.json").resolve()
    report.parent.mkdir(parents=True, exist_ok=True)
    try:
        import uhal  # noqa: F401
    except ImportError:
        print("uhal_readback: uhal is not installed (pip install uhal; it is in the dev extra)", file=sys.stderr)
        return 2
    from test_uhal_top import run_top

    try:
        rec = run_top("uhal_readback", report)
    except BaseException as exc:  # pytest.skip / pytest.fail outside pytest
        print(f"uhal_readback: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(table(rec))
    ok = [rec["counters"][f"trig{i}"] for i in range(len(rec["thresholds"]))] == rec["python_trig"]
    if not ok:
        print("uhal_readback: trigger counters differ from the Python counts", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
