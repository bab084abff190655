#!/usr/bin/env python3
"""``make demo``: the whole chain on the bundled sample, one summary table.

Every report of the run goes to ``--out`` (default ``BUILD/demo``), never to the
committed ``reports/``: a demo in a clean clone leaves ``git status`` clean. The
committed reports come from the full targets (``make csim``, ``make cosim``,
``make synth``, ``l1ot evaluate --methods all --fixed ...``; docs/results.md).

Steps:

1. inspect the bundled sample (validation);
2. train the LinW2 k-medoids models of the firmware default (``species``, K = 64,
   ``l1ot.kernel.fixed.FIRMWARE_*``) and of the documented ``sorted`` K = 32
   configuration, calibrate the trigger thresholds and export ``parameters.h``,
   the SV package and the golden vectors (``scripts/build_artifacts.py``);
3. evaluate float and fixed point on the paper-1 test sets
   (``l1ot evaluate --methods demo --fixed species:64,sorted:32``);
4. HLS C simulation (``hls/run_csim.py``) of both exports, reuse factors 1, 4, 12;
5. RTL co-simulation with cocotb + Verilator (``testbench/run_cosim.py``) of the
   ``--rtl-config`` (default ``64:1:species-cm``, the firmware default);
6. Yosys resource estimate (``firmware/synth/run_yosys.py``) of the same;
7. the register bank driven by uhal (``testbench/ipbus/uhal_readback.py``): the K = 8
   top with its IPbus port in co-simulation, graded thresholds written, committed and
   read back with the trigger counters through our IPbus 2.0 UDP endpoint;
8. print and write ``OUT/demo_summary.md``, with the goals of the default checked
   (fixed-point AUC against exact min-W2 and the float autoencoder; II, est. Fmax,
   latency, LUT and DSP).

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

from l1ot.kernel import fixed as _fixed

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIGNALS = ("A", "h0", "hpm", "LQ")
#: the firmware default and the documented sorted configuration: (transport, K)
DEFAULT = (_fixed.FIRMWARE_TRANSPORT, _fixed.FIRMWARE_K)
SORTED = (_fixed.SORTED_TRANSPORT, _fixed.SORTED_K)
#: the default's RTL configuration (K:REUSE:variant of testbench / run_yosys)
DEFAULT_RTL = f"{DEFAULT[1]}:1:{DEFAULT[0]}-cm"
#: Phase-2 goals of the default (issue 26): AUC not below exact min-W2 (3d_ot) and the
#: float autoencoder (reports/ae.json), est. Fmax, latency, LUT and DSP share of the VU13P
GOALS = {"fmax_mhz": 480.0, "latency_ns": 50.0, "lut_pct": 3.0, "dsp_pct": 0.5}
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


def export_dir(build, data, transport, k):
    """Export folder of (transport, K): ``l1ot.artifacts.ensure`` (sorted) or
    ``tbutil.species_export`` (species), as ``scripts/build_artifacts.py`` makes them."""
    from pathlib import Path

    if transport == "species":
        os.environ.setdefault("L1OT_BUILD", os.path.abspath(build))
        sys.path.insert(0, os.path.join(REPO, "testbench"))
        import tbutil
        return Path(tbutil.species_export(k))
    from l1ot import artifacts
    return Path(artifacts.ensure(k=k, build=build, data=data, verbose=False)["export_dir"])


def python_bitexact(build, data, points):
    """Re-run the Python fixed model on each golden file of ``points`` [(transport, K)]:
    (vectors, mismatches)."""
    import numpy as np

    from l1ot.export.vectorfile import read_golden
    from l1ot.kernel import fixed
    from l1ot.ot import linot

    n = bad = 0
    for tr, k in points:
        exp = export_dir(build, data, tr, k)
        meta = json.loads((exp / "export.json").read_text())
        hdr, words, score, idx, trig, _ = read_golden(exp / "golden.txt")
        cfg = fixed.KernelConfig.load(meta["config"])
        model = linot.LinModel.load(meta["model"])
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
    ap.add_argument("--rtl-config", default=DEFAULT_RTL,
                    help=f"K:REUSE[:variant] of the RTL configuration co-simulated and synthesized (default "
                         f"{DEFAULT_RTL}, the firmware default: species K = {DEFAULT[1]} on l1ot_kernel_cm; "
                         "32:1:cm for the sorted K = 32 top, 32:4 for l1ot_kernel; "
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
    for tr, k in (DEFAULT, SORTED):
        step(f"2/7 train, calibrate, export ({tr}, k = {k})",
             [py, "scripts/build_artifacts.py", "--k", str(k), "--transport", tr, "--build", args.build,
              "--data", args.data], log)
    if "eval" not in skip:
        step("3/7 evaluate float and fixed point (paper-1 test sets)",
             l1ot + ["evaluate", "--data", args.data, "--methods", "demo",
                     "--fixed", ",".join(f"{tr}:{k}" for tr, k in (DEFAULT, SORTED)), "--jobs", str(args.jobs),
                     "--report", os.path.join(out, "evaluation.json"),
                     "--table", os.path.join(out, "evaluation_table.md")], log)
    if "csim" not in skip:
        step("4/7 HLS C simulation (g++, open ap_types headers)",
             [py, "hls/run_csim.py", "--build", args.build, "--species-k", str(DEFAULT[1]), "--k", str(SORTED[1]),
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


def auc_goals(ev: dict, ae: dict, row: str) -> dict:
    """AUC goals of the fixed-point ``row`` of ``ev`` (an evaluation report): not below exact
    min-W2 (``3d_ot``) and the float autoencoder (``ae["rows"]["ae_float"]``, reports/ae.json)
    on every signal; {goal: True/False}, a goal without both figures is left out."""
    out = {}
    fx = ev.get(row, {})
    for ref, label in ((ev.get("3d_ot", {}), "exact min-W2"), (ae.get("rows", {}).get("ae_float", {}), "float AE")):
        for sig in SIGNALS:
            a, b = fx.get(sig, {}).get("auc"), ref.get(sig, {}).get("auc")
            if a and b:
                out[f"AUC {sig} >= {label} ({b[0]:.3f})"] = a[0] >= b[0]
    return out


def fw_goals(c: dict) -> dict:
    """Phase-2 firmware goals of a firmware.json row: II = 1, est. Fmax, latency at
    min(480 MHz, est. Fmax), LUT and DSP share of the VU13P (Yosys estimate)."""
    pct = c.get("pct_VU13P", c.get("pct_part", {}))
    out = {"II = 1": c.get("II_cycles") == 1}
    if c.get("fmax_est_mhz") is not None:
        out[f"est. Fmax >= {GOALS['fmax_mhz']:.0f} MHz"] = c["fmax_est_mhz"] >= GOALS["fmax_mhz"]
    if c.get("latency_ns_at_est_clock") is not None:
        out[f"latency <= {GOALS['latency_ns']:.0f} ns"] = c["latency_ns_at_est_clock"] <= GOALS["latency_ns"]
    if "LUT" in pct:
        out[f"LUT <= {GOALS['lut_pct']:g} %"] = pct["LUT"] <= GOALS["lut_pct"]
    if "DSP" in pct:
        out[f"DSP <= {GOALS['dsp_pct']:g} %"] = pct["DSP"] <= GOALS["dsp_pct"]
    return out


def render(args, log, seconds):
    ev = load(args.out, "evaluation.json")
    csim = load(args.out, "csim.json")
    fw = load(args.out, "firmware.json")
    ae = load(os.path.join(REPO, "reports"), "ae.json")
    (dt, dk), (st, sk) = DEFAULT, SORTED
    drow, srow = f"fixed_{dt}_k{dk}", f"fixed_{st}_k{sk}"
    L = ["# l1ot demo summary", "",
         f"Firmware default: `{dt}` transport, K = {dk} (`l1ot_kernel_cm`, RTL config {DEFAULT_RTL}); "
         f"the `{st}` K = {sk} top stays a documented configuration. Data: the bundled sample (simulated, not CMS).", ""]
    L += ["## Physics: AUC per signal (mean ± std over 5 test sets of 1,000 + 1,000)", "",
          f"| signal | 3D OT exact (N=1000) | AE float (reports/ae.json) | LinW2 float {dt} k={dk} "
          f"| **fixed point {dt} k={dk} (default)** | ΔAUC fixed − float | fixed point {st} k={sk} |",
          "|---|---|---|---|---|---|---|"]
    fx = ev.get(drow, {})
    for s in SIGNALS:
        def cell(m, src=ev):
            v = src.get(m, {}).get(s, {}).get("auc")
            return f"{v[0]:.4f} ± {v[1]:.4f}" if v else "–"
        d = fx.get(s, {}).get("delta_auc")
        L.append(f"| {LABEL[s]} | {cell('3d_ot')} | {cell('ae_float', ae.get('rows', {}))} | {cell(f'linw2_{dt}_k{dk}')} "
                 f"| {cell(drow)} | " + (f"{d[0]:+.4f} ± {d[1]:.4f}" if d else "–") + f" | {cell(srow)} |")
    ag = auc_goals(ev, ae, drow)
    if ag:
        L += ["", "AUC goals of the default: " + ", ".join(f"{g} {'met' if ok else 'NOT met'}" for g, ok in ag.items())]
    fm = ev.get("_meta", {}).get("fixed", {})
    dr = fm.get("drift", {}).get("all")
    if dr:
        L += ["", f"Fixed-point score against float LinW2 {dt} k={dk}, all test events, in score LSBs "
              "(exact < 1, 1 LSB < 2, small ≤ 5 %, big otherwise; `l1ot.kernel.drift`):", "",
              "| exact | 1 LSB | small | big | saturated scores | saturated inputs |", "|---|---|---|---|---|---|",
              "| " + " | ".join(f"{100 * dr['fractions'][b]:.2f} %" for b in ("exact", "1 LSB", "small", "big"))
              + f" | {fm.get('saturations', {}).get('score', '–')} | {fm.get('saturations', {}).get('input', '–')} |"]
    L += ["", "## Bit-exactness (integer equality on the golden vectors)", "",
          "| implementation | configurations | vectors | mismatches |", "|---|---|---|---|"]
    try:
        n, bad = python_bitexact(args.build, args.data, (DEFAULT, SORTED))
        L.append(f"| Python fixed model | {dt} k={dk}, {st} k={sk} | {n} | {bad} |")
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
            L += ["", "Goals (firmware report): " + ", ".join(f"{g} {'met' if ok else 'NOT met'}"
                                                           for g, ok in goals.items())]
        if (k, r, var) == _rtl_config(DEFAULT_RTL):
            L += ["", "Phase-2 goals of the default (Yosys estimate with the project's delay model): "
                  + ", ".join(f"{g} {'met' if ok else 'NOT met'}" for g, ok in fw_goals(c).items())]
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
