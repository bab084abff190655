#!/usr/bin/env python3
"""``make pareto``: fixed-point AUC against the trigger budget, over K and transport.

For each point (K, transport) of ``--ks`` x ``--transports``:

1. the trained, calibrated model and its export (``sorted``: ``l1ot.artifacts.ensure``;
   ``species``: ``tbutil.species_export``, config ``kernel_species.json``), with the
   constant-matrix graph ``l1ot_cmvm.sv``;
2. the bit-accurate AUC per signal: the model file's medoid ROM through
   ``l1ot.kernel.fixed`` on the test sets of ``l1ot evaluate`` (the ``--fixed`` row,
   ``l1ot.evaluation.eval_fixed``), mean and std over the test sets, with the float AUC;
3. the Yosys estimate of the constant-matrix top ``l1ot_kernel_cm`` on that export
   (``firmware/synth/run_yosys.py``: LUT, FF, DSP and their share of an XCVU13P,
   longest path with the project's delay model, est. Fmax);
4. optionally (``--cosim``) the cocotb + Verilator run of that top on a selection of the
   export's golden vectors, which also measures the latency in cycles (the latency is
   only reported for points that ran cosim; ns at min(480 MHz, est. Fmax)).

Each step of each point is cached under ``BUILD/pareto/<point>/`` (a JSON per step,
keyed by the model file's SHA-256), so an interrupted run resumes and a partial run is
useful: the report lists the points and steps missing. Writes ``reports/pareto.json``,
``reports/pareto.md`` and the figure ``reports/pareto.{png,pdf}`` (AUC against LUT %,
one panel per signal, the marker labelled with the latency).

Every firmware figure is a Yosys estimate with the project's delay model, not a Vivado
result. Data: the bundled sample (simulated, not CMS).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "testbench"))
sys.path.insert(0, str(REPO / "testbench" / "l1ot_kernel"))
sys.path.insert(0, str(REPO / "firmware" / "synth"))

KS = (8, 16, 32, 64, 128)
TRANSPORTS = ("sorted", "species")
CLOCK_MHZ = 480.0


def _sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _cached(path: Path, key: dict, fn):
    """JSON result of ``fn()`` cached in ``path`` under ``key`` (recomputed when the key differs)."""
    if path.is_file():
        old = json.loads(path.read_text())
        if old.get("_key") == key:
            return old
    t0 = time.time()
    res = fn()
    res["_key"] = key
    res["_seconds"] = round(time.time() - t0, 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(res, indent=1))
    os.replace(tmp, path)
    return res


def export_of(k: int, transport: str) -> Path:
    """Export folder (package, graph, golden vectors, export.json) of a point."""
    import tbutil

    if transport == "species":
        return tbutil.species_export(k)
    return tbutil.export_dir(k)


def model_of(exp: Path) -> Path:
    """Model file the export was made from (``export.json`` field ``model``)."""
    return Path(json.loads((exp / "export.json").read_text())["model"])


def auc_step(k: int, transport: str, model_path: Path, config: Path | None) -> dict:
    """Fixed-point and float AUC per signal of the model file (``eval_fixed`` test sets)."""
    from l1ot.evaluation import eval_fixed
    from l1ot.evaluation import evaluate as ev
    from l1ot.io.splits import DEFAULT
    from l1ot.kernel import fixed
    from l1ot.ot import linot

    import tbutil

    data, _build, label = tbutil.sample_source()
    cfg = fixed.KernelConfig.load(config)
    model = linot.LinModel.load(model_path)
    ctx = ev.EvalContext(bkg_path=str(data / "background_for_training.h5"), splits=DEFAULT, progress=False)
    sets = ev.load_test_sets(ctx, str(data))
    fl = eval_fixed.float_scores(model, sets)
    fx, sat = eval_fixed.kernel_scores(model, cfg, sets)
    rows = eval_fixed.compare(fx, fl)
    return {"auc_fixed": {s: r["auc"] for s, r in rows.items()},
            "auc_float": {s: r["float_auc"] for s, r in rows.items()},
            "saturations": sat, "config": os.path.relpath(cfg.source, REPO) if cfg.source else None,
            "sample": label, "n_sets": int(DEFAULT.n_sets), "n_per_set": int(DEFAULT.n_per_set)}


def synth_step(k: int, exp: Path, out: Path) -> dict:
    """Yosys estimate of the constant-matrix top on the export (run_yosys, variant cm)."""
    import run_yosys as ry

    pkg = exp / "l1ot_params_pkg.sv"
    meta = ry.run_synth(k, 1, pkg, out, ry.PIPELINES["cm"], variant="cm", family="xcup")
    res = ry.summarize(ry.count_cells(out / "stat.json"), "xcup")
    tim = ry.timing(out / "netlist.json", "xcup")
    return {"LUT": res["LUT"], "FF": res["FF"], "DSP": res["DSP48E2"], "pct": res["pct_part"],
            "part": res["part"], "fmax_est_mhz": tim["fmax_est_mhz"], "worst_path_ns": tim["worst_path_ns"],
            "yosys_seconds": meta["seconds"], "top": ry.top_of("cm", pkg)}


def cosim_step(k: int, transport: str, select: str) -> dict:
    """cocotb + Verilator run of the constant-matrix top on ``select`` golden vectors."""
    import pytest
    import test_l1ot_kernel as tk

    variant = "species-cm" if transport == "species" else "cm"
    try:
        rec = tk.build_and_run(k, 1, select=select, variant=variant, testcase="run_golden_stream",
                               results_name="pareto.json")
    except pytest.fail.Exception as exc:
        return {"ok": False, "error": str(exc)[:2000]}
    except pytest.skip.Exception as exc:
        return {"ok": False, "error": f"skipped: {exc}"}
    gs = rec["golden_stream"]
    return {"ok": gs["mismatches"] == 0 and gs["latency_cycles"] == gs["latency_declared"],
            "vectors": gs["vectors"], "mismatches": gs["mismatches"], "latency_cycles": gs["latency_cycles"],
            "latency_declared": gs["latency_declared"], "categories": gs["categories"], "selection": select}


def run_point(k: int, transport: str, build: Path, cosim: bool, select: str, log) -> dict:
    import tbutil

    name = f"k{k}_{transport}"
    pdir = build / "pareto" / name
    point = {"K": k, "transport": transport, "steps": {}}
    exp = export_of(k, transport)
    model_path = model_of(exp)
    msha = _sha(model_path)
    point["export"] = os.path.relpath(exp, REPO)
    config = tbutil.SPECIES_CONFIG if transport == "species" else None
    log(f"[pareto] {name}: AUC (fixed point) ...")
    point["auc"] = _cached(pdir / "auc.json", {"model": msha, "config": str(config)},
                           lambda: auc_step(k, transport, model_path, config))
    point["steps"]["auc"] = True
    log(f"[pareto] {name}: Yosys ...")
    rtl_sha = hashlib.sha256(b"".join(p.read_bytes() for p in sorted((REPO / "firmware" / "rtl").glob("*.sv")))
                             + (exp / "l1ot_cmvm.sv").read_bytes() + (exp / "l1ot_params_pkg.sv").read_bytes()
                             ).hexdigest()
    point["synth"] = _cached(pdir / "synth.json", {"rtl": rtl_sha}, lambda: synth_step(k, exp, pdir / "yosys"))
    point["steps"]["synth"] = True
    cpath = pdir / "cosim.json"
    if cosim:
        log(f"[pareto] {name}: cosim ({select}) ...")
        point["cosim"] = _cached(cpath, {"rtl": rtl_sha, "golden": _sha(exp / "golden.txt"), "select": select},
                                 lambda: cosim_step(k, transport, select))
    elif cpath.is_file():
        point["cosim"] = json.loads(cpath.read_text())
    point["steps"]["cosim"] = bool(point.get("cosim", {}).get("ok"))
    s = point["synth"]
    f_mhz = min(CLOCK_MHZ, s["fmax_est_mhz"])
    point["clock_mhz"] = f_mhz
    if point["steps"]["cosim"]:
        point["latency_cycles"] = point["cosim"]["latency_cycles"]
        point["latency_ns"] = round(point["latency_cycles"] * 1000.0 / f_mhz, 1)
    return point


def _signals(points: list) -> list:
    """Signal names in the order of the evaluation (first point that has them)."""
    out = []
    for p in points:
        for s in p.get("auc", {}).get("auc_fixed", {}):
            if s not in out:
                out.append(s)
    return out


def write_report(points: list, missing: list, out_json: Path, args_line: str) -> None:
    signals = _signals(points)
    ran = [f"k{p['K']}_{p['transport']}" for p in points if (p.get("cosim") or {}).get("ok")]
    rep = {"command": args_line, "partial": bool(missing), "missing": missing, "cosim_points": ran,
           "note": "Yosys estimates with the project's delay model (firmware/synth/run_yosys.py), not Vivado; "
                   "latency measured in cosim (only points that ran cosim); data simulated, not CMS",
           "clock_mhz": CLOCK_MHZ, "points": points}
    tmp = out_json.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(rep, indent=1))
    os.replace(tmp, out_json)
    lines = ["# Pareto: fixed-point AUC against the trigger budget", "",
             f"Command: `{args_line}`. Every firmware figure is a Yosys estimate of `l1ot_kernel_cm` with the "
             "project's delay model (not Vivado); AUC is the bit-accurate kernel (`l1ot evaluate --fixed` rows) "
             "on the bundled sample (simulated, not CMS), mean over the test sets.", ""]
    if missing:
        lines += [f"**Partial:** points or steps missing: {', '.join(missing)}.", ""]
    lines += [f"Points that ran cosim (0 mismatches, latency measured): {', '.join(ran) or 'none'}; the others are "
              "a Yosys estimate only (\"synthesis only, no cosim\": no measured latency).", ""]
    hdr = "| K | transport | " + " | ".join(f"AUC {s}" for s in signals) + \
          " | est. Fmax (MHz) | latency (cycles / ns) | LUT % | FF % | DSP % | cosim |"
    lines += [hdr, "|" + "---|" * (hdr.count("|") - 1)]
    for p in points:
        a = p.get("auc", {}).get("auc_fixed", {})
        s = p.get("synth")
        c = p.get("cosim")
        lat = f"{p['latency_cycles']} / {p['latency_ns']}" if "latency_cycles" in p else "n/a (no cosim)"
        cos = (f"0 mismatches / {c['vectors']}" if c and c.get("ok") else
               ("FAILED" if c else ("synthesis only, no cosim" if s else "not run")))
        syn = (f"{s['fmax_est_mhz']} | {lat} | {s['pct']['LUT']:.2f} | {s['pct']['FF']:.2f} | {s['pct']['DSP']:.2f}"
               if s else "n/a | n/a | n/a | n/a | n/a")
        lines.append(f"| {p['K']} | {p['transport']} | " + " | ".join(f"{a[x][0]:.3f}" if x in a else "n/a"
                                                                      for x in signals) + f" | {syn} | {cos} |")
    out_json.with_suffix(".md").write_text("\n".join(lines) + "\n")


def figure(points: list, out: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pts = [p for p in points if p.get("synth") and p.get("auc")]
    signals = _signals(pts)
    if not pts or not signals:
        return
    fig, axes = plt.subplots(1, len(signals), figsize=(4 * len(signals), 3.6), squeeze=False)
    for ax, sig in zip(axes[0], signals):
        for tr, mk, col in (("sorted", "o", "tab:blue"), ("species", "s", "tab:red")):
            sel = [p for p in pts if p["transport"] == tr]
            sel.sort(key=lambda p: p["K"])
            xs = [p["synth"]["pct"]["LUT"] for p in sel]
            ys = [p["auc"]["auc_fixed"][sig][0] for p in sel]
            ax.plot(xs, ys, mk + "-", color=col, label=tr)
            for p, x, y in zip(sel, xs, ys):
                lat = f"{p['latency_ns']:.0f} ns" if "latency_ns" in p else "synth. only"
                ax.annotate(f"K={p['K']}\n{lat}", (x, y), textcoords="offset points", xytext=(4, -10), fontsize=7)
        ax.set_xlabel("LUT % of XCVU13P (Yosys estimate)")
        ax.set_ylabel(f"fixed-point AUC, {sig}")
        ax.set_title(sig)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("l1ot_kernel_cm: AUC vs LUT (simulated, not CMS; Yosys estimate)", fontsize=10)
    fig.tight_layout()
    for ext in ("png", "pdf"):
        tmp = out.with_name(out.name + ".tmp." + ext)
        fig.savefig(tmp, dpi=130)
        os.replace(tmp, out.with_suffix("." + ext))
    plt.close(fig)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--ks", default=",".join(map(str, KS)), help="comma-separated K values")
    ap.add_argument("--transports", default=",".join(TRANSPORTS))
    ap.add_argument("--cosim", default="8,16,32,64,128",
                    help="K values whose points also run cosim (comma-separated; '' for none)")
    ap.add_argument("--select", default="rare:300", help="golden-vector selection of the cosim step")
    ap.add_argument("--report", default=str(REPO / "reports" / "pareto.json"))
    ap.add_argument("--only", default=None, help="run only these points (e.g. k8_species,k16_sorted); "
                    "the others are reported from their cache when present")
    args = ap.parse_args(argv)
    build = Path(args.build).resolve()
    os.environ.setdefault("L1OT_BUILD", str(build))
    ks = [int(x) for x in args.ks.split(",") if x]
    trs = [t for t in args.transports.split(",") if t]
    cos = {int(x) for x in args.cosim.split(",") if x}
    only = set(args.only.split(",")) if args.only else None
    args_line = "python scripts/pareto.py " + " ".join(argv if argv is not None else sys.argv[1:])
    log = lambda m: print(m, flush=True)  # noqa: E731
    out = Path(args.report)
    points, missing = [], []
    for k in ks:
        for tr in trs:
            name = f"k{k}_{tr}"
            pdir = build / "pareto" / name
            if only is not None and name not in only:
                cached = {s: json.loads((pdir / f"{s}.json").read_text())
                          for s in ("auc", "synth", "cosim") if (pdir / f"{s}.json").is_file()}
                if "auc" in cached:
                    p = {"K": k, "transport": tr, **cached, "from_cache": True}
                    if "synth" not in cached:
                        missing.append(f"{name} (Yosys)")
                    elif cached.get("cosim", {}).get("ok"):
                        f = min(CLOCK_MHZ, cached["synth"]["fmax_est_mhz"])
                        p["clock_mhz"] = f
                        p["latency_cycles"] = cached["cosim"]["latency_cycles"]
                        p["latency_ns"] = round(p["latency_cycles"] * 1000.0 / f, 1)
                    points.append(p)
                    if k in cos and not cached.get("cosim", {}).get("ok"):
                        missing.append(f"{name} (cosim)")
                else:
                    missing.append(name)
                continue
            try:
                points.append(run_point(k, tr, build, k in cos, args.select, log))
            except Exception as exc:   # a point that fails is reported, the others still run
                log(f"[pareto] {name}: failed: {exc}")
                missing.append(f"{name} ({type(exc).__name__}: {str(exc)[:200]})")
            write_report(points, missing, out, args_line)
    write_report(points, missing, out, args_line)
    figure(points, out)
    log(f"[pareto] wrote {out}, {out.with_suffix('.md')} and the figure ({len(points)} points, "
        f"{len(missing)} missing)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
