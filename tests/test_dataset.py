"""The bundled simulated sample under data/: layout, validation, composition, selection and
acceptance cuts, provenance.  Expected values come from paper 1 and the task definition
(eq. 1 shares, 23 GeV selection, L1 acceptance), not from the generator code."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

h5py = pytest.importorskip("h5py")
from l1ot.io import data  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "data"
BKG = "background_for_training.h5"
SIGNALS = ["Ato4l_lepFilter_13TeV.h5", "hToTauTau_13TeV_PU20.h5", "hChToTauNu_13TeV_PU20.h5",
           "leptoquark_LOWMASS_lepFilter_13TeV.h5"]
ALL = [BKG] + SIGNALS
#: paper 1, eq. (1)
SHARES = {"wjets": 0.592, "qcd": 0.338, "zjets": 0.067, "ttbar": 0.003}
MIN_EVENTS = {BKG: 30000, **{s: 6000 for s in SIGNALS}}
MAX_TOTAL_BYTES = 25 * 1024 * 1024

pytestmark = pytest.mark.skipif(not (DATA / BKG).exists(), reason="bundled sample not present")


@pytest.fixture(scope="module")
def events():
    return {f: data.load(DATA / f) for f in ALL}


def test_files_pass_data_layer_validation(events):
    for f, p in events.items():
        assert p.dtype == np.float32 and p.shape[1:] == (19, 4), f
        good, rep = data.validate(p, source=f, on_bad_event="skip")
        assert rep.ok, (f, rep.summary())


def test_sizes_match_recorded_production(events):
    """Counts equal the ones the files record (and their `command` reproduces); size cap."""
    for f, p in events.items():
        with h5py.File(DATA / f, "r") as h:
            want = int(h.attrs["n_bkg"] if f == BKG else h.attrs["n_sig"])
            assert f"--n-bkg {int(h.attrs['n_bkg'])} --n-sig {int(h.attrs['n_sig'])}" in h.attrs["command"]
        assert len(p) == want, (f, len(p), want)
    total = sum((DATA / f).stat().st_size for f in ALL)
    assert total <= MAX_TOTAL_BYTES, total


def test_sample_meets_target_size(events):
    for f, p in events.items():
        n = len(p)
        assert n >= MIN_EVENTS[f], f"{f}: {n} events < {MIN_EVENTS[f]}"


def test_adc2021_layout_and_compression():
    for f in ALL:
        with h5py.File(DATA / f, "r") as h:
            d = h["Particles"]
            assert d.dtype == np.float32 and d.compression == "gzip" and d.shuffle
            assert d.compression_opts == 9
            assert [x.decode() for x in h["Particles_Classes"][:]] == [
                "MET_class_1", "Four_Ele_class_2", "Four_Mu_class_3", "Ten_Jet_class_4"]
            assert [x.decode() for x in h["Particles_Names"][:]] == ["Pt", "Eta", "Phi", "Class"]
            assert h["process_id"].shape == (d.shape[0],)


def test_provenance_attributes():
    for f in ALL:
        with h5py.File(DATA / f, "r") as h:
            a = h.attrs
            assert "NOT the CMS" in a["statement"] and bool(a["simulated"])
            assert "Pythia 8" in a["generator"] and "FastJet" in a["generator"]
            assert int(a["base_seed"]) > 0
            json.loads(a["pythia_process_settings"])
            json.loads(a["emulation_params"])
            assert "--seed" in a["command"]


def test_background_composition():
    with h5py.File(DATA / BKG, "r") as h:
        pid = h["process_id"][:]
        names = {int(k): v for k, v in json.loads(h.attrs["process_names"]).items()}
    n = len(pid)
    got = {names[i]: int((pid == i).sum()) for i in np.unique(pid)}
    assert set(got) == set(SHARES)
    for p, share in SHARES.items():
        assert abs(got[p] / n - share) <= 1.0 / n + 1e-12, (p, got[p], n)
    # processes are mixed, not in blocks
    first = pid[: n // 10]
    assert len(np.unique(first)) >= 3


def test_signal_files_hold_one_process_each():
    ids = set()
    for f in SIGNALS:
        with h5py.File(DATA / f, "r") as h:
            u = np.unique(h["process_id"][:])
        assert len(u) == 1
        ids.add(int(u[0]))
    assert len(ids) == 4


def test_selection_and_acceptance(events):
    for f, p in events.items():
        pt, eta, phi, cls = p[..., 0], p[..., 1], p[..., 2], p[..., 3]
        # >= 1 e/gamma or muon with pT > 23 GeV
        assert np.all((pt[:, 1:9] > 23.0).any(axis=1)), f
        eg, mu, jet = cls[:, 1:5] == 2, cls[:, 5:9] == 3, cls[:, 9:] == 4
        assert np.all(pt[:, 1:5][eg] > 3.0) and np.all(np.abs(eta[:, 1:5][eg]) < 3.0)
        assert np.all(pt[:, 5:9][mu] > 3.0) and np.all(np.abs(eta[:, 5:9][mu]) < 2.1)
        assert np.all(pt[:, 9:][jet] > 15.0) and np.all(np.abs(eta[:, 9:][jet]) < 4.0)
        assert np.all(np.abs(phi) <= np.float32(math.pi)) and np.all(np.abs(eta) <= 5.0)
        # pT-ordered blocks, filled from the front
        for lo, hi in ((1, 5), (5, 9), (9, 19)):
            assert np.all(np.diff(pt[:, lo:hi], axis=1) <= 0), f
            filled = cls[:, lo:hi] != 0
            assert np.all(filled[:, :-1] >= filled[:, 1:]), f
        # MET slot: class 1, eta 0; samples produced before the particle-level MET (no attribute
        # met_definition): magnitude of minus the vector sum of the stored objects
        assert np.all(cls[:, 0] == 1) and np.all(eta[:, 0] == 0)
        with h5py.File(DATA / f, "r") as h:
            if "met_definition" in h.attrs:
                assert np.all(pt[:, 0] >= 0)
                continue
        p64 = p.astype(np.float64)
        mx = -(p64[:, 1:, 0] * np.cos(p64[:, 1:, 2])).sum(1)
        my = -(p64[:, 1:, 0] * np.sin(p64[:, 1:, 2])).sum(1)
        np.testing.assert_allclose(p64[:, 0, 0], np.hypot(mx, my), rtol=1e-4, atol=1e-3)


def test_events_are_distinct(events):
    for f, p in events.items():
        u = np.unique(p.reshape(len(p), -1), axis=0)
        assert len(u) == len(p), f


def test_parton_groups_contiguous_and_split_apart():
    """The bundled background stores parton_event (make data); members of a group are adjacent in
    the file, some QCD events share one, and the default splits put no group on two sides."""
    from l1ot.io import data as d
    from l1ot.io.splits import DEFAULT, group_overlap

    g, stored = d.load_groups(DATA / BKG)
    assert stored, "data/ was not made by the current generator (no parton_event)"
    assert len(np.unique(g)) < len(g)
    assert 1 + np.count_nonzero(g[1:] != g[:-1]) == len(np.unique(g))
    assert group_overlap(g, DEFAULT.background_file(str(DATA / BKG))) == 0
