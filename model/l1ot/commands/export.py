"""``l1ot export``: golden vectors, HLS parameters.h and SV package from the sources of truth.

Reads the precision config, the sorting network (named by the config) and the
calibrated model file, and writes into ``--out``:

* ``golden.txt``          golden vectors (docs/kernel.md), >= 10,000 events;
* ``parameters.h``        via ``l1ot.export.hls.write_parameters_h``;
* ``l1ot_params_pkg.sv``  via ``l1ot.export.sv.write_package``;
* ``l1ot_cmvm.sv``        via ``l1ot.export.cmvm.write_verilog`` (da4ml shift-add graph of the
                          constant-matrix distance block of ``l1ot_kernel_cm``);
* ``golden_gt.txt``, ``l1ot_gt_pkg.sv``, ``l1ot_gt.h``  (Phase-2 configs) the golden vectors in
                          Phase-2 GT object words and the GT word layout (package ``<name>_gt_pkg``)
                          for the RTL wrapper ``<name>_gt_kernel`` and the CMSSW emulator
                          ``lib<name>.so``, via ``l1ot.export.gt`` (``docs/emulator.md``);
* ``<name>_*.sv``          the hand-written RTL of ``firmware/rtl`` renamed after the export
                          (``l1ot.export.rtl``);
* ``<name>.core``         FuseSoC CAPI2 core of the RTL files, ``<name>.dep`` the ipbb dep file;
* ``export.json``         derived constants, hashes, category counts.

Every module and package name carries the export's name (``--name``, default
``l1ot_k<K>`` plus ``_<transport>`` unless sorted), so several exports coexist in one
design (docs/firmware.md, "Several configurations in one design").
"""
from __future__ import annotations

import glob
import json
import os
from pathlib import Path

import numpy as np

from . import _args
from .. import outputs
from ..errors import DataError, ModelError


