"""Reloadable medoid memory (``l1ot_refmem``): package, uhal address table and load file.

One export (precision config, model of K medoids, name) gives

* ``l1ot_refmem_pkg.sv`` (package ``<name>_refmem_pkg``): the slave's address map, its
  identification words and the reset contents of both banks (the export's medoid ROM);
* ``<name>_refmem.xml``: the uhal address table of the slave (relative addresses);
* ``refmem_load.txt``: the load file of the export's model -- the register writes
  (word address relative to the slave, value) that load it into the shadow bank, then
  the commit -- read by uhal scripts and by the testbench (:func:`read_load_file`).

Address map (32-bit words, relative to the slave; the top puts it at ``0x1000``)

==============  ======  ==========  ==================================================
name            addr.   permission  content
==============  ======  ==========  ==================================================
``words``       0x000   w           K * N_OBJ medoid words, word ``k*N_OBJ + i`` =
                                    medoid k, sorted slot i: ``{pt, eta, phi}``, phi in
                                    the low ``XPHI_W`` bits (two's complement angles)
``commit``      0xF00   w           write ``COMMIT_KEY`` (1): swap at the next event
                                    boundary; err if a word was not written since the
                                    last commit
``status``      0xF01   r           bit 0: active bank
``info``        0xF02   r           ``K`` [15:0], ``N_OBJ`` [23:16], format [31:24]
``cfg_sha``     0xF03   r           first 32 bits of the precision config's sha256
``format``      0xF04   r           ``XPT_W`` [23:16], ``XETA_W`` [15:8], ``XPHI_W`` [7:0]
==============  ======  ==========  ==================================================

sum c^2 per medoid is neither written nor computed: the reloadable kernel uses the direct
form sum (x - c)^2 (docs/firmware.md, "Reloadable-reference top").
"""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import numpy as np

from ..errors import ConfigError, ModelError

PACKAGE_FILE = "l1ot_refmem_pkg.sv"
LOAD_FILE = "refmem_load.txt"
#: the slave's span (the top decodes ipb_addr[12])
ADDR_W = 12
CTRL = {"commit": 0xF00, "status": 0xF01, "info": 0xF02, "cfg_sha": 0xF03, "format": 0xF04}
COMMIT_KEY = 1
FORMAT_VERSION = 1
#: the reloadable top and its source list; modules renamed per export beside rtl.canonical_names
TOP = "l1ot_kernel_rl"
FLIST = "l1ot_kernel_rl.f"
#: the reloadable top with its register bank and address decoder (uhal table <name>_rl.xml)
TOP_IPB = "l1ot_kernel_rl_ipb"
FLISTS = {TOP: FLIST, TOP_IPB: "l1ot_kernel_rl_ipb.f"}
NAMES = ("l1ot_refmem_pkg", "l1ot_refmem", "l1ot_kernel_rl", "l1ot_kernel_rl_dist", "l1ot_kernel_rl_ipb")
#: header fields of a load file that must equal the target's
MATCH = ("k", "n_obj", "transport", "config_sha256", "format")


def layout(cfg, k: int) -> dict:
    """Address map and identification words of the slave for ``k`` medoids under ``cfg``."""
    k = int(k)
    n_obj = int(cfg.n_obj)
    xw = {a: int(cfg.x_bits[a]) for a in ("pt", "eta", "phi")}
    mw = xw["pt"] + xw["eta"] + xw["phi"]
    n_words = k * n_obj
    if mw > 32:
        raise ConfigError(f"refmem: medoid word of {mw} bits does not fit a 32-bit register")
    if not 1 <= k < (1 << 16) or n_words > CTRL["commit"]:
        raise ConfigError(f"refmem: K = {k} medoids of {n_obj} objects ({n_words} words) do not fit "
                          f"below the control registers at {CTRL['commit']:#x}")
    sha = str(getattr(cfg, "sha256", "") or "")
    if not re.fullmatch(r"[0-9a-f]{64}", sha):
        raise ConfigError("refmem: precision config has no sha256")
    return {"k": k, "n_obj": n_obj, "n_words": n_words, "mw": mw, "x_bits": xw,
            "transport": str(cfg.transport), "config_sha256": sha,
            "info": (FORMAT_VERSION << 24) | (n_obj << 16) | k,
            "cfg_sha": int(sha[:8], 16),
            "format": (xw["pt"] << 16) | (xw["eta"] << 8) | xw["phi"]}


