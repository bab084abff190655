"""Register map of the control/status slave ``l1ot_regbank``: SV package and uhal address tables.

One description (:func:`register_map`) generates

* ``l1ot_regs_pkg.sv`` (package ``<name>_regs_pkg``): addresses, widths, reset
  thresholds and identification words of the slave (:func:`package_text`);
* ``<name>_regs.xml``: the slave's uhal address table (:func:`slave_xml`);
* ``<name>.xml``: the top-level uhal table, which includes each slave of the top
  with ``module="file://..."`` at its base (:func:`top_xml`; regbank at 0x0000,
  the reloadable-reference memory at 0x1000 on the reloadable top).

The constants come from the precision config (score width, transport, config
sha256), the model file (K, the graded thresholds: the reset values) and the
package version (firmware version); none is typed twice. Word addresses:

==========  ==================  ====  =============================================
address     node                perm  meaning
==========  ==================  ====  =============================================
0x000       id.magic            r     0x4C314F54 ("L1OT")
0x001       id.fw_version       r     major << 16 | minor << 8 | patch
0x002       id.config_sha       r     first 32 bits of the precision-config sha256
0x003       id.k                r     medoids K
0x004       id.transport        r     0 sorted, 1 species
0x005       id.n_thr            r     graded thresholds N
0x006       id.score_w          r     score width (bits)
0x007       id.cnt_w            r     counter width (bits)
0x008       ctrl.commit         w     any value: pending thresholds -> in force at
                                      the next event boundary (ack once applied)
0x009       ctrl.snapshot       w     any value: live counters -> snapshot (ack
                                      once latched)
0x00A       status.commits      r     commits applied since ipb_rst
0x00B       status.snapshots    r     snapshots taken since ipb_rst
0x040+2j    cnt.<c>.lo / .hi    r     snapshot of events, sat, overrun (64 bit)
0x100+i     thr.t<i>            rw    pending threshold i (SCORE_W bits; a wider
                                      value gets err and is not written)
0x200+2i    cnt.trig<i>.lo/.hi  r     snapshot of the counter of trigger bit i
==========  ==================  ====  =============================================
"""
from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError, ModelError

PACKAGE_NAME = "l1ot_regs_pkg"
PACKAGE_FILE = "l1ot_regs_pkg.sv"
MAGIC = 0x4C314F54
TRANSPORTS = ("sorted", "species")
CNT_W = 64
A_ID, A_CTRL, A_STATUS, A_CNT, A_THR, A_TRIG = 0x000, 0x008, 0x00A, 0x040, 0x100, 0x200
#: base of each slave in the top-level table (decoder: ipb_addr[12])
SLAVE_BASE = {"regs": 0x0000, "refmem": 0x1000}
SLAVE_SPAN = 0x1000
MAX_N = 256


@dataclass
class Reg:
    """One 32-bit word of the map: dotted uhal path, word address, permission, field width."""
    path: str
    address: int
    perm: str
    width: int
    desc: str
    sv: str          # SV localparam name of the address


def fw_version_word(version: str) -> int:
    """``"1.2.3"`` -> 0x010203 (each part 0..255; missing parts 0; non-numeric suffixes dropped)."""
    parts = []
    for p in str(version).split(".")[:3]:
        m = re.match(r"\d+", p)
        parts.append(min(int(m.group()), 255) if m else 0)
    parts += [0] * (3 - len(parts))
    return parts[0] << 16 | parts[1] << 8 | parts[2]


