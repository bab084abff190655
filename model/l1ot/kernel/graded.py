"""Graded trigger bits from the one score: N thresholds, N bits, the rate counters.

The kernel computes one integer score per event (:mod:`l1ot.kernel.fixed`). A
run-time register bank (``firmware/rtl/l1ot_regbank.sv``, docs/firmware.md)
compares it with N graded thresholds ``T[0..N-1]`` and raises N trigger bits

    bit[i] = score >= T[i]

(the same compare as the single ``trig`` of the kernel, whose threshold stays the
model file's ``threshold`` attribute). This module is the reference for the
bits, for the counters the register bank keeps over a stream, and for the
calibration of the thresholds (``l1ot calibrate --graded``).

The model file holds the thresholds as the integer attribute ``thresholds``
(length N, :data:`DEFAULT_N` by default); they are the reset values of the
register bank (``l1ot export`` writes them into the generated register package).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError, ModelError

#: number of graded thresholds (the register bank's parameter N_THR)
DEFAULT_N = 8
#: default background efficiencies of the graded thresholds, loosest first
DEFAULT_EFFS = (1e-2, 5e-3, 2e-3, 1e-3, 5e-4, 2e-4, 1e-4, 5e-5)
#: LHC bunch-crossing frequency (MHz) and the filled fraction of a standard fill
LHC_MHZ = 40.0
FILLED_BUNCHES, BUNCH_SLOTS = 2544, 3564
#: default input rate (MHz): 40 MHz x 2544 / 3564 filled bunches = 28.55 MHz
DEFAULT_INPUT_RATE_MHZ = LHC_MHZ * FILLED_BUNCHES / BUNCH_SLOTS


def trigger_bits(score: np.ndarray, thresholds) -> np.ndarray:
    """Graded trigger bits.

    score: (n,) integer scores; thresholds: (N,) integers.
    Returns (n, N) uint8 with ``bits[e, i] = score[e] >= thresholds[i]``.
    """
    s = np.asarray(score, dtype=np.int64).reshape(-1)
    t = np.asarray(thresholds, dtype=np.int64).reshape(-1)
    return (s[:, None] >= t[None, :]).astype(np.uint8)


def pack_bits(bits: np.ndarray) -> np.ndarray:
    """(n, N) 0/1 -> (n,) int64 with bit i of word e = bits[e, i] (the RTL port order)."""
    b = np.asarray(bits, dtype=np.int64)
    return (b << np.arange(b.shape[1], dtype=np.int64)[None, :]).sum(axis=1)


@dataclass
class Counters:
    """Counters of the register bank over a stream (all non-negative integers).

    events   : events scored (out_valid cycles)
    trig     : (N,) events with bit i set
    sat      : events with the score at full scale (``score == score_max``: every
               saturated score, and the rare unsaturated score equal to the full scale)
    overrun  : overrun cycles of the kernel (0 for the II = 1 constant-matrix top)
    """
    events: int
    trig: list
    sat: int
    overrun: int = 0


def counters(score: np.ndarray, thresholds, score_max: int, overrun: int = 0) -> Counters:
    """Counters over a stream of scores (n,) with thresholds (N,) (see :class:`Counters`)."""
    s = np.asarray(score, dtype=np.int64).reshape(-1)
    bits = trigger_bits(s, thresholds)
    return Counters(events=int(s.size), trig=[int(x) for x in bits.sum(axis=0)],
                    sat=int(np.count_nonzero(s == score_max)), overrun=int(overrun))


def check_thresholds(thresholds, score_max: int, where: str = "thresholds") -> list[int]:
    """``thresholds`` as a list of ints in ``0..score_max``, else ModelError naming ``where``."""
    out = []
    for i, t in enumerate(np.asarray(thresholds).reshape(-1).tolist()):
        if isinstance(t, float) and not float(t).is_integer():
            raise ModelError(f"{where}[{i}] = {t!r} is not an integer")
        if not 0 <= int(t) <= score_max:
            raise ModelError(f"{where}[{i}] = {t!r} is not an integer in 0..{score_max}")
        out.append(int(t))
    if not out:
        raise ModelError(f"{where}: no thresholds")
    return out


def model_thresholds(model, score_max: int, n: int = DEFAULT_N) -> list[int]:
    """The graded thresholds of a model file (attribute ``thresholds``).

    A model calibrated before graded thresholds existed has only ``threshold``:
    then every graded threshold is that one (each bit equals the single trigger).
    """
    t = model.meta.get("thresholds") if hasattr(model, "meta") else getattr(model, "thresholds", None)
    if t is None:
        if model.threshold is None:
            raise ModelError("model has no threshold: run `l1ot calibrate`")
        return [int(model.threshold)] * n
    return check_thresholds(t, score_max, "model attribute thresholds")


def thresholds_for_efficiencies(scores: np.ndarray, effs, score_max: int) -> tuple[list[int], list[float]]:
    """For each background efficiency, the smallest integer T with ``mean(scores >= T) <= eff``.

    scores: (n,) integer background scores; effs: (N,) fractions in (0, 1).
    Returns (thresholds, achieved efficiencies), both length N.
    """
    s = np.sort(np.asarray(scores, dtype=np.int64).reshape(-1))
    n = s.size
    if n == 0:
        raise ValueError("no scores")
    thr, ach = [], []
    for eff in effs:
        eff = float(eff)
        if not 0.0 < eff < 1.0:
            raise ConfigError(f"background efficiency {eff!r} is not in (0, 1)")
        allowed = int(np.floor(eff * n + 1e-9))        # events allowed at or above T
        t = 0 if allowed >= n else int(s[n - allowed - 1]) + 1
        t = min(max(t, 0), score_max)
        thr.append(t)
        ach.append(float(n - np.searchsorted(s, t, side="left")) / n)
    return thr, ach


def efficiencies_from_rates(rates_khz, input_rate_mhz: float = DEFAULT_INPUT_RATE_MHZ) -> list[float]:
    """Background efficiencies for target rates: ``eff = rate [kHz] / (1000 * input rate [MHz])``."""
    if not np.isfinite(input_rate_mhz) or input_rate_mhz <= 0:
        raise ConfigError(f"--input-rate must be a positive number of MHz, got {input_rate_mhz}")
    out = []
    for r in rates_khz:
        e = float(r) / (1000.0 * float(input_rate_mhz))
        if not 0.0 < e < 1.0:
            raise ConfigError(f"target rate {r} kHz at input rate {input_rate_mhz:g} MHz gives efficiency "
                              f"{e:.3g}, outside (0, 1)")
        out.append(e)
    return out
