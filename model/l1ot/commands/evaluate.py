"""``l1ot evaluate``: paper-1 metrics for many methods on the standard test sets."""
from __future__ import annotations

import argparse
import contextlib
import os
import re
import time

from . import _args
from .. import outputs
from ..errors import DataError, UsageError
from ..evaluation import evaluate as ev
from ..kernel import fixed


#: ``--fixed`` without a value: the firmware default configuration
_FIXED_DEFAULT = f"{fixed.FIRMWARE_TRANSPORT}:{fixed.FIRMWARE_K}"


def _fixed_points(text: str) -> list[tuple[str, int]]:
    """argparse type of ``--fixed``: :func:`l1ot.kernel.fixed.parse_points`."""
    try:
        return fixed.parse_points(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(sub):
    p = sub.add_parser("evaluate", help="score background and signals; paper-1 Table-1 metrics")
    p.add_argument("--data", default="data",
                   help="folder with ADC2021 files under any of their names (*_13TeV.h5, *_PU20.h5, *_filtered.h5; "
                        "see l1ot.io.naming; default data/)")
    p.add_argument("--background", default=None, help="background file (default DATA/background_for_training.h5)")
    p.add_argument("--signal", action="append", default=[], metavar="NAME=PATH",
                   help="file of signal NAME (A, h0, hpm, LQ), overriding --data; repeatable")
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
    p.add_argument("--fixed", nargs="?", type=_fixed_points, const=_fixed_points(_FIXED_DEFAULT), default=None,
                   metavar="TRANSPORT:K,...",
                   help="add bit-accurate fixed-point rows (l1ot.evaluation.eval_fixed), one per TRANSPORT:K "
                        f"(default {_FIXED_DEFAULT}, the firmware default; e.g. species:64,sorted:32)")
    p.add_argument("--paper-methods", action="store_true",
                   help="add paper 1's kNN / one-class SVM rows (l1ot.paper1.methods)")
    p.add_argument("--jobs", type=_args.positive_int, default=2,
                   help="processes for exact W2 without --scheduler/--workers (default 2)")
    _args.add_engine_args(p, "the exact-W2 reference scoring (given either, exact W2 runs on Dask; "
                             "default: --jobs local processes)")
    p.add_argument("--seed", type=_args.nonneg_int, default=0)
    p.add_argument("--report", default=ev.REPORT,
                   help="JSON report to extend when its settings are identical, else refused "
                        "(default reports/evaluation.json)")
    p.add_argument("--figures", default=None,
                   help="folder for the PNG + PDF figures of the whole report (default: the folder of "
                        "--report; '' to skip; l1ot.evaluation.figures)")
    p.add_argument("--table", default=None, help="also write the markdown table to this file")
    p.set_defaults(func=run)


@contextlib.contextmanager
def _engine_jobs(args):
    """joblib n_jobs for the exact-W2 work: ``--jobs`` local processes, or the Dask engine's
    workers when ``--scheduler``/``--workers`` is given (joblib's Dask backend)."""
    if not (args.scheduler or args.workers):
        yield args.jobs
        return
    with _args.engine(args) as eng, eng.joblib(args.jobs) as n_jobs:
        print(f"exact W2 on {eng.describe()} ({n_jobs} jobs)")
        yield n_jobs


def row_seconds(rows: dict, wall: float) -> dict:
    """Seconds of each row of an ``evaluate_rows`` result: the row's own timing where the
    module records one (``_paper_methods``), else the call's wall time for its only row
    (``--fixed``: training the k = 32 model, float and fixed-point scoring)."""
    names = [m for m in rows if not m.startswith("_")]
    own = {m: v["seconds"] for m, v in (rows.get("_paper_methods") or {}).items()
           if m in names and isinstance(v, dict) and "seconds" in v}
    if len(names) == 1 and names[0] not in own:
        own[names[0]] = wall
    return own


def figures_folder(report: str) -> str:
    """Default ``--figures``: the folder of the report (``.`` for a report in the working folder)."""
    return os.path.dirname(os.fspath(report)) or "."


def run(args) -> int:
    from ..evaluation import figures, report
    from ..io import data, naming
    from ..io.splits import Splits

    if args.figures is None:  # derived outputs go where the report goes, never to a fixed folder
        args.figures = figures_folder(args.report)
    methods, signals = list(args.methods), list(args.signals)
    ks = {m: int(re.search(r"_k(\d+)$", m).group(1)) for m in methods if re.search(r"_k(\d+)$", m)}
    for tr, k in args.fixed or ():
        ks[f"fixed_{tr}_k{k}"] = k
    if ks and args.n_train < max(ks.values()):
        m = max(ks, key=ks.get)
        raise UsageError(f"argument --n-train: {args.n_train} is below k = {ks[m]} of {m}")
    files = naming.resolve(args.data, signals, background=args.background,
                           signal_paths=naming.parse_signal_args(args.signal))
    bkg = files.background
    curves_file = figures.curves_path(args.report)
    outputs.check(outputs=[args.report, args.table, curves_file],
                  inputs=[bkg, args.data] + list(files.signals.values()), folders=[args.figures])
    outputs.check_json(args.report)
    splits = Splits(n_sets=args.n_sets, n_per_set=args.n_per_set, n_calib=args.n_calib)
    a, b = splits.background_file(bkg)["train"]
    if ks and min(args.n_train, b - a) < max(ks.values()):
        m = max(ks, key=ks.get)
        raise DataError(f"the train block [{a}, {b}) holds {b - a} events, fewer than k = {ks[m]} of {m}",
                        file=bkg)
    settings = report.settings(bkg, files.signals, splits, args.seed, n_ref=args.n_ref, n_train=args.n_train)
    report.check_compatible(args.report, settings)  # refuse before the long work
    print(f"evaluating {len(methods)} methods on {splits.n_sets} test sets x "
          f"({splits.n_per_set} bkg + {splits.n_per_set} sig) per signal")
    from ..evaluation import eval_fixed
    from ..paper1 import methods as paper_methods

    extra = {}
    with _engine_jobs(args) as n_jobs:
        results, curves, timing = ev.evaluate(bkg, files, methods, signals=signals, n_ref=args.n_ref,
                                              n_train=args.n_train, n_jobs=n_jobs, seed=args.seed,
                                              splits=splits)
        calls = [(eval_fixed, {"k": k, "transport": tr}) for tr, k in args.fixed or ()]
        calls += [(paper_methods, {})] if args.paper_methods else []
        for mod, kw in calls:
            t0 = time.perf_counter()
            rows = mod.evaluate_rows(bkg_path=bkg, data_dir=files, signals=signals, splits=splits,
                                     n_train=args.n_train, seed=args.seed, n_jobs=n_jobs, **kw)
            timing.update(row_seconds(rows, time.perf_counter() - t0))
            if "_fixed_meta" in extra and "_fixed_meta" in rows:
                # meta (config, saturations, drift) of the first --fixed row, the others per row
                fm = rows.pop("_fixed_meta")
                extra.setdefault("_fixed_meta_rows", {})[fm["float_method"]] = fm
            extra.update(rows)
    results.update({k: v for k, v in extra.items() if not k.startswith("_")})
    meta = {}
    if "_fixed_meta" in extra:  # config, saturation counts, score drift against float
        meta["fixed"] = extra["_fixed_meta"]
    if "_fixed_meta_rows" in extra:
        meta["fixed_rows"] = extra["_fixed_meta_rows"]
    curves.update(extra.get("_curves", {}))
    table = ev.format_tables(results, signals)
    shown_figs = []
    with outputs.Transaction() as tx:
        rep_tmp = tx.update(args.report)  # locked; absent file: report.write starts a new report
        report.write(results, rep_tmp, settings, command="evaluate", seconds=timing, extra_meta=meta)
        cur_tmp = tx.update(curves_file)  # absent file: save_curves starts a new store
        figures.save_curves({m: c for m, c in curves.items() if c}, cur_tmp)
        if args.table:
            with open(tx.file(args.table), "w") as f:
                f.write(table + "\n")
        if args.figures:
            tmp_dir = tx.folder(args.figures)
            paths = figures.make_all(rep_tmp, tmp_dir, curves_file=cur_tmp)
            shown_figs = [os.path.join(args.figures, os.path.basename(q)) for q in paths]
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
