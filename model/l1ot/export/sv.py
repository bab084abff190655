"""SystemVerilog parameter package for the RTL kernel (``firmware/rtl``).

:func:`write_package` turns the three sources of truth -- the precision config
(:class:`l1ot.kernel.fixed.KernelConfig`), the sorting network (comparator-list JSON,
loaded by :mod:`l1ot.kernel.sortnet`) and the trained model (medoid ROM, trigger
threshold) -- into ``l1ot_params_pkg.sv``. Nothing in the RTL is typed by hand:
widths, multipliers and shifts, the network layer table, the ROM and the
threshold all come from here. The package is named ``<name>_params_pkg`` after the
export (:mod:`l1ot.export.rtl`; ``l1ot_params_pkg`` for the name ``l1ot``).

Package contents (all ``localparam``; Yosys-compatible: packed vectors only)

==================  ==========================================================
``N_OBJ``           objects per event (19)
``PT_BITS`` ...     raw input field widths; ``WORD_W`` = their sum (43)
``M_PT, S_PT`` ...  stage-a multiplier and rounding shift per axis
``XPT_W`` ...       working widths (pT unsigned, eta/phi two's complement)
``TAG_W``           slot-tag width of the sort key
``D_W``             squared-distance width
``SCORE_W``         score width; ``SCORE_SHIFT`` right shift D -> score
``THRESHOLD``       trigger threshold (score units)
``K, REUSE``        medoids and default reuse factor; ``ROM_K`` = K
``IDX_W``           argmin index width
``SORT_*``          network: ``SORT_PARTNER`` entry (layer l, wire w) at bits
                    ``[(l*N_OBJ + w)*SORT_PW +: SORT_PW]`` = partner wire
                    (itself when idle)
``ROM_PT`` ...      medoid m, sorted slot i: bits ``[(m*N_OBJ + i)*W +: W]``
==================  ==========================================================
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ConfigError, ModelError

AXES = ("pt", "eta", "phi")
PACKAGE_NAME = "l1ot_params_pkg"


def _get(cfg, name):
    if not hasattr(cfg, name):
        raise ConfigError(f"kernel config has no attribute '{name}' needed by the SV package")
    return getattr(cfg, name)


def _axis(d, axis, what):
    try:
        return d[axis]
    except (KeyError, TypeError, IndexError):
        raise ConfigError(f"kernel config: {what} has no entry for axis '{axis}'") from None


def network_layers(net, n_obj: int) -> list[list[tuple[int, int]]]:
    """Comparator layers of ``net`` (``Network`` or comparator list).

    Uses ``net.layers`` when present, else an as-soon-as-possible layering of
    ``net.comparators`` (order preserved: a comparator goes one layer after the
    last layer touching either of its wires).
    """
    layers = getattr(net, "layers", None)
    comps = getattr(net, "comparators", net)
    if layers:
        out = [[(int(i), int(j)) for (i, j) in layer] for layer in layers]
    else:
        depth = [0] * n_obj
        out = []
        for i, j in comps:
            i, j = int(i), int(j)
            lay = max(depth[i], depth[j])
            if lay == len(out):
                out.append([])
            out[lay].append((i, j))
            depth[i] = depth[j] = lay + 1
    for li, layer in enumerate(out):
        used = set()
        for i, j in layer:
            if not (0 <= i < j < n_obj):
                raise ConfigError(f"sorting network: layer {li}: comparator ({i}, {j}) needs 0 <= i < j < {n_obj}")
            if i in used or j in used:
                raise ConfigError(f"sorting network: layer {li}: wire used twice ({i}, {j})")
            used.update((i, j))
    return out


def partner_table(layers, n_obj: int) -> list[list[int]]:
    """(n_layers, n_obj) table: partner wire of each wire per layer (itself if idle)."""
    tab = []
    for layer in layers:
        row = list(range(n_obj))
        for i, j in layer:
            row[i], row[j] = j, i
        tab.append(row)
    return tab


def _hex_vector(values, width: int) -> str:
    """Packed SV literal: element 0 in the least-significant bits."""
    values = [int(v) for v in values]
    total = len(values) * width
    acc = 0
    mask = (1 << width) - 1
    for k, v in enumerate(values):
        if v < -(1 << (width - 1)) or v >= (1 << width):
            raise ConfigError(f"value {v} does not fit {width} bits")
        acc |= (v & mask) << (k * width)
    # long literals as a concatenation of <= 256-bit pieces, one per line
    piece = 256
    parts = []
    for lo in range(0, total, piece):
        w = min(piece, total - lo)
        v = (acc >> lo) & ((1 << w) - 1)
        parts.append(f"{w}'h{v:0{(w + 3) // 4}x}")
    if len(parts) == 1:
        return parts[0]
    return "{\n        " + ",\n        ".join(reversed(parts)) + "}"


def package_text(cfg, rom, threshold: int, *, network=None, reuse=None, comment: str = "",
                 name: str = "l1ot") -> str:
    """Return the package source text (see :func:`write_package`); the package is
    ``<name>_params_pkg`` (:mod:`l1ot.export.rtl`)."""
    from .rtl import check_name, prefixed

    package_name = prefixed(PACKAGE_NAME, check_name(name))
    n_obj = int(_get(cfg, "n_obj"))
    rom = np.asarray(rom)
    if rom.ndim != 3 or rom.shape[1:] != (n_obj, 3):
        raise ModelError(f"medoid ROM must have shape (K, {n_obj}, 3), got {rom.shape}")
    if not np.issubdtype(rom.dtype, np.integer):
        raise ModelError(f"medoid ROM must be integer, got {rom.dtype}")
    k = int(rom.shape[0])
    if k < 1:
        raise ModelError("medoid ROM is empty")

    mult, shift = _get(cfg, "mult"), _get(cfg, "shift")
    x_bits, x_signed = _get(cfg, "x_bits"), _get(cfg, "x_signed")
    if bool(_axis(x_signed, "pt", "x_signed")) or not bool(_axis(x_signed, "eta", "x_signed")) \
            or not bool(_axis(x_signed, "phi", "x_signed")):
        raise ConfigError("SV package expects x_pt unsigned and x_eta, x_phi signed")
    xw = {a: int(_axis(x_bits, a, "x_bits")) for a in AXES}
    for ai, a in enumerate(AXES):
        col = rom[:, :, ai]
        lo, hi = (-(1 << (xw[a] - 1)), (1 << (xw[a] - 1)) - 1) if a != "pt" else (0, (1 << xw[a]) - 1)
        if col.min() < lo or col.max() > hi:
            raise ModelError(f"medoid ROM axis {a}: values [{col.min()}, {col.max()}] outside {xw[a]}-bit range")

    score_bits = int(_get(cfg, "score_bits"))
    threshold = int(threshold)
    if not 0 <= threshold < (1 << score_bits):
        raise ModelError(f"threshold {threshold} does not fit score_bits={score_bits}")

    if network is None:
        network = _get(cfg, "network")
    if isinstance(network, str):
        from ..kernel import sortnet
        network = sortnet.load(network)
    layers = network_layers(network, n_obj)
    pw = max(1, int(np.ceil(np.log2(n_obj))))
    ptab = partner_table(layers, n_obj)
    flat_partner = [p for row in ptab for p in row]

    reuse = int(reuse if reuse is not None else _get(cfg, "reuse_factor"))
    idx_bits = cfg.idx_bits(k) if hasattr(cfg, "idx_bits") else max(1, int(np.ceil(np.log2(k))))
    word_bits = int(_get(cfg, "word_bits"))
    pt_bits, eta_bits, phi_bits = (int(_get(cfg, n)) for n in ("pt_bits", "eta_bits", "phi_bits"))
    if word_bits != pt_bits + eta_bits + phi_bits:
        raise ConfigError(f"word_bits {word_bits} != pt_bits + eta_bits + phi_bits")
    for a in AXES:
        m = int(_axis(mult, a, "mult"))
        if not 1 <= m < 2**31:
            raise ConfigError(f"multiplier M_{a}={m} outside [1, 2^31)")

    sha = getattr(cfg, "sha256", "")
    net_name = getattr(network, "name", "?")
    lines = [
        "// l1ot kernel parameters -- GENERATED by l1ot.export.sv, do not edit.",
        f"// config sha256 {sha}",
        f"// sorting network {net_name}: {len(layers)} layers, "
        f"{sum(len(x) for x in layers)} comparators",
    ]
    if comment:
        lines += [f"// {c}" for c in comment.splitlines()]
    lines += [
        "",
        "`timescale 1ns / 1ps",
        "",
        "/* verilator lint_off DECLFILENAME */   // file l1ot_params_pkg.sv in every export",
        f"package {package_name};",
        "/* verilator lint_on DECLFILENAME */",
        "",
        "/* verilator lint_off UNUSEDPARAM */",
        "",
        "// input words (stage 0)",
        f"localparam int N_OBJ    = {n_obj};   // objects per event",
        f"localparam int PT_BITS  = {pt_bits};   // raw pT field (unsigned)",
        f"localparam int ETA_BITS = {eta_bits};   // raw eta field (signed)",
        f"localparam int PHI_BITS = {phi_bits};   // raw phi field (signed)",
        f"localparam int WORD_W   = {word_bits};   // {{pt, eta, phi}}",
        "",
        "// stage a: x = rnd_shift(raw * M, S)",
    ]
    for a in AXES:
        A = a.upper()
        lines.append(f"localparam int M_{A} = {int(_axis(mult, a, 'mult'))};")
        lines.append(f"localparam int S_{A} = {int(_axis(shift, a, 'shift'))};")
    lines += [
        f"localparam int XPT_W  = {xw['pt']};   // working pT (unsigned), LSB 2^-{_get(cfg, 'work_frac_bits')} GeV",
        f"localparam int XETA_W = {xw['eta']};   // working eta (signed)",
        f"localparam int XPHI_W = {xw['phi']};   // working phi (signed)",
        f"localparam int TAG_W  = {int(_get(cfg, 'tag_bits'))};   // slot tag of the sort key",
        "",
        "// stages c-f",
        f"localparam int D_W         = {int(_get(cfg, 'd_bits'))};   // squared distance",
        f"localparam int SCORE_W     = {score_bits};   // score",
        f"localparam int SCORE_SHIFT = {int(_get(cfg, 'score_shift'))};   // D >> SCORE_SHIFT, saturated",
        f"localparam logic [SCORE_W-1:0] THRESHOLD = {score_bits}'d{threshold};   // trig = score >= THRESHOLD",
        "",
        "// medoids",
        f"localparam int K     = {k};   // medoids",
        f"localparam int ROM_K = {k};   // medoids stored in the ROM",
        f"localparam int REUSE = {reuse};   // default reuse factor (II)",
        f"localparam int IDX_W = {int(idx_bits)};   // argmin index width",
        "",
        "// sorting network: partner of wire w at layer l (itself when idle)",
        f"localparam int SORT_N_LAYERS = {len(layers)};",
        f"localparam int SORT_SIZE     = {sum(len(x) for x in layers)};",
        f"localparam int SORT_PW       = {pw};",
        f"localparam logic [SORT_N_LAYERS*N_OBJ*SORT_PW-1:0] SORT_PARTNER = {_hex_vector(flat_partner, pw)};",
        "",
        "// medoid ROM (stage-b output of each medoid event)",
    ]
    for ai, a in enumerate(AXES):
        A = a.upper()
        lines.append(f"localparam logic [ROM_K*N_OBJ*X{A}_W-1:0] ROM_{A} = "
                     f"{_hex_vector(rom[:, :, ai].reshape(-1), xw[a])};")
    lines += ["", "/* verilator lint_on UNUSEDPARAM */", "", "endpackage", ""]
    return "\n".join(lines)


def write_package(cfg, model, rom, path, *, threshold=None, reuse=None, name: str = "l1ot") -> Path:
    """Write ``l1ot_params_pkg.sv`` (package ``<name>_params_pkg``) to ``path``.

    Parameters
    ----------
    cfg : l1ot.kernel.fixed.KernelConfig
        Precision config (widths, multipliers, shifts, network, reuse factor).
    model : l1ot.ot.linot.LinModel or None
        Trained model; supplies ``threshold`` unless given explicitly.
    rom : int array, shape (K, 19, 3)
        Medoid ROM in working units (``l1ot.kernel.fixed.medoid_rom``), columns
        (x_pt, x_eta, x_phi) of the pT-sorted medoid events.
    path : str or Path
        Output file (parent directories are created).
    threshold : int, optional
        Trigger threshold in score units; default ``model.threshold``.
    reuse : int, optional
        Default reuse factor written to the package; default ``cfg.reuse_factor``.
    name : str
        Export name (:mod:`l1ot.export.rtl`); ``l1ot`` keeps the canonical package name.
    """
    if threshold is None:
        threshold = getattr(model, "threshold", None)
    if threshold is None:
        raise ModelError("no trigger threshold: the model file has none (run `l1ot calibrate`) "
                         "and none was given")
    msha = getattr(model, "sha256", None)
    comment = f"model sha256 {msha}" if msha else ""
    text = package_text(cfg, rom, threshold, reuse=reuse, comment=comment, name=name)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path
