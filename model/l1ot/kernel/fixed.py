"""Bit-accurate fixed-point model of the l1ot scoring kernel.

This module is the Python reference of the contract in ``docs/kernel.md``;
the HLS C++ (``hls/``) and the SystemVerilog RTL (``firmware/``) must agree
with it bit for bit. Everything is integer arithmetic on int64, vectorized
over events with numpy. The single use of floating point in the kernel path
(the distance matrix product) is exact: every operand and partial sum is an
integer below 2^53, which :class:`KernelConfig` checks when it derives the
widths (otherwise an int64 loop is used).

Pipeline (one event = 19 slots)::

    words (43 bit) --unpack--> raw (pt, eta, phi)            stage 0
      --x_a = rnd_shift(raw_a * M_a, S_a)--> x (19, 3)        stage a
      --sorting network on {x_pt, 18 - slot}--> xs (19, 3)    stage b
      --D_m = sum (xs - rom_m)^2--> d (K,)                    stage c
      --min / argmin (ties to lowest m)--> dmin, idx          stage d
      --score = sat(dmin >> score_shift)--> score              stage e
      --trig = score >= threshold                              stage f

Typical use::

    cfg = KernelConfig.load()                       # configs/kernel_default.json
    pt, eta, phi, qs = quantize_inputs(particles, cfg)
    words = pack_words(pt, eta, phi, cfg)            # uint64 (N, 19)
    rom = medoid_rom("build/model_k32.h5", cfg)      # int64 (K, 19, 3)
    res = run(words, rom, threshold, cfg)            # res.score, res.idx, res.trig
"""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import sortnet
from ..errors import ConfigError, DataError, ModelError

CONFIG_DIR = Path(__file__).resolve().parent / "configs"
DEFAULT_CONFIG = CONFIG_DIR / "kernel_default.json"
AXES = ("pt", "eta", "phi")
#: the firmware default (docs/firmware.md): transport and number of medoids K of the
#: constant-matrix top ``l1ot_kernel_cm`` (the Pareto point of reports/pareto.md that meets
#: the Phase-2 goals with the best AUC); the sorted K = 32 top stays a documented configuration
FIRMWARE_TRANSPORT, FIRMWARE_K = "species", 64
#: the documented alternative configuration (sorted transport, K = 32)
SORTED_TRANSPORT, SORTED_K = "sorted", 32
#: kernel transports with a firmware network (``networks`` of the precision config)
KERNEL_TRANSPORTS = ("sorted", "species")


def parse_points(text: str) -> list[tuple[str, int]]:
    """``"species:64,sorted:32"`` -> ``[("species", 64), ("sorted", 32)]``.

    Kernel configurations as ``TRANSPORT:K`` items (TRANSPORT in :data:`KERNEL_TRANSPORTS`,
    K >= 1), duplicates refused; raises ``ValueError`` with a one-line message naming the item.
    """
    out = []
    for item in text.split(","):
        tr, sep, k = item.strip().partition(":")
        if not sep or tr not in KERNEL_TRANSPORTS or not k.isdigit() or int(k) < 1:
            raise ValueError(f"{item!r}: expected TRANSPORT:K with TRANSPORT one of "
                             f"{', '.join(KERNEL_TRANSPORTS)} and K >= 1 (e.g. species:64)")
        if (tr, int(k)) in out:
            raise ValueError(f"{item!r}: given twice")
        out.append((tr, int(k)))
    return out

AP_RND, AP_TRN = "AP_RND", "AP_TRN"
AP_SAT, AP_WRAP = "AP_SAT", "AP_WRAP"


# ---------------------------------------------------------------------------
# ap_fixed helper
# ---------------------------------------------------------------------------
def quantize(x, W: int, I: int, signed: bool = True, rnd: str = AP_RND, ovf: str = AP_SAT,
             return_count: bool = False):
    """Quantize float values like ``ap_[u]fixed<W, I, rnd, ovf>(x)`` does.

    Parameters
    ----------
    x : array_like of float64
        Values (exactly representable doubles; float32 input is promoted exactly).
    W, I : int
        Total and integer bits (LSB = 2^(I-W)).
    signed : bool
        ``ap_fixed`` (two's complement) or ``ap_ufixed``.
    rnd : {"AP_RND", "AP_TRN"}
        Round half towards +inf, or floor.
    ovf : {"AP_SAT", "AP_WRAP"}
        Saturate to the type range, or keep the low ``W`` bits.
    return_count : bool
        Also return the number of values that overflowed (saturated or wrapped).

    Returns
    -------
    raw : int64 array
        The integer representation (value = raw * 2^(I-W)).
    """
    if rnd not in (AP_RND, AP_TRN) or ovf not in (AP_SAT, AP_WRAP):
        raise ValueError(f"unsupported mode {rnd}/{ovf}")
    if not 1 <= W <= 62:
        raise ValueError("W must be in 1..62")
    s = np.ldexp(np.asarray(x, dtype=np.float64), W - I)  # exact scaling by 2^(W-I)
    if not np.all(np.isfinite(s)):
        raise ValueError("quantize: non-finite input")
    f = np.floor(s)
    if rnd == AP_RND:
        f = f + ((s - f) >= 0.5)  # s - f is exact (Sterbenz), so the half test is exact
    lo, hi = (-(1 << (W - 1)), (1 << (W - 1)) - 1) if signed else (0, (1 << W) - 1)
    over = (f < lo) | (f > hi)
    if ovf == AP_SAT:
        raw = np.clip(f, lo, hi).astype(np.int64)
    else:
        if np.any(np.abs(f) >= 2.0 ** 62):
            raise ValueError("quantize: value too large for AP_WRAP emulation")
        raw = f.astype(np.int64) & ((1 << W) - 1)
        if signed:
            raw = np.where(raw >= (1 << (W - 1)), raw - (1 << W), raw)
    if return_count:
        return raw, int(np.count_nonzero(over))
    return raw


