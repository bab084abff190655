"""Vitis HLS flow: missing-tool message, csynth.xml parser, project preparation.

No Xilinx tool is available here. The parser is checked on a small report
written by hand from the documented csynth.xml layout (root ``profile``,
``PerformanceEstimates/SummaryOfOverallLatency``, ``AreaEstimates/Resources``);
the flow plumbing is checked with a stand-in ``vitis_hls`` executable that
only verifies the prepared project and writes such a report.
"""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HLS = REPO / "hls"
sys.path.insert(0, str(HLS))

from parse_csynth import ReportError, parse_csynth  # noqa: E402

CSYNTH_XML = """<?xml version="1.0" encoding="UTF-8"?>
<profile>
  <ReportVersion><Version>2023.2</Version></ReportVersion>
  <UserAssignments>
    <unit>ns</unit>
    <ProductFamily>virtexuplus</ProductFamily>
    <Part>xcvu13p-flga2577-2-e</Part>
    <TopModelName>l1ot_score</TopModelName>
    <TargetClockPeriod>2.083</TargetClockPeriod>
    <ClockUncertainty>0.26</ClockUncertainty>
    <FlowTarget>vivado</FlowTarget>
  </UserAssignments>
  <PerformanceEstimates>
    <PipelineType>yes</PipelineType>
    <SummaryOfTimingAnalysis>
      <unit>ns</unit>
      <EstimatedClockPeriod>1.795</EstimatedClockPeriod>
    </SummaryOfTimingAnalysis>
    <SummaryOfOverallLatency>
      <unit>clock cycles</unit>
      <Best-caseLatency>21</Best-caseLatency>
      <Average-caseLatency>21</Average-caseLatency>
      <Worst-caseLatency>23</Worst-caseLatency>
      <Best-caseRealTimeLatency>43.743 ns</Best-caseRealTimeLatency>
      <Interval-min>4</Interval-min>
      <Interval-max>4</Interval-max>
    </SummaryOfOverallLatency>
  </PerformanceEstimates>
  <AreaEstimates>
    <Resources>
      <BRAM_18K>2</BRAM_18K>
      <DSP>171</DSP>
      <FF>45123</FF>
      <LUT>98765</LUT>
      <URAM>0</URAM>
    </Resources>
    <AvailableResources>
      <BRAM_18K>5376</BRAM_18K>
      <DSP>12288</DSP>
      <FF>3456000</FF>
      <LUT>1728000</LUT>
      <URAM>1280</URAM>
    </AvailableResources>
  </AreaEstimates>
</profile>
"""


def test_parse_csynth_hand_written_report(tmp_path):
    p = tmp_path / "csynth.xml"
    p.write_text(CSYNTH_XML)
    r = parse_csynth(p)
    assert {k: r[k] for k in ("latency_cycles", "ii", "lut", "ff", "dsp", "bram")} == {
        "latency_cycles": 23, "ii": 4, "lut": 98765, "ff": 45123, "dsp": 171, "bram": 2}
    assert r["latency_cycles_best"] == 21 and r["ii_max"] == 4 and r["uram"] == 0
    assert r["clock_target_ns"] == 2.083 and r["clock_estimated_ns"] == 1.795
    assert r["part"] == "xcvu13p-flga2577-2-e" and r["top"] == "l1ot_score"
    assert r["available"]["dsp"] == 12288


def test_parse_csynth_older_dsp_tag_and_undef_latency(tmp_path):
    p = tmp_path / "csynth.xml"
    p.write_text(CSYNTH_XML.replace("<DSP>171</DSP>", "<DSP48E>171</DSP48E>")
                 .replace("<Worst-caseLatency>23<", "<Worst-caseLatency>undef<"))
    r = parse_csynth(p)
    assert r["dsp"] == 171 and r["latency_cycles"] is None


