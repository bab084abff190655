"""Constant-matrix distance block (``l1ot_cmvm.sv``) for the RTL kernel ``l1ot_kernel_cm``.

The squared distance of a sorted event ``x`` (3 n_obj working coordinates, axis-major)
to medoid ``m`` is, exactly in integers,

    D[m] = sum x^2 + (sum c_m^2 - 2 <x, c_m>)

The medoid constants ``c_m`` come from the model file (the ROM of
:func:`l1ot.kernel.fixed.medoid_rom`), so ``D`` is a constant matrix times the vector
``[x, s]`` with ``s[m] = sum x^2 + C[m]``, ``C[m] = sum R[m]^2``:
``D = [x, s] @ W``, ``W = [[-2 R^T], [I_K]]`` (shape (3 n_obj + K, K)). The K constant
additions ``s[m] = sx + C[m]`` are made by the wrapper in front of the graph's input
register, on the sum x^2 path, which has slack; inside the graph a constant added in
the last stage would make Yosys merge it with the last adder into a three-operand
adder (one LUT level more on the critical stage).
:func:`build` hands that product to `da4ml <https://pypi.org/project/da4ml/>`_ (the
distributed-arithmetic constant-matrix-vector optimiser behind hls4ml's DA strategy),
which turns it into a shared shift-add graph (no multipliers, no DSPs) and splits it
into pipeline stages of at most ``latency_cutoff`` adder levels. :func:`write_verilog`
emits that graph as Verilog (da4ml's code generator) plus a generated SystemVerilog
wrapper ``l1ot_cmvm`` with the kernel's port layout and a package ``l1ot_cmvm_pkg``
holding its latency. Nothing in the file is typed by hand; every constant comes from
the precision config and the model file.

Exactness: ``D[m]`` is an integer in ``[0, d_max]`` for every input in the working
ranges; da4ml's interval arithmetic only widens the outputs (a signed interval that
contains ``[0, d_max]``), so the low ``D_W`` bits of each output are ``D[m]``. The
generator checks the graph against integer numpy on the golden-style edge cases
(all-zero, all-maximum, all-minimum angles, the medoids themselves, random vectors)
before writing.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..errors import ConfigError

AXES = ("pt", "eta", "phi")
#: adder levels per pipeline stage in da4ml's latency units (one unit per adder): one adder per
#: 480 MHz cycle (measured with the delay model of firmware/synth/run_yosys.py: 2.05 ns for
#: cutoff 1; two chained adders, cutoff 2, give 2.75 ns; docs/firmware.md)
DEFAULT_LATENCY_CUTOFF = 1.0
DEFAULT_HARD_DC = 0           # da4ml delay constraint: minimal adder depth
_STATIC = ("shift_adder", "negative")


def matrix(rom: np.ndarray, cfg):
    """Constant matrix and vector of the identity.

    Parameters
    ----------
    rom : int (K, n_obj, 3) medoid ROM (working units)
    cfg : KernelConfig

    Returns
    -------
    W : int64 (3 n_obj + K, K)   rows: x_pt[0..n-1], x_eta[..], x_phi[..], then s[0..K-1]
    C : int64 (K,)               sum of squares of each medoid (s[m] = sum x^2 + C[m])
    """
    rom = np.asarray(rom, dtype=np.int64)
    K, n = rom.shape[0], cfg.n_obj
    R = rom.transpose(0, 2, 1).reshape(K, 3 * n)  # axis-major, as the kernel's x vector
    W = np.vstack([-2 * R.T, np.eye(K, dtype=np.int64)])
    C = (R * R).sum(1)
    return W, C


def input_ranges(cfg, C=None):
    """(lo, hi) int64 arrays of the graph inputs: working ranges of x (3 n_obj), then
    ``s[m] = sum x^2 + C[m]`` in ``[C[m], d_max + C[m]]`` (``C`` None: only the x part)."""
    n = cfg.n_obj
    lo = [cfg.x_range[a][0] for a in AXES for _ in range(n)]
    hi = [cfg.x_range[a][1] for a in AXES for _ in range(n)]
    if C is not None:
        lo += [int(c) for c in C]
        hi += [int(cfg.d_max) + int(c) for c in C]
    return np.array(lo, np.int64), np.array(hi, np.int64)


def build(rom, cfg, latency_cutoff: float | None = DEFAULT_LATENCY_CUTOFF, hard_dc: int = DEFAULT_HARD_DC):
    """da4ml graph computing ``D = [x, sx] @ W + C`` (see the module docstring).

    Returns
    -------
    da4ml.types.Pipeline (``latency_cutoff`` > 0) or da4ml.types.CombLogic (None: one
    combinational block, no registers)
    """
    from da4ml.trace import FixedVariableArray, comb_trace, to_pipeline

    W, C = matrix(rom, cfg)
    lo, hi = input_ranges(cfg, C)
    x = FixedVariableArray.from_lhs(lo.astype(np.float64), hi.astype(np.float64), np.ones(len(lo)),
                                    hwconf=(1, -1, -1), latency=0.0,
                                    solver_options={"hard_dc": int(hard_dc)})
    y = x @ np.ascontiguousarray(W, dtype=np.float64)
    comb = comb_trace(x, y, keep_dead_inputs=True)
    if latency_cutoff is None:
        return comb
    return to_pipeline(comb, float(latency_cutoff), verbose=False)


def _check(pipe, rom, cfg, n_random: int = 200, seed: int = 0) -> int:
    """Compare the graph with integer numpy on edge cases and random vectors; returns the count."""
    W, C = matrix(rom, cfg)
    lo, hi = input_ranges(cfg)
    n = cfg.n_obj
    R = np.asarray(rom, np.int64).transpose(0, 2, 1).reshape(rom.shape[0], 3 * n)
    rng = np.random.default_rng(seed)
    xs = [np.zeros(3 * n, np.int64), hi.copy(), lo.copy()]
    xs += [r for r in R]
    xs += [rng.integers(lo, hi + 1) for _ in range(n_random)]
    for x in xs:
        v = np.concatenate([x, (x * x).sum() + C])
        got = np.asarray(pipe(v.astype(np.float64)))  # Pipeline or CombLogic
        want = v @ W
        if not np.array_equal(got.astype(np.int64), want) or not np.all(got == want):
            raise ConfigError(f"da4ml constant-matrix graph differs from integer numpy for x={x.tolist()}")
        if want.min() < 0 or want.max() > cfg.d_max:
            raise ConfigError("identity check: a distance outside [0, d_max]")
    return len(xs)


def _kif_width(q) -> tuple[int, int]:
    from da4ml.types import minimal_kif

    k, i, f = minimal_kif(q)
    if f > 0:
        raise ConfigError(f"da4ml interval {q} has fractional bits; the distance block is integer")
    return int(k), int(k + i + f)


def prefix_modules(text: str, name: str) -> str:
    """Every module and package declared in ``text`` renamed after the export ``name``
    (whole words: declarations, instances, package references): ``l1ot_<x>`` ->
    ``<name>_<x>``, da4ml's library modules ``<m>`` -> ``<name>_<m>``."""
    from .rtl import _DECL_RE, check_name, prefixed

    check_name(name)
    new = {}
    for n in _DECL_RE.findall(text):
        new[n] = prefixed(n, name) if n.startswith("l1ot_") else f"{name}_{n}"
    pat = re.compile(r"\b(" + "|".join(re.escape(n) for n in sorted(new, key=len, reverse=True)) + r")\b")
    return pat.sub(lambda m: new[m.group(1)], text)


