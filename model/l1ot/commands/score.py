"""``l1ot score``: stream events through a LinW2 model and write scores to HDF5.

Float (default): the LinW2 score in GeV-equivalent units. ``--fixed``: the
bit-accurate kernel (:mod:`l1ot.kernel.fixed`) that the HLS and RTL implement, i.e.
a firmware emulation of the file: integer score, nearest-medoid index and
trigger bit per event, with the input and score saturations counted.
"""
from __future__ import annotations

import contextlib
import os

import numpy as np

from . import _args
from .. import engine, outputs
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
    _args.add_engine_args(p, "the scoring")
    p.add_argument("--partition-size", type=_args.positive_int, default=engine.DEFAULT_PARTITION,
                   help="events per Dask partition, rounded up to a multiple of --chunk-size "
                        f"(default {engine.DEFAULT_PARTITION}); a file of one partition is scored here")
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


_SETUP = {}


def _setup(spec):
    """(model, cfg, rom) of a job spec, loaded once per process (here or on a worker)."""
    key = (spec["model"], spec["model_stamp"], spec["fixed"], spec["config"])
    if key not in _SETUP:
        _SETUP.clear()
        model = linot.LinModel.load(spec["model"])
        cfg = rom = None
        if spec["fixed"]:
            from ..kernel import fixed

            cfg = fixed.KernelConfig.load(spec["config"])
            rom = fixed.medoid_rom(model, cfg)
        _SETUP[key] = (model, cfg, rom)
    return _SETUP[key]


def score_range(spec: dict, lo: int, hi: int) -> dict:
    """Score events ``[lo, hi)`` of ``spec["events"]``: the unit of work of every engine.

    Reads, validates and scores chunk by chunk (``spec["chunk"]`` events, chunk
    boundaries at multiples of it from event 0, whichever engine runs the range)
    with BLAS on one thread (set here unless ``spec["limit_blas"]`` is False: the
    caller has set it once for many ranges). Returns ``{"cols": {name: array}, "report":
    ValidationReport, "quant": QuantStats | None, "n_sat": int}``.
    """
    from threadpoolctl import threadpool_limits

    model, cfg, rom = _setup(spec)
    rep = data.ValidationReport()
    names = [n for n, _ in spec["columns"]]
    parts = {n: [] for n in names}
    quant = n_sat = None
    if spec["fixed"]:
        from ..kernel import fixed

        quant, n_sat = fixed.QuantStats(), 0
    limit = threadpool_limits(1, user_api="blas") if spec.get("limit_blas", True) else contextlib.nullcontext()
    with limit:
        for idx, p in data.iter_chunks(spec["events"], chunk_size=spec["chunk"], start=lo, n=hi - lo,
                                       on_bad_event=spec["on_bad_event"], report=rep,
                                       reuse_buffer=True):
            if spec["fixed"]:
                res, st = fixed.run_events(p, rom, spec["threshold"], cfg, source=spec["events"])
                quant.add(st)
                n_sat += res.n_score_sat
                cols = {"score": res.score, "index": res.idx, "trig": res.trig, "event": idx}
            else:
                s, i = model.score(p, return_index=True)
                cols = {"score": s, "index": i, "event": idx}
            for n in names:
                parts[n].append(cols[n])
    dt = dict(spec["columns"])
    out = {n: (np.concatenate(v) if v else np.zeros(0)).astype(dt[n], copy=False) for n, v in parts.items()}
    return {"cols": out, "report": rep, "quant": quant, "n_sat": n_sat}


def run(args) -> int:
    import h5py

    if args.config and not args.fixed:
        raise UsageError("argument --config: only used with --fixed")
    if args.threshold is not None and not args.fixed:
        raise UsageError("argument --threshold: only used with --fixed")
    outputs.check(outputs=[args.output], inputs=[args.model, args.events, args.config])
    model = linot.LinModel.load(args.model)
    total = data.count(args.events) if args.n is None else min(args.n, data.count(args.events))
    rep = data.ValidationReport()
    thr = None
    if args.fixed:
        from ..kernel import fixed

        cfg = fixed.KernelConfig.load(args.config)
        fixed.check_model(model, cfg, args.model)  # transport and axis_weights: the kernel's metric
        fixed.medoid_rom(model, cfg)  # model/config errors here, before any work
        thr, thr_src = _fixed_threshold(args, cfg)
        columns = (("score", "u4"), ("index", "u2"), ("trig", "u1"), ("event", "i8"))
        quant = fixed.QuantStats()
        n_score_sat = 0
    else:
        columns = (("score", "f8"), ("index", "i4"), ("event", "i8"))
    eng = _args.engine(args)
    st = os.stat(args.model)
    spec = {"model": args.model, "model_stamp": (st.st_mtime_ns, st.st_size), "events": args.events,
            "chunk": args.chunk_size, "on_bad_event": args.on_bad_event, "fixed": bool(args.fixed),
            "config": args.config, "threshold": thr, "columns": columns}
    parts = engine.partitions(0, total, args.partition_size, align=args.chunk_size)
    on_dask = bool(eng.scheduler) or (eng.distributed and len(parts) > 1)
    if eng.scheduler:  # remote workers: absolute paths
        spec.update(model=os.path.abspath(args.model), events=os.path.abspath(args.events),
                    config=os.path.abspath(args.config) if args.config else None)
    blas = contextlib.nullcontext()
    if not on_dask:  # this process: stream chunk by chunk, BLAS limited once (not per chunk)
        from threadpoolctl import threadpool_limits

        parts = engine.partitions(0, total, args.chunk_size)
        spec["limit_blas"] = False
        blas = threadpool_limits(1, user_api="blas")
    tx = outputs.Transaction()
    with eng, blas, tx, h5py.File(tx.file(args.output), "w") as f:
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
        desc = "score" + (" (fixed)" if args.fixed else "")
        for res in eng.map(score_range, [(spec, lo, hi) for lo, hi in parts],
                           weights=[hi - lo for lo, hi in parts], total=total, desc=desc,
                           in_process=not on_dask,
                           labels=[f"events {lo}..{hi - 1} of {args.events}" for lo, hi in parts]):
            rep.add(res["report"])
            if args.fixed:
                quant.add(res["quant"])
                n_score_sat += res["n_sat"]
            n0 = ds["score"].shape[0]
            for name, v in res["cols"].items():
                ds[name].resize(n0 + len(v), axis=0)
                ds[name][n0:] = v
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
