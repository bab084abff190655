"""``l1ot score``: stream events through a LinW2 model and write scores to HDF5."""
from __future__ import annotations

import os

import numpy as np

from .. import data, linot


def register(sub):
    p = sub.add_parser("score", help="score events with a trained LinW2 model (float)")
    p.add_argument("model", help="model file from `l1ot train`")
    p.add_argument("events", help="ADC2021 file to score")
    p.add_argument("-o", "--output", required=True, help="output HDF5 with datasets score, index, event")
    p.add_argument("--chunk-size", type=int, default=data.DEFAULT_CHUNK)
    p.add_argument("-n", type=int, default=None, help="only the first N events")
    p.add_argument("--on-bad-event", choices=data.BAD_EVENT_POLICIES, default="fail")
    p.set_defaults(func=run)


def run(args) -> int:
    import h5py
    from ..progress import bar as progress_bar

    model = linot.LinModel.load(args.model)
    total = data.count(args.events) if args.n is None else min(args.n, data.count(args.events))
    rep = data.ValidationReport()
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with h5py.File(args.output, "w") as f:
        ds = {name: f.create_dataset(name, shape=(0,), maxshape=(None,), dtype=dt, chunks=(65536,))
              for name, dt in (("score", "f8"), ("index", "i4"), ("event", "i8"))}
        f.attrs["model"] = os.path.abspath(args.model)
        f.attrs["events"] = os.path.abspath(args.events)
        f.attrs["units"] = "score: min LinW2 over medoids, GeV-equivalent ground units"
        with progress_bar(total=total, unit="ev", desc="score") as bar:
            for idx, p in data.iter_chunks(args.events, chunk_size=args.chunk_size, n=args.n,
                                           on_bad_event=args.on_bad_event, report=rep):
                s, i = model.score(p, return_index=True)
                n0 = ds["score"].shape[0]
                for name, v in (("score", s), ("index", i), ("event", idx)):
                    ds[name].resize(n0 + len(v), axis=0)
                    ds[name][n0:] = v
                bar.update(len(idx) if rep.ok else idx[-1] + 1 - bar.n if len(idx) else 0)
        f.attrs["skipped_events"] = rep.n_bad
    print(f"wrote {args.output}: {total - rep.n_bad} scores; {rep.summary()}")
    return 0
