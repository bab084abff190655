"""Exact 2-Wasserstein distance between L1 events (paper 1 §3.1).

Uniform-mass spaces (``"3d"``, ``"2d_uniform"``, see :mod:`l1ot.ot.spaces`)
have two solvers, which agree to floating-point precision (see
``tests/test_w2.py``):

* ``"pot"`` -- the float reference: POT's network-simplex ``ot.emd2`` on the
  19x19 squared-Euclidean cost with uniform weights 1/19;
* ``"fast"`` -- uniform weights and equal counts make an optimal plan a
  permutation (Birkhoff-von Neumann: the transport polytope with uniform
  marginals is 1/19 times the Birkhoff polytope, whose vertices are
  permutation matrices, and a linear program attains its minimum at a vertex),
  so ``W2^2 = (1/19) min_sigma sum_i |x_i - y_sigma(i)|^2`` is an assignment
  problem, solved with :func:`scipy.optimize.linear_sum_assignment`.

The paper's anomaly score is the minimum W2 from a test event to N SM
reference events. :func:`min_w2` computes it exactly, with a pruning that
never changes the result: the sum over axes of the 1D W2^2 between marginals
is a lower bound of the 3D W2^2 (the optimal 3D plan is feasible for every
marginal problem), and 1D W2 between equal-weight point sets is a sorted
matching, so the bound for all pairs is one BLAS call on per-axis sorted
coordinates. References are visited in increasing bound order and the exact
solver stops as soon as the bound exceeds the best distance found.

pT-weighted spaces (``"2d"``, paper 1's 2D OT, and ``"2d_nomet"``) have
unequal masses, so the plan is no longer a permutation. ``"pot"`` runs POT's
network simplex (``ot.emd2``) on the occupied slots; ``"fast"`` per pair
(:func:`w2_squared_weighted`) calls POT's compiled network simplex
(``emd_c``) without ``ot.emd2``'s per-call argument handling. The Python pruning bound is then the
moment bound: for every axis ``a`` and any coupling of X ~ mu, Y ~ nu,
``E (X_a - Y_a)^2 = (m_a - m'_a)^2 + s_a^2 + s'_a^2 - 2 Cov(X_a, Y_a)
>= (m_a - m'_a)^2 + (s_a - s'_a)^2`` (Cauchy-Schwarz), with ``m``, ``s`` the
weighted mean and standard deviation; summed over axes it lower-bounds W2^2
and is the squared Euclidean distance between (m, s) embeddings, one BLAS
call for all pairs.

Compiled paths (:mod:`l1ot.ot.csolve`, C built once and loaded with ctypes;
the Python paths above run when no C compiler is found). With
``solver="fast"``, :func:`pairwise_w2` solves whole blocks of pairs in one C
call (reduced assignment for uniform spaces, successive-shortest-path
transport for pT-weighted ones), and :func:`min_w2` runs the whole search in C:
references are visited by a coarse quantile-embedding bound
(:func:`quantile_embedding`, :data:`ORDER_BINS` bins per axis, a heap instead
of a sort), each is skipped when a finer bound exceeds the best distance so far
(uniform: the exact 1D marginals; pT-weighted: the :data:`QUANTILE_BINS`-bin
quantile embedding, then the exact 1D marginals along the axes and along the
axes rotated by 45 degrees), and the search stops at the first coarse bound
above the best. Both agree with POT to float precision and the min-W2 score
equals the brute-force minimum (``tests/test_w2_csolve.py``). The C calls
release the GIL, so ``n_jobs`` runs them on threads (an active joblib backend
such as the Dask engine's takes precedence).
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from . import csolve
from .spaces import N_SLOTS, coordinates, is_uniform, masses

SOLVERS = ("fast", "pot")


def cost_matrix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Squared Euclidean cost, (n, d) x (m, d) -> (n, m)."""
    d = x[:, None, :] - y[None, :, :]
    return np.einsum("ijk,ijk->ij", d, d)


