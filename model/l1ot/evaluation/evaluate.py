"""Evaluation harness: score background and signal test sets with several
methods and tabulate paper-1 metrics (Table 1 layout).

A *method* is a function ``scorer(ctx, events) -> float (N,)`` (higher = more
anomalous) registered in :data:`METHODS`; ``ctx`` is an :class:`EvalContext`
holding the training/reference events and any trained models, built lazily.
Results are a nested dict ``{method: {signal: {metric: [mean, std, ...]}}}``
merged into ``reports/evaluation.json`` by :func:`update_report`, so that other
modules can add rows to the same report.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from . import baselines, metrics
from ..io import data
from ..ot import linot, w2
from ..io.splits import DEFAULT as DEFAULT_SPLITS
from ..io.splits import Splits

SIGNALS = {
    "A": "Ato4l_lepFilter_13TeV.h5",
    "h0": "hToTauTau_13TeV_PU20.h5",
    "hpm": "hChToTauNu_13TeV_PU20.h5",
    "LQ": "leptoquark_LOWMASS_lepFilter_13TeV.h5",
}
SIGNAL_LABELS = {"A": "A→4ℓ", "h0": "h⁰→ττ", "hpm": "h±→τν", "LQ": "LQ→bτ"}
PLOT_LABELS = {"A": r"$A\to 4\ell$", "h0": r"$h^0\to\tau\tau$", "hpm": r"$h^\pm\to\tau\nu$",
               "LQ": r"LQ$\to b\tau$"}
BACKGROUND = "background_for_training.h5"
REPORT = os.path.join("reports", "evaluation.json")
K_SCAN = (8, 16, 32, 64, 128)
#: methods drawn in the ROC/SI figures when present (all scored methods otherwise)
FIGURE_METHODS = ("total_pt", "multiplicity", "2d_ot", "3d_ot", "linw2_sorted_k32", "linw2_species_k32",
                  "linw2_sorted_k64", "linw2_exact_bary_k32")


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
        return self.splits.background(data.count(self.bkg_path), self.bkg_path)

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
}

PRESETS = {
    "baselines": ["total_pt", "met", "multiplicity"],
    "quick": ["total_pt", "met", "multiplicity", "linw2_sorted_k32", "linw2_species_k32"],
    "paper": ["total_pt", "met", "multiplicity", "2d_ot", "3d_ot"],
    "all": list(METHODS),
    "demo": list(METHODS),
}


def method_label(name: str) -> str:
    if name in METHOD_LABELS:
        return METHOD_LABELS[name]
    if name.startswith("linw2_"):
        parts = name.split("_")
        return f"LinW2 {parts[1]} k={parts[-1][1:]}" + (" (barycenter ref)" if "bary" in name else "")
    return name


# ---------------------------------------------------------------- running
def load_test_sets(ctx: EvalContext, data_dir: str, signals=None):
    """Background and signal test events: dict name -> (n_sets, n_per_set, 19, 4)."""
    s = ctx.splits
    a, b = ctx.ranges()["test"]
    out = {"bkg": data.load(ctx.bkg_path, n=b - a, start=a).reshape(s.n_sets, s.n_per_set, 19, 4)}
    for sig in signals or SIGNALS:
        path = os.path.join(data_dir, SIGNALS[sig])
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


def evaluate(bkg_path: str, data_dir: str, methods, *, signals=None, n_ref: int = 1000,
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


def update_report(rows: dict, path: str = REPORT, meta: dict | None = None) -> dict:
    """Merge ``rows`` ({method: {signal: metrics}}) into the JSON report at ``path``."""
    rep = {}
    if os.path.exists(path):
        with open(path) as f:
            rep = json.load(f)
    rep.update(rows)
    if meta:
        rep.setdefault("_meta", {}).update(meta)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(rep, f, indent=1, sort_keys=True)
    return rep


def format_table(results: dict, signals=None, metrics_order=None) -> str:
    """Markdown table in the layout of paper 1 Table 1 (metrics x signals rows, methods columns)."""
    methods = [m for m in results if not m.startswith("_")]
    signals = signals or [s for s in SIGNALS if any(s in results[m] for m in methods)]
    rows_def = metrics_order or [("AUC", "auc"), ("1/εb (εs=0.3)", "inv_eb_at_0p3"),
                                 ("SI (εs=0.3)", "si_at_0p3"), ("max F1 (εs)", "max_f1"),
                                 ("max SI (εs)", "max_si")]
    head = "| metric | signal | " + " | ".join(method_label(m) for m in methods) + " |"
    lines = [head, "|" + "---|" * (len(methods) + 2)]
    for label, key in rows_def:
        for sig in signals:
            cells = []
            for m in methods:
                v = results[m].get(sig, {}).get(key)
                if v is None:
                    cells.append("–")
                elif len(v) == 3:
                    cells.append(f"{_fmt(v[0])} ± {_fmt(v[1])} ({v[2]:.2f})")
                else:
                    cells.append(f"{_fmt(v[0])} ± {_fmt(v[1])}")
            lines.append(f"| {label} | {SIGNAL_LABELS.get(sig, sig)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _fmt(x: float) -> str:
    if not np.isfinite(x):
        return "inf"
    return f"{x:.4f}" if abs(x) < 10 else f"{x:.1f}"


# ---------------------------------------------------------------- figures
def plot_rocs(curves: dict, out_dir: str = "reports", methods=None, tag: str = "") -> list[str]:
    """Paper-1 Figure 1/2 style: ROC and SI curves with ±1σ bands, one panel per signal."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    try:
        import mplhep

        plt.style.use(mplhep.style.CMS)
    except Exception:  # pragma: no cover - style only
        pass
    if methods is None:
        methods = [m for m in FIGURE_METHODS if m in curves] or list(curves)
    signals = [s for s in SIGNALS if any(s in curves[m] for m in methods)]
    paths = []
    for kind in ("roc", "si"):
        fig, axes = plt.subplots(1, len(signals), figsize=(6 * len(signals), 6), squeeze=False)
        for ax, sig in zip(axes[0], signals):
            for m in methods:
                if sig not in curves[m]:
                    continue
                if kind == "roc":
                    g, mu, sd = metrics.roc_band(curves[m][sig])
                    ax.set_xlabel(r"$\epsilon_s$")
                    ax.set_ylabel(r"$1-\epsilon_b$")
                else:
                    g, mu, sd = metrics.si_band(curves[m][sig])
                    ax.set_xlabel(r"$\epsilon_s$")
                    ax.set_ylabel(r"SI = $\epsilon_s/\sqrt{\epsilon_b}$")
                ls = ":" if m in baselines.BASELINES else "-"
                ax.plot(g, mu, label=method_label(m), lw=1.5, ls=ls)
                ax.fill_between(g, mu - sd, mu + sd, alpha=0.25)
            ax.set_title(PLOT_LABELS.get(sig, sig), fontsize=16)
            ax.legend(fontsize=9, loc="lower left" if kind == "roc" else "upper right")
        fig.tight_layout()
        p = os.path.join(out_dir, f"{kind}_curves{tag}.png")
        os.makedirs(out_dir, exist_ok=True)
        fig.savefig(p, dpi=80)
        plt.close(fig)
        paths.append(p)
    return paths


