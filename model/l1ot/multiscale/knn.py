"""Exact kNN on single-scale event W2 without the full matrix (paper 2 §III at scale).

The classification of :mod:`.classify` needs, for each validation or test event
(the *query*), only its k nearest training events. This module finds them
exactly while solving the exact W2 of only a part of the pairs, by pruning with
**lower bounds** of W2^2 that are proven below the exact value, and an
**upper bound** from feasible plans.

Ground space (:mod:`.eventot` ``single_rows``): the (y, phi) cylinder, squared
cost ``dy^2 + wrap(dphi)^2``, event masses pT / sum pT (each event sums to 1).

Lower bounds (all of W2^2; ``tests/test_multiscale_knn.py`` checks each on
random and adversarial pairs):

* **1-Lipschitz maps.** If ``f`` maps the cylinder into R^m with
  ``|f(x) - f(x')| <= d(x, x')``, then ``W2(f#mu, f#nu) <= W2(mu, nu)`` (push the
  optimal plan forward). For an orthonormal basis ``u_1..u_m`` of R^m the pushed
  plan couples every projection, so ``W2^2(f#mu, f#nu) >= sum_k W2^2(u_k.f#mu,
  u_k.f#nu)``: a sum of 1D W2^2, each the L2 distance of quantile functions. The
  maps (:data:`MAPS`):

  - ``chord(psi)``: ``(y, cos(phi - psi), sin(phi - psi))``, since the chord
    ``2 |sin(t/2)| <= |wrap(t)|``;
  - ``fold(c)``: ``(y, |wrap(phi - c)|)``, the distance to a point of the circle
    is 1-Lipschitz on the circle.

  The bound is the y term plus the maximum of the azimuthal terms over the maps.
  The 1D W2^2 are themselves bounded from below by the quantile embedding
  (:func:`l1ot.ot.w2.quantile_embedding`: bin means of the quantile function and
  the norm of the rest), so a block of bounds is a few matrix products.
* **Centroid** (:func:`centroid_bound`): ``|E f(X) - E f(X')|^2`` for the chord map
  (Jensen); it is the one-bin case of the above, kept as its own function.
* **Pivots** (triangle inequality; W2 is a metric): with exact distances to
  pivot events p, ``W2(q, j) >= max_p |W2(q, p) - W2(p, j)|``, and the upper
  bound ``W2(q, j) <= min_p W2(q, p) + W2(p, j)`` is the cost bound of the glued
  plan q -> p -> j, a feasible plan.

* **Dual** (:func:`dual_bound`; weak LP duality): for any potential f on the
  points of q and its c-transform ``g = f^c`` on the points of nu,
  ``h = g^c >= f`` on q and ``h(x) + g(y) <= c(x, y)``, so every plan of (q, nu)
  costs at least ``<h, q> + <g, nu>``. The potentials are the optimal q-side
  duals of the pairs already solved (:func:`l1ot.multiscale.eventot.single_pair_duals`,
  the same solver call as the matrix entry): each event keeps those of its
  :data:`N_KEEP` nearest solved partners, and the search bounds the front of its
  queue lazily (:data:`DUAL_BLOCK` candidates at a time, with the query's
  :data:`DUAL_M` nearest potentials not yet applied to them) before solving.

Every bound is lowered by a relative 1e-9 and an absolute 1e-12 (upper bounds
raised) against rounding, so that the comparison with a computed exact value
can never prune a pair the brute force would keep; the dual bound also by
:data:`EPS_DUAL` (n_q + n_nu + 8) times its largest magnitude (cost, potentials),
which covers the rounding of its c-transforms and sums.

**Tie rule** (here and in :func:`knn_auc_brute`): training events are ranked by
(distance as stored in the matrix, ``sqrt(max(W2^2, 0))``; training index),
lowest first. The pruned search solves candidates in increasing bound order and
stops at the first bound above the k-th smallest solved W2^2, so the k nearest
are the brute-force ones, in the same order. The exact pair values come from
:func:`l1ot.multiscale.eventot.single_pair` (lower index first), the function the
full matrix uses, so solved values are bit-identical to the matrix entries.
"""
from __future__ import annotations

import time

import numpy as np

from ..ot.w2 import quantile_embedding
from .classify import K_GRID