def register_map(n_thr: int, cnt_w: int = CNT_W) -> list[Reg]:
    """Every word of the regbank map, in address order."""
    if not 1 <= n_thr <= MAX_N:
        raise ConfigError(f"number of graded thresholds {n_thr}: expected 1..{MAX_N}")
    regs = [Reg("id.magic", A_ID + 0, "r", 32, "0x4C314F54 (L1OT)", "A_MAGIC"),
            Reg("id.fw_version", A_ID + 1, "r", 24, "firmware version major<<16|minor<<8|patch", "A_FW_VERSION"),
            Reg("id.config_sha", A_ID + 2, "r", 32, "first 32 bits of the precision-config sha256", "A_CONFIG_SHA"),
            Reg("id.k", A_ID + 3, "r", 32, "medoids K", "A_K"),
            Reg("id.transport", A_ID + 4, "r", 32, "transport: 0 sorted, 1 species", "A_TRANSPORT"),
            Reg("id.n_thr", A_ID + 5, "r", 32, "graded thresholds N", "A_N_THR"),
            Reg("id.score_w", A_ID + 6, "r", 32, "score width (bits)", "A_SCORE_W"),
            Reg("id.cnt_w", A_ID + 7, "r", 32, "counter width (bits)", "A_CNT_W"),
            Reg("ctrl.commit", A_CTRL + 0, "w", 32,
                "write: pending thresholds in force from the next event boundary (ack once applied)", "A_COMMIT"),
            Reg("ctrl.snapshot", A_CTRL + 1, "w", 32,
                "write: latch every counter at once (ack once latched)", "A_SNAPSHOT"),
            Reg("status.commits", A_STATUS + 0, "r", 32, "commits applied since ipb_rst", "A_COMMITS"),
            Reg("status.snapshots", A_STATUS + 1, "r", 32, "snapshots taken since ipb_rst", "A_SNAPSHOTS")]
    for j, c in enumerate(("events", "sat", "overrun")):
        what = {"events": "events scored", "sat": "scores at full scale (saturated)",
                "overrun": "kernel overrun cycles"}[c]
        for h, half in enumerate(("lo", "hi")):
            regs.append(Reg(f"cnt.{c}.{half}", A_CNT + 2 * j + h, "r", 32,
                            f"snapshot: {what}, bits {32 * h}..{32 * h + 31}", f"A_CNT_{c.upper()}" + ("_HI" if h else "")))
    regs += [Reg(f"thr.t{i}", A_THR + i, "rw", -1, f"pending threshold {i}: bit {i} = score >= t{i}",
                 "A_THR" if i == 0 else "") for i in range(n_thr)]
    for i in range(n_thr):
        for h, half in enumerate(("lo", "hi")):
            regs.append(Reg(f"cnt.trig{i}.{half}", A_TRIG + 2 * i + h, "r", 32,
                            f"snapshot: events with trigger bit {i}, bits {32 * h}..{32 * h + 31}",
                            ("A_TRIG" + ("_HI" if h else "")) if i == 0 else ""))
    if cnt_w != CNT_W:
        raise ConfigError(f"counter width {cnt_w}: the map has {CNT_W}-bit counters (two words)")
    return sorted(regs, key=lambda r: r.address)


@dataclass
class RegConfig:
    """The constants of one register bank (from the config, the model file and the version)."""
    name: str
    k: int
    transport: str
    score_w: int
    config_sha256: str
    thresholds: list
    fw_version: str

    @property
    def n_thr(self) -> int:
        return len(self.thresholds)

    @property
    def config_sha32(self) -> int:
        return int(self.config_sha256[:8], 16)

    @property
    def transport_id(self) -> int:
        if self.transport not in TRANSPORTS:
            raise ConfigError(f"transport {self.transport!r} has no register code (known: {', '.join(TRANSPORTS)})")
        return TRANSPORTS.index(self.transport)


def reg_config(cfg, rom_k: int, thresholds, name: str, fw_version: str) -> RegConfig:
    """RegConfig from a KernelConfig, K, the graded thresholds (checked against the score width)."""
    from ..kernel.graded import check_thresholds

    thr = check_thresholds(thresholds, cfg.score_max, "graded thresholds")
    return RegConfig(name=name, k=int(rom_k), transport=cfg.transport, score_w=int(cfg.score_bits),
                     config_sha256=cfg.sha256, thresholds=thr, fw_version=fw_version)


def package_text(rc: RegConfig) -> str:
    """Source of ``<name>_regs_pkg`` (addresses, widths, reset thresholds, ID words)."""
    from .rtl import check_name, prefixed

    pkg = prefixed(PACKAGE_NAME, check_name(rc.name))
    n, w = rc.n_thr, rc.score_w
    thr_reset = "{" + ", ".join(f"{w}'d{t}" for t in reversed(rc.thresholds)) + "}"
    L = [f"// GENERATED by l1ot export (l1ot.export.regs); do not edit.",
         f"// register bank of export {rc.name}: K = {rc.k}, transport {rc.transport}, "
         f"config {rc.config_sha256[:12]}, version {rc.fw_version}",
         "`resetall", "`timescale 1ns / 1ps", "`default_nettype none", "",
         f"package {pkg};", "", "/* verilator lint_off UNUSEDPARAM */",
         f"localparam int N_THR   = {n};   // graded thresholds",
         f"localparam int SCORE_W = {w};   // threshold / score width",
         f"localparam int CNT_W   = {CNT_W};   // counter width (two words)",
         f"// reset thresholds from the model file, threshold 0 in the low bits",
         f"localparam logic [N_THR*SCORE_W-1:0] THR_RESET = {thr_reset};",
         "", "// identification words",
         f"localparam logic [31:0] ID_MAGIC     = 32'h{MAGIC:08x};",
         f"localparam logic [31:0] ID_FW_VERSION = 32'h{fw_version_word(rc.fw_version):08x};   // {rc.fw_version}",
         f"localparam logic [31:0] ID_CONFIG_SHA = 32'h{rc.config_sha32:08x};",
         f"localparam logic [31:0] ID_K         = 32'd{rc.k};",
         f"localparam logic [31:0] ID_TRANSPORT = 32'd{rc.transport_id};   // {rc.transport}",
         "", "// word addresses (relative to the slave's base)"]
    for r in register_map(n):
        if r.sv:
            L.append(f"localparam int {r.sv} = 'h{r.address:03x};   // {r.path}")
    L += [f"localparam int MAP_SPAN = 'h{SLAVE_SPAN:x};   // the slave decodes addresses below this",
          "/* verilator lint_on UNUSEDPARAM */", "", "endpackage", "", "`resetall", ""]
    return "\n".join(L)