def export(config, model_path, out, data_dir="data", n_golden=10_000, seed=2024, allow_uncalibrated=False,
           on_bad_event="fail", name=None) -> dict:
    """Write all exports; returns a summary dict (also written to ``out/export.json``).

    The files are written to temporary names in ``out`` and renamed together
    at the end, so a failure leaves ``out`` as it was. A bad event among the
    sample events (golden category ``sample``) is refused with its location, as
    ``score`` does (``on_bad_event="fail"``); with ``"skip"`` it is dropped and
    ``summary["notes"]`` says how many were, per file. ``name``: export name (default
    :func:`l1ot.export.rtl.default_name` of K and the transport).
    """
    from ..export import golden as gold
    from ..export import hls, rtl, sv
    from ..io import data
    from ..kernel import fixed
    from ..ot import linot

    if name is not None:
        rtl.check_name(name)
    names = ["golden.txt", "parameters.h", "l1ot_params_pkg.sv", "l1ot_cmvm.sv", "l1ot_cmvm_comb.sv",
             "export.json", "golden_gt.txt", "l1ot_gt_pkg.sv", "l1ot_gt.h", "l1ot_regs_pkg.sv",
             "golden_graded.txt", "l1ot_refmem_pkg.sv", "refmem_load.txt"]
    if name is not None:
        names += [rtl.copy_name(p, name) for p in rtl.hand_files()] + [f"{name}.core", f"{name}.dep",
                                                                          f"{name}.xml", f"{name}_regs.xml",
                                                                          f"{name}_refmem.xml", f"{name}_rl.xml"]
    sample_files = sorted(glob.glob(os.path.join(data_dir, "*.h5")))
    outputs.check(outputs=[os.path.join(out, n) for n in names] if os.path.isdir(out) else (),
                  inputs=[config, model_path, data_dir] + sample_files, folders=[out])
    for f in sample_files:  # every sample file feeds golden category 'sample'
        if data.count(f) == 0:
            raise DataError("holds no events; golden category 'sample' takes events from every *.h5 "
                            "in --data (remove the file or point --data elsewhere)", file=f)
    cfg = fixed.KernelConfig.load(config)
    model = linot.LinModel.load(model_path)
    fixed.check_model(model, cfg, model_path)  # transport and axis_weights: the kernel's metric
    if model.threshold is None:
        raise ModelError(f"model {model_path} has no threshold: run `l1ot calibrate {model_path} --bkg-eff X`")
    cal_sha = model.meta.get("threshold_config_sha256")
    if cal_sha != cfg.sha256 and not allow_uncalibrated:
        raise ModelError(f"model {model_path} threshold was calibrated for config {str(cal_sha)[:12]}, "
                         f"not {cfg.sha256[:12]} ({cfg.source}): rerun `l1ot calibrate`")
    rom = fixed.medoid_rom(model, cfg)
    if name is None:
        name = rtl.default_name(rom.shape[0], cfg.transport)
        if os.path.isdir(out):
            outputs.check(outputs=[os.path.join(out, rtl.copy_name(p, name)) for p in rtl.hand_files()]
                          + [os.path.join(out, f"{name}.{x}") for x in ("core", "dep", "xml")]
                          + [os.path.join(out, f"{name}_regs.xml")],
                          inputs=[config, model_path, data_dir] + sample_files, folders=[out])
    out = Path(out)
    reports = {}
    if sample_files:  # the selection of golden category 'sample', to find its bad events first
        gold.sample_events(data_dir, reports=reports)
    for f, r in reports.items():
        if not r.ok and on_bad_event == "fail":
            e = r.first_error
            raise type(e)(f"{e.message}; {r.n_bad} bad event(s) in the events golden "
                          "category 'sample' takes from this file (--on-bad-event skip drops and counts them)",
                          file=f, dataset=e.dataset, event=e.event, slot=e.slot, field=e.field)
    words, tags, info = gold.golden_events(cfg, rom, data_dir=data_dir, n_total=n_golden, seed=seed,
                                           medoid_events=model.medoid_events, threshold=model.threshold)
    notes = [f"file {f}: {r.n_bad} bad event(s) skipped in golden category 'sample' ({r.summary()}; "
             f"first: {r.first[0]})" for f, r in reports.items() if not r.ok]
    with outputs.Transaction() as tx:
        tx.make_folder(out)
        g = gold.write_golden(tx.file(out / "golden.txt"), cfg, model, rom, words, tags)
        g["path"] = str(out / "golden.txt")
        summary = {"config": cfg.source, "model": str(model_path), "golden": g, "golden_info": info,
                   "derived": cfg.derived(), "files": {"golden": str(out / "golden.txt")}, "missing": [],
                   "notes": notes, "name": name}
        hls.write_parameters_h(cfg, model, rom, tx.file(out / "parameters.h"))
        summary["files"]["parameters_h"] = str(out / "parameters.h")
        sv.write_package(cfg, model, rom, tx.file(out / "l1ot_params_pkg.sv"), name=name)
        summary["files"]["sv_package"] = str(out / "l1ot_params_pkg.sv")
        from ..export import refmem
        summary["files"].update(refmem.write(out, cfg, model, rom, name, file_for=tx.file))
        try:
            import da4ml  # noqa: F401
            from ..export import cmvm
        except ImportError as exc:  # da4ml missing: the l1ot_kernel_cm RTL cannot be built
            summary["missing"].append(f"l1ot_cmvm.sv not written ({exc}; pip install da4ml)")
        else:
            summary["cmvm"] = cmvm.write_verilog(cfg, model, rom, tx.file(out / "l1ot_cmvm.sv"), name=name)
            summary["files"]["cmvm_sv"] = str(out / "l1ot_cmvm.sv")
            # the same graph as one combinational block (Run-3 two-cycle preset of l1ot_kernel_cm)
            summary["cmvm_comb"] = cmvm.write_verilog(cfg, model, rom, tx.file(out / "l1ot_cmvm_comb.sv"),
                                                      latency_cutoff=None, name=name)
            summary["files"]["cmvm_comb_sv"] = str(out / "l1ot_cmvm_comb.sv")
        if cfg.input_format == "phase2":   # GT object words exist for the Phase-2 format only
            from ..export import gt as gtx

            gt_words, gt_tags, gt_info = gtx.gt_golden_events(cfg, words, tags, rom=rom)
            summary["golden_gt"] = gtx.write_gt_golden(tx.file(out / "golden_gt.txt"), cfg, model, rom, gt_words,
                                                       gt_tags, gt_info)
            summary["golden_gt"]["path"] = str(out / "golden_gt.txt")
            summary["gt_layout"] = gtx.write_sv_package(cfg, tx.file(out / "l1ot_gt_pkg.sv"), name=name)
            gtx.write_cpp_header(cfg, tx.file(out / "l1ot_gt.h"))
            summary["files"].update({"golden_gt": str(out / "golden_gt.txt"), "gt_sv_package": str(out / "l1ot_gt_pkg.sv"),
                                     "gt_header": str(out / "l1ot_gt.h")})
        # the hand-written RTL renamed after the export, its FuseSoC core and ipbb dep file
        graph = "cmvm" in summary
        gt = "gt_layout" in summary
        if graph:   # register bank of the IPbus top: package and uhal tables (l1ot.export.regs)
            from ..export import regs
            from ..kernel import graded

            rc = regs.reg_config(cfg, rom.shape[0], graded.model_thresholds(model, cfg.score_max), name, _version())
            summary["files"].update(regs.write_all(rc, out, file_for=tx.file))
            summary["thresholds"] = rc.thresholds
            from ..export import graded_golden as gg
            gw, gt_ = gg.window_events(cfg, rom, rc.thresholds, seed=seed)
            summary["golden_graded"] = gg.write_graded_golden(
                tx.file(out / "golden_graded.txt"), cfg, rom, rc.thresholds,
                np.concatenate([np.asarray(words, dtype=np.uint64), gw]) if len(gw) else words, list(tags) + list(gt_))
            summary["golden_graded"]["path"] = str(out / "golden_graded.txt")
            summary["files"]["golden_graded"] = str(out / "golden_graded.txt")
            summary["ipb_top"] = rtl.prefixed("l1ot_kernel_cm_ipb", name)
        copies = rtl.write_rtl(out, name, file_for=tx.file, tops=rtl.tops_for(graph, gt, graph))
        desc = f"K = {rom.shape[0]}, transport {cfg.transport}, config {Path(cfg.source).name} {cfg.sha256[:12]}"
        Path(tx.file(out / f"{name}.core")).write_text(rtl.core_text(name, _version(), desc, with_graph=graph,
                                                                        with_gt=gt))
        Path(tx.file(out / f"{name}.dep")).write_text(rtl.dep_text(name, desc, with_graph=graph, with_gt=gt))
        summary["files"]["rtl"] = [str(p) for p in copies]
        summary["files"]["core"] = str(out / f"{name}.core")
        summary["files"]["dep"] = str(out / f"{name}.dep")
        summary["rtl_top"] = rtl.prefixed("l1ot_kernel_cm" if graph else "l1ot_kernel", name)
        if gt and graph:
            summary["gt_top"] = rtl.prefixed("l1ot_gt_kernel", name)
        Path(tx.file(out / "export.json")).write_text(json.dumps(summary, indent=1, default=str) + "\n")
    return summary


