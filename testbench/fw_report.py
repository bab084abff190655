"""Merge cosim, float-check and synthesis figures into reports/firmware.{json,md}."""
from __future__ import annotations

import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CLOCK_MHZ = 480.0
GOALS = {"ii_max": 12, "latency_ns": 50.0, "latency_ns_stretch": 25.0, "dsp_pct_k32": 2.0, "lut_pct_k32": 5.0,
         # issue 18 (constant-matrix kernel l1ot_kernel_cm): Phase-2 and Run-3 goals
         "cm_dsp_pct": 1.0, "cm_lut_pct": 3.0, "cm_latency_cycles": 24, "run3_latency_cycles": 2,
         # issue 26 (the firmware default, species K = 64 on l1ot_kernel_cm): Phase-2 goals
         "default_dsp_pct": 0.5, "default_lut_pct": 3.0,
         # issue 24 (reloadable-reference kernel l1ot_kernel_rl)
         "rl_latency_ns": 75.0, "rl_latency_ns_stretch": 50.0, "rl_dsp_pct": 2.0, "rl_lut_pct": 3.0,
         # the IPbus register clock (ipbus-firmware: 31.25 MHz), with a 4x margin
         "ipb_fmax_mhz": 125.0}
#: the register clock of the IPbus tops (the headline est. Fmax is the algorithm clock ``clk``)
IPB_CLOCK = "ipb_clk"
#: Run-3 presets (two cycles at 40 MHz on the Run-3 part): of the sorted K = 32 top and of the
#: species default
RUN3 = ("run3", "species-run3")
#: target clock of a variant (MHz) and its part: Run-3 preset at the LHC bunch-crossing clock
CLOCKS = {v: 40.0 for v in RUN3}
PARTS = {v: "XC7VX690T" for v in RUN3}


def load(path=None) -> dict:
    p = Path(path or REPO / "reports" / "firmware.json")
    return json.loads(p.read_text()) if p.exists() else {}


def collect_cosim(build: Path, since: float | None = None) -> dict:
    """Per-configuration cosim records under ``build/sim``; with ``since`` (a
    ``time.time()`` value) only those written at or after it, i.e. by this run."""
    out = {}
    for f in sorted((build / "sim").glob("l1ot_kernel_k*_r*/results.json")):
        if since is not None and f.stat().st_mtime < since:
            continue
        try:
            rec = json.loads(f.read_text())
        except ValueError:   # a run that died while writing: report it, do not crash
            rec = {"_meta": {"error": f"unreadable {f}"}}
        m = rec.get("_meta", {})
        if m.get("k") is None or m.get("reuse") is None:
            # no metadata (the run stopped before writing it): the folder name is the key
            out[f.parent.name[len("l1ot_kernel_"):]] = rec
            continue
        v = m.get("variant") or ""
        out[f"k{m['k']}_r{m['reuse']}" + (f"_{v}" if v else "")] = rec
    return out


