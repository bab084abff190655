"""Pythia 8 configurations of the simulated background and signal processes.

Every process is a list of ``readString`` settings added to :data:`COMMON`.
The rationale for each choice is in ``docs/dataset.md``.
"""
from __future__ import annotations

#: settings shared by every process (and the minimum-bias pile-up events): 13 TeV pp, MPI +
#: hadronisation on (Pythia defaults), quiet output; pile-up is optional (generate.run_chunk)
COMMON = [
    "Beams:idA = 2212",
    "Beams:idB = 2212",
    "Beams:eCM = 13000.",
    "PartonLevel:MPI = on",
    "HadronLevel:all = on",
    "Print:quiet = on",
    "Next:numberCount = 0",
    "Next:numberShowEvent = 0",
    "Next:numberShowProcess = 0",
    "Next:numberShowInfo = 0",
    # long-lived hadrons decay as in Pythia defaults (tau0 <= 10 mm/c); taus decay in Pythia
    "ParticleDecays:limitTau0 = on",
    "ParticleDecays:tau0Max = 10.",
]

# leptonic W / Z decays, l = e, mu, tau
_W_LEP = ["24:onMode = off", "24:onIfAny = 11 13 15"]
_Z_LEP = ["23:onMode = off", "23:onIfAny = 11 13 15"]

#: QCD generation cut on the hard-process pT-hat (GeV)
QCD_PTHAT_MIN = 20.0

#: generator-level lepton filter of the two "lepFilter" signals (l1ot.sim.generate.passes_lep_filter):
#: a final-state electron or muon with pT > 20 GeV within the L1 acceptance (e |eta| < 3, mu |eta| < 2.1)
LEP_FILTER = {"pt_min": 20.0, "eta_max_e": 3.0, "eta_max_mu": 2.1}

#: settings of the signal processes of the sample produced before issue 16 (kept for comparison
#: studies: scripts/signal_study.py); not used by make data
PREVIOUS_SIGNALS = {
    "Ato4l": ["Higgs:useBSM = on", "HiggsBSM:gg2H2 = on", "35:m0 = 50.", "35:mWidth = 0.01",
              "35:doForceWidth = on", "35:onMode = off", "35:onIfMatch = 23 23", "23:mMin = 2.",
              "23:mMax = 48.", "23:onMode = off", "23:onIfAny = 11 13 15"],
    "hToTauTau": ["Higgs:useBSM = on", "HiggsBSM:gg2H2 = on", "35:m0 = 60.", "35:onMode = off",
                  "35:onIfMatch = 15 -15"],
    "hChToTauNu": ["Higgs:useBSM = on", "Top:gg2ttbar = on", "Top:qqbar2ttbar = on", "37:m0 = 60.",
                   "37:onMode = off", "37:onIfMatch = 15 16", "6:onMode = off", "6:onPosIfAny = 37",
                   "6:onNegIfAny = 24", "HiggsHchg:tanBeta = 5."],
    "leptoquark": ["LeptoQuark:qg2LQl = on", "42:m0 = 80.", "42:0:products = 5 15", "42:chargeType = -4",
                   "LeptoQuark:kCoup = 1.0"],
}

