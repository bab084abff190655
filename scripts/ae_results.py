#!/usr/bin/env python3
"""The autoencoder beside the OT kernel: train, evaluate, synthesise, tabulate.

1. train the float and the HGQ2 autoencoder on the background training block
   (``l1ot ae train``; skipped when ``BUILD/ae/ae_{float,fixed}.keras`` exist
   unless ``--retrain``);
2. evaluate both on the 5 test sets (``l1ot ae evaluate``: float Keras scores,
   fixed hls4ml ``predict`` scores, bit-exactness against the HGQ2 emulation);
3. emit the scorer as standalone Verilog with da4ml and run the same Yosys
   flow and delay model as the OT kernel (``firmware/synth/run_yosys.py``:
   ``synth_xilinx -family xcup``, cell counts, register-to-register delay);
4. write ``--report`` (default ``reports/ae.json``), the ``.md`` and the models folder
   ``ae_models/`` beside it: the table with the OT rows
   (float and fixed, ``reports/evaluation.json`` / ``reports/firmware.json``).

Data: the bundled sample is simulated, not CMS.

Usage: ``scripts/ae_results.py [--build build] [--retrain] [--no-synth]``
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "firmware" / "synth"))

OT_FLOAT, OT_FIXED = "linw2_sorted_k32", "fixed_sorted_k32"
OT_FW = "k32_r1"
SIGNALS = ("A", "h0", "hpm", "LQ")
LABELS = {"A": "A→4ℓ", "h0": "h⁰→ττ", "hpm": "h±→τν", "LQ": "LQ→bτ"}


def sh(cmd):
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=REPO)


def synth(vdir: Path, top: str, reuse: bool = False) -> dict:
    """Yosys synth_xilinx of the da4ml Verilog with the OT kernel's flow and delay model."""
    import run_yosys as ry

    srcs = sorted(str(p.relative_to(vdir)) for p in (vdir / "src").rglob("*.v"))
    out = vdir / "synth"
    out.mkdir(exist_ok=True)
    script = "\n".join([
        f"read_verilog -defer -sv {' '.join(srcs)}",     # -defer: unused da4ml library modules stay unread
        f"hierarchy -top {top}",
        f"synth_xilinx -family xcup -top {top} -noiopad",
        "tee -q -o synth/stat.json stat -json",
        "tee -q -o synth/stat.txt stat",
        "flatten",
        "opt_clean -purge",
        "write_json synth/netlist.json",
    ]) + "\n"
    (out / "synth.ys").write_text(script)
    t0 = time.time()
    fresh = (out / "netlist.json").exists() and all(
        (out / "netlist.json").stat().st_mtime > p.stat().st_mtime for p in (vdir / "src").rglob("*.v"))
    if reuse and fresh:
        r = subprocess.CompletedProcess([], 0)
    else:
        with open(out / "synth.log", "w") as log:
            r = subprocess.run([ry.yosys_bin(), "-q", "-s", "synth/synth.ys"], cwd=vdir, stdout=log,
                               stderr=subprocess.STDOUT)
    if r.returncode != 0:
        tail = (out / "synth.log").read_text().strip().splitlines()[-3:]
        raise SystemExit(f"ae_results: Yosys failed on {vdir}: {' | '.join(tail)}")
    res = ry.summarize(ry.count_cells(out / "stat.json"))
    res["yosys_seconds"] = round(time.time() - t0, 1)
    tm = ry.timing(out / "netlist.json")
    res["timing"] = {k: tm[k] for k in ("worst_path_ns", "fmax_est_mhz", "worst_levels", "model_ns",
                                         "reg_overhead_ns")}
    return res


def rtl_check(scorer, vdir: Path, hls_dir: Path, meta: dict) -> dict:
    """Verilator simulation of the da4ml Verilog vs hls4ml predict on all test-set events."""
    sys.path.insert(0, str(REPO / "testbench"))
    import numpy as np
    import tbutil
    from da4ml.codegen import VerilogModel

    from l1ot.ae import evaluate as aev
    from l1ot.ae import firmware

    tbutil.verilator_env()
    sol = firmware.da4ml_logic(scorer, meta["inputs_kif"])
    vm = VerilogModel(sol, meta["top"] + "_sim", vdir.parent / "verilog_sim", latency_cutoff=meta["latency_cutoff"],
                      clock_period=round(1000.0 / firmware.CLOCK_MHZ, 4))
    t0 = time.time()
    vm.compile(nproc=2)
    x = np.concatenate([v.reshape(-1, 57) for v in aev.test_inputs("data/background_for_training.h5", "data").values()])
    xq = firmware.to_input_grid(x, hls_dir)
    hm = firmware.convert(scorer, hls_dir)
    rtl = np.asarray(vm.predict(xq), dtype=np.float64).reshape(-1)
    pred = firmware.predict(hm, xq)
    res = {"events": int(len(x)), "mismatches": int(np.count_nonzero(rtl != pred)), "seconds": round(time.time() - t0),
           "compared": "Verilator (da4ml Verilog) vs hls4ml predict, inputs on the input-port grid"}
    print(f"[ae] RTL check: {res['mismatches']} mismatches in {res['events']} events", flush=True)
    return res


