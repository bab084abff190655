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
* peak memory of a streamed pass over a 1M-event file (separate process);
* exact W2 solvers on the same pairs: POT, scipy, lapx (batch) and the hand-written
  C assignment kernel of ``l1ot.ot.csolve`` (``w2_solvers``);
* exact W2 against the field's library on the same pairs (``w2_field``): l1ot's compiled
  solvers and min-W2 search against POT and ``wasserstein`` 1.1.0 (GPLv3, the optional
  ``bench`` extra, run from its own environment ``.venv-bench``: ``make bench-venv``), in
  2D (paper 1, pT weights) and 3D, 100 x 300 pairs, medians of 3;
* end to end ``l1ot score`` and ``score --fixed`` on a generated file of >= 4M events
  (``score_e2e``: read, validation, quantization, kernel, output write; child process
  CPU time and peak RSS; the 13M-event figure extrapolated);
* the Dask engine (``dask``): 1 -> 2 worker scaling of exact min-W2 scoring and the
  overhead of the engine against the single-process path on a small file.

CPU-time rates are per core whatever the machine load; wall-time figures (Dask
scaling and overhead) depend on it, and the load average is recorded with them.
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
    # the compiled search with lower bounds (exact, see l1ot.ot.w2.min_w2)
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
from l1ot.io import data
from l1ot.evaluation import baselines
t0 = time.perf_counter()
n = 0; acc = 0.0
for idx, p in data.iter_chunks(sys.argv[1], chunk_size=int(sys.argv[2])):
    n += len(p); acc += baselines.total_pt(p).sum()
dt = time.perf_counter() - t0
print(n, dt, PEAK)
""".replace("PEAK", PEAK)

BASE_CHILD = r"""
import numpy as np, h5py
from l1ot.io import data
from l1ot.evaluation import baselines
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


