#!/usr/bin/env python
"""Generate the constituent-level samples of the multi-scale tasks (simulated, not CMS).

``make data-multiscale`` runs it: data/multiscale/{qcd,ttbar,stop}.h5, seeded and chunked
(l1ot.multiscale.generate); finished chunks are cached in build/multiscale_chunks, so an
interrupted run resumes. One process by default (``--workers`` > 1: the Dask engine).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "model"))

from l1ot.multiscale import generate, samples  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=samples.DEFAULT_DIR)
    ap.add_argument("--n", type=int, default=500, help="events per signal sample (QCD: 2 n, one half per task)")
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--chunk", type=int, default=100)
    ap.add_argument("--cache", default=os.path.join("build", "multiscale_chunks"))
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--processes", default="qcd,ttbar,stop")
    a = ap.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    eng = None
    if a.workers > 1:
        from l1ot.engine import Engine
        eng = Engine(workers=a.workers)
    for proc in a.processes.split(","):
        n = 2 * a.n if proc == "qcd" else a.n
        t0 = time.time()
        ev, stats = generate.produce(proc, n, seed=a.seed, chunk=a.chunk, cache_dir=a.cache, engine=eng)
        path = samples.path_of(proc, a.out)
        samples.write(path, ev, generate.attrs(proc, a.seed, a.chunk, stats))
        gen = sum(s["n_generated"] for s in stats)
        print(f"{path}: {len(ev)} events ({gen} generated, {time.time() - t0:.0f} s, "
              f"{os.path.getsize(path) / 1e6:.2f} MB)")
    if eng is not None:
        eng.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
