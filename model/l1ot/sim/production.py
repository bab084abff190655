"""Chunked, seeded, resumable production of the simulated ADC2021-format sample.

A *chunk* is ``(process, index)``: its Pythia seed is derived from the base seed,
the process id and the index, and it holds exactly ``chunk`` selected events, so the
content of every chunk depends only on ``(base seed, process, index, chunk)`` and
the final files depend only on ``(seed, n_bkg, n_sig, chunk)``, whatever the number
of worker processes or the order in which chunks finish.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import time

import numpy as np

from . import emulation
from .processes import BACKGROUND_FILE, BACKGROUND_SHARES, COMMON, PROCESS_IDS, PROCESSES, SIGNAL_FILES

STATEMENT = ("SIMULATED sample produced by l1ot (scripts/make_dataset.py): Pythia 8 + FastJet with a "
             "parametrised L1-object emulation, in the ADC2021 layout. These are NOT the CMS ADC2021 "
             "files and must not be presented as CMS data or CMS simulation.")


#: bit layout of the stored ``parton_event`` group id (int64):
#: ``process_id << 40 | chunk index << 20 | parton-level event index within the chunk``
GROUP_CHUNK_SHIFT = 20
GROUP_PROCESS_SHIFT = 40


def group_ids(process: str, index: int, local) -> np.ndarray:
    """File-unique ``parton_event`` ids of the events of chunk ``index`` of ``process``.

    ``local`` (int array (n,)) is the parton-level event index within the chunk
    (:func:`l1ot.sim.generate.run_chunk`, ``aux["parton_event"]``); events that are
    re-hadronisations of one parton-level event share the id.
    """
    local = np.asarray(local, dtype=np.int64)
    if local.size and (local.min() < 0 or local.max() >= 1 << GROUP_CHUNK_SHIFT):
        raise ValueError("parton-level index out of range for the group id layout")
    return (np.int64(PROCESS_IDS[process]) << GROUP_PROCESS_SHIFT) | \
        (np.int64(index) << GROUP_CHUNK_SHIFT) | local


def group_contiguous_permutation(groups, rng: np.random.Generator) -> np.ndarray:
    """Permutation of events ``(N,)`` that shuffles whole groups and keeps the members of
    each group adjacent (in their original order), so that contiguous splits
    (:mod:`l1ot.io.splits`) can keep every group on one side."""
    groups = np.asarray(groups)
    uniq, first, inv = np.unique(groups, return_index=True, return_inverse=True)
    order = rng.permutation(uniq.size)          # rank of each group
    rank = np.empty(uniq.size, dtype=np.int64)
    rank[order] = np.arange(uniq.size)
    return np.lexsort((np.arange(groups.size), rank[inv]))


def chunk_seed(base_seed: int, process: str, index: int) -> int:
    """Pythia seed (1..900000000) of chunk ``index`` of ``process``."""
    ss = np.random.SeedSequence([int(base_seed), PROCESS_IDS[process], int(index)])
    return int(ss.generate_state(1, dtype=np.uint32)[0] % 899_999_999) + 1


def background_counts(n_bkg: int) -> dict[str, int]:
    """Events per background process for a total ``n_bkg`` (largest-remainder rounding)."""
    raw = {p: s * n_bkg for p, s in BACKGROUND_SHARES.items()}
    n = {p: int(math.floor(v)) for p, v in raw.items()}
    rest = n_bkg - sum(n.values())
    for p in sorted(raw, key=lambda q: raw[q] - n[q], reverse=True)[:rest]:
        n[p] += 1
    return n


def targets(n_bkg: int, n_sig: int) -> dict[str, int]:
    t = background_counts(n_bkg)
    t.update({p: n_sig for p in SIGNAL_FILES})
    return t


def plan(n_bkg: int, n_sig: int, chunk: int, seed: int):
    """List of chunk tasks ``(process, index, seed, chunk)`` interleaved so that every
    process advances at the same fractional rate."""
    tasks = []
    for p, n in targets(n_bkg, n_sig).items():
        k = math.ceil(n / chunk) if n > 0 else 0
        for i in range(k):
            tasks.append(((i + 0.5) / k, p, i, chunk_seed(seed, p, i), chunk))
    tasks.sort(key=lambda t: (t[0], PROCESS_IDS[t[1]]))
    return [t[1:] for t in tasks]


def config_hash() -> str:
    from .generate import MINBIAS

    blob = json.dumps({"common": COMMON, "proc": {p: PROCESSES[p] for p in PROCESSES},
                       "emu": emulation.DEFAULTS, "sel": emulation.SELECTION_PT, "minbias": MINBIAS},
                      sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def chunk_path(cache_dir, process, index, seed, chunk, pileup: float = 0.0):
    pu = f"_pu{pileup:g}" if pileup else ""
    return os.path.join(cache_dir, f"{process}_{index:04d}_s{seed}_n{chunk}{pu}_{config_hash()}.npz")


def run_task(args):
    """Worker: produce one chunk (or read it from the cache).

    ``args`` = ``(process, index, seed, chunk, cache_dir[, pileup])``. Returns
    ``(process, index, path|None, events, stats, aux)`` with ``aux`` the per-event arrays
    of :func:`l1ot.sim.generate.run_chunk` (``parton_event`` made file-unique by
    :func:`group_ids`, ``pthat``, ``n_pileup``).
    """
    process, index, seed, chunk, cache_dir = args[:5]
    pileup = float(args[5]) if len(args) > 5 else 0.0
    path = chunk_path(cache_dir, process, index, seed, chunk, pileup) if cache_dir else None
    if path and os.path.exists(path):
        with np.load(path) as z:
            aux = {k: z[k] for k in ("parton_event", "pthat", "n_pileup")}
            return process, index, path, z["events"], json.loads(str(z["stats"])), aux
    from .generate import run_chunk

    t0 = time.time()
    events, stats, aux = run_chunk(process, seed, chunk, pileup=pileup, return_aux=True)
    events = events[:chunk]
    aux = {k: v[:chunk] for k, v in aux.items()}
    aux["parton_event"] = group_ids(process, index, aux["parton_event"])
    stats["seconds"] = time.time() - t0
    stats["seed"] = seed
    stats["pileup"] = pileup
    if path:
        os.makedirs(cache_dir, exist_ok=True)
        tmp = path + ".tmp.npz"
        np.savez(tmp, events=events, stats=json.dumps(stats), **aux)
        os.replace(tmp, path)
    return process, index, path, events, stats, aux


def file_attrs(*, base_seed, processes, stats, n_events, extra=None, pileup: float = 0.0):
    """HDF5 provenance attributes."""
    import fastjet

    try:
        from importlib.metadata import version
        pyver = version("pythia8mc")
    except Exception:  # pragma: no cover
        pyver = "unknown"
    a = {
        "statement": STATEMENT,
        "simulated": True,
        "generator": f"Pythia 8 (pythia8mc {pyver}) + FastJet {fastjet.__version__} (anti-kt R=0.4)",
        "emulation": "l1ot.sim.emulation (parametrised L1 objects, Delphes-style)",
        "base_seed": int(base_seed),
        "n_events": int(n_events),
        "processes": json.dumps({p: {"id": PROCESS_IDS[p], "label": PROCESSES[p]["label"]} for p in processes}),
        "process_names": json.dumps({str(i): p for p, i in PROCESS_IDS.items()}),
        "pythia_common_settings": json.dumps(COMMON),
        "pythia_process_settings": json.dumps({p: PROCESSES[p]["settings"] for p in processes}),
        "lep_filter": json.dumps({p: PROCESSES[p].get("lep_filter") for p in processes}),
        "rehadronize": json.dumps({p: PROCESSES[p].get("rehadronize", 0) for p in processes}),
        "emulation_params": json.dumps(emulation.DEFAULTS),
        "selection": f">= 1 e/gamma or muon with pT > {emulation.SELECTION_PT} GeV",
        "met_definition": ("particle level: -(sum of smeared e/gamma, muon, jet objects above their thresholds, "
                           "jets to |eta| < met_eta_max) - (sum of the other visible particles with pT > "
                           "min_particle_pt, |eta| < met_eta_max, smeared per component by met_soft_res * "
                           "sqrt(sum pT)); docs/dataset.md"),
        "pileup": (f"Poisson, mean {pileup:g} minimum-bias interactions per event (Pythia SoftQCD:inelastic, "
                   f"seeded from the chunk seed), overlaid before the L1 emulation") if pileup else "none",
        "pileup_mu": float(pileup),
        "parton_event": ("int64 group id per event: process_id << 40 | chunk << 20 | parton-level index; "
                         "events sharing it are re-hadronisations of one parton-level event and must stay "
                         "on one side of every split"),
        "generation_stats": json.dumps(stats),
        "config_hash": config_hash(),
    }
    if extra:
        a.update(extra)
    return a
