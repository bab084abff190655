"""``l1ot inspect FILE``: event count, multiplicities, ranges and validation of an ADC2021 file."""
from __future__ import annotations

import numpy as np

from . import _args
from ..io import data


def register(sub):
    p = sub.add_parser("inspect", help="summarize and validate an ADC2021-format HDF5 file")
    p.add_argument("file", help="HDF5 file with a 'Particles' dataset (N, 19, 4)")
    p.add_argument("-n", type=_args.positive_int, default=None, help="only the first N events")
    p.add_argument("--chunk-size", type=_args.positive_int, default=data.DEFAULT_CHUNK,
                   help=f"events read at a time (default {data.DEFAULT_CHUNK})")
    p.set_defaults(func=run)


def run(args) -> int:
    info = data.inspect_file(args.file, n=args.n, chunk_size=args.chunk_size, progress=True)
    meta = data.read_metadata(args.file)
    print(f"file       {info['file']}")
    print(f"events     {info['n_events']}  (valid {info['n_valid']})")
    print(f"datasets   {', '.join(meta['datasets'])}")
    for k in ("description", "generator", "statement"):
        if k in meta["attrs"]:
            print(f"{k:<10} {meta['attrs'][k]}")
    print()
    print(f"{'species':<8} {'mean mult':>9}  multiplicity histogram (0,1,2,...)")
    for name, hist in info["multiplicity"].items():
        h = np.asarray(hist)
        mean = (h * np.arange(len(h))).sum() / max(1, h.sum())
        print(f"{name:<8} {mean:9.3f}  {hist}")
    print()
    print(f"{'species':<8} {'pT min':>9} {'pT max':>9} {'eta min':>8} {'eta max':>8} {'phi min':>8} {'phi max':>8}")
    for name, r in info["ranges"].items():
        if not np.isfinite(r["pT"][0]):
            print(f"{name:<8} (no objects)")
            continue
        print(f"{name:<8} {r['pT'][0]:9.2f} {r['pT'][1]:9.2f} {r['eta'][0]:8.3f} {r['eta'][1]:8.3f} "
              f"{r['phi'][0]:8.3f} {r['phi'][1]:8.3f}")
    print()
    rep = info["validation"]
    print(f"validation {rep.summary()}")
    for line in rep.first:
        print(f"  {line}")
    return 0 if rep.ok else 1