def rnd_shift(v: np.ndarray, s: int) -> np.ndarray:
    """``(v + 2^(s-1)) >> s`` (AP_RND, round half up) for ``s > 0``; ``v`` for ``s = 0``."""
    if s == 0:
        return v
    return (v + (1 << (s - 1))) >> s


def _signed_bits(lo: int, hi: int) -> int:
    w = 1
    while not (-(1 << (w - 1)) <= lo and hi <= (1 << (w - 1)) - 1):
        w += 1
    return w


def _unsigned_bits(hi: int) -> int:
    return max(1, int(hi).bit_length())


def _parse_lsb(v, name: str, where: str) -> float:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if not (v > 0 and math.isfinite(v)):
            raise ConfigError(f"{where}: field '{name}' must be > 0, got {v!r}")
        return float(v)
    if isinstance(v, str):
        t = v.replace(" ", "")
        for pre, mul in (("2pi/", 2.0), ("pi/", 1.0)):
            if t.startswith(pre):
                try:
                    den = float(t[len(pre):])
                except ValueError:
                    break
                if den > 0:
                    return mul * math.pi / den
        raise ConfigError(f"{where}: field '{name}' must be a number, 'pi/N' or '2pi/N', got {v!r}")
    raise ConfigError(f"{where}: field '{name}' must be a number or 'pi/N', got {v!r}")


# ---------------------------------------------------------------------------
# configuration
# ---------------------------------------------------------------------------
_REQUIRED = ("n_obj", "pt_bits", "pt_lsb", "eta_bits", "eta_lsb", "phi_bits", "phi_lsb",
             "work_frac_bits", "mult_shift", "score_bits", "score_shift", "transport")
_DEFAULTS = {"format": "l1ot-kernel-config-v1", "input_format": "phase2", "phi_wrap": True,
             "axis_weights": [1.0, 1.0, 1.0], "reuse_factor": 1,
             "networks": {"sorted": "sort19", "species": "species19"}, "description": ""}


