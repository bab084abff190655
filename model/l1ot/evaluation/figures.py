"""Result figures of an evaluation report, for talks: ROC, background rejection, SI, AUC vs k.

Curves are stored next to the report (``<report>_curves.npz``, :func:`save_curves`):
for every method, signal and test set, the background efficiency ``eps_b`` at
the signal efficiencies ``eps_s = 0, 0.005, ..., 1`` (:data:`GRID`). This is the
grid :func:`l1ot.evaluation.metrics.roc_band` and ``si_band`` interpolate on,
so the stored curves give the same bands as the raw ROC curves. The store
follows the report: it is written only after the report accepted the rows
(:mod:`l1ot.evaluation.report`).

Every figure:

* has one panel per signal and at most :data:`MAX_CURVES` curves per panel,
  split into a "paper 1" group (baselines, 2D OT, 3D OT, 3D OT + anomaly kNN)
  and a "LinW2" group (3D OT against the LinW2 variants);
* uses the Okabe-Ito colour-blind-safe palette with a fixed colour per method
  and dotted lines for the single-observable baselines;
* gives the AUC (ROC and rejection) or the max SI (SI) of each method in the legend;
* is labelled "Simulated sample, not CMS data";
* is written as PNG and PDF.

``python -m l1ot.evaluation.figures [REPORT [OUT_DIR]]`` redraws them from a
report and its curve store.
"""
from __future__ import annotations

import os
import sys

import numpy as np

from . import metrics

GRID = np.round(np.linspace(0.0, 1.0, 201), 12)  # the nodes of metrics.roc_band / si_band
MAX_CURVES = 6
LABEL = "Simulated sample, not CMS data"
#: Okabe & Ito (2008) colour-blind-safe palette
OKABE_ITO = {"black": "#000000", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73",
             "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7"}
STYLE = {  # method: (colour, line style)
    "total_pt": (OKABE_ITO["orange"], ":"), "met": (OKABE_ITO["purple"], ":"),
    "multiplicity": (OKABE_ITO["green"], ":"),
    "2d_ot": (OKABE_ITO["sky"], "-"), "3d_ot": (OKABE_ITO["blue"], "-"),
    "3d_ot_anomaly_knn": (OKABE_ITO["vermillion"], "-"),
    "linw2_sorted_k32": (OKABE_ITO["vermillion"], "-"), "linw2_species_k32": (OKABE_ITO["green"], "--"),
    "linw2_sorted_k64": (OKABE_ITO["orange"], "-."), "linw2_exact_bary_k32": (OKABE_ITO["purple"], "--"),
    "fixed_sorted_k32": (OKABE_ITO["black"], ":"),
}
GROUPS = {
    "paper1": ("total_pt", "met", "multiplicity", "2d_ot", "3d_ot", "3d_ot_anomaly_knn"),
    "linw2": ("3d_ot", "linw2_sorted_k32", "linw2_species_k32", "linw2_sorted_k64", "linw2_exact_bary_k32"),
}
GROUP_TITLES = {"paper1": "paper 1 methods and baselines", "linw2": "exact 3D OT and LinW2"}


def curves_path(report_path: str) -> str:
    """Curve store of a report: ``reports/evaluation.json`` -> ``reports/evaluation_curves.npz``."""
    root, _ = os.path.splitext(report_path)
    return root + "_curves.npz"


def on_grid(curves) -> np.ndarray:
    """Per-set ROC curves [(eps_b, eps_s), ...] -> eps_b at :data:`GRID`, float64 (n_sets, 201)."""
    return np.array([np.interp(GRID, es, eb) for eb, es in curves])


def load_curves(path: str) -> dict:
    """{method: {signal: [(eps_b, eps_s), ...]}} from a curve store ({} when absent)."""
    if not os.path.exists(path):
        return {}
    out = {}
    with np.load(path) as z:
        for key in z.files:
            m, sig = key.split("/")
            out.setdefault(m, {})[sig] = [(row, GRID) for row in z[key]]
    return out


