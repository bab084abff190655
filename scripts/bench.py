#!/usr/bin/env python3
"""Benchmarks (``make bench``) -> ``reports/bench.json`` and ``reports/bench.md``.

All rates of one section are measured in the same run on the same events;
each figure is the median of ``--repeats`` timings of process CPU time, with
BLAS limited to one thread, so rates are per core and do not depend on other
jobs sharing the machine.

Sections:
* exact W2 pairs/s: POT ``ot.emd2`` vs the assignment fast path;
* exact min-W2 events/s against N = 1,000 reference events (POT, fast);
* LinW2 float scoring events/s at k = 32;
* bit-accurate fixed-point model events/s at k = 32 (``l1ot.kernel.bench_fixed``);
* peak memory of a streamed pass over a 1M-event file (separate process).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests"))


def median_time(fn, repeats):
    """Median CPU time of ``fn`` (process time: the single-threaded work of one core,
    insensitive to other jobs on a shared machine)."""
    ts = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        ts.append(time.process_time() - t0)
    return statistics.median(ts)


def events(n, seed, data_dir):
    from l1ot.io import data

    path = os.path.join(data_dir, "background_for_training.h5")
    if os.path.exists(path):
        total = data.count(path)
        n = min(n, total)
        start = (seed * 7919) % (total - n + 1)  # different blocks for different seeds
        return data.load(path, n=n, start=start), "bundled sample"
    from fixtures import toy_events

    return toy_events(n, seed=seed), "synthetic fixture events"


def bench_w2_pairs(data_dir, repeats, n_pairs=400):
    from threadpoolctl import threadpool_limits

    from l1ot.ot import spaces, w2

    with threadpool_limits(1):
        return _bench_w2_pairs(data_dir, repeats, n_pairs, spaces, w2)


def _bench_w2_pairs(data_dir, repeats, n_pairs, spaces, w2):
    a, src = events(n_pairs, 0, data_dir)
    b, _ = events(n_pairs, 1, data_dir)
    xa, xb = spaces.coordinates(a), spaces.coordinates(b)
    out = {"events": src, "pairs": n_pairs}
    for solver in ("pot", "fast"):
        w2.w2_squared_points(xa[0], xb[0], solver)  # warm-up (imports)
        t = median_time(lambda: [w2.w2_squared_points(xa[i], xb[i], solver) for i in range(n_pairs)], repeats)
        out[f"{solver}_pairs_per_s"] = n_pairs / t
    out["fast_over_pot"] = out["fast_pairs_per_s"] / out["pot_pairs_per_s"]
    return out


def bench_min_w2(data_dir, repeats, n_ref=1000):
    from threadpoolctl import threadpool_limits

    from l1ot.ot import w2

    with threadpool_limits(1):
        return _bench_min_w2(data_dir, repeats, n_ref, w2)


def _bench_min_w2(data_dir, repeats, n_ref, w2):
    refs, src = events(n_ref, 2, data_dir)
    test, _ = events(200, 3, data_dir)
    out = {"events": src, "n_ref": n_ref}
    n_pot = 5
    # the paper's procedure: one POT emd2 per reference, minimum over the N references
    t = median_time(lambda: w2.pairwise_w2(test[:n_pot], refs, solver="pot").min(axis=1), max(1, repeats // 2))
    out["pot_events_per_s"] = n_pot / t
    # the same minimum with the assignment solver, all N references
    t = median_time(lambda: w2.pairwise_w2(test[:50], refs, solver="fast").min(axis=1), max(1, repeats // 2))
    out["fast_events_per_s"] = 50 / t
    # assignment solver + marginal lower-bound pruning (exact, see l1ot.ot.w2.min_w2)
    t = median_time(lambda: w2.min_w2(test, refs, solver="fast"), repeats)
    out["fast_pruned_events_per_s"] = len(test) / t
    out["fast_over_pot"] = out["fast_events_per_s"] / out["pot_events_per_s"]
    out["fast_pruned_over_pot"] = out["fast_pruned_events_per_s"] / out["pot_events_per_s"]
    return out


def bench_linw2(data_dir, repeats, k=32, n=1_000_000):
    from threadpoolctl import threadpool_limits

    from l1ot.ot import linot

    train, src = events(4000, 4, data_dir)
    model = linot.train(train, k=k)
    base, _ = events(20000, 5, data_dir)
    big = np.tile(base, (n // len(base), 1, 1))
    with threadpool_limits(1):
        model.score(big[:1000])
        t = median_time(lambda: model.score(big), repeats)
    return {"events": src, "k": k, "n_events": len(big), "events_per_s_per_core": len(big) / t,
            "goal": 1_000_000, "goal_met": bool(len(big) / t >= 1_000_000)}


def bench_fixed(data_dir, repeats):
    try:
        from l1ot.kernel import bench_fixed as bf
    except ImportError as exc:
        return {"skipped": f"l1ot.kernel.bench_fixed not available ({exc})"}
    return bf.bench_fixed(repeat=repeats)


PEAK = "int([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]) / 1024.0"

STREAM_CHILD = r"""
import sys, time
import numpy as np
from l1ot import data, baselines
t0 = time.perf_counter()
n = 0; acc = 0.0
for idx, p in data.iter_chunks(sys.argv[1], chunk_size=int(sys.argv[2])):
    n += len(p); acc += baselines.total_pt(p).sum()
