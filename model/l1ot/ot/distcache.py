"""Event-to-event distance matrices: batched, multi-core, cached on disk.

Paper 1's kNN and one-class SVM methods (§3.2, §3.3) work on precomputed
matrices of 2-Wasserstein distances between events. This module computes

* ``distance="w2"``    -- exact W2 (paper 1 eq. 2) in a ground space of
  :mod:`l1ot.ot.spaces`: "3d" (uniform weights 1/19, empty slots at the
  origin), "2d" (paper 1's 2D: pT-normalised weights on the occupied slots),
  "2d_nomet", "2d_uniform";
* ``distance="linw2"`` -- LinW2 with the pT-sorted transport
  (:func:`l1ot.ot.linot.embed`), a Euclidean distance between embeddings,

and stores every matrix in ``<cache_dir>/w2_<key>.h5`` (default
``build/cache``), where ``key`` hashes the event arrays (SHA-256 of the
float32 bytes and shape) and every parameter that changes the numbers (space,
solver, axis weights, distance kind, format version). A second call with the
same inputs reads the file instead of recomputing; :data:`STATS` counts hits
and misses.

Exact W2 solvers (``solver=``):

* ``"fast"`` -- uniform weights and equal counts make the optimal plan a
  permutation (see :mod:`l1ot.ot.w2`), so ``W2^2`` is an assignment problem. The
  zero-padded slots are all at the origin and interchangeable: with ``na`` and
  ``nb`` occupied points, an optimal permutation is found on the reduced
  ``min(na + nb, 19)`` square problem (objects of A plus
  ``min(nb, 19 - na)`` origin copies against objects of B plus
  ``min(na, 19 - nb)`` origin copies; the remaining origin points match each
  other at zero cost). The reduced problem is solved by a compiled
  shortest-augmenting-path Hungarian algorithm (:mod:`l1ot.ot.csolve`: C, built
  once with the system C compiler and loaded with :mod:`ctypes`); without a
  compiler it falls back to :func:`scipy.optimize.linear_sum_assignment` per
  pair. Both agree with POT's ``ot.emd2`` to float precision
  (``tests/test_paper_methods.py``).
* ``"pot"`` -- :func:`l1ot.ot.w2.pairwise_w2` with ``ot.emd2`` (slow reference).

pT-weighted spaces ("2d", "2d_nomet") are not assignment problems; they go
through :func:`l1ot.ot.w2.pairwise_w2`, which with ``"fast"`` solves batches
of pairs with the compiled transport solver of :mod:`l1ot.ot.csolve`
(successive shortest paths; POT's network simplex without a compiler).

Units: distances in ground units (GeV-equivalent for "3d"), i.e. the square
root of the mean squared transport.
"""
from __future__ import annotations

import hashlib
import json
import os

import numpy as np

from . import csolve
from .spaces import MASSES, N_SLOTS, coordinates, is_uniform
from .w2 import _run_parallel, assemble_rows, row_batches

CACHE_DIR = os.path.join("build", "cache")
FORMAT = "l1ot-distcache-v1"
DISTANCES = ("w2", "linw2")
#: cache statistics of this process: ``hits`` (read from disk) and ``misses`` (computed)
STATS = {"hits": 0, "misses": 0}

def _lib():
    """The compiled kernels of :mod:`l1ot.ot.csolve`, or ``False`` without a C compiler."""
    return csolve.lib()


_compact = csolve.compact_uniform


def _block_scipy(xa, ca, xb, cb, sym):
    from scipy.optimize import linear_sum_assignment

    out = np.zeros((xa.shape[0], xb.shape[0]))
    for i in range(xa.shape[0]):
        for j in range(i + 1 if sym else 0, xb.shape[0]):
            d = xa[i][:, None, :] - xb[j][None, :, :]
            c = np.einsum("ijk,ijk->ij", d, d)
            r, col = linear_sum_assignment(c)
            out[i, j] = c[r, col].sum() / N_SLOTS
    return out


def w2_squared_matrix(xa: np.ndarray, xb: np.ndarray | None = None, *, use_c: bool = True) -> np.ndarray:
    """Exact squared W2 for all pairs of point clouds (serial).

    xa : (N, 19, d), xb : (M, 19, d) or None (symmetric, ``xb = xa``).
    Returns float64 (N, M); the diagonal is 0 when symmetric.
    """
    sym = xb is None
    ca_x, ca = _compact(np.asarray(xa, dtype=np.float64))
    if sym:
        cb_x, cb = ca_x, ca
    else:
        cb_x, cb = _compact(np.asarray(xb, dtype=np.float64))
    lib = _lib() if use_c else False
    if lib:
        out = np.zeros((ca_x.shape[0], cb_x.shape[0]))
        lib.w2sq_block(ca_x, ca, ca_x.shape[0], cb_x, cb, cb_x.shape[0], ca_x.shape[2], int(sym), out)
    else:
        out = _block_scipy(np.asarray(xa, np.float64), ca, np.asarray(xa if sym else xb, np.float64), cb, sym)
    if sym:
        out = np.triu(out, 1)
        out = out + out.T
    return np.maximum(out, 0.0)


def _rows_job(xa, xb, idx, sym):
    """Worker: squared W2 of rows ``idx`` of ``xa`` against ``xb`` (full rows)."""
    if sym:
        lo = int(idx[0])
        # only columns >= first row are needed (upper triangle); fill the rest later
        part = np.zeros((idx.size, xb.shape[0]))
        sub = w2_squared_matrix(xa[idx], xb[lo:])
        part[:, lo:] = sub
        return idx, part
    return idx, w2_squared_matrix(xa[idx], xb)


