#!/usr/bin/env python
"""Regenerate the simulated ADC2021-format sample (Pythia 8 + FastJet + L1 emulation).

    python scripts/make_dataset.py --out data                 # full bundled sample
    python scripts/make_dataset.py --smoke --out /tmp/smoke   # a few events of each process

Output files (ADC2021 names): background_for_training.h5 (W/QCD/Z/ttbar mixed to the
paper-1 shares, per-event ``process_id``), Ato4l_lepFilter_13TeV.h5,
hToTauTau_13TeV_PU20.h5, hChToTauNu_13TeV_PU20.h5, leptoquark_LOWMASS_lepFilter_13TeV.h5.
The content depends only on ``--seed``, ``--n-bkg``, ``--n-sig`` and ``--chunk``.
"""
from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "model"))

from l1ot.sim import production as prod  # noqa: E402
from l1ot.sim.processes import BACKGROUND_FILE, BACKGROUND_SHARES, PROCESS_IDS, SIGNAL_FILES


def parse(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="data", help="output directory (default: data)")
    ap.add_argument("--n-bkg", type=int, default=30000, help="background events after selection")
    ap.add_argument("--n-sig", type=int, default=6000, help="events per signal after selection")
    ap.add_argument("--seed", type=int, default=2021, help="base seed")
    ap.add_argument("--chunk", type=int, default=200, help="selected events per chunk (part of the definition of the sample)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes")
    ap.add_argument("--cache", default=os.path.join(REPO, "build", "sim_cache"),
                    help="chunk cache directory ('' to disable); lets an interrupted run resume")
    ap.add_argument("--max-minutes", type=float, default=None,
                    help="stop starting chunks after this wall time and write the largest complete "
                         "sample (counts reduced; the command reproducing it is printed)")
    ap.add_argument("--pileup", type=float, default=0.0, metavar="MU",
                    help="mean number of pile-up interactions (Poisson, Pythia SoftQCD minimum bias) overlaid "
                         "on every event before the L1 emulation (default 0: none)")
    ap.add_argument("--only", default=None,
                    help="comma-separated processes to produce (studies; background mixing needs all four "
                         "background processes); default all")
    ap.add_argument("--smoke", action="store_true",
                    help="tiny run: 40 background and 10 signal events, chunks of 10, no cache")
    a = ap.parse_args(argv)
    if a.smoke:
        a.n_bkg, a.n_sig, a.chunk, a.cache = min(a.n_bkg, 40), min(a.n_sig, 10), 10, ""
    if a.n_bkg < 0 or a.n_sig < 0 or a.chunk < 1 or a.jobs < 1:
        ap.error("--n-bkg/--n-sig must be >= 0, --chunk and --jobs >= 1")
    if not (a.pileup >= 0 and math.isfinite(a.pileup)) or a.pileup > 300:
        ap.error(f"argument --pileup: {a.pileup} is not a mean number of interactions in [0, 300]")
    if a.only:
        known = set(prod.targets(0, 0))
        bad = [p for p in a.only.split(",") if p not in known]
        if bad:
            ap.error(f"argument --only: unknown process {bad[0]!r}; known: {', '.join(sorted(known))}")
    return a


def produce(a):
    from l1ot.progress import bar as progress_bar

    tasks = prod.plan(a.n_bkg, a.n_sig, a.chunk, a.seed)
    if a.only:
        tasks = [t for t in tasks if t[0] in a.only.split(",")]
    jobs = [(p, i, s, n, a.cache, a.pileup) for p, i, s, n in tasks]
    results = {}
    t0 = time.time()
    deadline = t0 + 60 * a.max_minutes if a.max_minutes else None
    bar = progress_bar(total=len(jobs), unit="chunk", desc="chunks", dynamic_ncols=True)
    done_ev = {p: 0 for p in prod.targets(a.n_bkg, a.n_sig)}
    stopped = False
    if a.jobs == 1:
        for j in jobs:
            if deadline and time.time() > deadline:
                stopped = True
                break
            p, i, _, ev, st, aux = prod.run_task(j)
            results[(p, i)] = (ev, st, aux)
            done_ev[p] += len(ev)
            bar.update(1)
            bar.set_postfix_str(" ".join(f"{k}:{v}" for k, v in done_ev.items()))
    else:
        ctx = mp.get_context("fork")
        with ctx.Pool(a.jobs) as pool:
            it = pool.imap_unordered(prod.run_task, jobs, chunksize=1)
            for p, i, _, ev, st, aux in it:
                results[(p, i)] = (ev, st, aux)
                done_ev[p] += len(ev)
                bar.update(1)
                bar.set_postfix_str(" ".join(f"{k}:{v}" for k, v in done_ev.items()))
                if deadline and time.time() > deadline:
                    stopped = True
                    pool.terminate()
                    break
    bar.close()
    return results, stopped, time.time() - t0


def contiguous(results, process):
    """Events of the chunks 0..k-1 of ``process`` that all finished, in chunk order."""
    evs, sts, auxs, i = [], [], [], 0
    while (process, i) in results:
        ev, st, aux = results[(process, i)]
        evs.append(ev)
        sts.append(st)
        auxs.append(aux)
        i += 1
    ev = np.concatenate(evs) if evs else np.zeros((0, 19, 4), np.float32)
    aux = {k: np.concatenate([x[k] for x in auxs]) if auxs else np.zeros(0, np.int64)
           for k in ("parton_event", "pthat", "n_pileup")}
    return ev, sts, aux