def bench_w2_solvers(data_dir, repeats, n_a=60, n_b=100, n_pot=200):
    """Pairs/s of exact W2 solvers on the same event pairs (3d space), one core.

    POT, scipy and lapx get precomputed 19 x 19 cost matrices (their cost build is not
    timed); the hand-written kernel is timed as used (compaction + reduced problems).
    """
    from threadpoolctl import threadpool_limits

    import ot
    from scipy.optimize import linear_sum_assignment

    from l1ot.ot import distcache, spaces

    a_ev, src = events(n_a, 7, data_dir)
    b_ev, _ = events(n_b, 8, data_dir)
    a, b = spaces.coordinates(a_ev), spaces.coordinates(b_ev)
    n_pairs = n_a * n_b
    d = a[:, None, :, None, :] - b[None, :, None, :, :]
    costs = np.ascontiguousarray(np.einsum("ijklm,ijklm->ijkl", d, d).reshape(-1, 19, 19))
    u = np.full(19, 1.0 / 19)
    out = {"events": src, "pairs": n_pairs, "pot_pairs": n_pot}
    with threadpool_limits(1):
        t = median_time(lambda: distcache.w2_squared_matrix(a, b), repeats)
        ref = distcache.w2_squared_matrix(a, b).ravel()
        out["handwritten_c_pairs_per_s"] = n_pairs / t
        t = median_time(lambda: [ot.emd2(u, u, costs[i]) for i in range(n_pot)], max(1, repeats // 2))
        pot = np.array([ot.emd2(u, u, costs[i]) for i in range(n_pot)])
        out["pot_pairs_per_s"] = n_pot / t
        out["max_abs_diff_vs_pot"] = float(np.abs(pot - ref[:n_pot]).max())

        def scipy_all():
            return [costs[i][linear_sum_assignment(costs[i])].sum() / 19 for i in range(n_pairs)]

        t = median_time(scipy_all, max(1, repeats // 2))
        out["scipy_pairs_per_s"] = n_pairs / t
        out["scipy_max_abs_diff"] = float(np.abs(np.array(scipy_all()) - ref).max())
        try:
            import lap
        except ImportError as exc:
            out["lapx"] = f"not installed ({exc}); pip install lapx"
        else:
            t = median_time(lambda: lap.lapjvx_batch(costs, n_threads=1), repeats)
            out["lapx_batch_pairs_per_s"] = n_pairs / t
            tot = np.asarray(lap.lapjvx_batch(costs, n_threads=1)[0]) / 19
            out["lapx_max_abs_diff"] = float(np.abs(tot - ref).max())
            out["handwritten_over_lapx"] = out["handwritten_c_pairs_per_s"] / out["lapx_batch_pairs_per_s"]
    out["handwritten_over_pot"] = out["handwritten_c_pairs_per_s"] / out["pot_pairs_per_s"]
    out["handwritten_over_scipy"] = out["handwritten_c_pairs_per_s"] / out["scipy_pairs_per_s"]
    return out


def _bench_python():
    """Python of the bench environment (``make bench-venv``) with ``wasserstein``, or None."""
    py = os.environ.get("L1OT_BENCH_PYTHON") or os.path.join(REPO, ".venv-bench", "bin", "python")
    if not os.path.exists(py):
        return None
    r = subprocess.run([py, "-c", "import wasserstein"], capture_output=True, text=True)
    return py if r.returncode == 0 else None


def bench_w2_field(data_dir, build, repeats=3, n_test=100, n_ref=300, n_pot=3):
    """Exact W2 against the field's library on the same pairs, 2D (paper 1, pT weights) and 3D.

    ``n_test`` test events x ``n_ref`` references of the bundled sample, one thread, medians of
    ``repeats`` CPU times, in one run: l1ot (``pairwise_w2``, ``min_w2``; packing included),
    POT ``ot.emd2`` (costs given, ``n_pot`` test events) and ``wasserstein`` 1.1.0 (``PairwiseEMD``
    and ``EMD``, in a child process of the ``bench`` environment: GPLv3 and numpy < 2, never a
    dependency of l1ot). Min-W2 of POT and wasserstein is brute force over all references.
    """
    import tempfile

    import ot
    from threadpoolctl import threadpool_limits

    from l1ot.ot import spaces, w2

    test, src = events(n_test, 3, data_dir)
    refs, _ = events(n_ref, 2, data_dir)
    out = {"events": src, "n_test": len(test), "n_ref": len(refs), "pairs": len(test) * len(refs),
           "repeats": repeats, "threads": 1, "load_average": os.getloadavg()}
    arrays, d2 = {"spaces": np.array(["2d", "3d"])}, {}
    with threadpool_limits(1):
        for space in ("2d", "3d"):
            xt, xr = spaces.coordinates(test, space), spaces.coordinates(refs, space)
            mt, mr = spaces.masses(test, space), spaces.masses(refs, space)
            arrays.update({f"{space}_test_x": xt, f"{space}_test_w": mt, f"{space}_ref_x": xr,
                           f"{space}_ref_w": mr})
            r = {"occupied_points_mean": float(np.mean(np.r_[(mt > 0).sum(1), (mr > 0).sum(1)]))
                 if space == "2d" else 19.0}
            w2.pairwise_w2(test[:2], refs, space=space)  # warm-up: builds the compiled kernels
            t = median_time(lambda: w2.pairwise_w2(test, refs, space=space), repeats)
            r["l1ot_pairs_per_s"] = out["pairs"] / t
            d2[space] = w2.pairwise_w2(test, refs, space=space) ** 2
            t = median_time(lambda: w2.pairwise_w2(test, refs, space=space).min(axis=1), repeats)
            r["l1ot_brute_force_min_events_per_s"] = len(test) / t
            t = median_time(lambda: w2.min_w2(test, refs, space=space), repeats)
            r["l1ot_min_w2_events_per_s"] = len(test) / t
            st = {}
            s_min = w2.min_w2(test, refs, space=space, stats=st)
            r["l1ot_min_w2_solved_per_event"] = st.get("solved", 0) / len(test)
            r["l1ot_min_w2_max_abs_diff_vs_brute_force"] = float(np.abs(s_min ** 2 - d2[space].min(1)).max())
            # POT: one ot.emd2 per pair on the points of positive mass, costs given
            probs = []
            for i in range(n_pot):
                for j in range(len(refs)):
                    ka, kb = mt[i] > 0, mr[j] > 0
                    a, b = mt[i][ka], mr[j][kb]
                    c = ((xt[i][ka][:, None] - xr[j][kb][None]) ** 2).sum(-1)
                    probs.append((a, b * (a.sum() / b.sum()), np.ascontiguousarray(c)))
            t = median_time(lambda: [ot.emd2(a, b, c) for a, b, c in probs], repeats)
            r["pot_pairs_per_s"] = len(probs) / t
            r["pot_brute_force_min_events_per_s"] = n_pot / t
            pot = np.array([ot.emd2(a, b, c) for a, b, c in probs]).reshape(n_pot, -1)
            r["l1ot_max_abs_diff_vs_pot"] = float(np.abs(pot - d2[space][:n_pot]).max())
            r["l1ot_pairs_over_pot"] = r["l1ot_pairs_per_s"] / r["pot_pairs_per_s"]
            r["l1ot_min_w2_over_pot"] = r["l1ot_min_w2_events_per_s"] / r["pot_brute_force_min_events_per_s"]
            out[space] = r
    py = _bench_python()
    if py is None:
        msg = ("wasserstein (the optional `bench` extra) is not installed: `make bench-venv` puts it in "
               ".venv-bench (GPLv3, numpy < 2: never in .venv); no side-by-side rows")
        print("        " + msg, flush=True)
        out["wasserstein"] = {"skipped": msg}
        return out
    with tempfile.TemporaryDirectory() as tmp:
        src_npz, dst_npz = os.path.join(tmp, "in.npz"), os.path.join(tmp, "out.npz")
        np.savez(src_npz, **arrays)
        env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
        rr = subprocess.run([py, os.path.join(REPO, "scripts", "bench_wasserstein.py"), src_npz, dst_npz,
                             str(repeats)], capture_output=True, text=True, env=env)
        if rr.returncode != 0:
            raise RuntimeError(f"scripts/bench_wasserstein.py failed: {rr.stderr[-2000:]}")
        ws = json.loads(rr.stdout.strip().splitlines()[-1])
        mats = np.load(dst_npz)
        for space in ("2d", "3d"):
            r, q = out[space], ws[space]
            r["wasserstein_pairwise_emd_pairs_per_s"] = q["pairwise_emd_pairs_per_s"]
            r["wasserstein_emd_pairs_per_s"] = q["emd_pairs_per_s"]
            r["wasserstein_brute_force_min_events_per_s"] = q["brute_force_min_events_per_s"]
            r["l1ot_max_abs_diff_vs_wasserstein"] = float(np.abs(mats[space] - d2[space]).max())
            r["l1ot_pairs_over_wasserstein"] = r["l1ot_pairs_per_s"] / q["pairwise_emd_pairs_per_s"]
            r["l1ot_min_w2_over_wasserstein"] = (r["l1ot_min_w2_events_per_s"]
                                                 / q["brute_force_min_events_per_s"])
            r["wasserstein_over_pot_pairs"] = q["pairwise_emd_pairs_per_s"] / r["pot_pairs_per_s"]
    out["wasserstein"] = {k: v for k, v in ws.items() if k not in ("2d", "3d")}
    return out


E2E_CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from l1ot.cli import main
rc = main(sys.argv[1:])
wall = time.perf_counter() - t0
print(json.dumps({"rc": rc, "cpu_s": time.process_time(), "wall_s": wall, "peak_rss_mb": PEAK}))
""".replace("PEAK", PEAK)


def big_file(data_dir, build, n):
    """An uncompressed, contiguous ADC2021 file of ``n`` events (the bundled sample repeated;
    simulated, not CMS) under build/bench/, like the 13M-event challenge file."""
    import h5py

    from l1ot.io import data

    path = os.path.join(build, "bench", f"e2e_{n}.h5")
    if os.path.exists(path) and data.count(path) == n:
        return path
    os.makedirs(os.path.dirname(path), exist_ok=True)
    base, _ = events(30000, 0, data_dir)
    tmp = path + ".tmp"
    with h5py.File(tmp, "w") as f:
        d = f.create_dataset(data.DATASET, shape=(n, 19, 4), dtype="f4")
        for lo in range(0, n, len(base)):
            hi = min(n, lo + len(base))
            d[lo:hi] = base[:hi - lo]
        f.create_dataset("Particles_Classes", data=np.array(data.PARTICLES_CLASSES))
        f.create_dataset("Particles_Names", data=np.array(data.PARTICLES_NAMES))
        f.attrs["note"] = "simulated, not CMS: the bundled sample repeated (benchmark input)"
    os.replace(tmp, path)
    return path


def _cli_child(argv):
    r = subprocess.run([sys.executable, "-c", E2E_CHILD] + argv, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"l1ot {' '.join(argv)} failed: {r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def _model(data_dir, build):
    path = os.path.join(build, "model_k32.h5")
    if not os.path.exists(path):
        path = os.path.join(build, "bench", "model_k32.h5")
        if not os.path.exists(path):
            _cli_child(["train", os.path.join(data_dir, "background_for_training.h5"), "--k", "32", "-o", path])
    return path


def bench_score_e2e(data_dir, build, repeats, n=4_000_000):
    """``l1ot score`` end to end in a child process, --workers 1 (one process), median of repeats."""
    path = big_file(data_dir, build, n)
    small = big_file(data_dir, build, 1_000_000)
    model = _model(data_dir, build)
    out_file = os.path.join(build, "bench", "e2e_scores.h5")
    res = {"events_file": f"{n} events, bundled sample repeated (simulated, not CMS), uncompressed",
           "n_events": n, "load_average": os.getloadavg()}
    for name, extra in (("float", []), ("fixed", ["--fixed"])):
        runs = [_cli_child(["score", model, path, "-o", out_file, "--workers", "1"] + extra)
                for _ in range(max(1, min(repeats, 3)))]
        cpu = statistics.median(r["cpu_s"] for r in runs)
        wall = statistics.median(r["wall_s"] for r in runs)
        peak = max(r["peak_rss_mb"] for r in runs)
        peak_1m = _cli_child(["score", model, small, "-o", out_file, "--workers", "1"] + extra)["peak_rss_mb"]
        # start-up (imports, model, compiled-code cache) from a 1-event run, paid once per file
        start = statistics.median(_cli_child(["score", model, small, "-o", out_file, "--workers", "1", "-n", "1"]
                                             + extra)["cpu_s"] for _ in range(3))
        steady = n / max(cpu - start, 1e-9)
        cpu_13m = start + 13e6 / steady
        res[name] = {"cpu_s": cpu, "wall_s": wall, "events_per_s_per_core": n / cpu,
                     "startup_cpu_s": start, "events_per_s_per_core_after_startup": steady,
                     "events_per_s_wall": n / wall, "peak_rss_mb": peak, "peak_rss_mb_1M": peak_1m,
                     "cpu_s_13M_extrapolated": cpu_13m, "events_per_s_per_core_13M": 13e6 / cpu_13m,
                     "goal_events_per_s_per_core": 1e6,
                     "goal_met": bool(13e6 / cpu_13m >= 1e6 and peak < 500)}
    if os.path.exists(out_file):
        os.unlink(out_file)
    return res


def bench_dask(data_dir, build, repeats):
    """Dask engine: exact min-W2 1 -> 2 workers (wall, cluster already up) and overhead on a small file."""
    from l1ot.engine import Engine
    from l1ot.ot import w2

    refs, src = events(1000, 2, data_dir)
    test, _ = events(3000, 3, data_dir)
    out = {"events": src, "load_average_before": os.getloadavg(), "cores": os.cpu_count()}
    walls = {}
    t0 = time.perf_counter()
    w2.min_w2(test, refs, n_jobs=1)
    out["min_w2_in_process_wall_s"] = time.perf_counter() - t0
    for nw in (1, 2):
        # both on the cluster (joblib Dask backend), 2 jobs per worker
        with Engine(workers=nw, progress=False) as eng, eng.joblib(nw):
            w2.min_w2(test[:40], refs, n_jobs=2 * nw)  # warm-up: workers import and compile
            ts = []
            for _ in range(max(1, min(repeats, 3))):
                t0 = time.perf_counter()
                w2.min_w2(test, refs, n_jobs=2 * nw)
                ts.append(time.perf_counter() - t0)
            walls[nw] = statistics.median(ts)
    out["min_w2_events"] = len(test)
    out["min_w2_n_ref"] = len(refs)
    out["min_w2_wall_s"] = {str(k): v for k, v in walls.items()}
    out["min_w2_scaling_1_to_2"] = walls[1] / walls[2]
    model = _model(data_dir, build)
    small = os.path.join(data_dir, "background_for_training.h5")
    out_file = os.path.join(build, "bench", "dask_scores.h5")
    one = _cli_child(["score", model, small, "-o", out_file, "--fixed", "--workers", "1"])
    dsk = _cli_child(["score", model, small, "-o", out_file, "--fixed", "--workers", "2",
                      "--partition-size", "10000", "--chunk-size", "10000"])
    out["small_file_events"] = 30000
    out["single_process_wall_s"] = one["wall_s"]
    out["dask_2_workers_wall_s"] = dsk["wall_s"]
    out["dask_overhead_s"] = dsk["wall_s"] - one["wall_s"]
    out["load_average_after"] = os.getloadavg()
    if os.path.exists(out_file):
        os.unlink(out_file)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(REPO, "data"))
    ap.add_argument("--build", default=os.path.join(REPO, "build"))
    ap.add_argument("--out", default=os.path.join(REPO, "reports"))
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--only", default="", help="comma list of sections")
    ap.add_argument("--e2e-events", type=int, default=4_000_000,
                    help="events of the generated end-to-end file (>= 4M for the issue-14 figure)")
    args = ap.parse_args(argv)
    sections = {"w2_pairs": lambda: bench_w2_pairs(args.data, args.repeats),
                "min_w2": lambda: bench_min_w2(args.data, args.repeats),
                "linw2_float": lambda: bench_linw2(args.data, args.repeats),
                "fixed_model": lambda: bench_fixed(args.data, args.repeats),
                "stream_memory": lambda: bench_stream(args.data, args.build),
                "w2_solvers": lambda: bench_w2_solvers(args.data, args.repeats),
                "w2_field": lambda: bench_w2_field(args.data, args.build, 3),
                "score_e2e": lambda: bench_score_e2e(args.data, args.build, args.repeats, args.e2e_events),
                "dask": lambda: bench_dask(args.data, args.build, args.repeats)}
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
              f"| compiled assignment (`pairwise_w2`), every reference | {r['fast_events_per_s']:.1f} | {r['fast_over_pot']:.1f}× |",
              f"| compiled search with lower bounds (`min_w2`, exact) | {r['fast_pruned_events_per_s']:.1f} | {r['fast_pruned_over_pot']:.0f}× |", ""]
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
    if "w2_solvers" in res:
        r = res["w2_solvers"]
        L += ["## Exact W2 solvers on the same pairs (3d), one core", "",
              "| solver | pairs/s | max |Δ W2²| vs hand-written |", "|---|---|---|",
              f"| POT `ot.emd2` (cost given) | {r['pot_pairs_per_s']:.0f} | {r['max_abs_diff_vs_pot']:.1e} |",
              f"| scipy `linear_sum_assignment` (cost given) | {r['scipy_pairs_per_s']:.0f} | {r['scipy_max_abs_diff']:.1e} |"]
        if "lapx_batch_pairs_per_s" in r:
            L += [f"| lapx `lapjvx_batch` (costs given) | {r['lapx_batch_pairs_per_s']:.0f} | {r['lapx_max_abs_diff']:.1e} |"]
        L += [f"| hand-written C (`l1ot.ot.csolve`, as used) | {r['handwritten_c_pairs_per_s']:.0f} | 0 |", "",
              f"Hand-written / POT = **{r['handwritten_over_pot']:.0f}×** (goal ≥ 20×), / scipy = "
              f"{r['handwritten_over_scipy']:.1f}×" + (f", / lapx = {r['handwritten_over_lapx']:.1f}×" if "handwritten_over_lapx" in r else "")
              + " (kept because ≥ 1.5× faster than both).", ""]
    if "w2_field" in res:
        L += render_w2_field(res["w2_field"])
    if "score_e2e" in res:
        r = res["score_e2e"]
        L += ["## `l1ot score` end to end, one process (`--workers 1`)", "",
              f"{r['events_file']}; child-process CPU time including start-up, HDF5 read, validation, "
              f"quantization, kernel and output write. Load average at start {tuple(round(x, 1) for x in r['load_average'])}.", "",
              f"| mode | CPU s ({r['n_events'] / 1e6:.0f}M) | events/s/core | start-up CPU s | events/s/core after start-up "
              "| wall s | peak RSS (4M / 1M) MB | 13M: CPU s, events/s/core (extrapolated) | goal ≥ 1M/s/core, < 500 MB |",
              "|---|---|---|---|---|---|---|---|---|"]
        for m in ("float", "fixed"):
            q = r[m]
            L += [f"| {'--fixed' if m == 'fixed' else 'float'} | {q['cpu_s']:.2f} | {q['events_per_s_per_core']:.3g} | "
                  f"{q.get('startup_cpu_s', float('nan')):.2f} | {q.get('events_per_s_per_core_after_startup', float('nan')):.3g} | "
                  f"{q['wall_s']:.1f} | {q['peak_rss_mb']:.0f} / {q['peak_rss_mb_1M']:.0f} | "
                  f"{q['cpu_s_13M_extrapolated']:.1f}, {q.get('events_per_s_per_core_13M', float('nan')):.3g} | "
                  f"{'met' if q['goal_met'] else 'NOT met'} |"]
        L += ["", "13M extrapolation: start-up + 13M / (rate after start-up). CPU time of a busy shared "
              "machine is inflated by the other jobs on the same cores (caches, SMT); wall time is "
              "not a per-core figure here.", ""]
    if "dask" in res:
        r = res["dask"]
        L += ["## Dask engine", "",
              f"Exact min-W2 ({r['min_w2_events']} events × {r['min_w2_n_ref']} references, pruned): "
              f"1 → 2 local Dask workers speed-up **{r['min_w2_scaling_1_to_2']:.2f}×** (wall, cluster up; in process "
              f"{r.get('min_w2_in_process_wall_s', float('nan')):.2f} s, 1 worker {r['min_w2_wall_s']['1']:.2f} s, "
              f"2 workers {r['min_w2_wall_s']['2']:.2f} s; "
              f"{r['cores']} cores, load average {tuple(round(x, 1) for x in r['load_average_before'])}).", "",
              f"Overhead on a small file ({r['small_file_events']} events, `score --fixed`): one process "
              f"{r['single_process_wall_s']:.1f} s, embedded 2-worker cluster {r['dask_2_workers_wall_s']:.1f} s "
              f"(**+{r['dask_overhead_s']:.1f} s**: cluster start and worker imports; files of one partition, "
              "1M events by default, run in process).", ""]
    return "\n".join(L)


def render_w2_field(r):
    """Markdown of the side-by-side section (``w2_field``)."""
    L = ["## Exact W2 against the field's library (`wasserstein` 1.1.0) and POT, same pairs", "",
         f"{r['n_test']} test events × {r['n_ref']} references of the {r['events']}, one thread, medians of "
         f"{r['repeats']} CPU timings, in one run (load average {tuple(round(x, 1) for x in r['load_average'])}). "
         "2D: paper 1's (η, φ) clouds with pT-normalised weights, MET kept "
         f"({r['2d']['occupied_points_mean']:.1f} weighted points per event on average); 3D: (pT, η, φ), 19 "
         "points of 1/19. POT gets the cost matrices; `wasserstein` (GPLv3, `bench` extra, its own "
         "environment) runs in a child process; l1ot is timed as called (packing included). Min-W2 of POT "
         "and `wasserstein` is brute force over the references; l1ot's is the exact pruned search.", ""]
    ws = r.get("wasserstein", {})
    if "skipped" in ws:
        L += [f"*{ws['skipped']}.*", ""]
    L += ["| space | path | pairs/s | min-W2 events/s | l1ot ÷ this (pairs, min-W2) |", "|---|---|---|---|---|"]
    for sp in ("2d", "3d"):
        q = r[sp]
        L += [f"| {sp} | POT `ot.emd2` (cost given) | {q['pot_pairs_per_s']:.3g} | {q['pot_brute_force_min_events_per_s']:.3g} | "
              f"{q['l1ot_pairs_over_pot']:.0f}×, {q['l1ot_min_w2_over_pot']:.0f}× |"]
        if "wasserstein_pairwise_emd_pairs_per_s" in q:
            L += [f"| {sp} | `wasserstein.EMD`, one call per pair | {q['wasserstein_emd_pairs_per_s']:.3g} | — | "
                  f"{q['l1ot_pairs_per_s'] / q['wasserstein_emd_pairs_per_s']:.1f}×, — |",
                  f"| {sp} | `wasserstein.PairwiseEMD` | {q['wasserstein_pairwise_emd_pairs_per_s']:.3g} | "
                  f"{q['wasserstein_brute_force_min_events_per_s']:.3g} | **{q['l1ot_pairs_over_wasserstein']:.2f}×, "
                  f"{q['l1ot_min_w2_over_wasserstein']:.2f}×** |"]
        L += [f"| {sp} | l1ot `pairwise_w2` / brute-force min | {q['l1ot_pairs_per_s']:.3g} | "
              f"{q['l1ot_brute_force_min_events_per_s']:.3g} | 1 |",
              f"| {sp} | l1ot `min_w2` (exact, pruned: {q['l1ot_min_w2_solved_per_event']:.1f} of {r['n_ref']} "
              f"references solved per event) | — | {q['l1ot_min_w2_events_per_s']:.4g} | — |"]
    L += [""]
    agree = [f"{sp}: max |Δ W2²| vs POT {r[sp]['l1ot_max_abs_diff_vs_pot']:.1e}"
             + (f", vs wasserstein {r[sp]['l1ot_max_abs_diff_vs_wasserstein']:.1e}"
                if "l1ot_max_abs_diff_vs_wasserstein" in r[sp] else "")
             + f", pruned min vs brute force {r[sp]['l1ot_min_w2_max_abs_diff_vs_brute_force']:.1e}"
             for sp in ("2d", "3d")]
    L += ["Agreement: " + "; ".join(agree) + ".", ""]
    if "wasserstein_pairwise_emd_pairs_per_s" in r["2d"]:
        g = r["2d"]["l1ot_pairs_over_wasserstein"] >= 2 and r["2d"]["l1ot_min_w2_over_wasserstein"] >= 2 \
            and r["3d"]["l1ot_pairs_over_wasserstein"] >= 2
        L += [f"Goals (2D pairs ≥ 2×, 2D min-W2 ≥ 2× its brute force, 3D pairs ≥ 2× `PairwiseEMD`): "
              f"{'met' if g else 'NOT met'}.", ""]
    return L


if __name__ == "__main__":
    main()
