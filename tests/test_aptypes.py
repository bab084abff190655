"""The Python ap_fixed helpers (l1ot.kernel.fixed.quantize, rnd_shift) against the real
ap_types headers shipped with hls4ml, compiled with g++.

For every (W, I, signedness, rounding, overflow) combination the kernel uses,
>= 100,000 values (random, exact half-LSB ties, out-of-range, +-0) are converted
by C++ ``ap_[u]fixed<W, I, Q, O>(double)`` and by the Python helper; the raw
integer representations must be identical.
"""
from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from l1ot.kernel import fixed

pytestmark = pytest.mark.hw

N_VALUES = 100_000

# (W, I, signed, rnd, ovf): every conversion of docs/kernel.md (both input formats)
COMBOS = [
    (16, 16, False, "AP_RND", "AP_SAT"),   # pt_raw = pt / LSB (Phase-2)
    (16, 11, False, "AP_RND", "AP_SAT"),   # the same, on pt in GeV
    (14, 14, True, "AP_RND", "AP_SAT"),    # eta_raw (Phase-2)
    (13, 13, True, "AP_RND", "AP_SAT"),    # phi_raw, phi_wrap = false
    (13, 13, True, "AP_RND", "AP_WRAP"),   # phi_raw, phi_wrap = true
    (9, 9, False, "AP_RND", "AP_SAT"),     # Run-3 pt
    (8, 8, True, "AP_RND", "AP_SAT"),      # Run-3 eta
    (16, 16, False, "AP_TRN", "AP_SAT"),   # score = sat(D >> score_shift)
    (12, 12, False, "AP_TRN", "AP_SAT"),   # narrower score (precision scan)
    (14, 14, False, "AP_RND", "AP_SAT"),   # x_pt = rnd_shift(raw, S) (default F = 2)
    (6, 6, True, "AP_RND", "AP_SAT"),      # x_eta (F = 2); x_phi (F = 3)
    (5, 5, True, "AP_RND", "AP_SAT"),      # x_phi (F = 2)
    (15, 15, False, "AP_RND", "AP_SAT"),   # x_pt (F = 3)
    (7, 7, True, "AP_RND", "AP_SAT"),      # x_eta (F = 3)
]


def _ap_include() -> Path | None:
    spec = importlib.util.find_spec("hls4ml")
    if spec is None or spec.origin is None:
        return None
    p = Path(spec.origin).parent / "templates" / "vivado" / "ap_types"
    return p if (p / "ap_fixed.h").is_file() else None


def _ctype(W, I, signed, rnd, ovf):
    return f"ap_{'' if signed else 'u'}fixed<{W},{I},{rnd},{ovf}>"


CPP_HEAD = r"""
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include "ap_fixed.h"

template <class T> static void conv(FILE* in, FILE* out, long n) {
    char buf[64];
    for (long k = 0; k < n; k++) {
        if (fscanf(in, "%63s", buf) != 1) { fprintf(stderr, "short input\n"); exit(1); }
        double v = strtod(buf, 0);      // hex-float: exact
        T x = v;
        fprintf(out, "%llu\n", (unsigned long long)x.range(T::width - 1, 0).to_uint64());
    }
}

int main(int argc, char** argv) {
    int combo = atoi(argv[1]);
    long n = atol(argv[2]);
    switch (combo) {
"""


def _cpp_source():
    body = [CPP_HEAD]
    for ci, c in enumerate(COMBOS):
        body.append(f"    case {ci}: conv<{_ctype(*c)} >(stdin, stdout, n); break;\n")
    body.append("    default: return 2;\n    }\n    return 0;\n}\n")
    return "".join(body)


@pytest.fixture(scope="module")
def ap_exe(tmp_path_factory):
    inc = _ap_include()
    if inc is None:
        pytest.skip("hls4ml ap_types headers not installed")
    gxx = shutil.which("g++")
    if gxx is None:
        pytest.skip("g++ not found")
    d = tmp_path_factory.mktemp("aptypes")
    src = d / "conv.cpp"
    src.write_text(_cpp_source())
    exe = d / "conv"
    r = subprocess.run([gxx, "-O1", "-std=c++14", "-w", f"-I{inc}", str(src), "-o", str(exe)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    return exe


def _values(W, I, signed, rng):
    lsb = 2.0 ** (I - W)
    lo = -(2.0 ** (I - 1)) if signed else 0.0
    hi = 2.0 ** (I - 1) if signed else 2.0 ** I
    span = hi - lo
    n4 = N_VALUES // 4
    parts = [
        rng.uniform(lo - 0.1 * span, hi + 0.1 * span, n4),              # in range and a bit beyond
        (rng.integers(int(lo / lsb) - 40, int(hi / lsb) + 40, n4) + 0.5) * lsb,  # exact ties
        rng.integers(int(lo / lsb) - 40, int(hi / lsb) + 40, n4) * lsb,  # exact grid points
        rng.uniform(-4 * span, 4 * span, N_VALUES - 3 * n4),               # far out of range
    ]
    v = np.concatenate(parts)
    # ties just below/above the half LSB, +-0
    v[:8] = [0.0, -0.0, 0.5 * lsb, -0.5 * lsb, np.nextafter(0.5 * lsb, 0), np.nextafter(-0.5 * lsb, 0),
             hi - 0.5 * lsb, lo - 0.5 * lsb]
    return v


@pytest.mark.parametrize("ci", range(len(COMBOS)), ids=[_ctype(*c) for c in COMBOS])
def test_quantize_matches_ap_fixed(ap_exe, ci):
    W, I, signed, rnd, ovf = COMBOS[ci]
    rng = np.random.default_rng(1000 + ci)
    v = _values(W, I, signed, rng)
    inp = "\n".join(float(x).hex() for x in v) + "\n"
    r = subprocess.run([str(ap_exe), str(ci), str(len(v))], input=inp, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    bits = np.array(r.stdout.split(), dtype=np.uint64).astype(np.int64)
    assert bits.size == v.size
    ref = bits - ((bits >> (W - 1)) & 1) * (1 << W) if signed else bits
    got = fixed.quantize(v, W, I, signed, rnd, ovf)
    bad = np.flatnonzero(got != ref)
    assert bad.size == 0, (f"{bad.size} mismatches, first: value {v[bad[0]]!r} -> python {got[bad[0]]}, "
                           f"ap_fixed {ref[bad[0]]}")


def test_rnd_shift_is_ap_rnd():
    """The integer stage-a rounding equals AP_RND on the exact product value."""
    cfg = fixed.KernelConfig.load()
    rng = np.random.default_rng(5)
    for a in fixed.AXES:
        lo, hi = cfg.raw_range[a]
        raw = rng.integers(lo, hi + 1, N_VALUES)
        m, s = cfg.mult[a], cfg.shift[a]
        exact = np.ldexp((raw * m).astype(np.float64), -s)  # < 2^53: exact
        ref = fixed.quantize(exact, 40, 40, True, "AP_RND", "AP_SAT")
        np.testing.assert_array_equal(fixed.rnd_shift(raw * m, s), ref)
