"""``l1ot calibrate``: set the fixed-point trigger threshold for a background efficiency.

The threshold is computed on the **calibration block** of the background file
(``l1ot.io.splits``: the ``n_calib`` events between the training block and the
test block), i.e. on background events that were not used to train the model
and are not used in the evaluation. The kernel score of each event is computed
with the bit-accurate model (:mod:`l1ot.kernel.fixed`), and the threshold ``T`` is the
smallest integer with ``fraction(score >= T) <= X``.
"""
from __future__ import annotations

import argparse
import json

import numpy as np

from . import _args
from .. import outputs
from ..errors import ConfigError, DataError, ModelError

DEFAULT_BKG = "data/background_for_training.h5"
DEFAULT_EFF = 1e-3


def threshold_for_efficiency(scores: np.ndarray, eff: float, score_max: int) -> tuple[int, float]:
    """Smallest integer ``T`` in ``0..score_max`` with ``mean(scores >= T) <= eff``.

    Returns (T, achieved efficiency). If even ``T = score_max`` passes more than
    ``eff`` (saturated scores), ``T = score_max`` is returned with its efficiency.
    """
    s = np.sort(np.asarray(scores, dtype=np.int64))
    n = len(s)
    if n == 0:
        raise ValueError("no scores")
    allowed = int(np.floor(eff * n + 1e-9))       # events allowed at or above T
    if allowed >= n:
        t = 0
    else:
        t = int(s[n - allowed - 1]) + 1           # just above the (allowed+1)-th largest
    t = min(max(t, 0), score_max)
    achieved = float(np.count_nonzero(s >= t)) / n
    return t, achieved


def calibrate(model_path: str, bkg_eff: float, data_path: str = DEFAULT_BKG, config=None,
              write: bool = True, graded_effs=None) -> dict:
    """Compute the threshold and (optionally) store it in the model file.

    ``graded_effs``: background efficiencies of the N graded thresholds (register bank,
    :mod:`l1ot.kernel.graded`; default :data:`l1ot.kernel.graded.DEFAULT_EFFS`), computed on
    the same calibration scores and stored as the model attribute ``thresholds``.

    Returns a dict with threshold, achieved efficiency, events used, config hash, and
    ``thresholds`` / ``thresholds_bkg_eff`` / ``thresholds_achieved``.
    """
    from ..kernel import graded

    graded_effs = list(graded.DEFAULT_EFFS if graded_effs is None else graded_effs)
    for e in graded_effs:
        if not 0.0 < float(e) < 1.0:
            raise ConfigError(f"graded background efficiency {e} is not in (0, 1)")
    import h5py

    from ..io import data
    from ..kernel import fixed
    from ..io.splits import DEFAULT as SPLITS
    from ..ot import linot

    if not 0.0 < bkg_eff < 1.0:
        raise ConfigError(f"--bkg-eff must be in (0, 1), got {bkg_eff}")
    if write:
        outputs.check(inputs=[data_path, config], in_place=[model_path])
        if (config and outputs.same_file(model_path, config)) or outputs.same_file(model_path, data_path):
            raise ModelError(f"model file {model_path} is also given as an input file")
    cfg = fixed.KernelConfig.load(config)
    model = linot.LinModel.load(model_path)   # validated: shapes, finite values, transport, weights
    rom = fixed.medoid_rom(model, cfg)
    fixed.check_model(model, cfg, model_path)   # transport and axis_weights: the kernel's metric
    train_stop = model.meta.get("train_start", 0) + model.meta.get("n_train", 0)
    total = data.count(data_path)
    if total == 0:
        raise DataError("holds no events: nothing to calibrate on", file=data_path)
    a, b = SPLITS.background_file(data_path)["calib"]   # parton-level groups kept on one side
    if train_stop > a and model_path:
        raise ModelError(f"model file {model_path} was trained on events up to {train_stop}, "
                         f"which overlap the calibration block [{a}, {b}) of {data_path}")
    ev = data.load(data_path, n=b - a, start=a, on_bad_event="fail")
    res, st = fixed.run_events(ev, rom, None, cfg, source=data_path)
    thr, achieved = threshold_for_efficiency(res.score, bkg_eff, cfg.score_max)
    out = {"threshold": thr, "threshold_bkg_eff": float(bkg_eff), "achieved_bkg_eff": achieved,
           "threshold_config_sha256": cfg.sha256, "calib_file": data_path, "calib_events": [int(a), int(b)],
           "n_events": int(len(ev)), "n_score_sat": res.n_score_sat, "quant": st.as_dict(),
           "score_median": float(np.median(res.score))}
    gthr, gach = graded.thresholds_for_efficiencies(res.score, graded_effs, cfg.score_max)
    out.update({"thresholds": gthr, "thresholds_bkg_eff": [float(e) for e in graded_effs],
                "thresholds_achieved": gach})
    if write:
        with outputs.Transaction() as tx, h5py.File(tx.update(model_path), "a") as f:
            f.attrs["threshold"] = int(thr)
            f.attrs["threshold_bkg_eff"] = float(bkg_eff)
            f.attrs["threshold_config_sha256"] = cfg.sha256
            f.attrs["thresholds"] = np.asarray(gthr, dtype=np.int64)
            f.attrs["thresholds_bkg_eff"] = np.asarray(graded_effs, dtype=np.float64)
            f.attrs["threshold_calibration"] = json.dumps(
                {k: out[k] for k in ("achieved_bkg_eff", "calib_file", "calib_events", "n_events")})
    return out