def save_curves(curves: dict, path: str) -> str:
    """Merge {method: {signal: per-set ROC curves}} into the store at ``path`` (temp file + rename)."""
    arrays = {}
    if os.path.exists(path):
        with np.load(path) as z:
            arrays = {k: z[k] for k in z.files}
    for m, per in curves.items():
        for sig, c in (per or {}).items():
            arrays[f"{m}/{sig}"] = on_grid(c)
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    tmp = os.path.join(d, f".{os.path.basename(path)}.{os.getpid()}.tmp.npz")
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, path)
    return path


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 12, "axes.grid": True, "grid.alpha": 0.3, "legend.frameon": True,
                         "legend.framealpha": 0.9, "legend.edgecolor": "#cccccc"})
    return plt


def _label_figure(fig):
    fig.text(0.995, 0.005, LABEL, ha="right", va="bottom", fontsize=11, style="italic", color="#444444")


def _save(fig, out_dir: str, name: str) -> list[str]:
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for ext in ("png", "pdf"):
        p = os.path.join(out_dir, f"{name}.{ext}")
        tmp = os.path.join(out_dir, f".{name}.{os.getpid()}.tmp.{ext}")
        # no creation date: the same report gives byte-identical figures
        meta = {"CreationDate": None} if ext == "pdf" else {}
        try:
            fig.savefig(tmp, dpi=110 if ext == "png" else None, metadata=meta)
            os.replace(tmp, p)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
        paths.append(p)
    return paths


def _panels(plt, n):
    cols = 2 if n > 1 else 1
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(6.2 * cols, 4.9 * rows), squeeze=False)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    return fig, axes.ravel()


def plot_group(curves: dict, results: dict, group: str, out_dir: str, signals=None) -> list[str]:
    """ROC, background-rejection and SI figures of one method group. Returns the written paths."""
    from .evaluate import PLOT_LABELS, SIGNALS, method_label

    methods = [m for m in GROUPS[group] if m in curves][:MAX_CURVES]
    if not methods:
        return []
    signals = signals or [s for s in SIGNALS if any(s in curves[m] for m in methods)]
    plt = _plt()
    paths = []
    for kind in ("roc", "rejection", "si"):
        fig, axes = _panels(plt, len(signals))
        for ax, sig in zip(axes, signals):
            for m in methods:
                if sig not in curves[m]:
                    continue
                colour, ls = STYLE.get(m, (None, "-"))
                res = results.get(m, {}).get(sig, {})
                if kind == "si":
                    g, mu, sd = metrics.si_band(curves[m][sig])
                    v = res.get("max_si")
                    tag = f"max SI {v[0]:.2f}" if v else ""
                else:
                    g, mu, sd = metrics.roc_band(curves[m][sig])
                    v = res.get("auc")
                    tag = f"AUC {v[0]:.3f}" if v else ""
                if kind == "rejection":  # 1/eps_b per set, then mean and std
                    eb = np.array([np.interp(g, es, eb_) for eb_, es in curves[m][sig]])
                    inv = 1.0 / np.maximum(eb, 1.0 / 1000)
                    mu, sd = inv.mean(0), inv.std(0)
                    keep = g >= 0.05
                    g, mu, sd = g[keep], mu[keep], sd[keep]
                lab = f"{method_label(m)}: {tag}" if tag else method_label(m)
                ax.plot(g, mu, color=colour, ls=ls, lw=2, label=lab)
                ax.fill_between(g, np.maximum(mu - sd, 1e-3 if kind == "rejection" else -np.inf), mu + sd,
                                color=colour, alpha=0.2, lw=0)
            ax.set_title(PLOT_LABELS.get(sig, sig))
            ax.set_xlabel("signal efficiency εs")
            if kind == "roc":
                ax.set_ylabel("background rejection 1 − εb")
                ax.plot([0, 1], [1, 0], color="#999999", lw=0.8, ls="--")
                ax.set_xlim(0, 1), ax.set_ylim(0, 1.02)
                ax.legend(fontsize=9, loc="lower left")
            elif kind == "rejection":
                ax.set_yscale("log")
                ax.set_ylabel("background rejection 1/εb")
                ax.set_xlim(0.05, 1)
                ax.axhline(1000, color="#999999", lw=0.8, ls="--")
                ax.set_ylim(0.8, 2e4)  # room above the 1-event line for the legend
                ax.legend(fontsize=9, loc="upper right")
            else:
                ax.set_ylabel("SI = εs / √εb")
                ax.set_xlim(0.2, 1)
                ax.legend(fontsize=9, loc="best")
        note = "; dashed: 1 background event per test set" if kind == "rejection" else ""
        fig.suptitle(f"{GROUP_TITLES[group]}: mean ± std over test sets{note}", fontsize=13)
        fig.tight_layout(rect=(0, 0.03, 1, 1))
        _label_figure(fig)
        paths += _save(fig, out_dir, f"{kind}_{group}")
        plt.close(fig)
    return paths


