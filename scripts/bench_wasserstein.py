#!/usr/bin/env python3
"""Child of ``make bench``: time the field's exact-EMD library ``wasserstein`` on given pairs.

``wasserstein`` (PyPI 1.1.0, Komiske's C++ network simplex behind EnergyFlow) is
GPLv3 and needs numpy < 2, so it is never a dependency of l1ot (Apache-2.0): it
is the optional ``bench`` extra of pyproject.toml, installed by ``make
bench-venv`` into its own environment (``.venv-bench``), and this script runs
there, importing only numpy and wasserstein.

Usage:
  bench_wasserstein.py --requirements           # the bench extra's requirement strings
  bench_wasserstein.py IN.npz OUT.npz REPEATS   # timings (JSON on stdout) and the EMD matrices

IN.npz holds, per space ``s`` in its ``spaces`` array: ``s_test_x`` (T, 19, d),
``s_test_w`` (T, 19) and ``s_ref_x``/``s_ref_w`` (points of zero weight are
dropped). Each figure is the median over REPEATS of the process CPU time, one
thread. The EMD is the squared-cost transport ``sum f_ij |x_i - y_j|^2``
(``beta = 2``, ``norm = True``): W2^2, comparable with l1ot's.
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import time


def requirements():
    import tomllib

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "pyproject.toml"), "rb") as f:
        return tomllib.load(f)["project"]["optional-dependencies"]["bench"]


def _events(x, w):
    import numpy as np

    out = []
    for xi, wi in zip(x, w):
        k = wi > 0
        out.append(np.ascontiguousarray(np.concatenate([wi[k][:, None], xi[k]], axis=1)))
    return out


def _cpu(fn, repeats):
    ts = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        ts.append(time.process_time() - t0)
    return statistics.median(ts)


def main(argv):
    if argv[:1] == ["--requirements"]:
        print(" ".join(requirements()))
        return 0
    import numpy as np
    import wasserstein

    src, dst, repeats = argv[0], argv[1], int(argv[2])
    inp = np.load(src)
    res = {"wasserstein_version": wasserstein.__version__, "numpy_version": np.__version__}
    mats = {}
    for s in [str(v) for v in inp["spaces"]]:
        a = _events(inp[f"{s}_test_x"], inp[f"{s}_test_w"])
        b = _events(inp[f"{s}_ref_x"], inp[f"{s}_ref_w"])
        pe = wasserstein.PairwiseEMD(beta=2.0, norm=True, num_threads=1, verbose=0)

        def pairwise():
            pe(a, b)
            return pe.emds()

        pairwise()  # warm-up
        t = _cpu(pairwise, repeats)
        d = np.asarray(pairwise())
        mats[s] = d
        # the brute-force min over references is the pairwise matrix and a row minimum
        t_min = _cpu(lambda: pairwise().min(axis=1), repeats)
        emd = wasserstein.EMD(beta=2.0, norm=True)
        n_single = min(len(a), 10)

        def single():
            for i in range(n_single):
                for j in range(len(b)):
                    emd(a[i][:, 0], a[i][:, 1:], b[j][:, 0], b[j][:, 1:])

        t_single = _cpu(single, repeats)
        res[s] = {"pairs": len(a) * len(b), "pairwise_emd_pairs_per_s": len(a) * len(b) / t,
                  "emd_pairs_per_s": n_single * len(b) / t_single,
                  "brute_force_min_events_per_s": len(a) / t_min}
    np.savez(dst, **mats)
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
