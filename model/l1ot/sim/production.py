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
    blob = json.dumps({"common": COMMON, "proc": {p: PROCESSES[p] for p in PROCESSES},
                       "emu": emulation.DEFAULTS, "sel": emulation.SELECTION_PT},
                      sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def chunk_path(cache_dir, process, index, seed, chunk):
    return os.path.join(cache_dir, f"{process}_{index:04d}_s{seed}_n{chunk}_{config_hash()}.npz")


def run_task(args):
    """Worker: produce one chunk (or read it from the cache). Returns (process, index, path|None, events, stats)."""
    process, index, seed, chunk, cache_dir = args
    path = chunk_path(cache_dir, process, index, seed, chunk) if cache_dir else None
    if path and os.path.exists(path):
        with np.load(path) as z:
            return process, index, path, z["events"], json.loads(str(z["stats"]))
    from .generate import run_chunk

    t0 = time.time()
    events, stats = run_chunk(process, seed, chunk)
    events = events[:chunk]
    stats["seconds"] = time.time() - t0
    stats["seed"] = seed
    if path:
        os.makedirs(cache_dir, exist_ok=True)
        tmp = path + ".tmp.npz"
        np.savez(tmp, events=events, stats=json.dumps(stats))
        os.replace(tmp, path)
    return process, index, path, events, stats


def file_attrs(*, base_seed, processes, stats, n_events, extra=None):
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
        "rehadronize": json.dumps({p: PROCESSES[p].get("rehadronize", 0) for p in processes}),
        "emulation_params": json.dumps(emulation.DEFAULTS),
        "selection": f">= 1 e/gamma or muon with pT > {emulation.SELECTION_PT} GeV",
        "pileup": "none",
        "generation_stats": json.dumps(stats),
        "config_hash": config_hash(),
    }
    if extra:
        a.update(extra)
    return a