#: azimuthal maps of the lower bound: ("chord", psi) or ("fold", c), radians
MAPS = (("chord", 0.0), ("chord", np.pi / 4), ("fold", 0.0), ("fold", np.pi / 2))
#: bins of the quantile embeddings
N_BINS = 32
#: number of pivot events (exact rows computed first)
N_PIVOTS = 8
REL, ABS = 1e-9, 1e-12
#: rounding margin of the dual bound per point and unit of the largest |cost| or |potential|
EPS_DUAL = 1e-14
#: potentials kept per event (of its nearest solved partners) for the dual bound
N_KEEP = 8
#: potentials (of the query's nearest solved partners) a candidate is bounded with
DUAL_M = 8
#: candidates per block of the lazy dual bounding
DUAL_BLOCK = 16


def _wrap(phi):
    return np.pi - np.mod(np.pi - np.asarray(phi, dtype=np.float64), 2.0 * np.pi)


def map_coords(x, kind: str, c: float):
    """Images (P, m) of cylinder points x (P, 2) (y, phi) under a 1-Lipschitz map of :data:`MAPS`,
    without the y column (common to all maps)."""
    phi = np.asarray(x, np.float64)[:, 1]
    if kind == "chord":
        return np.column_stack([np.cos(phi - c), np.sin(phi - c)])
    if kind == "fold":
        return np.abs(_wrap(phi - c))[:, None]
    raise ValueError(f"unknown map {kind!r}")


def _padded(data, cols):
    """(N, Pmax, len(cols)) coordinates and (N, Pmax) masses (0 on padding) of packed events."""
    off, w = data["off"], data["w"]
    n = len(off) - 1
    cnt = np.diff(off)
    pm = int(cnt.max()) if n else 0
    xs = np.zeros((n, pm, len(cols)))
    ms = np.zeros((n, pm))
    slot = np.arange(len(w)) - np.repeat(off[:-1], cnt)
    ev = np.repeat(np.arange(n), cnt)
    for k, col in enumerate(cols):
        xs[ev, slot, k] = col
    ms[ev, slot] = w / np.repeat(np.add.reduceat(w, off[:-1]) if n else w, cnt)
    return xs, ms


def embeddings(data, n_bins: int = N_BINS, maps=MAPS):
    """Quantile embeddings of packed events (:func:`l1ot.multiscale.eventot.pack_points`).

    Returns ``(zy (N, n_bins + 1), [z_map (N, m (n_bins + 1)) for each map])``: the squared
    Euclidean distance of ``zy`` rows plus that of any map's rows is a lower bound of W2^2.
    """
    x = data["x"]
    xs, ms = _padded(data, [x[:, 0]])
    zy = quantile_embedding(xs, ms, n_bins)
    zm = []
    for kind, c in maps:
        img = map_coords(x, kind, c)
        xs, ms = _padded(data, [img[:, k] for k in range(img.shape[1])])
        zm.append(quantile_embedding(xs, ms, n_bins))
    return zy, zm


def _sqdist(a, b):
    d = (a * a).sum(1)[:, None] - 2.0 * a @ b.T + (b * b).sum(1)[None, :]
    scale = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :]
    # the expansion loses up to ~1e-16 * scale: take that off too
    return np.maximum(d - 1e-12 * scale, 0.0)


def lower_bounds(emb, rows, cols):
    """Lower bounds of W2^2 (len(rows), len(cols)) from :func:`embeddings`, rounding margin applied."""
    zy, zm = emb
    lb = _sqdist(zy[rows], zy[cols]) + np.max([_sqdist(z[rows], z[cols]) for z in zm], axis=0)
    return np.maximum(lb * (1.0 - REL) - ABS, 0.0)


def centroid_bound(xa, wa, xb, wb) -> float:
    """|E f(X) - E f(X')|^2 <= W2^2 for the map (y, cos phi, sin phi); x (n, 2), w (n,) masses."""
    def mean(x, w):
        x = np.asarray(x, np.float64)
        w = np.asarray(w, np.float64) / np.sum(w)
        return np.array([w @ x[:, 0], w @ np.cos(x[:, 1]), w @ np.sin(x[:, 1])])
    d = mean(xa, wa) - mean(xb, wb)
    return float(d @ d)


