"""Tests of the simulated-sample generator: L1 emulation on hand-made particle lists,
selection, reproducibility, the pre-filter, and a Pythia smoke run of every process."""
from __future__ import annotations

import math

import numpy as np
import pytest

from l1ot.sim import emulation
from l1ot.sim.emulation import emulate, met_from_objects, passes_selection

pytest.importorskip("fastjet")

NO_SMEAR = {"eg_res": (0.0, 0.0, 0.0), "mu_res": (0.0, 0.0, 0.0), "jet_res": (0.0, 0.0, 0.0),
            "met_soft_res": 0.0}


def visible_met(parts, eta_max=5.0, pt_min=0.5):
    """|minus the vector sum| of the visible particles (no neutrinos) with |eta| < 5 and pT > 0.5:
    the MET of the emulation without any smearing, computed here from the particle list."""
    sx = sy = 0.0
    for pid, px, py, pz, _ in parts:
        pt = math.hypot(px, py)
        if abs(pid) in (12, 14, 16) or pt <= pt_min or abs(math.asinh(pz / pt)) >= eta_max:
            continue
        sx, sy = sx - px, sy - py
    return math.hypot(sx, sy), math.atan2(sy, sx)


def particle(pid, pt, eta, phi, m=0.0):
    px, py, pz = pt * math.cos(phi), pt * math.sin(phi), pt * math.sinh(eta)
    return pid, px, py, pz, math.sqrt(px * px + py * py + pz * pz + m * m)


def run(parts, params=NO_SMEAR, seed=0, **kw):
    a = np.array(parts, dtype=np.float64).reshape(-1, 5)
    return emulate(a[:, 0].astype(int), a[:, 1], a[:, 2], a[:, 3], a[:, 4],
                   np.random.default_rng(seed), params=params, **kw)


def spray(pid, pt, eta, phi, n=10, width=0.05, seed=1):
    """n particles sharing pt, spread within `width` around (eta, phi)."""
    r = np.random.default_rng(seed)
    return [particle(pid, pt / n, eta + width * r.uniform(-1, 1), phi + width * r.uniform(-1, 1), 0.14)
            for _ in range(n)]


def test_isolated_photon_is_egamma_and_passes_selection():
    ev = run([particle(22, 30.0, 0.5, 1.0)])
    assert ev.shape == (19, 4) and ev.dtype == np.float32
    assert ev[1, 3] == 2 and ev[1, 0] == pytest.approx(30.0, rel=1e-5)
    assert ev[1, 1] == pytest.approx(0.5, abs=1e-5) and ev[1, 2] == pytest.approx(1.0, abs=1e-5)
    assert passes_selection(ev)
    # no jet from the isolated photon (it is removed from the jet inputs)
    assert np.all(ev[9:, 3] == 0)


def test_pi0_photon_pair_is_merged_into_one_cluster():
    ev = run([particle(22, 14.0, 0.30, 0.20), particle(22, 12.0, 0.31, 0.21)])
    assert ev[1, 0] == pytest.approx(26.0, rel=1e-3)
    assert ev[2, 3] == 0


def test_muon_acceptance_and_isolation():
    ev = run([particle(13, 30.0, 1.0, 0.0, 0.106)])
    assert ev[5, 3] == 3 and ev[5, 0] == pytest.approx(30.0, rel=1e-5)
    # outside |eta| < 2.1
    ev = run([particle(-13, 30.0, 2.3, 0.0, 0.106)])
    assert np.all(ev[5:9, 3] == 0) and not passes_selection(ev)
    # inside a 40 GeV hadron spray: not isolated; the hadrons still make a jet
    ev = run([particle(13, 30.0, 1.0, 0.0, 0.106)] + spray(211, 40.0, 1.0, 0.0))
    assert np.all(ev[5:9, 3] == 0)
    assert ev[9, 3] == 4 and ev[9, 0] == pytest.approx(40.0, rel=0.02)


def test_soft_objects_and_forward_jets_are_dropped():
    parts = [particle(22, 2.5, 0.0, 0.0), particle(13, 2.5, 0.5, 2.0, 0.106)]
    parts += spray(211, 14.0, -1.0, -2.0, seed=2)      # below the 15 GeV jet threshold
    parts += spray(211, 60.0, 4.3, 1.0, seed=3)        # |eta| > 4
    ev = run(parts)
    assert np.all(ev[1:, 3] == 0)
    # no stored object, but the MET sees every visible particle within |eta| < 5 (the forward jet)
    met, phi = visible_met(parts)
    assert met > 40.0
    assert ev[0, 0] == pytest.approx(met, rel=1e-4) and ev[0, 2] == pytest.approx(phi, abs=1e-4)
    assert met_from_objects(ev[None])[0] == 0.0


