"""The scoring network in firmware: hls4ml project, its C simulation, da4ml Verilog.

* :func:`convert` writes and compiles an hls4ml 1.3 project (Vitis backend,
  ``io_parallel``, strategy ``Latency`` or ``distributed_arithmetic``) of an
  HGQ2 scorer; hls4ml's bit-exact flow takes every precision from the HGQ2
  quantisers, so no type is set by hand. ``hls_model.predict`` runs the
  project compiled by g++ through hls4ml's ctypes bridge.
* :func:`csim` builds the written project's own test bench
  (``myproject_test.cpp``) with g++ as a standalone program, feeds it inputs and
  reads back its outputs: an independent path from the same written sources.
  The only change to the test bench is the output stream precision (the
  ap_types ``operator<<`` rounds to the stream precision, 6 digits by default).
* :func:`write_verilog` emits the network as standalone pipelined Verilog with
  da4ml (``da4ml.converter.trace_model`` + ``VerilogModel``) for the Yosys flow
  of ``firmware/synth`` (``scripts/ae_results.py``).
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np

from ..errors import ConfigError, L1otError

PART = "xcvu13p-flga2577-2-e"
CLOCK_MHZ = 480.0
STRATEGIES = ("Latency", "distributed_arithmetic")


def convert(scorer, out_dir, strategy: str = "Latency", part: str = PART, clock_mhz: float = CLOCK_MHZ,
            compile: bool = True):
    """hls4ml project of an HGQ2 scorer in ``out_dir``; returns the compiled ``hls_model``."""
    if strategy not in STRATEGIES:
        raise ConfigError(f"strategy must be one of {', '.join(STRATEGIES)}, got {strategy!r}")
    import hls4ml

    cfg = hls4ml.utils.config_from_keras_model(scorer, granularity="name", backend="Vitis")
    cfg["Model"]["Strategy"] = strategy
    hm = hls4ml.converters.convert_from_keras_model(
        scorer, hls_config=cfg, output_dir=str(out_dir), backend="Vitis", io_type="io_parallel",
        part=part, clock_period=round(1000.0 / clock_mhz, 4))
    if compile:
        hm.compile()
    return hm


def predict(hls_model, x: np.ndarray) -> np.ndarray:
    """Fixed-point scores (N,) float64 from ``hls_model.predict`` (g++ C simulation)."""
    y = hls_model.predict(np.ascontiguousarray(x, dtype=np.float32))
    return np.asarray(y, dtype=np.float64).reshape(-1)


def _gxx() -> str:
    exe = shutil.which("g++")
    if exe is None:
        raise L1otError("g++ not found: the hls4ml C simulation needs a C++ compiler")
    return exe


def csim(project_dir, x: np.ndarray, workdir=None, timeout: float = 600) -> np.ndarray:
    """Run the written project's test bench on inputs ``x`` (N, n_in); returns (N,) float64.

    The test bench is compiled with g++ from ``firmware/myproject.cpp`` and
    ``myproject_test.cpp`` of ``project_dir`` (a copy with the output
    precision raised to 40 digits, so every ap_fixed value is printed exactly).
    """
    prj = Path(project_dir).resolve()
    tb = prj / "myproject_test.cpp"
    if not tb.is_file():
        raise L1otError(f"{tb} not found: not an hls4ml project")
    work = Path(workdir) if workdir else prj / "csim"
    (work / "tb_data").mkdir(parents=True, exist_ok=True)
    src = tb.read_text()
    if "std::ofstream fout(RESULTS_LOG);" not in src:
        raise L1otError(f"{tb}: unexpected test bench layout (no 'std::ofstream fout(RESULTS_LOG);')")
    (work / "csim_tb.cpp").write_text(src.replace(
        "std::ofstream fout(RESULTS_LOG);", "std::ofstream fout(RESULTS_LOG);\n    fout.precision(40);"))
    x = np.asarray(x, dtype=np.float32)
    # float32 printed with 9 significant digits reads back to the same float32
    np.savetxt(work / "tb_data" / "tb_input_features.dat", x, fmt="%.9g")
    np.savetxt(work / "tb_data" / "tb_output_predictions.dat", np.zeros((len(x), 1)), fmt="%g")
    exe = work / "csim_tb"
    cmd = [_gxx(), "-O2", "-std=c++17", f"-I{prj / 'firmware'}", f"-I{prj / 'firmware' / 'ap_types'}",
           f"-I{prj}", f'-DWEIGHTS_DIR="{prj / "firmware" / "weights"}"', str(work / "csim_tb.cpp"),
           str(prj / "firmware" / "myproject.cpp"), "-o", str(exe)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise L1otError(f"g++ failed on {prj}: {r.stderr.strip().splitlines()[-1] if r.stderr else r.returncode}")
    r = subprocess.run([str(exe)], cwd=work, capture_output=True, text=True, timeout=timeout)
    log = work / "tb_data" / "csim_results.log"
    if r.returncode != 0 or not log.is_file():
        raise L1otError(f"C simulation of {prj} failed (exit {r.returncode})")
    out = np.array([[float(v) for v in line.split()] for line in log.read_text().splitlines() if line.strip()])
    if len(out) != len(x):
        raise L1otError(f"C simulation of {prj} wrote {len(out)} results for {len(x)} inputs")
    return out.reshape(len(x), -1)[:, 0] if out.shape[1] == 1 else out


def precisions(project_dir) -> dict:
    """Layer type definitions (``typedef ap_fixed<...> name;``) of the written project."""
    txt = (Path(project_dir) / "firmware" / "defines.h").read_text()
    return {m.group(2): m.group(1) for m in re.finditer(r"typedef\s+(ap_\w+<[^>]*>)\s+(\w+);", txt)}


def input_range(project_dir) -> tuple[float, float, float]:
    """(min, max, lsb) of the project's input type (signed/unsigned ap_fixed<W,I>)."""
    t = next(iter(precisions(project_dir).values()))  # defines.h declares the input type first
    m = re.match(r"ap_(u?)fixed<\s*(\d+)\s*,\s*(-?\d+)", t)
    if not m:
        raise L1otError(f"cannot parse input type {t}")
    unsigned, w, i = m.group(1) == "u", int(m.group(2)), int(m.group(3))
    lsb = 2.0 ** (i - w)
    if unsigned:
        return 0.0, 2.0 ** i - lsb, lsb
    return -(2.0 ** (i - 1)), 2.0 ** (i - 1) - lsb, lsb