PROCESSES = {
    # ---------------------------------------------------------------- backgrounds
    "wjets": {
        "kind": "background",
        "label": "W+jets -> l nu + jets",
        "settings": ["WeakSingleBoson:ffbar2W = on"] + _W_LEP,
    },
    # QCD: the selected events are rare (isolated pi0/eta/photon clusters or leptons carrying
    # most of a jet); enriched by re-hadronising each parton-level event REHADRONIZE times
    # (every passing hadronisation is kept: unbiased in expectation; siblings share parton_event).
    # pT-hat > 20 GeV: with the earlier 45 GeV cut, 73 % of the selected QCD events of a
    # pT-hat > 20 GeV sample were missing (scripts/studies/qcd_pthat_study.py, docs/dataset.md)
    "qcd": {
        "kind": "background",
        "label": "QCD multijet (hard 2->2, pT-hat > 20 GeV)",
        "settings": ["HardQCD:all = on", f"PhaseSpace:pTHatMin = {QCD_PTHAT_MIN}"],
        "rehadronize": 10,
    },
    "zjets": {
        "kind": "background",
        "label": "Z+jets -> l l + jets",
        "settings": ["WeakSingleBoson:ffbar2gmZ = on", "WeakZ0:gmZmode = 2"] + _Z_LEP,
    },
    "ttbar": {
        "kind": "background",
        "label": "ttbar (inclusive decays)",
        "settings": ["Top:gg2ttbar = on", "Top:qqbar2ttbar = on"],
    },
    # ---------------------------------------------------------------- signals
    # A (50 GeV) -> Z* Z* -> 4l : CP-odd BSM scalar A3 (id 36) in gluon fusion; its ZZ coupling is
    # off by default in Pythia (HiggsA3:coup2Z = 0) and is switched on here; forced to ZZ with both
    # Z off shell (Breit-Wigner masses down to 23:mMin), Z* -> l l (e, mu, tau); lepFilter
    "Ato4l": {
        "kind": "signal",
        "label": "A (50 GeV, CP-odd A3) -> Z* Z* -> 4l, lepFilter",
        "settings": [
            "Higgs:useBSM = on", "HiggsBSM:gg2A3 = on", "HiggsA3:coup2Z = 1.",
            "36:m0 = 50.", "36:mWidth = 0.01", "36:doForceWidth = on",
            "36:onMode = off", "36:onIfMatch = 23 23",
            "23:mMin = 2.", "23:mMax = 48.",
        ] + _Z_LEP,
        "lep_filter": LEP_FILTER,
    },
    # h0 (60 GeV) -> tau tau : CP-even H2 (id 35), every Pythia production mode of H2 (gluon fusion,
    # f fbar -> H2, vector-boson fusion, H2 W / H2 Z, H2 t tbar; SM-like couplings), forced to tau tau
    "hToTauTau": {
        "kind": "signal",
        "label": "h0 (60 GeV) -> tau tau (all H2 production modes)",
        "settings": [
            "Higgs:useBSM = on", "HiggsBSM:allH2 = on",
            "35:m0 = 60.", "35:onMode = off", "35:onIfMatch = 15 -15",
        ],
    },
    # h+- (60 GeV) -> tau nu : produced with a top quark, b g -> t h+- (the top decays inclusively)
    "hChToTauNu": {
        "kind": "signal",
        "label": "h+- (60 GeV) -> tau nu (b g -> t h+-)",
        "settings": [
            "Higgs:useBSM = on", "HiggsBSM:bg2H+-t = on",
            "37:m0 = 60.", "37:onMode = off", "37:onIfMatch = 15 16",
            "HiggsHchg:tanBeta = 5.",
        ],
    },
    # LQ (80 GeV) -> tau b : scalar leptoquark (id 42) coupled to (b, tau), pair-produced in QCD
    # (g g, q qbar -> LQ LQbar); charge set to match b tau-; lepFilter
    "leptoquark": {
        "kind": "signal",
        "label": "LQ (80 GeV) -> tau b (pair production), lepFilter",
        "settings": [
            "LeptoQuark:gg2LQLQbar = on", "LeptoQuark:qqbar2LQLQbar = on",
            "42:m0 = 80.", "42:0:products = 5 15", "42:chargeType = -4",
            "LeptoQuark:kCoup = 1.0",
        ],
        "lep_filter": LEP_FILTER,
    },
}

#: background composition after selection (paper 1, eq. 1)
BACKGROUND_SHARES = {"wjets": 0.592, "qcd": 0.338, "zjets": 0.067, "ttbar": 0.003}

#: process id stored per event in ``process_id``
PROCESS_IDS = {name: i for i, name in enumerate(PROCESSES)}

#: output file per signal (ADC2021 names)
SIGNAL_FILES = {
    "Ato4l": "Ato4l_lepFilter_13TeV.h5",
    "hToTauTau": "hToTauTau_13TeV_PU20.h5",
    "hChToTauNu": "hChToTauNu_13TeV_PU20.h5",
    "leptoquark": "leptoquark_LOWMASS_lepFilter_13TeV.h5",
}
BACKGROUND_FILE = "background_for_training.h5"


def settings_for(name: str, seed: int) -> list[str]:
    """Full Pythia settings list for process ``name`` with random ``seed`` (1..900000000)."""
    if name not in PROCESSES:
        raise KeyError(f"unknown process {name!r}; known: {sorted(PROCESSES)}")
    return COMMON + PROCESSES[name]["settings"] + ["Random:setSeed = on", f"Random:seed = {int(seed)}"]