def plot_auc_vs_k(results: dict, out: str = os.path.join("reports", "auc_vs_k.png"),
                  reference_methods=("3d_ot",)) -> str | None:
    """AUC versus k for the LinW2 transports, with exact min-W2 as horizontal lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ks = sorted({int(m.rsplit("_k", 1)[1]) for m in results if m.startswith("linw2_sorted_k")})
    if not ks:
        return None
    signals = [s for s in SIGNALS if f"linw2_sorted_k{ks[0]}" in results and s in results[f"linw2_sorted_k{ks[0]}"]]
    fig, axes = plt.subplots(1, len(signals), figsize=(5 * len(signals), 4.5), squeeze=False)
    for ax, sig in zip(axes[0], signals):
        for tr, style in (("sorted", "o-"), ("species", "s--")):
            pts = [(k, results[f"linw2_{tr}_k{k}"][sig]["auc"]) for k in ks if f"linw2_{tr}_k{k}" in results]
            if pts:
                kk = [p[0] for p in pts]
                mu = np.array([p[1][0] for p in pts])
                sd = np.array([p[1][1] for p in pts])
                ax.errorbar(kk, mu, yerr=sd, fmt=style, label=f"LinW2 {tr}", capsize=3)
        for rm in reference_methods:
            if rm in results and sig in results[rm]:
                ax.axhline(results[rm][sig]["auc"][0], color="k", lw=1, ls=":", label=method_label(rm))
        ax.set_xscale("log", base=2)
        ax.set_xlabel("k (medoids)")
        ax.set_ylabel("AUC")
        ax.set_title(PLOT_LABELS.get(sig, sig))
        ax.legend(fontsize=8)
    fig.tight_layout()
    os.makedirs(os.path.dirname(out), exist_ok=True)
    fig.savefig(out, dpi=80)
    plt.close(fig)
    return out