def test_met_excludes_beyond_eta5_and_soft_term_is_smeared():
    parts = [particle(22, 30.0, 0.0, 0.0)] + spray(211, 40.0, 5.5, 2.0, seed=4)   # |eta| > 5: unseen
    ev = run(parts)
    assert ev[0, 0] == pytest.approx(30.0, rel=1e-4)
    # soft term: 20 particles of 1 GeV; resolution met_soft_res * sqrt(sum pT) per component
    soft = spray(211, 20.0, -0.5, 1.0, n=20, width=2.0, seed=5)
    mets = [run([particle(22, 30.0, 0.0, 0.0)] + soft, params={**NO_SMEAR, "met_soft_res": 1.0}, seed=s)[0, 0]
            for s in range(200)]
    exact = visible_met([particle(22, 30.0, 0.0, 0.0)] + soft)[0]
    assert abs(np.mean(mets) - exact) < 2.0 and 2.0 < np.std(mets) < 8.0   # sigma = sqrt(20) = 4.5


def test_objects_pt_ordered_truncated_and_met():
    parts = [particle(22, 25.0 + i, -2.0 + 0.8 * i, 0.5 * i) for i in range(6)]        # 6 photons
    parts += [particle(13, 10.0 + i, -1.5 + 0.6 * i, 3.0 - 0.9 * i, 0.106) for i in range(5)]
    for j in range(12):                                                               # 12 jets
        parts += spray(211, 20.0 + 5 * j, -3.5 + 0.6 * j, -3.0 + 0.5 * j, seed=10 + j)
    ev = run(parts)
    for lo, hi, cls, n in ((1, 5, 2, 4), (5, 9, 3, 4), (9, 19, 4, 10)):
        blk = ev[lo:hi]
        assert np.all(blk[:, 3] == cls), (lo, blk)
        assert np.all(np.diff(blk[:, 0]) <= 0)
    assert ev[1, 0] == pytest.approx(30.0, rel=1e-5)       # the hardest photon survives
    assert ev[9, 0] == pytest.approx(75.0, rel=0.05)
    # MET: from all visible particles (also the objects beyond the 4 / 4 / 10 stored), eta 0, class 1
    met, phi = visible_met(parts)
    assert ev[0, 3] == 1 and ev[0, 1] == 0
    assert ev[0, 0] == pytest.approx(met, rel=1e-4)
    assert ev[0, 2] == pytest.approx(phi, abs=1e-4)
    assert abs(met_from_objects(ev[None])[0] - ev[0, 0]) > 1.0   # truncated objects are not lost


def test_neutrinos_are_invisible():
    ev = run([particle(11, 40.0, 0.1, 0.3, 0.0005), particle(12, 40.0, -0.1, 0.3 + math.pi)])
    assert ev[1, 0] == pytest.approx(40.0, rel=1e-5)
    assert ev[0, 0] == pytest.approx(40.0, rel=1e-4)       # the neutrino shows up as MET


def test_generator_level_lepton_filter():
    from l1ot.sim.generate import passes_lep_filter

    a = np.array([particle(11, 25.0, 2.5, 0.0), particle(22, 50.0, 0.0, 0.0)])
    args = (a[:, 0].astype(int), a[:, 1], a[:, 2], a[:, 3])
    assert passes_lep_filter(*args, pt_min=20.0, eta_max_e=3.0, eta_max_mu=2.1)
    assert not passes_lep_filter(*args, pt_min=20.0, eta_max_e=2.4, eta_max_mu=2.1)   # outside |eta|
    assert not passes_lep_filter(*args, pt_min=30.0, eta_max_e=3.0, eta_max_mu=2.1)   # photon not a lepton
    m = np.array([particle(-13, 25.0, 2.5, 0.0, 0.106)])
    assert not passes_lep_filter(m[:, 0].astype(int), m[:, 1], m[:, 2], m[:, 3], 20.0, 3.0, 2.1)