def w2_squared_points(x: np.ndarray, y: np.ndarray, solver: str = "fast") -> float:
    """W2^2 between two uniform point clouds ``x`` (n, d) and ``y`` (n, d).

    Units: squared ground-space units (GeV^2 on the pT axis, rad^2 on angles).
    """
    c = cost_matrix(x, y)
    n = x.shape[0]
    if solver == "fast":
        r, col = linear_sum_assignment(c)
        return float(c[r, col].sum() / n)
    if solver == "pot":
        import ot

        u = np.full(n, 1.0 / n)
        return float(ot.emd2(u, u, c))
    raise ValueError(f"unknown solver {solver!r}; choose one of {SOLVERS}")


def _emd_c():
    """POT's compiled network simplex (``ot.lp.emd_wrap.emd_c``), or None."""
    try:
        from ot.lp.emd_wrap import emd_c
    except ImportError:  # pragma: no cover - POT layout change: fall back to ot.emd2
        return None
    return emd_c


def w2_squared_weighted(x: np.ndarray, a: np.ndarray, y: np.ndarray, b: np.ndarray,
                        solver: str = "fast") -> float:
    """W2^2 between weighted point clouds: ``x`` (n, d) with masses ``a`` (n,), ``y`` (m, d), ``b`` (m,).

    Masses must be >= 0 with equal sums (1 for events); zero-mass points are
    dropped before solving. Units: squared ground-space units.
    """
    ka, kb = a > 0, b > 0
    x, a, y, b = x[ka], np.ascontiguousarray(a[ka], dtype=np.float64), y[kb], b[kb]
    if a.size == 0 or b.size == 0:
        return 0.0
    b = np.ascontiguousarray(b * (a.sum() / b.sum()), dtype=np.float64)  # exact equal sums, as ot.emd2 does
    c = np.ascontiguousarray(cost_matrix(x, y))
    if solver == "fast":
        emd_c = _emd_c()
        if emd_c is not None:
            _, cost, _, _, code = emd_c(a, b, c, 100000, 1, None, None)
            if code == 1:  # OPTIMAL
                return float(cost)
        solver = "pot"
    if solver == "pot":
        import ot

        return float(ot.emd2(a, b, c))
    raise ValueError(f"unknown solver {solver!r}; choose one of {SOLVERS}")


def w2(e1: np.ndarray, e2: np.ndarray, space: str = "3d", weights=None, solver: str = "fast") -> float:
    """W2 between two events (19, 4) in the given ground space.

    Returns the distance in ground units (sqrt of the mean squared transport).
    """
    x = coordinates(e1, space, weights)
    y = coordinates(e2, space, weights)
    if is_uniform(space):
        d2 = w2_squared_points(x, y, solver)
    else:
        d2 = w2_squared_weighted(x, masses(e1, space), y, masses(e2, space), solver)
    return float(np.sqrt(max(0.0, d2)))


def _pair_fn(space: str, solver: str, pa: np.ndarray, pb: np.ndarray):
    """``f(xi, i, xj, j) -> W2^2`` for events ``i`` of ``pa`` and ``j`` of ``pb`` in ``space``."""
    if is_uniform(space):
        return lambda xi, i, xj, j: w2_squared_points(xi, xj, solver)
    ma, mb = masses(pa, space), masses(pb, space)
    return lambda xi, i, xj, j: w2_squared_weighted(xi, ma[i], xj, mb[j], solver)