class KernelConfig:
    """Precision configuration of the kernel and every width derived from it.

    Loaded from JSON (``configs/kernel_default.json`` by default). All derived
    constants (multipliers, shifts, widths) are computed here and exported
    from here to C++ and SV; never copy them by hand.

    Attributes
    ----------
    n_obj : int                 number of slots (19)
    pt_bits, eta_bits, phi_bits : int    input field widths
    word_bits : int             input word width (43 for Phase-2)
    field_lsb : dict axis -> float       LSB of the input fields (GeV, rad)
    work_frac_bits : int        F, the working LSB is 2^-F metric units
    mult, shift : dict axis -> int       x_a = rnd_shift(raw_a * mult[a], shift[a])
    mult_rel_err : dict axis -> float    relative error of mult/2^shift vs. the exact factor
    x_range : dict axis -> (lo, hi)      extreme working values
    x_bits : dict axis -> int; x_signed : dict axis -> bool
    tag_bits, key_bits : int    slot tag width, sort key width ({x_pt, tag})
    d_bits : int                width of the squared distance D (exact)
    score_bits, score_shift : int
    reuse_factor : int
    transport : 'sorted' | 'species'
    network : sortnet.Network
    sha256 : str                SHA-256 of the canonical JSON of the config
    """

    def __init__(self, obj: dict, source: str = "<dict>"):
        self.source = source
        where = f"kernel config {source}"
        if not isinstance(obj, dict):
            raise ConfigError(f"{where}: top level must be a JSON object")
        missing = [k for k in _REQUIRED if k not in obj]
        if missing:
            raise ConfigError(f"{where}: missing field(s) {', '.join(missing)}")
        known = set(_REQUIRED) | set(_DEFAULTS)
        unknown = sorted(set(obj) - known)
        if unknown:
            raise ConfigError(f"{where}: unknown field(s) {', '.join(unknown)}")
        raw = dict(_DEFAULTS)
        raw.update(obj)
        self.raw = raw

        def _int(name, lo, hi):
            v = raw[name]
            if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
                raise ConfigError(f"{where}: field '{name}' must be an integer in {lo}..{hi}, got {v!r}")
            return v

        def _enum(name, choices):
            v = raw[name]
            if not isinstance(v, str) or v not in choices:
                raise ConfigError(f"{where}: field '{name}' must be one of "
                                  f"{', '.join(repr(c) for c in choices)} (a string), got {v!r}")
            return v

        if not isinstance(raw["phi_wrap"], bool):
            raise ConfigError(f"{where}: field 'phi_wrap' must be true or false (a JSON boolean), "
                              f"got {raw['phi_wrap']!r}")
        if not isinstance(raw["description"], str):
            raise ConfigError(f"{where}: field 'description' must be a string, got {raw['description']!r}")
        if not isinstance(raw["format"], str) or raw["format"] != "l1ot-kernel-config-v1":
            raise ConfigError(f"{where}: field 'format' must be 'l1ot-kernel-config-v1', got {raw['format']!r}")
        self.input_format = _enum("input_format", ("phase2", "run3"))
        self.n_obj = _int("n_obj", 2, 32)
        self.pt_bits = _int("pt_bits", 2, 24)
        self.eta_bits = _int("eta_bits", 2, 24)
        self.phi_bits = _int("phi_bits", 2, 24)
        self.word_bits = self.pt_bits + self.eta_bits + self.phi_bits
        if self.word_bits > 63:
            raise ConfigError(f"{where}: input word wider than 63 bits")
        self.field_bits = {"pt": self.pt_bits, "eta": self.eta_bits, "phi": self.phi_bits}
        self.field_lo = {"pt": self.eta_bits + self.phi_bits, "eta": self.phi_bits, "phi": 0}
        self.field_lsb = {a: _parse_lsb(raw[f"{a}_lsb"], f"{a}_lsb", where) for a in AXES}
        self.phi_wrap = bool(raw["phi_wrap"])
        self.phi_period = None
        if self.phi_wrap:
            per = 2 * math.pi / self.field_lsb["phi"]
            if abs(per - round(per)) > 1e-6 or round(per) % 2:
                raise ConfigError(f"{where}: phi_wrap needs 2*pi/phi_lsb to be an even integer, got {per}")
            self.phi_period = int(round(per))
            if self.phi_period // 2 > (1 << (self.phi_bits - 1)):
                raise ConfigError(f"{where}: phi_bits={self.phi_bits} cannot hold -pi..pi at this LSB")
        w = raw["axis_weights"]
        if (not isinstance(w, list) or len(w) != 3
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in w)):
            raise ConfigError(f"{where}: field 'axis_weights' must be 3 positive numbers")
        self.axis_weights = tuple(float(v) for v in w)
        self.work_frac_bits = _int("work_frac_bits", -8, 16)
        self.mult_shift = _int("mult_shift", 0, 30)
        self.score_bits = _int("score_bits", 1, 48)
        self.score_shift = _int("score_shift", 0, 60)
        self.reuse_factor = _int("reuse_factor", 1, 1024)
        self.transport = _enum("transport", ("sorted", "species"))
        nets = raw["networks"]
        if (not isinstance(nets, dict) or self.transport not in nets
                or not all(isinstance(v, str) and v for v in nets.values())):
            raise ConfigError(f"{where}: field 'networks' must map '{self.transport}' to a network name "
                              f"(strings), got {nets!r}")
        self.networks = dict(nets)
        try:
            self.network = sortnet.load(nets[self.transport])
        except ConfigError as exc:
            raise ConfigError(f"{where}: field 'networks': {exc}") from None
        if self.network.n != self.n_obj:
            raise ConfigError(f"{where}: network {self.network.name} has n={self.network.n}, config n_obj={self.n_obj}")

        # --- stage a: multipliers ------------------------------------------------
        F, S = self.work_frac_bits, self.mult_shift
        self.mult, self.shift, self.mult_rel_err = {}, {}, {}
        for a, wa in zip(AXES, self.axis_weights):
            exact = math.sqrt(wa) * self.field_lsb[a] * 2.0 ** F
            m, s = round(exact * 2.0 ** S), S
            if m < 1:
                raise ConfigError(f"{where}: multiplier for {a} rounds to 0; raise mult_shift or work_frac_bits")
            while s > 0 and m % 2 == 0:  # exact reduction: rnd_shift(r*2m, s+1) == rnd_shift(r*m, s)
                m //= 2
                s -= 1
            self.mult[a], self.shift[a] = int(m), int(s)
            self.mult_rel_err[a] = (m / 2.0 ** s - exact) / exact
        self.raw_range = {}
        for a in AXES:
            b = self.field_bits[a]
            self.raw_range[a] = (0, (1 << b) - 1) if a == "pt" else (-(1 << (b - 1)), (1 << (b - 1)) - 1)
        self.x_range = {a: tuple(int(rnd_shift(np.int64(v) * self.mult[a], self.shift[a]))
                                 for v in self.raw_range[a]) for a in AXES}
        self.x_signed = {"pt": False, "eta": True, "phi": True}
        self.x_bits = {"pt": _unsigned_bits(self.x_range["pt"][1]),
                       "eta": _signed_bits(*self.x_range["eta"]),
                       "phi": _signed_bits(*self.x_range["phi"])}
        self.mult_bits = {a: _unsigned_bits(self.mult[a]) for a in AXES}
        # --- stage b --------------------------------------------------------------
        self.tag_bits = max(1, (self.n_obj - 1).bit_length())
        self.key_bits = self.x_bits["pt"] + self.tag_bits
        # --- stage c --------------------------------------------------------------
        self.diff_bits = {a: _signed_bits(-(hi - lo), hi - lo) for a, (lo, hi) in self.x_range.items()}
        self.d_max = self.n_obj * sum((hi - lo) ** 2 for lo, hi in self.x_range.values())
        self.d_bits = _unsigned_bits(self.d_max)
        if self.d_bits > 62:
            raise ConfigError(f"{where}: distance needs {self.d_bits} bits (> 62); lower work_frac_bits")
        if self.score_shift >= self.d_bits:
            raise ConfigError(f"{where}: score_shift={self.score_shift} >= d_bits={self.d_bits}")
        self.score_max = (1 << self.score_bits) - 1
        # exactness of the float64 matrix product: |x|,|rom| <= amax, 3*n_obj terms
        amax = max(max(abs(lo), abs(hi)) for lo, hi in self.x_range.values())
        self.blas_exact = 4 * 3 * self.n_obj * amax * amax < 2 ** 53
        self.sha256 = hashlib.sha256(self.canonical_json().encode()).hexdigest()

    def canonical_json(self) -> str:
        """The text behind :attr:`sha256` (docs/kernel.md, "Precision config"): every field with
        defaults filled in, ``description`` dropped, ``axis_weights`` and numeric LSBs as floats
        (``[1, 1, 1]`` hashes as ``[1.0, 1.0, 1.0]``), ``pi/N`` strings without spaces; keys sorted,
        no spaces (``json.dumps(..., sort_keys=True, separators=(",", ":"))``)."""
        c = {k: v for k, v in self.raw.items() if k != "description"}
        c["axis_weights"] = [float(v) for v in c["axis_weights"]]
        for a in AXES:
            v = c[f"{a}_lsb"]
            c[f"{a}_lsb"] = v.replace(" ", "") if isinstance(v, str) else float(v)
        return json.dumps(c, sort_keys=True, separators=(",", ":"))

    # -- construction ----------------------------------------------------------
    @classmethod
    def load(cls, path=None, **overrides) -> "KernelConfig":
        """Read a config JSON (default ``configs/kernel_default.json``); keyword
        arguments override fields (e.g. ``work_frac_bits=4``)."""
        p = Path(path) if path is not None else DEFAULT_CONFIG
        if not p.is_file():
            raise ConfigError(f"kernel config {p}: file not found")
        try:
            obj = json.loads(p.read_text())
        except json.JSONDecodeError as exc:
            raise ConfigError(f"kernel config {p}: invalid JSON ({exc})") from None
        if overrides:
            obj = dict(obj)
            obj.update(overrides)
        from ..paths import shown
        return cls(obj, source=shown(p))

    def replace(self, **overrides) -> "KernelConfig":
        """A copy with some fields changed."""
        obj = {k: v for k, v in self.raw.items()}
        obj.update(overrides)
        return KernelConfig(obj, source=self.source + " (modified)")

    def to_json(self) -> dict:
        return dict(self.raw)

    # -- helpers -----------------------------------------------------------------
    @staticmethod
    def idx_bits(k: int) -> int:
        """Width of the argmin index for ``k`` medoids: ``max(1, ceil(log2 k))``."""
        return max(1, (int(k) - 1).bit_length())

    @property
    def lsb_work(self) -> float:
        """Working LSB ``L = 2^-F`` in metric units."""
        return 2.0 ** -self.work_frac_bits

    def score_to_linw2(self, score) -> np.ndarray:
        """Kernel score -> approximate float LinW2 (``L * sqrt(score * 2^shift / n_obj)``)."""
        s = np.asarray(score, dtype=np.float64)
        return self.lsb_work * np.sqrt(s * 2.0 ** self.score_shift / self.n_obj)

    def linw2_to_score(self, linw2) -> np.ndarray:
        """Float LinW2 (ground units) -> real-valued score units; inverse of :meth:`score_to_linw2`."""
        v = np.asarray(linw2, dtype=np.float64) / self.lsb_work
        return v * v * self.n_obj / 2.0 ** self.score_shift

    def derived(self) -> dict:
        """All derived constants as a JSON-friendly dict (for reports and exports)."""
        return {
            "config_sha256": self.sha256, "n_obj": self.n_obj, "word_bits": self.word_bits,
            "field_bits": self.field_bits, "field_lo": self.field_lo, "field_lsb": self.field_lsb,
            "phi_wrap": self.phi_wrap, "phi_period": self.phi_period,
            "work_frac_bits": self.work_frac_bits, "mult": self.mult, "shift": self.shift,
            "mult_bits": self.mult_bits, "mult_rel_err": self.mult_rel_err,
            "x_range": self.x_range, "x_bits": self.x_bits, "x_signed": self.x_signed,
            "tag_bits": self.tag_bits, "key_bits": self.key_bits, "diff_bits": self.diff_bits,
            "d_bits": self.d_bits, "score_bits": self.score_bits, "score_shift": self.score_shift,
            "reuse_factor": self.reuse_factor, "transport": self.transport,
            "network": {"name": self.network.name, "size": self.network.size, "depth": self.network.depth},
        }

    def __repr__(self):
        return (f"KernelConfig({self.source}, F={self.work_frac_bits}, S={self.mult_shift}, "
                f"score={self.score_bits}b>>{self.score_shift}, {self.transport})")