def plot_auc_vs_k(results: dict, out_dir: str, reference_methods=("3d_ot",)) -> list[str]:
    """AUC versus k for the LinW2 transports, exact min-W2 as a line; nothing when fewer than two k ran."""
    from .evaluate import PLOT_LABELS, SIGNALS, method_label

    ks = sorted({int(m.rsplit("_k", 1)[1]) for m in results if m.startswith("linw2_sorted_k")})
    if len(ks) < 2:
        return []
    plt = _plt()
    signals = [s for s in SIGNALS if s in results[f"linw2_sorted_k{ks[0]}"]]
    fig, axes = _panels(plt, len(signals))
    for ax, sig in zip(axes, signals):
        for tr, colour, fmt in (("sorted", OKABE_ITO["vermillion"], "o-"), ("species", OKABE_ITO["green"], "s--")):
            pts = [(k, results[f"linw2_{tr}_k{k}"][sig]["auc"]) for k in ks
                   if sig in results.get(f"linw2_{tr}_k{k}", {})]
            if pts:
                ax.errorbar([p[0] for p in pts], [p[1][0] for p in pts], yerr=[p[1][1] for p in pts], fmt=fmt,
                            color=colour, label=f"LinW2 {tr}", capsize=3)
        for rm in reference_methods:
            if sig in results.get(rm, {}):
                a = results[rm][sig]["auc"][0]
                ax.axhline(a, color=OKABE_ITO["blue"], lw=1.5, ls=":", label=f"{method_label(rm)}: AUC {a:.3f}")
        ax.set_xscale("log", base=2)
        ax.set_xticks(ks, [str(k) for k in ks])
        ax.minorticks_off()
        ax.set_xlabel("k (medoids)")
        ax.set_ylabel("AUC")
        ax.set_title(PLOT_LABELS.get(sig, sig))
        ax.legend(fontsize=9, loc="best")
    fig.suptitle("LinW2 AUC versus the number of reference medoids k", fontsize=13)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    _label_figure(fig)
    paths = _save(fig, out_dir, "auc_vs_k")
    plt.close(fig)
    return paths


def make_all(report_path: str, out_dir: str, curves_file: str | None = None) -> list[str]:
    """Every figure of a report and its curve store (default :func:`curves_path` of the
    report). Returns the written paths."""
    from . import report

    results = report.read(report_path)
    curves = load_curves(curves_file or curves_path(report_path))
    paths = []
    for g in GROUPS:
        paths += plot_group(curves, results, g, out_dir)
    return paths + plot_auc_vs_k(results, out_dir)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    rep = argv[0] if argv else os.path.join("reports", "evaluation.json")
    out = argv[1] if len(argv) > 1 else os.path.dirname(rep) or "."
    for p in make_all(rep, out):
        print(p)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
