"""Level-1 trigger object emulation (Delphes-style, parametrised) on Pythia final states.

Input is the list of visible final-state particles of one event; output is one
event in ADC2021 layout, an array ``(19, 4)`` of ``(pT/GeV, eta, phi, class id)``:
slot 0 MET, slots 1-4 e/gamma, 5-8 muons, 9-18 jets, empty slots all zero.

The steps (all parameters live in :data:`DEFAULTS` and are recorded in the
output files):

1. **e/gamma clusters.** Electrons and photons with pT > 0.5 GeV are clustered
   around pT-ordered seeds within ``eg_cluster_dr`` (a calorimeter cluster merges
   the two photons of a boosted pi0 and bremsstrahlung photons).  Photons and
   electrons are not distinguished (the L1 e/gamma class does not either).
2. **Isolation.** For each e/gamma cluster and muon, ``I = sum pT`` of all other
   visible particles (charged and neutral, pT > 0.5 GeV) within ``iso_dr`` of the
   candidate; it is isolated if ``I / pT < iso_rel``.
3. **Smearing.** Gaussian energy resolution, ``sigma/pT = a/sqrt(pT) (+) b (+) c*pT``
   per species (parameters ``*_res``).  Directions are not smeared.
4. **Jets.** anti-kt R = 0.4 (FastJet) on visible particles with |eta| < 5,
   excluding muons and the constituents of isolated e/gamma candidates (the L1
   calorimeter does not see muons; isolated e/gamma are unique objects, as with
   Delphes' UniqueObjectFinder).  Hadronic taus therefore end up as jets.
5. **Acceptance.** e/gamma pT > 3 GeV |eta| < 3, muons pT > 3 GeV |eta| < 2.1,
   jets pT > 15 GeV |eta| < 4; pT-ordered and truncated to 4 / 4 / 10.
6. **MET** from all visible final-state particles with |eta| < ``met_eta_max``
   (neutrinos and BSM invisibles excluded, muons included), split into a *hard
   term* (every e/gamma cluster, muon and jet above the object thresholds of step
   5, jets up to |eta| < 5, each with its smeared pT) and a *soft term* (all other
   visible particles above ``min_particle_pt``), whose x and y components are
   smeared with ``sigma = met_soft_res * sqrt(sum pT_soft)``:
   ``MET = | -(sum_hard pT_smeared + sum_soft pT + N(0, sigma^2) per component) |``.
   Stored with eta = 0, phi its direction, class 1 (see :func:`met_vector`).
"""
from __future__ import annotations

import math

import numpy as np

N_SLOTS = 19
#: event selection: at least one e/gamma or muon above this pT (GeV)
SELECTION_PT = 23.0
#: early exit in :func:`emulate`: candidates need a raw pT above this fraction of select_pt
SMEAR_MARGIN = 0.8

#: emulation parameters (all pT in GeV)
DEFAULTS = {
    "min_particle_pt": 0.5,      # particles below this are ignored for clusters/isolation
    "eg_cluster_dr": 0.1,        # e/gamma cluster radius
    "iso_dr": 0.3,               # isolation cone radius
    "iso_rel": 0.5,              # isolated if sum pT(cone) / pT < iso_rel
    "eg_pt_min": 3.0, "eg_eta_max": 3.0, "n_eg": 4,
    "mu_pt_min": 3.0, "mu_eta_max": 2.1, "n_mu": 4,
    "jet_r": 0.4, "jet_pt_min": 15.0, "jet_eta_max": 4.0, "n_jet": 10,
    "jet_input_eta_max": 5.0,
    # MET: visible particles within |eta| < met_eta_max; hard term = objects above the object
    # thresholds (jets up to met_eta_max), soft term smeared by met_soft_res * sqrt(sum pT_soft)
    "met_eta_max": 5.0,
    "met_soft_res": 0.5,
    # resolution sigma/pT = a/sqrt(pT) (+) b (+) c*pT   (quadrature sum)
    "eg_res": (0.10, 0.02, 0.0),
    "mu_res": (0.0, 0.02, 1.0e-4),
    "jet_res": (1.0, 0.08, 0.0),
}

_INVISIBLE = {12, 14, 16, 1000022, 1000039}


def _wrap_phi(phi):
    return (phi + np.pi) % (2.0 * np.pi) - np.pi


def _smear(pt, res, rng):
    a, b, c = res
    sigma = np.sqrt((a / np.sqrt(np.maximum(pt, 1e-9))) ** 2 + b ** 2 + (c * pt) ** 2)
    return pt * np.maximum(0.0, 1.0 + sigma * rng.standard_normal(pt.shape))


def _dr2(eta1, phi1, eta2, phi2):
    dphi = _wrap_phi(phi1 - phi2)
    return (eta1 - eta2) ** 2 + dphi ** 2


