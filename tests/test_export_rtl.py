"""Per-export names (l1ot.export.rtl, l1ot.export.cmvm.prefix_modules) and the export's
RTL packaging (renamed copies, FuseSoC core, ipbb dep file)."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

from l1ot.errors import ConfigError
from l1ot.export import rtl

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "testbench"))
import tbutil  # noqa: E402

DECL = re.compile(r"^\s*(?:module|package)\s+(\w+)", re.M)
#: an instance: `<type> [#(...)] <name> (`, as written in firmware/rtl and by da4ml
INST = re.compile(r"^\s*([A-Za-z_]\w*)\s+(?:#\s*\(.*?\)\s*)?u?\w*\s*\(", re.M | re.S)
KEYWORDS = {"module", "package", "if", "for", "assign", "always_ff", "always_comb", "always", "wire", "logic",
            "input", "output", "localparam", "parameter", "end", "begin", "else", "function", "return", "case",
            "generate", "reg", "initial", "endmodule", "endgenerate", "int", "genvar", "task"}


def _instances(text: str) -> set:
    """Module types instantiated in ``text`` (a coarse independent parse: `type [#(..)] inst (`)."""
    body = re.sub(r"//[^\n]*|/\*.*?\*/", "", text, flags=re.S)
    out = set()
    for m in re.finditer(r"^\s*(?:wire\s+\[[^\]]*\]\s+\w+;\s*)?([A-Za-z_]\w*)\s+(#\s*\([^;]*?\)\s*)?([A-Za-z_]\w*)\s*\(",
                         body, re.M):
        if m.group(1) not in KEYWORDS and m.group(3) not in KEYWORDS:
            out.add(m.group(1))
    return out


def test_names():
    assert rtl.default_name(32) == "l1ot_k32"
    assert rtl.default_name(8, "species") == "l1ot_k8_species"
    for bad in ("L1OT", "1abc", "a-b", "a__b", "abc_", "", "x" * 41):
        with pytest.raises(ConfigError, match="export name"):
            rtl.check_name(bad)
    assert rtl.prefixed("l1ot_kernel_cm", "l1ot_k32") == "l1ot_k32_kernel_cm"


def test_renamed_copies_carry_only_prefixed_names(tmp_path):
    """Every module and package a copy declares or uses carries the prefix; no canonical
    name is left; the name l1ot gives the originals back."""
    canon = rtl.canonical_names()
    assert {"l1ot_params_pkg", "l1ot_cmvm_pkg", "l1ot_cmvm", "l1ot_kernel_cm", "l1ot_argmin"} <= set(canon)
    paths = rtl.write_rtl(tmp_path, "abc_k4")
    assert [p.name for p in paths] == [f"abc_k4_{p.name[5:]}" for p in rtl.hand_files()]
    for src, p in zip(rtl.hand_files(), paths):
        text = p.read_text()
        assert all(n.startswith("abc_k4_") for n in DECL.findall(text))
        for n in canon:
            assert not re.search(rf"\b{n}\b", text), (p.name, n)
        assert text.count("abc_k4_") >= src.read_text().count("l1ot_params_pkg::")
        assert rtl.rename(src.read_text(), "l1ot") == src.read_text()
    # instances: the renamed modules (or the missing-module parameter check)
    used = set().union(*(_instances(p.read_text()) for p in paths))
    declared = {n for p in paths for n in DECL.findall(p.read_text())}
    # (abc_k4_cmvm: the generated graph of the same export)
    assert used - declared == {"l1ot_param_check_failed", "abc_k4_cmvm"}, used - declared


@pytest.mark.parametrize("comb", [False, True], ids=["pipelined", "comb"])
def test_graph_declares_and_uses_only_its_own_modules(comb):
    """The generated graph (K = 4): every module and package it declares starts with the
    export name, and every module it instantiates is one it declares (none of da4ml's
    library names is left global)."""
    from l1ot.export import cmvm
    from l1ot.kernel import fixed

    cfg = fixed.KernelConfig.load()
    rom = fixed.medoid_rom(tbutil.random_medoid_events(np.random.default_rng(0), 4), cfg)
    text, _ = cmvm.verilog_text(rom, cfg, latency_cutoff=None if comb else 1.0, name="abc_k4")
    declared = DECL.findall(text)
    assert declared and all(n.startswith("abc_k4_") for n in declared), declared
    assert {"abc_k4_cmvm_pkg", "abc_k4_cmvm", "abc_k4_cmvm_core"} <= set(declared)
    used = _instances(text)
    assert "abc_k4_shift_adder" in used
    assert used - set(declared) == {"l1ot_param_check_failed"}, used - set(declared)
    assert not re.search(r"\b(shift_adder|negative|l1ot_cmvm\w*)\b", re.sub(r"//[^\n]*", "", text))


def test_export_sources_and_name(tmp_path):
    """An export folder's name comes from its package; its sources follow the .f lists."""
    from l1ot.export.sv import write_package
    from l1ot.kernel import fixed

    cfg = fixed.KernelConfig.load()
    rom = fixed.medoid_rom(tbutil.random_medoid_events(np.random.default_rng(1), 3), cfg)
    write_package(cfg, None, rom, tmp_path / "l1ot_params_pkg.sv", threshold=5, name="abc_k3")
    assert rtl.export_name(tmp_path) == "abc_k3"
    assert rtl.top_name(tmp_path, "l1ot_kernel") == "abc_k3_kernel"
    src = rtl.sources(tmp_path, "l1ot_kernel")
    assert [p.name for p in src] == ["l1ot_params_pkg.sv"] + [f"abc_k3_{p.name[5:]}" for p in tbutil.rtl_files("l1ot_kernel.f")]
    assert all(p.is_file() for p in src)
    assert [p.name for p in rtl.sources(tmp_path, "l1ot_kernel_cm", "comb")][:2] == ["l1ot_params_pkg.sv", "l1ot_cmvm_comb.sv"]
    (tmp_path / "l1ot_params_pkg.sv").write_text("// no package\n")
    with pytest.raises(ConfigError, match="no 'package <name>_params_pkg;'"):
        rtl.export_name(tmp_path)