def verilog_text(rom, cfg, latency_cutoff: float | None = DEFAULT_LATENCY_CUTOFF,
                 hard_dc: int = DEFAULT_HARD_DC, header: str = "", name: str = "l1ot") -> tuple[str, dict]:
    """Text of ``l1ot_cmvm.sv`` and a summary dict (latency, adders, cost).

    ``latency_cutoff`` None: one combinational block (``LATENCY`` 0, for the Run-3
    two-cycle preset); otherwise pipeline stages of at most that many adder levels.
    ``name``: export name (:mod:`l1ot.export.rtl`); every module and package of the
    file is renamed after it (:func:`prefix_modules`), da4ml's library modules too.
    """
    import da4ml
    from da4ml.codegen.rtl.verilog import comb_logic_gen, pipeline_logic_gen
    from da4ml.types import Pipeline

    rom = np.asarray(rom, np.int64)
    K, n = rom.shape[0], cfg.n_obj
    pipe = build(rom, cfg, latency_cutoff, hard_dc)
    n_checked = _check(pipe, rom, cfg)
    if pipe.shape != (3 * n + K, K):
        raise ConfigError(f"da4ml graph has shape {pipe.shape}, expected {(3 * n + K, K)}")
    _, C = matrix(rom, cfg)
    if any(s != 0 for s in pipe.inp_shifts):
        raise ConfigError("da4ml input shifts are not supported by the wrapper")
    d_w = int(cfg.d_bits)
    if isinstance(pipe, Pipeline):
        codes = pipeline_logic_gen(pipe, "l1ot_cmvm_core", timescale=None)
        n_stages = len(pipe.solutions)
        latency = n_stages + 1                # input register of stage 0 + one per stage
        solutions = pipe.solutions
        out_shift, out_neg = pipe.out_shift, pipe.out_neg
    else:
        codes = {"l1ot_cmvm_core": comb_logic_gen(pipe, "l1ot_cmvm_core", timescale=None)}
        n_stages, latency, solutions = 0, 0, (pipe,)
        out_shift, out_neg = pipe.out_shifts, pipe.out_negs
    # input packing: inputs in order, each minimal_kif wide (two's complement if signed)
    xw = {a: cfg.x_bits[a] for a in AXES}
    lines_in, pos = [], 0
    for j, q in enumerate(pipe.inp_qint):
        signed, w = _kif_width(q)
        if w == 0:
            continue
        if j < 3 * n:
            a, i = AXES[j // n], j % n
            src_w = xw[a]
            src = f"x_{a}[{i * src_w} +: {src_w}]"
            if w != src_w:
                raise ConfigError(f"da4ml input {j}: {w} bits, the kernel carries {src_w}")
            ext = src
        else:
            # s[m] = sum x^2 + C[m]: the medoid's constant, added in front of the graph
            m = j - 3 * n
            if w < d_w or signed:
                raise ConfigError(f"da4ml input s[{m}]: {w} bits, needs >= {d_w} unsigned")
            ext = f"{w}'(sx) + {w}'({int(C[m])})"
        lines_in.append(f"assign core_in[{pos} +: {w}] = {ext};")
        pos += w
    in_bits = pos
    lines_out, pos = [], 0
    for m, q in enumerate(pipe.out_qint):
        signed, w = _kif_width(q)
        if w < d_w and q.max > 0:
            # an output narrower than D_W holds its whole interval: zero-extend
            lines_out.append(f"assign out_d[{m * d_w} +: {d_w}] = {d_w}'(core_out[{pos} +: {w}]);")
        else:
            lines_out.append(f"assign out_d[{m * d_w} +: {d_w}] = core_out[{pos} +: {d_w}];")
        pos += w
    out_bits = pos
    del out_shift, out_neg   # applied inside the generated graph; the cosim checks the Verilog
    n_add = sum(1 for s in solutions for o in s.ops if o.opcode in (0, 1, 4))
    info = {"K": K, "latency": latency, "stages": n_stages, "latency_cutoff": latency_cutoff,
            "hard_dc": hard_dc, "adders": n_add, "cost": float(pipe.cost), "in_bits": in_bits,
            "out_bits": out_bits, "checked_vectors": n_checked, "da4ml_version": da4ml.__version__}
    src_dir = Path(da4ml.__file__).parent / "codegen" / "rtl" / "verilog" / "source"
    static = []
    for lib in _STATIC:
        t = (src_dir / f"{lib}.v").read_text().replace("`timescale 1ns / 1ps", "")
        static.append(f"// ---- da4ml {da4ml.__version__} library module {lib}.v (renamed after the export)\n"
                      + t.strip() + "\n")
    body = "\n\n".join(codes[k] for k in sorted(codes))
    text = f"""// {header}
// l1ot constant-matrix distance block, generated by l1ot.export.cmvm (do not edit).
// D[m] = (sum x^2 + sum c_m^2) - 2 <x, c_m>, m = 0..{K - 1}: da4ml {da4ml.__version__} shift-add graph,
// {n_add} adders, {f"{n_stages} stage(s) of <= {latency_cutoff:g} adder levels" if n_stages else "combinational"}, latency {latency} cycles.
`timescale 1ns / 1ps

/* verilator lint_off DECLFILENAME */   // one generated file: package, wrapper and graph
package l1ot_cmvm_pkg;
    localparam int K = {K};
    localparam int D_W = {d_w};
    localparam int N = {n};
    localparam int XPT_W = {xw['pt']};
    localparam int XETA_W = {xw['eta']};
    localparam int XPHI_W = {xw['phi']};
    // cycles from x/sx at the inputs to out_d (input register + one per stage)
    localparam int LATENCY = {latency};
endpackage

module l1ot_cmvm #(
    // objects per embedding
    parameter int N = {n},
    // working widths (pT unsigned, eta/phi two's complement)
    parameter int XPT_W = {xw['pt']},
    parameter int XETA_W = {xw['eta']},
    parameter int XPHI_W = {xw['phi']},
    // distance width
    parameter int D_W = {d_w},
    // medoids (fixed by the generated graph)
    parameter int K = {K}
) (
    {"" if latency else "/* verilator lint_off UNUSEDSIGNAL */   // combinational graph"}
    input  wire logic                clk,
    {"" if latency else "/* verilator lint_on UNUSEDSIGNAL */"}
    input  wire logic [N*XPT_W-1:0]  x_pt,
    input  wire logic [N*XETA_W-1:0] x_eta,
    input  wire logic [N*XPHI_W-1:0] x_phi,
    input  wire logic [D_W-1:0]      sx,
    output wire logic [K*D_W-1:0]    out_d
);

if (N != {n} || XPT_W != {xw['pt']} || XETA_W != {xw['eta']} || XPHI_W != {xw['phi']} || D_W != {d_w} || K != {K}) begin : g_check_0
    $error("l1ot_cmvm: parameters differ from the generated graph (N={n}, widths {xw['pt']}/{xw['eta']}/{xw['phi']}, D_W={d_w}, K={K})");
    l1ot_param_check_failed u_check_failed ();   // exists nowhere: fails elaboration where $error is ignored
end

wire logic [{in_bits - 1}:0] core_in;
/* verilator lint_off UNUSEDSIGNAL */   // upper bits of widened outputs
wire logic [{out_bits - 1}:0] core_out;
/* verilator lint_on UNUSEDSIGNAL */
/* verilator lint_off UNUSEDSIGNAL */
wire logic unused_ok = 1'b0;
/* verilator lint_on UNUSEDSIGNAL */

{chr(10).join(lines_in)}

{"l1ot_cmvm_core u_core (.clk(clk), .model_inp(core_in), .model_out(core_out));" if latency else "l1ot_cmvm_core u_core (.model_inp(core_in), .model_out(core_out));"}

{chr(10).join(lines_out)}

endmodule

// ---- da4ml-generated graph
/* verilator lint_off WIDTHEXPAND */
/* verilator lint_off WIDTHTRUNC */
/* verilator lint_off UNUSEDSIGNAL */
/* verilator lint_off DECLFILENAME */
{body}

{chr(10).join(static)}
/* verilator lint_on DECLFILENAME */
/* verilator lint_on UNUSEDSIGNAL */
/* verilator lint_on WIDTHTRUNC */
/* verilator lint_on WIDTHEXPAND */
"""
    return prefix_modules(text, name), info


def write_verilog(cfg, model, rom, path, latency_cutoff: float | None = DEFAULT_LATENCY_CUTOFF,
                  hard_dc: int = DEFAULT_HARD_DC, name: str = "l1ot") -> dict:
    """Write ``l1ot_cmvm.sv`` for the model's ROM (``l1ot export``); returns the summary.
    ``name``: export name (modules ``<name>_cmvm``, ``<name>_cmvm_core*``, ...)."""
    src = getattr(model, "path", None) or "model"
    text, info = verilog_text(rom, cfg, latency_cutoff, hard_dc,
                              header=f"config {cfg.source} sha256 {cfg.sha256}; model {src}", name=name)
    Path(path).write_text(text)
    return info
