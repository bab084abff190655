#!/usr/bin/env python3
"""Lever 5a of docs/firmware.md (issue 26, goal 5): rank sort vs the layered sorting network.

Yosys estimate (``synth_xilinx -family xcup``, the delay model of run_yosys.py, unchanged) of
``lever5_ranksort`` (3 register stages + registered AND-OR select) against ``l1ot_sortnet``
on the export's sort19 network (one comparator layer per stage), N = 19 objects of
{pT 14 bits, tag 5 bits} keys and 11-bit angle payloads, as in ``l1ot_kernel_cm``.
Writes ``reports/lever5.json``. Run from the repository root:
``.venv/bin/python firmware/synth/levers/lever5.py`` (needs ``build/export/k32``: ``make export``)."""
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, "firmware/synth")
import run_yosys as ry  # noqa: E402
from l1ot.export import rtl  # noqa: E402

exp = Path(sys.argv[1] if len(sys.argv) > 1 else "build/export/k32")
name = rtl.export_name(exp)
rtl.refresh_export(exp)
work = Path("build/lever5")
work.mkdir(parents=True, exist_ok=True)
(work / "lever5_ranksort.sv").write_text(Path("firmware/synth/levers/lever5_ranksort.sv").read_text())
(work / "lever5_net.sv").write_text(rtl.rename("""`default_nettype none
module lever5_net (
    input wire logic clk, input wire logic rst,
    input wire logic [19*19-1:0] in_key, input wire logic [19*11-1:0] in_pay, input wire logic in_valid,
    output wire logic [19*19-1:0] out_key, output wire logic [19*11-1:0] out_pay, output wire logic out_valid);
    l1ot_sortnet #(.N(19), .KEY_W(19), .PAY_W(11), .N_LAYERS(l1ot_params_pkg::SORT_N_LAYERS),
        .PW(l1ot_params_pkg::SORT_PW), .PARTNER(l1ot_params_pkg::SORT_PARTNER), .LAYERS_PER_STAGE(1), .REG_OUT(1'b1))
        u (.clk(clk), .rst(rst), .in_key(in_key), .in_pay(in_pay), .in_valid(in_valid),
           .out_key(out_key), .out_pay(out_pay), .out_valid(out_valid));
endmodule
""", name))
results = {}
for top, srcs, lat in (("lever5_ranksort", [work / "lever5_ranksort.sv"], "2 stages + output register"),
                       ("lever5_net", [exp / "l1ot_params_pkg.sv", exp / f"{name}_sortnet.sv", work / "lever5_net.sv"],
                        "SORT_N_LAYERS stages (one layer each, last registered)")):
    d = work / top
    d.mkdir(exist_ok=True)
    ys = (f"read_verilog -sv {' '.join(str(s) for s in srcs)}\n"
          f"hierarchy -top {top}\nsynth_xilinx -family xcup -top {top} -noiopad -flatten\n"
          f"tee -q -o {d}/stat.json stat -json\nopt_clean -purge\nwrite_json {d}/netlist.json\n")
    t = time.time()
    net = d / "netlist.json"
    # reuse a netlist newer than its sources (Yosys on the 2-core machine is slow)
    if not (net.is_file() and (d / "s.ys").is_file() and (d / "s.ys").read_text() == ys
            and net.stat().st_mtime > max(Path(s_).stat().st_mtime for s_ in srcs)):
        (d / "s.ys").write_text(ys)
        subprocess.run([ry.yosys_bin(), "-q", "-s", str(d / "s.ys")], check=True)
    res = ry.summarize(ry.count_cells(d / "stat.json"))
    tm = ry.timing(d / "netlist.json")
    results[top] = {"LUT": res["LUT"], "FF": res["FF"], "CARRY4": res["CARRY4"], "worst_path_ns": tm["worst_path_ns"],
                    "fmax_est_mhz": tm["fmax_est_mhz"], "worst_levels": tm["worst_levels"], "latency": lat,
                    "yosys_seconds": round(time.time() - t, 1)}
    print(top, results[top], flush=True)
out = {"note": "Yosys estimate with the delay model of firmware/synth/run_yosys.py (unchanged); not a Vivado result",
       "export": str(exp), "results": results}
Path("reports/lever5.json").write_text(json.dumps(out, indent=1) + "\n")
print("wrote reports/lever5.json")
