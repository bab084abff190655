"""``l1ot train``: k-medoids LinW2 model on background events."""
from __future__ import annotations

import os

from . import _args
from .. import outputs
from ..errors import DataError, UsageError
from ..io import data
from ..ot import linot
from ..io.splits import DEFAULT as SPLITS


def register(sub):
    p = sub.add_parser("train", help="train a LinW2 k-medoids model on background events")
    p.add_argument("background", help="ADC2021 background file")
    p.add_argument("--k", type=_args.positive_int, default=32, help="number of medoids (default 32)")
    p.add_argument("--n", type=_args.positive_int, default=5000,
                   help="training events (default 5000, from the train split)")
    p.add_argument("--transport", choices=linot.TRANSPORTS, default="sorted")
    p.add_argument("--axis-weights", type=_args.positive_float, nargs=3, default=(1.0, 1.0, 1.0),
                   metavar=("W_PT", "W_ETA", "W_PHI"), help="weights (> 0) of the squared ground metric")
    p.add_argument("--split", choices=("train", "all"), default="train",
                   help="events to draw from: the documented train block (default) or the whole file")
    p.add_argument("--seed", type=_args.nonneg_int, default=0)
    p.add_argument("--on-bad-event", choices=data.BAD_EVENT_POLICIES, default="fail")
    p.add_argument("-o", "--output", required=True, help="model file (HDF5)")
    p.set_defaults(func=run)


def run(args) -> int:
    if args.k > args.n:
        raise UsageError(f"argument --k: {args.k} medoids need at least as many training events (--n {args.n})")
    outputs.check(outputs=[args.output], inputs=[args.background])
    total = data.count(args.background)
    if total == 0:
        raise DataError("holds no events: nothing to train on", file=args.background)
    if args.split == "all":
        a, b = 0, total
    else:
        a, b = SPLITS.background_file(args.background)["train"]   # parton-level groups on one side
    n = min(args.n, b - a)
    if n < args.k:
        raise DataError(f"--k {args.k} needs at least {args.k} training events; the "
                        f"{args.split} block [{a}, {b}) holds {b - a}", file=args.background)
    rep = data.ValidationReport()
    ev = data.load(args.background, n=n, start=a, on_bad_event=args.on_bad_event, report=rep)
    if not rep.ok:
        print(f"skipped bad events: {rep.summary()}")
    if len(ev) < args.k:
        raise DataError(f"--k {args.k} needs at least {args.k} valid training events, "
                        f"{len(ev)} of {n} are valid", file=args.background)
    print(f"training {args.transport} LinW2 k-medoids: k={args.k}, N={len(ev)} events of {args.background}")
    model = linot.train(ev, k=args.k, transport=args.transport, weights=args.axis_weights, seed=args.seed,
                        provenance={"input_file": os.path.basename(args.background),
                                    "input_sha256": linot.file_sha256(args.background),
                                    "train_start": int(a)})
    with outputs.Transaction() as tx:
        model.save(tx.file(args.output))
    model.path = args.output
    print(f"wrote {args.output}: {model.k} medoids (training indices {model.medoid_train_index[:8].tolist()}...)")
    return 0