def configs(data: dict) -> list[dict]:
    rows = []
    keys = sorted(set(data.get("cosim", {})) | set(data.get("synth", {})),
                  key=lambda s: (-int(s.split("_")[0][1:]), int(s.split("_")[1][1:]), s))
    for key in keys:
        k, r = int(key.split("_")[0][1:]), int(key.split("_")[1][1:])
        c = data.get("cosim", {}).get(key, {})
        s = data.get("synth", {}).get(key, {})
        gs = c.get("golden_stream", {})
        variant = key.split("_")[2] if key.count("_") >= 2 else ""
        clock = CLOCKS.get(variant, CLOCK_MHZ)
        period = 1000.0 / clock
        row = {"config": key, "K": k, "REUSE": r, "variant": variant, "II_cycles": r, "clock_mhz": clock,
               "part": PARTS.get(variant, "XCVU13P")}
        if gs:
            lat = gs["latency_cycles"]   # measured (a list if it was not constant)
            vec = sum(c.get(t, {}).get("vectors", 0) for t in ("golden_stream", "random_gaps"))
            vec += c.get("reset_midstream", {}).get("post_outputs", 0) + c.get("reset_midstream", {}).get("pre_outputs", 0)
            mis = sum(c.get(t, {}).get("mismatches", 0)
                      for t in ("golden_stream", "random_gaps", "reset_midstream", "overrun"))
            row.update({"latency_cycles": lat, "latency_declared": gs.get("latency_declared"),
                        "ii_out_measured": gs.get("ii_out_min"), "vectors_compared": vec, "mismatches": mis,
                        "golden_vectors_streamed": gs["vectors"], "selection": gs.get("selection")})
            if isinstance(lat, int):
                row["latency_ns"] = round(lat * period, 2)
        meta = c.get("_meta", {})
        if c and (meta.get("failures") or meta.get("error") or not gs):
            row["cosim_failed"] = {"failures": meta.get("failures"), "failed_tests": meta.get("failed_tests", []),
                                   "error": meta.get("error"), "log": meta.get("log"),
                                   "first_mismatches": [m for t in ("golden_stream", "random_gaps",
                                                                    "reset_midstream", "overrun")
                                                        for m in c.get(t, {}).get("first_mismatches", [])][:5]}
        if s:
            pct = s.get("pct_part", s.get("pct_VU13P"))
            row.update({"LUT": s["LUT"], "FF": s["FF"], "CARRY8_equiv": s["CARRY8_equiv"], "DSP48E2": s["DSP48E2"],
                        "BRAM36": s["BRAM36_equiv"], "LUTRAM_SRL": s["LUTRAM_SRL"], "pct_part": pct})
            if "pct_VU13P" in s:
                row["pct_VU13P"] = s["pct_VU13P"]
            if "DSP48E1" in s:
                row["DSP48E1"] = s["DSP48E1"]
            if s.get("part"):
                row["part"] = s["part"]
            if "timing" in s:
                row["fmax_est_mhz"] = s["timing"]["fmax_est_mhz"]
                row["worst_path_ns"] = s["timing"]["worst_path_ns"]
                doms = s["timing"].get("domains", {})
                if len(doms) > 1:   # per clock domain (headline: clk); crossings apart
                    row["fmax_est_mhz_by_domain"] = {d: v["fmax_est_mhz"] for d, v in doms.items()}
                    row["cdc_paths"] = len(s["timing"].get("cdc", []))
        if "fmax_est_mhz" in row and "latency_ns" in row:
            f = min(clock, row["fmax_est_mhz"])
            row["latency_ns_at_est_clock"] = round(row["latency_cycles"] * 1000.0 / f, 2)
        if gs:
            row["golden_source"] = c.get("_meta", {}).get("sample")
        goals = {"II<=12": r <= GOALS["ii_max"]} if variant not in RUN3 else {"II=1 at 40 MHz": r == 1}
        if gs:
            goals["latency measured == declared (LATENCY)"] = row["latency_cycles"] == row["latency_declared"]
        if variant in RUN3:
            if gs:
                goals["latency<=2 cycles at 40 MHz (50 ns)"] = row["latency_cycles"] <= GOALS["run3_latency_cycles"]
                goals["0 mismatches"] = row["mismatches"] == 0 and "cosim_failed" not in row
            if "fmax_est_mhz" in row:
                goals["Fmax_est>=40MHz"] = row["fmax_est_mhz"] >= clock
            _ipb_goal(row, goals)
            row["goals"] = goals
            rows.append(row)
            continue
        if variant == "rl":
            if "latency_ns_at_est_clock" in row:
                ns = row["latency_ns_at_est_clock"]
                goals["latency<=75ns at min(480 MHz, est. Fmax)"] = ns <= GOALS["rl_latency_ns"]
                goals["latency<=50ns at min(480 MHz, est. Fmax) (stretch)"] = ns <= GOALS["rl_latency_ns_stretch"]
            if gs:
                goals["0 mismatches"] = row["mismatches"] == 0 and "cosim_failed" not in row
            if s:
                goals["DSP<=2%"] = pct["DSP"] <= GOALS["rl_dsp_pct"]
                goals["LUT<=3%"] = pct["LUT"] <= GOALS["rl_lut_pct"]
            if "fmax_est_mhz" in row:
                goals["Fmax_est>=480MHz"] = row["fmax_est_mhz"] >= CLOCK_MHZ
            _ipb_goal(row, goals)
            row["goals"] = goals
            rows.append(row)
            continue
        if variant == "cm":
            if gs:
                goals["latency<=24 cycles"] = row["latency_cycles"] <= GOALS["cm_latency_cycles"]
            if s:
                goals["DSP<=1%"] = pct["DSP"] <= GOALS["cm_dsp_pct"]
                goals["LUT<=3%"] = pct["LUT"] <= GOALS["cm_lut_pct"]
        if variant == "species-cm":   # the firmware default
            goals["II=1"] = r == 1
            if s:
                goals["DSP<=0.5%"] = pct["DSP"] <= GOALS["default_dsp_pct"]
                goals["LUT<=3%"] = pct["LUT"] <= GOALS["default_lut_pct"]
        if "latency_ns" in row:
            goals["latency<=50ns at 480 MHz"] = row["latency_ns"] <= GOALS["latency_ns"]
            goals["latency<=25ns at 480 MHz (stretch)"] = row["latency_ns"] <= GOALS["latency_ns_stretch"]
        if "latency_ns_at_est_clock" in row:
            goals["latency<=50ns at min(480 MHz, est. Fmax)"] = row["latency_ns_at_est_clock"] <= GOALS["latency_ns"]
        if gs:
            goals["0 mismatches"] = row["mismatches"] == 0 and "cosim_failed" not in row
        if s and k == 32 and variant != "cm":
            goals["DSP<=2%"] = pct["DSP"] <= GOALS["dsp_pct_k32"]
            goals["LUT<=5%"] = pct["LUT"] <= GOALS["lut_pct_k32"]
        if "fmax_est_mhz" in row:
            goals["Fmax_est>=480MHz"] = row["fmax_est_mhz"] >= CLOCK_MHZ
        _ipb_goal(row, goals)
        row["goals"] = goals
        rows.append(row)
    return rows


