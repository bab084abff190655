"""``l1ot evaluate``: paper-1 metrics for many methods on the standard test sets."""
from __future__ import annotations


from ..evaluation import evaluate as ev


def register(sub):
    p = sub.add_parser("evaluate", help="score background and signals; paper-1 Table-1 metrics")
    p.add_argument("--data", default="data",
                   help="folder with ADC2021 files under any of their names (*_13TeV.h5, *_PU20.h5, *_filtered.h5; "
                        "see l1ot.io.naming; default data/)")
    p.add_argument("--background", default=None, help="background file (default DATA/background_for_training.h5)")
    p.add_argument("--signal", action="append", default=[], metavar="NAME=PATH",
                   help="file of signal NAME (A, h0, hpm, LQ), overriding --data; repeatable")
    p.add_argument("--methods", default="quick",
                   help=f"comma list of methods or a preset ({', '.join(ev.PRESETS)}); known methods: "
                        + ", ".join(ev.METHODS))
    p.add_argument("--signals", default=",".join(ev.SIGNALS), help="comma list of " + ",".join(ev.SIGNALS))
    p.add_argument("--n-ref", type=int, default=1000, help="reference events for exact min-W2 (paper: 1000)")
    p.add_argument("--n-train", type=int, default=5000, help="training events for k-medoids")
    p.add_argument("--n-sets", type=int, default=5, help="independent test sets (paper: 5)")
    p.add_argument("--n-per-set", type=int, default=1000, help="events per class per test set (paper: 1000)")
    p.add_argument("--n-calib", type=int, default=5000, help="background events reserved for calibration")
    p.add_argument("--fixed", action="store_true",
                   help="add bit-accurate fixed-point rows (l1ot.evaluation.eval_fixed)")
    p.add_argument("--paper-methods", action="store_true",
                   help="add paper 1's kNN / one-class SVM rows (l1ot.paper1.methods)")
    p.add_argument("--jobs", type=int, default=2, help="processes for exact W2 (default 2)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--report", default=ev.REPORT,
                   help="JSON report to extend when its settings are identical, else refused "
                        "(default reports/evaluation.json)")
    p.add_argument("--figures", default="reports",
                   help="folder for the PNG + PDF figures of the whole report ('' to skip; "
                        "l1ot.evaluation.figures)")
    p.add_argument("--table", default=None, help="also write the markdown table to this file")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..io.splits import Splits
    from ..io import naming
    from ..evaluation import report

    methods = ev.PRESETS.get(args.methods, [m for m in args.methods.split(",") if m])
    signals = [s for s in args.signals.split(",") if s]
    for s in signals:
        if s not in ev.SIGNALS:
            raise SystemExit(f"unknown signal {s!r}; known: {', '.join(ev.SIGNALS)}")
    files = naming.resolve(args.data, signals, background=args.background,
                           signal_paths=naming.parse_signal_args(args.signal))
    bkg = files.background
    splits = Splits(n_sets=args.n_sets, n_per_set=args.n_per_set, n_calib=args.n_calib)
    settings = report.settings(bkg, files.signals, splits, args.seed, n_ref=args.n_ref, n_train=args.n_train)
    report.check_writable(args.report)
    report.check_compatible(args.report, settings)  # refuse before the long work
    print(f"evaluating {len(methods)} methods on {splits.n_sets} test sets x "
          f"({splits.n_per_set} bkg + {splits.n_per_set} sig) per signal")
    results, curves, timing = ev.evaluate(bkg, files, methods, signals=signals, n_ref=args.n_ref,
                                          n_train=args.n_train, n_jobs=args.jobs, seed=args.seed,
                                          splits=splits)
    extra = {}
    from ..evaluation import eval_fixed
    from ..paper1 import methods as paper_methods

    for flag, mod in ((args.fixed, eval_fixed), (args.paper_methods, paper_methods)):
        if not flag:
            continue
        rows = mod.evaluate_rows(bkg_path=bkg, data_dir=files, signals=signals, splits=splits,
                                 n_train=args.n_train, seed=args.seed, n_jobs=args.jobs)
        extra.update(rows)
    results.update({k: v for k, v in extra.items() if not k.startswith("_")})
    meta = {}
    if "_fixed_meta" in extra:  # config, saturation counts, score drift against float
        meta["fixed"] = extra["_fixed_meta"]
    report.write(results, args.report, settings, command="evaluate", seconds=timing, extra_meta=meta)
    from ..evaluation import figures

    curves.update(extra.get("_curves", {}))
    figures.save_curves({m: c for m, c in curves.items() if c}, figures.curves_path(args.report))
    table = ev.format_tables(results, signals)
    print()
    print(table)
    if "fixed" in meta:
        from ..kernel.drift import format_buckets

        fm = meta["fixed"]
        print(f"\nfixed point ({fm['config']}): saturations {fm['saturations']}; score drift against "
              f"{fm['float_method']}: {format_buckets(fm['drift']['all'])}")
    if args.table:
        with open(args.table, "w") as f:
            f.write(table + "\n")
    if args.figures:
        paths = figures.make_all(args.report, args.figures)
        print("\nfigures: " + ", ".join(paths))
    print(f"report: {args.report}")
    return 0