def events_hash(particles: np.ndarray) -> str:
    """SHA-256 of an event array (float32 bytes + shape)."""
    p = np.ascontiguousarray(np.asarray(particles, dtype=np.float32))
    h = hashlib.sha256(str(p.shape).encode())
    h.update(p.tobytes())
    return h.hexdigest()


def cache_key(a, b=None, *, distance="w2", space="3d", solver="fast", weights=None) -> str:
    """Key of a distance matrix: hashes of the inputs and every parameter."""
    w = None if weights is None else [float(v) for v in np.asarray(weights).ravel()]
    if distance == "linw2":
        space, solver = "3d", "sorted"  # LinW2 is defined on the 3D space with the sort transport
    spec = {"format": FORMAT, "a": events_hash(a), "b": None if b is None else events_hash(b),
            "distance": distance, "space": space, "solver": solver, "weights": w}
    if space != "3d":  # the 2D spaces changed meaning: the mass scheme is part of the key
        spec["masses"] = MASSES[space]
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:32]


def distance_matrix(a: np.ndarray, b: np.ndarray | None = None, *, distance: str = "w2",
                    space: str = "3d", solver: str = "fast", weights=None, n_jobs: int = 1,
                    progress: bool = False, cache_dir: str | None = CACHE_DIR,
                    desc: str | None = None) -> np.ndarray:
    """Distance matrix between event sets, cached on disk.

    Parameters
    ----------
    a : (N, 19, 4) events; b : (M, 19, 4) or None for the symmetric ``a`` x ``a``.
    distance : "w2" (exact) or "linw2" (pT-sorted LinW2 embedding, paper 2).
    space : a key of :data:`l1ot.ot.spaces.SPACES` ("3d": pT/GeV, eta, phi;
        "2d": eta, phi with pT weights, paper 1); exact W2 only.
    solver : "fast" (assignment) or "pot" (``ot.emd2``), exact W2 only.
    weights : axis weights of the squared ground metric (default ones).
    n_jobs : joblib processes; progress : tqdm bar over row batches.
    cache_dir : folder of the HDF5 cache (None disables caching).

    Returns
    -------
    float64 (N, M) distances (ground units).
    """
    if distance not in DISTANCES:
        raise ValueError(f"unknown distance {distance!r}; choose one of {DISTANCES}")
    a = np.asarray(a)
    path = None
    if cache_dir:
        key = cache_key(a, b, distance=distance, space=space, solver=solver, weights=weights)
        path = os.path.join(cache_dir, f"w2_{key}.h5")
    return cached_matrix(
        path, lambda: _compute(a, b, distance, space, solver, weights, n_jobs, progress, desc),
        shape=(a.shape[0], (a if b is None else b).shape[0]),
        attrs={"distance": distance, "space": space, "solver": solver})


def cached_matrix(path: str | None, compute, *, shape: tuple | None = None, attrs: dict | None = None,
                  stats: dict | None = None) -> np.ndarray:
    """The array stored in the HDF5 file ``path`` (dataset ``d``), or ``compute()`` written there.

    ``path`` None disables the cache. A stored array of another ``shape`` (when given) or an
    unreadable file is recomputed and overwritten. The file is written to a temporary name and
    renamed, so a reader never sees a partial matrix. ``stats`` (default :data:`STATS`) counts
    hits and misses.
    """
    stats = STATS if stats is None else stats
    if path and os.path.exists(path):
        import h5py

        try:
            with h5py.File(path, "r") as f:
                d = f["d"][()]
            if shape is None or d.shape == tuple(shape):
                stats["hits"] += 1
                return d
        except (OSError, KeyError):
            pass  # unreadable cache entry: recompute and overwrite
    stats["misses"] += 1
    d = compute()
    if path:
        import h5py

        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with h5py.File(tmp, "w") as f:
            f.create_dataset("d", data=d)
            f.attrs["format"] = FORMAT
            for k, v in (attrs or {}).items():
                f.attrs[k] = v
        os.replace(tmp, path)
    return d


def _compute(a, b, distance, space, solver, weights, n_jobs, progress, desc):
    if distance == "linw2":
        from .linot import embed, linw2

        ta = embed(a, "sorted", weights=weights)
        tb = ta if b is None else embed(b, "sorted", weights=weights)
        d = linw2(ta, tb)
        if b is None:
            np.fill_diagonal(d, 0.0)
        return d
    if solver == "pot" or (solver == "fast" and not is_uniform(space)):
        from .w2 import pairwise_w2

        return pairwise_w2(a, b, space=space, weights=weights, solver=solver, n_jobs=n_jobs,
                           progress=progress)
    if solver != "fast":
        raise ValueError(f"unknown solver {solver!r}; choose 'fast' or 'pot'")
    xa = coordinates(a, space, weights)
    sym = b is None
    xb = xa if sym else coordinates(b, space, weights)
    n = xa.shape[0]
    rows = row_batches(n, min(16 * max(1, n_jobs), max(1, n // 8)), sym)
    _lib()  # build the kernel once before forking workers
    res = _run_parallel(lambda r: _rows_job(xa, xb, r, sym), rows, n_jobs, progress,
                        desc or f"W2 {space} {n}x{xb.shape[0]}", prefer="threads" if _lib() else "processes")
    return assemble_rows(res, n, xb.shape[0], sym)