def _ipb_goal(row: dict, goals: dict) -> None:
    """The IPbus register clock's own goal, for a row timed per clock domain."""
    f = row.get("fmax_est_mhz_by_domain", {}).get(IPB_CLOCK)
    if f is not None:
        goals[f"Fmax_est({IPB_CLOCK})>={GOALS['ipb_fmax_mhz']:g}MHz"] = f >= GOALS["ipb_fmax_mhz"]


def write(data: dict, path=None) -> str:
    """Write ``data`` to the report ``path`` and its ``.md`` (temporary files renamed together)."""
    from l1ot import outputs

    p = Path(path or REPO / "reports" / "firmware.json")
    data["clock_mhz"] = CLOCK_MHZ
    data["goals"] = GOALS
    data["configs"] = configs(data)
    md = markdown(data)
    with outputs.Transaction() as tx:
        Path(tx.file(p)).write_text(json.dumps(data, indent=1) + "\n")
        Path(tx.file(p.with_suffix(".md"))).write_text(md)
    return md


def update(change, path=None) -> str:
    """Read the report at ``path``, apply ``change(data)`` (in place) and write it back, all
    under the report lock (:func:`l1ot.outputs.locked`): ``make cosim`` and ``make synth``
    running at the same time both land. Returns the markdown."""
    from l1ot import outputs

    p = Path(path or REPO / "reports" / "firmware.json")
    with outputs.locked(p):
        data = load(p)
        change(data)
        return write(data, p)


def _f(v, fmt="{}"):
    return "—" if v is None else fmt.format(v)


