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


def make_pythia(name: str, seed: int, extra=()):
    """Initialised ``pythia8mc.Pythia`` for process ``name``."""
    import pythia8mc

    py = pythia8mc.Pythia("", False)
    for s in settings_for(name, seed) + list(extra):
        if not py.readString(s):
            raise RuntimeError(f"Pythia rejected setting {s!r} for process {name}")
    if not py.init():
        raise RuntimeError(f"Pythia initialisation failed for process {name}")
    return py


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
              params: dict | None = None, prefilter: bool = True, progress=None):
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

    Returns
    -------
    events : float32 array (n, 19, 4)
    stats : dict
        ``n_generated`` (parton-level events), ``n_hadronized``, ``n_accepted``,
        ``n_failed``, ``n_prefiltered`` (hadronisations skipped by the pre-filter),
        ``n_multi`` (accepted events sharing a parton-level event with another one),
        ``sigma_mb`` (Pythia cross-section estimate of the generated process).
    """
    import pythia8mc

    k_had = int(PROCESSES[name].get("rehadronize", 0))
    extra = ["HadronLevel:all = off"] if k_had else []
    py = make_pythia(name, seed, extra)
    rng = np.random.default_rng([int(seed), 0x11A7])
    pre = _Prefilter() if prefilter else None
    saved = pythia8mc.Event() if k_had else None
    out = []
    n_gen = n_fail = n_had = n_pre = n_multi = 0
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
            ev = emulate(*final_state(py.event), rng, params=params, select_pt=SELECTION_PT)
            if ev is not None and passes_selection(ev, SELECTION_PT):
                out.append(ev)
                n_this += 1
                if progress is not None:
                    progress(1)
        if n_this > 1:
            n_multi += n_this
    info = py.infoPython()
    stats = {"n_generated": n_gen, "n_hadronized": n_had, "n_accepted": len(out),
             "n_failed": n_fail, "n_prefiltered": n_pre, "n_multi": n_multi,
             "sigma_mb": float(info.sigmaGen())}
    events = np.stack(out) if out else np.zeros((0, 19, 4), dtype=np.float32)
    return events, stats