def kinematics(px, py, pz):
    """pT, eta, phi from momentum components (arrays, GeV)."""
    pt = np.hypot(px, py)
    eta = np.arcsinh(np.divide(pz, pt, out=np.full_like(pz, 1e9), where=pt > 0))
    phi = np.arctan2(py, px)
    return pt, eta, phi


def emulate(pid, px, py, pz, e, rng, params=None, select_pt=None):
    """Emulate the L1 objects of one event.

    Parameters
    ----------
    pid : int array (M,)
        PDG ids of the final-state particles.
    px, py, pz, e : float arrays (M,)
        Four-momenta in GeV.
    rng : numpy.random.Generator
        Source of the resolution smearing.
    params : dict, optional
        Overrides of :data:`DEFAULTS`.
    select_pt : float, optional
        If given, return ``None`` as soon as it is known that no e/gamma or muon
        has pT > ``select_pt`` (the event selection), before clustering jets.

    Returns
    -------
    event : float32 array (19, 4) or None
        ADC2021 row layout (pT/GeV, eta, phi, class id).
    """
    import fastjet

    P = dict(DEFAULTS)
    if params:
        P.update(params)
    pid = np.asarray(pid)
    apid = np.abs(pid)
    vis = ~np.isin(apid, list(_INVISIBLE))
    pid, apid = pid[vis], apid[vis]
    px, py, pz, e = (np.asarray(a, dtype=np.float64)[vis] for a in (px, py, pz, e))
    pt, eta, phi = kinematics(px, py, pz)
    soft = pt < P["min_particle_pt"]
    n = pid.size

    # -- isolation helper: sum pT of hard-enough visible particles in the cone, excluding `own`
    hard_idx = np.flatnonzero(~soft)

    def iso_sum(ceta, cphi, own):
        d2 = _dr2(eta[hard_idx], phi[hard_idx], ceta, cphi)
        inside = d2 < P["iso_dr"] ** 2
        s = pt[hard_idx][inside].sum()
        if own.size:
            s -= pt[np.intersect1d(hard_idx[inside], own)].sum()
        return s

    # -- e/gamma clusters
    is_eg = ((apid == 11) | (apid == 22)) & ~soft
    eg_idx = np.flatnonzero(is_eg)
    eg_idx = eg_idx[np.argsort(-pt[eg_idx], kind="stable")]
    # pairwise "within the cluster radius" among e/gamma particles
    near = _dr2(eta[eg_idx, None], phi[eg_idx, None], eta[None, eg_idx], phi[None, eg_idx]) \
        < P["eg_cluster_dr"] ** 2
    if select_pt is not None:
        # early exit: a cluster's pT is at most the scalar pT sum of the e/gamma particles
        # within the cluster radius of its seed; smearing beyond +25% (> 7 sigma) is neglected
        floor = SMEAR_MARGIN * select_pt
        cone = near @ pt[eg_idx] if eg_idx.size else np.zeros(0)
        mu = (apid == 13) & (np.abs(eta) < P["mu_eta_max"])
        if not (np.any(cone > floor) or np.any(pt[mu] > floor)):
            return None
    used = np.zeros(eg_idx.size, dtype=bool)
    eg_objs = []
    excluded = np.zeros(n, dtype=bool)
    for k, i in enumerate(eg_idx):
        if used[k]:
            continue
        mk = near[k] & ~used
        used |= mk
        members = eg_idx[mk]
        cpx, cpy, cpz = px[members].sum(), py[members].sum(), pz[members].sum()
        cpt = math.hypot(cpx, cpy)
        if cpt < P["eg_pt_min"]:
            continue
        ceta, cphi = math.asinh(cpz / cpt), math.atan2(cpy, cpx)
        if abs(ceta) > P["eg_eta_max"]:
            continue
        if iso_sum(ceta, cphi, members) / cpt >= P["iso_rel"]:
            continue
        excluded[members] = True
        eg_objs.append((cpt, ceta, cphi, members))

    # -- muons
    mu_objs = []
    for i in np.flatnonzero(apid == 13):
        if pt[i] < P["mu_pt_min"] or abs(eta[i]) > P["mu_eta_max"]:
            continue
        if iso_sum(eta[i], phi[i], np.array([i])) / pt[i] >= P["iso_rel"]:
            continue
        mu_objs.append((pt[i], eta[i], phi[i], np.array([i])))

    out = np.zeros((N_SLOTS, 4), dtype=np.float64)
    hard_vec = np.zeros(2)   # vector sum of the smeared objects above threshold (MET hard term)

    def fill(objs, res, ptmin, etamax, nmax, first, cls, met_etamax=None):
        """Smear ``objs`` (pT, eta, phi), store the accepted ones; returns the mask of the
        objects that enter the MET hard term (above ``ptmin``, |eta| < ``met_etamax``)."""
        if not objs:
            return np.zeros(0, dtype=bool)
        a = np.array(objs, dtype=np.float64)
        a[:, 0] = _smear(a[:, 0], res, rng)
        in_met = (a[:, 0] > ptmin) & (np.abs(a[:, 1]) < (etamax if met_etamax is None else met_etamax))
        hard_vec[0] += np.sum(a[in_met, 0] * np.cos(a[in_met, 2]))
        hard_vec[1] += np.sum(a[in_met, 0] * np.sin(a[in_met, 2]))
        a = a[(a[:, 0] > ptmin) & (np.abs(a[:, 1]) < etamax)]
        a = a[np.argsort(-a[:, 0], kind="stable")][:nmax]
        k = a.shape[0]
        out[first:first + k, :3] = a
        out[first:first + k, 3] = cls
        return in_met

    in_hard = np.zeros(n, dtype=bool)   # particles inside an object of the MET hard term
    m_eg = fill([o[:3] for o in eg_objs], P["eg_res"], P["eg_pt_min"], P["eg_eta_max"], P["n_eg"], 1, 2)
    for o, h in zip(eg_objs, m_eg):
        in_hard[o[3]] = h
    m_mu = fill([o[:3] for o in mu_objs], P["mu_res"], P["mu_pt_min"], P["mu_eta_max"], P["n_mu"], 5, 3)
    for o, h in zip(mu_objs, m_mu):
        in_hard[o[3]] = h
    if select_pt is not None and not np.any(out[1:9, 0] > select_pt):
        return None   # fails the lepton selection: skip the (expensive) jet clustering

    # -- jets
    jin = (apid != 13) & ~excluded & (np.abs(eta) < P["jet_input_eta_max"])
    jet_objs = []
    if jin.any():
        jidx = np.flatnonzero(jin)
        pjs = []
        for k, (a, b, c, d) in enumerate(zip(px[jin], py[jin], pz[jin], e[jin])):
            pj = fastjet.PseudoJet(float(a), float(b), float(c), float(d))
            pj.set_user_index(k)
            pjs.append(pj)
        jdef = fastjet.JetDefinition(fastjet.antikt_algorithm, P["jet_r"])
        cs = fastjet.ClusterSequence(pjs, jdef)
        for j in cs.inclusive_jets(0.5 * P["jet_pt_min"]):
            jet_objs.append((j.pt(), j.eta(), j.phi_std(), j))
    m_jet = fill([o[:3] for o in jet_objs], P["jet_res"], P["jet_pt_min"], P["jet_eta_max"], P["n_jet"], 9, 4,
                 met_etamax=P["met_eta_max"])
    for o, h in zip(jet_objs, m_jet):
        if h:
            in_hard[jidx[[c.user_index() for c in o[3].constituents()]]] = True
    out[:, 2] = np.where(out[:, 3] > 0, _wrap_phi(out[:, 2]), 0.0)
    out[:, 1] = np.clip(out[:, 1], -5.0, 5.0)
    # -- MET: hard term + smeared soft term of the remaining visible particles
    soft_sel = ~in_hard & ~soft & (np.abs(eta) < P["met_eta_max"])
    soft_vec = np.array([px[soft_sel].sum(), py[soft_sel].sum()])
    sigma = P["met_soft_res"] * math.sqrt(float(pt[soft_sel].sum()))
    soft_vec = soft_vec + sigma * rng.standard_normal(2)
    mx, my = -(hard_vec + soft_vec)
    met = math.hypot(mx, my)
    out[0] = (met, 0.0, math.atan2(my, mx) if met > 0 else 0.0, 1.0)
    ev = out.astype(np.float32)
    # float32 rounding of phi can land just outside [-pi, pi]
    np.clip(ev[:, 2], -np.float32(np.pi), np.float32(np.pi), out=ev[:, 2])
    return ev


def met_from_objects(particles):
    """Magnitude (GeV) of minus the vector sum of the stored objects of events ``(N, 19, 4)``.

    This was the MET of the samples produced before the particle-level MET of
    :func:`emulate` (step 6); for new samples it differs from slot 0."""
    p = np.asarray(particles, dtype=np.float64)
    mx = -np.sum(p[:, 1:, 0] * np.cos(p[:, 1:, 2]), axis=1)
    my = -np.sum(p[:, 1:, 0] * np.sin(p[:, 1:, 2]), axis=1)
    return np.hypot(mx, my)


def passes_selection(event, pt_min=SELECTION_PT):
    """Event selection: at least one e/gamma or muon with pT > ``pt_min`` GeV.

    ``event`` is ``(19, 4)`` or ``(N, 19, 4)``; returns bool or bool array.
    """
    ev = np.asarray(event)
    return np.any(ev[..., 1:9, 0] > pt_min, axis=-1)