# ---------------------------------------------------------------------------
# stage 0: float -> raw integers -> words
# ---------------------------------------------------------------------------
@dataclass
class QuantStats:
    """Counts of input quantization effects (per field)."""

    n_events: int = 0
    n_objects: int = 0          # non-empty slots
    sat_pt: int = 0
    sat_eta: int = 0
    sat_phi: int = 0
    phi_wrapped: int = 0        # phi = +pi (or beyond) mapped to -pi

    @property
    def n_saturated(self) -> int:
        return self.sat_pt + self.sat_eta + self.sat_phi

    def add(self, other: "QuantStats") -> "QuantStats":
        """Accumulate the counts of ``other`` (e.g. of the next chunk) into this one; returns self."""
        for k in self.as_dict():
            setattr(self, k, getattr(self, k) + getattr(other, k))
        return self

    def as_dict(self) -> dict:
        return {"n_events": self.n_events, "n_objects": self.n_objects, "sat_pt": self.sat_pt,
                "sat_eta": self.sat_eta, "sat_phi": self.sat_phi, "phi_wrapped": self.phi_wrapped}


def quantize_inputs(particles: np.ndarray, cfg: KernelConfig, source=None):
    """Quantize float events to the raw input fields (stage 0).

    Parameters
    ----------
    particles : float array (N, n_obj, 4)
        ADC2021 rows (pT/GeV, eta, phi, class id).
    cfg : KernelConfig
    source : str, optional
        File name used in error messages.

    Returns
    -------
    pt_raw, eta_raw, phi_raw : int64 arrays (N, n_obj)
    stats : QuantStats
    """
    p = np.asarray(particles)
    if p.ndim != 3 or p.shape[1] != cfg.n_obj or p.shape[2] < 3:
        raise DataError(f"events must have shape (N, {cfg.n_obj}, 4), got {p.shape}", file=source)
    v = p[..., :3].astype(np.float64)
    bad = ~np.isfinite(v)
    if bad.any():
        e, s, f = np.argwhere(bad)[0]
        raise DataError("non-finite value", file=source, event=int(e), slot=int(s), field=AXES[f])
    neg = v[..., 0] < 0
    if neg.any():
        e, s = np.argwhere(neg)[0]
        raise DataError(f"negative pT {v[e, s, 0]}", file=source, event=int(e), slot=int(s), field="pt")
    st = QuantStats(n_events=p.shape[0], n_objects=int(np.count_nonzero(np.any(v != 0, axis=-1))))
    pt, st.sat_pt = quantize(v[..., 0] / cfg.field_lsb["pt"], cfg.pt_bits, cfg.pt_bits, False,
                             AP_RND, AP_SAT, return_count=True)
    eta, st.sat_eta = quantize(v[..., 1] / cfg.field_lsb["eta"], cfg.eta_bits, cfg.eta_bits, True,
                               AP_RND, AP_SAT, return_count=True)
    phi_f = v[..., 2] / cfg.field_lsb["phi"]
    phi_i = quantize(phi_f, 62, 62, True, AP_RND, AP_SAT)
    if cfg.phi_wrap:
        half = cfg.phi_period // 2
        wrapped = ((phi_i + half) % cfg.phi_period) - half
        st.phi_wrapped = int(np.count_nonzero(wrapped != phi_i))
        phi_i = wrapped
    lo, hi = cfg.raw_range["phi"]
    st.sat_phi = int(np.count_nonzero((phi_i < lo) | (phi_i > hi)))
    phi = np.clip(phi_i, lo, hi)
    return pt, eta, phi, st


