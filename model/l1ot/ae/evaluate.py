"""The autoencoder on the OT methods' test sets and metrics.

Same splits (:mod:`l1ot.io.splits`: training block for training, the last
5 x 1,000 background events and the first 5 x 1,000 of each signal for the
test sets) and the same metrics (:mod:`l1ot.evaluation.metrics`: AUC, 1/eps_b
and SI at eps_s = 0.3, mean and std over the 5 sets) as ``l1ot evaluate``.

Rows: ``ae_float`` (Keras float model, float64 scores) and ``ae_fixed`` (the
HGQ2 model through hls4ml: ``hls_model.predict``, the g++ C simulation).
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

from . import firmware, model
from ..errors import ConfigError
from ..evaluation.evaluate import EvalContext, SIGNALS, load_test_sets, metrics_from_scores
from ..io import data
from ..io.splits import DEFAULT as DEFAULT_SPLITS

REPORT = os.path.join("reports", "ae.json")


def train_events(bkg_path: str, n_train: int | None = None, splits=DEFAULT_SPLITS) -> np.ndarray:
    """The first ``n_train`` events (all if None) of the background training block: (N, 19, 4)."""
    a, b = splits.background_file(bkg_path)["train"]
    n = b - a if n_train is None else int(n_train)
    if not 0 < n <= b - a:
        raise ConfigError(f"--n-train must be in 1..{b - a} (training block of {bkg_path}), got {n}")
    return data.load(bkg_path, n=n, start=a)


def test_inputs(bkg_path: str, data_dir: str, signals=None, splits=DEFAULT_SPLITS) -> dict:
    """Network inputs of the test sets: name -> (n_sets, n_per_set, 57) float32."""
    ctx = EvalContext(bkg_path=bkg_path, splits=splits, progress=False)
    sets = load_test_sets(ctx, data_dir, signals)
    return {k: model.features(v.reshape(-1, 19, 4)).reshape(v.shape[0], v.shape[1], model.N_IN)
            for k, v in sets.items()}


def score_sets(fn, inputs: dict) -> dict:
    """Apply ``fn`` ((N, 57) -> (N,)) to every test set: name -> (n_sets, n_per_set)."""
    return {k: np.asarray(fn(v.reshape(-1, model.N_IN)), dtype=np.float64).reshape(v.shape[:2])
            for k, v in inputs.items()}


def table_rows(results: dict) -> dict:
    """Only the metrics of the docs table: {signal: {auc, inv_eb_at_0p3, si_at_0p3}}."""
    keep = ("auc", "inv_eb_at_0p3", "si_at_0p3")
    return {sig: {k: v[k] for k in keep if k in v} for sig, v in results.items()}


def evaluate(bkg_path: str, data_dir: str, float_model: str, fixed_model: str, hls_dir: str,
             *, signals=None, strategy: str = "Latency", splits=DEFAULT_SPLITS, log=print) -> dict:
    """Score the test sets with both models; returns the report dict (see module doc).

    The fixed row uses the hls4ml project written to ``hls_dir``. The report
    also counts, over all test events, the events whose hls4ml score differs
    from the HGQ2 Keras emulation (``bit_exact.mismatches``; 0 expected) and
    the input values that saturate in the input quantiser.
    """
    inputs = test_inputs(bkg_path, data_dir, signals, splits)
    fl, fx = model.load(float_model), model.load(fixed_model)
    rep = {"data": model.LABEL, "score": "reconstruction loss sum((x - x_hat)**2) over the 57 inputs",
           "background": os.path.basename(bkg_path), "splits": {"n_sets": splits.n_sets,
                                                                 "n_per_set": splits.n_per_set},
           "training": {"ae_float": fl.meta, "ae_fixed": fx.meta}, "rows": {}}
    t0 = time.perf_counter()
    s_float = score_sets(lambda x: model.score(fl.scorer, x), inputs)
    rep["rows"]["ae_float"], _ = metrics_from_scores(s_float)
    t1 = time.perf_counter()
    hm = firmware.convert(fx.scorer, hls_dir, strategy=strategy)
    t2 = time.perf_counter()
    s_fixed = score_sets(lambda x: firmware.predict(hm, x), inputs)
    s_emul = score_sets(lambda x: model.score(fx.scorer, x), inputs)
    rep["rows"]["ae_fixed"], _ = metrics_from_scores(s_fixed)
    n_all = sum(v.size for v in s_fixed.values())
    mism = sum(int(np.count_nonzero(s_fixed[k] != s_emul[k])) for k in s_fixed)
    lo, hi, lsb = firmware.input_range(hls_dir)
    sat = {k: firmware.saturation_count(v, lo, hi) for k, v in inputs.items()}
    rep["bit_exact"] = {"events": n_all, "mismatches": mism,
                        "compared": "hls_model.predict (g++ C simulation) vs HGQ2 Keras emulation"}
    rep["hls4ml"] = {"strategy": strategy, "io_type": "io_parallel", "backend": "Vitis", "part": firmware.PART,
                     "clock_mhz": firmware.CLOCK_MHZ, "project": str(hls_dir),
                     "precisions": firmware.precisions(hls_dir), "convert_seconds": round(t2 - t1, 1)}
    rep["input_saturation"] = {"range": [lo, hi], "lsb": lsb, "values_saturated": sat,
                               "values_per_set": {k: int(v.size) for k, v in inputs.items()}}
    rep["seconds"] = {"float_scoring": round(t1 - t0, 1), "fixed_scoring": round(time.perf_counter() - t2, 1)}
    if log:
        for row in ("ae_float", "ae_fixed"):
            aucs = "  ".join(f"{sig} {v['auc'][0]:.4f}" for sig, v in rep["rows"][row].items())
            log(f"  {row:<9} AUC  {aucs}")
        log(f"  hls4ml predict vs HGQ2 emulation: {mism} mismatches in {n_all} events")
    return rep


def write_report(rep: dict, path: str = REPORT) -> Path:
    """Write ``rep`` as JSON through a temporary file renamed on success."""
    p = model.check_output(path)
    tmp = p.with_name(p.name + ".tmp")
    tmp.write_text(json.dumps(rep, indent=1, default=_plain) + "\n")
    os.replace(tmp, p)
    return p


def _plain(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, np.ndarray):
        return v.tolist()
    raise TypeError(type(v))


__all__ = ["train_events", "test_inputs", "score_sets", "evaluate", "write_report", "table_rows", "SIGNALS",
           "REPORT"]