def _segment_dual(C, f, w_q, w_seg, starts, cmax=None):
    """Guarded dual bounds for one potential: C (n_q, P) costs to the points of the candidates
    (segments at ``starts``), f (n_q,) the potential, w_q (n_q,) and w_seg (P,) masses; ``cmax``
    (B,) the largest cost of each segment (computed if None)."""
    with np.errstate(invalid="ignore", over="ignore"):   # non-finite potentials give NaN, caught below
        g = np.min(C - f[:, None], axis=0)                                     # f^c at every point, (P,)
        h = np.minimum.reduceat(C - g[None, :], starts, axis=1)                # f^cc per candidate, (n_q, B)
        val = w_q @ h + np.add.reduceat(w_seg * g, starts)
        cnt = np.diff(np.append(starts, C.shape[1]))
        if cmax is None:
            cmax = np.maximum.reduceat(C.max(axis=0), starts)
        # |h| <= max c + max |g|: the largest magnitude in the sums and differences
        scale = 2.0 * (cmax + np.maximum.reduceat(np.abs(g), starts)) + np.max(np.abs(f))
        margin = REL * np.abs(val) + ABS + EPS_DUAL * (len(f) + cnt + 8) * scale
        out = val - margin
    return np.where(out > 0.0, out, 0.0)              # NaN (a non-finite potential) -> no bound


def dual_bound(xq, wq, f, xn, wn) -> float:
    """Lower bound of W2^2(q, nu) from any potential f on the points of q (weak LP duality).

    xq (n_q, 2), xn (n_nu, 2): (y, phi) points; wq (n_q,), wn (n_nu,): masses (normalised here);
    f (n_q,): any potential on q's points, in squared rapidity-azimuth units (e.g. the optimal
    q-side potential of a solved pair (q, j'), :func:`l1ot.multiscale.eventot.single_pair_duals`).
    With the cost ``c`` of :func:`l1ot.multiscale.eventot.axis_cost`, ``g = f^c`` on nu
    (``g(y) = min_x c(x, y) - f(x)``) and ``h = g^c >= f`` on q, ``h(x) + g(y) <= c(x, y)``, so for
    every plan pi of (q, nu): ``sum pi c >= sum_x h q + sum_y g nu``. Returned lowered by
    :data:`REL`, :data:`ABS` and :data:`EPS_DUAL` (n_q + n_nu + 8) times the largest magnitude of
    c, f, g, h (the rounding of the c-transforms and of the two sums; the masses' sums differ from
    1 by rounding too). Tight (up to that margin) when f is optimal for (q, nu).
    """
    from .eventot import axis_cost

    wq = np.asarray(wq, np.float64) / np.sum(wq)
    wn = np.asarray(wn, np.float64) / np.sum(wn)
    C = axis_cost(xq, xn)
    return float(_segment_dual(C, np.asarray(f, np.float64), wq, wn, np.array([0]))[0])


def exact_1d_w2sq(xa, wa, xb, wb) -> float:
    """Exact 1D W2^2 between weighted point sets on the line (quantile functions); masses normalised."""
    xa, xb = np.asarray(xa, np.float64), np.asarray(xb, np.float64)
    wa = np.asarray(wa, np.float64) / np.sum(wa)
    wb = np.asarray(wb, np.float64) / np.sum(wb)
    oa, ob = np.argsort(xa, kind="stable"), np.argsort(xb, kind="stable")
    ca, cb = np.cumsum(wa[oa]), np.cumsum(wb[ob])
    t = np.unique(np.concatenate([[0.0], ca, cb]))
    t = t[t <= min(ca[-1], cb[-1])]
    mid = 0.5 * (t[:-1] + t[1:])
    ia = np.minimum(np.searchsorted(ca, mid), len(ca) - 1)
    ib = np.minimum(np.searchsorted(cb, mid), len(cb) - 1)
    return float(np.sum(np.diff(t) * (xa[oa][ia] - xb[ob][ib]) ** 2))


def map_bound(xa, wa, xb, wb, maps=MAPS) -> float:
    """The lower bound of :func:`lower_bounds` with exact 1D W2^2 (no binning), one pair."""
    y = exact_1d_w2sq(xa[:, 0], wa, xb[:, 0], wb)
    best = 0.0
    for kind, c in maps:
        fa, fb = map_coords(xa, kind, c), map_coords(xb, kind, c)
        best = max(best, sum(exact_1d_w2sq(fa[:, k], wa, fb[:, k], wb) for k in range(fa.shape[1])))
    return y + best


# -- ranking with the tie rule ------------------------------------------------------------------------
def rank(dist, idx):
    """Order of candidates by (distance, index): ``np.lexsort``, distance first."""
    return np.lexsort((np.asarray(idx), np.asarray(dist)))