def pairwise_w2(a: np.ndarray, b: np.ndarray | None = None, space: str = "3d", weights=None,
                solver: str = "fast", n_jobs: int = 1, progress: bool = False,
                desc: str = "W2 matrix") -> np.ndarray:
    """Full W2 distance matrix between event sets.

    Parameters
    ----------
    a : (N, 19, 4), b : (M, 19, 4) or None (then ``b = a`` and only the upper
        triangle is solved).

    Returns
    -------
    float64 (N, M) matrix of W2 distances (ground units).
    """
    xa = coordinates(a, space, weights)
    sym = b is None
    xb = xa if sym else coordinates(b, space, weights)
    rows = row_batches(xa.shape[0], max(1, min(xa.shape[0], 8 * max(1, n_jobs))), sym)
    if solver == "fast" and csolve.lib():
        if n_jobs == 1 and not progress:  # one compiled call for the whole matrix
            rows = row_batches(xa.shape[0], 1, sym)
        pa = _pack(xa, a, space)
        pb = pa if sym else _pack(xb, b, space)
        csolve.lib()  # build before forking workers
        res = _run_parallel(lambda idx: (idx, _block_c(pa, pb, idx, sym)), rows, n_jobs, progress, desc,
                            prefer="threads")
        return assemble_rows(res, xa.shape[0], xb.shape[0], sym)
    pair = _pair_fn(space, solver, a, a if sym else b)

    def work(idx):
        out = np.zeros((idx.size, xb.shape[0]))
        for k, i in enumerate(idx):
            j0 = i + 1 if sym else 0
            for j in range(j0, xb.shape[0]):
                out[k, j] = pair(xa[i], i, xb[j], j)
        return idx, out

    res = _run_parallel(work, rows, n_jobs, progress, desc)
    return assemble_rows(res, xa.shape[0], xb.shape[0], sym)


def _pack(x: np.ndarray, ev: np.ndarray, space: str) -> dict:
    """Compacted clouds for :mod:`l1ot.ot.csolve`: occupied points (uniform spaces) or points of
    positive mass (pT-weighted spaces) first; ``x`` (N, 19, d), ``ev`` (N, 19, 4)."""
    if is_uniform(space):
        xc, c = csolve.compact_uniform(x)
        return {"x": xc, "m": np.zeros((x.shape[0], N_SLOTS)), "c": c, "weighted": False}
    xc, mc, c = csolve.compact_weighted(x, masses(ev, space))
    return {"x": xc, "m": mc, "c": c, "weighted": True}


def _take(p: dict, idx) -> dict:
    return {k: (np.ascontiguousarray(v[idx]) if isinstance(v, np.ndarray) else v) for k, v in p.items()}


def _block_c(pa: dict, pb: dict, idx: np.ndarray, sym: bool) -> np.ndarray:
    """Squared W2 of rows ``idx`` of ``pa`` against all of ``pb`` (upper triangle only if
    ``sym``), compiled; a pair the transport solver gives up on is solved with POT."""
    L = csolve.lib()
    a = _take(pa, idx)
    lo = int(idx[0]) if sym else 0
    b = _take(pb, slice(lo, None)) if sym else pb
    out = np.zeros((idx.size, pb["c"].shape[0]))
    sub = np.zeros((idx.size, b["c"].shape[0]))
    d = a["x"].shape[2]
    if a["weighted"]:
        bad = L.w2sq_weighted_block(a["x"], a["m"], a["c"], idx.size, b["x"], b["m"], b["c"],
                                    b["c"].shape[0], d, int(sym), sub)
        if bad:  # pragma: no cover - iteration cap of the transport solver
            for i, j in zip(*np.nonzero(np.isnan(sub))):
                sub[i, j] = w2_squared_weighted(a["x"][i], a["m"][i], b["x"][j], b["m"][j], "pot")
    else:
        L.w2sq_block(a["x"], a["c"], idx.size, b["x"], b["c"], b["c"].shape[0], d, int(sym), sub)
    if sym:  # row k is event lo + k and column j event lo + j: the C loop solves j > k only;
        # the rest is mirrored by assemble_rows
        out[:, lo:] = sub
    else:
        out = sub
    return out


def row_batches(n: int, n_batches: int, sym: bool) -> list:
    """Split rows 0..n-1 into contiguous batches (list of int arrays).

    For a symmetric matrix only the upper triangle is solved, so batches are
    balanced by number of pairs rather than rows.
    """
    n_batches = max(1, min(n, n_batches))
    if sym:
        edges = np.unique(np.round(n - np.sqrt(np.linspace(1, 0, n_batches + 1)) * n).astype(int))
        return [np.arange(lo, hi) for lo, hi in zip(edges[:-1], edges[1:]) if hi > lo]
    return [r for r in np.array_split(np.arange(n), n_batches) if r.size]


