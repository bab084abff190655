"""``l1ot methods``: paper 1's anomaly augmentations, OT + kNN, OT + one-class SVM
and supervised kNN classification on the bundled sample."""
from __future__ import annotations

import json
import os

ACTIONS = {
    "knn": ["3d_ot_anomaly_knn"],
    "svm": ["3d_ot_ocsvm"],
    "classify": ["knn_class_2d", "knn_class_3d", "knn_class_2d_planed_lo", "knn_class_2d_planed_hi"],
}
ACTIONS["all"] = ACTIONS["knn"] + ACTIONS["svm"] + ACTIONS["classify"]
META_REPORT = os.path.join("reports", "paper_methods.json")
COMPARISON = os.path.join("reports", "paper_methods.md")


def _window(text):
    from ..errors import ConfigError

    try:
        lo, hi = (float(v) for v in text.split(","))
    except ValueError:
        raise ConfigError(f"total-pT window must be 'LO,HI' in GeV, got {text!r}") from None
    if not 0 <= lo < hi:
        raise ConfigError(f"total-pT window needs 0 <= LO < HI, got {text!r}")
    return (lo, hi)


def register(sub):
    p = sub.add_parser("methods", help="paper 1's OT + kNN / one-class SVM / kNN classification")
    msub = p.add_subparsers(dest="action", metavar="ACTION")

    a = msub.add_parser("augment", help="write anomaly-augmented background (paper 1 section 2.1)")
    a.add_argument("input", help="background file (ADC2021 layout)")
    a.add_argument("-o", "--output", required=True, help="output HDF5 file")
    a.add_argument("-n", type=int, default=1000, help="events to augment (default 1000)")
    a.add_argument("--start", type=int, default=0, help="first event (default 0)")
    a.add_argument("--seed", type=int, default=0)
    a.set_defaults(func=run_augment)

    for name, help_ in (("knn", "3D OT + anomaly kNN (Table 1)"), ("svm", "3D OT + one-class SVM (Table 1)"),
                        ("classify", "supervised kNN classification, 2D/3D/planed (Table 3)"),
                        ("all", "all of the above")):
        q = msub.add_parser(name, help=help_)
        q.add_argument("--data", default="data", help="folder with the ADC2021-named files (default data/)")
        q.add_argument("--background", default=None, help="background file (default DATA/background_for_training.h5)")
        q.add_argument("--signal", action="append", default=[], metavar="NAME=PATH",
                       help="file of signal NAME (A, h0, hpm, LQ), overriding --data; repeatable")
        q.add_argument("--signals", default="A,h0,hpm,LQ", help="comma list of signals")
        q.add_argument("--distance", choices=("w2", "linw2"), default="w2",
                       help="exact W2 (default) or pT-sorted LinW2 distances")
        q.add_argument("--jobs", type=int, default=2, help="processes for the distance matrices (default 2)")
        q.add_argument("--seed", type=int, default=0)
        q.add_argument("--n-sets", type=int, default=5, help="test sets (paper: 5)")
        q.add_argument("--n-per-set", type=int, default=1000, help="events per class per test set (paper: 1000)")
        q.add_argument("--svm-n-train", type=int, default=None,
                       help="one-class SVM training events (paper: 10000; default l1ot.paper1.methods.SVM_N_TRAIN)")
        q.add_argument("--planed-lo", type=_window, default="50,100", help="low total-pT window, GeV (default 50,100)")
        q.add_argument("--planed-hi", type=_window, default="500,1000", help="high total-pT window, GeV (default 500,1000)")
        q.add_argument("--cache-dir", default=os.path.join("build", "cache"), help="distance-matrix cache (default build/cache)")
        q.add_argument("--report", default=os.path.join("reports", "evaluation.json"),
                       help="JSON report to extend (default reports/evaluation.json)")
        q.add_argument("--table", default=None, help="also write the markdown table to this file")
        q.add_argument("--no-progress", action="store_true", help="no progress bars")
        q.add_argument("--only", default=None, help="comma list restricting the methods of this action")
        q.add_argument("--suffix", default="", help="append this to the row names (e.g. for a different window)")
        q.set_defaults(func=run_methods, methods=ACTIONS[name])
    p.set_defaults(func=lambda args: (p.print_help(), 1)[1])


