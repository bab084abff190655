#!/usr/bin/env python3
"""HLS C simulation on g++ with the open ap_types headers (`make csim`).

For every exported model (``build/export/k<K>/``: ``parameters.h`` +
``golden.txt``, made by ``l1ot.artifacts.ensure``) and every reuse factor R,
compile the kernel and its testbench with

    g++ -std=c++17 -O2 -Wall -Wextra -Werror -Wno-unknown-pragmas -Wno-unused-label
        -isystem <hls4ml>/templates/vivado/ap_types -DL1OT_REUSE=<R> ...

run all golden vectors, and require 0 mismatches and, where the export has an
``export.json``, as many saturated scores as the Python model counted there
(``golden.n_score_sat``). ``-Wno-unknown-pragmas``
and ``-Wno-unused-label`` are there because ``#pragma HLS`` lines and loop
labels are meant for the HLS compiler, not g++. No Xilinx tool is used.

Writes ``reports/csim.json`` ({config: {vectors, mismatches, R, K, ...}}) and
prints a table. Exit code 0 if every configuration passed, 1 on any mismatch,
a saturation count that differs from export.json, or a build failure, 2 on a set-up error (missing compiler, headers, exports).

Usage: hls/run_csim.py [--build build] [--k 32 [--k 8]] [--reuse 1 4 12]
                       [--export-dir DIR ...] [--report reports/csim.json]
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

HLS_DIR = Path(__file__).resolve().parent
REPO = HLS_DIR.parent
FIRMWARE = HLS_DIR / "firmware"
TB = HLS_DIR / "tb" / "l1ot_test.cpp"
#: graded trigger bits (l1ot_score_graded) on golden_graded.txt, where the export has it
TB_GRADED = HLS_DIR / "tb" / "l1ot_graded_test.cpp"
DEFAULT_REUSE = (1, 4, 12)
CXXFLAGS = ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Werror",
            # HLS pragmas and loop labels are for the HLS compiler
            "-Wno-unknown-pragmas", "-Wno-unused-label"]
RESULT_RE = re.compile(r"^(\d+) passed, (\d+) failed\s*$", re.M)


class SetupError(Exception):
    """Missing compiler, headers or exported files: one-line message, exit 2."""


def ap_types_dir() -> Path:
    """The ap_types headers shipped with the installed hls4ml package."""
    spec = importlib.util.find_spec("hls4ml")
    if spec is None or not spec.submodule_search_locations:
        raise SetupError("the hls4ml package (ap_types headers) is not installed: pip install -e '.[hw]'")
    for loc in spec.submodule_search_locations:
        d = Path(loc) / "templates" / "vivado" / "ap_types"
        if (d / "ap_int.h").is_file():
            return d
    raise SetupError("hls4ml is installed but templates/vivado/ap_types/ap_int.h was not found in it")


def compiler() -> str:
    cxx = os.environ.get("CXX", "g++")
    path = shutil.which(cxx)
    if path is None:
        raise SetupError(f"C++ compiler '{cxx}' not found on PATH (set CXX)")
    return path


def read_k(export_dir: Path) -> int:
    """K from the generated parameters.h."""
    m = re.search(r"N_MEDOID\s*=\s*(\d+)", (export_dir / "parameters.h").read_text())
    if not m:
        raise SetupError(f"{export_dir / 'parameters.h'}: N_MEDOID not found (not made by l1ot export?)")
    return int(m.group(1))


def check_export(export_dir: Path) -> Path:
    export_dir = Path(export_dir)
    for name in ("parameters.h", "golden.txt"):
        if not (export_dir / name).is_file():
            raise SetupError(f"{export_dir / name} not found: run `make export` (l1ot export)")
    return export_dir


def default_strategy(reuse: int) -> int:
    """Distance strategy parameters.h picks for R (L1OT_STRATEGY): 1 = constant-matrix identity at R = 1."""
    return 1 if int(reuse) == 1 else 0


def build(export_dir: Path, reuse: int, out_dir: Path, cxx: str | None = None,
          ap_dir: Path | None = None, strategy: int | None = None, tb: Path = TB,
          defines: tuple = ()) -> tuple[Path, float]:
    """Compile kernel + testbench for one export and one R. Returns (binary, seconds).

    Raises RuntimeError with the compiler output on failure.
    """
    cxx = cxx or compiler()
    ap_dir = ap_dir or ap_types_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    exe = out_dir / "l1ot_csim"
    cmd = [cxx, *CXXFLAGS, "-isystem", str(ap_dir), f"-I{FIRMWARE}", f"-I{export_dir}",
           f"-DL1OT_REUSE={int(reuse)}",
           *([f"-DL1OT_STRATEGY={int(strategy)}"] if strategy is not None else []), *defines, str(tb), str(FIRMWARE / "l1ot.cpp"), "-o", str(exe)]
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True)
    dt = time.monotonic() - t0
    (out_dir / "compile.log").write_text(" ".join(cmd) + "\n" + p.stdout + p.stderr)
    if p.returncode != 0:
        raise RuntimeError(f"compilation failed ({out_dir / 'compile.log'}):\n{p.stderr[-4000:]}")
    return exe, dt


def run_binary(exe: Path, golden: Path, max_print: int = 3) -> dict:
    """Run one testbench binary on a golden file; parse its closing line."""
    t0 = time.monotonic()
    p = subprocess.run([str(exe), str(golden), "--max-print", str(max_print)],
                       capture_output=True, text=True)
    dt = time.monotonic() - t0
    out = p.stdout + p.stderr
    m = RESULT_RE.search(p.stdout)
    sat = re.search(r"score saturations: (\d+) of (\d+)", p.stdout)
    res = {"exit_code": p.returncode, "output": out, "run_s": round(dt, 3)}
    if m:
        res["passed"], res["failed"] = int(m.group(1)), int(m.group(2))
    if sat:
        res["score_saturations"] = int(sat.group(1))
    return res


def export_saturations(export_dir: Path) -> int | None:
    """Saturated scores of the golden file by the Python model, from ``export_dir/export.json``
    (``golden.n_score_sat``, written by ``l1ot export``); None without that file or key."""
    p = Path(export_dir) / "export.json"
    if not p.is_file():
        return None
    try:
        v = json.loads(p.read_text()).get("golden", {}).get("n_score_sat")
    except ValueError:
        return None
    return None if v is None else int(v)


def saturation_problem(csim_count: int | None, export_count: int | None) -> str | None:
    """Why the csim saturation count disagrees with export.json's (None when it agrees or
    export.json has none to compare with)."""
    if export_count is None:
        return None
    if csim_count is None:
        return f"the testbench reported no score saturation count (export.json: {export_count})"
    if csim_count != export_count:
        return f"score saturations {csim_count} in csim, {export_count} in export.json (the Python model)"
    return None


def find_exports(build_dir: Path, ks, ensure: bool, data_dir="data") -> list[Path]:
    """Export directories to simulate: l1ot.artifacts.ensure(k) for each requested K,
    plus every other build/export/k*/ that holds parameters.h and golden.txt."""
    dirs = []
    if ensure:
        try:
            from l1ot import artifacts
        except ImportError as exc:
            raise SetupError(f"l1ot.artifacts is not available ({exc})") from None
        for k in ks:
            from l1ot.errors import L1otError

            try:
                paths = artifacts.ensure(k=k, build=str(build_dir), data=str(data_dir))
            except L1otError as exc:
                raise SetupError(f"l1ot.artifacts.ensure(k={k}): {exc}") from None
            d = None
            if isinstance(paths, dict):
                for v in paths.values():
                    if isinstance(v, (str, Path)) and Path(v).name == "parameters.h":
                        d = Path(v).parent
                        break
            dirs.append(check_export(d or build_dir / "export" / f"k{k}"))
    export_root = build_dir / "export"
    if export_root.is_dir():
        for d in sorted(export_root.glob("k*")):
            if (d / "parameters.h").is_file() and (d / "golden.txt").is_file():
                if all(d.resolve() != x.resolve() for x in dirs):
                    dirs.append(d)
    if not dirs:
        raise SetupError(f"no exported model under {export_root}: run `make export`")
    return dirs


def _show(path: Path) -> str:
    """Path relative to the repository when inside it (reports stay machine independent)."""
    try:
        return str(Path(path).resolve().relative_to(REPO))
    except ValueError:
        return str(path)


def scan_golden(golden: Path) -> tuple[int, dict]:
    """Number of data lines and the key-value header (line 2) of a golden file."""
    n, header = 0, {}
    with open(golden) as f:
        for i, line in enumerate(f):
            s = line.strip()
            if s.startswith("#"):
                tok = s[1:].split()
                if i == 1 and len(tok) % 2 == 0:
                    header = dict(zip(tok[::2], tok[1::2]))
            elif s:
                n += 1
    return n, header


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default="build", help="build directory (default: build)")
    ap.add_argument("--data", default="data", help="sample directory for training (default: data)")
    ap.add_argument("--k", type=int, action="append", help="K to export and simulate (default: 32)")
    ap.add_argument("--reuse", type=int, nargs="+", default=list(DEFAULT_REUSE),
                    help="reuse factors R (default: 1 4 12)")
    ap.add_argument("--export-dir", action="append", type=Path,
                    help="simulate this export directory instead (no l1ot.artifacts call)")
    ap.add_argument("--species-k", type=int, action="append", default=[],
                    help="also simulate the trained species export of this K (build/export/k<K>_species, "
                         "testbench/tbutil.species_export: species transport, kernel_species.json)")
    ap.add_argument("--report", type=Path, default=REPO / "reports" / "csim.json",
                    help="JSON report (default: reports/csim.json)")
    ap.add_argument("--strategies", choices=("default", "both-r1", "both"), default="both-r1",
                    help="distance strategies per R: parameters.h default only, both at R = 1 "
                         "(default; constant-matrix identity and per-medoid squares), or both at every R")
    ap.add_argument("--max-print", type=int, default=3, help="mismatching events printed per run")
    args = ap.parse_args(argv)

    build_dir = Path(args.build)
    if not build_dir.is_absolute():
        build_dir = (Path.cwd() / build_dir)
    try:
        if any(r < 1 for r in args.reuse):
            raise SetupError("reuse factors must be >= 1")
        cxx, ap_dir = compiler(), ap_types_dir()
        if args.export_dir:
            exports = [check_export(d) for d in args.export_dir]
        else:
            exports = find_exports(build_dir, args.k or [32], ensure=True, data_dir=args.data)
        if args.species_k:
            os.environ.setdefault("L1OT_BUILD", str(build_dir))
            sys.path.insert(0, str(REPO / "testbench"))
            import tbutil
            exports += [check_export(tbutil.species_export(k)) for k in args.species_k]
    except SetupError as exc:
        print(f"run_csim: error: {exc}", file=sys.stderr)
        return 2

    report, rows, ok = {}, [], True
    for ex in exports:
        k = read_k(ex)
        golden = ex / "golden.txt"
        n_vec, header = scan_golden(golden)
        sat_export = export_saturations(ex)
        runs = []
        for r in args.reuse:
            runs.append((r, default_strategy(r)))
            if args.strategies == "both" or (args.strategies == "both-r1" and r == 1):
                runs.append((r, 1 - default_strategy(r)))
        for r, strat in runs:
            name = f"{ex.name}_r{r}" if ex.name == f"k{k}" else f"{ex.name}_k{k}_r{r}"
            if strat != default_strategy(r):
                name += f"_s{strat}"
            entry = {"K": k, "R": r, "strategy": strat, "vectors": n_vec, "mismatches": None,
                     "golden": _show(golden)}
            entry.update({key: header[key] for key in ("config_sha256", "model_sha256", "threshold")
                          if key in header})
            try:
                exe, t_build = build(ex, r, build_dir / "csim" / name, cxx, ap_dir, strategy=strat)
                entry["compile_s"] = round(t_build, 1)
                res = run_binary(exe, golden, args.max_print)
            except RuntimeError as exc:
                print(f"[{name}] {exc}", file=sys.stderr)
                entry["error"] = "compilation failed"
                ok = False
                report[name] = entry
                rows.append((name, k, r, n_vec, "-", "BUILD FAILED"))
                continue
            entry["run_s"] = res["run_s"]
            if "passed" in res:
                entry["mismatches"] = res["failed"]
                entry["passed"] = res["passed"]
            if "score_saturations" in res:
                entry["score_saturations"] = res["score_saturations"]
            if sat_export is not None:
                entry["score_saturations_export"] = sat_export
            entry["exit_code"] = res["exit_code"]
            good = res["exit_code"] == 0 and res.get("failed") == 0 and res.get("passed") == n_vec
            sat_bad = saturation_problem(res.get("score_saturations"), sat_export)
            if sat_bad:
                entry["error"] = sat_bad
                sys.stderr.write(f"[{name}] {sat_bad}\n")
            if not good:
                sys.stderr.write(f"[{name}] testbench output:\n{res['output'][-6000:]}\n")
            ok = ok and good and not sat_bad
            report[name] = entry
            rows.append((name, k, r, n_vec, entry["mismatches"] if entry["mismatches"] is not None else "-",
                         ("SATURATIONS DIFFER" if sat_bad else "ok") if good
                         else ("FAILED" if res["exit_code"] != 2 else "INPUT ERROR")))

        # graded trigger bits: thresholds as top-level inputs, scores at T-1, T, T+1 of each
        gg = ex / "golden_graded.txt"
        if gg.is_file():
            name = f"{ex.name}_graded" if ex.name == f"k{k}" else f"{ex.name}_k{k}_graded"
            n_g = sum(1 for ln in open(gg) if ln.strip() and not ln.startswith("#"))
            m_thr = re.search(r"\bn_thr (\d+)", open(gg).read(4096))
            entry = {"K": k, "R": args.reuse[0], "vectors": n_g, "mismatches": None, "golden": _show(gg)}
            try:
                exe, t_build = build(ex, args.reuse[0], build_dir / "csim" / name, cxx, ap_dir, tb=TB_GRADED,
                                     defines=(f"-DL1OT_N_THR={int(m_thr.group(1))}",) if m_thr else ())
                res = run_binary(exe, gg, args.max_print)
            except RuntimeError as exc:
                print(f"[{name}] {exc}", file=sys.stderr)
                entry["error"] = "compilation failed"
                ok = False
                report[name] = entry
                rows.append((name, k, args.reuse[0], n_g, "-", "BUILD FAILED"))
                continue
            entry.update({"compile_s": round(t_build, 1), "run_s": res["run_s"], "exit_code": res["exit_code"],
                          "mismatches": res.get("failed"), "passed": res.get("passed")})
            good = res["exit_code"] == 0 and res.get("failed") == 0 and res.get("passed") == n_g
            if not good:
                sys.stderr.write(f"[{name}] testbench output:\n{res['output'][-6000:]}\n")
            ok = ok and good
            report[name] = entry
            rows.append((name, k, args.reuse[0], n_g, entry["mismatches"] if entry["mismatches"] is not None else "-",
                         "ok" if good else ("FAILED" if res["exit_code"] != 2 else "INPUT ERROR")))

    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    w = max([len("config")] + [len(row[0]) for row in rows])
    print(f"{'config':<{w}} {'K':>4} {'R':>4} {'vectors':>8} {'mismatches':>11}  status")
    for name, k, r, n, mm, st in rows:
        print(f"{name:<{w}} {k:>4} {r:>4} {n:>8} {mm!s:>11}  {st}")
    print(f"report: {args.report}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
