#!/usr/bin/env python3
"""Lever 3 of docs/firmware.md: full-payload sort vs {pT, tag} sort + 19:1 angle mux (Yosys estimate).

Run from the repository root: .venv/bin/python firmware/synth/levers/lever3.py (needs build/export/k32)."""
import sys, json, subprocess, time
from pathlib import Path
sys.path.insert(0, "firmware/synth")
import run_yosys as ry
from l1ot.export import rtl
# the export's names (l1ot.export.rtl): its package and its copy of l1ot_sortnet
exp = Path("build/export/k32")
name = rtl.export_name(exp)
rtl.refresh_export(exp)
Path("build/lever3").mkdir(parents=True, exist_ok=True)
Path("build/lever3/lever3_sort.sv").write_text(rtl.rename(Path("firmware/synth/levers/lever3_sort.sv").read_text(), name))
for top in ("lever3_full", "lever3_narrow"):
    d = Path("build/lever3") / top
    d.parent.mkdir(parents=True, exist_ok=True)
    d.mkdir(exist_ok=True)
    ys = (f"read_verilog -sv {exp}/l1ot_params_pkg.sv {exp}/{name}_sortnet.sv build/lever3/lever3_sort.sv\n"
          f"hierarchy -top {top}\nsynth_xilinx -family xcup -top {top} -noiopad -flatten\n"
          f"tee -q -o {d}/stat.json stat -json\nopt_clean -purge\nwrite_json {d}/netlist.json\n")
    (d / "s.ys").write_text(ys)
    t = time.time()
    subprocess.run([ry.yosys_bin(), "-q", "-s", str(d / "s.ys")], check=True)
    res = ry.summarize(ry.count_cells(d / "stat.json"))
    tm = ry.timing(d / "netlist.json")
    print(top, "LUT", res["LUT"], "FF", res["FF"], "CARRY4", res["CARRY4"], "worst", tm["worst_path_ns"], tm["worst_levels"],
          {k: (v["path_ns"], v["levels"]) for k, v in tm["stages"].items()}, f"{time.time()-t:.0f}s", flush=True)