def write_verilog(scorer, out_dir, clock_mhz: float = CLOCK_MHZ, latency_cutoff: float = 2.0,
                  name: str = "l1ot_ae", inputs_kif: tuple[int, int, int] | None = None) -> dict:
    """Standalone pipelined Verilog of the scorer with da4ml; returns its metadata.

    ``latency_cutoff`` is da4ml's per-stage combinational delay budget (its own
    delay units) at which a register stage is inserted. ``inputs_kif`` is the
    input word (default :func:`input_kif`; pass :func:`project_input_kif` to get
    the same input port as the hls4ml project).
    """
    from da4ml.codegen import VerilogModel

    kif = tuple(inputs_kif) if inputs_kif is not None else input_kif(scorer)
    sol = da4ml_logic(scorer, kif)
    out_dir = Path(out_dir)
    vm = VerilogModel(sol, name, out_dir, latency_cutoff=latency_cutoff, clock_period=round(1000.0 / clock_mhz, 4))
    vm.write()
    meta = {"top": name, "latency_cutoff": latency_cutoff, "inputs_kif": list(kif),
            "stages": len(vm._pipe.solutions) if vm._pipe is not None else 0,
            "sources": sorted(str(p.relative_to(out_dir)) for p in (out_dir / "src").rglob("*.v"))}
    (out_dir / "l1ot_meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    return meta


def project_input_kif(project_dir) -> tuple[int, int, int]:
    """(keep-sign, integer, fraction) bits of the hls4ml project's input type (the top-level port)."""
    t = next(iter(precisions(project_dir).values()))
    m = re.match(r"ap_(u?)fixed<\s*(\d+)\s*,\s*(-?\d+)", t)
    if not m:
        raise L1otError(f"cannot parse input type {t}")
    k = 0 if m.group(1) == "u" else 1
    w, i = int(m.group(2)), int(m.group(3))
    return k, i - k, w - i


def to_input_grid(x: np.ndarray, project_dir) -> np.ndarray:
    """``x`` converted to the project's input type as the test bench does (float -> ap_fixed with
    the type's rounding and overflow modes): the words a firmware input port carries."""
    t = next(iter(precisions(project_dir).values()))
    lo, hi, lsb = input_range(project_dir)
    v = np.asarray(x, dtype=np.float64) / lsb
    v = np.floor(v + 0.5) if "AP_RND" in t else np.floor(v)
    if "AP_SAT" not in t:
        raise L1otError(f"input type {t} wraps on overflow; only saturating inputs are supported")
    return np.clip(v * lsb, lo, hi).astype(np.float32)


def input_kif(scorer) -> tuple[int, int, int]:
    """(keep-sign, integer, fraction) bits of the scorer's input word: the widest of
    the first layer's per-input HGQ2 quantisers (what hls4ml makes the input type)."""
    layer = next(l for l in scorer.layers if hasattr(l, "iq"))
    k, i, f = (int(np.max(np.asarray(v))) for v in layer.iq.quantizer.kif)
    return k, i, f


def da4ml_logic(scorer, inputs_kif: tuple[int, int, int]):
    """The scorer traced by da4ml into combinational logic (``CombLogic``): the netlist that
    :func:`write_verilog` pipelines. ``.predict(x)`` runs da4ml's C++ interpreter of it."""
    from da4ml.converter import trace_model
    from da4ml.trace import comb_trace

    inp, out = trace_model(scorer, inputs_kif=tuple(inputs_kif))
    return comb_trace(inp, out)


def saturation_count(x: np.ndarray, lo: float, hi: float) -> int:
    """Input values outside [lo, hi] (they saturate in the input quantiser)."""
    return int(np.count_nonzero((x < lo) | (x > hi)))


__all__ = ["convert", "predict", "csim", "precisions", "input_range", "input_kif", "project_input_kif", "to_input_grid", "write_verilog", "da4ml_logic", "saturation_count",
           "PART", "CLOCK_MHZ", "STRATEGIES"]
