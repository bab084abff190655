"""CMSSW emulator library (hls/emulator, `make emulator`): loader host and ctypes checks.

* the host (``emulator_host``) loads ``lib<name>.so`` exactly as the hls4mlEmulator
  ModelLoader does and runs every GT-word golden vector of the K = 32 export: 0 mismatches;
  a corrupted golden vector is reported as a mismatch (the check can fail);
* a missing library, a library without ``create_model`` / ``destroy_model`` and an input
  of the wrong type each stop the host with one error line (exit 2);
* ctypes: the library's batch entry (which goes through create_model / prepare_input /
  predict / read_result) on every event of the bundled sample, in GT words, agrees with
  ``l1ot score --fixed`` (the Python model) event by event.
"""
from __future__ import annotations

import ctypes
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "testbench"))
import tbutil  # noqa: E402

pytestmark = pytest.mark.hw


def _load_run_emulator():
    spec = importlib.util.spec_from_file_location("l1ot_run_emulator", REPO / "hls" / "run_emulator.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


emu = _load_run_emulator()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    try:
        emu.csim.compiler()
        emu.csim.ap_types_dir()
    except emu.SetupError as exc:
        pytest.skip(str(exc))
    exp = tbutil.export_dir(32)
    out = tmp_path_factory.mktemp("emulator")
    lib, _ = emu.build_library(exp, out)
    host, _ = emu.build_host(out)
    return {"exp": exp, "lib": lib, "host": host, "out": out, "golden": exp / "golden_gt.txt"}


def _one_line_error(p, *needles):
    assert p.returncode == 2, (p.returncode, p.stdout[-500:], p.stderr[-500:])
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("emulator_host: error: "), p.stderr
    for n in needles:
        assert n in lines[0], (n, lines[0])
    assert "Traceback" not in p.stderr


def test_name_and_symbols(built):
    from l1ot.export.rtl import default_name, export_name

    # the export's name, as its SV package declares it (l1ot_k32 for the default K = 32 export)
    assert built["lib"].name == f"lib{export_name(built['exp'])}.so" == "libl1ot_k32.so"
    assert emu.emulator_name(built["exp"]) == default_name(32)
    nm = subprocess.run(["nm", "-D", "--defined-only", str(built["lib"])], capture_output=True, text=True)
    if nm.returncode != 0:
        pytest.skip("nm not available")
    syms = {ln.split()[-1] for ln in nm.stdout.splitlines() if " T " in ln}
    assert {"create_model", "destroy_model"} <= syms
    assert not any("l1ot_score" in s for s in syms)   # the kernel itself stays hidden (RTLD_LOCAL-safe)


def test_host_runs_every_golden_vector(built):
    from l1ot.export.gt import read_gt_golden

    n = len(read_gt_golden(built["golden"])[1])
    p = emu.run_host(built["host"], built["lib"], built["golden"])
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    assert p.stdout.strip().splitlines()[-1] == f"{n} passed, 0 failed"


def test_host_reports_a_mismatch(built, tmp_path):
    lines = built["golden"].read_text().splitlines(keepends=True)
    i = next(i for i, ln in enumerate(lines) if "# gt_invalid_payload" in ln)
    tok = lines[i].split()
    tok[19] = f"{int(tok[19], 16) ^ 1:04x}"
    lines[i] = " ".join(tok) + "\n"
    bad = tmp_path / "golden_gt.txt"
    bad.write_text("".join(lines))
    p = emu.run_host(built["host"], built["lib"], bad)
    assert p.returncode == 1
    assert p.stdout.strip().splitlines()[-1].endswith("passed, 1 failed")
    assert f"line {i + 1} # gt_invalid_payload" in p.stdout


def test_missing_library(built, tmp_path):
    p = subprocess.run([str(built["host"]), str(tmp_path / "libnothere"), str(built["golden"])],
                       capture_output=True, text=True)
    _one_line_error(p, "cannot load model library", "libnothere.so")


@pytest.mark.parametrize("defined, missing", [("", "create_model"), ("create_model", "destroy_model")])
def test_missing_symbol(built, tmp_path, defined, missing):
    src = tmp_path / "stub.cpp"
    src.write_text("".join(f'extern "C" void *{d}() {{ return nullptr; }}\n' for d in defined.split() if d)
                   + "int l1ot_stub_marker = 1;\n")
    lib = tmp_path / "libstub.so"
    subprocess.run([emu.csim.compiler(), "-shared", "-fPIC", str(src), "-o", str(lib)], check=True)
    p = subprocess.run([str(built["host"]), str(tmp_path / "libstub"), str(built["golden"])],
                       capture_output=True, text=True)
    _one_line_error(p, f"has no symbol '{missing}'")


def test_wrong_input_type(built):
    p = emu.run_host(built["host"], built["lib"], built["golden"], "--wrong-input")
    _one_line_error(p, "prepare_input expects const l1ot_emu::gt_word*")


def test_golden_of_another_export_refused(built, tmp_path):
    text = built["golden"].read_text().splitlines(keepends=True)
    text[1] = text[1].replace("model_sha256 ", "model_sha256 0", 1)
    g = tmp_path / "golden_gt.txt"
    g.write_text("".join(text))
    p = emu.run_host(built["host"], built["lib"], g)
    _one_line_error(p, "model_sha256", "different exports")


def test_ctypes_agrees_with_score_fixed_on_the_bundled_sample(built, tmp_path):
    """Every event of every bundled-sample file: ctypes call of the library == l1ot score --fixed."""
    from l1ot.cli import main as cli
    from l1ot.io import data
    from l1ot.kernel import fixed, gtwords

    ddir, build, _label = tbutil.sample_source()
    files = sorted(ddir.glob("*.h5"))
    model = Path(build) / "model_k32.h5"
    assert files and model.is_file()
    lib = ctypes.CDLL(str(built["lib"]), mode=os.RTLD_LAZY | os.RTLD_LOCAL)
    lib.l1ot_emulate.argtypes = [ctypes.POINTER(ctypes.c_uint64), ctypes.c_size_t, ctypes.POINTER(ctypes.c_uint32)]
    lib.l1ot_emulate.restype = ctypes.c_int
    lib.l1ot_emulate_error.restype = ctypes.c_char_p
    cfg = fixed.KernelConfig.load()
    total = 0
    for f in files:
        out = tmp_path / f"{f.stem}_fixed.h5"
        assert cli(["score", str(model), str(f), "-o", str(out), "--fixed", "--workers", "1"]) == 0
        with h5py.File(out, "r") as h:
            ref = np.stack([h["score"][:], h["index"][:], h["trig"][:]], axis=1).astype(np.int64)
            ev_idx = h["event"][:]
        words, _ = fixed.events_to_words(data.load(str(f))[ev_idx], cfg, source=str(f))
        gt = np.ascontiguousarray(gtwords.gt_from_kernel(words, cfg, source=str(f)))   # MET eta is 0 in ADC2021
        res = np.zeros((len(gt), 3), dtype=np.uint32)
        rc = lib.l1ot_emulate(gt.ctypes.data_as(ctypes.POINTER(ctypes.c_uint64)), len(gt),
                              res.ctypes.data_as(ctypes.POINTER(ctypes.c_uint32)))
        assert rc == 0, lib.l1ot_emulate_error()
        bad = np.flatnonzero(np.any(res.astype(np.int64) != ref, axis=1))
        assert len(bad) == 0, f"{f.name}: {len(bad)} events differ, first {bad[:3]}: {res[bad[:3]]} vs {ref[bad[:3]]}"
        total += len(gt)
    assert total >= 50_000
