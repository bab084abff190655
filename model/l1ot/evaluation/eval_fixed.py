"""Fixed-point kernel vs. float LinW2: paper-1 metrics and AUC loss.

``evaluate_rows(...)`` (alias ``fixed_rows``) is called by ``l1ot evaluate
--fixed``. It trains (or reuses) exactly the float model of the
``linw2_<transport>_k<k>`` row (same training events and seed, via
:class:`l1ot.evaluation.evaluate.EvalContext`), builds the medoid ROM from it, scores the
same test sets with the bit-accurate kernel (:func:`l1ot.kernel.fixed.run`), and
returns a row ``fixed_<transport>_k<k>`` with the usual metrics plus, per
signal, ``delta_auc`` = AUC(fixed) − AUC(float) as [mean, std] over the test
sets (paired: same events), and ``float_auc``.

:func:`compare` is the reusable core (also used by ``scripts/studies/precision_scan.py``).
"""
from __future__ import annotations

import numpy as np

from ..kernel import drift, fixed
from . import metrics


def float_scores(model, sets: dict) -> dict:
    """Float LinW2 scores for each test set: name -> (n_sets, n_per_set)."""
    return {name: model.score(ev.reshape(-1, 19, 4)).reshape(ev.shape[:2]) for name, ev in sets.items()}


def kernel_scores(model, cfg, sets: dict) -> tuple[dict, dict]:
    """Fixed-point kernel scores (integers, as float64) for each test set, and saturation counts."""
    rom = fixed.medoid_rom(model, cfg)
    out, sat = {}, {"score": 0, "input": 0}
    for name, ev in sets.items():
        res, st = fixed.run_events(ev.reshape(-1, 19, 4), rom, None, cfg)
        out[name] = res.score.astype(np.float64).reshape(ev.shape[:2])
        sat["score"] += res.n_score_sat
        sat["input"] += st.n_saturated
    return out, sat


def compare(fixed_sc: dict, float_sc: dict) -> dict:
    """Per-signal metrics of the fixed scores and paired AUC differences.

    Returns {signal: metrics dict (``summarize_sets`` format) + ``delta_auc``
    [mean, std] + ``float_auc`` [mean, std]}.
    """
    out = {}
    for sig in fixed_sc:
        if sig == "bkg":
            continue
        per_fx, d_auc, f_auc = [], [], []
        for i in range(fixed_sc[sig].shape[0]):
            m = metrics.summarize(fixed_sc["bkg"][i], fixed_sc[sig][i])
            a_float = metrics.auc(float_sc["bkg"][i], float_sc[sig][i])
            per_fx.append(m)
            d_auc.append(m["auc"] - a_float)
            f_auc.append(a_float)
        row = metrics.summarize_sets(per_fx)
        row["delta_auc"] = [float(np.mean(d_auc)), float(np.std(d_auc))]
        row["float_auc"] = [float(np.mean(f_auc)), float(np.std(f_auc))]
        out[sig] = row
    return out


def evaluate_rows(bkg_path: str, data_dir: str, signals=None, splits=None, n_train: int = 5000,
                  seed: int = 0, n_jobs: int = 1, k: int = 32, transport: str = "sorted",
                  config=None, log=print) -> dict:
    """Rows for ``l1ot evaluate --fixed``.

    Returns ``{"fixed_<transport>_k<k>": {signal: metrics + delta_auc + float_auc},
    "_fixed_meta": {...}}`` (keys starting with ``_`` are metadata).
    """
    from . import evaluate as ev
    from ..io.splits import DEFAULT

    cfg = fixed.KernelConfig.load(config)
    if transport != cfg.transport:
        cfg = cfg.replace(transport=transport)
    ctx = ev.EvalContext(bkg_path=bkg_path, splits=splits or DEFAULT, n_train=n_train, seed=seed,
                         n_jobs=n_jobs, progress=False)
    model = ctx.model(k, transport)
    sets = ev.load_test_sets(ctx, data_dir, signals)
    fl = float_scores(model, sets)
    fx, sat = kernel_scores(model, cfg, sets)
    rows = compare(fx, fl)
    name = f"fixed_{transport}_k{k}"
    drifts = drift_by_set(fx, fl, cfg)
    if log:
        log(f"  {'fixed-point ' + transport + ' k=' + str(k):<34} AUC  "
            + "  ".join(f"{s} {r['auc'][0]:.4f} (Δ {r['delta_auc'][0]:+.4f})" for s, r in rows.items()))
        log(f"  {'score drift vs float (all sets)':<34} {drift.format_buckets(drifts['all'])}")
    return {name: rows, "_fixed_meta": {"config": cfg.source, "config_sha256": cfg.sha256,
                                        "saturations": sat, "float_method": f"linw2_{transport}_k{k}",
                                        "drift": drifts}}


def drift_by_set(fixed_sc: dict, float_sc: dict, cfg) -> dict:
    """Drift buckets (:func:`l1ot.kernel.drift.drift_buckets`) per test set and pooled (``"all"``)."""
    out = {name: drift.drift_buckets(fixed_sc[name], float_sc[name], cfg) for name in fixed_sc}
    out["all"] = drift.drift_buckets(np.concatenate([fixed_sc[n].ravel() for n in fixed_sc]),
                                     np.concatenate([float_sc[n].ravel() for n in fixed_sc]), cfg)
    return out


fixed_rows = evaluate_rows