def reload_cost(data: dict) -> list[str]:
    """Markdown lines: the cost of reloadability, each K=32 ``rl`` synth row against ``k32_r1_cm``."""
    syn = data.get("synth", {})
    cm = syn.get("k32_r1_cm")
    rows = [k for k in sorted(syn) if k.startswith("k32_") and k.endswith("_rl")]
    if not cm or not rows:
        return []
    L = ["", "Cost of reloadability (Yosys estimates, K = 32, against the constant-matrix top `k32_r1_cm`):"]
    for k in rows:
        s = syn[k]
        L.append(f"{k}: LUT {s['LUT']} vs {cm['LUT']} ({s['LUT'] / cm['LUT']:.2f}x), FF {s['FF']} vs {cm['FF']} "
                 f"({s['FF'] / cm['FF']:.2f}x), DSP {s['DSP48E2']} vs {cm['DSP48E2']}, est. Fmax "
                 f"{s.get('timing', {}).get('fmax_est_mhz')} vs {cm.get('timing', {}).get('fmax_est_mhz')} MHz, "
                 f"II {s.get('parameters', {}).get('REUSE')} vs 1.")
    return L


def markdown(data: dict) -> str:
    L = ["# l1ot firmware (SystemVerilog RTL) report", "",
         f"Target clock {CLOCK_MHZ:.0f} MHz ({1000 / CLOCK_MHZ:.3f} ns). Generated by `make cosim` / `make synth` "
         "(testbench/run_cosim.py, firmware/synth/run_yosys.py); figures below are copied from "
         "`reports/firmware.json`.", ""]
    dev = data.get("device")
    L += ["## Configurations", "",
          "| config | part | clock (MHz) | II | latency declared / measured (cycles) | latency (ns) at the clock | "
          "est. latency (ns) at min(clock, est. Fmax) | vectors compared | mismatches | LUT (% of part) | FF (%) | "
          "CARRY8 | DSP (%) | BRAM36 | LUTRAM/SRL | est. Fmax (MHz) |",
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in data.get("configs", []):
        pct = r.get("pct_part", r.get("pct_VU13P", {}))
        L.append(f"| K={r['K']} REUSE={r['REUSE']}{' ' + r['variant'] if r['variant'] else ''} | {r.get('part', 'XCVU13P')} | "
                 f"{_f(r.get('clock_mhz', CLOCK_MHZ), '{:g}')} | {r['II_cycles']} | "
                 f"{_f(r.get('latency_declared'))} / {_f(r.get('latency_cycles'))} | {_f(r.get('latency_ns'), '{:.1f}')} | "
                 f"{_f(r.get('latency_ns_at_est_clock'), '{:.1f}')} | "
                 f"{_f(r.get('vectors_compared'))} | "
                 f"{_f(r.get('mismatches'))} | {_f(r.get('LUT'))} ({_f(pct.get('LUT'), '{:.2f}')}) | "
                 f"{_f(r.get('FF'))} ({_f(pct.get('FF'), '{:.2f}')}) | {_f(r.get('CARRY8_equiv'))} | "
                 f"{_f(r.get('DSP48E1') if r.get('DSP48E1') is not None else r.get('DSP48E2'))} ({_f(pct.get('DSP'), '{:.2f}')}) | {_f(r.get('BRAM36'))} | "
                 f"{_f(r.get('LUTRAM_SRL'))} | {_f(r.get('fmax_est_mhz'))} |")
    srcs = sorted({str(r.get("golden_source")) for r in data.get("configs", []) if r.get("golden_source")})
    failed = [r for r in data.get("configs", []) if "cosim_failed" in r]
    if failed:
        L += ["", "## Cosim failures", ""]
        for r in failed:
            f = r["cosim_failed"]
            L.append(f"* **{r['config']}**: {f.get('failures')} cocotb test(s) failed"
                     + (f"; {f['error']}" if f.get("error") else "") + f"; log `{f.get('log')}`")
            for t in f.get("failed_tests", []):
                L.append(f"  * `{t['test']}`: {t['message']}")
            for m in f.get("first_mismatches", []):
                L.append(f"  * mismatch golden line {m.get('golden_line')} ({m.get('category')}): "
                         f"got {m.get('got')}, expected {m.get('expected')}")
    L += ["", "Latency: declared = the `LATENCY` localparam of `l1ot_kernel` (read from the design through "
          "Verilator's VPI; formula in docs/firmware.md), measured = in_valid to out_valid in simulation, "
          "the same for every event; the cosim fails unless they are equal. ns at "
          f"{CLOCK_MHZ:.0f} MHz. Est. Fmax from the delay model below (tops with two clocks, the IPbus tops: the "
          "algorithm clock `clk`; the register clock `ipb_clk` and the crossings are listed under \"Longest paths\"); "
          "at min(480 MHz, est. Fmax) the latencies are: "
          + ", ".join(f"{r['config']} {r['latency_ns_at_est_clock']} ns" for r in data.get("configs", [])
                      if "latency_ns_at_est_clock" in r) + ".",
          "", "Golden vectors (Python fixed model, `l1ot export`) built from: " + "; ".join(srcs) + ".",
          "", "Golden vectors streamed back to back per configuration (`tbutil.select_vectors`; `rare:N` = every "
          "constructed-category vector + N bulk random/sample ones): "
          + ", ".join(f"{r['config']} {r.get('selection') or 'all'} ({r['golden_vectors_streamed']})"
                      for r in data.get("configs", []) if "golden_vectors_streamed" in r) + "."]
    L += ["", "Firmware default: **K=64 REUSE=1 species-cm** (`l1ot_kernel_cm` on the trained species model, "
          "K = 64; its Run-3 preset: K=64 REUSE=1 species-run3 on the XC7VX690T). The sorted K = 32 top "
          "(K=32 REUSE=1 cm, run3) stays a documented configuration. Every resource and Fmax figure is a Yosys "
          "estimate with the project's delay model (below), not a Vivado result."]
    L += ["", "Variant `p1`: one comparator layer / adder level / compare level per pipeline stage "
          "(SORT_LAYERS_PER_STAGE = ADD_LEVELS_PER_STAGE = MIN_LEVELS_PER_STAGE = 1); default: 2 each.",
          "", "Variant `rl`: the reloadable-reference kernel `l1ot_kernel_rl` (medoids in the double-buffered "
          "memory `l1ot_refmem`, written through IPbus; one level per stage; docs/firmware.md). Its cosim row is "
          "the combined top `l1ot_kernel_rl_ipb` (register bank + memory; latency + 1)."]
    L += reload_cost(data)
    L += ["", "## Goals", "", "| config | goal | met |", "|---|---|---|"]
    for r in data.get("configs", []):
        for g, ok in r.get("goals", {}).items():
            L.append(f"| K={r['K']} REUSE={r['REUSE']}{' ' + r['variant'] if r['variant'] else ''} | {g} | "
                     f"{'yes' if ok else '**no**'} |")
    fc = data.get("float_check")
    L += ["", "## Float comparison (bundled sample)", ""]
    if fc:
        L += [f"Sample: {fc.get('sample')}; events per file: {fc.get('files')}.", "",
              f"Events: {fc['events']}; firmware vs fixed model mismatches: {fc['bitexact_mismatches_vs_fixed']}.", "",
              f"Deviations in GeV over unsaturated scores ({fc.get('saturated_scores_excluded', 0)} saturated "
              "score(s) excluded; they are counted in the drift table below).", "",
              "| vs | mean abs (GeV) | rms | max abs | median rel | p95 rel | Pearson |", "|---|---|---|---|---|---|---|"]
        for key, name in (("vs_float_linw2", "float LinW2 (POT)"), ("vs_exact_w2", "exact W2 to nearest medoid")):
            s = fc[key]
            L.append(f"| {name} | {s['mean_abs']:.3f} | {s['rms']:.3f} | {s['max_abs']:.3f} | {s['median_rel']:.4f} | "
                     f"{s['p95_rel']:.4f} | {_f(s['pearson'], '{:.5f}')} |")
        dr = fc.get("drift_vs_float_linw2")
        if dr:
            L += ["", "Score drift against float LinW2 (POT), in score LSBs (`l1ot.kernel.drift`: exact < 1, "
                  f"1 LSB < 2, small ≤ {100 * dr['small_rel']:.0f}% of the value, big otherwise):", "",
                  "| exact | 1 LSB | small | big | saturated | median abs | max abs |", "|---|---|---|---|---|---|---|",
                  "| " + " | ".join(f"{dr['counts'][b]} ({100 * dr['fractions'][b]:.1f}%)"
                                   for b in ("exact", "1 LSB", "small", "big"))
                  + f" | {dr['saturated']} | {dr['median_abs_lsb']:.2f} | {dr['max_abs_lsb']:.1f} |"]
        L += ["", f"Firmware argmin = float LinW2 argmin: {100 * fc['argmin_agreement']:.1f}% of events.", "",
              "| signal | AUC firmware | AUC float LinW2 | AUC exact W2 |", "|---|---|---|---|"]
        for sig, a in fc["auc"].items():
            L.append(f"| {sig} | {a['firmware']:.4f} | {a['float_linw2']:.4f} | {a['exact_w2']:.4f} |")
    else:
        L.append("Not run (bundled sample `data/*.h5` or trained model not available when the report was made).")
    if dev:
        L += ["", "## Device and delay model", "",
              f"Percentages of a {dev['name']} ({dev['source']}): {dev['LUT']:,} LUT, {dev['FF']:,} FF, "
              f"{dev['CARRY8']:,} CARRY8, {dev['DSP']:,} DSP48E2, {dev['BRAM36']:,} BRAM36.", ""]
        dm = data.get("delay_model", {})
        if dm:
            L.append(f"Fmax estimate: longest register-to-register path of the Yosys-mapped, flattened netlist with "
                     f"{dm['ns']} ns per cell and {dm['reg_overhead_ns']} ns register overhead ({dm['note']}).")
        L += ["", "Synthesis inputs (package and its precision config):", ""]
        for key, s in data.get("synth", {}).items():
            L.append(f"* {key}: `{s.get('package', '?')}` ({s.get('package_header', '?')})")
        L += ["", "With REUSE = 1 the medoid constants reach the distance units through ports of a shared module, "
              "so the resource figures do not depend on the ROM contents; with REUSE > 1 the per-unit ROM "
              "multiplexers do."]
        for key, s in data.get("synth", {}).items():
            t = s.get("timing")
            if not t:
                continue
            doms = t.get("domains", {})
            if len(doms) <= 1:
                L += ["", f"### Longest paths per stage, {key} (Yosys {s.get('yosys_seconds')} s)", "",
                      "| stage (end point) | path ns | cells on path |", "|---|---|---|"]
                for st, v in list(t["stages"].items())[:12]:
                    L.append(f"| `{st}` | {v['path_ns']} | {v['levels']} |")
                continue
            L += ["", f"### Longest paths per stage and clock domain, {key} (Yosys {s.get('yosys_seconds')} s)", "",
                  "Est. Fmax per clock domain (registers classified by the top-level port on their clock pin; "
                  "a path counts in a domain when both its registers are in it, paths from input ports in the "
                  "end point's domain): "
                  + ", ".join(f"`{d}` {v['fmax_est_mhz']} MHz ({v['worst_path_ns']} ns, {v['registers']} registers)"
                              for d, v in doms.items())
                  + f". The row's est. Fmax is `{t.get('domain')}`'s.", "",
                  "| clock | stage (end point) | path ns | cells on path |", "|---|---|---|---|"]
            for d, v in doms.items():
                for st, sv in list(v["stages"].items())[:12]:
                    L.append(f"| `{d}` | `{st}` | {sv['path_ns']} | {sv['levels']} |")
            cdc = t.get("cdc", [])
            L += ["", f"Clock-domain crossings of {key} ({len(cdc)} groups of register bits, longest first; in no "
                  "domain's Fmax; constrain them as docs/firmware.md \"Clock-domain crossing\" says):", "",
                  "| from | to | path ns | cells on path | start register | end register | synchroniser |",
                  "|---|---|---|---|---|---|---|"]
            for c in cdc[:16]:
                L.append(f"| `{c['from']}` | `{c['to']}` | {c['path_ns']} | {c['levels']} | `{c['start']}` | "
                         f"`{c['end']}` | {'yes (ASYNC_REG)' if c['synchroniser'] else 'no (data held by the handshake)'} |")
    return "\n".join(L) + "\n"