def run_augment(args) -> int:
    from ..paper1 import augment
    from ..io import data

    ev = data.load(args.input, n=args.n, start=args.start)
    info = augment.write_augmented(args.output, ev, seed=args.seed, source=args.input,
                                   attrs={"first_event": args.start})
    fr = ", ".join(f"({k}) {augment.KINDS[k]} {100 * info['fractions'][augment.KINDS[k]]:.1f}%" for k in augment.KINDS)
    print(f"{len(ev)} events augmented -> {args.output}")
    print(f"realized fractions: {fr}; augmentation (2) possible for "
          f"{100 * info['split_possible'].mean():.1f}% of events")
    return 0


def run_methods(args) -> int:
    from ..evaluation import evaluate as ev
    from ..paper1 import methods as pm
    from ..errors import ConfigError
    from ..io.splits import Splits

    signals = [s for s in args.signals.split(",") if s]
    for s in signals:
        if s not in ev.SIGNALS:
            raise ConfigError(f"unknown signal {s!r}; known: {', '.join(ev.SIGNALS)}")
    from ..io import naming
    from ..evaluation import report

    files = naming.resolve(args.data, signals, background=args.background,
                           signal_paths=naming.parse_signal_args(args.signal))
    bkg = files.background
    splits = Splits(n_sets=args.n_sets, n_per_set=args.n_per_set)
    settings = report.settings(bkg, files.signals, splits, args.seed)
    report.check_writable(args.report)
    report.check_compatible(args.report, settings)  # refuse before the long work
    methods = list(args.methods)
    if args.only:
        only = [m for m in args.only.split(",") if m]
        bad = [m for m in only if m not in methods]
        if bad:
            raise ConfigError(f"--only: {', '.join(bad)} not part of this action ({', '.join(methods)})")
        methods = only
    kw = dict(methods=methods, distance=args.distance, cache_dir=args.cache_dir,
              progress=not args.no_progress, planed_ranges={"lo": args.planed_lo, "hi": args.planed_hi},
              suffix=args.suffix)
    if args.svm_n_train:
        kw["svm_n_train"] = args.svm_n_train
    rows = pm.evaluate_rows(bkg, files, signals, splits=splits, n_train=None, seed=args.seed,
                            n_jobs=args.jobs, **kw)
    meta = rows.pop("_paper_methods")
    curves = rows.pop("_curves", {})
    report.write(rows, args.report, settings, command="methods",
                 seconds={m: v.get("seconds") for m, v in meta.items() if isinstance(v, dict) and "seconds" in v},
                 row_meta={m: {"distance": meta.get("distance", "w2")} for m in rows})
    if curves:
        from ..evaluation import figures

        figures.save_curves(curves, figures.curves_path(args.report))
    # hyper-parameters, timings and counts of each run, keyed by method
    old = {}
    if os.path.exists(META_REPORT):
        with open(META_REPORT) as f:
            old = json.load(f)
    old.update({k: v for k, v in meta.items() if k not in ("distance", "seed")})
    os.makedirs(os.path.dirname(META_REPORT), exist_ok=True)
    with open(META_REPORT, "w") as f:
        json.dump(old, f, indent=1, sort_keys=True)
    table = ev.format_tables(rows, signals)
    print()
    print(table)
    # side-by-side with paper 1, merged over runs (methods keyed in the main report)
    with open(args.report) as f:
        rep = json.load(f)
    mine = {m: rep[m] for m in rep if any(m.startswith(n) for n in pm.METHOD_NAMES)}
    with open(COMPARISON, "w") as f:
        f.write("# Paper 1 methods on the bundled sample vs paper 1\n\n"
                "Generated by `l1ot methods`; values are mean ± std over test sets or folds "
                "(ε_s of the maximum in brackets).\n\n" + pm.comparison_table(mine, signals) + "\n")
    if args.table:
        with open(args.table, "w") as f:
            f.write(table + "\n")
    print(f"report: {args.report}; details: {META_REPORT}; comparison: {COMPARISON}")
    return 0