def pack_words(pt_raw, eta_raw, phi_raw, cfg: KernelConfig) -> np.ndarray:
    """Pack raw fields into input words ``{pt, eta, phi}`` (uint64, low ``word_bits`` used).

    Raises ValueError if a field does not fit its width.
    """
    out = np.zeros(np.shape(pt_raw), dtype=np.uint64)
    for a, r in zip(AXES, (pt_raw, eta_raw, phi_raw)):
        r = np.asarray(r, dtype=np.int64)
        lo, hi = cfg.raw_range[a]
        if r.size and (r.min() < lo or r.max() > hi):
            raise ValueError(f"raw {a} outside {lo}..{hi}")
        mask = (1 << cfg.field_bits[a]) - 1
        out |= (r & mask).astype(np.uint64) << np.uint64(cfg.field_lo[a])
    return out


def unpack_words(words, cfg: KernelConfig, source=None):
    """Split input words into raw fields (sign-extending eta and phi).

    Parameters
    ----------
    words : uint64 array (N, n_obj)

    Returns
    -------
    pt_raw, eta_raw, phi_raw : int64 arrays (N, n_obj)
    """
    w = np.asarray(words)
    if w.ndim != 2 or w.shape[1] != cfg.n_obj:
        raise DataError(f"words must have shape (N, {cfg.n_obj}), got {w.shape}", file=source)
    if w.dtype.kind not in "ui":
        raise DataError(f"words must be integers, got dtype {w.dtype}", file=source)
    if w.dtype.kind == "i" and w.size and w.min() < 0:
        e, s = np.argwhere(w < 0)[0]
        raise DataError("negative input word", file=source, event=int(e), slot=int(s))
    w = w.view(np.int64) if w.dtype == np.uint64 else w.astype(np.int64)
    over = (w >> cfg.word_bits) != 0  # also catches bit 63 (negative as int64)
    if over.any():
        e, s = np.argwhere(over)[0]
        raise DataError(f"input word 0x{int(w[e, s]) & (2**64 - 1):x} wider than {cfg.word_bits} bits",
                        file=source, event=int(e), slot=int(s))
    return _split(w, cfg)


def _split(w, cfg):
    """Field extraction on validated int64 words; sign extension by shifts."""
    out = []
    for a in AXES:
        b, lo = cfg.field_bits[a], cfg.field_lo[a]
        if a == "pt":
            out.append((w >> lo) & ((1 << b) - 1))
        else:
            out.append((w << (64 - lo - b)) >> (64 - b))  # arithmetic shift sign-extends
    return tuple(out)


def events_to_words(particles, cfg: KernelConfig, source=None):
    """Float events (N, n_obj, 4) -> (uint64 words (N, n_obj), QuantStats)."""
    pt, eta, phi, st = quantize_inputs(particles, cfg, source=source)
    return pack_words(pt, eta, phi, cfg), st


# ---------------------------------------------------------------------------
# stages a, b
# ---------------------------------------------------------------------------
def working(pt_raw, eta_raw, phi_raw, cfg: KernelConfig) -> np.ndarray:
    """Stage a: raw fields -> working coordinates x, int64 (N, n_obj, 3)."""
    return np.stack([rnd_shift(np.asarray(r, dtype=np.int64) * cfg.mult[a], cfg.shift[a])
                     for a, r in zip(AXES, (pt_raw, eta_raw, phi_raw))], axis=-1)


