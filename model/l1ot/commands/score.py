"""``l1ot score``: stream events through a LinW2 model and write scores to HDF5.

Float (default): the LinW2 score in GeV-equivalent units. ``--fixed``: the
bit-accurate kernel (:mod:`l1ot.kernel.fixed`) that the HLS and RTL implement, i.e.
a firmware emulation of the file: integer score, nearest-medoid index and
trigger bit per event, with the input and score saturations counted.
"""
from __future__ import annotations

import os

import numpy as np

from . import _args
from .. import outputs
from ..io import data
from ..ot import linot
from ..errors import ModelError, UsageError


def register(sub):
    p = sub.add_parser("score", help="score events with a trained LinW2 model (float, or --fixed for "
                                     "the bit-accurate firmware kernel)")
    p.add_argument("model", help="model file from `l1ot train`")
    p.add_argument("events", help="ADC2021 file to score")
    p.add_argument("-o", "--output", required=True,
                   help="output HDF5 with datasets score, index, event (and trig with --fixed); "
                        "attributes complete and n_events")
    p.add_argument("--chunk-size", type=_args.positive_int, default=data.DEFAULT_CHUNK,
                   help=f"events read at a time (default {data.DEFAULT_CHUNK})")
    p.add_argument("-n", type=_args.positive_int, default=None, help="only the first N events")
    p.add_argument("--on-bad-event", choices=data.BAD_EVENT_POLICIES, default="fail")
    p.add_argument("--fixed", action="store_true",
                   help="emulate the firmware: bit-accurate kernel scores, index and trigger bit")
    p.add_argument("--config", default=None, help="kernel precision config for --fixed "
                                                  "(default model/l1ot/kernel/configs/kernel_default.json)")
    p.add_argument("--threshold", type=_args.nonneg_int, default=None,
                   help="trigger threshold in score units for --fixed (default: the model file's, "
                        "set by `l1ot calibrate` for the same config)")
    p.set_defaults(func=run)


def _fixed_threshold(args, cfg):
    """Threshold for --fixed: --threshold, else the model file's when calibrated for this config."""
    import h5py

    if args.threshold is not None:
        if not 0 <= args.threshold <= cfg.score_max:
            raise UsageError(f"argument --threshold: {args.threshold} is outside 0..{cfg.score_max} "
                             f"(score_bits={cfg.score_bits} of {cfg.source})")
        return int(args.threshold), "--threshold"
    with h5py.File(args.model, "r") as f:
        thr = f.attrs.get("threshold")
        sha = f.attrs.get("threshold_config_sha256")
    if thr is None:
        return None, "none (model not calibrated: run `l1ot calibrate`); trig = 0"
    sha = sha.decode() if isinstance(sha, bytes) else sha
    if not 0 <= int(thr) <= cfg.score_max:
        raise ModelError(f"model file {args.model}: attribute 'threshold' {int(thr)} is outside "
                         f"0..{cfg.score_max} (score_bits={cfg.score_bits} of {cfg.source})")
    if sha is not None and sha != cfg.sha256:
        raise ModelError(f"model file {args.model}: its threshold was calibrated for kernel config "
                         f"sha256 {str(sha)[:12]}..., not {cfg.source} ({cfg.sha256[:12]}...); "
                         "recalibrate with `l1ot calibrate --config ...` or pass --threshold")
    return int(thr), f"model file (config sha256 {cfg.sha256[:12]}...)"


def run(args) -> int:
    import h5py
    from ..progress import bar as progress_bar

    if args.config and not args.fixed:
        raise UsageError("argument --config: only used with --fixed")
    if args.threshold is not None and not args.fixed:
        raise UsageError("argument --threshold: only used with --fixed")
    outputs.check(outputs=[args.output], inputs=[args.model, args.events, args.config])
    model = linot.LinModel.load(args.model)
    total = data.count(args.events) if args.n is None else min(args.n, data.count(args.events))
    rep = data.ValidationReport()
    if args.fixed:
        from ..kernel import fixed

        cfg = fixed.KernelConfig.load(args.config)
        if model.transport != cfg.transport:
            raise ModelError(f"model file {args.model} has transport '{model.transport}', config "
                             f"{cfg.source} has '{cfg.transport}'")
        rom = fixed.medoid_rom(model, cfg)
        thr, thr_src = _fixed_threshold(args, cfg)
        columns = (("score", "u4"), ("index", "u2"), ("trig", "u1"), ("event", "i8"))
        quant = fixed.QuantStats()
        n_score_sat = 0
    else:
        columns = (("score", "f8"), ("index", "i4"), ("event", "i8"))
    tx = outputs.Transaction()
    with tx, h5py.File(tx.file(args.output), "w") as f:
        outputs.mark_incomplete(f)
        ds = {name: f.create_dataset(name, shape=(0,), maxshape=(None,), dtype=dt, chunks=(65536,))
              for name, dt in columns}
        f.attrs["model"] = os.path.abspath(args.model)
        f.attrs["events"] = os.path.abspath(args.events)
        if args.fixed:
            f.attrs["units"] = ("score: bit-accurate kernel score (integer, docs/kernel.md); "
                                "LinW2 ~ L * sqrt(score * 2^score_shift / 19)")
            f.attrs["kernel_config"] = cfg.source
            f.attrs["config_sha256"] = cfg.sha256
            f.attrs["threshold"] = -1 if thr is None else thr
        else:
            f.attrs["units"] = "score: min LinW2 over medoids, GeV-equivalent ground units"
        with progress_bar(total=total, unit="ev", desc="score" + (" (fixed)" if args.fixed else "")) as bar:
            for idx, p in data.iter_chunks(args.events, chunk_size=args.chunk_size, n=args.n,
                                           on_bad_event=args.on_bad_event, report=rep):
                if args.fixed:
                    res, st = fixed.run_events(p, rom, thr, cfg, source=args.events)
                    quant.add(st)
                    n_score_sat += res.n_score_sat
                    cols = (("score", res.score), ("index", res.idx), ("trig", res.trig), ("event", idx))
                else:
                    s, i = model.score(p, return_index=True)
                    cols = (("score", s), ("index", i), ("event", idx))
                n0 = ds["score"].shape[0]
                for name, v in cols:
                    ds[name].resize(n0 + len(v), axis=0)
                    ds[name][n0:] = v
                bar.update(len(idx) if rep.ok else idx[-1] + 1 - bar.n if len(idx) else 0)
        n_scored = int(ds["score"].shape[0])
        f.attrs["skipped_events"] = rep.n_bad
        if args.fixed:
            n_trig = int(np.count_nonzero(ds["trig"][()])) if ds["trig"].shape[0] else 0
            f.attrs["n_trig"] = n_trig
            f.attrs["n_score_saturated"] = n_score_sat
            for k, v in quant.as_dict().items():
                f.attrs[f"quant_{k}"] = v
        outputs.mark_complete(f, n_scored)
    print(f"wrote {args.output}: {n_scored} scores; {rep.summary()}")
    if args.fixed:
        rate = n_trig / n_scored if n_scored else 0.0
        print(f"fixed point ({cfg.source}): threshold {thr if thr is not None else '-'} [{thr_src}]; "
              f"triggered {n_trig} of {n_scored} ({100 * rate:.3f} %); saturated: score {n_score_sat}, "
              f"input pT {quant.sat_pt}, eta {quant.sat_eta}, phi {quant.sat_phi}")
    return 0