def _scores(labels_sorted, ks):
    """Signal fraction among the first k of a sorted label row, for each k of ks."""
    c = np.cumsum(labels_sorted)
    return np.array([c[k - 1] / k for k in ks])


def _grid(n_train, k_grid):
    return [k for k in k_grid if k <= n_train] or [n_train]


def _fold_auc(score_rows_val, y_val, grid):
    from sklearn.metrics import roc_auc_score
    return [roc_auc_score(y_val, score_rows_val[:, g]) for g in range(len(grid))]


def knn_auc_brute(d, y, splits, k_grid=K_GRID) -> dict:
    """Reference: the kNN of :func:`l1ot.multiscale.classify.knn_auc` on a full matrix ``d`` (N, N)
    with the tie rule of this module. Also returns the neighbour lists (``"neighbours"``: per fold,
    {query: training indices, nearest first} for the validation (largest k) and test (chosen k) rows)."""
    from sklearn.metrics import roc_auc_score

    d = np.asarray(d, np.float64)
    y = np.asarray(y)
    aucs, ks, vals, neigh = [], [], [], []
    for tr, va, te in splits:
        grid = _grid(len(tr), k_grid)
        nb = {}
        sv = np.empty((len(va), len(grid)))
        for r, q in enumerate(va):
            o = tr[rank(d[q, tr], tr)][:grid[-1]]
            nb[("val", int(q))] = o
            sv[r] = _scores(y[o], grid)
        val = _fold_auc(sv, y[va], grid)
        g = int(np.argmax(val))
        k = grid[g]
        st = np.empty(len(te))
        for r, q in enumerate(te):
            o = tr[rank(d[q, tr], tr)][:k]
            nb[("test", int(q))] = o
            st[r] = y[o].sum() / k
        ks.append(int(k))
        vals.append(float(val[g]))
        aucs.append(float(roc_auc_score(y[te], st)))
        neigh.append(nb)
    return {"auc": float(np.mean(aucs)), "std": float(np.std(aucs)), "aucs": aucs, "k": ks,
            "val_auc": float(np.mean(vals)), "neighbours": neigh}


