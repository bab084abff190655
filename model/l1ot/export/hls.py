"""Generate the HLS ``parameters.h`` from the three sources of truth.

``write_parameters_h(cfg, model, rom, path)`` is called by ``l1ot export``. The
header holds everything the header-only kernel in ``hls/firmware/`` needs:

* the named integer types (``ap_uint``/``ap_int``) with unit and LSB comments,
  every width derived from the precision config (:class:`l1ot.kernel.fixed.KernelConfig`);
* the config struct ``config_l1ot`` (template parameter of the kernel,
  hls4ml ``nnet_utils`` style), with the reuse factor overridable at compile
  time by ``-DL1OT_REUSE=<R>``;
* the sorting network as compare-exchange calls, layer by layer, generated from
  the comparator-list JSON (:mod:`l1ot.kernel.sortnet`) that the Python model uses;
* the medoid ROM (stage-b output of every medoid event, ``l1ot.kernel.fixed.medoid_rom``)
  and the trigger threshold of the model file.

The file is generated, never edited by hand; it carries no time stamp so that
regenerating from the same inputs gives the same bytes.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ConfigError, ModelError

AXES = ("pt", "eta", "phi")

#: unit of one metric unit on each axis
_AXIS_UNIT = {"pt": "GeV", "eta": "(eta, dimensionless)", "phi": "rad"}


# --------------------------------------------------------------------------
# small integer utilities
# --------------------------------------------------------------------------
from ..kernel.fixed import _signed_bits, _unsigned_bits  # noqa: E402  (one definition of the width rules)


def _rnd_shift(v: int, s: int) -> int:
    return v if s == 0 else (v + (1 << (s - 1))) >> s


def _ap(signed: bool, bits: int) -> str:
    return f"ap_int<{bits}>" if signed else f"ap_uint<{bits}>"


def _fmt_lsb(x: float) -> str:
    return f"{x:.9g}"


def _raw_range(cfg, axis: str) -> tuple[int, int]:
    bits = int(getattr(cfg, f"{axis}_bits"))
    if axis == "pt":
        return 0, (1 << bits) - 1
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def _input_lsb(cfg, axis: str):
    """Input LSB of one axis in metric units (``KernelConfig.field_lsb``), or None."""
    lsb = getattr(cfg, "field_lsb", None)
    if isinstance(lsb, dict) and axis in lsb:
        return float(lsb[axis])
    return None


def model_sha256(model) -> str:
    """SHA-256 of the model, as in the golden-vector header (``l1ot.export.identity.model_sha256``)."""
    from .identity import model_sha256 as sha

    return sha(model)


def rom_sha256(rom) -> str:
    """SHA-256 of the ROM, as in the golden-vector header (``l1ot.export.identity.rom_sha256``)."""
    from .identity import rom_sha256 as sha

    return sha(rom)


def _network(cfg):
    from ..kernel import sortnet

    net = getattr(cfg, "network", None)
    if net is None:
        transport = getattr(cfg, "transport", "sorted")
        net = {"sorted": "sort19", "species": "species19"}.get(transport)
        if net is None:
            raise ConfigError(f"no sorting network for transport '{transport}'")
    if isinstance(net, (str, Path)):
        net = sortnet.load(str(net))
    return net


# --------------------------------------------------------------------------
# derived widths
# --------------------------------------------------------------------------
def derive(cfg, k: int) -> dict:
    """All integer widths and constants of the HLS kernel for ``k`` medoids.

    Checks that the widths published by the precision config hold the extreme
    values the kernel can produce (raises :class:`ConfigError` otherwise), and
    derives the internal widths the config does not publish (multiplier
    products, differences, squares).
    """
    n_obj = int(cfg.n_obj)
    d = {"n_obj": n_obj, "k": int(k)}
    d["word_bits"] = int(cfg.word_bits)
    if d["word_bits"] != int(cfg.pt_bits) + int(cfg.eta_bits) + int(cfg.phi_bits):
        raise ConfigError("word_bits must equal pt_bits + eta_bits + phi_bits")
    xmin, xmax = {}, {}
    for a in AXES:
        m, s = int(cfg.mult[a]), int(cfg.shift[a])
        if m <= 0 or s < 0:
            raise ConfigError(f"axis {a}: multiplier must be > 0 and shift >= 0, got M={m}, S={s}")
        lo, hi = _raw_range(cfg, a)
        d[f"{a}_bits"] = int(getattr(cfg, f"{a}_bits"))
        d[f"{a}_mult"], d[f"{a}_shift"] = m, s
        plo, phi_ = lo * m, hi * m + ((1 << (s - 1)) if s else 0)
        d[f"{a}_prod_signed"] = a != "pt"
        d[f"{a}_prod_bits"] = (_signed_bits(plo, phi_) if a != "pt" else _unsigned_bits(phi_))
        xmin[a], xmax[a] = _rnd_shift(lo * m, s), _rnd_shift(hi * m, s)
        xb, xs = int(cfg.x_bits[a]), bool(cfg.x_signed[a])
        need = _signed_bits(xmin[a], xmax[a]) if xs else (_unsigned_bits(xmax[a]) if xmin[a] >= 0 else None)
        if need is None or need > xb:
            raise ConfigError(
                f"axis {a}: working range [{xmin[a]}, {xmax[a]}] does not fit "
                f"{'signed' if xs else 'unsigned'} {xb} bits")
        d[f"x{a}_bits"], d[f"x{a}_signed"] = xb, xs
        d[f"x{a}_min"], d[f"x{a}_max"] = xmin[a], xmax[a]
    if d["xpt_signed"]:
        raise ConfigError("the working pT must be unsigned (it is the sort key)")
    d["tag_bits"] = int(cfg.tag_bits)
    if (1 << d["tag_bits"]) < n_obj:
        raise ConfigError(f"tag_bits={d['tag_bits']} cannot tag {n_obj} slots")
    d["key_bits"] = int(cfg.key_bits)
    if d["key_bits"] != d["xpt_bits"] + d["tag_bits"]:
        raise ConfigError("key_bits must equal the working pT width + tag_bits")
    # differences and squares: from the type ranges of the working coordinates
    span = {a: xmax[a] - xmin[a] for a in AXES}
    d["diff_bits"] = max(_signed_bits(-span[a], span[a]) for a in AXES)
    d["sq_bits"] = _unsigned_bits(max(span.values()) ** 2)
    d_max = n_obj * sum(span[a] ** 2 for a in AXES)
    d["d_bits"] = int(cfg.d_bits)
    if _unsigned_bits(d_max) > d["d_bits"]:
        raise ConfigError(f"d_bits={d['d_bits']} cannot hold the maximum distance {d_max}")
    if d["sq_bits"] > d["d_bits"]:
        d["sq_bits"] = d["d_bits"]
    d["score_bits"], d["score_shift"] = int(cfg.score_bits), int(cfg.score_shift)
    if not 1 <= d["score_bits"] <= 63:
        raise ConfigError(f"score_bits must be in 1..63, got {d['score_bits']}")
    d["score_max"] = (1 << d["score_bits"]) - 1
    d["score_can_saturate"] = (d_max >> d["score_shift"]) > d["score_max"]
    d["idx_bits"] = int(cfg.idx_bits(k))
    if (1 << d["idx_bits"]) < k:
        raise ConfigError(f"idx_bits={d['idx_bits']} cannot index {k} medoids")
    d["reuse_factor"] = int(getattr(cfg, "reuse_factor", 1) or 1)
    # constant-matrix identity D = sum x^2 + (sum c^2 - 2 <x, c>): |<x, c>| <= d_max and
    # 0 <= sum c^2 <= d_max, so sum c^2 - 2 <x, c> and 2 <x, c> lie in [-3 d_max, 3 d_max]
    d["cm_bits"] = _signed_bits(-3 * d_max, 3 * d_max)   # headroom for 2 <x, c> before the subtraction
    d["prod_bits"] = max(_signed_bits(min(c), max(c)) for c in
                         ([xmin[a] * xmin[a], xmin[a] * xmax[a], xmax[a] * xmax[a]] for a in AXES))
    d["work_frac_bits"] = int(cfg.work_frac_bits)
    return d


# --------------------------------------------------------------------------
# code generation
# --------------------------------------------------------------------------
def sorter_code(net, struct_name: str | None = None) -> str:
    """C++ struct with a static ``sort(T w[n])`` made of compare-exchange calls.

    One block per layer (one pipeline stage in the firmware); the calls use
    ``l1ot::compare_exchange`` (larger key to the lower wire).
    """
    name = struct_name or f"sorter_{net.name}"
    lines = [
        f"// Sorting network '{net.name}': {net.n} wires, {net.size} compare-exchange elements, "
        f"{net.depth} layers.",
    ]
    if getattr(net, "source", ""):
        src = " ".join(str(net.source).split())
        lines.append(f"// Source: {src}")
    if getattr(net, "blocks", None):
        lines.append("// Sorts only inside the blocks " + " ".join(
            "{" + ",".join(str(w) for w in b) + "}" for b in net.blocks))
    lines += [
        f"struct {name} {{",
        f"    static const unsigned n = {net.n};",
        f"    static const unsigned depth = {net.depth};",
        f"    static const unsigned size = {net.size};",
        f"    template <class T> static void sort(T w[{net.n}]) {{",
        "        #pragma HLS INLINE",
    ]
    for li, layer in enumerate(net.layers):
        lines.append(f"        // layer {li}: {len(layer)} comparators")
        for i, j in layer:
            lines.append(f"        l1ot::compare_exchange(w[{i}], w[{j}]);")
    lines += ["    }", "};"]
    return "\n".join(lines)


def _rom_array(ctype: str, name: str, values: np.ndarray, comment: str) -> str:
    k, n = values.shape
    rows = []
    for m in range(k):
        rows.append("    {" + ", ".join(str(int(v)) for v in values[m]) + "}")
    return (f"// {comment}\nstatic const {ctype} {name}[{k}][{n}] = {{\n" + ",\n".join(rows) + "\n};")


def _threshold(thr, d):
    """Checked trigger threshold (kernel score units), or None (trig = 0)."""
    if thr is None:
        return None
    if int(thr) != thr or not 0 <= int(thr) <= d["score_max"]:
        raise ModelError(f"threshold {thr!r} is not an integer in 0..{d['score_max']} "
                         f"(score_bits={d['score_bits']})")
    return int(thr)


def parameters_h(cfg, model, rom, threshold: int | None = None) -> str:
    """Text of ``parameters.h`` (see :func:`write_parameters_h`)."""
    rom = np.asarray(rom)
    if rom.ndim != 3 or rom.shape[1:] != (int(cfg.n_obj), 3):
        raise ModelError(f"medoid ROM must have shape (K, {cfg.n_obj}, 3), got {rom.shape}")
    if not np.issubdtype(rom.dtype, np.integer):
        raise ModelError(f"medoid ROM must be integer, got {rom.dtype}")
    k = rom.shape[0]
    d = derive(cfg, k)
    for ai, a in enumerate(AXES):
        lo, hi = int(rom[:, :, ai].min()), int(rom[:, :, ai].max())
        if lo < d[f"x{a}_min"] or hi > d[f"x{a}_max"]:
            raise ModelError(f"medoid ROM axis {a}: values [{lo}, {hi}] outside the working range "
                             f"[{d[f'x{a}_min']}, {d[f'x{a}_max']}]")
    thr = _threshold(getattr(model, "threshold", None) if threshold is None else threshold, d)
    net = _network(cfg)
    if net.n != d["n_obj"]:
        raise ConfigError(f"sorting network '{net.name}' has {net.n} wires, need {d['n_obj']}")

    f = d["work_frac_bits"]
    lsb_work = 2.0 ** -f
    cfg_sha = str(getattr(cfg, "sha256", "") or "")
    model_sha = model_sha256(model)
    r_sha = rom_sha256(rom)
    lsb_in = {a: _input_lsb(cfg, a) for a in AXES}

    def lsb_note(a):
        v = lsb_in[a]
        return f"LSB {_fmt_lsb(v)} {_AXIS_UNIT[a]}" if v is not None else "input LSB of the config"

    P = []
    w = P.append
    w("// parameters.h -- GENERATED by `l1ot export` (l1ot.export.hls); do not edit.")
    w("// Sources of truth: precision config, sorting-network JSON, model file.")
    w(f"//   config sha256 {cfg_sha or 'n/a'}")
    w(f"//   model  sha256 {model_sha or 'n/a'}")
    w(f"//   rom    sha256 {r_sha}")
    w(f"//   network {net.name}, transport {getattr(cfg, 'transport', 'n/a')}, K = {k}")
    w("#ifndef L1OT_PARAMETERS_H_")
    w("#define L1OT_PARAMETERS_H_")
    w("")
    w('#include "l1ot_ap.h"')
    w('#include "l1ot_kernel.h"')
    w("")
    w(f'#define L1OT_CONFIG_SHA256 "{cfg_sha}"')
    w(f'#define L1OT_MODEL_SHA256 "{model_sha}"')
    w(f'#define L1OT_ROM_SHA256 "{r_sha}"')
    w(f'#define L1OT_NETWORK_NAME "{net.name}"')
    w(f'#define L1OT_TRANSPORT "{getattr(cfg, "transport", "")}"')
    w("")
    w("// Reuse factor R (hls4ml convention): II = R, ceil(K/R) distances per cycle.")
    w("#ifndef L1OT_REUSE")
    w(f"#define L1OT_REUSE {d['reuse_factor']}")
    w("#endif")
    w("#ifndef L1OT_STRATEGY")
    w("#define L1OT_STRATEGY ((L1OT_REUSE) == 1 ? 1 : 0)")
    w("#endif")
    w("")
    w(f"static const unsigned N_OBJ = {d['n_obj']};     // object slots per event")
    w(f"static const unsigned N_MEDOID = {k};  // medoids K")
    w("")
    w("// ---- named types: width, signedness, unit and LSB -------------------------")
    U = _AXIS_UNIT
    types = [
        (f"ap_uint<{d['word_bits']}>", "obj_word_t",
         f"input word {{pt[{d['pt_bits']-1}:0], eta[{d['eta_bits']-1}:0], phi[{d['phi_bits']-1}:0]}}, "
         "pt in the high bits"),
        (f"ap_uint<{d['pt_bits']}>", "raw_pt_t", f"input pT, unsigned, {lsb_note('pt')}"),
        (f"ap_int<{d['eta_bits']}>", "raw_eta_t", f"input eta, signed, {lsb_note('eta')}"),
        (f"ap_int<{d['phi_bits']}>", "raw_phi_t", f"input phi, signed, {lsb_note('phi')}"),
    ]
    for a in AXES:
        types.append((_ap(d[f"{a}_prod_signed"], d[f"{a}_prod_bits"]), f"{a}_prod_t",
                      f"raw {a} * M_{a} (+ rounding half), LSB 2^{-(f + d[f'{a}_shift'])} {U[a]}"))
    for a in AXES:
        types.append((_ap(d[f"x{a}_signed"], d[f"x{a}_bits"]), f"x{a}_t",
                      f"working {a}, LSB 2^{-f} = {_fmt_lsb(lsb_work)} {U[a]}, "
                      f"range [{d[f'x{a}_min']}, {d[f'x{a}_max']}]"))
    rom_native = "int" if max(d["xpt_bits"], d["xeta_bits"], d["xphi_bits"]) < 32 else "long long"
    types += [
        (f"ap_uint<{d['tag_bits']}>", "tag_t", "slot tag N_OBJ-1-slot, LSB 1"),
        (f"ap_uint<{d['key_bits']}>", "sort_key_t", "sort key {x_pt, tag}, LSB 1 (unitless)"),
        (f"ap_int<{d['diff_bits']}>", "diff_t", f"coordinate difference, LSB 2^{-f} metric units"),
        (f"ap_uint<{d['sq_bits']}>", "sq_t", f"squared difference, LSB 2^{-2 * f} metric units^2"),
        (f"ap_uint<{d['d_bits']}>", "dist_t", f"squared distance D_m, LSB 2^{-2 * f} metric units^2"),
        (f"ap_uint<{d['score_bits']}>", "score_t", f"score = min(D_min >> {d['score_shift']}, "
         f"{d['score_max']}), LSB 2^{d['score_shift'] - 2 * f} metric units^2"),
        (f"ap_uint<{d['idx_bits']}>", "idx_t", "index of the nearest medoid, LSB 1"),
        (f"ap_int<{d['prod_bits']}>", "prod_t", f"product x * c of one coordinate with a ROM constant, "
         f"LSB 2^{-2 * f} metric units^2"),
        (f"ap_int<{d['cm_bits']}>", "cm_t", f"sum c^2 - 2 <x, c> (constant-matrix identity), "
         f"LSB 2^{-2 * f} metric units^2"),
        (rom_native, "rom_t", "medoid ROM element (holds x*_t values)"),
    ]
    width = max(len(f"typedef {t} {n};") for t, n, _ in types)
    for t, n, c in types:
        w(f"{f'typedef {t} {n};':<{width}} // {c}")
    w("")
    w("// ---- sorting network (stage b), generated from the comparator JSON -------")
    w(sorter_code(net))
    w("")
    w("// ---- kernel configuration (template parameter of l1ot::score_event) ------")
    w("struct config_l1ot {")
    w("    static const unsigned n_obj = N_OBJ;")
    w("    static const unsigned n_medoid = N_MEDOID;")
    w("    static const unsigned reuse_factor = L1OT_REUSE;")
    w("    static const unsigned n_parallel = L1OT_DIV_ROUNDUP(n_medoid, reuse_factor); // distances per step")
    w("    static const unsigned multiplier_limit = (n_parallel + 1) * 3 * n_obj; // squares + scaling")
    w("    // distance strategy: 1 = constant-matrix identity sum x^2 + (sum c^2 - 2 <x, c>) with the")
    w("    // products by ROM constants (shift-add, no DSP; the RTL l1ot_kernel_cm), 0 = per-medoid")
    w("    // squares (x - c)^2; -DL1OT_STRATEGY=<0|1>, default 1 for R = 1 and 0 otherwise")
    w("    static const unsigned strategy = L1OT_STRATEGY;")
    for a in AXES:
        w(f"    static const unsigned {a}_bits = {d[f'{a}_bits']}; // input {a} width")
    for a in AXES:
        w(f"    static const unsigned long long {a}_mult = {d[f'{a}_mult']}; // M_{a}")
        w(f"    static const int {a}_shift = {d[f'{a}_shift']}; // S_{a}")
    w(f"    static const unsigned tag_bits = {d['tag_bits']};")
    w(f"    static const unsigned score_shift = {d['score_shift']};")
    w(f"    static const unsigned score_bits = {d['score_bits']};")
    w(f"    static const unsigned long long score_max = {d['score_max']}ULL;")
    w(f"    static const bool score_can_saturate = {'true' if d['score_can_saturate'] else 'false'};")
    w(f"    static const bool has_threshold = {'false' if thr is None else 'true'}; // no threshold: trig = 0")
    w(f"    static const unsigned long long threshold = {0 if thr is None else thr}ULL; // trig = score >= threshold")
    w("    typedef ::obj_word_t word_t;")
    w("    typedef ::sort_key_t key_t;")
    for t in ("raw_pt_t", "raw_eta_t", "raw_phi_t", "pt_prod_t", "eta_prod_t", "phi_prod_t",
              "xpt_t", "xeta_t", "xphi_t", "tag_t", "rom_t", "diff_t", "sq_t", "dist_t", "score_t", "idx_t", "prod_t", "cm_t"):
        w(f"    typedef ::{t} {t};")
    w(f"    typedef sorter_{net.name} sorter;")
    w("};")
    w("static_assert(config_l1ot::reuse_factor >= 1, \"L1OT_REUSE must be >= 1\");")
    w("")
    w("// ---- medoid ROM (stage-b output of each medoid event), [K][N_OBJ] per axis")
    w("// Stored as plain integers (rom_t) holding x<axis>_t values; the kernel converts")
    w("// them to the working types (constant after unrolling, no memory is built).")
    for ai, a in enumerate(AXES):
        w(_rom_array("rom_t", f"medoid_{a}", rom[:, :, ai],
                     f"medoid {a}: x{a}_t values, working LSB 2^-{f} {_AXIS_UNIT[a]}, sorted order"))
    r = np.asarray(rom, dtype=np.int64)
    sq = (r * r).sum(axis=(1, 2))
    w("// sum of squares of each medoid (constant term of the identity), working LSB^2")
    w(f"static const long long medoid_sq[N_MEDOID] = {{{', '.join(f'{int(v)}LL' for v in sq)}}};")
    w("")
    w("#endif")
    return "\n".join(P) + "\n"


def write_parameters_h(cfg, model, rom, path, threshold: int | None = None) -> Path:
    """Write ``parameters.h`` for the HLS kernel.

    Parameters
    ----------
    cfg : l1ot.kernel.fixed.KernelConfig
        Precision config (widths, multipliers, shifts, network, reuse factor).
    model : l1ot.ot.linot.LinModel
        Trained model; its ``threshold`` (kernel score units, or None) is the
        trigger threshold; the SHA-256 of ``model.path`` goes into the header.
    rom : int array (K, 19, 3)
        Medoid ROM from :func:`l1ot.kernel.fixed.medoid_rom`, working LSB, sorted order,
        axes (pT, eta, phi).
    path : str or Path
        Output file (parent directories are created).
    threshold : int, optional
        Overrides ``model.threshold``. Without a threshold the trigger bit is 0
        (as in :func:`l1ot.kernel.fixed.run`).

    Returns
    -------
    Path of the written file.
    """
    text = parameters_h(cfg, model, rom, threshold=threshold)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path
