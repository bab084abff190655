"""hls/firmware/l1ot_common.h reduce() and l1ot_ap.h, compiled with g++ (issue 25 nits).

* reduce() is hls4ml's balanced tree by compile-time template recursion: for every N
  in 1..70 its sum equals a plain sum, and with Op_argmin (ties to the lowest index)
  its result equals a left-to-right scan on inputs full of ties;
* the GCC-only diagnostic pragmas of l1ot_ap.h are seen by GCC and hidden from a clang
  front end (the preprocessor output with and without __clang__ defined).
"""
from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIRMWARE = REPO / "hls" / "firmware"
pytestmark = pytest.mark.hw


def _ap_dir():
    spec = importlib.util.spec_from_file_location("l1ot_run_csim", REPO / "hls" / "run_csim.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    try:
        return mod.ap_types_dir()
    except mod.SetupError as exc:
        pytest.skip(str(exc))


TEST_CPP = r"""
#include <cstdio>
#include "l1ot_common.h"
typedef l1ot::dist_idx<int, int> cand_t;
template <int N> int check() {
    int x[N]; cand_t c[N];
    long long ref = 0; int best = 0;
    for (int i = 0; i < N; i++) {
        x[i] = (i * 7919) % 101 - 50; ref += x[i];
        c[i].dist = (i * 37) % 5; c[i].idx = i; c[i].valid = (i % 11) != 3;   // many ties, some invalid
    }
    for (int i = 0; i < N; i++)
        if (c[i].valid && (!c[best].valid || c[i].dist < c[best].dist)) best = i;
    const int s = l1ot::reduce<int, N, l1ot::Op_add<int> >(x, l1ot::Op_add<int>());
    const cand_t m = l1ot::reduce<cand_t, N, l1ot::Op_argmin<cand_t> >(c, l1ot::Op_argmin<cand_t>());
    const int bad = (s != ref) + (m.idx != best);
    if (bad) std::printf("N=%d sum %d/%lld idx %d/%d\n", N, s, ref, m.idx, best);
    return bad;
}
template <int N> struct all { static int run() { return check<N>() + all<N - 1>::run(); } };
template <> struct all<0> { static int run() { return 0; } };
int main() { const int bad = all<70>::run(); std::printf("%d bad\n", bad); return bad != 0; }
"""


def test_reduce_tree_sum_and_argmin_ties(tmp_path):
    cxx = shutil.which("g++")
    if cxx is None:
        pytest.skip("g++ not found")
    ap = _ap_dir()
    (tmp_path / "t.cpp").write_text(TEST_CPP)
    subprocess.run([cxx, "-std=c++17", "-O1", "-Wall", "-Wextra", "-Werror", "-Wno-unknown-pragmas", "-isystem",
                    str(ap), f"-I{FIRMWARE}", str(tmp_path / "t.cpp"), "-o", str(tmp_path / "t")], check=True)
    p = subprocess.run([str(tmp_path / "t")], capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout.strip().endswith("0 bad"), p.stdout[-2000:]


def test_gcc_only_pragmas_hidden_from_clang():
    cxx = shutil.which("g++")
    if cxx is None:
        pytest.skip("g++ not found")
    ap = _ap_dir()

    def pre(*defs):
        p = subprocess.run([cxx, "-E", "-P", "-x", "c++", "-std=c++17", *defs, "-isystem", str(ap),
                            str(FIRMWARE / "l1ot_ap.h")], capture_output=True, text=True)
        assert p.returncode == 0, p.stderr[-1000:]
        return p.stdout

    assert '"-Wmaybe-uninitialized"' in pre()
    assert '"-Wmaybe-uninitialized"' not in pre("-D__clang__")
