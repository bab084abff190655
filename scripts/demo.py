#!/usr/bin/env python3
"""``make demo``: the whole chain on the bundled sample, one summary table.

Every report of the run goes to ``--out`` (default ``BUILD/demo``), never to the
committed ``reports/``: a demo in a clean clone leaves ``git status`` clean. The
committed reports come from the full targets (``make csim``, ``make cosim``,
``make synth``, ``l1ot evaluate --methods all --fixed ...``; docs/results.md).

Steps:

1. inspect the bundled sample (validation);
2. train the LinW2 k-medoids models (k = 32 default, k = 8 for the firmware
   sweep), calibrate the trigger thresholds and export ``parameters.h``, the
   SV package and the golden vectors (``l1ot.artifacts.ensure``);
3. evaluate float and fixed point on the paper-1 test sets
   (``l1ot evaluate --methods demo --fixed``);
4. HLS C simulation (``hls/run_csim.py``), reuse factors 1, 4, 12;
5. RTL co-simulation with cocotb + Verilator (``testbench/run_cosim.py``);
6. Yosys resource estimate (``firmware/synth/run_yosys.py``);
7. the register bank driven by uhal (``testbench/ipbus/uhal_readback.py``): the K = 8
   top with its IPbus port in co-simulation, graded thresholds written, committed and
   read back with the trigger counters through our IPbus 2.0 UDP endpoint;
8. print and write ``OUT/demo_summary.md``.

A failing step does not hide the others: the summary marks it and the exit
code is non-zero.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIGNALS = ("A", "h0", "hpm", "LQ")
LABEL = {"A": "A→4ℓ", "h0": "h⁰→ττ", "hpm": "h±→τν", "LQ": "LQ→bτ"}


def step(title, cmd, log):
    print(f"\n=== {title}\n$ {' '.join(cmd)}", flush=True)
    t0 = time.perf_counter()
    rc = subprocess.call(cmd, cwd=REPO)
    dt = time.perf_counter() - t0
    log.append({"step": title, "cmd": " ".join(cmd), "rc": rc, "seconds": dt})
    print(f"--- {title}: {'ok' if rc == 0 else f'FAILED (exit {rc})'} in {dt:.0f} s", flush=True)
    return rc


def load(out, name):
    p = os.path.join(out, name)
    if not os.path.exists(p):
        return {}
    with open(p) as f:
        return json.load(f)


def python_bitexact(build, data, ks):
    """Re-run the Python fixed model on each golden file: (vectors, mismatches)."""
    import numpy as np

    from l1ot import artifacts
    from l1ot.export import golden as export
    from l1ot.kernel import fixed
    from l1ot.ot import linot

    n = bad = 0
    for k in ks:
        paths = artifacts.ensure(k=k, build=build, data=data, verbose=False)
        hdr, words, score, idx, trig, _ = export.read_golden(paths["golden"])
        cfg = fixed.KernelConfig.load(paths["config"])
        model = linot.LinModel.load(paths["model"])
        res = fixed.run(words, fixed.medoid_rom(model, cfg), model.threshold, cfg)
        mism = (res.score != score) | (res.idx != idx) | (np.asarray(res.trig, int) != trig.astype(int))
        n += len(score)
        bad += int(np.count_nonzero(mism))
    return n, bad


def _rtl_config(text: str) -> tuple[int, int, str]:
    """``"32:1:cm"`` -> (32, 1, "cm"); ``"32:4"`` -> (32, 4, "")."""
    parts = text.split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts[:2]):
        raise SystemExit(f"demo: error: --rtl-config {text!r}: expected K:REUSE or K:REUSE:variant")
    return int(parts[0]), int(parts[1]), (parts[2] if len(parts) == 3 else "")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--data", default="data")
    ap.add_argument("--out", default=None,
                    help="folder of every report of the demo (default BUILD/demo; never reports/)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--rtl-config", default="32:1:cm",
                    help="K:REUSE[:variant] of the RTL configuration co-simulated and synthesized (default "
                         "32:1:cm, the constant-matrix kernel; e.g. 32:4 for l1ot_kernel; "
                         "`make cosim` / `make synth` run all of them)")
    ap.add_argument("--skip", default="", help="comma list of steps to skip: eval,csim,cosim,synth,uhal")
    args = ap.parse_args(argv)
    out = args.out = args.out or os.path.join(args.build, "demo")
    os.makedirs(out, exist_ok=True)
    skip = set(s for s in args.skip.split(",") if s)
    py = sys.executable
    l1ot = [py, "-m", "l1ot.cli"]
    log = []
    t_start = time.perf_counter()
    bkg = os.path.join(args.data, "background_for_training.h5")

    step("1/7 inspect the bundled sample", l1ot + ["inspect", bkg], log)
    for k in (32, 8):
        step(f"2/7 train, calibrate, export (k = {k})",
             [py, "scripts/build_artifacts.py", "--k", str(k), "--build", args.build, "--data", args.data], log)
    if "eval" not in skip:
        step("3/7 evaluate float and fixed point (paper-1 test sets)",
             l1ot + ["evaluate", "--data", args.data, "--methods", "demo", "--fixed", "--jobs", str(args.jobs),
                     "--report", os.path.join(out, "evaluation.json"),
                     "--table", os.path.join(out, "evaluation_table.md")], log)
    if "csim" not in skip:
        step("4/7 HLS C simulation (g++, open ap_types headers)",
             [py, "hls/run_csim.py", "--build", args.build, "--k", "32", "--k", "8",
              "--report", os.path.join(out, "csim.json")], log)
    k, r, var = _rtl_config(args.rtl_config)
    name = f"K={k} REUSE={r}" + (f" {var}" if var else "")
    if "cosim" not in skip:
        step(f"5/7 RTL co-simulation (cocotb + Verilator), {name}",
             [py, "testbench/run_cosim.py", "--build", args.build, "--report", os.path.join(out, "firmware.json"),
              "-k",
              f"test_kernel and k{k}-r{r}" + (f"-{var}]" if var else "]")], log)
    if "synth" not in skip:
        step(f"6/7 Yosys resource estimate, {name}",
             [py, "firmware/synth/run_yosys.py", "--build", args.build,
              "--report", os.path.join(out, "firmware.json"), "--configs",
              f"{k}:{r}" + (f":{var}" if var else "")], log)

    if "uhal" not in skip:
        step("7/7 register bank through uhal: thresholds and counters read back (K = 8 cosim)",
             [py, "testbench/ipbus/uhal_readback.py", "--build", args.build,
              "--report", os.path.join(out, "uhal_readback.json")], log)

    summary = render(args, log, time.perf_counter() - t_start)
    print("\n" + summary)
    with open(os.path.join(out, "demo_summary.md"), "w") as f:
        f.write(summary + "\n")
    print(f"\nreports of this run: {out}/ (demo_summary.md, evaluation.json, csim.json, firmware.json, ...)")
    return 0 if all(s["rc"] == 0 for s in log) else 1


def render(args, log, seconds):
    ev = load(args.out, "evaluation.json")
    csim = load(args.out, "csim.json")
    fw = load(args.out, "firmware.json")
    L = ["# l1ot demo summary", ""]
    L += ["## Physics: AUC per signal (mean ± std over 5 test sets of 1,000 + 1,000)", "",
          "| signal | 3D OT exact (N=1000) | LinW2 float k=32 | fixed point k=32 | ΔAUC fixed − float |",
          "|---|---|---|---|---|"]
    fx = ev.get("fixed_sorted_k32", {})
    for s in SIGNALS:
        def cell(m):
            v = ev.get(m, {}).get(s, {}).get("auc")
            return f"{v[0]:.4f} ± {v[1]:.4f}" if v else "–"
        d = fx.get(s, {}).get("delta_auc")
        L.append(f"| {LABEL[s]} | {cell('3d_ot')} | {cell('linw2_sorted_k32')} | {cell('fixed_sorted_k32')} | "
                 + (f"{d[0]:+.4f} ± {d[1]:.4f}" if d else "–") + " |")
    fm = ev.get("_meta", {}).get("fixed", {})
    dr = fm.get("drift", {}).get("all")
    if dr:
        L += ["", "Fixed-point score against float LinW2 k=32, all test events, in score LSBs "
              "(exact < 1, 1 LSB < 2, small ≤ 5 %, big otherwise; `l1ot.kernel.drift`):", "",
              "| exact | 1 LSB | small | big | saturated scores | saturated inputs |", "|---|---|---|---|---|---|",
              "| " + " | ".join(f"{100 * dr['fractions'][b]:.2f} %" for b in ("exact", "1 LSB", "small", "big"))
              + f" | {fm.get('saturations', {}).get('score', '–')} | {fm.get('saturations', {}).get('input', '–')} |"]
    L += ["", "## Bit-exactness (integer equality on the golden vectors)", "",
          "| implementation | configurations | vectors | mismatches |", "|---|---|---|---|"]
    try:
        n, bad = python_bitexact(args.build, args.data, (32, 8))
        L.append(f"| Python fixed model | k=32, k=8 | {n} | {bad} |")
    except Exception as exc:  # report, don't hide
        L.append(f"| Python fixed model | – | – | error: {exc} |")
    runs = [v for k, v in csim.items() if isinstance(v, dict) and "vectors" in v]
    if runs:
        L.append(f"| HLS csim (g++) | {len(runs)} (K × R) | {sum(r['vectors'] for r in runs)} | "
                 f"{sum(r['mismatches'] for r in runs)} |")
    else:
        L.append(f"| HLS csim (g++) | – | – | no {args.out}/csim.json |")
    k, r, var = _rtl_config(args.rtl_config)
    name = f"K={k} REUSE={r}" + (f" {var}" if var else "")
    rows = [c for c in fw.get("configs", []) if isinstance(c, dict)]
    mine = [c for c in rows if c.get("K") == k and c.get("REUSE") == r and (c.get("variant") or "") == var]
    if mine:
        c = mine[0]
        L.append(f"| RTL cosim (Verilator) | {name} | {c.get('vectors_compared')} | {c.get('mismatches')} |")
    else:
        L.append(f"| RTL cosim (Verilator) | {name} | – | no entry in {args.out}/firmware.json |")
    L += ["", f"## Firmware (RTL, {name}, 480 MHz target; estimates from Yosys and the delay model of "
          "docs/firmware.md; all configurations: `make synth`, reports/firmware.md)", ""]
    if mine:
        c = mine[0]
        pct = c.get("pct_VU13P", {})
        L += ["| latency (cycles / ns) | II | LUT (% VU13P) | FF | DSP48E2 (%) | CARRY8 | est. Fmax (MHz) "
              "| est. latency at min(480 MHz, est. Fmax) (ns) |",
              "|---|---|---|---|---|---|---|---|",
              f"| {c.get('latency_cycles')} / {c.get('latency_ns')} | {c.get('II_cycles')} | {c.get('LUT')} "
              f"({pct.get('LUT', float('nan')):.2f}) | {c.get('FF')} | {c.get('DSP48E2')} ({pct.get('DSP', float('nan')):.2f}) "
              f"| {c.get('CARRY8_equiv')} | {c.get('fmax_est_mhz')} | {c.get('latency_ns_at_est_clock', '–')} |"]
        goals = c.get("goals", {})
        if goals:
            L += ["", "Goals: " + ", ".join(f"{g} {'met' if ok else 'NOT met'}" for g, ok in goals.items())]
    else:
        L.append("see `reports/firmware.md`")
    rb = load(args.out, "uhal_readback.json")
    if rb.get("counters"):
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testbench", "ipbus"))
        from uhal_readback import table
        L += ["", "## Register bank through uhal (IPbus 2.0 over UDP, simulated)", "", table(rb)]
    L += ["", "## Steps", "", "| step | status | time (s) |", "|---|---|---|"]
    for s in log:
        L.append(f"| {s['step']} | {'ok' if s['rc'] == 0 else 'FAILED'} | {s['seconds']:.0f} |")
    L += ["", f"Total wall time: {seconds / 60:.1f} min."]
    return "\n".join(L)


if __name__ == "__main__":
    sys.exit(main())
