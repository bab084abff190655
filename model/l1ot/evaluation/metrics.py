"""Anomaly-detection metrics exactly as paper 1 (§4, Tables 1-3) defines them.

Convention: a higher score means more anomalous. For a threshold t,
``eps_s = P(score_sig >= t)`` and ``eps_b = P(score_bkg >= t)``.

* ROC curve ``(eps_b, eps_s)`` and its AUC;
* ``1/eps_b`` and ``SI = eps_s / sqrt(eps_b)`` at ``eps_s = 0.3``;
* max F1 and max SI over ``eps_s`` in ``[0.2, 1]`` with the ``eps_s`` where
  they are reached. F1 uses the test set's own class balance (paper: 1,000
  background + 1,000 signal), ``precision = n_s eps_s / (n_s eps_s + n_b eps_b)``.
* mean and standard deviation over independent test sets
  (:func:`summarize_sets`; paper: 5 sets).

When ``eps_b`` at ``eps_s = 0.3`` is 0 (no background above threshold), it is
set to ``1/n_b``, so ``1/eps_b`` and SI are conservative (lower) limits.
"""
from __future__ import annotations

import numpy as np

EPS_S_REF = 0.3
EPS_S_MIN = 0.2


def roc_curve(bkg: np.ndarray, sig: np.ndarray):
    """ROC from scores.

    Parameters
    ----------
    bkg : (n_b,) background scores; sig : (n_s,) signal scores.

    Returns
    -------
    eps_b, eps_s, thresholds : arrays (T,), one point per distinct score,
    starting at (0, 0) and ending at (1, 1); thresholds decreasing
    (the first is +inf).
    """
    bkg = np.asarray(bkg, dtype=np.float64).ravel()
    sig = np.asarray(sig, dtype=np.float64).ravel()
    if bkg.size == 0 or sig.size == 0:
        raise ValueError("ROC needs at least one background and one signal score")
    if not (np.all(np.isfinite(bkg)) and np.all(np.isfinite(sig))):
        raise ValueError("scores contain NaN or inf")
    scores = np.concatenate([sig, bkg])
    label = np.concatenate([np.ones(sig.size), np.zeros(bkg.size)])
    order = np.argsort(-scores, kind="mergesort")
    s, y = scores[order], label[order]
    last = np.r_[np.nonzero(np.diff(s))[0], s.size - 1]  # last index of each distinct score
    tp = np.cumsum(y)[last]
    fp = np.cumsum(1 - y)[last]
    eps_s = np.r_[0.0, tp / sig.size]
    eps_b = np.r_[0.0, fp / bkg.size]
    thr = np.r_[np.inf, s[last]]
    return eps_b, eps_s, thr


def auc(bkg: np.ndarray, sig: np.ndarray) -> float:
    """Area under the ROC curve (trapezoidal, ties counted one half)."""
    eb, es, _ = roc_curve(bkg, sig)
    return float(np.trapezoid(es, eb))


def _eps_b_at(eps_b, eps_s, target, n_b):
    # eps_s is non-decreasing along the curve; take the first point reaching target
    i = int(np.searchsorted(eps_s, target, side="left"))
    if i >= eps_s.size:
        return 1.0
    if eps_s[i] == target or i == 0:
        eb = eps_b[i]
    else:  # linear interpolation between the two ROC points around target
        f = (target - eps_s[i - 1]) / (eps_s[i] - eps_s[i - 1])
        eb = eps_b[i - 1] + f * (eps_b[i] - eps_b[i - 1])
    return max(float(eb), 1.0 / n_b)


