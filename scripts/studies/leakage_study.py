#!/usr/bin/env python
"""Train/test leakage through re-hadronised QCD: AUC with event-level vs group-respecting splits.

On one simulated sample whose background file stores ``parton_event`` (scripts/make_dataset.py),
repeat ``--reps`` times, with the same events and the same signal test sets:

* **event-level**: shuffle events, test block = the first ``--n-test`` background events,
  reference / training set = the next ``--n-ref`` events (siblings of test events may be in it);
* **group-respecting**: shuffle parton-level groups, the test block takes whole groups
  (the last group is cut at ``--n-test``; its other members are left out), the reference set
  is drawn from the remaining groups (what :mod:`l1ot.io.splits` guarantees).

Scores: exact min-W2 (3D ground space, paper 1) to the reference set, and LinW2 (sorted,
k-medoids trained on the reference set). Prints and writes (JSON + markdown) the mean AUC per
signal and split, and the paired difference with its standard error.

    python scripts/studies/leakage_study.py --data build/study16/pu0 --out reports/dataset_leakage
    python scripts/studies/leakage_study.py --data data --n-background 3000 --n-signal 500 \
        --n-test 500 --n-ref 2000 --out reports/dataset_leakage_bundled

The full pairwise W2 matrix of the background grows as N^2 (the bundled 30,000 events would need
4.5e8 exact W2), so ``--n-background`` / ``--n-signal`` take the first events of the files; the
background cut falls on a group boundary.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "model"))

from l1ot.evaluation import metrics  # noqa: E402
from l1ot.io import data, naming  # noqa: E402
from l1ot.ot import linot, w2  # noqa: E402

SIGNALS = ("A", "h0", "hpm", "LQ")


def event_split(rng, groups, n_test, n_ref):
    perm = rng.permutation(len(groups))
    return perm[:n_test], perm[n_test:n_test + n_ref]


def group_split(rng, groups, n_test, n_ref):
    uniq, inv = np.unique(groups, return_inverse=True)
    order = rng.permutation(uniq.size)
    rank = np.empty(uniq.size, np.int64)
    rank[order] = np.arange(uniq.size)
    ev = np.lexsort((rng.random(len(groups)), rank[inv]))      # events grouped, groups shuffled
    test = ev[:n_test]
    cut = groups[ev[n_test - 1]]
    rest = ev[n_test:]
    rest = rest[groups[rest] != cut]                            # the cut group's other members: out
    return test, rest[:n_ref]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="folder of a generated sample (background with parton_event)")
    ap.add_argument("--n-test", type=int, default=500)
    ap.add_argument("--n-ref", type=int, default=1000)
    ap.add_argument("--k", type=int, default=32, help="LinW2 medoids")
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--n-background", type=int, default=None,
                    help="use only the first N background events, cut back to a group boundary "
                         "(the full pairwise W2 matrix grows as N^2; default all)")
    ap.add_argument("--n-signal", type=int, default=None, help="use only the first M events per signal")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--out", default=os.path.join("reports", "dataset_leakage"),
                    help="output stem (.json, .md)")
    a = ap.parse_args(argv)
    for name in ("n_test", "n_ref", "k", "reps", "n_background", "n_signal"):
        v = getattr(a, name)
        if v is not None and v < 1:
            ap.error(f"argument --{name.replace('_', '-')}: must be >= 1, got {v}")
    files = naming.resolve(a.data, list(SIGNALS))
    bkg_path = files.background
    groups, stored = data.load_groups(bkg_path)
    if not stored:
        sys.exit(f"error: {bkg_path}: no 'parton_event' dataset; nothing to study")
    n_bkg = len(groups)
    if a.n_background is not None and a.n_background < n_bkg:
        # whole groups only: drop the trailing group if the cut would split it
        n_bkg = a.n_background
        while 0 < n_bkg < len(groups) and groups[n_bkg] == groups[n_bkg - 1]:
            n_bkg -= 1
    groups = groups[:n_bkg]
    if a.n_test + a.n_ref > n_bkg:
        sys.exit(f"error: {bkg_path}: --n-test + --n-ref = {a.n_test + a.n_ref} exceeds the "
                 f"{n_bkg} background events used")
    bkg = data.load(bkg_path, n=n_bkg)
    with __import__("h5py").File(bkg_path) as f:
        pid = f["process_id"][:n_bkg]
    sig = {s: data.load(files.signals[s], n=a.n_signal) for s in SIGNALS}
    t0 = time.time()
    d_bb = w2.pairwise_w2(bkg, space="3d", n_jobs=a.jobs)        # full symmetric matrix
    d_sb = {s: w2.pairwise_w2(sig[s], bkg, space="3d", n_jobs=a.jobs) for s in SIGNALS}
    t_w2 = time.time() - t0
    _, cnt = np.unique(groups, return_counts=True)
    size = dict(zip(*np.unique(groups, return_counts=True)))
    multi = np.array([size[g] > 1 for g in groups])
    res = {m: {meth: {s: [] for s in SIGNALS} for meth in ("3d_ot", f"linw2_sorted_k{a.k}")}
           for m in ("event", "group")}
    frac_sib = {"event": [], "group": []}
    rng = np.random.default_rng(a.seed)
    for r in range(a.reps):
        seed_r = int(rng.integers(1 << 31))
        for mode, fn in (("event", event_split), ("group", group_split)):
            te, ref = fn(np.random.default_rng(seed_r), groups, a.n_test, a.n_ref)
            refg = set(groups[ref].tolist())
            frac_sib[mode].append(float(np.mean([groups[i] in refg for i in te])))
            sb = d_bb[np.ix_(te, ref)].min(axis=1)
            model = linot.train(bkg[ref], k=a.k, transport="sorted", seed=0)
            lb = model.score(bkg[te])
            for s in SIGNALS:
                ss = d_sb[s][:, ref].min(axis=1)
                res[mode]["3d_ot"][s].append(metrics.auc(sb, ss))
                res[mode][f"linw2_sorted_k{a.k}"][s].append(metrics.auc(lb, model.score(sig[s])))
        print(f"rep {r + 1}/{a.reps}: test events with a sibling in the reference set: "
              f"event-level {frac_sib['event'][-1]:.3f}, group {frac_sib['group'][-1]:.3f}", flush=True)
    summary = {"data": a.data, "n_background": int(len(bkg)), "n_groups": int(cnt.size),
               "events_in_multi_member_groups": float(multi.mean()),
               "qcd_events_in_multi_member_groups": float(multi[pid == 1].mean()) if np.any(pid == 1) else None,
               "n_signal": {k: int(len(v)) for k, v in sig.items()}, "n_test": a.n_test, "n_ref": a.n_ref, "reps": a.reps, "k": a.k, "w2_seconds": t_w2,
               "test_with_sibling_in_ref": {m: float(np.mean(v)) for m, v in frac_sib.items()},
               "auc": {}, "note": "simulated, not CMS"}
    lines = [f"# Leakage study (simulated, not CMS): {a.reps} random splits of {a.data}", "",
             f"{len(bkg)} background events ({'the first ' if len(bkg) < data.count(bkg_path) else ''}"
             f"of {bkg_path}) in {cnt.size} parton-level groups; "
             f"{100 * multi.mean():.1f} % of the events (QCD: "
             f"{100 * summary['qcd_events_in_multi_member_groups']:.1f} %) share their group with another event. "
             f"Test {a.n_test} background events + all signal events, reference/training set {a.n_ref} "
             f"background events. Background test events with a sibling in the reference set: event-level "
             f"{100 * summary['test_with_sibling_in_ref']['event']:.1f} %, group-respecting "
             f"{100 * summary['test_with_sibling_in_ref']['group']:.1f} %.", "",
             "| method | signal | AUC event-level split | AUC group-respecting split | difference (event - group) |",
             "|---|---|---|---|---|"]
    for meth in res["event"]:
        for s in SIGNALS:
            e, g = np.array(res["event"][meth][s]), np.array(res["group"][meth][s])
            d = e - g
            summary["auc"].setdefault(meth, {})[s] = {
                "event": [float(e.mean()), float(e.std(ddof=1))], "group": [float(g.mean()), float(g.std(ddof=1))],
                "diff": [float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d)))]}
            lines.append(f"| {meth} | {s} | {e.mean():.4f} ± {e.std(ddof=1):.4f} | {g.mean():.4f} ± "
                         f"{g.std(ddof=1):.4f} | {d.mean():+.4f} ± {d.std(ddof=1) / np.sqrt(len(d)):.4f} |")
    lines += ["", "± after an AUC: spread over the random splits; ± after a difference: its standard error.",
              f"Command: `python scripts/studies/leakage_study.py --data {a.data} --n-test {a.n_test} --n-ref {a.n_ref} "
              f"--reps {a.reps} --k {a.k}"
              + (f" --n-background {a.n_background}" if a.n_background is not None else "")
              + (f" --n-signal {a.n_signal}" if a.n_signal is not None else "")
              + (f" --seed {a.seed}" if a.seed else "") + "`"]
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    for ext, body in ((".json", json.dumps(summary, indent=1)), (".md", text)):
        tmp = a.out + ext + ".tmp"
        with open(tmp, "w") as f:
            f.write(body)
        os.replace(tmp, a.out + ext)
    return 0


if __name__ == "__main__":
    sys.exit(main())
