"""Phase-2 GT object words <-> l1ot kernel input words.

The layout of the Global Trigger's object words is read from one description,
``l1ot/kernel/configs/gt_words.json`` (source: CMSSW
``L1Trigger/Phase2L1GT/plugins/L1GTEvaluationInterface.h``, ``L1TGT_Common3Vector``
and ``L1TGT_CommonSum``): LSB first ``valid(1) | pT u16 | phi s13 | eta s14`` for
e/gamma, muons and jets (64-, 96- and 128-bit words) and
``valid(1) | pT u16 | phi s13 | scalar_sum_pT u16`` for the MET slot (64 bits).
The kernel word is ``{pt, eta, phi}`` (pt in the high bits, ``docs/kernel.md``);
the LSBs are the same, so the mapping only moves fields:

* ``valid = 1``: kernel word = ``{pt, eta, phi}`` of the GT word (eta = 0 for a
  sum word, which has none);
* ``valid = 0``: the slot is empty, kernel word 0, whatever the payload bits hold.

GT words are held as uint64 limbs: an array ``(N, n_obj, 2)``, ``[..., 0]`` bits
0-63 and ``[..., 1]`` bits 64-127 of each slot's word (every field of the common
part lies in the low limb; the high limb carries the other fields of 96- and
128-bit words, which the kernel ignores).

The SV package and C++ header with the same layout are generated from the same
description by ``l1ot.export.gt``.
"""
from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np

from ..errors import ConfigError, DataError

LAYOUT_PATH = Path(__file__).resolve().parent / "configs" / "gt_words.json"
FORMAT = "l1ot-gt-layout-v1"
#: kernel axes and the layout field each one is read from
KERNEL_FIELDS = ("pt", "eta", "phi")
LIMB_BITS = 64


class Field:
    """One field of a record: name, bit offset ``lo`` in the word, width, signedness."""

    __slots__ = ("name", "lo", "bits", "signed")

    def __init__(self, name: str, lo: int, bits: int, signed: bool):
        self.name, self.lo, self.bits, self.signed = name, lo, bits, signed

    def __repr__(self):
        return f"Field({self.name!r}, lo={self.lo}, bits={self.bits}, signed={self.signed})"