dt = time.perf_counter() - t0
print(n, dt, PEAK)
""".replace("PEAK", PEAK)

BASE_CHILD = r"""
import numpy as np, h5py
from l1ot import data, baselines
print(PEAK)
""".replace("PEAK", PEAK)


def bench_stream(data_dir, build, sizes=(200_000, 1_000_000), chunk=100_000):
    """Peak memory of a streamed pass for two file sizes: flat in N if streaming works."""
    runs = [_stream_one(data_dir, build, n, chunk) for n in sizes]
    out = dict(runs[-1])
    out["by_size"] = {str(r["n_events"]): r["peak_rss_mb"] for r in runs}
    out["peak_ratio_largest_over_smallest"] = runs[-1]["peak_rss_mb"] / runs[0]["peak_rss_mb"]
    return out


def _stream_one(data_dir, build, n, chunk):
    from l1ot.io import data

    path = os.path.join(build, "bench", f"stream_{n}.h5")
    if not os.path.exists(path):
        base, _ = events(10000, 6, data_dir)
        with data.ChunkWriter(path) as w:
            for _ in range(n // len(base)):
                w.append(base)
    py = sys.executable
    out = subprocess.run([py, "-c", STREAM_CHILD, path, str(chunk)], capture_output=True, text=True, check=True)
    n_read, dt, peak = out.stdout.split()
    base = float(subprocess.run([py, "-c", BASE_CHILD], capture_output=True, text=True, check=True).stdout)
    return {"n_events": int(n_read), "chunk_size": chunk, "seconds": float(dt),
            "events_per_s": int(n_read) / float(dt), "peak_rss_mb": float(peak),
            "import_baseline_rss_mb": base, "whole_file_in_memory_mb": n * 19 * 4 * 4 / 2**20,
            "goal_mb": 500, "goal_met": float(peak) < 500}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(REPO, "data"))
    ap.add_argument("--build", default=os.path.join(REPO, "build"))
    ap.add_argument("--out", default=os.path.join(REPO, "reports"))
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--only", default="", help="comma list of sections")
    args = ap.parse_args(argv)
    sections = {"w2_pairs": lambda: bench_w2_pairs(args.data, args.repeats),
                "min_w2": lambda: bench_min_w2(args.data, args.repeats),
                "linw2_float": lambda: bench_linw2(args.data, args.repeats),
                "fixed_model": lambda: bench_fixed(args.data, args.repeats),
                "stream_memory": lambda: bench_stream(args.data, args.build)}
    only = [s for s in args.only.split(",") if s]
    res = {"_machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                        "numpy": np.__version__, "date": time.strftime("%Y-%m-%d %H:%M:%S")}}
    path = os.path.join(args.out, "bench.json")
    if only and os.path.exists(path):
        res = json.load(open(path)) | res
    for name, fn in sections.items():
        if only and name not in only:
            continue
        print(f"[bench] {name} ...", flush=True)
        res[name] = fn()
        print("        " + json.dumps(res[name], default=float))
    os.makedirs(args.out, exist_ok=True)
    with open(path, "w") as f:
        json.dump(res, f, indent=1, default=float)
    with open(os.path.join(args.out, "bench.md"), "w") as f:
        f.write(render_md(res))
    print(f"wrote {path}")


def render_md(res):
    L = ["# Benchmarks (`make bench`)", "", f"Machine: {res['_machine']}", "",
         "Medians of repeated timings, measured in one run.", ""]
    if "w2_pairs" in res:
        r = res["w2_pairs"]
        L += ["## Exact W2, pairs per second", "", "| solver | pairs/s |", "|---|---|",
              f"| POT `ot.emd2` | {r['pot_pairs_per_s']:.0f} |", f"| assignment (fast) | {r['fast_pairs_per_s']:.0f} |",
              "", f"Fast / POT = **{r['fast_over_pot']:.1f}×** (goal ≥ 5×) on {r['events']}.", ""]
    if "min_w2" in res:
        r = res["min_w2"]
        L += ["## Exact min-W2 anomaly score (N = 1,000 references), events per second", "",
              "| solver | events/s | vs POT |", "|---|---|---|", f"| POT `ot.emd2`, every reference | {r['pot_events_per_s']:.2f} | 1 |",
              f"| assignment, every reference | {r['fast_events_per_s']:.1f} | {r['fast_over_pot']:.1f}× |",
              f"| assignment + marginal-bound pruning (exact) | {r['fast_pruned_events_per_s']:.1f} | {r['fast_pruned_over_pot']:.0f}× |", ""]
    if "linw2_float" in res:
        r = res["linw2_float"]
        L += ["## LinW2 float scoring, k = 32, one core", "",
              f"{r['events_per_s_per_core']:.3g} events/s on {r['n_events']} events "
              f"(goal 10⁶: {'met' if r['goal_met'] else 'NOT met'}).", ""]
    if "fixed_model" in res and "skipped" not in res["fixed_model"]:
        L += ["## Bit-accurate fixed-point model", "", "```", json.dumps(res["fixed_model"], indent=1, default=float), "```", ""]
    if "stream_memory" in res:
        r = res["stream_memory"]
        L += ["## Streamed pass over a 1M-event file", "",
              f"Peak RSS {r['peak_rss_mb']:.0f} MB (of which {r['import_baseline_rss_mb']:.0f} MB is the Python + "
              f"numpy + h5py baseline), {r['events_per_s']:.3g} events/s, chunk {r['chunk_size']}; "
              f"the whole file in memory would be {r['whole_file_in_memory_mb']:.0f} MB. Goal < 500 MB: "
              f"{'met' if r['goal_met'] else 'NOT met'}. Peak by file size: {r.get('by_size')} "
              f"(ratio {r.get('peak_ratio_largest_over_smallest', float('nan')):.2f}: flat in N).", ""]
    return "\n".join(L)


if __name__ == "__main__":
    main()