def test_phi_range_and_smearing_is_seeded():
    parts = [particle(22, 30.0, 0.0, math.pi - 1e-7)] + spray(211, 50.0, 1.0, -math.pi + 0.01)
    a = run(parts, params=None, seed=5)
    b = run(parts, params=None, seed=5)
    c = run(parts, params=None, seed=6)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert np.all(np.abs(a[:, 2]) <= np.float32(math.pi))


def test_early_exit_only_for_events_failing_the_selection():
    assert run([particle(22, 10.0, 0.0, 0.0)], select_pt=23.0) is None
    ev = run([particle(22, 30.0, 0.0, 0.0)], select_pt=23.0)
    assert ev is not None and passes_selection(ev)


def test_passes_selection_threshold():
    ev = np.zeros((3, 19, 4), np.float32)
    ev[0, 1] = (23.5, 0, 0, 2)
    ev[1, 5] = (22.9, 0, 0, 3)
    ev[2, 9] = (100.0, 0, 0, 4)
    assert passes_selection(ev).tolist() == [True, False, False]


# ------------------------------------------------------------------ Pythia
pythia8mc = pytest.importorskip("pythia8mc")


def test_chunk_is_reproducible_and_selected():
    from l1ot.sim.generate import run_chunk

    a, sa = run_chunk("zjets", 17, 2)
    b, sb = run_chunk("zjets", 17, 2)
    assert a.shape == (2, 19, 4) and np.array_equal(a, b)
    assert sa["n_generated"] == sb["n_generated"] >= 2
    assert passes_selection(a).all()


def test_pileup_is_overlaid_seeded_and_raises_the_met_resolution():
    from l1ot.sim.generate import run_chunk

    a, sa, xa = run_chunk("zjets", 17, 3, pileup=8.0, return_aux=True)
    b, _, xb = run_chunk("zjets", 17, 3, pileup=8.0, return_aux=True)
    assert np.array_equal(a, b) and np.array_equal(xa["n_pileup"], xb["n_pileup"])
    assert sa["n_pileup"] == xa["n_pileup"].sum() > 0
    c, _, xc = run_chunk("zjets", 17, 3, return_aux=True)
    assert np.all(xc["n_pileup"] == 0)
    # the same hard events (same chunk seed): pile-up only adds soft activity
    assert np.array_equal(xa["parton_event"], xc["parton_event"]) and not np.array_equal(a, c)


def _prefilter_check(name, n_parton, seed):
    """Count selected events the pre-filter would have rejected (must be 0)."""
    from l1ot.sim.generate import _Prefilter, final_state, make_pythia
    from l1ot.sim.processes import PROCESSES

    k = int(PROCESSES[name].get("rehadronize", 0))
    py = make_pythia(name, seed, ["HadronLevel:all = off"] if k else [])
    pre = _Prefilter()
    saved = pythia8mc.Event()
    rng = np.random.default_rng(seed)
    n_sel = n_lost = n_had = 0
    for _ in range(n_parton):
        assert py.next()
        saved.assign(py.event)
        for _ in range(max(1, k)):
            if k:
                py.event.assign(saved)
                assert py.forceHadronLevel(False)
            n_had += 1
            ok = pre(py.event)
            ev = emulate(*final_state(py.event), rng)
            if passes_selection(ev):
                n_sel += 1
                n_lost += not ok
    return n_sel, n_lost, n_had


@pytest.mark.slow
@pytest.mark.parametrize("name,n", [("qcd", 800), ("wjets", 400), ("hToTauTau", 400)])
def test_prefilter_never_rejects_a_selected_event(name, n):
    n_sel, n_lost, _ = _prefilter_check(name, n, 99)
    assert n_sel > 10
    assert n_lost == 0


@pytest.mark.slow
def test_smoke_every_process(tmp_path):
    """A few events of every process through the full script (--smoke)."""
    import subprocess
    import sys
    from pathlib import Path

    import l1ot.io.data as data

    repo = Path(__file__).resolve().parents[1]
    r = subprocess.run([sys.executable, str(repo / "scripts" / "make_dataset.py"), "--smoke",
                        "--jobs", "1", "--out", str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    names = ["background_for_training.h5", "Ato4l_lepFilter_13TeV.h5", "hToTauTau_13TeV_PU20.h5",
             "hChToTauNu_13TeV_PU20.h5", "leptoquark_LOWMASS_lepFilter_13TeV.h5"]
    for f in names:
        p = data.load(tmp_path / f)
        assert p.shape[0] == (40 if f.startswith("background") else 10)
        assert passes_selection(p).all()
