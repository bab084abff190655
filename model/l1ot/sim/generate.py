"""Run Pythia for one process and return L1-emulated events that pass the selection."""
from __future__ import annotations

import numpy as np

from .emulation import DEFAULTS, SELECTION_PT, emulate, passes_selection
from .processes import PROCESSES, settings_for

#: pre-filter before the Python-side emulation: anti-kt R = 0.1 "narrow jets" of visible
#: particles (Pythia SlowJet, C++) with |eta| < 3.2; an event can only pass the selection if one
#: has pT > PREFILTER_PT.  A 23 GeV e/gamma cluster (radius 0.1) or muon after smearing needs a
#: raw pT above ~20 GeV (5 sigma of the resolution), so 18 GeV leaves a margin; the check that it
#: never rejects a selected event is in tests/test_generator.py.
PREFILTER_R = 0.1
PREFILTER_PT = 18.0
PREFILTER_ETA = 3.2
#: e/gamma (or muon) pT needed inside one narrow jet; well below the ~20 GeV a selected
#: candidate needs, to allow for clusters split between narrow jets
PREFILTER_EG_PT = 12.0


#: Pythia settings of the minimum-bias (pile-up) events
MINBIAS = ["SoftQCD:inelastic = on"]


def pileup_seed(seed: int) -> int:
    """Seed (1..900000000) of the minimum-bias Pythia instance of the chunk with ``seed``."""
    ss = np.random.SeedSequence([int(seed), 0x9075])
    return int(ss.generate_state(1, dtype=np.uint32)[0] % 899_999_999) + 1


def make_minbias(seed: int):
    """Initialised ``pythia8mc.Pythia`` generating inelastic (SoftQCD) pp events at 13 TeV."""
    from .processes import COMMON

    return pythia_from(COMMON + MINBIAS + ["Random:setSeed = on", f"Random:seed = {int(seed)}"],
                       "the minimum-bias events")


def pythia_from(settings, what: str):
    """Initialised ``pythia8mc.Pythia`` from a list of setting strings; ``what`` names it in errors."""
    import pythia8mc

    py = pythia8mc.Pythia("", False)
    for s in settings:
        if not py.readString(s):
            raise RuntimeError(f"Pythia rejected setting {s!r} for {what}")
    if not py.init():
        raise RuntimeError(f"Pythia initialisation failed for {what}")
    return py


def passes_lep_filter(pid, px, py, pz, pt_min: float, eta_max_e: float, eta_max_mu: float) -> bool:
    """Generator-level lepton filter: a final-state e or mu with pT > ``pt_min`` GeV within
    |eta| < ``eta_max_e`` (electrons) or ``eta_max_mu`` (muons)."""
    from .emulation import kinematics

    a = np.abs(pid)
    lep = (a == 11) | (a == 13)
    if not lep.any():
        return False
    pt, eta, _ = kinematics(px[lep], py[lep], pz[lep])
    emax = np.where(a[lep] == 11, eta_max_e, eta_max_mu)
    return bool(np.any((pt > pt_min) & (np.abs(eta) < emax)))


def make_pythia(name: str, seed: int, extra=()):
    """Initialised ``pythia8mc.Pythia`` for process ``name``."""
    return pythia_from(settings_for(name, seed) + list(extra), f"process {name}")


def final_state(event):
    """(pid, px, py, pz, e) arrays of the final-state particles of a Pythia event record."""
    rows = [(p.id(), p.px(), p.py(), p.pz(), p.e()) for p in event if p.isFinal()]
    a = np.array(rows, dtype=np.float64).reshape(-1, 5)
    return a[:, 0].astype(np.int64), a[:, 1], a[:, 2], a[:, 3], a[:, 4]


class _Prefilter:
    """Necessary condition for the selection, evaluated in C++ (SlowJet) plus a few
    Python calls on the constituents of narrow jets: some anti-kt R = 0.1 jet with
    pT > PREFILTER_PT must hold either e/gamma particles with a scalar pT sum above
    PREFILTER_EG_PT or a muon above PREFILTER_EG_PT."""

    def __init__(self):
        import pythia8mc

        self.sj = pythia8mc.SlowJet(-1, PREFILTER_R, PREFILTER_PT, PREFILTER_ETA, 2)

    def __call__(self, event) -> bool:
        sj = self.sj
        sj.analyze(event)
        for j in range(sj.sizeJet()):
            eg = 0.0
            for i in sj.constituents(j):
                p = event[i]
                a = p.idAbs()
                if a == 11 or a == 22:
                    eg += p.pT()
                elif a == 13 and p.pT() > PREFILTER_EG_PT:
                    return True
            if eg > PREFILTER_EG_PT:
                return True
        return False


