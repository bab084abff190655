#!/usr/bin/env python
"""Timing of the multi-scale and single-scale distance matrices vs N and vs Dask worker count.

Writes ``reports/multiscale_bench.json``. Events are tt-bar + QCD of the bundled
samples (simulated, not CMS) at the benchmark radius; matrices are not cached
here. Worker counts > 1 run on an embedded ``LocalCluster`` through
:class:`l1ot.engine.Engine` (cluster start-up excluded from the timing); 1 runs
in this process. The load average of the machine is recorded beside every
timing, since other jobs share the cores.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "model"))

from l1ot.engine import Engine, usable_cores  # noqa: E402
from l1ot.multiscale import eventot, generate, pipeline  # noqa: E402


def timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ns", type=int, nargs="+", default=[50, 100, 200, 400], help="events (half signal)")
    ap.add_argument("--single-ns", type=int, nargs="+", default=[50, 100, 200])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--workers-n", type=int, default=200, help="events for the worker scan")
    ap.add_argument("-o", "--output", default=os.path.join("reports", "multiscale_bench.json"))
    a = ap.parse_args(argv)
    nmax = max(a.ns + a.single_ns + [a.workers_n])
    events, _ = pipeline.load_task("ttbar", nmax // 2)
    t = time.perf_counter()
    pre = pipeline.represent(events, generate.R_BENCH, rotate=True)
    t_pre = (time.perf_counter() - t) / len(pre)
    t = time.perf_counter()
    data_all = pipeline.multiscale_data(pre, generate.R_BENCH)
    t_emb = (time.perf_counter() - t) / len(pre)

    def sub(n):
        idx = np.r_[0:n // 2, nmax // 2:nmax // 2 + n // 2]
        p = [pre[i] for i in idx]
        return pipeline.multiscale_data(p, generate.R_BENCH), eventot.pack_points(p)

    rows_n, rows_w = [], []
    for n in a.ns:
        d, _ = sub(n)
        s = timed(lambda: eventot.matrices(d, engine=None, cache_dir=None))
        rows_n.append({"kind": "multiscale (8 scan points x pt + uniform + jet1)", "n_events": n, "workers": 1,
                       "seconds": s, "pairs": n * (n - 1) // 2, "us_per_pair": 1e6 * s / (n * (n - 1) / 2),
                       "load": os.getloadavg()[0]})
        print(rows_n[-1])
    for n in a.single_ns:
        _, p = sub(n)
        s = timed(lambda: eventot.single_matrix(p, engine=None, cache_dir=None))
        rows_n.append({"kind": "single-scale exact W2", "n_events": n, "workers": 1, "seconds": s,
                       "pairs": n * (n - 1) // 2, "us_per_pair": 1e6 * s / (n * (n - 1) / 2),
                       "mean_constituents": float(np.mean(np.diff(p["off"]))), "load": os.getloadavg()[0]})
        print(rows_n[-1])
    d, _ = sub(a.workers_n)
    for w in a.workers:
        with Engine(workers=w, progress=False) as eng:
            if eng.distributed:
                # start the cluster and import POT on every worker outside the timing
                eventot.matrices(sub(8)[0], engine=eng, cache_dir=None, n_tasks=4 * w)
            s = timed(lambda: eventot.matrices(d, engine=eng, cache_dir=None))
        rows_w.append({"kind": "multiscale", "n_events": a.workers_n, "workers": w, "seconds": s,
                       "load": os.getloadavg()[0]})
        print(rows_w[-1])
    out = {"statement": "simulated, not CMS", "usable_cores": usable_cores(), "radius": generate.R_BENCH,
           "preprocess_s_per_event": t_pre, "embed_s_per_event": t_emb, "vs_n": rows_n, "vs_workers": rows_w,
           "note": "the machine is shared: compare the load column; N^2/2 event pairs per matrix"}
    tmp = a.output + ".tmp"
    with open(tmp, "w") as f:
        json.dump(out, f, indent=1)
    os.replace(tmp, a.output)
    print(f"wrote {a.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