class PrunedSearch:
    """Exact k-nearest training events of query events under single-scale W2, solving few pairs.

    ``data``: packed events (:func:`l1ot.multiscale.eventot.pack_points`). Exact values are cached
    (a dict keyed by the pair, lower index first) and shared by every fold and query of this object.
    ``emb`` (from :func:`embeddings`) and ``pivots`` / ``pivot_rows`` ((P,) event indices and their
    (P, N) squared distances to every event) may be given precomputed (the engine path of
    :func:`knn_auc_pruned`); otherwise they are computed here.

    ``use_dual``: every exact solve also returns its dual potentials
    (:func:`l1ot.multiscale.eventot.single_pair_duals`, the same value); each event keeps those of
    its ``n_keep`` nearest solved partners. Before a candidate is solved, the front of the queue is
    raised to its :func:`dual_bound` (batched) with the query's ``dual_m`` nearest potentials not
    yet applied to it, and the queue re-sorted.
    """

    def __init__(self, data, n_pivots: int = N_PIVOTS, n_bins: int = N_BINS, maps=MAPS, seed: int = 0,
                 use_pivots: bool = True, use_upper: bool = True, emb=None, pivots=None, pivot_rows=None,
                 use_dual: bool = True, n_keep: int = N_KEEP, dual_m: int = DUAL_M):
        from .eventot import single_pair, single_pair_duals

        self.data = data
        self.n = len(data["off"]) - 1
        self._pair = single_pair
        self._pair_duals = single_pair_duals
        self.use_dual, self.n_keep, self.dual_m = use_dual, n_keep, dual_m
        self.pots = {}                       # event -> [(W2^2, partner, potential on the event's points)]
        self.cache = {}
        self.stats = {"solved": 0, "pivot_solved": 0, "bound_s": 0.0, "solve_s": 0.0, "pivot_s": 0.0,
                      "queries": 0, "candidates_after_upper": 0, "train_seen": 0, "dual_s": 0.0,
                      "dual_bounds": 0}
        t = time.perf_counter()
        self.emb = embeddings(data, n_bins, maps) if emb is None else emb
        self.stats["bound_s"] += time.perf_counter() - t
        self.use_upper = use_upper
        if pivots is None:
            pivots = choose_pivots(self.n, n_pivots if use_pivots else 0, seed)
        self.pivots = np.asarray(pivots, dtype=np.int64)
        t = time.perf_counter()
        if pivot_rows is None:
            pivot_rows = np.array([[self._solve(p, j, pivot=True) for j in range(self.n)] for p in self.pivots])
        self.piv = np.asarray(pivot_rows, np.float64).reshape(len(self.pivots), self.n)
        self.stats["pivot_s"] = time.perf_counter() - t

    def _solve(self, i, j, pivot=False):
        if i == j:
            return 0.0
        a, b = (i, j) if i < j else (j, i)
        v = self.cache.get((a, b))
        if v is not None:
            return v
        t = time.perf_counter()
        if self.use_dual:
            v, fa, fb = self._pair_duals(self.data, a, b)
            v = max(v, 0.0)
            self._keep(a, v, b, fa)
            self._keep(b, v, a, fb)
        else:
            v = max(self._pair(self.data, a, b), 0.0)
        self.stats["solve_s"] += time.perf_counter() - t
        self.stats["pivot_solved" if pivot else "solved"] += 1
        self.cache[(a, b)] = v
        return v

    def _keep(self, e, v, partner, f):
        """Keep the potential f of event e from its pair with ``partner`` if among its n_keep nearest."""
        lst = self.pots.setdefault(e, [])
        f = np.asarray(f, np.float64)
        lst.append((v, partner, f - f.max()))   # any constant shift is a potential too: keep |f| small
        if len(lst) > self.n_keep:
            lst.sort(key=lambda t: (t[0], t[1]))
            del lst[self.n_keep:]

    def dual_bounds(self, q, cols, fs):
        """Max over potentials fs [(n_q,)] of the guarded dual bounds of q against events cols: (C,)."""
        t = time.perf_counter()
        off, x, w = self.data["off"], self.data["x"], self.data["w"]
        xq, wq = x[off[q]:off[q + 1]], w[off[q]:off[q + 1]]
        out = np.zeros(len(cols))
        from .eventot import axis_cost
        for b in range(0, len(cols), DUAL_BLOCK):
            blk = np.asarray(cols[b:b + DUAL_BLOCK])
            idx = np.concatenate([np.arange(off[j], off[j + 1]) for j in blk])
            starts = np.concatenate([[0], np.cumsum(off[blk + 1] - off[blk])[:-1]])
            C = axis_cost(xq, x[idx])
            cmax = np.maximum.reduceat(C.max(axis=0), starts)
            for f in fs:
                out[b:b + len(blk)] = np.maximum(out[b:b + len(blk)],
                                                 _segment_dual(C, f, wq, w[idx], starts, cmax))
        self.stats["dual_bounds"] += len(cols) * len(fs)
        self.stats["dual_s"] += time.perf_counter() - t
        return out

    def _known(self, q, cols):
        kn = np.full(len(cols), np.nan)
        for c, j in enumerate(cols):
            j = int(j)
            v = 0.0 if j == q else self.cache.get((q, j) if q < j else (j, q))
            if v is not None:
                kn[c] = v
        pi = np.nonzero(self.pivots == q)[0]
        if len(pi):
            kn = self.piv[pi[0], cols].copy()
        hit = np.isin(cols, self.pivots)
        if hit.any():
            where = {int(p): r for r, p in enumerate(self.pivots)}
            kn[hit] = [self.piv[where[int(j)], q] for j in np.asarray(cols)[hit]]
        return kn

    def bounds(self, q, cols):
        """(lower, upper) bounds of W2^2 of query q against training events cols (exact where known)."""
        t = time.perf_counter()
        cols = np.asarray(cols)
        lo = lower_bounds(self.emb, np.array([q]), cols)[0]
        up = np.full(len(cols), np.inf)
        if len(self.pivots):
            dq = np.sqrt(self.piv[:, q])                                   # (P,)
            dp = np.sqrt(self.piv[:, cols])                                # (P, C)
            tri = np.max(np.abs(dq[:, None] - dp), axis=0) ** 2
            lo = np.maximum(lo, np.maximum(tri * (1.0 - REL) - ABS, 0.0))
            up = np.min(dq[:, None] + dp, axis=0) ** 2 * (1.0 + REL) + ABS
        kn = self._known(q, cols)
        ok = ~np.isnan(kn)
        lo[ok] = kn[ok]
        up[ok] = kn[ok]
        self._known_ok = ok
        self.stats["bound_s"] += time.perf_counter() - t
        return lo, up

    def nearest(self, q, train, k):
        """The k nearest of ``train`` (sorted int array) to event q by (distance, index): int array."""
        self.stats["queries"] += 1
        train = np.asarray(train)
        k = min(k, len(train))
        lo, up = self.bounds(q, train)
        if self.use_upper and k > 0:
            tau = np.partition(up, k - 1)[k - 1]       # k events are certainly within tau
            cand = np.nonzero(lo <= tau)[0]
        else:
            cand = np.arange(len(train))
        self.stats["candidates_after_upper"] += len(cand)
        kn_ok = self._known_ok
        order = cand[rank(lo[cand], train[cand])]
        applied = {}                                      # candidate position -> partners applied
        sol_d, sol_i = [], []
        kth = np.inf                                      # k-th smallest solved W2^2
        pos = 0
        while pos < len(order):
            c = order[pos]
            if len(sol_d) >= k and lo[c] > kth:
                break
            # (when no more than the missing neighbours remain, every one is solved: no bound helps)
            if self.use_dual and not kn_ok[c] and len(order) - pos > k - len(sol_d):
                near = [t for t in sorted(self.pots.get(q, []), key=lambda t: (t[0], t[1]))][:self.dual_m]
                if any(t[1] not in applied.get(c, ()) for t in near):
                    # lazy: bound the front of the queue (candidates that would be solved next)
                    blk = order[pos:pos + DUAL_BLOCK]
                    blk = blk[(lo[blk] <= kth) & ~kn_ok[blk]]
                    for part in {tuple(t[1] for t in near if t[1] not in applied.get(b_, ())) for b_ in blk}:
                        sel = np.array([b_ for b_ in blk if tuple(t[1] for t in near
                                                                   if t[1] not in applied.get(b_, ())) == part])
                        if not part or not len(sel):
                            continue
                        fs = [t[2] for t in near if t[1] in part]
                        lo[sel] = np.maximum(lo[sel], self.dual_bounds(q, train[sel], fs))
                        for b_ in sel:
                            applied[b_] = applied.get(b_, ()) + part
                    rest = order[pos:]
                    order = np.concatenate([order[:pos], rest[rank(lo[rest], train[rest])]])
                    continue
            j = int(train[c])
            v = self._solve(q, j)
            sol_d.append(v)
            sol_i.append(j)
            pos += 1
            if len(sol_d) >= k:
                kth = np.partition(np.asarray(sol_d), k - 1)[k - 1]
            self.stats["train_seen"] += 1
        sol_d, sol_i = np.asarray(sol_d), np.asarray(sol_i, dtype=np.int64)
        dist = np.sqrt(sol_d)                              # the matrix entries
        return sol_i[rank(dist, sol_i)][:k]