def run_chunk(name: str, seed: int, n_accept: int, max_generated: int | None = None,
              params: dict | None = None, prefilter: bool = True, progress=None,
              pileup: float = 0.0, extra_settings=(), return_aux: bool = False):
    """Generate events of ``name`` until ``n_accept`` pass the selection.

    Parameters
    ----------
    name : str
        Process key of :data:`l1ot.sim.processes.PROCESSES`.
    seed : int
        Pythia seed (1..900000000); the smearing generator is seeded from it too,
        so a chunk is reproducible.
    n_accept : int
        Number of selected events wanted (a re-hadronised process may return a few
        more: all passing hadronisations of the last parton-level event are kept).
    max_generated : int, optional
        Stop after this many generated (parton-level) events even if fewer were accepted.
    params : dict, optional
        Emulation parameter overrides (see :data:`l1ot.sim.emulation.DEFAULTS`).
    prefilter : bool
        Use the narrow-jet pre-filter (only skips events that cannot pass).
    progress : callable, optional
        Called with the number of newly accepted events.
    pileup : float
        Mean number ⟨μ⟩ of pile-up interactions: each hadronised event that passes the
        pre-filter gets Poisson(⟨μ⟩) minimum-bias events (a second Pythia instance,
        ``SoftQCD:inelastic``, seeded by :func:`pileup_seed`) added to its final state
        before the emulation, so they enter the clusters, isolation, jets and MET.
        0 (default): no pile-up.
    extra_settings : sequence of str
        Further Pythia settings (studies, e.g. another ``PhaseSpace:pTHatMin``).
    return_aux : bool
        Also return per-event auxiliary arrays (third return value).

    Returns
    -------
    events : float32 array (n, 19, 4)
    stats : dict
        ``n_generated`` (parton-level events), ``n_hadronized``, ``n_accepted``,
        ``n_failed``, ``n_prefiltered`` (hadronisations skipped by the pre-filter),
        ``n_multi`` (accepted events sharing a parton-level event with another one),
        ``sigma_mb`` (Pythia cross-section estimate of the generated process),
        ``n_lep_filtered`` (events removed by the generator-level lepton filter),
        ``n_pileup`` (minimum-bias events overlaid).
    aux : dict (only with ``return_aux``)
        ``parton_event`` int64 (n,): index of the parton-level event within the chunk
        (re-hadronisations of one parton-level event share it); ``pthat`` float32 (n,):
        p̂T of the hard process in GeV; ``n_pileup`` int32 (n,): overlaid pile-up events.
    """
    import pythia8mc

    k_had = int(PROCESSES[name].get("rehadronize", 0))
    lep_filter = PROCESSES[name].get("lep_filter")
    extra = (["HadronLevel:all = off"] if k_had else []) + list(extra_settings)
    py = make_pythia(name, seed, extra)
    rng = np.random.default_rng([int(seed), 0x11A7])
    pu_rng = np.random.default_rng([int(seed), 0x9075])
    mb = make_minbias(pileup_seed(seed)) if pileup > 0 else None
    pre = _Prefilter() if prefilter else None
    saved = pythia8mc.Event() if k_had else None
    out, groups, pthats, npus = [], [], [], []
    n_gen = n_fail = n_had = n_pre = n_multi = n_lep = n_pu_tot = 0
    while len(out) < n_accept and (max_generated is None or n_gen < max_generated):
        if not py.next():
            n_fail += 1
            if n_fail > 1000 + n_gen:
                raise RuntimeError(f"Pythia fails to generate events for {name}")
            continue
        n_gen += 1
        if k_had:
            saved.assign(py.event)
        n_this = 0
        for _ in range(max(1, k_had)):
            if k_had:
                py.event.assign(saved)
                if not py.forceHadronLevel(False):
                    n_fail += 1
                    continue
            n_had += 1
            if pre is not None and not pre(py.event):
                n_pre += 1
                continue
            fs = final_state(py.event)
            if lep_filter is not None and not passes_lep_filter(*fs[:4], **lep_filter):
                n_lep += 1
                continue
            n_pu = 0
            if mb is not None:
                n_pu = int(pu_rng.poisson(pileup))
                parts = [fs]
                for _ in range(n_pu):
                    while not mb.next():
                        pass
                    parts.append(final_state(mb.event))
                fs = tuple(np.concatenate([q[c] for q in parts]) for c in range(5))
                n_pu_tot += n_pu
            ev = emulate(*fs, rng, params=params, select_pt=SELECTION_PT)
            if ev is not None and passes_selection(ev, SELECTION_PT):
                out.append(ev)
                groups.append(n_gen - 1)
                pthats.append(py.infoPython().pTHat())
                npus.append(n_pu)
                n_this += 1
                if progress is not None:
                    progress(1)
        if n_this > 1:
            n_multi += n_this
    info = py.infoPython()
    stats = {"n_generated": n_gen, "n_hadronized": n_had, "n_accepted": len(out),
             "n_failed": n_fail, "n_prefiltered": n_pre, "n_multi": n_multi,
             "sigma_mb": float(info.sigmaGen()), "n_lep_filtered": n_lep, "n_pileup": n_pu_tot}
    events = np.stack(out) if out else np.zeros((0, 19, 4), dtype=np.float32)
    if return_aux:
        aux = {"parton_event": np.asarray(groups, dtype=np.int64),
               "pthat": np.asarray(pthats, dtype=np.float32), "n_pileup": np.asarray(npus, dtype=np.int32)}
        return events, stats, aux
    return events, stats
