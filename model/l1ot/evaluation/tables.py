"""Markdown tables of evaluation reports: one table per metric, numbers rounded by their errors.

Rounding rule: the first significant digit of the error sets the decimals of
both value and error (``17.6 ± 1.57`` -> ``18 ± 2``, ``0.8161 ± 0.0092`` ->
``0.816 ± 0.009``). A zero error keeps four significant digits of the value.
The signal efficiency of a maximum is given to two decimals in brackets.
"""
from __future__ import annotations

import math

import numpy as np

#: metric families of paper 1 Table 1: key, heading
METRICS = (("auc", "AUC"),
           ("inv_eb_at_0p3", "Background rejection 1/εb at εs = 0.3"),
           ("si_at_0p3", "Significance improvement SI = εs/√εb at εs = 0.3"),
           ("max_f1", "Maximum F1 over εs ∈ [0.2, 1] (εs at the maximum)"),
           ("max_si", "Maximum SI over εs ∈ [0.2, 1] (εs at the maximum)"))


def decimals_for(err: float) -> int:
    """Decimals such that the error's first significant digit is the last one shown."""
    if not np.isfinite(err) or err <= 0:
        return -1
    return max(0, -int(math.floor(math.log10(err))))


def fmt_value(v: float, d: int) -> str:
    if not np.isfinite(v):
        return "inf" if v > 0 else ("-inf" if v < 0 else "nan")
    if d < 0:  # no usable error: four significant digits
        return f"{v:.4g}"
    return f"{round(v, d):.{d}f}"


def fmt_pm(v) -> str:
    """``[mean, std(, eps_s)]`` -> "mean ± std (eps_s)" rounded by the error; None -> "–"."""
    if v is None:
        return "–"
    mu, sd = float(v[0]), float(v[1])
    eps = f" ({float(v[2]):.2f})" if len(v) > 2 and v[2] is not None else ""
    if not np.isfinite(mu):
        return fmt_value(mu, 0) + eps
    if not np.isfinite(sd):
        return f"{mu:.4g} ± {fmt_value(sd, 0)}" + eps
    d = decimals_for(sd)
    if d >= 0 and round(sd, d) >= 10 ** (1 - d) and d > 0:  # 0.096 rounds to 0.10: one decimal fewer
        d -= 1
    s = fmt_value(mu, d) + " ± " + (fmt_value(sd, d) if d >= 0 else ("0" if sd == 0 else fmt_value(sd, -1)))
    return s + eps


def metric_table(results: dict, key: str, signals, labels, method_label) -> str:
    """Rows = methods, columns = signals, for one metric ``key``."""
    methods = [m for m in results if not m.startswith("_") and any(key in results[m].get(s, {}) for s in signals)]
    if not methods:
        return ""
    lines = ["| method | " + " | ".join(labels.get(s, s) for s in signals) + " |",
             "|---|" + "---|" * len(signals)]
    for m in methods:
        cells = [fmt_pm(results[m].get(s, {}).get(key)) for s in signals]
        lines.append(f"| {method_label(m)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def tables(results: dict, signals, labels, method_label, metrics=METRICS, level: str = "###") -> str:
    """One markdown table per metric family, each under a heading."""
    out = []
    for key, head in metrics:
        t = metric_table(results, key, signals, labels, method_label)
        if t:
            out += [f"{level} {head}", "", t, ""]
    return "\n".join(out).rstrip() + "\n"
