"""``l1ot evaluate``: paper-1 metrics for many methods on the standard test sets."""
from __future__ import annotations

import json
import os

from ..evaluation import evaluate as ev


def register(sub):
    p = sub.add_parser("evaluate", help="score background and signals; paper-1 Table-1 metrics")
    p.add_argument("--data", default="data", help="folder with the ADC2021-named files (default data/)")
    p.add_argument("--background", default=None, help="background file (default DATA/background_for_training.h5)")
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
    p.add_argument("--report", default=ev.REPORT, help="JSON report to extend (default reports/evaluation.json)")
    p.add_argument("--figures", default="reports", help="folder for PNG figures ('' to skip)")
    p.add_argument("--table", default=None, help="also write the markdown table to this file")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..io.splits import Splits

    methods = ev.PRESETS.get(args.methods, [m for m in args.methods.split(",") if m])
    signals = [s for s in args.signals.split(",") if s]
    for s in signals:
        if s not in ev.SIGNALS:
            raise SystemExit(f"unknown signal {s!r}; known: {', '.join(ev.SIGNALS)}")
    bkg = args.background or os.path.join(args.data, ev.BACKGROUND)
    splits = Splits(n_sets=args.n_sets, n_per_set=args.n_per_set, n_calib=args.n_calib)
    print(f"evaluating {len(methods)} methods on {splits.n_sets} test sets x "
          f"({splits.n_per_set} bkg + {splits.n_per_set} sig) per signal")
    results, curves, timing = ev.evaluate(bkg, args.data, methods, signals=signals, n_ref=args.n_ref,
                                          n_train=args.n_train, n_jobs=args.jobs, seed=args.seed,
                                          splits=splits)
    extra = {}
    from ..evaluation import eval_fixed
    from ..paper1 import methods as paper_methods

    for flag, mod in ((args.fixed, eval_fixed), (args.paper_methods, paper_methods)):
        if not flag:
            continue
        rows = mod.evaluate_rows(bkg_path=bkg, data_dir=args.data, signals=signals, splits=splits,
                                 n_train=args.n_train, seed=args.seed, n_jobs=args.jobs)
        extra.update(rows)
    results.update({k: v for k, v in extra.items() if not k.startswith("_")})
    meta = {"n_sets": splits.n_sets, "n_per_set": splits.n_per_set, "n_ref": args.n_ref,
            "n_train": args.n_train, "background": bkg, "seconds": timing}
    if "_fixed_meta" in extra:  # config, saturation counts, score drift against float
        meta["fixed"] = extra["_fixed_meta"]
    ev.update_report(results, args.report, meta=meta)
    table = ev.format_table(results, signals)
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
        paths = ev.plot_rocs({m: c for m, c in curves.items() if c}, args.figures)
        p = ev.plot_auc_vs_k(json.load(open(args.report)), os.path.join(args.figures, "auc_vs_k.png"))
        print("\nfigures: " + ", ".join(paths + ([p] if p else [])))
    print(f"report: {args.report}")
    return 0