def sort_stage(x: np.ndarray, cfg: KernelConfig):
    """Stage b: apply the sorting network on keys ``{x_pt, n_obj-1-slot}``.

    Parameters
    ----------
    x : int64 (N, n_obj, 3)

    Returns
    -------
    xs : int64 (N, n_obj, 3)   the sorted working coordinates
    perm : int64 (N, n_obj)    input slot on each output wire
    """
    n = cfg.n_obj
    tag = (n - 1 - np.arange(n, dtype=np.int64))
    dt = np.int32 if cfg.key_bits <= 31 else np.int64
    keys = ((x[..., 0].T << cfg.tag_bits) | tag[:, None]).astype(dt)  # wire-major (n, N)
    keys = np.ascontiguousarray(keys)
    sortnet.sort_keys(cfg.network, keys)
    k = keys.T.astype(np.int64)
    perm = (n - 1) - (k & ((1 << cfg.tag_bits) - 1))
    flat = (perm + n * np.arange(x.shape[0], dtype=np.int64)[:, None]).ravel()
    xs = np.empty_like(x)
    xs[..., 0] = k >> cfg.tag_bits
    xs[..., 1] = np.ascontiguousarray(x[..., 1]).ravel()[flat].reshape(perm.shape)
    xs[..., 2] = np.ascontiguousarray(x[..., 2]).ravel()[flat].reshape(perm.shape)
    return xs, perm


# ---------------------------------------------------------------------------
# medoid ROM
# ---------------------------------------------------------------------------
def _medoid_events(model_or_events):
    if isinstance(model_or_events, (str, Path)):
        import h5py
        p = Path(model_or_events)
        if not p.is_file():
            raise ModelError(f"model file {p} not found")
        try:
            with h5py.File(p, "r") as f:
                if "medoid_events" not in f:
                    raise ModelError(f"model file {p}: dataset 'medoid_events' missing")
                return np.asarray(f["medoid_events"][...]), str(p)
        except OSError as exc:
            raise ModelError(f"model file {p}: cannot read ({exc})") from None
    if hasattr(model_or_events, "medoid_events"):
        p = getattr(model_or_events, "path", None)
        return np.asarray(model_or_events.medoid_events), str(p) if p else "model"
    return np.asarray(model_or_events), "medoid events"


def check_model(model, cfg: KernelConfig, model_path) -> None:
    """Refuse a model whose float metric is not the kernel's: one :class:`ModelError` line.

    The kernel computes the config's metric (its ``transport`` and ``axis_weights``);
    a model trained with another one has medoids and a threshold that mean something
    else. Used by ``calibrate``, ``export`` and ``score --fixed`` before any work.
    Weights compare as float64 up to rounding (relative 1e-9): the model stores what
    ``l1ot train --axis-weights`` parsed, the config what its JSON holds.
    """
    transport = getattr(model, "transport", None)
    if transport is not None and transport != cfg.transport:
        raise ModelError(f"model file {model_path} has transport '{transport}', config "
                         f"{cfg.source} has '{cfg.transport}'")
    mw = np.asarray(getattr(model, "axis_weights", np.ones(3)), dtype=np.float64).reshape(-1)
    cw = np.asarray(cfg.axis_weights, dtype=np.float64)
    if mw.shape != cw.shape or not np.allclose(mw, cw, rtol=1e-9, atol=0.0):
        raise ModelError(f"model file {model_path} has axis_weights {[float(v) for v in mw]}, config "
                         f"{cfg.source} has {[float(v) for v in cw]}: train the model with "
                         "--axis-weights as in the config, or use a config with the model's weights")


def medoid_rom(model_or_events, cfg: KernelConfig) -> np.ndarray:
    """Build the medoid ROM: stages 0, a, b applied to each medoid event.

    Parameters
    ----------
    model_or_events : path to a model file, a ``LinModel`` (``.medoid_events``),
        or a float array (K, n_obj, 4) of medoid events.

    Returns
    -------
    rom : int64 (K, n_obj, 3)
    """
    ev, src = _medoid_events(model_or_events)
    if ev.ndim != 3 or ev.shape[1:] != (cfg.n_obj, 4) or ev.shape[0] < 1:
        raise ModelError(f"{src}: medoid events must have shape (K, {cfg.n_obj}, 4), got {ev.shape}")
    words, _ = events_to_words(ev, cfg, source=src)
    xs, _ = sort_stage(working(*unpack_words(words, cfg), cfg), cfg)
    return xs


def check_rom(rom, cfg: KernelConfig) -> np.ndarray:
    rom = np.asarray(rom)
    if rom.ndim != 3 or rom.shape[1:] != (cfg.n_obj, 3) or rom.shape[0] < 1:
        raise ModelError(f"medoid ROM must have shape (K, {cfg.n_obj}, 3), got {rom.shape}")
    if rom.dtype.kind not in "iu":
        raise ModelError(f"medoid ROM must be integer, got {rom.dtype}")
    rom = rom.astype(np.int64)
    for ai, a in enumerate(AXES):
        lo, hi = cfg.x_range[a]
        if rom[..., ai].min() < lo or rom[..., ai].max() > hi:
            raise ModelError(f"medoid ROM axis {a} outside the working range {lo}..{hi} "
                             "(ROM built with another config?)")
    return rom


# ---------------------------------------------------------------------------
# stages c .. f
# ---------------------------------------------------------------------------
@dataclass
class KernelResult:
    """Outputs of :func:`run` for N events.

    score : int64 (N,)   stage e, unsigned ``score_bits``
    idx : int64 (N,)     argmin medoid index
    trig : uint8 (N,)    trigger bit
    n_score_sat : int    events whose score saturated
    stages : dict        intermediate values if ``stages=True``: raw (3 arrays),
                         x (N,19,3), perm (N,19), xs (N,19,3), d (N,K), dmin (N,)
    """

    score: np.ndarray
    idx: np.ndarray
    trig: np.ndarray
    n_score_sat: int = 0
    stages: dict = field(default_factory=dict)

    def __len__(self):
        return len(self.score)


