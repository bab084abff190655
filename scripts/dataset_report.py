#!/usr/bin/env python
"""Distributions and baseline metrics of the bundled simulated sample.

    python scripts/dataset_report.py --data data --img docs/img --json build/dataset_report.json

Writes ``dataset_multiplicity.png``, ``dataset_pt.png``, ``dataset_met.png`` and
``dataset_roc.png`` and prints (and stores as JSON) the baseline metrics of paper 1
Table 2 (total pT, MET, total multiplicity) per signal: AUC on the whole sample,
and all metrics as mean +- std over 5 disjoint test sets of 1,000 background +
1,000 signal events (the paper's protocol), side by side with the paper's values.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "model"))

from l1ot.evaluation import baselines, metrics  # noqa: E402
from l1ot.io.data import load  # noqa: E402

SIGNALS = {  # key: (file, label)
    "A": ("Ato4l_lepFilter_13TeV.h5", r"$A\to 4\ell$"),
    "h0": ("hToTauTau_13TeV_PU20.h5", r"$h^0\to\tau\tau$"),
    "h+-": ("hChToTauNu_13TeV_PU20.h5", r"$h^\pm\to\tau\nu$"),
    "LQ": ("leptoquark_LOWMASS_lepFilter_13TeV.h5", r"LQ$\to b\tau$"),
}
BKG_FILE = "background_for_training.h5"
BKG_LABELS = {"wjets": r"$W$+jets", "qcd": "QCD", "zjets": r"$Z$+jets", "ttbar": r"$t\bar t$"}

#: paper 1, Table 2 (common baselines): value per signal for total pT / MET / total multiplicity
PAPER = {
    "auc": {"A": (0.7409, 0.3690, 0.8914), "h0": (0.7076, 0.5977, 0.7377),
            "h+-": (0.9257, 0.8371, 0.8783), "LQ": (0.8421, 0.5609, 0.8750)},
    "inv_eb_at_0p3": {"A": (13.27, 2.014, 82.15), "h0": (19.97, 8.262, 13.56),
                      "h+-": (88.29, 388.9, 46.85), "LQ": (19.85, 4.78, 38.15)},
    "si_at_0p3": {"A": (1.091, 0.4255, 2.694), "h0": (1.334, 0.8601, 1.103),
                  "h+-": (2.793, 5.284, 2.045), "LQ": (1.335, 0.6552, 1.845)},
}
BASELINES = ("total_pt", "met", "multiplicity")
N_SETS, N_TEST = 5, 1000


def read_process_ids(path):
    import h5py

    with h5py.File(path, "r") as f:
        pid = f["process_id"][:]
        names = json.loads(f.attrs["process_names"])
    return pid, {int(k): v for k, v in names.items()}


def baseline_metrics(bkg, sigs, seed=1):
    rng = np.random.default_rng(seed)
    out = {}
    for s, ev in sigs.items():
        out[s] = {}
        nb, ns = len(bkg), len(ev)
        k = min(N_TEST, nb // N_SETS, ns // N_SETS)
        ib, is_ = rng.permutation(nb), rng.permutation(ns)
        for b in BASELINES:
            f = getattr(baselines, b)
            sb, ss = f(bkg), f(ev)
            sets = [metrics.summarize(sb[ib[i * k:(i + 1) * k]], ss[is_[i * k:(i + 1) * k]])
                    for i in range(N_SETS)]
            out[s][b] = {"auc_full": metrics.auc(sb, ss), "n_test": k, **metrics.summarize_sets(sets)}
    return out


def table(res):
    lines = ["| signal | baseline | AUC (this sample, all events) | AUC (5 x 1k+1k) | AUC paper 1 | "
             "1/eps_b @ eps_s=0.3 | paper | SI @ 0.3 | paper |",
             "|---|---|---|---|---|---|---|---|---|"]
    for s in res:
        for j, b in enumerate(BASELINES):
            r = res[s][b]
            lines.append(
                f"| {s} | {b} | {r['auc_full']:.4f} | {r['auc'][0]:.4f} ± {r['auc'][1]:.4f} | "
                f"{PAPER['auc'][s][j]:.4f} | {r['inv_eb_at_0p3'][0]:.3g} ± {r['inv_eb_at_0p3'][1]:.2g} | "
                f"{PAPER['inv_eb_at_0p3'][s][j]:.4g} | {r['si_at_0p3'][0]:.3f} ± {r['si_at_0p3'][1]:.3f} | "
                f"{PAPER['si_at_0p3'][s][j]:.4g} |")
    return "\n".join(lines)


def plots(groups, img, prefix="dataset_"):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import mplhep as hep

    hep.style.use("CMS")
    note = "l1ot simulation (Pythia 8 + L1 emulation), not CMS data"
    os.makedirs(img, exist_ok=True)
    colors = ["tab:blue", "tab:orange", "tab:green", "tab:brown", "tab:red", "tab:purple", "tab:cyan",
              "tab:olive"]
    styles = {}
    for i, name in enumerate(groups):
        if name == "background":
            styles[name] = dict(histtype="step", lw=3, color="black")
        else:
            sig = name in SIGNALS
            styles[name] = dict(histtype="step", lw=2, ls="--" if sig else "-", color=colors[i % len(colors)])

    def panel(ax, values, bins, xlabel, logy=True):
        for name, (v, lab) in values.items():
            h, e = np.histogram(np.clip(v, bins[0], bins[-1] - 1e-9), bins=bins)
            h = h / max(1, h.sum())
            hep.histplot(h, e, ax=ax, label=lab, **styles[name])
        ax.set_xlabel(xlabel)
        ax.set_ylabel("fraction of events")
        if logy:
            ax.set_yscale("log")

    # multiplicities
    fig, axs = plt.subplots(2, 2, figsize=(16, 13))
    mb = np.arange(-0.5, 5.5)
    for ax, (lo, hi, lab, bins) in zip(axs.flat, [(1, 5, r"$e/\gamma$ multiplicity", mb),
                                                  (5, 9, r"$\mu$ multiplicity", mb),
                                                  (9, 19, "jet multiplicity", np.arange(-0.5, 11.5)),
                                                  (1, 19, "total multiplicity", np.arange(0.5, 19.5))]):
        vals = {n: ((ev[:, lo:hi, 3] != 0).sum(1), l) for n, (ev, l) in groups.items()}
        panel(ax, vals, bins, lab)
    axs[0, 0].legend(fontsize=14, ncol=2)
    fig.suptitle(note, fontsize=16)
    fig.tight_layout()
    fig.savefig(os.path.join(img, prefix + "multiplicity.png"), dpi=70)
    plt.close(fig)

    # pT
    fig, axs = plt.subplots(2, 2, figsize=(16, 13))
    lead = lambda ev, lo, hi: ev[:, lo:hi, 0].max(1)  # noqa: E731
    specs = [(lambda ev: baselines.total_pt(ev), "total $p_T$ [GeV]", np.linspace(0, 600, 61)),
             (lambda ev: np.maximum(lead(ev, 1, 5), lead(ev, 5, 9)), "leading lepton ($e/\\gamma$, $\\mu$) $p_T$ [GeV]",
              np.linspace(20, 200, 46)),
             (lambda ev: lead(ev, 9, 19), "leading jet $p_T$ [GeV] (0: no jet)", np.linspace(0, 300, 61)),
             (lambda ev: ev[:, 1:, 0].sum(1) - lead(ev, 1, 19), "total $p_T$ minus leading object [GeV]",
              np.linspace(0, 400, 41))]
    for ax, (f, lab, bins) in zip(axs.flat, specs):
        panel(ax, {n: (f(ev), l) for n, (ev, l) in groups.items()}, bins, lab)
    axs[0, 0].legend(fontsize=14, ncol=2)
    fig.suptitle(note, fontsize=16)
    fig.tight_layout()
    fig.savefig(os.path.join(img, prefix + "pt.png"), dpi=70)
    plt.close(fig)

    # MET
    fig, ax = plt.subplots(figsize=(10, 8))
    panel(ax, {n: (baselines.met(ev), l) for n, (ev, l) in groups.items()}, np.linspace(0, 200, 41),
          "MET [GeV]")
    ax.legend(fontsize=13, ncol=2)
    ax.set_title(note, fontsize=13)
    fig.tight_layout()
    fig.savefig(os.path.join(img, prefix + "met.png"), dpi=70)
    plt.close(fig)


def roc_plot(bkg, sigs, img):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import mplhep as hep

    hep.style.use("CMS")
    fig, axs = plt.subplots(1, 3, figsize=(24, 8))
    for ax, b in zip(axs, BASELINES):
        f = getattr(baselines, b)
        for s, ev in sigs.items():
            eb, es, _ = metrics.roc_curve(f(bkg), f(ev))
            ax.plot(eb, es, lw=2, label=f"{SIGNALS[s][1]} (AUC {metrics.auc(f(bkg), f(ev)):.3f})")
        ax.plot([0, 1], [0, 1], "k:", lw=1)
        ax.set_xlabel(r"$\epsilon_b$")
        ax.set_ylabel(r"$\epsilon_s$")
        ax.set_title(b.replace("_", " "), fontsize=18)
        ax.legend(fontsize=13, loc="lower right")
    fig.tight_layout()
    fig.savefig(os.path.join(img, "dataset_roc.png"), dpi=60)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(REPO, "data"))
    ap.add_argument("--img", default=os.path.join(REPO, "docs", "img"))
    ap.add_argument("--json", default=os.path.join(REPO, "build", "dataset_report.json"))
    ap.add_argument("--no-plots", action="store_true")
    a = ap.parse_args(argv)

    bkg_path = os.path.join(a.data, BKG_FILE)
    bkg = load(bkg_path)
    pid, names = read_process_ids(bkg_path)
    sigs = {s: load(os.path.join(a.data, f)) for s, (f, _) in SIGNALS.items()}

    counts = {names[i]: int((pid == i).sum()) for i in np.unique(pid)}
    print(f"background: {len(bkg)} events {counts}")
    for s, ev in sigs.items():
        print(f"{s}: {len(ev)} events")
    summary = {"note": "simulated, not CMS", "n_bkg": len(bkg), "bkg_counts": counts, "n_sig": {s: len(v) for s, v in sigs.items()}}
    # per-process means
    groups = {"background": (bkg, "background (mix)")}
    for i in np.unique(pid):
        groups[names[i]] = (bkg[pid == i], BKG_LABELS.get(names[i], names[i]))
    for s, ev in sigs.items():
        groups[s] = (ev, SIGNALS[s][1])
    means = {}
    for n, (ev, _) in groups.items():
        means[n] = {"n": len(ev),
                    "n_egamma": float((ev[:, 1:5, 3] != 0).sum(1).mean()),
                    "n_muon": float((ev[:, 5:9, 3] != 0).sum(1).mean()),
                    "n_jet": float((ev[:, 9:, 3] != 0).sum(1).mean()),
                    "total_pt": float(baselines.total_pt(ev).mean()),
                    "met": float(baselines.met(ev).mean())}
    summary["means"] = means
    print("| process | events | <n e/γ> | <n μ> | <n jet> | <total pT>/GeV | <MET>/GeV |\n|---|---|---|---|---|---|---|")
    for n, m in means.items():
        print(f"| {n} | {m['n']} | {m['n_egamma']:.2f} | {m['n_muon']:.2f} | {m['n_jet']:.2f} | "
              f"{m['total_pt']:.1f} | {m['met']:.1f} |")

    res = baseline_metrics(bkg, sigs)
    summary["baselines"] = res
    print(table(res))
    if not a.no_plots:
        plots(groups, a.img)
        roc_plot(bkg, sigs, a.img)
    os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
    with open(a.json, "w") as f:
        json.dump(summary, f, indent=1)
    print(f"wrote {a.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