def choose_pivots(n: int, n_pivots: int, seed: int = 0):
    """Pivot events: ``n_pivots`` distinct indices of 0..n-1 (seeded), sorted."""
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=min(n_pivots, n), replace=False)).astype(np.int64)


def _pivot_task(data, pivots):
    """Engine task: squared W2 of each pivot to every event, (len(pivots), N)."""
    from .eventot import single_pair

    n = len(data["off"]) - 1
    out = np.zeros((len(pivots), n))
    for r, p in enumerate(pivots):
        for j in range(n):
            if j != p:
                out[r, j] = max(single_pair(data, min(p, j), max(p, j)), 0.0)
    return out


def _query_task(data, emb, pivots, pivot_rows, queries, use_upper, use_dual=True):
    """Engine task: nearest lists of ``queries`` [(q, train, k)], and the search counts."""
    s = PrunedSearch(data, emb=emb, pivots=pivots, pivot_rows=pivot_rows, use_upper=use_upper, use_dual=use_dual)
    return [s.nearest(q, tr, k) for q, tr, k in queries], s.stats


def _nearest_all(s, queries, engine, n_tasks, stats):
    """Nearest lists of [(q, train, k)]: in ``s`` (this process) or split over the engine's tasks."""
    if engine is None or not getattr(engine, "distributed", False):
        return [s.nearest(q, tr, k) for q, tr, k in queries]
    parts = [queries[i::n_tasks] for i in range(min(n_tasks, len(queries)))]
    tasks = [(s.data, s.emb, s.pivots, s.piv, p, s.use_upper, s.use_dual) for p in parts]
    out = [None] * len(queries)
    for i, (res, st) in enumerate(engine.map(_query_task, tasks, desc="pruned kNN", unit="queries",
                                             weights=[len(p) for p in parts])):
        for r, o in enumerate(res):
            out[i + r * len(parts)] = o
        for key in ("solved", "solve_s", "bound_s", "queries", "candidates_after_upper", "train_seen", "dual_s",
                    "dual_bounds"):
            stats[key] = stats.get(key, 0) + st[key]
    return out