def _version() -> str:
    try:
        from importlib.metadata import version
        return version("l1ot")
    except Exception:  # noqa: BLE001 (not installed: a source checkout)
        return "0"


def register(sub):
    p = sub.add_parser("export", help="golden vectors, HLS parameters.h and SV package")
    p.add_argument("--config", default=None, help="kernel precision config (default l1ot/kernel/configs/kernel_default.json)")
    p.add_argument("--model", required=True, help="calibrated model file (HDF5)")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--data", default="data", help="directory of the bundled sample (golden category 'sample')")
    p.add_argument("--n-golden", type=_args.positive_int, default=10_000, help="minimum number of golden events")
    p.add_argument("--on-bad-event", choices=("fail", "skip"), default="fail",
                   help="a bad event among the sample events (golden category 'sample'): refuse (default) or "
                        "drop it and say how many were dropped")
    p.add_argument("--name", default=None,
                   help="export name: prefix of every module and package (default l1ot_k<K>, plus _<transport> "
                        "unless sorted); lower-case letters, digits, single underscores")
    p.add_argument("--load-for", default=None, metavar="EXPORT_DIR",
                   help="only write the refmem load file of --model for the reloadable design of EXPORT_DIR "
                        "(to --out, a file); refused with one line if K, transport, precision config or word "
                        "format differ")
    p.set_defaults(func=run)


