#!/usr/bin/env python3
"""CMSSW emulator library of the HLS kernel (`make emulator`, docs/emulator.md).

For an export (``build/export/k<K>/``: ``parameters.h``, ``l1ot_gt.h``,
``golden_gt.txt``, made by ``l1ot.artifacts.ensure``) build

    lib<name>.so     hls/emulator/l1ot_emulator.cpp + hls/firmware/l1ot.cpp + parameters.h
                     (g++ -std=c++17 -O2 -Wall -Wextra -Werror -fPIC -shared -fvisibility=hidden,
                     the ap_types headers of the installed hls4ml package): the hls4mlEmulator
                     interface, extern "C" create_model / destroy_model
    emulator_host    hls/emulator/emulator_host.cpp: loads "<dir>/lib<name>" as the CMSSW
                     loader does (dlopen "<name>.so", RTLD_LAZY | RTLD_LOCAL) and runs every
                     GT-word golden vector

into ``BUILD/emulator/``, run the host and require 0 mismatches. ``<name>`` comes
from the export (:func:`emulator_name`). Writes ``reports/emulator.json``.
Exit code 0 if every vector passed, 1 on a mismatch or build failure, 2 on a set-up error.

Usage: hls/run_emulator.py [--build build] [--k 32] [--export-dir DIR] [--report reports/emulator.json]
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import re
import subprocess
import sys
import time
from pathlib import Path

HLS_DIR = Path(__file__).resolve().parent
REPO = HLS_DIR.parent
EMU = HLS_DIR / "emulator"
FIRMWARE = HLS_DIR / "firmware"


def _run_csim():
    spec = importlib.util.spec_from_file_location("l1ot_run_csim", HLS_DIR / "run_csim.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


csim = _run_csim()
SetupError = csim.SetupError
LIB_FLAGS = ["-fPIC", "-shared", "-fvisibility=hidden", "-fvisibility-inlines-hidden"]


def emulator_name(export_dir: Path) -> str:
    """Library name of an export (the library is ``lib<name>.so``): the export's name, the
    ``name`` of its ``export.json``; without one (an older export),
    :func:`l1ot.export.rtl.default_name` of K and the transport in parameters.h, the
    default of ``l1ot export --name``."""
    export_dir = Path(export_dir)
    ej = export_dir / "export.json"
    if ej.is_file():
        name = json.loads(ej.read_text()).get("name")
        if name:
            return str(name)
    text = (export_dir / "parameters.h").read_text()
    k = re.search(r"N_MEDOID\s*=\s*(\d+)", text)
    t = re.search(r'L1OT_TRANSPORT\s+"(\w+)"', text)
    if not k or not t:
        raise SetupError(f"{export_dir / 'parameters.h'}: N_MEDOID / L1OT_TRANSPORT not found (not made by l1ot export?)")
    from l1ot.export.rtl import default_name

    return default_name(int(k.group(1)), t.group(1))


def check_export(export_dir: Path) -> Path:
    export_dir = Path(export_dir)
    for name in ("parameters.h", "l1ot_gt.h", "golden_gt.txt"):
        if not (export_dir / name).is_file():
            raise SetupError(f"{export_dir / name} not found: run `make export` (l1ot export; Phase-2 configs only)")
    return export_dir


def _compile(cmd: list, log: Path) -> float:
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True)
    log.write_text(" ".join(map(str, cmd)) + "\n" + p.stdout + p.stderr)
    if p.returncode != 0:
        raise RuntimeError(f"compilation failed ({log}):\n{p.stderr[-4000:]}")
    return time.monotonic() - t0


def build_library(export_dir: Path, out_dir: Path, name: str | None = None, extra_flags=()) -> tuple[Path, float]:
    """Compile ``lib<name>.so`` for one export. Returns (library path, seconds)."""
    export_dir = check_export(export_dir)
    name = name or emulator_name(export_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    lib = out_dir / f"lib{name}.so"
    cmd = [csim.compiler(), *csim.CXXFLAGS, *LIB_FLAGS, "-isystem", str(csim.ap_types_dir()), f"-I{FIRMWARE}",
           f"-I{export_dir}", f"-I{EMU}", f'-DL1OT_EMULATOR_NAME="{name}"', *extra_flags,
           str(EMU / "l1ot_emulator.cpp"), str(FIRMWARE / "l1ot.cpp"), "-o", str(lib)]
    return lib, _compile(cmd, out_dir / f"lib{name}.compile.log")


def build_host(out_dir: Path) -> tuple[Path, float]:
    """Compile the loader host ``emulator_host`` (independent of the export)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    exe = out_dir / "emulator_host"
    cmd = [csim.compiler(), *csim.CXXFLAGS, f"-I{EMU}", str(EMU / "emulator_host.cpp"), "-ldl", "-o", str(exe)]
    return exe, _compile(cmd, out_dir / "emulator_host.compile.log")


def run_host(host: Path, lib: Path, golden: Path, *args) -> subprocess.CompletedProcess:
    """``emulator_host <lib without .so> <golden>``: the loader name is the library path minus ``.so``."""
    model = str(lib)[:-len(".so")]
    return subprocess.run([str(host), model, str(golden), *args], capture_output=True, text=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default="build", help="build directory (default: build)")
    ap.add_argument("--data", default="data", help="sample directory for training (default: data)")
    ap.add_argument("--k", type=int, default=32, help="K of the export (default 32)")
    ap.add_argument("--export-dir", type=Path, help="use this export directory (no l1ot.artifacts call)")
    ap.add_argument("--report", type=Path, default=REPO / "reports" / "emulator.json")
    args = ap.parse_args(argv)
    build = Path(args.build).resolve()
    try:
        if args.export_dir:
            exp = check_export(args.export_dir)
        else:
            exp = check_export(csim.find_exports(build, [args.k], ensure=True, data_dir=args.data)[0])
        name = emulator_name(exp)
        out = build / "emulator"
        lib, t_lib = build_library(exp, out, name)
        host, t_host = build_host(out)
    except SetupError as exc:
        print(f"run_emulator: error: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:
        print(f"run_emulator: {exc}", file=sys.stderr)
        return 1
    golden = exp / "golden_gt.txt"
    t0 = time.monotonic()
    p = run_host(host, lib, golden)
    dt = time.monotonic() - t0
    m = csim.RESULT_RE.search(p.stdout)
    rec = {"name": name, "library": csim._show(lib), "golden": csim._show(golden), "exit_code": p.returncode,
           "compile_s": round(t_lib, 1), "run_s": round(dt, 3)}
    if m:
        rec["passed"], rec["mismatches"] = int(m.group(1)), int(m.group(2))
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps(rec, indent=2, sort_keys=True) + "\n")
    sys.stdout.write(p.stdout)
    sys.stderr.write(p.stderr)
    print(f"library {csim._show(lib)} (compile {t_lib:.1f} s); host {csim._show(host)}; report {csim._show(args.report)}")
    return 0 if p.returncode == 0 and m and int(m.group(2)) == 0 else (p.returncode or 1)


if __name__ == "__main__":
    sys.exit(main())