class GTLayout:
    """The GT word layout of ``gt_words.json``, one record and word width per slot.

    Attributes
    ----------
    n_obj : int                     number of slots (19)
    records : dict name -> {field name -> Field}, offsets accumulated LSB first
    record_bits : dict name -> int  width of the packed common part (44, 46)
    slot_record : list[str]         record of each slot
    slot_bits : list[int]           word width of each slot (64, 96, 128)
    slot_block : list[str]          block name of each slot (met, egamma, muon, jet)
    bus_lo : list[int]              bit offset of each slot in the concatenated bus (slot 0 lowest)
    bus_bits : int                  width of that bus (1984 for the default layout)
    lsb : dict                      pt, eta, phi LSBs as written in the file
    source, sha256                  citation; SHA-256 of the canonical JSON
    """

    def __init__(self, obj: dict, path: str = "<dict>"):
        where = f"GT layout {path}"
        self.path = path
        if not isinstance(obj, dict) or obj.get("format") != FORMAT:
            raise ConfigError(f"{where}: field 'format' must be '{FORMAT}'")
        for key in ("source", "lsb", "records", "slots"):
            if key not in obj:
                raise ConfigError(f"{where}: missing field '{key}'")
        self.source = obj["source"]
        self.lsb = dict(obj["lsb"])
        self.records, self.record_bits, self.record_cmssw = {}, {}, {}
        for rname, rec in obj["records"].items():
            lo, fields = 0, {}
            for f in rec["fields"]:
                b = f["bits"]
                if not isinstance(b, int) or not 1 <= b <= 32:
                    raise ConfigError(f"{where}: record '{rname}' field '{f.get('name')}': bits must be 1..32")
                fields[f["name"]] = Field(f["name"], lo, b, bool(f["signed"]))
                lo += b
            if "valid" not in fields or fields["valid"].bits != 1:
                raise ConfigError(f"{where}: record '{rname}' needs a 1-bit 'valid' field")
            if "pt" not in fields or "phi" not in fields:
                raise ConfigError(f"{where}: record '{rname}' needs 'pt' and 'phi' fields")
            if lo > LIMB_BITS:
                raise ConfigError(f"{where}: record '{rname}' is {lo} bits, wider than {LIMB_BITS}")
            self.records[rname], self.record_bits[rname] = fields, lo
            self.record_cmssw[rname] = rec.get("cmssw", "")
        self.slot_record, self.slot_bits, self.slot_block, self.slot_cmssw = [], [], [], []
        for s in obj["slots"]:
            if s["record"] not in self.records:
                raise ConfigError(f"{where}: slot block '{s['block']}' names unknown record '{s['record']}'")
            wb = s["word_bits"]
            if wb not in (64, 96, 128) or wb < self.record_bits[s["record"]]:
                raise ConfigError(f"{where}: slot block '{s['block']}': word_bits must be 64, 96 or 128")
            for _ in range(int(s["count"])):
                self.slot_record.append(s["record"])
                self.slot_bits.append(wb)
                self.slot_block.append(s["block"])
                self.slot_cmssw.append(s.get("cmssw", ""))
        self.n_obj = len(self.slot_record)
        self.bus_lo = [int(v) for v in np.cumsum([0] + self.slot_bits[:-1])]
        self.bus_bits = int(sum(self.slot_bits))
        canon = json.dumps({k: v for k, v in obj.items() if k != "description"}, sort_keys=True,
                           separators=(",", ":"))
        self.sha256 = hashlib.sha256(canon.encode()).hexdigest()

    @classmethod
    def load(cls, path=None) -> "GTLayout":
        path = Path(path) if path is not None else LAYOUT_PATH
        try:
            obj = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"GT layout {path}: {exc}") from None
        return cls(obj, str(path))

    def field(self, slot: int, name: str):
        """Field ``name`` of slot ``slot``'s record, or None if that record has none (eta of a sum)."""
        return self.records[self.slot_record[slot]].get(name)

    def check_config(self, cfg) -> None:
        """Raise ConfigError unless the kernel config reads the same widths and LSBs."""
        where = f"GT layout {self.path} and kernel config {cfg.source}"
        if cfg.input_format != "phase2":
            raise ConfigError(f"{where}: GT object words exist for the Phase-2 format only "
                              f"(config input_format '{cfg.input_format}')")
        if cfg.n_obj != self.n_obj:
            raise ConfigError(f"{where}: {self.n_obj} slots against n_obj {cfg.n_obj}")
        for rname, fields in self.records.items():
            for a in KERNEL_FIELDS:
                f = fields.get(a)
                if f is not None and f.bits != cfg.field_bits[a]:
                    raise ConfigError(f"{where}: record '{rname}' field {a} is {f.bits} bits, "
                                      f"the kernel's {cfg.field_bits[a]}")
        for a in KERNEL_FIELDS:
            v = self.lsb[a]
            mine = (math.pi / int(v.split("/")[1])) if isinstance(v, str) else float(v)
            if not math.isclose(mine, cfg.field_lsb[a], rel_tol=1e-12):
                raise ConfigError(f"{where}: {a} LSB {v} against the kernel's {cfg.field_lsb[a]}")


_DEFAULT = None


def default_layout() -> GTLayout:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = GTLayout.load()
    return _DEFAULT


def _get(lo_limb: np.ndarray, f: Field) -> np.ndarray:
    """Field value from the low limb (int64; signed fields sign-extended)."""
    w = lo_limb.view(np.int64) if lo_limb.dtype == np.uint64 else lo_limb.astype(np.int64)
    if f.signed:
        return (w << (64 - f.lo - f.bits)) >> (64 - f.bits)
    v = (w >> f.lo) & ((1 << f.bits) - 1)
    return v if f.lo + f.bits < 64 else v & ((1 << f.bits) - 1)


def _put(v: np.ndarray, f: Field) -> np.ndarray:
    return ((np.asarray(v, dtype=np.int64) & ((1 << f.bits) - 1)).astype(np.uint64)) << np.uint64(f.lo)


