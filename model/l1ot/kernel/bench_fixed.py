"""Throughput of the bit-accurate fixed-point model (one core).

``bench_fixed()`` returns a dict of figures for ``reports/bench.json``:
kernel throughput (input words -> score, idx, trig) at K = 32 medoids, the
float -> word quantization rate and the exhaustive 0-1 check time of the
sorting networks. BLAS is limited to one thread while timing; rates use process CPU time
(fair on a shared machine), the wall-clock rate is reported as well; every
figure is the median of ``repeat`` timings.
"""
from __future__ import annotations

import time

import numpy as np

from . import fixed, sortnet


def _events(rng, n, fill=0.55):
    p = np.zeros((n, 19, 4), np.float32)
    occ = rng.random((n, 19)) < fill
    p[..., 0] = (rng.exponential(25.0, (n, 19)) + 2.0) * occ
    p[..., 1] = rng.uniform(-4.0, 4.0, (n, 19)) * occ
    p[..., 2] = rng.uniform(-np.pi, np.pi, (n, 19)) * occ
    return p


def _median(fn, repeat):
    """Median CPU time (process time: fair on a shared machine) and median wall time, in s."""
    cpu, wall = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - t)
    return float(np.median(cpu)), float(np.median(wall))


def bench_fixed(n_events: int = 200_000, k: int = 32, repeat: int = 5, config=None, seed: int = 0) -> dict:
    """Time the fixed-point model; returns a dict of figures (rates in events/s/core)."""
    try:
        from threadpoolctl import threadpool_limits
        limiter = threadpool_limits(limits=1)
    except ImportError:  # pragma: no cover
        limiter = None
    try:
        cfg = fixed.KernelConfig.load(config)
        rng = np.random.default_rng(seed)
        rom = fixed.medoid_rom(_events(rng, k), cfg)
        ev = _events(rng, n_events)
        words, _ = fixed.events_to_words(ev, cfg)
        fixed.run(words[:10_000], rom, 0, cfg)  # warm-up
        t_run, w_run = _median(lambda: fixed.run(words, rom, 0, cfg), repeat)
        t_q, _ = _median(lambda: fixed.events_to_words(ev, cfg), repeat)
        nets = {}
        for name in sorted(set(cfg.networks.values())):
            net = sortnet.load(name)
            t = time.perf_counter()
            ok, _ = sortnet.verify_01(net)
            nets[name] = {"size": net.size, "depth": net.depth, "verify_01_s": round(time.perf_counter() - t, 3),
                          "ok": bool(ok)}
    finally:
        if limiter is not None:
            limiter.restore_original_limits()
    return {
        "fixed_kernel_events_per_s_per_core": round(n_events / t_run),
        "fixed_kernel_us_per_event": round(1e6 * t_run / n_events, 3),
        "fixed_kernel_events_per_s_wall": round(n_events / w_run),
        "fixed_quantize_events_per_s_per_core": round(n_events / t_q),
        "k": k, "n_events": n_events, "repeats": repeat, "statistic": "median", "config_sha256": cfg.sha256, "blas_exact_path": bool(cfg.blas_exact),
        "networks": nets,
    }


if __name__ == "__main__":  # pragma: no cover
    import json
    print(json.dumps(bench_fixed(), indent=1))
