"""The compiled fast paths agree with the numpy references they replace.

* ``l1ot.kernel.fixed.run_events`` (fused stages 0/a/b, :mod:`l1ot.kernel.fastpath`)
  against ``events_to_words`` + ``run`` (the reference that the golden vectors use):
  equal scores, indices, trigger bits, saturation counts and QuantStats.
* ``l1ot.io.data.all_valid`` against the full numpy checks of ``validate``.

Data: the bundled sample (simulated, not CMS) with edge cases written into it
(saturating pT, phi = +-pi that wraps, |eta| = 5, pT ties and half-LSB values).
"""
from __future__ import annotations

import numpy as np
import pytest

from conftest import bundled
from l1ot.io import data
from l1ot.kernel import fixed


@pytest.fixture(scope="module")
def sample():
    return data.load(bundled(), n=6000)


def edge_cases(p, cfg, seed=0):
    q = p.copy()
    occ = q[..., 3] != 0
    rng = np.random.default_rng(seed)
    n = len(q) // 8
    blocks = [slice(i * n, (i + 1) * n) for i in range(8)]
    q[blocks[0], :, 0] = np.where(occ[blocks[0]], 1e6, 0)                      # pT saturates
    q[blocks[1], :, 2] = np.where(occ[blocks[1]], np.float32(np.pi), 0)        # wraps to -pi
    q[blocks[2], :, 2] = np.where(occ[blocks[2]], -np.float32(np.pi), 0)
    q[blocks[3], :, 0] = np.where(occ[blocks[3]], 10.0, 0)                     # pT ties
    q[blocks[4], :, 1] = np.where(occ[blocks[4]], 5.0, 0)
    q[blocks[5], :, 1] = np.where(occ[blocks[5]], -5.0, 0)
    half = (rng.integers(0, 4000, occ[blocks[6]].shape) + 0.5) * cfg.field_lsb["pt"]
    q[blocks[6], :, 0] = np.where(occ[blocks[6]], half.astype(np.float32), 0)  # rounding halves
    eta_half = (rng.integers(-100, 100, occ[blocks[7]].shape) + 0.5) * cfg.field_lsb["eta"]
    q[blocks[7], :, 1] = np.where(occ[blocks[7]], eta_half.astype(np.float32), 0)
    return q


def reference(p, rom, thr, cfg):
    words, st = fixed.events_to_words(p, cfg)
    return fixed.run(words, rom, thr, cfg), st


@pytest.mark.parametrize("config", ["kernel_default.json", "kernel_species.json", "kernel_run3.json"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_run_events_equals_reference(sample, config, dtype):
    cfg = fixed.KernelConfig.load(fixed.CONFIG_DIR / config)
    assert fixed._fast_plan(cfg) is not None, "the fast path must cover the bundled configs"
    rom = fixed.medoid_rom(sample[:16], cfg)
    q = edge_cases(sample, cfg).astype(dtype)
    thr = 200
    res, st = fixed.run_events(q, rom, thr, cfg, chunk=1000)
    ref, st_ref = reference(q, rom, thr, cfg)
    assert np.array_equal(res.score, ref.score)
    assert np.array_equal(res.idx, ref.idx)
    assert np.array_equal(res.trig, ref.trig)
    assert res.n_score_sat == ref.n_score_sat
    assert st == st_ref
    assert st.sat_pt > 0 and st.phi_wrapped > 0  # the edge cases were exercised


def test_run_events_bad_input_raises_like_reference(sample):
    cfg = fixed.KernelConfig.load()
    rom = fixed.medoid_rom(sample[:8], cfg)
    q = sample[:100].copy()
    q[57, 3, 1] = np.nan
    with pytest.raises(fixed.DataError, match="event 57, slot 3"):
        fixed.run_events(q, rom, None, cfg)
    q = sample[:100].copy()
    q[12, 0, 0] = -1.0
    with pytest.raises(fixed.DataError, match="negative pT"):
        fixed.run_events(q, rom, None, cfg)


def test_no_jit_env_uses_reference(sample, monkeypatch):
    monkeypatch.setenv("L1OT_NO_JIT", "1")
    cfg = fixed.KernelConfig.load()
    assert fixed._fast_plan(cfg) is None
    assert not data.all_valid(sample[:10])


def _bad_variants(p):
    """(description, array) with one problem each, at a random event and slot."""
    rng = np.random.default_rng(3)
    out = []
    occ = np.argwhere(p[..., 3] != 0)
    empty = np.argwhere(p[..., 3] == 0)
    for name, how in [("nan pt", lambda q, e, s: q.__setitem__((e, s, 0), np.nan)),
                      ("inf phi", lambda q, e, s: q.__setitem__((e, s, 2), np.inf)),
                      ("nan class", lambda q, e, s: q.__setitem__((e, s, 3), np.nan)),
                      ("negative pT", lambda q, e, s: q.__setitem__((e, s, 0), -0.5)),
                      ("eta 5.01", lambda q, e, s: q.__setitem__((e, s, 1), 5.01)),
                      ("phi -3.2", lambda q, e, s: q.__setitem__((e, s, 2), -3.2)),
                      ("class 7", lambda q, e, s: q.__setitem__((e, s, 3), 7))]:
        q = p.copy()
        e, s = occ[rng.integers(len(occ))]
        how(q, e, s)
        out.append((name, q))
    q = p.copy()
    e, s = empty[rng.integers(len(empty))]
    q[e, s, 1] = 0.25
    out.append(("non-zero empty slot", q))
    q = p.copy()
    e, s = occ[rng.integers(len(occ))]
    q[e, s, 3] = 0  # an occupied slot with class 0
    out.append(("class 0 with pT", q))
    return out


def test_all_valid_agrees_with_checks(sample):
    p = np.ascontiguousarray(sample[:2000])
    assert data.all_valid(p)
    # limits exactly at the float32-rounded tolerance pass in both
    q = p.copy()
    occ = np.argwhere(q[..., 3] != 0)
    e, s = occ[0]
    q[e, s, 1] = np.float32(data.ETA_MAX + data.ANGLE_TOL)
    q[e, s, 2] = -np.float32(data.PHI_MAX + data.ANGLE_TOL)
    assert data.all_valid(q)
    assert data.validate(q)[1].ok
    for name, q in _bad_variants(p):
        assert not data.all_valid(q), name
        good, rep = data.validate(q, on_bad_event="skip")
        assert rep.n_bad == 1, name