def _indent(elem, level=0):
    pad = "\n" + "  " * level
    if len(elem):
        elem.text = pad + "  "
        for c in elem:
            _indent(c, level + 1)
        elem[-1].tail = pad
    if level and not elem.tail:
        elem.tail = pad


def slave_xml(rc: RegConfig) -> str:
    """uhal address table of the regbank slave (``<name>_regs.xml``).

    Groups (id, ctrl, status, cnt, thr) are nodes with their base address; leaves
    carry the address relative to their group, a permission and mask 0xffffffff
    (a full word: uhal writes a value as it is and the slave checks its width).
    """
    root = ET.Element("node", {"id": f"{rc.name}_regs",
                               "description": f"l1ot register bank, K = {rc.k}, transport {rc.transport}"})
    groups: dict = {}
    regs = register_map(rc.n_thr)

    def group(path_parts, base):
        key = tuple(path_parts)
        if key not in groups:
            parent = root if len(key) == 1 else group(key[:-1], base)[0]
            pbase = 0 if len(key) == 1 else groups[key[:-1]][1]
            e = ET.SubElement(parent, "node", {"id": key[-1], "address": f"0x{base - pbase:x}"})
            groups[key] = (e, base)
        return groups[key]

    for r in regs:
        parts = r.path.split(".")
        # the group base: the lowest address under it (address order: first seen)
        for d in range(1, len(parts)):
            group(parts[:d], r.address)
        parent, pbase = groups[tuple(parts[:-1])]
        width = rc.score_w if r.width == -1 else r.width
        ET.SubElement(parent, "node", {"id": parts[-1], "address": f"0x{r.address - pbase:x}",
                                       "permission": r.perm, "mask": "0xffffffff",
                                       "description": f"{r.desc} ({width} bit)"})
    _indent(root)
    return ('<?xml version="1.0" encoding="ISO-8859-1"?>\n'
            f"<!-- GENERATED by l1ot export (l1ot.export.regs) for {rc.name}; do not edit. -->\n"
            + ET.tostring(root, encoding="unicode") + "\n")


def top_xml(name: str, slaves=("regs",)) -> str:
    """Top-level uhal table ``<name>.xml``: each slave of ``slaves`` (``regs``, ``refmem``)
    included with ``module="file://<name>_<slave>.xml"`` at its base (:data:`SLAVE_BASE`)."""
    root = ET.Element("node", {"id": name})
    for s in slaves:
        if s not in SLAVE_BASE:
            raise ConfigError(f"slave {s!r}: known slaves {', '.join(SLAVE_BASE)}")
        ET.SubElement(root, "node", {"id": s, "module": f"file://{name}_{s}.xml",
                                     "address": f"0x{SLAVE_BASE[s]:04x}"})
    _indent(root)
    return ('<?xml version="1.0" encoding="ISO-8859-1"?>\n'
            f"<!-- GENERATED by l1ot export (l1ot.export.regs); do not edit. -->\n"
            + ET.tostring(root, encoding="unicode") + "\n")


def write_all(rc: RegConfig, out, file_for=None, slaves=("regs",)) -> dict:
    """Write the package and both tables into folder ``out``; returns {kind: path}.

    ``file_for(path) -> str``: path to write for a final path (a Transaction's file)."""
    out = Path(out)
    files = {"regs_pkg": out / PACKAGE_FILE, "regs_xml": out / f"{rc.name}_regs.xml", "top_xml": out / f"{rc.name}.xml"}
    texts = {"regs_pkg": package_text(rc), "regs_xml": slave_xml(rc), "top_xml": top_xml(rc.name, slaves)}
    for k, p in files.items():
        dst = Path(file_for(p)) if file_for else p
        if file_for is None and dst.is_file() and dst.read_text() == texts[k]:
            continue
        dst.write_text(texts[k])
    return {k: str(p) for k, p in files.items()}


def table_digest(text: str) -> str:
    """sha256 of a table's text (for export.json)."""
    return hashlib.sha256(text.encode()).hexdigest()


def read_slave_xml(path) -> dict:
    """{dotted path: (absolute word address, permission, mask)} of a uhal slave table
    (addresses summed down the hierarchy, as uhal does). ModelError on a malformed file."""
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as exc:
        raise ModelError(f"{path}: not a readable uhal address table ({exc})") from None
    out = {}

    def walk(e, prefix, base):
        for c in e.findall("node"):
            a = base + int(c.get("address", "0"), 0)
            p = f"{prefix}.{c.get('id')}" if prefix else c.get("id")
            if len(c):
                walk(c, p, a)
            else:
                out[p] = (a, c.get("permission"), int(c.get("mask", "0xffffffff"), 0))
    walk(root, "", int(root.get("address", "0"), 0))
    return out