def run(args) -> int:
    if args.load_for:
        return _run_load_for(args)
    s = export(args.config, args.model, args.out, data_dir=args.data, n_golden=args.n_golden,
               on_bad_event=args.on_bad_event, name=args.name)
    g = s["golden"]
    d = s["derived"]
    print(f"golden vectors: {g['path']} ({g['header']['n_events']} events, {g['n_trig']} triggers, "
          f"{g['n_score_sat']} saturated scores) categories: "
          + ", ".join(f"{k} {v}" for k, v in g["counts"].items()))
    print(f"config {d['config_sha256'][:12]}: F={d['work_frac_bits']}, mult {d['mult']}, shift {d['shift']}, "
          f"angle multiplier rel. error {d['mult_rel_err']['eta']:.2e}, d_bits {d['d_bits']}, "
          f"score {d['score_bits']} bit >> {d['score_shift']}")
    for key in ("parameters_h", "sv_package", "core", "dep"):
        if key in s["files"]:
            print(f"wrote {s['files'][key]}")
    if "golden_gt" in s:
        h = s["golden_gt"]["header"]
        print(f"GT-word golden vectors: {s['golden_gt']['path']} ({h['n_events']} events; MET eta moved in "
              f"{h['met_moved']}, dropped in {h['sum_eta_dropped']}), {s['files']['gt_sv_package']}, "
              f"{s['files']['gt_header']}")
    if "regs_xml" in s["files"]:
        gg = s.get("golden_graded", {})
        print(f"register bank: {s['files']['regs_pkg']}, uhal tables {s['files']['regs_xml']}, {s['files']['top_xml']}; "
              f"graded thresholds (reset values) {' '.join(str(t) for t in s['thresholds'])}; "
              f"graded golden vectors {gg.get('path')} ({gg.get('n_events')} events)")
    print(f"export name {s['name']}: top module {s['rtl_top']}"
          + (f", GT-word wrapper {s['gt_top']}" if "gt_top" in s else "")
          + (f", IPbus top {s['ipb_top']}" if "ipb_top" in s else ""))
    for why in s["missing"]:
        print(f"warning: {why}; skipped")
    for note in s["notes"]:
        print(f"note: {note}")
    return 0


def _run_load_for(args) -> int:
    """``l1ot export --load-for EXPORT_DIR --model M --out FILE``: the refmem load file of M."""
    from ..export import refmem
    from ..kernel import fixed
    from ..ot import linot

    outputs.check(outputs=[args.out], inputs=[args.model] + ([args.config] if args.config else []))
    cfg = fixed.KernelConfig.load(args.config)
    model = linot.LinModel.load(args.model)
    fixed.check_model(model, cfg, args.model)
    rom = fixed.medoid_rom(model, cfg)
    path = refmem.write_load_for(args.load_for, cfg, model, rom, args.out)
    print(f"wrote {path}: {rom.shape[0] * cfg.n_obj} medoid words and the commit for {args.load_for}")
    return 0
