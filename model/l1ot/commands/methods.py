"""``l1ot methods``: paper 1's anomaly augmentations, OT + kNN, OT + one-class SVM
and supervised kNN classification on the bundled sample."""
from __future__ import annotations

import json
import os

from . import _args
from .. import outputs
from ..errors import DataError

ACTIONS = {
    "knn": ["3d_ot_anomaly_knn"],
    "svm": ["3d_ot_ocsvm"],
    "classify": ["knn_class_2d", "knn_class_3d", "knn_class_2d_planed_lo", "knn_class_2d_planed_hi"],
}
ACTIONS["all"] = ACTIONS["knn"] + ACTIONS["svm"] + ACTIONS["classify"]
#: written beside ``--report`` (reports/ by default): hyper-parameters and timings, comparison with paper 1
META_NAME = "paper_methods.json"
COMPARISON_NAME = "paper_methods.md"
META_REPORT = os.path.join("reports", META_NAME)
COMPARISON = os.path.join("reports", COMPARISON_NAME)


def side_reports(report: str) -> tuple[str, str]:
    """The details JSON and the comparison markdown written beside ``report``."""
    folder = os.path.dirname(report)
    return os.path.join(folder, META_NAME), os.path.join(folder, COMPARISON_NAME)


def register(sub):
    p = sub.add_parser("methods", help="paper 1's OT + kNN / one-class SVM / kNN classification")
    msub = p.add_subparsers(dest="action", metavar="ACTION")

    a = msub.add_parser("augment", help="write anomaly-augmented background (paper 1 section 2.1)")
    a.add_argument("input", help="background file (ADC2021 layout)")
    a.add_argument("-o", "--output", required=True, help="output HDF5 file")
    a.add_argument("-n", type=_args.positive_int, default=1000, help="events to augment (default 1000)")
    a.add_argument("--start", type=_args.nonneg_int, default=0, help="first event (default 0)")
    a.add_argument("--seed", type=_args.nonneg_int, default=0)
    a.set_defaults(func=run_augment)

    from ..evaluation.evaluate import SIGNALS

    for name, help_ in (("knn", "3D OT + anomaly kNN (Table 1)"), ("svm", "3D OT + one-class SVM (Table 1)"),
                        ("classify", "supervised kNN classification, 2D/3D/planed (Table 3)"),
                        ("all", "all of the above")):
        q = msub.add_parser(name, help=help_)
        q.add_argument("--data", default="data", help="folder with the ADC2021-named files (default data/)")
        q.add_argument("--background", default=None, help="background file (default DATA/background_for_training.h5)")
        q.add_argument("--signal", action="append", default=[], metavar="NAME=PATH",
                       help="file of signal NAME (A, h0, hpm, LQ), overriding --data; repeatable")
        q.add_argument("--signals", type=_args.name_list(SIGNALS, what="signal"), default="A,h0,hpm,LQ",
                       help="comma list of signals (" + ",".join(SIGNALS) + ")")
        q.add_argument("--distance", choices=("w2", "linw2"), default="w2",
                       help="exact W2 (default) or pT-sorted LinW2 distances")
        q.add_argument("--jobs", type=_args.positive_int, default=2,
                       help="processes for the distance matrices without --scheduler/--workers (default 2)")
        _args.add_engine_args(q, "the distance matrices (given either, they run on Dask; "
                                 "default: --jobs local processes)")
        q.add_argument("--seed", type=_args.nonneg_int, default=0)
        q.add_argument("--n-sets", type=_args.positive_int, default=5, help="test sets (paper: 5)")
        q.add_argument("--n-per-set", type=_args.positive_int, default=1000,
                       help="events per class per test set (paper: 1000)")
        q.add_argument("--svm-n-train", type=_args.positive_int, default=None,
                       help="one-class SVM training events (paper: 10000; default l1ot.paper1.methods.SVM_N_TRAIN)")
        q.add_argument("--planed-lo", type=_args.window, default="50,100", help="low total-pT window, GeV (default 50,100)")
        q.add_argument("--planed-hi", type=_args.window, default="500,1000", help="high total-pT window, GeV (default 500,1000)")
        q.add_argument("--cache-dir", default=os.path.join("build", "cache"), help="distance-matrix cache (default build/cache)")
        q.add_argument("--report", default=os.path.join("reports", "evaluation.json"),
                       help=f"JSON report to extend (default reports/evaluation.json); {META_NAME} "
                            f"(details) and {COMPARISON_NAME} (comparison with paper 1) go beside it")
        q.add_argument("--table", default=None, help="also write the markdown table to this file")
        q.add_argument("--no-progress", action="store_true", help="no progress bars")
        q.add_argument("--only", default=None, help="comma list restricting the methods of this action")
        q.add_argument("--suffix", default="", help="append this to the row names (e.g. for a different window)")
        q.set_defaults(func=run_methods, methods=ACTIONS[name])
    p.set_defaults(func=lambda args: (p.print_help(), 1)[1])


