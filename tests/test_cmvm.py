"""The constant-matrix distance block of ``l1ot_kernel_cm`` (``l1ot.export.cmvm``, da4ml).

The generated graph must give, for every sorted event x of the bundled sample and every
medoid m, exactly ``sum_{i,a} (x[i,a] - rom[m,i,a])^2`` -- computed here directly from the
differences, not through the identity the graph implements.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

from conftest import bundled, requires_bundled
from l1ot.io import data
from l1ot.kernel import fixed

da4ml = pytest.importorskip("da4ml")
from l1ot.export import cmvm  # noqa: E402


def _rom_and_events(cfg, k=16, n=400):
    ev = data.load(bundled("background_for_training.h5"), n=k + n)
    rom = fixed.medoid_rom(ev[:k], cfg)            # real events as medoids
    words, _ = fixed.events_to_words(ev[k:], cfg)
    res = fixed.run(words, rom, None, cfg, stages=True)
    return rom, res.stages["xs"]


@requires_bundled
@pytest.mark.parametrize("cutoff", [1.0, None], ids=["pipelined", "combinational"])
@pytest.mark.parametrize("config", ["kernel_default.json", "kernel_run3.json"])
def test_graph_is_the_exact_distance(config, cutoff):
    cfg = fixed.KernelConfig.load(fixed.DEFAULT_CONFIG.parent / config)
    rom, xs = _rom_and_events(cfg)
    g = cmvm.build(rom, cfg, latency_cutoff=cutoff)
    n = cfg.n_obj
    X = xs.transpose(0, 2, 1).reshape(len(xs), 3 * n)              # axis-major, as the RTL
    # edge rows: empty event, every coordinate at its working-range end
    lo, hi = cmvm.input_ranges(cfg)
    X = np.vstack([X, np.zeros(3 * n, np.int64), hi, lo])
    sx = (X * X).sum(1)
    c2 = (rom.astype(np.int64) ** 2).sum(axis=(1, 2))              # the wrapper adds these in RTL
    got = np.array([g(np.concatenate([x, s + c2]).astype(np.float64)) for x, s in zip(X, sx)])
    xs3 = X.reshape(len(X), 3, n).transpose(0, 2, 1)
    want = ((xs3[:, None] - rom[None]) ** 2).sum(axis=(2, 3))
    assert np.array_equal(got.astype(np.int64), want) and np.all(got == want)


@requires_bundled
def test_verilog_declares_its_latency():
    cfg = fixed.KernelConfig.load()
    rom, _ = _rom_and_events(cfg, k=8, n=10)
    text, info = cmvm.verilog_text(rom, cfg, latency_cutoff=1.0)
    # the wrapper adds sum c_m^2 of each medoid to sum x^2 in front of the graph
    c2 = (rom.astype(np.int64) ** 2).sum(axis=(1, 2))
    consts = [int(v) for v in re.findall(r"'\(sx\) \+ \d+'\((\d+)\);", text)]
    assert consts == c2.tolist()
    assert f"localparam int LATENCY = {info['latency']};" in text and info["latency"] == info["stages"] + 1
    assert "l1ot_cmvm_core u_core (.clk(clk)" in text
    text0, info0 = cmvm.verilog_text(rom, cfg, latency_cutoff=None)
    assert info0["latency"] == 0 and "localparam int LATENCY = 0;" in text0
    assert "u_core (.model_inp" in text0
    # no multiplier in the graph: shift-add only
    assert " * " not in text.split("// ---- da4ml-generated graph")[1]