def test_gt_wrapper_and_package_carry_the_export_name(tmp_path):
    """The GT-word wrapper is one of the renamed copies, its package the export's: the copy
    refers to ``<name>_gt_pkg`` (declared by l1ot.export.gt) and ``<name>_kernel_cm`` only;
    its sources put the GT package after the kernel package; a folder without the GT
    package (not Phase-2) gets no wrapper copy."""
    from l1ot.export import gt as gtx
    from l1ot.export.sv import write_package
    from l1ot.kernel import fixed

    cfg = fixed.KernelConfig.load()
    rom = fixed.medoid_rom(tbutil.random_medoid_events(np.random.default_rng(2), 3), cfg)
    write_package(cfg, None, rom, tmp_path / "l1ot_params_pkg.sv", threshold=5, name="abc_k3")
    (tmp_path / "l1ot_cmvm.sv").write_text("// graph\n")
    rtl.refresh_export(tmp_path)
    assert not (tmp_path / "abc_k3_gt_kernel.sv").exists()   # no GT package: no wrapper
    assert "l1ot_gt_kernel" not in rtl.export_tops(tmp_path)
    assert gtx.write_sv_package(cfg, tmp_path / "l1ot_gt_pkg.sv", name="abc_k3")["package"] == "abc_k3_gt_pkg"
    assert DECL.findall((tmp_path / "l1ot_gt_pkg.sv").read_text()) == ["abc_k3_gt_pkg"]
    src = rtl.sources(tmp_path, "l1ot_gt_kernel")
    assert [p.name for p in src][:3] == ["l1ot_params_pkg.sv", "l1ot_gt_pkg.sv", "l1ot_cmvm.sv"]
    assert src[-1].name == "abc_k3_gt_kernel.sv" and all(p.is_file() for p in src)
    text = src[-1].read_text()
    assert DECL.findall(text) == ["abc_k3_gt_kernel"] and _instances(text) == {"abc_k3_kernel_cm"}
    pkgs = set(re.findall(r"\b(\w+)::", text))
    assert pkgs == {"abc_k3_gt_pkg", "abc_k3_params_pkg"}, pkgs
    assert rtl.top_name(tmp_path, "l1ot_gt_kernel") == "abc_k3_gt_kernel"


def test_core_and_dep_from_one_list():
    core = rtl.core_text("abc_k3", "1.2.3", "desc")
    assert core.startswith("CAPI=2:\n") and "name: l1ot:kernel:abc_k3:1.2.3" in core
    assert "toplevel: abc_k3_kernel_cm" in core and "flow: lint" in core
    assert "toplevel: abc_k3_gt_kernel" in core and "      - l1ot_gt_pkg.sv" in core
    dep = [ln.split()[1] for ln in rtl.dep_text("abc_k3", "desc").splitlines() if ln.startswith("src ")]
    assert dep[::-1] == rtl.file_list("abc_k3")
    # without the graph (da4ml missing): the reuse architecture only
    files = rtl.file_list("abc_k3", with_graph=False)
    assert "l1ot_cmvm.sv" not in files and "abc_k3_kernel_cm.sv" not in files and "abc_k3_kernel.sv" in files
    assert "toplevel: abc_k3_kernel\n" in rtl.core_text("abc_k3", "1", "d", with_graph=False)


def test_cli_export_name_is_checked(tmp_path, capsys):
    from l1ot.cli import main

    rc = main(["export", "--model", str(tmp_path / "m.h5"), "--out", str(tmp_path / "o"), "--name", "Bad-Name"])
    err = capsys.readouterr().err
    assert rc == 2 and "export name 'Bad-Name'" in err and len(err.strip().splitlines()) == 1, err


def test_refresh_rewrites_a_stale_core(tmp_path):
    """A core written before a change of the .f lists is brought up to date (version and
    description kept), so the FuseSoC lint sees the current file list."""
    from l1ot.export.sv import write_package
    from l1ot.kernel import fixed

    cfg = fixed.KernelConfig.load()
    rom = fixed.medoid_rom(tbutil.random_medoid_events(np.random.default_rng(2), 2), cfg)
    write_package(cfg, None, rom, tmp_path / "l1ot_params_pkg.sv", threshold=5, name="abc_k2")
    (tmp_path / "l1ot_cmvm.sv").write_text("// graph\n")
    from l1ot.export import gt as gtx
    gtx.write_sv_package(cfg, tmp_path / "l1ot_gt_pkg.sv", name="abc_k2")   # a Phase-2 export
    stale = rtl.core_text("abc_k2", "9.9", "my desc").replace("      - abc_k2_argmin.sv\n", "")
    (tmp_path / "abc_k2.core").write_text(stale)
    rtl.refresh_export(tmp_path)
    assert (tmp_path / "abc_k2.core").read_text() == rtl.core_text("abc_k2", "9.9", "my desc")
    assert (tmp_path / "abc_k2.dep").read_text() == rtl.dep_text("abc_k2", "my desc")
