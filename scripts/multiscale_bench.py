#!/usr/bin/env python
"""Timing of the multi-scale and single-scale distance matrices vs N and vs Dask worker count.

Writes ``reports/multiscale_bench.json``. ``--knn-ns`` adds (``--knn-only``: only, the other
entries of the file kept) the exact pruned kNN (:mod:`l1ot.multiscale.knn`) against the full
single-scale matrix + brute-force kNN, on the same events in the same run. Events are tt-bar + QCD of the bundled
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
    ap.add_argument("--knn-ns", type=int, nargs="*", default=[], help="events per class for the kNN pruning")
    ap.add_argument("--knn-only", action="store_true", help="only the kNN pruning; keep the file's other entries")
    ap.add_argument("--knn-scaling", type=int, default=0,
                    help="events per class of a cached full matrix (build/cache) on which the work ratio of the "
                         "pruned kNN is counted at 1/4 .. 4/4 of the size (no timing); kept with --knn-only")
    ap.add_argument("-o", "--output", default=os.path.join("reports", "multiscale_bench.json"))
    a = ap.parse_args(argv)
    if a.knn_only:
        out = {}
        if os.path.exists(a.output):
            with open(a.output) as f:
                out = json.load(f)
        if a.knn_scaling:
            out["knn_work_vs_n"] = knn_scaling(a.knn_scaling)
        if a.knn_ns:
            out["knn_pruning"] = knn_bench(a.knn_ns, lambda part: _write(dict(out, knn_pruning=part), a.output))
        return _write(out, a.output)
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
    if a.knn_scaling:
        out["knn_work_vs_n"] = knn_scaling(a.knn_scaling)
    if a.knn_ns:
        out["knn_pruning"] = knn_bench(a.knn_ns)
    return _write(out, a.output)


def _write(out, path) -> int:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(out, f, indent=1)
    os.replace(tmp, path)
    print(f"wrote {path}")
    return 0


def _pair_cost(data, n_pairs=40, seed=0):
    """Median seconds of one exact single-scale pair (eventot.single_pair) on random pairs."""
    rng = np.random.default_rng(seed)
    n = len(data["off"]) - 1
    ts = []
    for _ in range(n_pairs):
        i, j = sorted(rng.choice(n, 2, replace=False))
        t = time.perf_counter()
        eventot.single_pair(data, int(i), int(j))
        ts.append(time.perf_counter() - t)
    return float(np.median(ts))


def knn_scaling(n):
    """Exact pairs the pruned kNN solves against the matrix size, counted on one full matrix.

    The matrix of ``n`` + ``n`` events (CM, R = 0.8) is computed once (cached in build/cache);
    the pruned kNN then runs on its first m + m events for m = n/4 .. n, its exact pairs read
    from the matrix (so only the counts are measured, not time). Both k grids of :func:`knn_bench`.
    """
    from l1ot.multiscale import classify, knn

    events, y = pipeline.load_task("ttbar", n)
    data = eventot.pack_points(pipeline.represent(events, generate.R_BENCH, rotate=False))
    d = eventot.single_matrix(data)
    rows = []
    for m in sorted({max(10, n * q // 4) for q in (1, 2, 3, 4)}):
        idx = np.r_[0:m, n:n + m]
        sub = {"x": [], "w": [], "off": [0]}
        for i in idx:
            sl = slice(data["off"][i], data["off"][i + 1])
            sub["x"].append(data["x"][sl])
            sub["w"].append(data["w"][sl])
            sub["off"].append(sub["off"][-1] + sl.stop - sl.start)
        sub = {"x": np.concatenate(sub["x"]), "w": np.concatenate(sub["w"]), "off": np.array(sub["off"])}
        dm = d[np.ix_(idx, idx)]
        ym = y[idx]
        splits = classify.folds(ym)
        n_tr = len(splits[0][0])
        kmax = max(1, round(n_tr / 12))
        scaled = tuple(int(k) for k in sorted(set(np.linspace(1, kmax, 10).round().astype(int))))
        orig, orig_duals = eventot.single_pair, eventot.single_pair_duals
        eventot.single_pair = lambda _d, i, j: dm[i, j] ** 2
        # the dual bound needs the potentials: solved for real (the value still read from the matrix)
        eventot.single_pair_duals = lambda _d, i, j: (dm[i, j] ** 2,) + tuple(orig_duals(_d, i, j)[1:])
        try:
            row = {"n_per_class": m, "n_train": n_tr}
            for name, grid in (("paper", classify.K_GRID), ("scaled_k_over_ntrain_1_12", scaled)):
                ref = knn.knn_auc_brute(dm, ym, splits, grid)
                need = _needed_pairs(dm, splits, grid, ref["k"])
                for use_dual in (False, True):
                    r = knn.knn_auc_pruned(sub, ym, splits, grid, use_dual=use_dual)
                    st = r["stats"]
                    same = r["aucs"] == ref["aucs"] and all(
                        np.array_equal(a[k], b[k]) for a, b in zip(ref["neighbours"], r["neighbours"]) for k in a)
                    ent = {"solved_fraction": st["solved_fraction"], "same_auc": r["aucs"] == ref["aucs"],
                           "pairs_over_solved": st["pairs_total"] / max(1, st["solved"] + st["pivot_solved"]),
                           "same_neighbours": bool(same), "solved": st["solved"], "pivot_solved": st["pivot_solved"],
                           "pairs_over_solved_without_pivots": st["pairs_total"] / max(1, st["solved"])}
                    if not use_dual:
                        row[name] = ent
                        ent["perfect_bound_pairs_over_needed"] = st["pairs_total"] / max(1, need)
                        continue
                    ent["dual_bounds"] = st["dual_bounds"]
                    row[name]["dual_bound"] = ent
        finally:
            eventot.single_pair, eventot.single_pair_duals = orig, orig_duals
        print(row, flush=True)
        rows.append(row)
    return {"statement": "simulated, not CMS", "matrix_n_per_class": n, "rows": rows,
            "note": "work ratio = pairs of the full matrix / exact pairs solved (pivot rows included; "
                    "pairs_over_solved_without_pivots leaves out the 8 pivot rows, which are 8 N of the N^2/2 pairs), "
                    "counted with exact values read from the full matrix; no timing. Top-level fields per grid: "
                    "the map, centroid and pivot bounds (use_dual=False); 'dual_bound': the same search with the "
                    "dual (c-transform) bound from the potentials of solved pairs added (its potentials solved "
                    "for real, the values read from the matrix). perfect_bound_pairs_over_needed: the ceiling of "
                    "any bound-pruned exact search (bounds equal to W2^2): pairs / the distinct pairs at or below "
                    "each query's k-th distance"}


def _needed_pairs(dm, splits, grid, ks):
    """Distinct pairs any exact search must solve even with perfect bounds: for every validation
    query (largest k of the grid) and test query (the fold's chosen k), the training events at or
    below its k-th smallest distance (ties included)."""
    from l1ot.multiscale import knn

    pairs = set()
    for (tr, va, te), k in zip(splits, ks):
        kv = knn._grid(len(tr), grid)[-1]
        for qs, kq in ((va, kv), (te, k)):
            for q in qs:
                r = dm[q, tr]
                kth = np.partition(r, kq - 1)[kq - 1]
                pairs.update((min(int(q), int(j)), max(int(q), int(j))) for j in tr[r <= kth])
    return len(pairs)


def knn_bench(ns, checkpoint=None):
    """Full single-scale matrix + brute-force kNN against the pruned exact kNN, same events, same run.

    Two k grids: the paper's (10..200, capped at the training size) and one scaled to the
    paper-scale ratio k_max / n_train = 200 / 2400 (so that a small run shows the regime of
    2,000 + 2,000 events; k_max = round(n_train / 12), 10 values). The CM scheme at R = 0.8.
    """
    from l1ot.multiscale import classify, knn

    rows = []
    for n in ns:
        events, y = pipeline.load_task("ttbar", n)
        pre = pipeline.represent(events, generate.R_BENCH, rotate=False)
        data = eventot.pack_points(pre)
        splits = classify.folds(y)
        n_tr = len(splits[0][0])
        kmax = max(1, round(n_tr / 12))
        scaled = tuple(int(k) for k in sorted(set(np.linspace(1, kmax, 10).round().astype(int))))
        c0 = _pair_cost(data)
        t = time.perf_counter()
        d = eventot.single_matrix(data, engine=None, cache_dir=None)
        t_mat = time.perf_counter() - t
        pairs = len(y) * (len(y) - 1) // 2
        row = {"kind": "single-scale CM, kNN", "n_per_class": n, "n_train": n_tr, "pairs": pairs,
               "full_matrix_s": t_mat, "full_us_per_pair": 1e6 * t_mat / pairs, "load": os.getloadavg()[0],
               "grids": {}}
        for name, grid in (("paper", classify.K_GRID), ("scaled_k_over_ntrain_1_12", scaled)):
            t = time.perf_counter()
            ref = knn.knn_auc_brute(d, y, splits, grid)
            t_brute = time.perf_counter() - t
            for use_dual in (False, True):
                load0 = os.getloadavg()[0]
                t = time.perf_counter()
                res = knn.knn_auc_pruned(data, y, splits, grid, use_dual=use_dual)
                t_pr = time.perf_counter() - t
                same = all(np.array_equal(a[k], b[k]) for a, b in zip(ref["neighbours"], res["neighbours"])
                           for k in a)
                st = res["stats"]
                per = st["solve_s"] / max(1, st["solved"] + st["pivot_solved"])
                c1 = _pair_cost(data, seed=1)
                model_pr = (st["solved"] + st["pivot_solved"]) * np.median([c0, c1]) + st["bound_s"] + st["dual_s"]
                ent = {
                    "k_grid": [int(k) for k in grid if k <= n_tr] or [n_tr], "auc_brute": ref["auc"],
                    "auc_pruned": res["auc"], "same_neighbours": bool(same), "brute_knn_s": t_brute,
                    "pruned_s": t_pr, "ratio_full_over_pruned": (t_mat + t_brute) / t_pr,
                    "solved_pairs": st["solved"] + st["pivot_solved"], "solved_fraction": st["solved_fraction"],
                    "pruned_us_per_solved_pair": 1e6 * per, "bound_s": st["bound_s"], "load": os.getloadavg()[0],
                    "median_pair_s_before_after": [c0, c1],
                    "pairs_over_solved": pairs / max(1, st["solved"] + st["pivot_solved"]),
                    "ratio_cost_model": pairs * np.median([c0, c1]) / model_pr}
                if not use_dual:
                    row["grids"][name] = ent
                else:
                    ent.update({"dual_s": st["dual_s"], "dual_bounds": st["dual_bounds"], "load_before": load0})
                    row["grids"][name]["dual_bound"] = ent
            print(n, name, row["grids"][name], flush=True)
        rows.append(row)
        if checkpoint:
            checkpoint(_knn_out(rows))
    return _knn_out(rows)


def _knn_out(rows):
    return {"statement": "simulated, not CMS", "rows": rows,
            "note": "one run per size on the shared 2-core machine (niced, load column). ratio_full_over_pruned = "
                    "(full matrix + brute kNN) / pruned kNN wall time, same events, same run; the load changes "
                    "between the two, so ratio_cost_model prices both with the median per-pair cost of 40 random "
                    "pairs measured before and after (pairs x cost against solved x cost + bound time), and "
                    "pairs_over_solved is the machine-independent work ratio. Top-level fields per grid: the map, "
                    "centroid and pivot bounds (use_dual=False); 'dual_bound': the same search with the dual "
                    "(c-transform) bound of knn.dual_bound (its bound time dual_s is priced in ratio_cost_model)"}


if __name__ == "__main__":
    sys.exit(main())
