#!/usr/bin/env python
"""Is the QCD generation cut p̂T > 45 GeV safe against the L1 selection? (simulated, not CMS)

Generates selected QCD events at a lower cut (``--pthat-min``, default 20 GeV; same
emulation, selection and re-hadronisation as ``make data``) and measures the fraction of
selected events below 45 GeV, the mean total pT / MET / multiplicity with and without the
cut, and -- with the W/Z/tt̄ events and signals of a generated sample (``--data``) -- the
baseline AUCs with the QCD component taken from the whole low-cut sample versus its
p̂T > 45 GeV part (which is what generating at 45 GeV gives).

    python scripts/studies/qcd_pthat_study.py --n 300 --data build/study16/pu0 --out reports/dataset_qcd_pthat
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

from l1ot.evaluation import baselines, metrics  # noqa: E402
from l1ot.io import data, naming  # noqa: E402
from l1ot.sim.production import BACKGROUND_SHARES, PROCESS_IDS  # noqa: E402

SIGNALS = ["A", "h0", "hpm", "LQ"]
BASE = ("total_pt", "met", "multiplicity")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=300, help="selected QCD events to generate")
    ap.add_argument("--pthat-min", type=float, default=20.0)
    ap.add_argument("--cut", type=float, default=45.0, help="the production cut under study")
    ap.add_argument("--seed", type=int, default=77)
    ap.add_argument("--chunk", type=int, default=50)
    ap.add_argument("--data", default=None, help="generated sample for the AUC comparison (optional)")
    ap.add_argument("--cache", default=os.path.join("build", "qcd_pthat_cache"))
    ap.add_argument("--out", default=os.path.join("reports", "dataset_qcd_pthat"))
    a = ap.parse_args(argv)
    from l1ot.sim.generate import run_chunk

    evs, pth, secs, stats = [], [], 0.0, []
    os.makedirs(a.cache, exist_ok=True)
    for i in range(int(np.ceil(a.n / a.chunk))):
        seed = int(np.random.SeedSequence([a.seed, i]).generate_state(1)[0] % 899_999_999) + 1
        path = os.path.join(a.cache, f"qcd_pthat{a.pthat_min:g}_s{seed}_n{a.chunk}.npz")
        if os.path.exists(path):
            z = np.load(path)
            e, p, st = z["events"], z["pthat"], json.loads(str(z["stats"]))
        else:
            t0 = time.time()
            e, st, aux = run_chunk("qcd", seed, a.chunk, return_aux=True,
                                   extra_settings=[f"PhaseSpace:pTHatMin = {a.pthat_min}"])
            st["seconds"] = time.time() - t0
            p = aux["pthat"]
            np.savez(path + ".tmp.npz", events=e, pthat=p, stats=json.dumps(st))
            os.replace(path + ".tmp.npz", path)
        evs.append(e)
        pth.append(p)
        stats.append(st)
        secs += st["seconds"]
        print(f"chunk {i}: {len(e)} events, {st['seconds']:.0f} s", flush=True)
    ev, pt_hat = np.concatenate(evs), np.concatenate(pth)
    low = pt_hat < a.cut
    edges = [a.pthat_min, 25, 30, 35, 45, 70, 120, np.inf]
    hist = np.histogram(pt_hat, bins=edges)[0]
    out = {"note": "simulated, not CMS", "pthat_min": a.pthat_min, "cut": a.cut, "n_selected": int(len(ev)),
           "fraction_below_cut": float(low.mean()),
           "fraction_below_cut_stat_err": float(np.sqrt(low.mean() * (1 - low.mean()) / len(ev))),
           "pthat_bins": [float(x) for x in edges], "pthat_counts": hist.tolist(),
           "worker_seconds": secs, "n_generated": int(sum(s["n_generated"] for s in stats)),
           "means": {}}
    for name, sel in (("all", np.ones(len(ev), bool)), (f"pthat>{a.cut:g}", ~low), (f"pthat<{a.cut:g}", low)):
        out["means"][name] = {b: float(getattr(baselines, b)(ev[sel]).mean()) for b in BASE}
    lines = [f"# QCD p̂T cut study (simulated, not CMS)", "",
             f"{len(ev)} selected QCD events generated at p̂T > {a.pthat_min:g} GeV "
             f"({out['n_generated']} parton-level events, {secs:.0f} worker-seconds). "
             f"Fraction with p̂T < {a.cut:g} GeV: **{100 * low.mean():.1f} ± "
             f"{100 * out['fraction_below_cut_stat_err']:.1f} %**.", "",
             "| p̂T bin / GeV | " + " | ".join(f"{edges[i]:g}–{edges[i + 1]:g}" for i in range(len(hist))) + " |",
             "|---|" + "---|" * len(hist),
             "| selected events | " + " | ".join(str(int(c)) for c in hist) + " |", "",
             "| QCD events | ⟨total pT⟩ / GeV | ⟨MET⟩ / GeV | ⟨multiplicity⟩ |", "|---|---|---|---|"]
    for name, m in out["means"].items():
        lines.append(f"| {name} | {m['total_pt']:.1f} | {m['met']:.1f} | {m['multiplicity']:.2f} |")
    if a.data:
        files = naming.resolve(a.data, SIGNALS)
        bkg = data.load(files.background)
        import h5py
        with h5py.File(files.background) as f:
            pid = f["process_id"][()]
        other = bkg[pid != PROCESS_IDS["qcd"]]
        share = BACKGROUND_SHARES["qcd"]
        n_qcd = int(round(share / (1 - share) * len(other)))
        rng = np.random.default_rng(0)
        mixes = {}
        for name, q in (("QCD p̂T > %g" % a.pthat_min, ev), ("QCD p̂T > %g" % a.cut, ev[~low])):
            q = q[rng.choice(len(q), n_qcd, replace=len(q) < n_qcd)]
            mixes[name] = np.concatenate([other, q])
        out["auc"] = {}
        lines += ["", f"Baseline AUCs, background = the {len(other)} W/Z/tt̄ events of {a.data} + {n_qcd} QCD "
                      f"events (share {share}) drawn from each QCD sample:", "",
                  "| signal | baseline | " + " | ".join(mixes) + " | difference |", "|---|---|---|---|---|"]
        for s in SIGNALS:
            sig = data.load(files.signals[s])
            for b in BASE:
                f = getattr(baselines, b)
                v = [metrics.auc(f(m), f(sig)) for m in mixes.values()]
                out["auc"].setdefault(s, {})[b] = v
                lines.append(f"| {s} | {b} | {v[0]:.4f} | {v[1]:.4f} | {v[1] - v[0]:+.4f} |")
    lines += ["", f"Command: `python scripts/studies/qcd_pthat_study.py --n {a.n} --pthat-min {a.pthat_min:g} "
                  f"--seed {a.seed} --chunk {a.chunk}" + (f" --data {a.data}" if a.data else "") + "`"]
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    for ext, body in (("json", json.dumps(out, indent=1)), ("md", text)):
        with open(f"{a.out}.{ext}.tmp", "w") as f:
            f.write(body)
        os.replace(f"{a.out}.{ext}.tmp", f"{a.out}.{ext}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