def distances(xs: np.ndarray, rom: np.ndarray, cfg: KernelConfig) -> np.ndarray:
    """Stage c: ``D[n, m] = sum_{i,a} (xs[n,i,a] - rom[m,i,a])^2``, exact int64 (N, K)."""
    N, K = xs.shape[0], rom.shape[0]
    X = xs.reshape(N, -1)
    R = rom.reshape(K, -1)
    if cfg.blas_exact:
        # every term and partial sum is an integer < 2^53: float64 is exact
        Xf, Rf = X.astype(np.float64), R.astype(np.float64)
        d = (Xf * Xf).sum(1)[:, None] + (Rf * Rf).sum(1)[None, :] - 2.0 * (Xf @ Rf.T)
        return d.astype(np.int64)
    d = np.empty((N, K), dtype=np.int64)
    for m in range(K):
        diff = X - R[m]
        d[:, m] = (diff * diff).sum(1)
    return d


def _check_threshold(threshold, cfg):
    if threshold is None:
        return None
    t = int(threshold)
    if t != threshold or not 0 <= t <= cfg.score_max:
        raise ModelError(f"threshold {threshold!r} is not an integer in 0..{cfg.score_max} (score_bits={cfg.score_bits})")
    return t


def run(words, rom, threshold, cfg: KernelConfig, stages: bool = False, chunk: int = 8192,
        source=None) -> KernelResult:
    """Run the bit-accurate kernel on input words.

    Parameters
    ----------
    words : uint64 (N, n_obj)
        Input words (stage 0 format).
    rom : int64 (K, n_obj, 3)
        Medoid ROM from :func:`medoid_rom`.
    threshold : int or None
        Trigger threshold in score units; ``None`` gives ``trig = 0``.
    stages : bool
        Keep intermediate stage values in ``result.stages``.

    Returns
    -------
    KernelResult
    """
    rom = check_rom(rom, cfg)
    thr = _check_threshold(threshold, cfg)
    w = np.asarray(words)
    if stages:
        pt, eta, phi = unpack_words(w, cfg, source=source)
        x = working(pt, eta, phi, cfg)
        xs, perm = sort_stage(x, cfg)
        d = distances(xs, rom, cfg)
        score, idx, n_sat, dmin = _score(d, cfg)
        res = KernelResult(score=score, idx=idx, n_score_sat=n_sat, trig=_trig(score, thr))
        res.stages = {"raw": (pt, eta, phi), "x": x, "perm": perm, "xs": xs, "d": d, "dmin": dmin}
        return res
    unpack_words(w[:0], cfg, source=source)  # shape/dtype checks
    N = w.shape[0]
    score = np.empty(N, np.int64)
    idx = np.empty(N, np.int64)
    n_sat = 0
    Rf = rom.transpose(0, 2, 1).reshape(rom.shape[0], -1).astype(np.float64)  # axis-major
    rr = (Rf * Rf).sum(1)
    Rm2T = np.ascontiguousarray(-2.0 * Rf.T)
    n = cfg.n_obj
    tagv = (n - 1 - np.arange(n, dtype=np.int64))[:, None]
    tmask = (1 << cfg.tag_bits) - 1
    # The comparators order {x_pt, tag}; the tag is unique within an event, so bits below it
    # never decide a comparison. The fast path appends the angles (offset to >= 0) below the
    # tag and lets the network carry them, instead of gathering them afterwards. This is the
    # stage-b network of sort_stage() with its payload (checked against it by the tests).
    (lo_e, hi_e), (lo_f, hi_f) = cfg.x_range["eta"], cfg.x_range["phi"]
    eb, fb = _unsigned_bits(hi_e - lo_e), _unsigned_bits(hi_f - lo_f)
    packed_bits = cfg.key_bits + eb + fb
    packed = cfg.blas_exact and packed_bits <= 63
    kdt = np.int32 if (packed_bits if packed else cfg.key_bits) <= 31 else np.int64
    for s0 in range(0, N, chunk):
        sl = slice(s0, min(N, s0 + chunk))
        wc = unpack_words(w[sl], cfg, source=source)
        m = wc[0].shape[0]
        xp, xe, xf = (rnd_shift(r * cfg.mult[a], cfg.shift[a]) for a, r in zip(AXES, wc))
        if packed:
            keys = (((xp.T << cfg.tag_bits) | tagv) << (eb + fb)) | ((xe.T - lo_e) << fb) | (xf.T - lo_f)
            keys = np.ascontiguousarray(keys.astype(kdt))
            sortnet.sort_keys(cfg.network, keys)
            k = keys.T  # (m, n) view
            # axis-major columns [pt_0..pt_18, eta_0.., phi_0..] (ROM permuted alike)
            X = np.empty((m, 3 * n), np.float64)
            X[:, :n] = k >> (cfg.tag_bits + eb + fb)  # ints -> float64 on assignment (exact)
            X[:, n:2 * n] = ((k >> fb) & ((1 << eb) - 1)) + lo_e
            X[:, 2 * n:] = (k & ((1 << fb) - 1)) + lo_f
        else:
            keys = np.ascontiguousarray(((xp.T << cfg.tag_bits) | tagv).astype(kdt))
            sortnet.sort_keys(cfg.network, keys)
            k = keys.T.astype(np.int64)
            flat = (((n - 1) - (k & tmask)) + n * np.arange(m, dtype=np.int64)[:, None]).ravel()
        if cfg.blas_exact:
            if not packed:
                X = np.empty((m, 3 * n), np.float64)
                X[:, :n] = k >> cfg.tag_bits
                X[:, n:2 * n] = xe.ravel()[flat].reshape(m, n)
                X[:, 2 * n:] = xf.ravel()[flat].reshape(m, n)
            n_sat += _exact_tail(X, Rm2T, rr, cfg, score[sl], idx[sl])
            continue
        else:
            xs = np.stack([k >> cfg.tag_bits, xe.ravel()[flat].reshape(m, n),
                           xf.ravel()[flat].reshape(m, n)], axis=-1)
            d = distances(xs, rom, cfg)
        sc, ix, ns, _ = _score(d, cfg)
        score[sl], idx[sl] = sc, ix
        n_sat += ns
    return KernelResult(score=score, idx=idx, n_score_sat=n_sat, trig=_trig(score, thr))