def summarize_stats(sts):
    keys = ("n_generated", "n_hadronized", "n_accepted", "n_prefiltered", "n_multi", "n_lep_filtered",
            "n_pileup", "seconds")
    s = {k: float(sum(st.get(k, 0) for st in sts)) for k in keys}
    s["n_chunks"] = len(sts)
    s["sigma_mb_mean"] = float(np.mean([st["sigma_mb"] for st in sts])) if sts else 0.0
    s["efficiency"] = s["n_accepted"] / s["n_generated"] if s["n_generated"] else 0.0
    s["seeds"] = [int(st["seed"]) for st in sts if "seed" in st]
    return s


def _write_atomic(path, events, attrs, extra):
    """Write through a temporary name beside ``path`` and rename on success."""
    from l1ot.io.data import write_events

    tmp = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".tmp")
    try:
        write_events(tmp, events, attrs=attrs, extra=extra)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write(a, results, wall):
    os.makedirs(a.out, exist_ok=True)
    only = set(a.only.split(",")) if a.only else None
    pools = {p: contiguous(results, p) for p in prod.targets(a.n_bkg, a.n_sig) if only is None or p in only}
    stats = {p: summarize_stats(pools[p][1]) for p in pools}
    do_bkg = all(p in pools for p in BACKGROUND_SHARES) and a.n_bkg > 0
    sigs = [p for p in SIGNAL_FILES if p in pools and a.n_sig > 0]
    # largest sample the finished chunks allow
    n_bkg = a.n_bkg if do_bkg else 0
    for p, share in BACKGROUND_SHARES.items():
        while do_bkg and n_bkg > 0 and prod.background_counts(n_bkg)[p] > len(pools[p][0]):
            n_bkg = min(n_bkg - 1, int(len(pools[p][0]) / share))
    n_sig = min([a.n_sig] + [len(pools[p][0]) for p in sigs]) if sigs else 0
    reduced = do_bkg and n_bkg != a.n_bkg or sigs and n_sig != a.n_sig
    common = dict(base_seed=a.seed, pileup=a.pileup)
    pu = f" --pileup {a.pileup:g}" if a.pileup else ""
    extra = {"n_bkg": n_bkg, "n_sig": n_sig, "chunk": a.chunk,
             "command": f"python scripts/make_dataset.py --out {a.out} --n-bkg {n_bkg} --n-sig {n_sig} "
                        f"--seed {a.seed} --chunk {a.chunk}{pu}" + (f" --only {a.only}" if a.only else "")}

    def datasets(p, sl):
        ev, _, aux = pools[p]
        return {"process_id": np.full(len(ev[sl]), PROCESS_IDS[p], np.int8),
                "parton_event": aux["parton_event"][sl].astype(np.int64),
                "pthat": aux["pthat"][sl].astype(np.float32)}

    if do_bkg:
        # background mix: whole parton-level groups are shuffled, members stay adjacent
        counts = prod.background_counts(n_bkg)
        parts, dsets = [], []
        for p in BACKGROUND_SHARES:
            parts.append(pools[p][0][:counts[p]])
            dsets.append(datasets(p, slice(0, counts[p])))
        bkg = np.concatenate(parts)
        ds = {k: np.concatenate([d[k] for d in dsets]) for k in dsets[0]}
        perm = prod.group_contiguous_permutation(ds["parton_event"], np.random.default_rng([a.seed, 7]))
        bkg = bkg[perm]
        ds = {k: v[perm] for k, v in ds.items()}
        attrs = prod.file_attrs(processes=list(BACKGROUND_SHARES), stats={p: stats[p] for p in BACKGROUND_SHARES},
                                n_events=len(bkg), extra={**extra, "shares": json.dumps(BACKGROUND_SHARES),
                                                          "counts": json.dumps(counts)}, **common)
        _write_atomic(os.path.join(a.out, BACKGROUND_FILE), bkg, attrs, ds)
        n_grp = len(np.unique(ds["parton_event"]))
        print(f"{BACKGROUND_FILE}: {len(bkg)} events in {n_grp} parton-level groups {counts}")
    for p in sigs:
        fname = SIGNAL_FILES[p]
        ev = pools[p][0][:n_sig]
        attrs = prod.file_attrs(processes=[p], stats={p: stats[p]}, n_events=len(ev), extra=extra, **common)
        _write_atomic(os.path.join(a.out, fname), ev, attrs, datasets(p, slice(0, n_sig)))
        print(f"{fname}: {len(ev)} events")
    for p, s in stats.items():
        print(f"  {p:11s} generated {int(s['n_generated']):8d}  accepted {int(s['n_accepted']):6d}  "
              f"eff {s['efficiency']:.4f} (per generated event)  worker time {s['seconds']:.0f} s")
    print(f"wall time {wall / 60:.1f} min")
    if reduced:
        print(f"counts reduced to n_bkg={n_bkg} n_sig={n_sig}; reproduce with:\n  {extra['command']}")
    return n_bkg, n_sig


def main(argv=None):
    a = parse(argv)
    results, stopped, wall = produce(a)
    write(a, results, wall)
    return 0


if __name__ == "__main__":
    sys.exit(main())
