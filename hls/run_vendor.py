#!/usr/bin/env python3
"""Vitis HLS flow for the l1ot kernel (`make hls-synth`, `make ip`).

    hls/run_vendor.py synth [--build build] [--k 32] [--reuse R] [--preset phase2|run3]
                            [--part PART] [--clock-mhz F | --clock-ns T] [--no-cosim]
    hls/run_vendor.py ip    ...   (same, plus export_design -format ip_catalog)

Needs ``vitis_hls`` on PATH; without it prints one line and exits with code 2.
The flow is NOT tested on the development machines (no Xilinx tools there):
the open path is ``make csim`` (g++ + ap_types).

Steps: prepare ``<build>/hls_prj/<name>/`` (firmware sources, the generated
``parameters.h``, testbench, golden vectors, ``build_prj.tcl``, ``project.tcl``
with part / clock / reuse factor), run
``vitis_hls -f build_prj.tcl -tclargs "reset=1 csim=1 synth=1 cosim=1 export=0|1"``,
then turn ``csynth.xml`` into ``reports/hls_<name>.json`` (``parse_csynth.py``).

Presets:

* ``phase2`` (default): Phase-2 object words, ``xcvu13p-flga2577-2-e``,
  480 MHz (2.083 ns), export ``<build>/export/k<K>`` (``l1ot.artifacts.ensure``);
* ``run3``: Run-3 uGT object scales at 40 MHz (25 ns); export made with
  ``model/l1ot/kernel/configs/kernel_run3.json`` in ``<build>/export/k<K>_run3``
  (or ``--export-dir``).
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

HLS_DIR = Path(__file__).resolve().parent
REPO = HLS_DIR.parent
sys.path.insert(0, str(HLS_DIR))
from parse_csynth import ReportError, parse_csynth  # noqa: E402

TOOL = "vitis_hls"
PRESETS = {
    "phase2": {"part": "xcvu13p-flga2577-2-e", "clock_mhz": 480.0, "export": "k{k}"},
    "run3": {"part": "xcvu13p-flga2577-2-e", "clock_mhz": 40.0, "export": "k{k}_run3"},
}
FIRMWARE_FILES = ("l1ot.cpp", "l1ot.h", "l1ot_ap.h", "l1ot_common.h", "l1ot_kernel.h")


class FlowError(Exception):
    """Set-up problem: one-line message, exit code 2."""


def clock_period_ns(clock_mhz: float | None, clock_ns: float | None, preset: dict) -> float:
    if clock_ns is not None:
        period = float(clock_ns)
    else:
        period = 1000.0 / float(clock_mhz if clock_mhz is not None else preset["clock_mhz"])
    if not period > 0:
        raise FlowError("clock period must be > 0")
    return round(period, 3)


def find_export(args, preset_name: str) -> Path:
    if args.export_dir is not None:
        d = Path(args.export_dir)
    elif preset_name == "phase2":
        d = None
        try:
            from l1ot import artifacts
        except ImportError as exc:
            raise FlowError(f"l1ot.artifacts is not available ({exc})") from None
        from l1ot.errors import L1otError

        try:
            paths = artifacts.ensure(k=args.k, build=str(args.build))
        except L1otError as exc:
            raise FlowError(f"l1ot.artifacts.ensure(k={args.k}): {exc}") from None
        if isinstance(paths, dict):
            for v in paths.values():
                if isinstance(v, (str, Path)) and Path(v).name == "parameters.h":
                    d = Path(v).parent
        d = d or Path(args.build) / "export" / PRESETS[preset_name]["export"].format(k=args.k)
    else:
        d = Path(args.build) / "export" / PRESETS[preset_name]["export"].format(k=args.k)
        if not (d / "parameters.h").is_file():
            raise FlowError(
                f"{d}/parameters.h not found: export the Run-3 configuration first, e.g. "
                f"`l1ot export --config model/l1ot/kernel/configs/kernel_run3.json --out {d} ...`, "
                "or pass --export-dir")
    for name in ("parameters.h", "golden.txt"):
        if not (d / name).is_file():
            raise FlowError(f"{d / name} not found: run `make export`")
    return d


def prepare_project(prj: Path, export_dir: Path, part: str, period_ns: float, uncertainty: str,
                    reuse: int, version: str) -> Path:
    """Copy sources, generated header, testbench and golden vectors; write project.tcl."""
    if prj.exists():
        shutil.rmtree(prj)
    (prj / "firmware").mkdir(parents=True)
    (prj / "tb").mkdir()
    (prj / "tb_data").mkdir()
    for f in FIRMWARE_FILES:
        shutil.copy2(HLS_DIR / "firmware" / f, prj / "firmware" / f)
    shutil.copy2(export_dir / "parameters.h", prj / "firmware" / "parameters.h")
    shutil.copy2(HLS_DIR / "tb" / "l1ot_test.cpp", prj / "tb" / "l1ot_test.cpp")
    shutil.copy2(export_dir / "golden.txt", prj / "tb_data" / "golden.txt")
    shutil.copy2(HLS_DIR / "build_prj.tcl", prj / "build_prj.tcl")
    (prj / "project.tcl").write_text(
        "# written by hls/run_vendor.py\n"
        'set project_name "l1ot"\n'
        f'set part "{part}"\n'
        f"set clock_period {period_ns}\n"
        f'set clock_uncertainty "{uncertainty}"\n'
        f"set reuse {int(reuse)}\n"
        f'set version "{version}"\n')
    return prj


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Vitis HLS flow for the l1ot kernel (needs vitis_hls)")
    ap.add_argument("step", choices=("synth", "ip"), help="synth: csim+csynth+cosim; ip: also export IP")
    ap.add_argument("--build", type=Path, default=Path("build"))
    ap.add_argument("--k", type=int, default=32, help="medoids K (default 32)")
    ap.add_argument("--reuse", type=int, default=None, help="reuse factor R (default: the config's)")
    ap.add_argument("--preset", choices=sorted(PRESETS), default="phase2")
    ap.add_argument("--part", default=None, help="FPGA part (default xcvu13p-flga2577-2-e)")
    clk = ap.add_mutually_exclusive_group()
    clk.add_argument("--clock-mhz", type=float, default=None, help="clock (default 480 MHz; run3: 40)")
    clk.add_argument("--clock-ns", type=float, default=None, help="clock period in ns")
    ap.add_argument("--uncertainty", default="12.5%", help="clock uncertainty (default 12.5%%)")
    ap.add_argument("--no-cosim", action="store_true", help="skip C/RTL co-simulation")
    ap.add_argument("--no-csim", action="store_true", help="skip C simulation")
    ap.add_argument("--export-dir", type=Path, default=None, help="export directory (parameters.h, golden.txt)")
    ap.add_argument("--report-dir", type=Path, default=REPO / "reports")
    ap.add_argument("--version", default="1.0", help="IP version")
    args = ap.parse_args(argv)

    tool = shutil.which(TOOL)
    if tool is None:
        print(f"run_vendor: error: {TOOL} not found on PATH; the Vitis HLS flow needs AMD Vitis HLS "
              "(source its settings64.sh); the open flow is `make csim`", file=sys.stderr)
        return 2
    try:
        preset = PRESETS[args.preset]
        period = clock_period_ns(args.clock_mhz, args.clock_ns, preset)
        part = args.part or preset["part"]
        export_dir = find_export(args, args.preset)
        reuse = args.reuse
        if reuse is None:
            m = re.search(r"#define L1OT_REUSE (\d+)", (export_dir / "parameters.h").read_text())
            reuse = int(m.group(1)) if m else 1
        if reuse < 1:
            raise FlowError("--reuse must be >= 1")
        name = f"l1ot_{export_dir.name}_r{reuse}_{args.preset}_{period:g}ns".replace(".", "p")
        prj = prepare_project(Path(args.build) / "hls_prj" / name, export_dir, part, period,
                              args.uncertainty, reuse, args.version)
    except FlowError as exc:
        print(f"run_vendor: error: {exc}", file=sys.stderr)
        return 2

    opts = {"reset": 1, "csim": 0 if args.no_csim else 1, "synth": 1,
            "cosim": 0 if args.no_cosim else 1, "export": 1 if args.step == "ip" else 0}
    tclargs = " ".join(f"{k}={v}" for k, v in opts.items())
    cmd = [tool, "-f", "build_prj.tcl", "-tclargs", tclargs]
    print(f"run_vendor: {prj}: {' '.join(cmd)}")
    log = prj / "vitis_hls.log"
    with open(log, "w") as fh:
        p = subprocess.run(cmd, cwd=prj, stdout=fh, stderr=subprocess.STDOUT)
    if p.returncode != 0:
        print(f"run_vendor: error: {TOOL} exited with code {p.returncode}; see {log}", file=sys.stderr)
        return 1

    sol = prj / "l1ot_prj" / "solution1"
    try:
        rep = parse_csynth(sol / "syn" / "report" / "csynth.xml")
    except ReportError as exc:
        print(f"run_vendor: error: {exc}", file=sys.stderr)
        return 1
    m = re.search(r"N_MEDOID\s*=\s*(\d+)", (export_dir / "parameters.h").read_text())
    rep.update({"K": int(m.group(1)) if m else None, "R": reuse, "preset": args.preset,
                "part_requested": part, "clock_period_ns": period, "export_dir": str(export_dir),
                "project": str(prj)})
    if opts["cosim"]:
        rpts = sorted((sol / "sim" / "report").glob("*cosim.rpt")) if (sol / "sim" / "report").is_dir() else []
        text = rpts[0].read_text() if rpts else ""
        rep["cosim"] = "pass" if "Pass" in text else ("fail" if "Fail" in text else "unknown")
    if opts["export"]:
        ips = sorted((sol / "impl").glob("**/*.zip")) if (sol / "impl").is_dir() else []
        rep["ip"] = str(ips[0]) if ips else None
    args.report_dir.mkdir(parents=True, exist_ok=True)
    out = args.report_dir / f"hls_{name}.json"
    out.write_text(json.dumps(rep, indent=2) + "\n")
    print(f"run_vendor: latency {rep['latency_cycles']} cycles, II {rep['ii']}, LUT {rep['lut']}, "
          f"FF {rep['ff']}, DSP {rep['dsp']}, BRAM_18K {rep['bram']} -> {out}")
    if rep.get("cosim") == "fail" or (opts["export"] and not rep.get("ip")):
        print("run_vendor: error: co-simulation failed or no IP archive produced", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