def pack_words(rom, cfg) -> np.ndarray:
    """uint32 (K*N_OBJ,) medoid words of an integer ROM (K, N_OBJ, 3) (pt, eta, phi)."""
    rom = np.asarray(rom)
    lay = layout(cfg, rom.shape[0])
    if rom.ndim != 3 or rom.shape[1:] != (lay["n_obj"], 3) or rom.dtype.kind not in "iu":
        raise ModelError(f"medoid ROM must be integer (K, {lay['n_obj']}, 3), got {rom.dtype} {rom.shape}")
    xw = lay["x_bits"]
    rom = rom.astype(np.int64)
    for ai, a in enumerate(("pt", "eta", "phi")):
        lo, hi = ((0, (1 << xw[a]) - 1) if a == "pt" else (-(1 << (xw[a] - 1)), (1 << (xw[a] - 1)) - 1))
        if rom[..., ai].min() < lo or rom[..., ai].max() > hi:
            raise ModelError(f"medoid ROM axis {a} outside the {xw[a]}-bit working range")
    pt = rom[..., 0] & ((1 << xw["pt"]) - 1)
    eta = rom[..., 1] & ((1 << xw["eta"]) - 1)
    phi = rom[..., 2] & ((1 << xw["phi"]) - 1)
    w = (pt << (xw["eta"] + xw["phi"])) | (eta << xw["phi"]) | phi
    return w.reshape(-1).astype(np.uint32)


def unpack_words(words, cfg, k: int) -> np.ndarray:
    """Inverse of :func:`pack_words`: int64 ROM (K, N_OBJ, 3)."""
    lay = layout(cfg, k)
    xw = lay["x_bits"]
    w = np.asarray(words, np.int64).reshape(k, lay["n_obj"])

    def field(lo, n, signed):
        v = (w >> lo) & ((1 << n) - 1)
        return np.where(v >= (1 << (n - 1)), v - (1 << n), v) if signed else v

    return np.stack([field(xw["eta"] + xw["phi"], xw["pt"], False), field(xw["phi"], xw["eta"], True),
                     field(0, xw["phi"], True)], axis=-1)


def package_text(cfg, rom, name: str = "l1ot") -> str:
    """Source of ``<name>_refmem_pkg`` (address map, identification, reset contents)."""
    from .rtl import check_name, prefixed
    from .sv import _hex_vector
    rom = np.asarray(rom)
    lay = layout(cfg, rom.shape[0])
    words = pack_words(rom, cfg)
    L = ["// l1ot refmem parameters -- GENERATED by l1ot.export.refmem, do not edit.",
         f"// config sha256 {lay['config_sha256']}", "", "`timescale 1ns / 1ps", "",
         "/* verilator lint_off DECLFILENAME */   // file l1ot_refmem_pkg.sv in every export",
         f"package {prefixed('l1ot_refmem_pkg', check_name(name))};",
         "/* verilator lint_on DECLFILENAME */", "", "/* verilator lint_off UNUSEDPARAM */",
         f"localparam int N_WORDS = {lay['n_words']};   // K * N_OBJ medoid words",
         f"localparam int MW      = {lay['mw']};   // medoid word {{pt, eta, phi}} (bits)",
         f"localparam int ADDR_W  = {ADDR_W};   // slave span 2^ADDR_W words"]
    for key, a in CTRL.items():
        L.append(f"localparam int A_{key.upper()} = 'h{a:03x};")
    L += [f"localparam logic [31:0] COMMIT_KEY = 32'd{COMMIT_KEY};",
          f"localparam logic [31:0] INFO       = 32'h{lay['info']:08x};   // K, N_OBJ, format",
          f"localparam logic [31:0] CFG_SHA    = 32'h{lay['cfg_sha']:08x};   // config sha256[0:8]",
          f"localparam logic [31:0] FORMAT     = 32'h{lay['format']:08x};   // XPT_W, XETA_W, XPHI_W",
          "// reset contents of both banks: the export's medoids, word j at [j*MW +: MW]",
          f"localparam logic [N_WORDS*MW-1:0] INIT_WORDS = {_hex_vector(words, lay['mw'])};",
          "/* verilator lint_on UNUSEDPARAM */", "", "endpackage", ""]
    return "\n".join(L)


