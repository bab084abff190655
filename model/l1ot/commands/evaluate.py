"""``l1ot evaluate``: paper-1 metrics for many methods on the standard test sets."""
from __future__ import annotations

import os
import re

from . import _args
from .. import outputs
from ..errors import DataError, UsageError
from ..evaluation import evaluate as ev


def register(sub):
    p = sub.add_parser("evaluate", help="score background and signals; paper-1 Table-1 metrics")
    p.add_argument("--data", default="data", help="folder with the ADC2021-named files (default data/)")
    p.add_argument("--background", default=None, help="background file (default DATA/background_for_training.h5)")
    p.add_argument("--methods", type=_args.name_list(ev.METHODS, ev.PRESETS, what="method"), default="quick",
                   help=f"comma list of methods or a preset ({', '.join(ev.PRESETS)}); known methods: "
                        + ", ".join(ev.METHODS))
    p.add_argument("--signals", type=_args.name_list(ev.SIGNALS, what="signal"), default=",".join(ev.SIGNALS),
                   help="comma list of " + ",".join(ev.SIGNALS))
    p.add_argument("--n-ref", type=_args.positive_int, default=1000,
                   help="reference events for exact min-W2 (paper: 1000)")
    p.add_argument("--n-train", type=_args.positive_int, default=5000, help="training events for k-medoids")
    p.add_argument("--n-sets", type=_args.positive_int, default=5, help="independent test sets (paper: 5)")
    p.add_argument("--n-per-set", type=_args.positive_int, default=1000,
                   help="events per class per test set (paper: 1000)")
    p.add_argument("--n-calib", type=_args.nonneg_int, default=5000,
                   help="background events reserved for calibration")
    p.add_argument("--fixed", action="store_true",
                   help="add bit-accurate fixed-point rows (l1ot.evaluation.eval_fixed)")
    p.add_argument("--paper-methods", action="store_true",
                   help="add paper 1's kNN / one-class SVM rows (l1ot.paper1.methods)")
    p.add_argument("--jobs", type=_args.positive_int, default=2, help="processes for exact W2 (default 2)")
    p.add_argument("--seed", type=_args.nonneg_int, default=0)
    p.add_argument("--report", default=ev.REPORT, help="JSON report to extend (default reports/evaluation.json)")
    p.add_argument("--figures", default="reports", help="folder for PNG figures ('' to skip)")
    p.add_argument("--table", default=None, help="also write the markdown table to this file")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..io.splits import Splits

    from ..io import data

    methods, signals = list(args.methods), list(args.signals)
    ks = {m: int(re.search(r"_k(\d+)$", m).group(1)) for m in methods if re.search(r"_k(\d+)$", m)}
    if args.fixed:
        ks["fixed-point rows"] = 32
    if ks and args.n_train < max(ks.values()):
        m = max(ks, key=ks.get)
        raise UsageError(f"argument --n-train: {args.n_train} is below k = {ks[m]} of {m}")
    bkg = args.background or os.path.join(args.data, ev.BACKGROUND)
    sig_files = [os.path.join(args.data, ev.SIGNALS[s]) for s in signals]
    outputs.check(outputs=[args.report, args.table], inputs=[bkg, args.data] + sig_files,
                  folders=[args.figures])
    outputs.check_json(args.report)
    splits = Splits(n_sets=args.n_sets, n_per_set=args.n_per_set, n_calib=args.n_calib)
    a, b = splits.background(data.count(bkg), bkg)["train"]
    if ks and min(args.n_train, b - a) < max(ks.values()):
        m = max(ks, key=ks.get)
        raise DataError(f"the train block [{a}, {b}) holds {b - a} events, fewer than k = {ks[m]} of {m}",
                        file=bkg)
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
    table = ev.format_table(results, signals)
    with outputs.Transaction() as tx:
        rep_tmp = tx.copy(args.report) if os.path.isfile(args.report) else tx.file(args.report)
        if not os.path.isfile(args.report):
            os.unlink(rep_tmp)  # update_report starts a new report when the file is absent
        report = ev.update_report(results, rep_tmp, meta=meta)
        if args.table:
            with open(tx.file(args.table), "w") as f:
                f.write(table + "\n")
        shown_figs = []
        if args.figures:
            tmp_dir = tx.folder(args.figures)
            paths = ev.plot_rocs({m: c for m, c in curves.items() if c}, tmp_dir)
            p = ev.plot_auc_vs_k(report, os.path.join(tmp_dir, "auc_vs_k.png"))
            shown_figs = [os.path.join(args.figures, os.path.basename(q)) for q in paths + ([p] if p else [])]
    print()
    print(table)
    if "fixed" in meta:
        from ..kernel.drift import format_buckets

        fm = meta["fixed"]
        print(f"\nfixed point ({fm['config']}): saturations {fm['saturations']}; score drift against "
              f"{fm['float_method']}: {format_buckets(fm['drift']['all'])}")
    if shown_figs:
        print("\nfigures: " + ", ".join(shown_figs))
    print(f"report: {args.report}")
    return 0
