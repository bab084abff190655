#!/usr/bin/env python
"""AUC against the mean pile-up ⟨μ⟩: OT scores and baselines on samples generated with
``scripts/make_dataset.py --pileup MU`` (simulated, not CMS).

    python scripts/studies/pileup_study.py --sample 0=build/study16/pu0 --sample 20=build/study16/pu20 \\
        --sample 50=build/study16/pu50 --out reports/pileup_auc

Every sample is evaluated with the same protocol through :func:`l1ot.evaluation.evaluate.evaluate`
(the ``l1ot evaluate`` machinery, parton-level groups kept on one side): one test set of
``--n-per-set`` background + ``--n-per-set`` signal events, reference / training set of ``--n-ref``
background events. Writes ``OUT.json``, ``OUT.md``, ``OUT.png`` and ``OUT.pdf``.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "model"))

from l1ot.evaluation import evaluate as ev  # noqa: E402
from l1ot.io import naming  # noqa: E402
from l1ot.io.splits import Splits  # noqa: E402

SIGNALS = ["A", "h0", "hpm", "LQ"]
METHODS = ["3d_ot", "linw2_sorted_k32", "total_pt", "met", "multiplicity"]
LABELS = {"3d_ot": "3D OT (min W2)", "linw2_sorted_k32": "LinW2 sorted k=32", "total_pt": "total pT",
          "met": "MET", "multiplicity": "multiplicity"}


def auc_error(auc, n1, n2):
    """Hanley & McNeil (1982) standard error of an AUC from n1 background and n2 signal events."""
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    return float(np.sqrt((auc * (1 - auc) + (n2 - 1) * (q1 - auc ** 2) + (n1 - 1) * (q2 - auc ** 2)) / (n1 * n2)))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sample", action="append", required=True, metavar="MU=DIR")
    ap.add_argument("--n-per-set", type=int, default=200,
                    help="test events per class (at most; smaller samples use what they have)")
    ap.add_argument("--n-ref", type=int, default=400)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--out", default=os.path.join("reports", "pileup_auc"))
    a = ap.parse_args(argv)
    samples = sorted(((float(s.split("=", 1)[0]), s.split("=", 1)[1]) for s in a.sample))
    from l1ot.io import data

    res, n_test = {}, {}
    for mu, d in samples:
        files = naming.resolve(d, SIGNALS)
        n = min([a.n_per_set, data.count(files.background) - a.n_ref - 10] +
                [data.count(p) for p in files.signals.values()])
        splits = Splits(n_sets=1, n_per_set=n, n_calib=0)
        print(f"<mu> = {mu:g}: {d} ({n} + {n} test events per signal)")
        r, _, _ = ev.evaluate(files.background, files, METHODS, signals=SIGNALS, n_ref=a.n_ref,
                              n_train=a.n_ref, n_jobs=a.jobs, splits=splits, progress=False)
        res[mu] = {m: {s: r[m][s]["auc"][0] for s in SIGNALS} for m in METHODS}
        n_test[mu] = n
    out = {"note": "simulated, not CMS", "n_per_set": {f"{mu:g}": n_test[mu] for mu in res}, "n_ref": a.n_ref,
           "samples": {f"{mu:g}": d for mu, d in samples},
           "auc": {f"{mu:g}": {m: {s: [v, auc_error(v, n_test[mu], n_test[mu])] for s, v in r.items()}
                               for m, r in res[mu].items()} for mu in res}}
    lines = ["# AUC against ⟨μ⟩ (simulated, not CMS)", "",
             "One test set per signal of n background + n signal events, n = " +
             ", ".join(f"{n_test[mu]} (⟨μ⟩ = {mu:g})" for mu in res) +
             f"; reference / training set {a.n_ref} background events (the same for every ⟨μ⟩); "
             "± Hanley–McNeil standard error.", "",
             "| method | signal | " + " | ".join(f"⟨μ⟩ = {mu:g}" for mu in res) + " |",
             "|---|---|" + "---|" * len(res)]
    for m in METHODS:
        for s in SIGNALS:
            lines.append(f"| {LABELS[m]} | {s} | " + " | ".join(
                f"{res[mu][m][s]:.3f} ± {auc_error(res[mu][m][s], n_test[mu], n_test[mu]):.3f}" for mu in res) + " |")
    lines += ["", "Command: `python scripts/studies/pileup_study.py " + " ".join(f"--sample {s}" for s in a.sample) +
              f" --n-per-set {a.n_per_set} --n-ref {a.n_ref}`"]
    text = "\n".join(lines) + "\n"
    print(text)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    mus = list(res)
    fig, axes = plt.subplots(1, 4, figsize=(14, 3.8), sharey=True)
    for ax, s in zip(axes, SIGNALS):
        for m in METHODS:
            y = [res[mu][m][s] for mu in mus]
            e = [auc_error(v, n_test[mu], n_test[mu]) for v, mu in zip(y, mus)]
            ax.errorbar(mus, y, yerr=e, marker="o", capsize=2, label=LABELS[m],
                        ls="-" if m in ("3d_ot", "linw2_sorted_k32") else "--")
        ax.set_title(ev.PLOT_LABELS.get(s, s))
        ax.set_xlabel(r"mean pile-up $\langle\mu\rangle$")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("AUC")
    axes[-1].legend(fontsize=7, loc="lower right")
    fig.suptitle("l1ot simulation (Pythia 8 + L1 emulation): simulated, not CMS", fontsize=10)
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    for ext in ("png", "pdf"):
        tmp = f"{a.out}.tmp.{ext}"
        fig.savefig(tmp, dpi=130)
        os.replace(tmp, f"{a.out}.{ext}")
    for ext, body in (("json", json.dumps(out, indent=1)), ("md", text)):
        with open(f"{a.out}.{ext}.tmp", "w") as f:
            f.write(body)
        os.replace(f"{a.out}.{ext}.tmp", f"{a.out}.{ext}")
    print(f"wrote {a.out}.{{png,pdf,json,md}}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
