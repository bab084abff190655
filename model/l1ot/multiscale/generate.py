"""Constituent-level four-jet samples for paper 2's two tasks (Pythia 8 + FastJet).

Simulated, not CMS. Every sample is a set of events, each the massless
constituents ``(pT/GeV, y, phi)`` of its four hardest anti-kT jets at the
benchmark radius :data:`R_BENCH` (the jet index of each constituent is kept).
The other radii recluster the same constituents (:mod:`l1ot.multiscale.representation`).

Processes (13 TeV pp, Pythia defaults for shower, MPI and hadronisation; no pile-up):

* ``qcd``   -- QCD hard 2->2 (``HardQCD:all``), pT-hat > :data:`PTHAT_QCD` GeV;
* ``ttbar`` -- tt-bar (gg, qq-bar), pT-hat (the top pT) > :data:`PTHAT_TOP` GeV, both W
  forced to hadronic decays (all-hadronic: the boosted W decays hadronically);
* ``stop``  -- the paired-dijet signal: a coloured scalar S = stop_1 (m = :data:`M_S` GeV,
  every other sparticle at 5 TeV) pair-produced by QCD (``SUSY:gg2squarkantisquark`` and
  ``qqbar2squarkantisquark`` restricted to stop_1 stop_1*), decaying 100 % through the
  R-parity-violating UDD coupling lambda''_312 to d-bar s-bar (a DECAY table in the SLHA file
  ``stop_rpv.slha`` bundled with this module), pT-hat > :data:`PTHAT_QCD` GeV.

Selection (paper 2 §III, the numbers lost from the seed text are ours): visible final-state
particles (no neutrinos) with pT > :data:`PARTICLE_PT` GeV and |eta| < :data:`PARTICLE_ETA`,
anti-kT R = :data:`R_BENCH`; jets with |y| < :data:`JET_Y`; at least four of them; jets 1-2
with pT > :data:`PT12` GeV, jets 3-4 with pT > :data:`PT34` GeV; the four hardest are kept.

Chunks: ``(process, index)`` with a Pythia seed derived from the base seed, the process and
the index (:func:`chunk_seed`), so a sample depends only on ``(seed, n, chunk)``; finished
chunks are cached as ``.npz`` and a rerun resumes from them.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from importlib import resources

import numpy as np

#: benchmark anti-kT radius and the two reclustering radii
R_BENCH = 0.8
RADII = (0.4, 0.8, 1.2)
PTHAT_QCD = 250.0
PTHAT_TOP = 300.0
M_S = 150.0
PARTICLE_PT = 1.0
PARTICLE_ETA = 4.0
JET_Y = 2.5
PT12 = 200.0
PT34 = 50.0

PROCESS_IDS = {"qcd": 0, "ttbar": 1, "stop": 2}
LABELS = {
    "qcd": f"QCD hard 2->2, pT-hat > {PTHAT_QCD:g} GeV",
    "ttbar": f"ttbar all-hadronic (boosted W -> qq), top pT-hat > {PTHAT_TOP:g} GeV",
    "stop": f"stop_1 pair (m = {M_S:g} GeV) -> (d-bar s-bar)(d s) via RPV lambda''_312, pT-hat > {PTHAT_QCD:g} GeV",
}
#: alternative samples (closer to paper 2's event shapes, §III.2), not bundled; kept out of :func:`config` so the
#: bundled samples keep their configuration hash. Process ids continue :data:`PROCESS_IDS`.
VARIANT_IDS = {"qcd_3parton": 3, "stop_nocut": 4, "stop500_nocut": 5, "qcd_3only": 6}
PTHAT_QCD_LOW = 200.0
PTHAT3_MIN = 50.0
M_S_HEAVY = 500.0
LABELS.update({
    "qcd_3parton": f"QCD hard 2->2 + 2->3 (HardQCD:3parton), pT-hat > {PTHAT_QCD_LOW:g} GeV, "
                   f"hardest parton pT > {PTHAT_QCD_LOW:g}, softest > {PTHAT3_MIN:g} GeV, R_sep > {R_BENCH:g}",
    "qcd_3only": f"QCD hard 2->3 only (HardQCD:3parton), pT-hat > {PTHAT_QCD_LOW:g} GeV, "
                 f"hardest parton pT > {PTHAT_QCD_LOW:g}, softest > {PTHAT3_MIN:g} GeV, R_sep > {R_BENCH:g}",
    "stop_nocut": f"stop_1 pair (m = {M_S:g} GeV) -> (d-bar s-bar)(d s), no pT-hat requirement",
    "stop500_nocut": f"stop_1 pair (m = {M_S_HEAVY:g} GeV) -> (d-bar s-bar)(d s), no pT-hat requirement",
})
#: task -> (signal process, background process)
TASKS = {"ttbar": ("ttbar", "qcd"), "paired-dijet": ("stop", "qcd")}

COMMON = [
    "Beams:idA = 2212", "Beams:idB = 2212", "Beams:eCM = 13000.",
    "Print:quiet = on", "SLHA:verbose = 0", "Next:numberCount = 0", "Next:numberShowEvent = 0",
    "Next:numberShowProcess = 0", "Next:numberShowInfo = 0",
]

STATEMENT = ("SIMULATED sample produced by l1ot (l1ot.multiscale.generate): Pythia 8 + FastJet "
             "constituents of the four hardest anti-kT jets. Simulated, not CMS: these are not CMS "
             "data or CMS simulation.")


def slha_path() -> str:
    return str(resources.files("l1ot.multiscale").joinpath("stop_rpv.slha"))


def settings(process: str, seed: int) -> list[str]:
    """Pythia ``readString`` settings of ``process`` with seed ``seed`` (1..900000000)."""
    if process == "qcd":
        s = ["HardQCD:all = on", f"PhaseSpace:pTHatMin = {PTHAT_QCD}"]
    elif process == "ttbar":
        s = ["Top:gg2ttbar = on", "Top:qqbar2ttbar = on", f"PhaseSpace:pTHatMin = {PTHAT_TOP}",
             "24:onMode = off", "24:onIfAny = 1 2 3 4 5"]
    elif process == "stop":
        s = ["SUSY:gg2squarkantisquark = on", "SUSY:qqbar2squarkantisquark = on",
             "SUSY:idA = 1000006", "SUSY:idB = 1000006", f"SLHA:file = {slha_path()}",
             f"1000006:m0 = {M_S}", f"PhaseSpace:pTHatMin = {PTHAT_QCD}"]
    elif process in ("qcd_3parton", "qcd_3only"):
        s = (["HardQCD:all = on"] if process == "qcd_3parton" else []) + [
             "HardQCD:3parton = on", f"PhaseSpace:pTHatMin = {PTHAT_QCD_LOW}",
             f"PhaseSpace:pTHat3Min = {PTHAT_QCD_LOW}", f"PhaseSpace:pTHat5Min = {PTHAT3_MIN}",
             f"PhaseSpace:RsepMin = {R_BENCH}"]
    elif process in ("stop_nocut", "stop500_nocut"):
        m = M_S if process == "stop_nocut" else M_S_HEAVY
        s = ["SUSY:gg2squarkantisquark = on", "SUSY:qqbar2squarkantisquark = on",
             "SUSY:idA = 1000006", "SUSY:idB = 1000006", f"SLHA:file = {slha_path()}",
             f"1000006:m0 = {m}", "PhaseSpace:pTHatMin = 0."]
        if m != M_S:  # the SLHA MASS block wins unless overrides are allowed; the mass window follows m0
            s += ["SLHA:allowUserOverride = on", f"1000006:mMin = {m - 20.0}", f"1000006:mMax = {m + 20.0}"]
    else:
        raise KeyError(f"unknown process {process!r}; known: {sorted(PROCESS_IDS) + sorted(VARIANT_IDS)}")
    return COMMON + s + ["Random:setSeed = on", f"Random:seed = {int(seed)}"]


def config() -> dict:
    return {"radius": R_BENCH, "pthat_qcd": PTHAT_QCD, "pthat_top": PTHAT_TOP, "m_s": M_S,
            "particle_pt": PARTICLE_PT, "particle_eta": PARTICLE_ETA, "jet_y": JET_Y,
            "pt12": PT12, "pt34": PT34,
            "settings": {p: settings(p, 1)[:-2] for p in PROCESS_IDS}}


def config_hash() -> str:
    return hashlib.sha256(json.dumps(config(), sort_keys=True).encode()).hexdigest()[:12]


def chunk_seed(base_seed: int, process: str, index: int) -> int:
    """Pythia seed (1..900000000) of chunk ``index`` of ``process``."""
    pid = PROCESS_IDS[process] if process in PROCESS_IDS else VARIANT_IDS[process]
    ss = np.random.SeedSequence([int(base_seed), 0x5CA1E, pid, int(index)])
    return int(ss.generate_state(1, dtype=np.uint32)[0] % 899_999_999) + 1


def select(pt, y, phi):
    """Cluster massless particles with anti-kT R_BENCH and apply the selection.

    Parameters: float arrays (n,) pT/GeV, rapidity, azimuth.
    Returns (keep_index (m,), jet_index (m,) in 0..3 by decreasing jet pT) or None.
    """
    from .representation import cluster

    jets = cluster(pt, y, phi, R_BENCH)
    jets = [j for j in jets if abs(j[1]) < JET_Y]
    if len(jets) < 4:
        return None
    if jets[1][0] <= PT12 or jets[3][0] <= PT34:
        return None
    idx = [j[3] for j in jets[:4]]
    keep = np.concatenate(idx)
    jet = np.concatenate([np.full(len(ix), k, dtype=np.int8) for k, ix in enumerate(idx)])
    return keep, jet


def run_chunk(process: str, seed: int, n_accept: int, max_generated: int | None = None):
    """Generate events of ``process`` until ``n_accept`` pass the selection.

    Returns (events, stats): ``events`` a list of float32 arrays (m, 4) with columns
    pT/GeV, y, phi, jet index (0..3 at R_BENCH); ``stats`` counts and timing.
    """
    from ..sim.generate import pythia_from

    py = pythia_from(settings(process, seed), process)
    out, n_gen, n_fail, t0 = [], 0, 0, time.time()
    while len(out) < n_accept and (max_generated is None or n_gen < max_generated):
        if not py.next():
            n_fail += 1
            if n_fail > 1000 + n_gen:
                raise RuntimeError(f"Pythia fails to generate events for {process}")
            continue
        n_gen += 1
        rows = [(p.pT(), p.y(), p.phi(), p.eta()) for p in py.event
                if p.isFinal() and p.isVisible()]
        a = np.asarray(rows, dtype=np.float64).reshape(-1, 4)
        a = a[(a[:, 0] > PARTICLE_PT) & (np.abs(a[:, 3]) < PARTICLE_ETA)]
        # massless constituents: rapidity := pseudorapidity
        sel = select(a[:, 0], a[:, 3], a[:, 2])
        if sel is None:
            continue
        keep, jet = sel
        ev = np.column_stack([a[keep, 0], a[keep, 3], a[keep, 2], jet]).astype(np.float32)
        out.append(ev)
    stats = {"n_generated": n_gen, "n_accepted": len(out), "n_failed": n_fail,
             "sigma_mb": float(py.infoPython().sigmaGen()), "seconds": time.time() - t0, "seed": int(seed)}
    return out, stats


def chunk_path(cache_dir, process, index, seed, chunk):
    tag = config_hash()
    if process in VARIANT_IDS:  # the variants are not in config(): their own settings key the cache
        tag += "_" + hashlib.sha256(json.dumps(settings(process, 0)[:-2]).encode()).hexdigest()[:8]
    return os.path.join(cache_dir, f"{process}_{index:04d}_s{seed}_n{chunk}_{tag}.npz")


def run_task(process, index, seed, chunk, cache_dir):
    """One chunk, or its cached copy. Returns (events list, stats)."""
    path = chunk_path(cache_dir, process, index, seed, chunk) if cache_dir else None
    if path and os.path.exists(path):
        with np.load(path) as z:
            flat, off = z["flat"], z["offsets"]
            return [flat[off[i]:off[i + 1]] for i in range(len(off) - 1)], json.loads(str(z["stats"]))
    events, stats = run_chunk(process, seed, chunk)
    if path:
        os.makedirs(cache_dir, exist_ok=True)
        off = np.concatenate([[0], np.cumsum([len(e) for e in events])]).astype(np.int64)
        tmp = path + ".tmp.npz"
        np.savez(tmp, flat=np.concatenate(events) if events else np.zeros((0, 4), np.float32),
                 offsets=off, stats=json.dumps(stats))
        os.replace(tmp, path)
    return events, stats


def produce(process: str, n: int, *, seed: int = 17, chunk: int = 100, cache_dir: str | None = None,
            engine=None):
    """``n`` selected events of ``process`` in chunks of ``chunk`` (seeded, resumable).

    Returns (events list of (m, 4) float32, stats list per chunk).
    """
    k = -(-n // chunk)
    tasks = [(process, i, chunk_seed(seed, process, i), chunk, cache_dir) for i in range(k)]
    if engine is None:
        res = [run_task(*t) for t in tasks]
    else:
        res = list(engine.map(run_task, tasks, desc=f"generate {process}", unit="chunk"))
    events = [e for r in res for e in r[0]][:n]
    return events, [r[1] for r in res]


def attrs(process: str, seed: int, chunk: int, stats) -> dict:
    import fastjet

    try:
        from importlib.metadata import version
        pyver = version("pythia8mc")
    except Exception:  # pragma: no cover
        pyver = "unknown"
    return {
        "statement": STATEMENT, "simulated": True, "simulated_not_cms": "simulated, not CMS",
        "process": process, "process_label": LABELS[process],
        "generator": f"Pythia 8 (pythia8mc {pyver}) + FastJet {fastjet.__version__} (anti-kT R={R_BENCH})",
        "pythia_settings": json.dumps(settings(process, 0)[:-2]),
        "slha": open(slha_path()).read() if process == "stop" else "",
        "selection": (f"visible particles pT > {PARTICLE_PT} GeV, |eta| < {PARTICLE_ETA}; anti-kT R={R_BENCH}; "
                      f">= 4 jets with |y| < {JET_Y}; pT(j1, j2) > {PT12} GeV, pT(j3, j4) > {PT34} GeV; "
                      "the 4 hardest jets kept"),
        "base_seed": int(seed), "chunk": int(chunk), "config_hash": config_hash(),
        "generation_stats": json.dumps(stats), "pileup": "none",
        "columns": "pt (GeV), y (rapidity = pseudorapidity, massless), phi, jet index at R_BENCH",
    }