def ot_training_cost(build: Path) -> dict:
    """Wall and CPU time of the OT model's only training step: `l1ot train --k 32` (k-medoids)."""
    import resource

    out = build / "ae" / "ot_k32_timing.h5"
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.time()
    sh([str(Path(sys.executable).parent / "l1ot"), "train", "data/background_for_training.h5", "--k", "32",
        "-o", str(out)])
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return {"wall_seconds": round(time.time() - t0, 1), "cpu_seconds": round(cpu, 1),
            "what": "l1ot train --k 32: FasterPAM k-medoids of 5,000 training events (process incl. start-up)"}


def fmt(m, key="auc", nd=4):
    v = m[key]
    return f"{v[0]:.{nd}f} ± {v[1]:.{nd}f}"


def table(rep: dict) -> str:
    rows = rep["table"]
    head = ["row"] + [f"AUC {LABELS[s]}" for s in SIGNALS] + ["latency", "LUT", "FF", "DSP", "training cost"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        lines.append("| " + " | ".join([r["row"]] + [r["auc"].get(s, "—") for s in SIGNALS]
                                       + [r["latency"], r["LUT"], r["FF"], r["DSP"], r["training"]]) + " |")
    return "\n".join(lines)


def build_table(rep: dict, ev: dict, fw: dict) -> list:
    rows = []
    ot_fw = fw.get("configs", [])
    ot_cfg = next((c for c in ot_fw if c.get("config") == OT_FW), None)
    ot_lat = ot_res = None
    if ot_cfg:
        ot_lat = (f"{ot_cfg['latency_cycles']} cycles = {ot_cfg['latency_ns']} ns at 480 MHz "
                  f"(est. Fmax {ot_cfg['fmax_est_mhz']} MHz)")
        ot_res = (str(ot_cfg["LUT"]), str(ot_cfg["FF"]), str(ot_cfg["DSP48E2"]))
    ot = rep.get("ot_training")
    ot_train = (f"no network; k-medoids {ot['cpu_seconds']} s CPU ({ot['wall_seconds']} s wall)" if ot
                else "no network; k-medoids")
    for name, key, fixed in (("OT LinW2 k=32 float", OT_FLOAT, False), ("OT LinW2 k=32 fixed (kernel)", OT_FIXED, True)):
        m = ev.get(key, {})
        rows.append({"row": name, "auc": {s: fmt(m[s]) for s in SIGNALS if s in m},
                     "latency": ot_lat if fixed and ot_lat else "—",
                     "LUT": ot_res[0] if fixed and ot_res else "—", "FF": ot_res[1] if fixed and ot_res else "—",
                     "DSP": ot_res[2] if fixed and ot_res else "—", "training": ot_train})
    syn = rep.get("synth")
    tr = rep["training"]
    for name, key in (("AE float", "ae_float"), ("AE fixed (HGQ2 → hls4ml)", "ae_fixed")):
        m = rep["rows"][key]
        t = tr[key]
        fixed = key == "ae_fixed"
        lat = res = None
        if fixed and syn:
            st = rep["da4ml"]["stages"]
            f = syn["timing"]["fmax_est_mhz"]
            lat = (f"{st} cycles = {st * 1000 / 480:.1f} ns at 480 MHz (est. Fmax {f} MHz)")
            res = (str(syn["LUT"]), str(syn["FF"]), str(syn["DSP48E2"]))
        elif fixed and rep.get("da4ml"):
            st = rep["da4ml"]["stages"]
            est = rep["da4ml"]["da4ml_estimate"]
            lat = f"{st} cycles = {st * 1000 / 480:.1f} ns at 480 MHz (da4ml pipeline; Fmax not estimated)"
            res = (f"~{round(est['cost'])} (da4ml cost estimate, not comparable)",
                   f"{est['reg_bits']} register bits (da4ml)", "not synthesised")
        rows.append({"row": name, "auc": {s: fmt(m[s]) for s in SIGNALS if s in m},
                     "latency": lat or "—", "LUT": res[0] if res else "—", "FF": res[1] if res else "—",
                     "DSP": res[2] if res else "—",
                     "training": (f"{t.get('train_cpu_seconds', '?')} s CPU ({t['train_seconds']} s wall), "
                                  f"{t['epochs']} epochs × {t['n_train_events']} events")})
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--retrain", action="store_true")
    ap.add_argument("--no-synth", action="store_true")
    ap.add_argument("--latency-cutoff", type=float, default=2.0,
                    help="da4ml combinational delay budget per pipeline stage")
    ap.add_argument("--report", default="reports/ae.json")
    ap.add_argument("--skip-eval", action="store_true",
                    help="keep the evaluation already in --report (same models) and redo the rest")
    ap.add_argument("--reuse-synth", action="store_true",
                    help="reuse BUILD/ae/verilog/synth/netlist.json when newer than the Verilog")
    ap.add_argument("--reuse-verilog", action="store_true",
                    help="keep BUILD/ae/verilog when it exists (same model file)")
    ap.add_argument("--rtl-check", action="store_true",
                    help="verilate the da4ml Verilog and compare it with hls4ml predict on the test sets (slow)")
    args = ap.parse_args(argv)
    os.chdir(REPO)
    bd = Path(args.build) / "ae"
    bd.mkdir(parents=True, exist_ok=True)
    l1ot = str(Path(sys.executable).parent / "l1ot")
    fl, fx = bd / "ae_float.keras", bd / "ae_fixed.keras"
    if args.retrain or not fl.exists():
        sh([l1ot, "ae", "train", "-o", str(fl)])
    if args.retrain or not fx.exists():
        sh([l1ot, "ae", "train", "--quantized", "-o", str(fx)])
    if not (args.skip_eval and Path(args.report).exists()):
        sh([l1ot, "ae", "evaluate", "--float-model", str(fl), "--fixed-model", str(fx),
            "--hls-dir", str(bd / "hls"), "-o", args.report])
    rep = json.loads(Path(args.report).read_text())
    from l1ot.ae import firmware, model

    hls_dir = bd / "hls"
    vdir = bd / "verilog"
    scorer = model.load(fx).scorer
    if args.reuse_verilog and (vdir / "l1ot_meta.json").exists():
        meta = json.loads((vdir / "l1ot_meta.json").read_text())
    else:
        meta = firmware.write_verilog(scorer, vdir, latency_cutoff=args.latency_cutoff,
                                      inputs_kif=firmware.project_input_kif(hls_dir))
    dmeta = json.loads((vdir / "metadata.json").read_text())
    meta["da4ml_estimate"] = {k: dmeta.get(k) for k in ("cost", "latency", "reg_bits")}
    meta["da4ml_estimate"]["note"] = ("da4ml's own cost model (cost ~ LUT-equivalent adder bits); "
                                      "not comparable with the Yosys figures")
    rep["da4ml"] = meta
    print(f"[ae] da4ml: {meta['stages']} pipeline stages", flush=True)
    if args.rtl_check:
        rep["rtl_check"] = rtl_check(scorer, vdir, hls_dir, meta)
    if not args.no_synth:
        print("[ae] Yosys synth_xilinx ...", flush=True)
        rep["synth"] = synth(vdir, meta["top"], reuse=args.reuse_synth)
        rep["synth"]["flow"] = ("da4ml standalone Verilog, Yosys synth_xilinx -family xcup and the delay model "
                                "of firmware/synth/run_yosys.py (same as the OT kernel); not a Vivado result")
    prev = json.loads(Path(args.report).read_text()).get("ot_training") if args.skip_eval else None
    rep["ot_training"] = prev or ot_training_cost(Path(args.build))
    models = Path(args.report).parent / "ae_models"  # beside the report, wherever --report points
    models.mkdir(parents=True, exist_ok=True)
    for f in (fl, fx):
        for g in (f, f.with_name(f.name + ".json")):
            shutil.copy2(g, models / g.name)
    ev = json.loads((REPO / "reports" / "evaluation.json").read_text())
    fw = json.loads((REPO / "reports" / "firmware.json").read_text())
    rep["table"] = build_table(rep, ev, fw)
    rep["ot_source"] = {"auc": f"reports/evaluation.json rows {OT_FLOAT}, {OT_FIXED}",
                        "firmware": f"reports/firmware.json config {OT_FW} (RTL, REUSE = 1, II = 1)"}
    Path(args.report).write_text(json.dumps(rep, indent=1) + "\n")
    md = Path(args.report).with_suffix(".md")
    md.write_text("# Autoencoder beside the OT kernel (simulated, not CMS)\n\n"
                  "Generated by `scripts/ae_results.py`; see `docs/autoencoder.md`.\n\n" + table(rep) + "\n")
    print(table(rep))
    print(f"[ae] wrote {args.report} and {md}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
