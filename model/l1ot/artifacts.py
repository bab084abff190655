"""Build (or reuse) the trained model, its calibration and the firmware exports.

``ensure(k=32)`` is what the HLS and RTL test benches call: it returns the
paths of ``build/model_k{k}.h5`` and ``build/export/k{k}/{golden.txt,
parameters.h, l1ot_params_pkg.sv}``, and redoes only the stale steps:

1. train the model if the file is missing (``l1ot train``);
2. calibrate it if it has no threshold or the threshold belongs to another
   precision config (``l1ot calibrate``, default background efficiency 1e-3);
3. export if any input changed: a ``stamp.json`` next to the exports records
   the SHA-256 of the config, the model file, the sorting networks and the
   generator sources; a mismatch (or a missing output) triggers a re-export.

A file lock (``build/.artifacts.lock``) serializes concurrent callers.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path

from .errors import DataError, L1otError

DEFAULT_BKG_EFF = 1e-3
#: steps redone by the last :func:`ensure` call ("train", "calibrate", "export")
LAST_REBUILT: list = []
_PKG = Path(__file__).resolve().parent
_SOURCES = ("kernel/fixed.py", "kernel/sortnet.py", "export/golden.py", "export/identity.py", "export/vectors.py", "export/search.py",
            "export/species.py", "export/boundary.py", "export/vectorfile.py", "export/hls.py", "export/sv.py", "export/cmvm.py", "export/rtl.py",
            "kernel/gtwords.py", "kernel/configs/gt_words.json", "export/gt.py", "commands/export.py", "commands/calibrate.py")


def _sha(path: Path) -> str | None:
    if not path.is_file():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


@contextlib.contextmanager
def _lock(build: Path):
    build.mkdir(parents=True, exist_ok=True)
    fh = open(build / ".artifacts.lock", "w")
    try:
        try:
            import fcntl
            fcntl.flock(fh, fcntl.LOCK_EX)
        except ImportError:  # pragma: no cover (non-POSIX)
            pass
        yield
    finally:
        fh.close()


def _stamp(cfg, model_path: Path, data: Path) -> dict:
    s = {"config_sha256": cfg.sha256, "model_sha256": _sha(model_path),
         "networks": {n: _sha(_PKG / "kernel" / "networks" / f"{n}.json") for n in sorted(cfg.networks.values())},
         "sources": {f: _sha(_PKG / f) for f in _SOURCES},
         "sample": {p.name: _sha(p) for p in sorted(data.glob("*.h5"))} if data.is_dir() else {}}
    return s


def _trained_on(model: Path) -> str | None:
    """SHA-256 of the background file a model was trained on (attribute ``input_sha256``)."""
    import h5py

    try:
        with h5py.File(model, "r") as f:
            v = f.attrs.get("input_sha256")
    except OSError:
        return "unreadable"
    return v.decode() if isinstance(v, bytes) else v


def ensure(k: int = 32, build="build", data="data", config=None, bkg_eff: float = DEFAULT_BKG_EFF,
           verbose: bool = True) -> dict:
    """Make sure model, calibration and exports for ``k`` medoids exist and are current.

    Parameters
    ----------
    k : number of medoids
    build, data : directories (relative to the current directory or absolute)
    config : precision config path (default ``l1ot/kernel/configs/kernel_default.json``)
    bkg_eff : background efficiency used if the model must be (re)calibrated

    Returns
    -------
    dict of paths (str): ``model``, ``export_dir``, ``golden``, ``parameters_h``,
    ``sv_package``, ``export_json``, ``config`` (``parameters_h``/``sv_package``
    are absent if their generator module is not available). The steps redone
    are left in :data:`LAST_REBUILT`.
    """
    from .kernel import fixed

    build, data = Path(build), Path(data)
    cfg = fixed.KernelConfig.load(config)
    model = build / f"model_k{k}.h5"
    out = build / "export" / f"k{k}"
    rebuilt = []
    log = print if verbose else (lambda *a, **kw: None)
    with _lock(build):
        bkg = data / "background_for_training.h5"
        if model.is_file() and bkg.is_file() and _trained_on(model) not in (None, _sha(bkg)):
            log(f"[artifacts] {model} was trained on another version of {bkg}: retraining")
            model.unlink()
        if not model.is_file():
            if not bkg.is_file():
                raise DataError("background sample missing: run `make data` first", file=str(bkg))
            from .cli import main as cli_main
            log(f"[artifacts] training {model}")
            rc = cli_main(["train", str(bkg), "--k", str(k), "-o", str(model)])
            if rc != 0 or not model.is_file():
                raise L1otError(f"training {model} failed (exit code {rc})")
            rebuilt.append("train")
        import h5py
        with h5py.File(model, "r") as f:
            thr = f.attrs.get("threshold")
            cal = f.attrs.get("threshold_config_sha256")
        cal = cal.decode() if isinstance(cal, bytes) else cal
        if thr is None or cal != cfg.sha256:
            from .commands.calibrate import calibrate
            log(f"[artifacts] calibrating {model} (background efficiency {bkg_eff:g})")
            r = calibrate(str(model), bkg_eff, str(data / "background_for_training.h5"), config)
            log(f"[artifacts] threshold {r['threshold']} (achieved {r['achieved_bkg_eff']:.3g})")
            rebuilt.append("calibrate")
        stamp = _stamp(cfg, model, data)
        stamp_path = out / "stamp.json"
        old = json.loads(stamp_path.read_text()) if stamp_path.is_file() else None
        outputs = [out / "golden.txt", out / "export.json"]
        if cfg.input_format == "phase2":
            outputs.append(out / "golden_gt.txt")
        if old != stamp or not all(p.is_file() for p in outputs):
            from .commands.export import export
            log(f"[artifacts] exporting to {out}")
            s = export(config, str(model), str(out), data_dir=str(data))
            for why in s["missing"]:
                log(f"[artifacts] warning: {why}")
            stamp_path.write_text(json.dumps(stamp, indent=1) + "\n")
            rebuilt.append("export")
    summary = json.loads((out / "export.json").read_text())
    files = summary.get("files", {})
    LAST_REBUILT[:] = rebuilt
    paths = {"model": str(model), "export_dir": str(out), "golden": str(out / "golden.txt"),
             "parameters_h": files.get("parameters_h"), "sv_package": files.get("sv_package"),
             "export_json": str(out / "export.json"), "config": cfg.source}
    return {k: v for k, v in paths.items() if v is not None}