@pytest.mark.parametrize("mutate, msg", [
    (lambda s: s.replace("<LUT>98765</LUT>", ""), "Resources/LUT missing"),
    (lambda s: s.replace("<FF>45123</FF>", "<FF>many</FF>"), "not an integer"),
    (lambda s: s.replace("<AreaEstimates>", "<Area>").replace("</AreaEstimates>", "</Area>"), "AreaEstimates"),
    (lambda s: s[: len(s) // 2], "not valid XML"),
])
def test_parse_csynth_bad_report(tmp_path, mutate, msg):
    p = tmp_path / "csynth.xml"
    p.write_text(mutate(CSYNTH_XML))
    with pytest.raises(ReportError, match=msg):
        parse_csynth(p)


def test_parse_csynth_cli(tmp_path):
    p = tmp_path / "csynth.xml"
    p.write_text(CSYNTH_XML)
    out = tmp_path / "r.json"
    rc = subprocess.run([sys.executable, str(HLS / "parse_csynth.py"), str(p), "-o", str(out)]).returncode
    assert rc == 0 and json.loads(out.read_text())["lut"] == 98765
    q = subprocess.run([sys.executable, str(HLS / "parse_csynth.py"), str(tmp_path / "missing.xml")],
                       capture_output=True, text=True)
    assert q.returncode == 2 and "not found" in q.stderr


def _path_without_vitis(tmp_path) -> str:
    """PATH with only a python stand-in directory: no vitis_hls on it."""
    d = tmp_path / "bin_novitis"
    d.mkdir()
    return str(d)


@pytest.mark.parametrize("step", ["synth", "ip"])
def test_missing_vitis_hls_is_one_line_error(tmp_path, step):
    env = dict(os.environ, PATH=_path_without_vitis(tmp_path))
    p = subprocess.run([sys.executable, str(HLS / "run_vendor.py"), step, "--build", str(tmp_path / "b")],
                       capture_output=True, text=True, env=env)
    assert p.returncode != 0
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "vitis_hls not found on PATH" in lines[0]
    assert not (tmp_path / "b").exists()  # nothing built before the tool check


FAKE_VITIS = """#!{python}
# stand-in for vitis_hls: checks the prepared project, records the call, writes a csynth report
import sys, pathlib
args = sys.argv[1:]
assert args[:2] == ["-f", "build_prj.tcl"] and args[2] == "-tclargs", args
for f in ("build_prj.tcl", "project.tcl", "firmware/l1ot.cpp", "firmware/l1ot_kernel.h",
          "firmware/parameters.h", "tb/l1ot_test.cpp", "tb_data/golden.txt"):
    assert pathlib.Path(f).is_file(), f
pathlib.Path("call.txt").write_text(" ".join(args))
rep = pathlib.Path("l1ot_prj/solution1/syn/report")
rep.mkdir(parents=True)
rep.joinpath("csynth.xml").write_text({xml!r})
sim = pathlib.Path("l1ot_prj/solution1/sim/report")
sim.mkdir(parents=True)
sim.joinpath("l1ot_score_cosim.rpt").write_text("| Verilog | Pass | 21 | 21 | 21 | 4 | 4 | 4 |")
if "export=1" in args[3]:
    ip = pathlib.Path("l1ot_prj/solution1/impl/ip")
    ip.mkdir(parents=True)
    ip.joinpath("xilinx_com_hls_l1ot_score_1_0.zip").write_bytes(b"PK")
"""


@pytest.fixture(scope="module")
def small_export(tmp_path_factory):
    from test_hls_csim import make_synthetic_export

    return make_synthetic_export(tmp_path_factory.mktemp("vendor_export") / "k4", k=4, n_golden=100)


@pytest.mark.parametrize("step, preset, clock_args, period", [
    ("synth", "phase2", [], "2.083"),
    ("ip", "phase2", ["--clock-mhz", "360"], "2.778"),
    ("synth", "run3", [], "25.0"),
])
def test_vendor_flow_with_stand_in_tool(tmp_path, small_export, step, preset, clock_args, period):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    tool = bindir / "vitis_hls"
    tool.write_text(FAKE_VITIS.format(python=sys.executable, xml=CSYNTH_XML))
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    reports = tmp_path / "reports"
    p = subprocess.run([sys.executable, str(HLS / "run_vendor.py"), step, "--build", str(tmp_path / "b"),
                        "--preset", preset, "--export-dir", str(small_export), "--reuse", "4",
                        "--report-dir", str(reports), *clock_args],
                       capture_output=True, text=True, env=env)
    assert p.returncode == 0, p.stdout + p.stderr
    prj = next((tmp_path / "b" / "hls_prj").iterdir())
    call = (prj / "call.txt").read_text()
    assert "synth=1" in call and "cosim=1" in call and f"export={1 if step == 'ip' else 0}" in call
    tcl = (prj / "project.tcl").read_text()
    assert f"set clock_period {period}\n" in tcl and "set reuse 4\n" in tcl
    assert 'set part "xcvu13p-flga2577-2-e"' in tcl
    assert (prj / "firmware" / "parameters.h").read_text() == (small_export / "parameters.h").read_text()
    (rep,) = list(reports.glob("hls_*.json"))
    r = json.loads(rep.read_text())
    assert (r["latency_cycles"], r["ii"], r["lut"], r["ff"], r["dsp"], r["bram"]) == (23, 4, 98765, 45123, 171, 2)
    assert r["K"] == 4 and r["R"] == 4 and r["cosim"] == "pass" and r["preset"] == preset
    if step == "ip":
        assert r["ip"].endswith(".zip")


def test_vendor_flow_tool_failure_is_reported(tmp_path, small_export):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    tool = bindir / "vitis_hls"
    tool.write_text(f"#!{sys.executable}\nimport sys\nprint('ERROR: [HLS 200-70] synthesis failed')\nsys.exit(1)\n")
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    p = subprocess.run([sys.executable, str(HLS / "run_vendor.py"), "synth", "--build", str(tmp_path / "b"),
                        "--export-dir", str(small_export), "--report-dir", str(tmp_path / "r")],
                       capture_output=True, text=True, env=env)
    assert p.returncode == 1 and "exited with code 1" in p.stderr and "vitis_hls.log" in p.stderr


VITIS_COMMANDS = ("open_project", "set_top", "add_files", "open_solution", "config_compile", "set_part",
                  "create_clock", "set_clock_uncertainty", "csim_design", "csynth_design", "cosim_design",
                  "export_design")


def _run_tcl(prj: Path, tclargs: str) -> list[str]:
    """Source build_prj.tcl in a plain Tcl interpreter with the Vitis commands stubbed (recorded)."""
    tkinter = pytest.importorskip("tkinter")
    tcl = tkinter.Tcl()
    tcl.eval("set ::calls {}")
    for c in VITIS_COMMANDS:
        tcl.eval(f"proc {c} {{args}} {{ lappend ::calls [concat {c} $args] }}")
    tcl.eval("proc exit {args} {}")  # the script ends with exit
    tcl.eval(f"set ::argv [list {{{tclargs}}}]")
    cwd = os.getcwd()
    os.chdir(prj)
    try:
        tcl.eval("source build_prj.tcl")
    finally:
        os.chdir(cwd)
    return [tcl.eval(f"lindex $::calls {i}") for i in range(int(tcl.eval("llength $::calls")))]


def test_build_prj_tcl_options(tmp_path):
    import shutil

    shutil.copy2(HLS / "build_prj.tcl", tmp_path / "build_prj.tcl")
    (tmp_path / "project.tcl").write_text('set project_name "l1ot"\nset part "xcvu13p-flga2577-2-e"\n'
                                          'set clock_period 2.083\nset clock_uncertainty "12.5%"\n'
                                          'set reuse 4\nset version "1.0"\n')
    calls = _run_tcl(tmp_path, "reset=1 csim=0 synth=1 cosim=1 export=1")
    names = [c.split()[0] for c in calls]
    assert "csim_design" not in names
    assert names.index("csynth_design") < names.index("cosim_design") < names.index("export_design")
    assert "open_project -reset l1ot_prj" in calls and "set_top l1ot_score" in calls
    assert "set_part xcvu13p-flga2577-2-e" in calls and "create_clock -period 2.083 -name default" in calls
    assert "export_design -format ip_catalog -version 1.0" in calls
    add = [c for c in calls if c.startswith("add_files firmware/l1ot.cpp")]
    assert add and "-DL1OT_REUSE=4" in add[0]
    calls = _run_tcl(tmp_path, "csim=1 synth=0 cosim=0 export=0")
    names = [c.split()[0] for c in calls]
    assert "csim_design" in names and "csynth_design" not in names and "export_design" not in names
