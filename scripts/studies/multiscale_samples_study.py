#!/usr/bin/env python
"""Sample choices for paper 2's tasks: thrust and jet multiplicity of each, and the thrust AUC (simulated, not CMS).

Compares today's bundled samples (data/multiscale: QCD 2->2 at pT-hat > 250 GeV, stop pairs at
pT-hat > 250 GeV, tt-bar) with the alternatives of :data:`l1ot.multiscale.generate.VARIANT_IDS`
(QCD with 2->3 hard processes at a lower pT-hat; stop pairs with no pT-hat requirement), generated
here in small seeded chunks (cached in build/multiscale_chunks). Every sample passes the same
selection (four jets, |y| < 2.5, 200 / 50 GeV thresholds, the four hardest kept).

Writes reports/multiscale_samples.{json,png,pdf}: distributions of the rescaled transverse thrust
tau (eq. 9) and of the number of anti-kT R = 0.4 jets (pT > 10 GeV) reclustered from the
constituents of the four kept jets, and the thrust AUC of each (signal, background) pairing with the
five folds of l1ot.multiscale.classify (cut direction chosen on validation).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.realpath(os.path.join(os.path.dirname(__file__), "..", "..", "model")))

from l1ot.multiscale import classify, generate, pipeline, representation, samples  # noqa: E402

PAIRS = {
    "ttbar": [("ttbar", "qcd"), ("ttbar", "qcd_3parton"), ("ttbar", "qcd_3only")],
    "paired-dijet": [("stop", "qcd"), ("stop_nocut", "qcd"), ("stop_nocut", "qcd_3parton"),
                     ("stop500_nocut", "qcd_3parton"), ("stop_nocut", "qcd_3only"),
                     ("stop500_nocut", "qcd_3only")],
}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=150, help="events per sample")
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--chunk", type=int, default=50)
    ap.add_argument("--cache", default=os.path.join("build", "multiscale_chunks"))
    ap.add_argument("--classify", type=int, default=0,
                    help="also run thrust, single-scale CM and multi-scale kNN at R = 0.8 on this many events "
                         "per class of each --classify-pairs pairing")
    ap.add_argument("--classify-pairs", nargs="*", default=["stop500_nocut:qcd_3parton"])
    ap.add_argument("-o", "--output", default=os.path.join("reports", "multiscale_samples"))
    a = ap.parse_args(argv)
    ev, info = {}, {}
    for proc in ("qcd", "ttbar", "stop"):  # bundled; QCD: the task-2 half, as the pipeline uses it
        path = samples.path_of(proc)
        start = samples.count(path) // 2 if proc == "qcd" else 0
        ev[proc] = [e.astype(np.float64) for e in samples.read(path, n=a.n, start=start)]
        info[proc] = {"label": generate.LABELS[proc], "source": path}
    for proc in generate.VARIANT_IDS:
        t = time.time()
        e, st = generate.produce(proc, a.n, seed=a.seed, chunk=a.chunk, cache_dir=a.cache)
        ev[proc] = [x.astype(np.float64) for x in e]
        gen = sum(s["n_generated"] for s in st)
        info[proc] = {"label": generate.LABELS[proc], "settings": generate.settings(proc, 0)[len(generate.COMMON):-2],
                      "n_generated": gen, "efficiency": len(e) / max(1, gen), "seconds": time.time() - t}
        print(proc, info[proc], flush=True)
    tau, nj = {}, {}
    for proc, es in ev.items():
        tau[proc] = pipeline.thrust_values(es)
        nj[proc] = np.array([representation.preprocess(x, 0.4, rotate=False).n_jets for x in es])
        info[proc].update({"n": len(es), "tau_mean": float(tau[proc].mean()), "tau_median": float(np.median(tau[proc])),
                           "njets_r04_mean": float(nj[proc].mean())})
    aucs = {}
    for task, pairs in PAIRS.items():
        for s, b in pairs:
            x = np.concatenate([tau[s], tau[b]])
            y = np.concatenate([np.ones(len(tau[s]), int), np.zeros(len(tau[b]), int)])
            r = classify.observable_auc(x, y, classify.folds(y))
            aucs[f"{task}: {s} vs {b}"] = {"auc": r["auc"], "std": r["std"]}
            print(task, s, b, f"{r['auc']:.3f} ± {r['std']:.3f}", flush=True)
    methods = {}
    for pair in (a.classify_pairs if a.classify else []):
        s, b = pair.split(":")
        methods[pair] = classify_pair(ev[s][:a.classify], ev[b][:a.classify])
        print(pair, {k: f"{v['auc']:.3f} ± {v['std']:.3f}" for k, v in methods[pair].items()}, flush=True)
    out = {"statement": "simulated, not CMS", "methods_r08": methods,
           "command": " ".join([".venv/bin/python scripts/studies/multiscale_samples_study.py"] + (argv or sys.argv[1:])),
           "n_per_sample": a.n, "samples": info, "thrust_auc": aucs,
           "tau": {k: v.tolist() for k, v in tau.items()}, "njets_r04": {k: v.tolist() for k, v in nj.items()}}
    tmp = a.output + ".json.tmp"
    with open(tmp, "w") as f:
        json.dump(out, f, indent=1)
    os.replace(tmp, a.output + ".json")
    plot(tau, nj, a.output)
    print(f"wrote {a.output}.json/.png/.pdf")
    return 0


def classify_pair(sig, bkg):
    """Thrust, single-scale CM (full matrix) and multi-scale (best validation point per weighting) at R = 0.8."""
    from l1ot.multiscale import eventot

    events = list(sig) + list(bkg)
    y = np.concatenate([np.ones(len(sig), int), np.zeros(len(bkg), int)])
    splits = classify.folds(y)
    res = {"thrust": classify.observable_auc(pipeline.thrust_values(events), y, splits)}
    cm = pipeline.represent(events, generate.R_BENCH, rotate=False)
    res["single_cm"] = classify.knn_auc(eventot.single_matrix(eventot.pack_points(cm)), y, splits)
    pre = pipeline.represent(events, generate.R_BENCH, rotate=True)
    mats = eventot.matrices(pipeline.multiscale_data(pre, generate.R_BENCH))
    for wi, w in enumerate(eventot.WEIGHTINGS):
        rows = [classify.knn_auc(mats[si, wi], y, splits) for si in range(len(eventot.SCAN))]
        res[f"multiscale_{w}"] = max(rows, key=lambda r: r["val_auc"])
    return {k: {"auc": v["auc"], "std": v["std"]} for k, v in res.items()}


def plot(tau, nj, stem):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 2, figsize=(11, 4.2))
    style = {"qcd": ("k", "-"), "qcd_3parton": ("k", "--"), "qcd_3only": ("grey", ":"),
             "ttbar": ("tab:blue", "-"), "stop": ("tab:red", "-"), "stop_nocut": ("tab:red", "--"),
             "stop500_nocut": ("tab:orange", "--")}
    for proc in tau:
        c, ls = style.get(proc, ("tab:green", "-"))
        ax[0].hist(tau[proc], bins=np.linspace(0, 1, 21), histtype="step", density=True, color=c, ls=ls,
                   label=f"{proc} ({len(tau[proc])})")
        ax[1].hist(nj[proc], bins=np.arange(1.5, 14.5), histtype="step", density=True, color=c, ls=ls, label=proc)
    ax[0].set_xlabel(r"rescaled transverse thrust $\tau$ (eq. 9)")
    ax[1].set_xlabel("anti-kT R = 0.4 jets (pT > 10 GeV) of the four kept jets' constituents")
    ax[0].set_ylabel("density")
    ax[0].legend(fontsize=7)
    fig.suptitle("Sample choices for paper 2's tasks (simulated, not CMS)", fontsize=10)
    fig.tight_layout()
    for ext in ("png", "pdf"):
        fig.savefig(f"{stem}.{ext}.tmp.{ext}", dpi=120)
        os.replace(f"{stem}.{ext}.tmp.{ext}", f"{stem}.{ext}")


if __name__ == "__main__":
    sys.exit(main())