def gt_from_kernel(words, cfg, layout: GTLayout | None = None, valid=None, drop_sum_eta: bool = False,
                   source=None) -> np.ndarray:
    """Kernel words -> GT object words.

    Parameters
    ----------
    words : uint64 (N, n_obj), kernel words ``{pt, eta, phi}``
    cfg : KernelConfig (widths and offsets of the kernel word)
    layout : GTLayout (default: ``gt_words.json``)
    valid : bool (N, n_obj), optional; default: a slot is valid iff its kernel word is non-zero
        (the kernel's empty slot is the all-zero word)
    drop_sum_eta : a sum record has no eta; a non-zero kernel eta in such a slot raises
        DataError unless this is set (then it is dropped)

    Returns
    -------
    uint64 (N, n_obj, 2): low and high 64-bit limb of each slot's word (high limb 0).
    """
    from .fixed import unpack_words

    layout = layout or default_layout()
    layout.check_config(cfg)
    pt, eta, phi = unpack_words(words, cfg, source=source)
    w = np.asarray(words, dtype=np.uint64)
    valid = (w != 0) if valid is None else np.asarray(valid, dtype=bool)
    out = np.zeros(w.shape + (2,), dtype=np.uint64)
    for s in range(layout.n_obj):
        rec = layout.records[layout.slot_record[s]]
        v = valid[:, s]
        lo = _put(v.astype(np.int64), rec["valid"]) | _put(pt[:, s], rec["pt"]) | _put(phi[:, s], rec["phi"])
        if "eta" in rec:
            lo |= _put(eta[:, s], rec["eta"])
        else:
            bad = v & (eta[:, s] != 0)
            if bad.any() and not drop_sum_eta:
                e = int(np.argmax(bad))
                raise DataError(f"a {layout.slot_record[s]} word has no eta; kernel eta is "
                                f"{int(eta[e, s])}", file=source, event=e, slot=s, field="eta")
        out[:, s, 0] = lo
    return out


def kernel_from_gt(gt, cfg, layout: GTLayout | None = None, source=None) -> np.ndarray:
    """GT object words -> kernel words (what the wrapper ``l1ot_gt_kernel`` does).

    Parameters
    ----------
    gt : uint64 (N, n_obj, 2) limbs (see :func:`gt_from_kernel`)

    Returns
    -------
    uint64 (N, n_obj): ``{pt, eta, phi}`` of every valid slot, 0 for a slot with valid = 0
    (its payload, and every bit outside the fields of the common part, are ignored).
    Raises DataError (event, slot) if a word has bits set above its slot's width.
    """
    layout = layout or default_layout()
    layout.check_config(cfg)
    g = np.asarray(gt)
    if g.ndim != 3 or g.shape[1:] != (layout.n_obj, 2) or g.dtype != np.uint64:
        raise DataError(f"GT words must be uint64 of shape (N, {layout.n_obj}, 2), got {g.dtype} {g.shape}",
                        file=source)
    out = np.zeros(g.shape[:2], dtype=np.uint64)
    for s in range(layout.n_obj):
        extra = layout.slot_bits[s] - LIMB_BITS
        if extra < LIMB_BITS:
            over = (g[:, s, 1] >> np.uint64(extra)) != 0 if extra > 0 else g[:, s, 1] != 0
            if over.any():
                e = int(np.argmax(over))
                raise DataError(f"GT word wider than {layout.slot_bits[s]} bits", file=source, event=e, slot=s,
                                field="word")
        rec = layout.records[layout.slot_record[s]]
        lo = g[:, s, 0]
        v = _get(lo, rec["valid"]) != 0
        w = (_put(_get(lo, rec["pt"]), _kf(cfg, "pt")) | _put(_get(lo, rec["phi"]), _kf(cfg, "phi")))
        if "eta" in rec:
            w |= _put(_get(lo, rec["eta"]), _kf(cfg, "eta"))
        out[:, s] = np.where(v, w, np.uint64(0))
    return out


def _kf(cfg, a) -> Field:
    return Field(a, cfg.field_lo[a], cfg.field_bits[a], a != "pt")


def gt_valid(gt, layout: GTLayout | None = None) -> np.ndarray:
    """bool (N, n_obj): the valid bit of every slot."""
    layout = layout or default_layout()
    g = np.asarray(gt, dtype=np.uint64)
    return np.stack([_get(g[:, s, 0], layout.field(s, "valid")) != 0 for s in range(layout.n_obj)], axis=1)


def to_int(limbs) -> int:
    """One word's limbs (lo, hi) -> Python int."""
    return int(limbs[0]) | (int(limbs[1]) << LIMB_BITS)


def from_ints(values, n_obj: int) -> np.ndarray:
    """Python ints (N, n_obj) -> uint64 limbs (N, n_obj, 2)."""
    out = np.zeros((len(values), n_obj, 2), dtype=np.uint64)
    m = (1 << LIMB_BITS) - 1
    for e, row in enumerate(values):
        for s, v in enumerate(row):
            out[e, s, 0], out[e, s, 1] = v & m, (v >> LIMB_BITS) & m
    return out


def hex_digits(layout: GTLayout, slot: int) -> int:
    return layout.slot_bits[slot] // 4


def format_event(gt_row, layout: GTLayout) -> str:
    """One event's words as hex, slot 0 first, each zero-padded to its width."""
    return " ".join(f"{to_int(gt_row[s]):0{hex_digits(layout, s)}x}" for s in range(layout.n_obj))