def address_table_xml(cfg, k: int, name: str = "l1ot") -> str:
    """uhal address table of the slave (addresses relative to the slave's base)."""
    lay = layout(cfg, k)
    xw = lay["x_bits"]
    desc = (f"medoid words of the shadow bank: word k*{lay['n_obj']}+i = medoid k, sorted slot i, "
            f"{{pt[{xw['pt']}], eta[{xw['eta']}], phi[{xw['phi']}]}}")
    L = ['<?xml version="1.0" encoding="ISO-8859-1"?>',
         f"<!-- GENERATED by l1ot export (l1ot.export.refmem) for {name}: K={lay['k']}, "
         f"transport {lay['transport']}, config sha256 {lay['config_sha256'][:12]}; do not edit. -->",
         f'<node id="refmem" description="reloadable medoid memory of {name}">',
         f'  <node id="words" address="0x000" mode="incremental" size="{lay["n_words"]}" permission="w" '
         f'description="{desc}"/>',
         f'  <node id="commit" address="{CTRL["commit"]:#05x}" permission="w" '
         f'description="write {COMMIT_KEY}: swap the banks at the next event boundary"/>',
         f'  <node id="status" address="{CTRL["status"]:#05x}" permission="r">',
         '    <node id="bank" mask="0x00000001" description="active bank"/>',
         "  </node>",
         f'  <node id="info" address="{CTRL["info"]:#05x}" permission="r">',
         '    <node id="k" mask="0x0000ffff"/>', '    <node id="n_obj" mask="0x00ff0000"/>',
         '    <node id="format_version" mask="0xff000000"/>', "  </node>",
         f'  <node id="cfg_sha" address="{CTRL["cfg_sha"]:#05x}" permission="r" '
         'description="first 32 bits of the precision config sha256"/>',
         f'  <node id="format" address="{CTRL["format"]:#05x}" permission="r">',
         '    <node id="xpt_w" mask="0x00ff0000"/>', '    <node id="xeta_w" mask="0x0000ff00"/>',
         '    <node id="xphi_w" mask="0x000000ff"/>', "  </node>",
         "</node>", ""]
    return "\n".join(L)


def load_file_text(cfg, rom, name: str, model_sha256: str = "") -> str:
    """The load file of a model: a header, then one ``address value`` line per write
    (hex, address relative to the slave), the commit last."""
    rom = np.asarray(rom)
    lay = layout(cfg, rom.shape[0])
    words = pack_words(rom, cfg)
    L = ["# l1ot refmem load file -- GENERATED by l1ot export (l1ot.export.refmem); do not edit.",
         f"# name {name}", f"# k {lay['k']}", f"# n_obj {lay['n_obj']}", f"# transport {lay['transport']}",
         f"# config_sha256 {lay['config_sha256']}", f"# format {lay['format']:#08x}",
         f"# model_sha256 {model_sha256 or '-'}", f"# words {lay['n_words']}",
         "# address value (hex; word address relative to the refmem slave, base 0x1000 in the top)"]
    L += [f"{j:#06x} {int(w):#010x}" for j, w in enumerate(words)]
    L.append(f"{CTRL['commit']:#06x} {COMMIT_KEY:#010x}")
    return "\n".join(L) + "\n"


def read_load_file(path) -> dict:
    """Header (dict of str) and writes [(address, value)] of a load file; ConfigError naming
    the file and line for anything malformed."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the load file ({exc.strerror})") from None
    head, writes = {}, []
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not s:
            continue
        if s.startswith("#"):
            parts = s[1:].split(None, 1)
            if len(parts) == 2 and re.fullmatch(r"[a-z_0-9]+", parts[0]):
                head[parts[0]] = parts[1].strip()
            continue
        tok = s.split()
        try:
            a, v = (int(t, 16) for t in tok)
        except ValueError:
            raise ConfigError(f"{path}: line {n}: expected 'address value' in hex, got {s[:40]!r}") from None
        if not (0 <= a < (1 << ADDR_W) and 0 <= v < (1 << 32)):
            raise ConfigError(f"{path}: line {n}: address {a:#x} or value {v:#x} out of range")
        writes.append((a, v))
    for key in MATCH:
        if key not in head:
            raise ConfigError(f"{path}: not a refmem load file (no '# {key}' header line)")
    if not writes or writes[-1] != (CTRL["commit"], COMMIT_KEY):
        raise ConfigError(f"{path}: the load file does not end with the commit write")
    return {"path": str(path), "header": head, "writes": writes}


def check_target(load: dict, target: dict) -> None:
    """ConfigError (one line) unless the load file's K, N_OBJ, transport, precision config and
    word format equal the target design's (``target``: :func:`layout`-like or a load-file header)."""
    h = load["header"]
    for key in MATCH:
        want = target[key]
        want = f"{want:#08x}" if key == "format" and isinstance(want, int) else str(want)
        if str(h[key]) != want:
            raise ConfigError(f"{load['path']}: load file for {key} {h[key]}, but the target design has "
                              f"{key} {want} (a load file for another K or config)")