def assemble_rows(res, n: int, m: int, sym: bool) -> np.ndarray:
    """[(row indices, squared-distance rows)] -> (n, m) W2 matrix; mirrors the upper triangle if ``sym``."""
    d2 = np.zeros((n, m))
    for idx, out in res:
        d2[idx] = out
    if sym:
        d2 = np.triu(d2, 1)
        d2 = d2 + d2.T
    return np.sqrt(np.maximum(d2, 0.0))


def _run_parallel(fn, tasks, n_jobs, progress, desc, prefer="processes"):
    """``[fn(t) for t in tasks]`` on ``n_jobs`` joblib workers (``prefer``: "processes", or
    "threads" for work that releases the GIL, like the ctypes calls of :mod:`l1ot.ot.csolve`;
    an active joblib backend such as the Dask engine's takes precedence)."""
    if progress:
        from ..progress import bar

        tasks_it = bar(tasks, desc=desc, unit="batch", leave=False)
    else:
        tasks_it = tasks
    if n_jobs == 1:
        return [fn(t) for t in tasks_it]
    from joblib import Parallel, delayed

    return Parallel(n_jobs=n_jobs, prefer=prefer)(delayed(fn)(t) for t in tasks_it)


def sorted_marginals(x: np.ndarray) -> np.ndarray:
    """Per-axis sorted coordinates (N, 19, d) -> (N, 19*d); the 1D-marginal embedding."""
    return np.sort(x, axis=1).reshape(x.shape[0], -1)


def marginal_lower_bound(xa: np.ndarray, xb: np.ndarray) -> np.ndarray:
    """Lower bound of W2^2 for all pairs: sum over axes of 1D W2^2, (N, M)."""
    sa, sb = sorted_marginals(xa), sorted_marginals(xb)
    d2 = (sa * sa).sum(1)[:, None] - 2.0 * sa @ sb.T + (sb * sb).sum(1)[None, :]
    return np.maximum(d2, 0.0) / xa.shape[1]