def register(sub):
    p = sub.add_parser("calibrate", help="set the fixed-point trigger threshold for a background efficiency",
                       description=__doc__.split("\n\n")[1] if __doc__ else None)
    p.add_argument("model", help="model file (HDF5, written by `l1ot train`); updated in place")
    p.add_argument("--bkg-eff", type=_args.fraction, required=True,
                   help="target background efficiency (fraction of calibration events with score >= threshold)")
    p.add_argument("--data", default=DEFAULT_BKG, help=f"background file (default {DEFAULT_BKG})")
    p.add_argument("--config", default=None, help="kernel precision config (default l1ot/kernel/configs/kernel_default.json)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--graded", type=_fractions, default=None, metavar="EFF,EFF,...",
                   help="background efficiencies of the graded thresholds of the register bank, loosest first "
                        "(default " + ",".join(f"{e:g}" for e in _default_effs()) + ")")
    g.add_argument("--graded-rates", type=_rates, default=None, metavar="KHZ,KHZ,...",
                   help="target rates in kHz of the graded thresholds instead (efficiency = rate / input rate)")
    p.add_argument("--input-rate", type=float, default=None, metavar="MHZ",
                   help="input rate in MHz for --graded-rates (default 40 MHz x 2544/3564 filled bunches = "
                        "28.55 MHz; the bundled background is lepton-pre-filtered: set the rate of the "
                        "events the trigger really sees)")
    p.add_argument("--dry-run", action="store_true", help="print the threshold, do not write the model file")
    p.set_defaults(func=run)


def _default_effs():
    from ..kernel import graded
    return graded.DEFAULT_EFFS


def _numbers(text, what):
    try:
        v = [float(x) for x in str(text).split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{what}: expected comma-separated numbers, got {text!r}") from None
    if not v or not all(np.isfinite(v)):
        raise argparse.ArgumentTypeError(f"{what}: expected comma-separated finite numbers, got {text!r}")
    return v


def _fractions(text):
    v = _numbers(text, "--graded")
    if not all(0.0 < x < 1.0 for x in v):
        raise argparse.ArgumentTypeError(f"--graded: every efficiency must be in (0, 1), got {text!r}")
    return v


def _rates(text):
    v = _numbers(text, "--graded-rates")
    if not all(x > 0 for x in v):
        raise argparse.ArgumentTypeError(f"--graded-rates: every rate must be > 0 kHz, got {text!r}")
    return v


def run(args) -> int:
    from ..kernel import graded

    effs = args.graded
    rate = args.input_rate
    if args.graded_rates is not None:
        rate = graded.DEFAULT_INPUT_RATE_MHZ if rate is None else rate
        effs = graded.efficiencies_from_rates(args.graded_rates, rate)
    elif rate is not None:
        raise ConfigError("--input-rate is only used with --graded-rates")
    r = calibrate(args.model, args.bkg_eff, args.data, args.config, write=not args.dry_run, graded_effs=effs)
    a, b = r["calib_events"]
    print(f"threshold {r['threshold']} (score units) -> background efficiency {r['achieved_bkg_eff']:.3g} "
          f"(target {r['threshold_bkg_eff']:.3g}) on {r['n_events']} calibration events [{a}, {b}) of "
          f"{r['calib_file']}; config {r['threshold_config_sha256'][:12]}"
          + ("" if args.dry_run else f"; written to {args.model}"))
    print("graded thresholds " + " ".join(str(t) for t in r["thresholds"]) + " (score units) for background "
          "efficiencies " + " ".join(f"{e:.3g}" for e in r["thresholds_bkg_eff"]) + "; achieved "
          + " ".join(f"{e:.3g}" for e in r["thresholds_achieved"])
          + (f"; input rate {rate:g} MHz -> rates " + " ".join(f"{e * rate * 1000:.3g}" for e in r["thresholds_achieved"])
             + " kHz" if args.graded_rates is not None else ""))
    if r["n_score_sat"]:
        print(f"note: {r['n_score_sat']} calibration events have a saturated score")
    return 0