def target_of(export_dir) -> dict:
    """The refmem identification of an export folder (the header of its own load file)."""
    return read_load_file(Path(export_dir) / LOAD_FILE)["header"]


def write(out, cfg, model, rom, name: str, file_for=None) -> dict:
    """Package, address table and load file of an export into ``out``; returns their paths."""
    out = Path(out)
    file_for = file_for or (lambda p: p)
    sha = str(getattr(model, "sha256", "") or "")
    from . import regs
    files = {"refmem_package": out / PACKAGE_FILE, "refmem_xml": out / f"{name}_refmem.xml",
             "refmem_load": out / LOAD_FILE, "rl_top_xml": out / f"{name}_rl.xml"}
    # the reloadable top's table: register bank at 0x0000, this slave at 0x1000 (regs.top_xml)
    Path(file_for(files["rl_top_xml"])).write_text(regs.top_xml(name, ("regs", "refmem")))
    Path(file_for(files["refmem_package"])).write_text(package_text(cfg, rom, name))
    Path(file_for(files["refmem_xml"])).write_text(address_table_xml(cfg, np.asarray(rom).shape[0], name))
    Path(file_for(files["refmem_load"])).write_text(load_file_text(cfg, rom, name, sha))
    return {k: str(v) for k, v in files.items()}


def write_load_for(target_dir, cfg, model, rom, dst) -> str:
    """Load file of ``model`` for the design of export ``target_dir``; checked against it first
    (ConfigError on a K / transport / config / format mismatch). Written to a temp file,
    renamed on success; returns the path."""
    from . import rtl
    target = target_of(target_dir)
    name = rtl.export_name(target_dir)
    text = load_file_text(cfg, rom, name, str(getattr(model, "sha256", "") or ""))
    dst = Path(dst)
    fd, tmp = tempfile.mkstemp(dir=dst.parent if str(dst.parent) else ".", prefix=f".{dst.name}.")
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    try:
        check_target(read_load_file(tmp) | {"path": str(dst)}, target)
    except ConfigError:
        os.unlink(tmp)
        raise
    os.replace(tmp, dst)
    return str(dst)


# ------------------------------------------------------------------ RTL of the reloadable top

def sources(export_dir, refresh: bool = True, top: str = TOP) -> list[Path]:
    """Ordered sources of ``<name>_kernel_rl`` (or ``<name>_kernel_rl_ipb``) of an export: the
    packages, then renamed copies of the top's ``.f`` list in ``firmware/rtl`` (rewritten
    from firmware/rtl when changed)."""
    from . import rtl
    exp = Path(export_dir)
    name = rtl.export_name(exp)
    if not (exp / PACKAGE_FILE).is_file():
        raise ConfigError(f"{exp}: no {PACKAGE_FILE} (export with the current l1ot export)")
    files = []
    flist = rtl.RTL / FLISTS[top]
    for line in flist.read_text().splitlines():
        line = line.split("//")[0].strip()
        if line:
            files.append((flist.parent / line).resolve())
    names = sorted(set(rtl.canonical_names()) | set(NAMES), key=len, reverse=True)
    copies = []
    for src in files:
        dst = exp / rtl.copy_name(src, name)
        if refresh:
            rtl._write_if_changed(dst, rtl.rename(src.read_text(), name, names))
        copies.append(dst)
    pkgs = [exp / rtl.PACKAGE_FILE, exp / PACKAGE_FILE]
    if top == TOP_IPB:
        from . import regs
        pkgs.append(exp / regs.PACKAGE_FILE)
    return pkgs + copies


def top_name(export_dir, top: str = TOP) -> str:
    from . import rtl
    return rtl.prefixed(top, rtl.export_name(export_dir))