def moment_embedding(x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Per-axis weighted mean and standard deviation, (N, 19, d) x (N, 19) -> (N, 2d)."""
    mu = np.einsum("nsd,ns->nd", x, m)
    var = np.einsum("nsd,ns->nd", x * x, m) - mu * mu
    return np.concatenate([mu, np.sqrt(np.maximum(var, 0.0))], axis=1)


def moment_lower_bound(za: np.ndarray, zb: np.ndarray) -> np.ndarray:
    """Lower bound of W2^2 for all pairs from moment embeddings, (N, M).

    ``sum_a (m_a - m'_a)^2 + (s_a - s'_a)^2`` (see the module docstring). A
    relative 1e-9 and absolute 1e-12 margin is subtracted so that rounding in
    the BLAS expansion can never lift it above the exact value.
    """
    d2 = (za * za).sum(1)[:, None] - 2.0 * za @ zb.T + (zb * zb).sum(1)[None, :]
    scale = (za * za).sum(1)[:, None] + (zb * zb).sum(1)[None, :]
    return np.maximum(d2 - 1e-9 * scale - 1e-12, 0.0)


def min_w2(test: np.ndarray, refs: np.ndarray, space: str = "3d", weights=None,
           solver: str = "fast", n_jobs: int = 1, progress: bool = False,
           return_index: bool = False, batch: int = 256, compiled: bool = True,
           stats: dict | None = None):
    """Paper 1's anomaly score: min over reference events of W2(test, ref).

    Parameters
    ----------
    test : (N, 19, 4) events to score.
    refs : (M, 19, 4) SM reference events (paper: M = 1,000).
    space : a key of :data:`l1ot.ot.spaces.SPACES` ("3d", "2d" = paper 1, ...); weights : axis weights.
    solver : "fast" (assignment) or "pot" (``ot.emd2``); both exact.
    n_jobs : joblib processes; progress : tqdm bar.
    compiled : with ``solver="fast"``, search in :mod:`l1ot.ot.csolve` (cheap bound order,
        marginal bound, compiled exact solvers; the default); False runs the Python loop.
    stats : dict or None; the compiled search adds its counts of exact solves
        (``"solved"``) and of references skipped by the marginal bound (``"skipped"``).

    Returns
    -------
    score : float64 (N,) minimum W2 (ground units); with ``return_index`` also
    the int64 (N,) index of the nearest reference (lowest index on ties).
    """
    xt = coordinates(test, space, weights)
    xr = coordinates(refs, space, weights)
    chunks = [np.arange(i, min(i + batch, xt.shape[0])) for i in range(0, xt.shape[0], batch)]
    uniform = is_uniform(space)
    if solver == "fast" and compiled and csolve.lib():
        res = _min_w2_c(xt, test, xr, refs, space, chunks, n_jobs, progress)
        score = np.empty(xt.shape[0])
        index = np.empty(xt.shape[0], dtype=np.int64)
        for idx, b, a, st in res:
            score[idx], index[idx] = b, a
            if stats is not None:
                stats["solved"] = stats.get("solved", 0) + int(st[0])
                stats["skipped"] = stats.get("skipped", 0) + int(st[1]) + int(st[2])
        score = np.sqrt(np.maximum(score, 0.0))
        return (score, index) if return_index else score
    if uniform:
        def pair(i, j):
            return w2_squared_points(xt[i], xr[j], solver)
    else:
        mt, mr = masses(test, space), masses(refs, space)
        zt, zr = moment_embedding(xt, mt), moment_embedding(xr, mr)

        def pair(i, j):
            return w2_squared_weighted(xt[i], mt[i], xr[j], mr[j], solver)

    def work(idx):
        lb = marginal_lower_bound(xt[idx], xr) if uniform else moment_lower_bound(zt[idx], zr)
        best = np.full(idx.size, np.inf)
        arg = np.zeros(idx.size, dtype=np.int64)
        for k, i in enumerate(idx):
            order = np.argsort(lb[k], kind="stable")
            b, a = np.inf, -1
            for j in order:
                if lb[k, j] > b * (1 + 1e-12) + 1e-12:
                    break
                d = pair(i, j)
                if d < b or (d == b and j < a):
                    b, a = d, j
            best[k], arg[k] = b, a
        return idx, best, arg

    res = _run_parallel(work, chunks, n_jobs, progress, f"min W2 ({space})")
    score = np.empty(xt.shape[0])
    index = np.empty(xt.shape[0], dtype=np.int64)
    for idx, b, a in res:
        score[idx], index[idx] = b, a
    score = np.sqrt(np.maximum(score, 0.0))
    return (score, index) if return_index else score


#: bins per axis of the quantile embeddings of the compiled min-W2 search: the coarse one
#: orders the references, the fine one skips those that cannot win
ORDER_BINS = 4
QUANTILE_BINS = 16


def quantile_embedding(x: np.ndarray, m: np.ndarray, n_bins: int = QUANTILE_BINS) -> np.ndarray:
    """Per-axis quantile-function embedding whose squared distance lower-bounds W2^2.

    x : (N, 19, d) coordinates, m : (N, 19) masses (each event sums to 1).
    Returns float64 (N, d * (n_bins + 1)).

    The 1D W2 between marginals is the L2 distance of their quantile functions
    Q on [0, 1]. With P the L2 projection onto functions constant on
    ``n_bins`` equal bins, ``|Q - Q'|^2 = |PQ - PQ'|^2 + |(1-P)(Q - Q')|^2
    >= |PQ - PQ'|^2 + (|(1-P)Q| - |(1-P)Q'|)^2`` (reverse triangle
    inequality). The embedding holds per axis the bin means of Q times
    ``1/sqrt(n_bins)`` and ``|(1-P)Q|``, so the squared Euclidean distance of
    two embeddings is at most the sum over axes of the 1D W2^2, itself at most
    W2^2. ``n_bins = 1`` gives :func:`moment_embedding` (mean, standard deviation).
    """
    o = np.argsort(x, axis=1, kind="stable")
    xs = np.take_along_axis(x, o, axis=1)
    ws = np.take_along_axis(np.broadcast_to(m[..., None], x.shape), o, axis=1)
    f = np.cumsum(ws, axis=1) - ws                                   # mass below each point
    t = np.linspace(0.0, 1.0, n_bins + 1)
    # integral of Q from 0 to t: sum_k x_k * clip(t - F_k, 0, w_k), (N, d, n_bins + 1)
    g = np.einsum("nsd,nsdt->ndt", xs, np.clip(t - f[..., None], 0.0, ws[..., None]))
    q = np.diff(g, axis=2) * np.sqrt(n_bins)
    r = np.einsum("nsd,nsd->nd", ws, xs * xs) - np.einsum("ndt,ndt->nd", q, q)
    return np.concatenate([q.reshape(x.shape[0], -1), np.sqrt(np.maximum(r, 0.0))], axis=1)


def _min_w2_c(xt, test, xr, refs, space, chunks, n_jobs, progress):
    """Compiled min-W2 search (:mod:`l1ot.ot.csolve` ``min_search``); [(idx, best W2^2, arg, counts)].

    Bounds: references are visited by a coarse quantile embedding (:data:`ORDER_BINS` bins per
    axis); each is then skipped if a finer bound exceeds the best distance so far: the exact 1D
    marginals (:func:`marginal_lower_bound`) for uniform clouds, the :data:`QUANTILE_BINS`-bin
    quantile embedding and the marginals along two orthonormal bases
    (:func:`l1ot.ot.csolve.bases`) for pT-weighted ones.
    """
    uniform = is_uniform(space)
    pt, pr = _pack(xt, test, space), _pack(xr, refs, space)
    d = xt.shape[2]
    mt, mr = masses(test, space), masses(refs, space)
    z1t, z1r = quantile_embedding(xt, mt, ORDER_BINS), quantile_embedding(xr, mr, ORDER_BINS)
    if uniform:
        nb = 0
        jt = jq = jr = jrq = np.zeros((1, 1, 1))
        z2t, z2r, s2 = sorted_marginals(xt), sorted_marginals(xr), 1.0 / xt.shape[1]
    else:
        basis = csolve.bases(d)
        nb = basis.shape[0]
        jt, jq = csolve.projections(pt["x"], pt["m"], pt["c"], basis)
        jr, jrq = csolve.projections(pr["x"], pr["m"], pr["c"], basis)
        z2t, z2r, s2 = quantile_embedding(xt, mt), quantile_embedding(xr, mr), 1.0
    csolve.lib()

    def work(idx):
        L = csolve.lib()
        m = xr.shape[0]
        lbw, heap = np.empty(m), np.empty(m, dtype=np.int64)   # workspace of the C search
        a = _take(pt, idx)
        best = np.empty(idx.size)
        arg = np.empty(idx.size, dtype=np.int64)
        stats = np.zeros(3, dtype=np.int64)
        sel = (lambda v: np.ascontiguousarray(v[idx])) if nb else (lambda v: v)
        L.min_search(int(not uniform), d, a["x"], a["m"], a["c"], idx.size,
                     pr["x"], pr["m"], pr["c"], m,
                     z1t.shape[1], 1.0, np.ascontiguousarray(z1t[idx]), z1r,
                     z2t.shape[1], s2, np.ascontiguousarray(z2t[idx]), np.ascontiguousarray(z2r),
                     nb, sel(jt), sel(jq), jr, jrq, lbw, heap, best, arg, stats)
        bad = np.nonzero(np.isnan(best))[0]
        for k in bad:  # pragma: no cover - iteration cap of the transport solver
            row = np.array([w2_squared_weighted(xt[idx[k]], masses(test[idx[k]], space), xr[j],
                                                masses(refs[j], space), "pot") for j in range(m)])
            best[k], arg[k] = row.min(), int(row.argmin())
        return idx, best, arg, stats

    return _run_parallel(work, chunks, n_jobs, progress, f"min W2 ({space})", prefer="threads")
