#!/usr/bin/env python3
"""Precision scan of the fixed-point kernel: AUC loss vs. bits, and a resource proxy.

For the float LinW2 ``sorted`` model (k medoids, trained exactly as the
``linw2_sorted_k<k>`` evaluation row) the standard test sets are scored once in
float and then with the bit-accurate kernel for each precision variant:

* ``work_frac_bits`` F (working LSB 2^-F GeV/rad; score_shift follows so the
  score keeps its physical range),
* ``mult_shift`` S (precision of the angle multipliers),
* ``score_bits`` (score resolution at fixed saturation point),
* ``score_shift`` (saturation point at 16 bits).

Output: ``reports/precision_scan.json``, ``reports/precision_scan.md``,
``reports/precision_scan.png``. ΔAUC = AUC(fixed) − AUC(float) per signal,
mean and std over the paired test sets. Resource proxy: total multiplier input
bits = 19·Σ_a (raw_bits_a + mult_bits_a) over the non-power-of-two stage-a
multipliers + K·19·Σ_a 2·diff_bits_a (the stage-c squarers).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

from l1ot.evaluation import eval_fixed
from l1ot.kernel import fixed
from l1ot.evaluation import evaluate as ev

TOL = 0.002


def resource_proxy(cfg: fixed.KernelConfig, k: int) -> dict:
    n = cfg.n_obj
    a_bits = sum(cfg.field_bits[a] + cfg.mult_bits[a] for a in fixed.AXES
                 if cfg.mult[a] & (cfg.mult[a] - 1))  # power-of-two multipliers are shifts
    c_bits = sum(2 * cfg.diff_bits[a] for a in fixed.AXES)
    return {"stage_a": n * a_bits, "stage_c": k * n * c_bits, "total": n * a_bits + k * n * c_bits}


def variants(base: fixed.KernelConfig):
    F0, s0 = base.work_frac_bits, base.score_shift
    for F in range(0, 7):
        yield "work_frac_bits", F, {"work_frac_bits": F, "score_shift": max(0, s0 + 2 * (F - F0))}
    for S in (8, 9, 10, 11, 12, 13, 14, 16, 18):
        yield "mult_shift", S, {"mult_shift": S}
    for b in (6, 8, 10, 12, 14, 16):
        yield "score_bits", b, {"score_bits": b, "score_shift": s0 + (base.score_bits - b)}
    for sh in range(max(0, s0 - 6), s0 + 5):
        yield "score_shift", sh, {"score_shift": sh}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="data")
    p.add_argument("--k", type=int, default=32)
    p.add_argument("--n-train", type=int, default=5000)
    p.add_argument("--config", default=None, help="base precision config (default l1ot/kernel/configs/kernel_default.json)")
    p.add_argument("--out", default="reports/precision_scan", help="output stem (.json, .md, .png)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n-sets", type=int, default=5, help="test sets (paper: 5)")
    p.add_argument("--n-per-set", type=int, default=1000,
                   help="events per class per test set (paper: 1000; reduced automatically if files are smaller)")
    p.add_argument("--n-calib", type=int, default=5000, help="background events reserved for calibration")
    a = p.parse_args(argv)

    bkg = os.path.join(a.data, ev.BACKGROUND)
    if not os.path.isfile(bkg):
        print(f"precision_scan: error: {bkg} not found (run `make data`)", file=sys.stderr)
        return 2
    signals = [s for s, f in ev.SIGNALS.items() if os.path.isfile(os.path.join(a.data, f))]
    base = fixed.KernelConfig.load(a.config)
    t0 = time.time()
    from l1ot.io import data as l1data
    from l1ot.io.splits import Splits
    n_sig_min = min(l1data.count(os.path.join(a.data, ev.SIGNALS[s])) for s in signals)
    n_bkg = l1data.count(bkg)
    per = min(a.n_per_set, n_sig_min // a.n_sets, max(1, (n_bkg - a.n_calib - 1000) // a.n_sets))
    if per < a.n_per_set:
        print(f"note: files too small for {a.n_sets} x {a.n_per_set}: using {a.n_sets} x {per} events per set")
    splits = Splits(n_sets=a.n_sets, n_per_set=per, n_calib=a.n_calib)
    ctx = ev.EvalContext(bkg_path=bkg, splits=splits, n_train=a.n_train, seed=a.seed, progress=False)
    model = ctx.model(a.k, "sorted")
    sets = ev.load_test_sets(ctx, a.data, signals)
    fl = eval_fixed.float_scores(model, sets)
    print(f"float model: k={a.k}, {len(signals)} signals, {sum(v.size for v in fl.values())} test events "
          f"({time.time() - t0:.1f} s)")

    def point(cfg):
        fx, sat = eval_fixed.kernel_scores(model, cfg, sets)
        rows = eval_fixed.compare(fx, fl)
        d = {s: rows[s]["delta_auc"] for s in rows}
        return {"delta_auc": d, "max_abs_delta_auc": max(abs(v[0]) for v in d.values()),
                "auc": {s: rows[s]["auc"] for s in rows}, "float_auc": {s: rows[s]["float_auc"] for s in rows},
                "score_saturations": sat["score"], "resource": resource_proxy(cfg, a.k),
                "x_bits": cfg.x_bits, "d_bits": cfg.d_bits, "mult": cfg.mult, "shift": cfg.shift,
                "mult_rel_err": cfg.mult_rel_err, "config_sha256": cfg.sha256}

    res = {"base": {"config": base.source, "overrides": {}, **point(base)}, "scans": {}}
    for scan, value, over in variants(base):
        try:
            cfg = base.replace(**over)
        except Exception as exc:  # e.g. a multiplier rounding to 0: record and go on
            res["scans"].setdefault(scan, []).append({"value": value, "overrides": over, "error": str(exc)})
            continue
        r = {"value": value, "overrides": over, **point(cfg)}
        res["scans"].setdefault(scan, []).append(r)
        print(f"  {scan:15s} {value:3d}: max|ΔAUC| {r['max_abs_delta_auc']:.4f}  "
              f"resource {r['resource']['total']:6d}  score sat {r['score_saturations']}")
    # smallest passing value per scan (in resource, then value)
    choice = {}
    for scan, pts in res["scans"].items():
        ok = [q for q in pts if "error" not in q and q["max_abs_delta_auc"] <= TOL]
        if ok:
            best = min(ok, key=lambda q: (q["resource"]["total"], q["value"]))
            choice[scan] = {"value": best["value"], "max_abs_delta_auc": best["max_abs_delta_auc"]}
    res["smallest_passing"] = choice
    b = res["base"]
    res["default_ok"] = b["max_abs_delta_auc"] <= TOL
    res["tolerance"] = TOL
    res["meta"] = {"k": a.k, "n_train": a.n_train, "signals": signals, "background": bkg,
                   "n_sets": ctx.splits.n_sets, "n_per_set": ctx.splits.n_per_set,
                   "seconds": round(time.time() - t0, 1)}
    os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
    with open(a.out + ".json", "w") as f:
        json.dump(res, f, indent=1, default=str)
    _markdown(res, base, a.out + ".md")
    _plot(res, a.out + ".png")
    print(f"default config: max|ΔAUC| = {b['max_abs_delta_auc']:.4f} (tolerance {TOL}) -> "
          f"{'OK' if res['default_ok'] else 'FAILS'}; wrote {a.out}.json/.md/.png")
    return 0 if res["default_ok"] else 1


def _markdown(res, base, path):
    b = res["base"]
    sig = list(b["delta_auc"])
    L = [f"# Fixed-point precision scan (k = {res['meta']['k']}, LinW2 sorted)", "",
         f"ΔAUC = AUC(fixed kernel) − AUC(float LinW2), mean ± std over {res['meta']['n_sets']} paired test "
         f"sets of {res['meta']['n_per_set']} background + {res['meta']['n_per_set']} signal events. "
         f"Tolerance |ΔAUC| ≤ {TOL} on every signal.", "",
         f"## Default config (`{os.path.basename(base.source)}`, sha256 `{base.sha256[:12]}`)", "",
         "| signal | float AUC | fixed AUC | ΔAUC | margin to tolerance |", "|---|---|---|---|---|"]
    for s in sig:
        d = b["delta_auc"][s]
        L.append(f"| {ev.SIGNAL_LABELS.get(s, s)} | {b['float_auc'][s][0]:.4f} | {b['auc'][s][0]:.4f} | "
                 f"{d[0]:+.5f} ± {d[1]:.5f} | {TOL - abs(d[0]):.5f} |")
    L += ["", f"F = {base.work_frac_bits}, mult_shift = {base.mult_shift}, score {base.score_bits} bit >> "
          f"{base.score_shift}; x bits {base.x_bits}, d_bits {base.d_bits}; resource proxy "
          f"{b['resource']['total']} multiplier input bits; max |ΔAUC| = {b['max_abs_delta_auc']:.5f} "
          f"({'within' if res['default_ok'] else 'OUTSIDE'} tolerance).", ""]
    for scan, pts in res["scans"].items():
        L += [f"## Scan: {scan}", "", "| value | " + " | ".join(f"ΔAUC {s}" for s in sig)
              + " | max abs | resource | score sat. |", "|---" * (len(sig) + 4) + "|"]
        for q in pts:
            if "error" in q:
                L.append(f"| {q['value']} | " + " | ".join("–" for _ in sig) + f" | invalid: {q['error']} | | |")
                continue
            L.append(f"| {q['value']} | " + " | ".join(f"{q['delta_auc'][s][0]:+.4f}" for s in sig)
                     + f" | {q['max_abs_delta_auc']:.4f} | {q['resource']['total']} | {q['score_saturations']} |")
        c = res["smallest_passing"].get(scan)
        L += ["", f"Smallest passing value: {c['value'] if c else 'none'}.", ""]
    with open(path, "w") as f:
        f.write("\n".join(L) + "\n")


def _plot(res, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scans = list(res["scans"])
    fig, axes = plt.subplots(1, len(scans), figsize=(4.6 * len(scans), 4.2), squeeze=False)
    for ax, scan in zip(axes[0], scans):
        pts = [q for q in res["scans"][scan] if "error" not in q]
        x = [q["value"] for q in pts]
        for s in pts[0]["delta_auc"]:
            y = np.array([q["delta_auc"][s][0] for q in pts])
            e = np.array([q["delta_auc"][s][1] for q in pts])
            ax.errorbar(x, y, yerr=e, marker="o", ms=3, capsize=2, label=ev.SIGNAL_LABELS.get(s, s))
        ax.axhspan(-TOL, TOL, color="0.85", zorder=0)
        ax.set_xlabel(scan)
        ax.set_ylabel("ΔAUC (fixed − float)")
        ax.set_ylim(-0.02, 0.01)
        ax2 = ax.twinx()
        ax2.plot(x, [q["resource"]["total"] for q in pts], "k--", lw=1, label="multiplier input bits")
        ax2.set_ylabel("resource proxy: multiplier input bits")
        ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