def _exact_tail(X, Rm2T, rr, cfg, score_out, idx_out) -> int:
    """Stages c..e on axis-major rows X float64 (m, 3 n_obj); returns the saturation count.

    Exact: all terms and partial sums are integers < 2^53 (checked by KernelConfig).
    D = |x|^2 + (|r|^2 - 2 x.r); |x|^2 does not depend on m, so argmin on the rest.
    """
    part = X @ Rm2T
    part += rr
    ix = np.argmin(part, axis=1)
    dmin = (np.take_along_axis(part, ix[:, None], axis=1)[:, 0]
            + np.einsum("ij,ij->i", X, X)).astype(np.int64)
    q = dmin >> cfg.score_shift
    score_out[:] = np.minimum(q, cfg.score_max)
    idx_out[:] = ix
    return int(np.count_nonzero(q > cfg.score_max))


def _score(d, cfg):
    """Stages d, e: argmin (first minimum = lowest index on ties), shift, saturate."""
    i = np.argmin(d, axis=1)
    dmin = np.take_along_axis(d, i[:, None], axis=1)[:, 0]
    q = dmin >> cfg.score_shift
    n_sat = int(np.count_nonzero(q > cfg.score_max))
    return np.minimum(q, cfg.score_max), i, n_sat, dmin


def _trig(score, thr):
    if thr is None:
        return np.zeros(len(score), np.uint8)
    return (score >= thr).astype(np.uint8)


def _packed_layout(cfg: KernelConfig):
    """(eb, fb, packed): angle payload widths of run()'s packed sort keys, and whether they fit."""
    (lo_e, hi_e), (lo_f, hi_f) = cfg.x_range["eta"], cfg.x_range["phi"]
    eb, fb = _unsigned_bits(hi_e - lo_e), _unsigned_bits(hi_f - lo_f)
    return eb, fb, cfg.blas_exact and cfg.key_bits + eb + fb <= 63


def _fast_plan(cfg: KernelConfig):
    """The compiled stage 0/a/b plan for ``cfg`` (:mod:`l1ot.kernel.fastpath`), or None."""
    import os

    if os.environ.get("L1OT_NO_JIT"):
        return None
    plan = getattr(cfg, "_fast_plan", False)
    if plan is False:
        from . import fastpath

        eb, fb, packed = _packed_layout(cfg)
        plan = fastpath.Plan(cfg, eb, fb) if packed else None
        cfg._fast_plan = plan
    return plan


def run_events(particles, rom, threshold, cfg: KernelConfig, source=None, chunk: int = 8192):
    """Float events (N, n_obj, 4) -> (KernelResult, QuantStats): quantize, pack, run.

    Uses the fused compiled stages 0/a/b of :mod:`l1ot.kernel.fastpath` when the config
    allows it (identical results; ``L1OT_NO_JIT=1`` forces the numpy reference).
    """
    p = np.asarray(particles)
    plan = _fast_plan(cfg)
    if (plan is None or p.ndim != 3 or p.shape[1] != cfg.n_obj or p.shape[2] < 3
            or p.dtype not in (np.float32, np.float64)):
        words, st = events_to_words(particles, cfg, source=source)
        return run(words, rom, threshold, cfg, source=source), st
    rom = check_rom(rom, cfg)
    thr = _check_threshold(threshold, cfg)
    N = p.shape[0]
    score = np.empty(N, np.int64)
    idx = np.empty(N, np.int64)
    Rf = rom.transpose(0, 2, 1).reshape(rom.shape[0], -1).astype(np.float64)  # axis-major
    rr = (Rf * Rf).sum(1)
    Rm2T = np.ascontiguousarray(-2.0 * Rf.T)
    counts = np.zeros(6, np.int64)
    n_sat = 0
    for s0 in range(0, N, chunk):
        sl = slice(s0, min(N, s0 + chunk))
        X, ok = plan.rows(p[sl], counts)
        if not ok:  # non-finite or negative pT: the reference raises the one-line error
            words, st = events_to_words(particles, cfg, source=source)
            return run(words, rom, threshold, cfg, source=source), st
        n_sat += _exact_tail(X, Rm2T, rr, cfg, score[sl], idx[sl])
    st = QuantStats(n_events=N, n_objects=int(counts[0]), sat_pt=int(counts[1]), sat_eta=int(counts[2]),
                    sat_phi=int(counts[3]), phi_wrapped=int(counts[4]))
    return KernelResult(score=score, idx=idx, n_score_sat=n_sat, trig=_trig(score, thr)), st
