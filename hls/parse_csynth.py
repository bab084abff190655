#!/usr/bin/env python3
"""Vitis HLS csynth report (XML) -> the JSON shape of the open-flow report.

Reads ``<prj>/solution1/syn/report/csynth.xml`` (root ``<profile>``):

* ``PerformanceEstimates/SummaryOfOverallLatency``: ``Best-caseLatency``,
  ``Worst-caseLatency``, ``Interval-min``, ``Interval-max`` (cycles; may be
  ``undef``);
* ``PerformanceEstimates/SummaryOfTimingAnalysis/EstimatedClockPeriod`` and
  ``UserAssignments/TargetClockPeriod``, ``UserAssignments/Part`` (ns, text);
* ``AreaEstimates/Resources``: ``BRAM_18K``, ``DSP`` (``DSP48E`` in older
  releases), ``FF``, ``LUT``, ``URAM``; ``AreaEstimates/AvailableResources``.

Output (same keys as ``reports/firmware.json`` of the open flow, plus details)::

    {"latency_cycles": int, "ii": int, "lut": int, "ff": int, "dsp": int,
     "bram": int, ...}

``bram`` counts BRAM_18K blocks (``bram_unit`` says so).

Usage: hls/parse_csynth.py csynth.xml [-o out.json]
"""
from __future__ import annotations

import argparse
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


class ReportError(Exception):
    """The report is missing or does not have the csynth.xml layout."""


def _int(node, path, file, required=True):
    el = node.find(path)
    if el is None or el.text is None:
        if required:
            raise ReportError(f"{file}: element {path} missing")
        return None
    text = el.text.strip()
    if text in ("", "undef", "-"):
        return None
    try:
        return int(text)
    except ValueError:
        raise ReportError(f"{file}: element {path} is not an integer: {text!r}") from None


def _float(node, path):
    el = node.find(path)
    if el is None or el.text is None:
        return None
    try:
        return float(el.text.strip())
    except ValueError:
        return None


def _text(node, path):
    el = node.find(path)
    return None if el is None or el.text is None else el.text.strip()


def parse_csynth(path) -> dict:
    """Parse a csynth.xml file. Raises :class:`ReportError` with the file name."""
    path = Path(path)
    if not path.is_file():
        raise ReportError(f"{path}: csynth report not found")
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise ReportError(f"{path}: not valid XML ({exc})") from None
    perf = root.find("PerformanceEstimates")
    area = root.find("AreaEstimates")
    if perf is None or area is None:
        raise ReportError(f"{path}: PerformanceEstimates / AreaEstimates missing (not a csynth.xml?)")
    lat = "SummaryOfOverallLatency/"
    res = "Resources/"
    dsp = _int(area, res + "DSP", path, required=False)
    if dsp is None:
        dsp = _int(area, res + "DSP48E", path)
    out = {
        "latency_cycles": _int(perf, lat + "Worst-caseLatency", path),
        "ii": _int(perf, lat + "Interval-min", path),
        "lut": _int(area, res + "LUT", path),
        "ff": _int(area, res + "FF", path),
        "dsp": dsp,
        "bram": _int(area, res + "BRAM_18K", path),
        "bram_unit": "BRAM_18K",
        "uram": _int(area, res + "URAM", path, required=False),
        "latency_cycles_best": _int(perf, lat + "Best-caseLatency", path, required=False),
        "ii_max": _int(perf, lat + "Interval-max", path, required=False),
        "clock_target_ns": _float(root, "UserAssignments/TargetClockPeriod"),
        "clock_estimated_ns": _float(perf, "SummaryOfTimingAnalysis/EstimatedClockPeriod"),
        "part": _text(root, "UserAssignments/Part"),
        "top": _text(root, "UserAssignments/TopModelName"),
        "tool": "vitis_hls",
        "source": str(path),
    }
    avail = area.find("AvailableResources")
    if avail is not None:
        out["available"] = {el.tag.lower(): int(el.text) for el in avail
                            if el.text and el.text.strip().isdigit()}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Vitis HLS csynth.xml -> JSON report")
    ap.add_argument("report", type=Path, help="csynth.xml")
    ap.add_argument("-o", "--out", type=Path, help="write JSON here (default: stdout)")
    args = ap.parse_args(argv)
    try:
        rep = parse_csynth(args.report)
    except ReportError as exc:
        print(f"parse_csynth: error: {exc}", file=sys.stderr)
        return 2
    text = json.dumps(rep, indent=2) + "\n"
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