def knn_auc_pruned(data, y, splits, k_grid=K_GRID, search: PrunedSearch | None = None, engine=None,
                   n_tasks: int = 16, **kw) -> dict:
    """:func:`knn_auc_brute` without the full matrix: same neighbours, same AUC (module docstring).

    Validation rows need their largest-k neighbours (every k of the grid is scored), test rows only
    the k chosen on validation. ``search`` reuses the exact pairs of an earlier call (another scheme
    must not share it). With a distributed ``engine`` (:class:`l1ot.engine.Engine`) the pivot rows
    and the queries are split into ``n_tasks`` tasks (each task keeps its own pair cache). Returns
    the dict of :func:`knn_auc_brute` plus ``"stats"``.
    """
    from sklearn.metrics import roc_auc_score

    y = np.asarray(y)
    extra = {}
    if search is None and engine is not None and getattr(engine, "distributed", False):
        n = len(data["off"]) - 1
        t = time.perf_counter()
        pivots = choose_pivots(n, kw.get("n_pivots", N_PIVOTS) if kw.get("use_pivots", True) else 0,
                               kw.get("seed", 0))
        sets = [pivots[i::n_tasks] for i in range(min(n_tasks, len(pivots)))]
        rows = list(engine.map(_pivot_task, [(data, p) for p in sets], desc="pivot rows", unit="rows"))
        piv = np.zeros((len(pivots), n))
        for i, r in enumerate(rows):
            piv[i::len(sets)] = r
        s = PrunedSearch(data, pivots=pivots, pivot_rows=piv, use_upper=kw.get("use_upper", True),
                         use_dual=kw.get("use_dual", True))
        s.stats["pivot_solved"] = len(pivots) * (n - 1)
        s.stats["pivot_s"] = time.perf_counter() - t
    else:
        s = search or PrunedSearch(data, **kw)
        engine = None
    val_q = []
    for f, (tr, va, te) in enumerate(splits):
        grid = _grid(len(tr), k_grid)
        val_q += [(int(q), np.sort(tr), grid[-1]) for q in va]
    val_nb = _nearest_all(s, val_q, engine, n_tasks, extra)
    aucs, ks, vals, neigh, test_q, at = [], [], [], [], [], 0
    for tr, va, te in splits:
        grid = _grid(len(tr), k_grid)
        nb = {}
        sv = np.empty((len(va), len(grid)))
        for r, q in enumerate(va):
            o = val_nb[at]
            at += 1
            nb[("val", int(q))] = o
            sv[r] = _scores(y[o], grid)
        val = _fold_auc(sv, y[va], grid)
        g = int(np.argmax(val))
        ks.append(int(grid[g]))
        vals.append(float(val[g]))
        neigh.append(nb)
        test_q += [(int(q), np.sort(tr), int(grid[g])) for q in te]
    test_nb = _nearest_all(s, test_q, engine, n_tasks, extra)
    at = 0
    for f, (tr, va, te) in enumerate(splits):
        k = ks[f]
        st = np.empty(len(te))
        for r, q in enumerate(te):
            o = test_nb[at]
            at += 1
            neigh[f][("test", int(q))] = o
            st[r] = y[o].sum() / k
        aucs.append(float(roc_auc_score(y[te], st)))
    n = s.n
    st = dict(s.stats)
    for key, v in extra.items():
        st[key] = st.get(key, 0) + v
    st["pairs_total"] = n * (n - 1) // 2
    st["solved_fraction"] = (st["solved"] + st["pivot_solved"]) / max(1, st["pairs_total"])
    return {"auc": float(np.mean(aucs)), "std": float(np.std(aucs)), "aucs": aucs, "k": ks,
            "val_auc": float(np.mean(vals)), "neighbours": neigh, "stats": st}