def summarize(bkg: np.ndarray, sig: np.ndarray, eps_s_ref: float = EPS_S_REF,
              eps_s_min: float = EPS_S_MIN) -> dict:
    """All metrics of one test set.

    Returns a dict: ``auc``, ``inv_eb_at_0p3``, ``si_at_0p3``,
    ``max_f1`` = [value, eps_s], ``max_si`` = [value, eps_s].
    """
    bkg = np.asarray(bkg, dtype=np.float64).ravel()
    sig = np.asarray(sig, dtype=np.float64).ravel()
    eb, es, _ = roc_curve(bkg, sig)
    n_b, n_s = bkg.size, sig.size
    eb_ref = _eps_b_at(eb, es, eps_s_ref, n_b)
    sel = (es >= eps_s_min) & (es <= 1.0)
    es_w, eb_w = es[sel], np.maximum(eb[sel], 1.0 / n_b)
    si = es_w / np.sqrt(eb_w)
    prec = (n_s * es_w) / (n_s * es_w + n_b * eb[sel])
    f1 = 2 * prec * es_w / (prec + es_w)
    i_si, i_f1 = int(np.argmax(si)), int(np.argmax(f1))
    return {
        "auc": float(np.trapezoid(es, eb)),
        "inv_eb_at_0p3": 1.0 / eb_ref,
        "si_at_0p3": float(eps_s_ref / np.sqrt(eb_ref)),
        "max_f1": [float(f1[i_f1]), float(es_w[i_f1])],
        "max_si": [float(si[i_si]), float(es_w[i_si])],
    }


def summarize_binary(bkg_pred: np.ndarray, sig_pred: np.ndarray) -> dict:
    """Metrics for a binary classifier (one working point), e.g. a one-class SVM.

    ``bkg_pred``/``sig_pred`` are 0/1 (1 = anomalous). Returns eps_s, eps_b,
    F1 and SI at that single point, plus the AUC of the two-point ROC.
    """
    es = float(np.mean(np.asarray(sig_pred) > 0))
    eb = float(np.mean(np.asarray(bkg_pred) > 0))
    n_b, n_s = np.size(bkg_pred), np.size(sig_pred)
    eb_c = max(eb, 1.0 / n_b)
    prec = n_s * es / (n_s * es + n_b * eb) if es > 0 else 0.0
    f1 = 2 * prec * es / (prec + es) if prec + es > 0 else 0.0
    return {
        "auc": 0.5 * (1 + es - eb),
        "eps_s": es,
        "eps_b": eb,
        "f1": [f1, es],
        "si": [es / np.sqrt(eb_c), es],
    }


def summarize_sets(per_set: list[dict]) -> dict:
    """Mean and std over test sets of :func:`summarize` outputs.

    Scalars become ``[mean, std]``; ``[value, eps_s]`` pairs become
    ``[mean, std, mean eps_s]``.
    """
    out = {}
    for key in per_set[0]:
        vals = [s[key] for s in per_set]
        if isinstance(vals[0], list):
            v = np.array(vals, dtype=np.float64)
            out[key] = [float(v[:, 0].mean()), float(v[:, 0].std()), float(v[:, 1].mean())]
        else:
            v = np.array(vals, dtype=np.float64)
            out[key] = [float(v.mean()), float(v.std())]
    return out


def roc_band(curves: list[tuple[np.ndarray, np.ndarray]], grid: np.ndarray | None = None):
    """Mean and std of several ROC curves on a common eps_s grid.

    ``curves`` is a list of (eps_b, eps_s). Returns ``grid, mean_rej, std_rej``
    with background rejection ``1 - eps_b`` interpolated at ``grid``.
    """
    grid = np.round(np.linspace(0, 1, 201), 12) if grid is None else grid
    rej = np.array([1 - np.interp(grid, es, eb) for eb, es in curves])
    return grid, rej.mean(0), rej.std(0)


def si_band(curves, grid=None, n_b: int = 1000):
    """Mean and std of SI(eps_s) curves on an eps_s grid starting at 0.2."""
    # rounded so that the nodes coincide bit for bit with roc_band's (the figure curve store relies on it)
    grid = np.round(np.linspace(EPS_S_MIN, 1, 161), 12) if grid is None else grid
    si = np.array([grid / np.sqrt(np.maximum(np.interp(grid, es, eb), 1.0 / n_b)) for eb, es in curves])
    return grid, si.mean(0), si.std(0)
