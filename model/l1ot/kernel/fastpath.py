"""Fused, compiled stage 0 / a / b of the fixed-point kernel (numba).

:func:`stage0ab` takes float events straight to the axis-major float64 rows that
stage c multiplies with the medoid ROM, in one pass per event: quantization
(``quantize_inputs``), the word format (``pack_words``/``unpack_words`` are
identities on in-range fields), the stage-a multipliers and the sorting network
on the packed keys ``{x_pt, tag, eta - lo, phi - lo}`` of :func:`l1ot.kernel.fixed.run`.
Every operation is the integer or exactly-rounded float64 operation of the
numpy reference, so the rows are identical to it; ``tests/test_fastpath.py``
checks this on the bundled sample and on edge-case vectors. It is an
implementation detail of :func:`l1ot.kernel.fixed.run_events`; configs it does
not cover (unpacked keys, no exact float64 product) use the numpy reference.

Compiled on first use and cached in ``__pycache__`` (numba ``cache=True``).
"""
from __future__ import annotations

import math

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def _q_rnd(s):
    # quantize(): f = floor(s); f += (s - f) >= 0.5  (exact, see fixed.quantize)
    f = math.floor(s)
    if s - f >= 0.5:
        f += 1.0
    return f


@numba.njit(cache=True, nogil=True)
def stage0ab(p, lsb, lim, wrap, period, mult, shift, tag_bits, eb, fb, lo_e, lo_f,
             ci, cj, X, counts):
    """p float (m, n, >=3) -> X float64 (m, 3n); counts int64[6] += stats.

    counts: n_objects, sat_pt, sat_eta, sat_phi, phi_wrapped, first bad event + 1
    (non-finite value or negative pT: the caller re-runs the reference, which raises).
    lim: pt_hi, eta_lo, eta_hi, phi_lo, phi_hi.
    """
    m, n = p.shape[0], p.shape[1]
    keys = np.empty(n, np.int64)
    half = period // 2
    # quantize(W=62): np.clip in float64 to -2^61 .. 2^61 - 1 (which rounds to 2^61)
    big_lo = -2305843009213693952.0
    big_hi = 2305843009213693952.0
    emask = (1 << eb) - 1
    fmask = (1 << fb) - 1
    sh_pt = tag_bits + eb + fb
    for e in range(m):
        for s in range(n):
            v0 = np.float64(p[e, s, 0])
            v1 = np.float64(p[e, s, 1])
            v2 = np.float64(p[e, s, 2])
            if v0 == 0 and v1 == 0 and v2 == 0:
                # empty slot: raw fields 0, working coordinates rnd_shift(0) = 0
                keys[s] = ((n - 1 - s) << (eb + fb)) | ((0 - lo_e) << fb) | (0 - lo_f)
                continue
            if not (math.isfinite(v0) and math.isfinite(v1) and math.isfinite(v2)) or v0 < 0:
                if counts[5] == 0:
                    counts[5] = e + 1
                return
            counts[0] += 1
            # pt: unsigned, pt_bits
            f = _q_rnd(v0 / lsb[0])
            if f > lim[0]:
                counts[1] += 1
                f = lim[0]
            rp = np.int64(f)
            # eta: signed, eta_bits
            f = _q_rnd(v1 / lsb[1])
            if f < lim[1]:
                counts[2] += 1
                f = lim[1]
            elif f > lim[2]:
                f = lim[2]
                counts[2] += 1
            re = np.int64(f)
            # phi: 62-bit quantization, wrap, saturate
            f = _q_rnd(v2 / lsb[2])
            if f < big_lo:
                f = big_lo
            elif f > big_hi:
                f = big_hi
            rf = np.int64(f)
            if wrap and (rf < -half or rf >= half):  # else the wrap is the identity
                w = ((rf + half) % period) - half
                if w != rf:
                    counts[4] += 1
                rf = w
            if rf < np.int64(lim[3]):
                counts[3] += 1
                rf = np.int64(lim[3])
            elif rf > np.int64(lim[4]):
                counts[3] += 1
                rf = np.int64(lim[4])
            # stage a
            xp = rp * mult[0]
            if shift[0] > 0:
                xp = (xp + (np.int64(1) << (shift[0] - 1))) >> shift[0]
            xe = re * mult[1]
            if shift[1] > 0:
                xe = (xe + (np.int64(1) << (shift[1] - 1))) >> shift[1]
            xf = rf * mult[2]
            if shift[2] > 0:
                xf = (xf + (np.int64(1) << (shift[2] - 1))) >> shift[2]
            keys[s] = ((((xp << tag_bits) | (n - 1 - s)) << (eb + fb))
                       | ((xe - lo_e) << fb) | (xf - lo_f))
        # stage b: the sorting network (descending; comparator (i, j): max to i)
        for c in range(ci.shape[0]):  # branch-free max/min (keys are distinct)
            a = keys[ci[c]]
            b = keys[cj[c]]
            keys[ci[c]] = max(a, b)
            keys[cj[c]] = min(a, b)
        for s in range(n):
            k = keys[s]
            X[e, s] = np.float64(k >> sh_pt)
            X[e, n + s] = np.float64(((k >> fb) & emask) + lo_e)
            X[e, 2 * n + s] = np.float64((k & fmask) + lo_f)


class Plan:
    """Constants of :func:`stage0ab` for one :class:`~l1ot.kernel.fixed.KernelConfig`."""

    def __init__(self, cfg, eb: int, fb: int):
        from ..io.data import numba_module

        numba_module()  # (skips third-party numba extensions inside l1ot commands)
        self.cfg = cfg
        self.n = cfg.n_obj
        self.lsb = np.array([cfg.field_lsb[a] for a in ("pt", "eta", "phi")], np.float64)
        (elo, ehi), (flo, fhi) = cfg.raw_range["eta"], cfg.raw_range["phi"]
        self.lim = np.array([cfg.raw_range["pt"][1], elo, ehi, flo, fhi], np.float64)
        self.wrap = bool(cfg.phi_wrap)
        self.period = int(cfg.phi_period or 2)
        self.mult = np.array([cfg.mult[a] for a in ("pt", "eta", "phi")], np.int64)
        self.shift = np.array([cfg.shift[a] for a in ("pt", "eta", "phi")], np.int64)
        self.eb, self.fb = int(eb), int(fb)
        self.lo_e, self.lo_f = int(cfg.x_range["eta"][0]), int(cfg.x_range["phi"][0])
        comps = np.asarray(cfg.network.comparators, dtype=np.int64).reshape(-1, 2)
        self.ci, self.cj = np.ascontiguousarray(comps[:, 0]), np.ascontiguousarray(comps[:, 1])

    def rows(self, particles, counts):
        """float events (m, n, 4) -> (X float64 (m, 3n), ok); ``counts`` int64[6] is updated."""
        p = particles if particles.flags.c_contiguous else np.ascontiguousarray(particles)
        X = np.empty((p.shape[0], 3 * self.n), np.float64)
        stage0ab(p, self.lsb, self.lim, self.wrap, self.period, self.mult, self.shift,
                 self.cfg.tag_bits, self.eb, self.fb, self.lo_e, self.lo_f, self.ci, self.cj, X, counts)
        return X, counts[5] == 0
