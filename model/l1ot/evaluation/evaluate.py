"""Evaluation harness: score background and signal test sets with several
methods and tabulate paper-1 metrics (Table 1 layout).

A *method* is a function ``scorer(ctx, events) -> float (N,)`` (higher = more
anomalous) registered in :data:`METHODS`; ``ctx`` is an :class:`EvalContext`
holding the training/reference events and any trained models, built lazily.
Results are a nested dict ``{method: {signal: {metric: [mean, std, ...]}}}``
merged into ``reports/evaluation.json`` by :func:`l1ot.evaluation.report.write`
only when computed with identical settings.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from . import baselines, metrics
from ..io import data, naming
from ..ot import linot, w2
from ..io.splits import DEFAULT as DEFAULT_SPLITS
from ..io.splits import Splits

#: bundled file name of each signal (other ADC2021 names: :mod:`l1ot.io.naming`)
SIGNALS = {k: stem + ".h5" for k, stem in naming.SIGNAL_STEMS.items()}
SIGNAL_LABELS = {"A": "A→4ℓ", "h0": "h⁰→ττ", "hpm": "h±→τν", "LQ": "LQ→bτ"}
PLOT_LABELS = {"A": r"$A\to 4\ell$", "h0": r"$h^0\to\tau\tau$", "hpm": r"$h^\pm\to\tau\nu$",
               "LQ": r"LQ$\to b\tau$"}
BACKGROUND = naming.BACKGROUND_NAME
REPORT = os.path.join("reports", "evaluation.json")
K_SCAN = (8, 16, 32, 64, 128)


@dataclass
class EvalContext:
    """Shared inputs of all methods: file paths, splits and cached models."""

    bkg_path: str
    splits: Splits = DEFAULT_SPLITS
    n_ref: int = 1000
    n_train: int = 5000
    seed: int = 0
    n_jobs: int = 1
    progress: bool = True
    _cache: dict = field(default_factory=dict)

    def ranges(self):
        if "ranges" not in self._cache:   # keeps parton-level groups on one side (l1ot.io.splits)
            self._cache["ranges"] = self.splits.background_file(self.bkg_path)
        return self._cache["ranges"]

    def train_events(self, n: int) -> np.ndarray:
        key = ("train", n)
        if key not in self._cache:
            a, b = self.ranges()["train"]
            self._cache[key] = data.load(self.bkg_path, n=min(n, b - a), start=a)
        return self._cache[key]

    def model(self, k: int, transport: str = "sorted") -> linot.LinModel:
        key = ("model", k, transport)
        if key not in self._cache:
            ev = self.train_events(self.n_train)
            if transport == "exact":  # POT plan per event: keep the training set moderate
                ev = ev[: min(len(ev), 2000)]
            self._cache[key] = linot.train(ev, k=k, transport=transport, seed=self.seed,
                                           provenance={"input_file": self.bkg_path})
        return self._cache[key]


# ---------------------------------------------------------------- methods
def _baseline(name):
    return lambda ctx, ev: baselines.BASELINES[name](ev)


def _min_w2(space):
    def f(ctx, ev):
        refs = ctx.train_events(ctx.n_ref)[: ctx.n_ref]
        return w2.min_w2(ev, refs, space=space, n_jobs=ctx.n_jobs, progress=ctx.progress)
    return f


def _linw2(k, transport):
    return lambda ctx, ev: ctx.model(k, transport).score(ev)


METHODS: dict[str, Callable] = {
    "total_pt": _baseline("total_pt"),
    "met": _baseline("met"),
    "multiplicity": _baseline("multiplicity"),
    "2d_ot": _min_w2("2d"),
    "3d_ot": _min_w2("3d"),
    "2d_ot_nomet": _min_w2("2d_nomet"),
    "2d_ot_uniform": _min_w2("2d_uniform"),
}
for _k in K_SCAN:
    METHODS[f"linw2_sorted_k{_k}"] = _linw2(_k, "sorted")
    METHODS[f"linw2_species_k{_k}"] = _linw2(_k, "species")
METHODS["linw2_exact_bary_k32"] = _linw2(32, "exact")

METHOD_LABELS = {
    "total_pt": "Total pT", "met": "MET", "multiplicity": "Total multiplicity",
    "2d_ot": "2D OT (min W2, N ref)", "3d_ot": "3D OT (min W2, N ref)",
    "2d_ot_nomet": "2D OT, MET excluded (not paper 1)",
    "2d_ot_uniform": "2D OT, 1/19 per slot (not paper 1)",
    "fixed_sorted_k32": "Fixed point (kernel) sorted k=32",
    "3d_ot_anomaly_knn": "3D OT + anomaly kNN",  # rows of l1ot.paper1.methods drawn in the figures
}

PRESETS = {
    "baselines": ["total_pt", "met", "multiplicity"],
    "quick": ["total_pt", "met", "multiplicity", "linw2_sorted_k32", "linw2_species_k32"],
    "paper": ["total_pt", "met", "multiplicity", "2d_ot", "3d_ot"],
    "all": list(METHODS),
    "demo": [m for m in METHODS if m not in ("2d_ot_nomet", "2d_ot_uniform")],
}


def method_label(name: str) -> str:
    if name in METHOD_LABELS:
        return METHOD_LABELS[name]
    if name.startswith("linw2_"):
        parts = name.split("_")
        return f"LinW2 {parts[1]} k={parts[-1][1:]}" + (" (barycenter ref)" if "bary" in name else "")
    return name


# ---------------------------------------------------------------- running
def load_test_sets(ctx: EvalContext, data_dir, signals=None):
    """Background and signal test events: dict name -> (n_sets, n_per_set, 19, 4).

    ``data_dir``: folder (files recognised by :mod:`l1ot.io.naming`), {key: path}
    or :class:`l1ot.io.naming.DataFiles`.
    """
    s = ctx.splits
    a, b = ctx.ranges()["test"]
    out = {"bkg": data.load(ctx.bkg_path, n=b - a, start=a).reshape(s.n_sets, s.n_per_set, 19, 4)}
    for sig in signals or SIGNALS:
        path = naming.signal_path(data_dir, sig)
        lo, hi = s.signal(data.count(path), path)
        out[sig] = data.load(path, n=hi - lo, start=lo).reshape(s.n_sets, s.n_per_set, 19, 4)
    return out


def score_sets(ctx: EvalContext, method: str, sets: dict) -> dict:
    """Scores of one method for every test set: name -> (n_sets, n_per_set)."""
    fn = METHODS[method]
    out = {}
    for name, ev in sets.items():
        flat = ev.reshape(-1, 19, 4)
        out[name] = np.asarray(fn(ctx, flat), dtype=np.float64).reshape(ev.shape[:2])
    return out


def metrics_from_scores(scores: dict) -> dict:
    """Paper-1 metrics, mean/std over test sets: {signal: {...}} plus ROC curves."""
    res, curves = {}, {}
    for sig, s in scores.items():
        if sig == "bkg":
            continue
        per = [metrics.summarize(scores["bkg"][i], s[i]) for i in range(s.shape[0])]
        res[sig] = metrics.summarize_sets(per)
        curves[sig] = [metrics.roc_curve(scores["bkg"][i], s[i])[:2] for i in range(s.shape[0])]
    return res, curves


def evaluate(bkg_path: str, data_dir, methods, *, signals=None, n_ref: int = 1000,
             n_train: int = 5000, n_jobs: int = 1, seed: int = 0, splits: Splits = DEFAULT_SPLITS,
             progress: bool = True, log=print):
    """Run ``methods`` on the standard test sets. Returns (results, curves, timings)."""
    ctx = EvalContext(bkg_path=bkg_path, splits=splits, n_ref=n_ref, n_train=n_train,
                      n_jobs=n_jobs, seed=seed, progress=progress)
    sets = load_test_sets(ctx, data_dir, signals)
    results, curves, timing = {}, {}, {}
    for m in methods:
        if m not in METHODS:
            raise ValueError(f"unknown method {m!r}; known: {', '.join(METHODS)}")
        t0 = time.perf_counter()
        sc = score_sets(ctx, m, sets)
        results[m], curves[m] = metrics_from_scores(sc)
        timing[m] = time.perf_counter() - t0
        if log:
            aucs = "  ".join(f"{sig} {v['auc'][0]:.4f}" for sig, v in results[m].items())
            log(f"  {method_label(m):<34} AUC  {aucs}   ({timing[m]:.1f} s)")
    return results, curves, timing


def format_tables(results: dict, signals=None) -> str:
    """Markdown: one table per metric family (rows methods, columns signals), see :mod:`.tables`."""
    from . import tables

    methods = [m for m in results if not m.startswith("_")]
    signals = signals or [s for s in SIGNALS if any(s in results[m] for m in methods)]
    return tables.tables(results, signals, SIGNAL_LABELS, method_label)