def run_augment(args) -> int:
    from ..paper1 import augment
    from ..io import data

    outputs.check(outputs=[args.output], inputs=[args.input])
    total = data.count(args.input)
    if total == 0:
        raise DataError("holds no events: nothing to augment", file=args.input)
    if args.start >= total:
        raise DataError(f"--start {args.start} is beyond the last event (the file holds {total})",
                        file=args.input)
    ev = data.load(args.input, n=args.n, start=args.start)
    with outputs.Transaction() as tx:
        info = augment.write_augmented(tx.file(args.output), ev, seed=args.seed, source=args.input,
                                       attrs={"first_event": args.start})
    fr = ", ".join(f"({k}) {augment.KINDS[k]} {100 * info['fractions'][augment.KINDS[k]]:.1f}%" for k in augment.KINDS)
    print(f"{len(ev)} events augmented -> {args.output}")
    print(f"realized fractions: {fr}; augmentation (2) possible for "
          f"{100 * info['split_possible'].mean():.1f}% of events")
    return 0


def run_methods(args) -> int:
    from ..evaluation import evaluate as ev
    from ..paper1 import methods as pm
    from ..errors import UsageError
    from ..evaluation import report
    from ..io import naming
    from ..io.splits import Splits

    signals = list(args.signals)
    files = naming.resolve(args.data, signals, background=args.background,
                           signal_paths=naming.parse_signal_args(args.signal))
    bkg = files.background
    methods = list(args.methods)
    if args.only:
        only = [m for m in args.only.split(",") if m]
        bad = [m for m in only if m not in methods]
        if bad or not only:
            raise UsageError(f"argument --only: {', '.join(bad) or repr(args.only)} not part of this action "
                             f"({', '.join(methods)})")
        methods = only
    meta_report, comparison = side_reports(args.report)
    from ..evaluation import figures

    outputs.check(outputs=[args.report, meta_report, comparison, args.table, figures.curves_path(args.report)],
                  inputs=[bkg, args.data] + list(files.signals.values()), folders=[args.cache_dir])
    outputs.check_json(args.report)
    outputs.check_json(meta_report, "details report")
    splits = Splits(n_sets=args.n_sets, n_per_set=args.n_per_set)
    settings = report.settings(bkg, files.signals, splits, args.seed)
    report.check_compatible(args.report, settings)  # refuse before the long work
    kw = dict(methods=methods, distance=args.distance, cache_dir=args.cache_dir,
              progress=not args.no_progress, planed_ranges={"lo": args.planed_lo, "hi": args.planed_hi},
              suffix=args.suffix)
    if args.svm_n_train:
        kw["svm_n_train"] = args.svm_n_train
    from .evaluate import _engine_jobs

    with _engine_jobs(args) as n_jobs:
        rows = pm.evaluate_rows(bkg, files, signals, splits=splits, n_train=None, seed=args.seed,
                                n_jobs=n_jobs, **kw)
    meta = rows.pop("_paper_methods")
    curves = rows.pop("_curves", {})
    table = ev.format_tables(rows, signals)
    with outputs.Transaction() as tx:
        rep_tmp = tx.update(args.report)  # locked; absent file: report.write starts a new report
        report.write(rows, rep_tmp, settings, command="methods",
                     seconds={m: v.get("seconds") for m, v in meta.items() if isinstance(v, dict) and "seconds" in v},
                     row_meta={m: {"distance": meta.get("distance", "w2")} for m in rows})
        if curves:
            cur = figures.curves_path(args.report)
            cur_tmp = tx.update(cur)  # absent file: save_curves starts a new store
            figures.save_curves(curves, cur_tmp)
        # hyper-parameters, timings and counts of each run, keyed by method
        old = {}
        meta_tmp = tx.update(meta_report)
        if os.path.exists(meta_tmp):
            with open(meta_tmp) as f:
                old = json.load(f)
        old.update({k: v for k, v in meta.items() if k not in ("distance", "seed")})
        with open(meta_tmp, "w") as f:
            json.dump(old, f, indent=1, sort_keys=True)
        # side-by-side with paper 1, merged over runs (methods keyed in the main report)
        with open(rep_tmp) as f:
            rep = json.load(f)
        mine = {m: rep[m] for m in rep if any(m.startswith(n) for n in pm.METHOD_NAMES)}
        with open(tx.file(comparison), "w") as f:
            f.write("# Paper 1 methods on the bundled sample vs paper 1\n\n"
                    "Generated by `l1ot methods`; values are mean ± std over test sets or folds "
                    "(ε_s of the maximum in brackets).\n\n" + pm.comparison_table(mine, signals) + "\n")
        if args.table:
            with open(tx.file(args.table), "w") as f:
                f.write(table + "\n")
    print()
    print(table)
    print(f"report: {args.report}; details: {meta_report}; comparison: {comparison}")
    return 0
