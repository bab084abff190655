"""Compiled exact-OT kernels for events of at most 19 points (C, built once, loaded with ctypes).

Two exact solvers, both agreeing with POT's ``ot.emd2`` to float precision
(``tests/test_w2_csolve.py``):

* uniform masses (``"3d"``, ``"2d_uniform"``): 1/19 per slot with empty slots
  at the origin. An optimal plan is a permutation (:mod:`l1ot.ot.w2`), the
  origin copies are interchangeable, so the assignment is solved on the
  reduced ``min(na + nb, 19)`` square problem by a shortest-augmenting-path
  Hungarian algorithm (``w2sq``; moved here from :mod:`l1ot.ot.distcache`).
* pT-weighted masses (``"2d"``, paper 1's 2D OT; ``"2d_nomet"``): the
  transportation problem ``min sum_ij x_ij c_ij`` with row sums ``a``, column
  sums ``b``, ``x >= 0``, solved by successive shortest paths with node
  potentials (``transport``). Each source's supply is pushed along shortest
  paths of the residual bipartite graph (forward edges source -> sink at
  reduced cost ``c - u - v >= 0``, backward edges sink -> source on the
  pairs that carry flow, at reduced cost 0) found by a dense Dijkstra; each
  augmentation exhausts the source, fills a sink, or empties one backward
  edge. With exact arithmetic the flow is optimal when every supply is placed
  (the potentials certify it: complementary slackness holds on every edge).
  The cost is the primal ``sum x_ij c_ij``. It starts from a column
  reduction (each sink filled from its nearest source as far as that
  source's supply goes); one source or sink forces the plan, and two sources
  (or sinks) make it a fractional knapsack solved in closed form
  (``transport2``). An iteration cap guards against float cycling; a capped
  pair is reported as NaN and the caller solves it with POT (it does not
  occur on the test clouds).

Lower bounds used by the min-W2 search (all exact lower bounds of W2^2, see
``tests/test_w2_csolve.py``):

* embedding bounds (``ebound``): the squared Euclidean distance between two
  embeddings whose distance lower-bounds W2^2 (the quantile embeddings of
  :func:`l1ot.ot.w2.quantile_embedding`, the sorted coordinates of
  :func:`l1ot.ot.w2.sorted_marginals`), lowered by a relative 1e-9 and an
  absolute 1e-12 against rounding;
* 1D marginals along an orthonormal basis: the optimal plan is a coupling of
  every projected pair, so ``W2^2 >= sum_k W2^2(P_k mu, P_k nu)`` for any
  orthonormal directions ``P_k``; the 1D W2^2 between weighted point sets is
  the L2 distance of the quantile functions, a merge of the two sorted lists
  (``w2sq_1d``). The search takes the maximum over the given bases (the axes
  and the axes rotated by 45 degrees in 2D, :func:`bases`).

``min_search`` runs paper 1's min-W2 of a batch of test events: it computes a
coarse embedding bound to every reference, solves the reference of smallest
bound first, keeps in a binary heap (ordered by bound, then index: the order
of a stable argsort) only the references whose bound does not exceed that
distance, and pops them in order: it stops at the first bound above the best
distance found, skips a reference whose finer bounds (a second embedding, the
marginals) exceed it, and otherwise solves exactly; ties keep the lowest
reference index.

Without a C compiler :func:`lib` returns ``False`` and the callers use their
Python paths (POT / scipy).
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import subprocess
import sys
import tempfile

import numpy as np

from .spaces import N_SLOTS

C_SOURCE = r"""
#include <math.h>
#include <string.h>
#define NMAX 19

/* min-cost perfect matching of an n x n cost matrix (row-major), n <= NMAX;
   shortest augmenting paths with potentials (Hungarian / Jonker-Volgenant). */
static double assign(const double *c, int n) {
    double u[NMAX + 1], v[NMAX + 1], minv[NMAX + 1];
    int p[NMAX + 1], way[NMAX + 1];
    char used[NMAX + 1];
    int i, j;
    if (n == 0) return 0.0;
    for (j = 0; j <= n; j++) { u[j] = 0.0; v[j] = 0.0; p[j] = 0; way[j] = 0; }
    for (i = 1; i <= n; i++) {
        int j0 = 0;
        p[0] = i;
        for (j = 0; j <= n; j++) { minv[j] = INFINITY; used[j] = 0; }
        do {
            int i0 = p[j0], j1 = 0;
            double delta = INFINITY;
            used[j0] = 1;
            for (j = 1; j <= n; j++) {
                if (!used[j]) {
                    double cur = c[(i0 - 1) * n + (j - 1)] - u[i0] - v[j];
                    if (cur < minv[j]) { minv[j] = cur; way[j] = j0; }
                    if (minv[j] < delta) { delta = minv[j]; j1 = j; }
                }
            }
            for (j = 0; j <= n; j++) {
                if (used[j]) { u[p[j]] += delta; v[j] -= delta; }
                else minv[j] -= delta;
            }
            j0 = j1;
        } while (p[j0] != 0);
        do { int j1 = way[j0]; p[j0] = p[j1]; j0 = j1; } while (j0);
    }
    {
        double s = 0.0;
        for (j = 1; j <= n; j++) s += c[(p[j] - 1) * n + (j - 1)];
        return s;
    }
}

/* squared W2 between event a (na occupied points) and event b (nb occupied
   points), both with NMAX - n points at the origin; x arrays are (n, d). */
static double w2sq(const double *xa, int na, const double *xb, int nb, int d) {
    double c[NMAX * NMAX], na2[NMAX], nb2[NMAX];
    int m = na + nb < NMAX ? na + nb : NMAX;
    int i, j, k;
    for (i = 0; i < na; i++) { double s = 0; for (k = 0; k < d; k++) s += xa[i*d+k]*xa[i*d+k]; na2[i] = s; }
    for (j = 0; j < nb; j++) { double s = 0; for (k = 0; k < d; k++) s += xb[j*d+k]*xb[j*d+k]; nb2[j] = s; }
    for (i = 0; i < m; i++) {
        for (j = 0; j < m; j++) {
            double v;
            if (i < na && j < nb) {
                v = 0.0;
                for (k = 0; k < d; k++) { double t = xa[i*d+k] - xb[j*d+k]; v += t * t; }
            } else if (i < na) {
                v = na2[i];
            } else if (j < nb) {
                v = nb2[j];
            } else {
                v = 0.0;
            }
            c[i * m + j] = v;
        }
    }
    return assign(c, m) / NMAX;
}

/* all pairs: xa (NA, NMAX, d) compacted (occupied points first), ca (NA,) counts;
   out (NA, NB) squared W2. With sym != 0 (xb == xa) only j > i is computed. */
void w2sq_block(const double *xa, const int *ca, long NA, const double *xb, const int *cb,
                long NB, int d, int sym, double *out) {
    long i, j;
    for (i = 0; i < NA; i++) {
        const double *a = xa + i * NMAX * d;
        for (j = sym ? i + 1 : 0; j < NB; j++) {
            out[i * NB + j] = w2sq(a, ca[i], xb + j * NMAX * d, cb[j], d);
        }
    }
}

/* min-cost transport of supplies a (n) to demands b (m), sum a == sum b up to
   rounding, cost c (n x m, row-major), n, m <= NMAX: successive shortest paths
   with potentials u (sources), v (sinks); reduced cost c - u - v >= 0 on every
   forward edge and 0 on every edge carrying flow. Returns sum x c, or -1 when
   the iteration cap is hit. */
/* two sources (rows of c, stride m): sink j takes f_j from source 0 and b_j - f_j from
   source 1 with sum f_j = a0, 0 <= f_j <= b_j, so the cost sum b_j c1j + f_j (c0j - c1j)
   is a fractional knapsack: fill the sinks in increasing c0j - c1j. */
static double transport2(const double *c0, const double *c1, int stride, double a0,
                         const double *b, int m) {
    int ord[NMAX], j, k;
    double dj[NMAX], r = a0, cost = 0.0;
    for (j = 0; j < m; j++) {
        double d = c0[j * stride] - c1[j * stride];
        for (k = j; k > 0 && dj[k - 1] > d; k--) { dj[k] = dj[k - 1]; ord[k] = ord[k - 1]; }
        dj[k] = d; ord[k] = j;
    }
    for (k = 0; k < m; k++) {
        int t = ord[k];
        double f = r < b[t] ? r : b[t];
        if (f < 0.0) f = 0.0;
        cost += f * c0[t * stride] + (b[t] - f) * c1[t * stride];
        r -= f;
    }
    return cost;
}

static double transport(const double *c, const double *a, int n, const double *b, int m) {
    double x[NMAX * NMAX], sup[NMAX], dem[NMAX], u[NMAX], v[NMAX], dt[NMAX], ds[NMAX], key[NMAX];
    int pt[NMAX], ps[NMAX], ls[NMAX], lt[NMAX];
    char dns[NMAX], dnt[NMAX];
    int i, j, s, t, iter = 0, cap = 8 * (n + m) * (n + m) + 64;
    double cost = 0.0;
    if (n == 1 || m == 1) {                       /* a single source or sink: the plan is forced */
        if (n == 1) for (j = 0; j < m; j++) cost += b[j] * c[j];
        else for (i = 0; i < n; i++) cost += a[i] * c[i];
        return cost;
    }
    if (n == 2) return transport2(c, c + m, 1, a[0], b, m);
    if (m == 2) return transport2(c, c + 1, m, b[0], a, n);
    for (i = 0; i < n * m; i++) x[i] = 0.0;
    for (i = 0; i < n; i++) { sup[i] = a[i]; u[i] = 0.0; }
    /* column reduction: v_j = min_i c_ij (u = 0), then a greedy flow on the tight edges */
    for (j = 0; j < m; j++) {
        double mn = c[j];
        int im = 0;
        for (i = 1; i < n; i++) if (c[i * m + j] < mn) { mn = c[i * m + j]; im = i; }
        v[j] = mn;
        dem[j] = b[j];
        {
            double f = sup[im] < dem[j] ? sup[im] : dem[j];
            x[im * m + j] = f; sup[im] -= f; dem[j] -= f;
        }
    }
    for (i = 0; i < n; i++) {
        while (sup[i] > 0.0) {
            int tt = -1, nls = 0, nlt = 0;
            double D = 0.0, delta;
            if (++iter > cap) return -1.0;
            /* key: tentative distance of an unsettled sink, +inf once settled (dt keeps it);
               written with selects rather than branches (the comparisons are unpredictable) */
            for (t = 0; t < m; t++) { key[t] = c[i * m + t] - u[i] - v[t]; pt[t] = i; dnt[t] = 0; }
            for (s = 0; s < n; s++) dns[s] = 0;
            dns[i] = 1; ds[i] = 0.0; ls[nls++] = i;
            for (;;) {
                int tm = 0;
                double best = key[0];
                for (t = 1; t < m; t++) { int lt_ = key[t] < best; best = lt_ ? key[t] : best; tm = lt_ ? t : tm; }
                if (best == INFINITY) break;       /* every sink filled: rounding surplus */
                dt[tm] = best; key[tm] = INFINITY; dnt[tm] = 1;
                if (dem[tm] > 0.0) { tt = tm; D = best; break; }
                lt[nlt++] = tm;
                for (s = 0; s < n; s++) {
                    if (!dns[s] && x[s * m + tm] > 0.0) {
                        const double *cs = c + s * m;
                        double us = best - u[s];
                        dns[s] = 1; ds[s] = best; ps[s] = tm; ls[nls++] = s;
                        for (t = 0; t < m; t++) {
                            double nd = us + cs[t] - v[t];
                            int up = (nd < key[t]) & !dnt[t];
                            key[t] = up ? nd : key[t];
                            pt[t] = up ? s : pt[t];
                        }
                    }
                }
            }
            if (tt < 0) { sup[i] = 0.0; break; }
            /* bottleneck along i -> ... -> tt */
            delta = sup[i] < dem[tt] ? sup[i] : dem[tt];
            for (t = tt, s = pt[t]; s != i; t = ps[s], s = pt[t]) {
                double f = x[s * m + ps[s]];
                if (f < delta) delta = f;
            }
            for (t = tt, s = pt[t]; ; t = ps[s], s = pt[t]) {
                x[s * m + t] += delta;
                if (s == i) break;
                x[s * m + ps[s]] -= delta;
            }
            sup[i] -= delta;
            dem[tt] -= delta;
            /* potentials (Johnson, shifted by D): only the settled nodes move */
            for (j = 0; j < nls; j++) { s = ls[j]; u[s] += D - ds[s]; }
            for (j = 0; j < nlt; j++) { t = lt[j]; v[t] -= D - dt[t]; }
        }
    }
    for (i = 0; i < n * m; i++) cost += x[i] * c[i];
    return cost;
}

/* squared W2 between weighted clouds: xa (na, d) with masses wa > 0, xb (nb, d)
   with wb > 0; wb is rescaled to the sum of wa (as ot.emd2 does). */
static double w2sq_weighted(const double *xa, const double *wa, int na, const double *xb,
                            const double *wb, int nb, int d) {
    double c[NMAX * NMAX], bb[NMAX], sa = 0.0, sb = 0.0;
    int i, j, k;
    if (na == 0 || nb == 0) return 0.0;
    for (i = 0; i < na; i++) sa += wa[i];
    for (j = 0; j < nb; j++) sb += wb[j];
    for (j = 0; j < nb; j++) bb[j] = wb[j] * (sa / sb);
    for (i = 0; i < na; i++)
        for (j = 0; j < nb; j++) {
            double s = 0.0;
            for (k = 0; k < d; k++) { double t = xa[i*d+k] - xb[j*d+k]; s += t * t; }
            c[i * nb + j] = s;
        }
    return transport(c, wa, na, bb, nb);
}

/* all pairs of weighted clouds, compacted (positive masses first): xa (NA, NMAX, d),
   wa (NA, NMAX), ca (NA,); out (NA, NB) squared W2 (NaN where the solver gave up;
   the count is returned). With sym != 0 only j > i is computed. */
long w2sq_weighted_block(const double *xa, const double *wa, const int *ca, long NA,
                         const double *xb, const double *wb, const int *cb, long NB,
                         int d, int sym, double *out) {
    long i, j, bad = 0;
    for (i = 0; i < NA; i++) {
        for (j = sym ? i + 1 : 0; j < NB; j++) {
            double r = w2sq_weighted(xa + i * NMAX * d, wa + i * NMAX, ca[i],
                                     xb + j * NMAX * d, wb + j * NMAX, cb[j], d);
            if (r < 0.0) { r = NAN; bad++; }
            out[i * NB + j] = r;
        }
    }
    return bad;
}

/* exact 1D W2^2 between sorted weighted point sets (the quantile-function merge);
   masses of b are scaled by sb (to the total of a). */
static double w2sq_1d(const double *xa, const double *wa, int na, const double *xb,
                      const double *wb, int nb, double sb) {
    int i = 0, j = 0;
    double ra, rb, s = 0.0;
    if (na == 0 || nb == 0) return 0.0;
    ra = wa[0]; rb = wb[0] * sb;
    while (i < na && j < nb) {
        double t = xa[i] - xb[j];
        if (ra < rb) {
            s += ra * t * t; rb -= ra;
            if (++i < na) ra = wa[i];
        } else {
            s += rb * t * t; ra -= rb;
            if (++j < nb) rb = wb[j] * sb;
        }
    }
    return s;
}

/* marginal bound: max over nbasis bases of the sum over d directions of the 1D W2^2;
   pa (nbasis * d, NMAX) sorted projections with masses qa, count na; likewise b. */
static double marginal_bound(const double *pa, const double *qa, int na, const double *pb,
                             const double *qb, int nb, int nbasis, int d) {
    double best = 0.0, sa = 0.0, sbm = 0.0, sc;
    int k, l, i;
    if (na == 0 || nb == 0) return 0.0;
    for (i = 0; i < na; i++) sa += qa[i];
    for (i = 0; i < nb; i++) sbm += qb[i];
    sc = sa / sbm;
    for (k = 0; k < nbasis; k++) {
        double s = 0.0;
        for (l = 0; l < d; l++) {
            long o = (long)(k * d + l) * NMAX;
            s += w2sq_1d(pa + o, qa + o, na, pb + o, qb + o, nb, sc);
        }
        if (s > best) best = s;
    }
    return best;
}

/* all pairs of marginal bounds (tests and benchmarks); layout as min_search. */
void marginal_bound_block(const double *pa, const double *qa, const int *ca, long NA,
                          const double *pb, const double *qb, const int *cb, long NB,
                          int nbasis, int d, double *out) {
    long i, j, st = (long)nbasis * d * NMAX;
    for (i = 0; i < NA; i++)
        for (j = 0; j < NB; j++)
            out[i * NB + j] = marginal_bound(pa + i * st, qa + i * st, ca[i], pb + j * st, qb + j * st,
                                             cb[j], nbasis, d);
}

/* binary min-heap of reference indices keyed by (lb, index): the visiting order of
   a stable argsort, without sorting the references that are never visited */
static int hless(const double *lb, long a, long b) { return lb[a] < lb[b] || (lb[a] == lb[b] && a < b); }

static void hdown(long *h, long n, long k, const double *lb) {
    for (;;) {
        long l = 2 * k + 1, r = l + 1, m = k, tmp;
        if (l < n && hless(lb, h[l], h[m])) m = l;
        if (r < n && hless(lb, h[r], h[m])) m = r;
        if (m == k) return;
        tmp = h[k]; h[k] = h[m]; h[m] = tmp; k = m;
    }
}

/* squared Euclidean distance of two embeddings, lowered by a relative 1e-9 and an absolute
   1e-12 so that rounding can never lift an embedding bound above the exact W2^2 */
static double ebound(const double *a, const double *b, int e, double scale) {
    double s = 0.0;
    int k;
    for (k = 0; k < e; k++) { double t = a[k] - b[k]; s += t * t; }
    s = s * scale * (1.0 - 1e-9) - 1e-12;
    return s > 0.0 ? s : 0.0;
}

/* paper 1's min W2^2 for T test events over M references.
   weighted = 0: uniform clouds (xt (T, NMAX, d) compacted, ct counts; w* unused);
   weighted = 1: weighted clouds with masses wt, wr.
   Bounds, each a lower bound of W2^2: z1 (e1 values per event; squared distance times s1)
   orders the references (a heap on (bound, index): the order of a stable argsort; the
   reference of smallest bound is solved first and only those whose bound does not exceed
   its distance enter the heap);
   z2 (e2 values, times s2; e2 = 0: none) and, with nbasis > 0, the marginal bound from
   sorted projections pt/qt (T, nbasis*d, NMAX), pr/qr skip a reference that cannot win.
   Workspace: lbw (M doubles), heap (M longs).
   Out: best (T,) min W2^2 (NaN if the solver gave up on a needed pair), arg (T,) its
   reference (lowest index on ties); stats[0] exact solves, stats[1] marginal-bound skips,
   stats[2] z2-bound skips. */
void min_search(int weighted, int d,
                const double *xt, const double *wt, const int *ct, long T,
                const double *xr, const double *wr, const int *cr, long M,
                int e1, double s1, const double *zt1, const double *zr1,
                int e2, double s2, const double *zt2, const double *zr2,
                int nbasis, const double *pt, const double *qt, const double *pr, const double *qr,
                double *lbw, long *heap, double *best, long *arg, long *stats) {
    long t, k, n, st = (long)nbasis * d * NMAX;
    for (t = 0; t < T; t++) {
        double b = INFINITY, r, lim;
        long a = -1, k0 = 0;
        int fail = 0;
        if (M == 0) { best[t] = INFINITY; arg[t] = -1; continue; }
        /* bounds of every reference; the one of smallest bound (lowest index) is solved first,
           and only the references whose bound does not exceed its distance go into the heap */
        for (k = 0; k < M; k++) {
            lbw[k] = ebound(zt1 + t * e1, zr1 + k * e1, e1, s1);
            if (lbw[k] < lbw[k0]) k0 = k;
        }
        stats[0]++;
        r = weighted ? w2sq_weighted(xt + t * NMAX * d, wt + t * NMAX, ct[t],
                                     xr + k0 * NMAX * d, wr + k0 * NMAX, cr[k0], d)
                     : w2sq(xt + t * NMAX * d, ct[t], xr + k0 * NMAX * d, cr[k0], d);
        if (r < 0.0) fail = 1; else { b = r; a = k0; }
        lim = b * (1.0 + 1e-12) + 1e-12;
        for (n = 0, k = 0; k < M; k++) if (k != k0 && lbw[k] <= lim) heap[n++] = k;
        for (k = n / 2 - 1; k >= 0; k--) hdown(heap, n, k, lbw);
        while (n > 0) {
            long j = heap[0];
            lim = b * (1.0 + 1e-12) + 1e-12;
            heap[0] = heap[--n];
            hdown(heap, n, 0, lbw);
            if (lbw[j] > lim) break;
            if (b < INFINITY) {
                if (e2 > 0 && ebound(zt2 + t * e2, zr2 + j * e2, e2, s2) > lim) { stats[2]++; continue; }
                if (nbasis > 0 &&
                    marginal_bound(pt + t * st, qt + t * st, ct[t], pr + j * st, qr + j * st, cr[j],
                                   nbasis, d) > lim) { stats[1]++; continue; }
            }
            stats[0]++;
            if (weighted)
                r = w2sq_weighted(xt + t * NMAX * d, wt + t * NMAX, ct[t],
                                  xr + j * NMAX * d, wr + j * NMAX, cr[j], d);
            else
                r = w2sq(xt + t * NMAX * d, ct[t], xr + j * NMAX * d, cr[j], d);
            if (r < 0.0) { fail = 1; continue; }
            if (r < b || (r == b && j < a)) { b = r; a = j; }
        }
        best[t] = fail ? NAN : b;
        arg[t] = a;
    }
}
"""

_LIB = None
#: compiler flags, tried in order
_FLAGS = (("-O3", "-fno-tree-vectorize"), ("-O3",))


def lib():
    """The compiled kernels (ctypes CDLL), or ``False`` if no C compiler can build them.

    Built once per source version into ``$L1OT_CACHE_DIR`` (default
    ``<tmp>/l1ot-distcache``) with ``$CC`` (default ``cc``) at ``-O3 -fno-tree-vectorize``.
    """
    global _LIB
    if _LIB is not None:
        return _LIB
    tag = hashlib.sha256((C_SOURCE + repr(_FLAGS)).encode()).hexdigest()[:16]
    build = os.environ.get("L1OT_CACHE_DIR") or os.path.join(tempfile.gettempdir(), "l1ot-distcache")
    so = os.path.join(build, f"l1ot_ot_{tag}{'.dll' if sys.platform == 'win32' else '.so'}")
    try:
        if not os.path.exists(so):
            os.makedirs(build, exist_ok=True)
            src = os.path.join(build, f"l1ot_ot_{tag}.{os.getpid()}.c")
            with open(src, "w") as f:
                f.write(C_SOURCE)
            cc = os.environ.get("CC", "cc")
            tmp = so + f".{os.getpid()}.tmp"
            # loop vectorisation slows the tiny data-dependent loops of the solvers (measured:
            # transport 2.9M against 2.4M pairs/s); a compiler without the flag builds at -O3
            for flags in _FLAGS:
                r = subprocess.run([cc, *flags, "-shared", "-fPIC", "-o", tmp, src, "-lm"],
                                   capture_output=True, timeout=120)
                if r.returncode == 0:
                    break
            else:
                raise subprocess.CalledProcessError(r.returncode, cc, r.stdout, r.stderr)
            os.replace(tmp, so)
            os.unlink(src)
        L = ctypes.CDLL(so)
        dp = np.ctypeslib.ndpointer(dtype=np.float64, flags="C_CONTIGUOUS")
        ip = np.ctypeslib.ndpointer(dtype=np.int32, flags="C_CONTIGUOUS")
        lp = np.ctypeslib.ndpointer(dtype=np.int64, flags="C_CONTIGUOUS")
        cl, ci = ctypes.c_long, ctypes.c_int
        L.w2sq_block.argtypes = [dp, ip, cl, dp, ip, cl, ci, ci, dp]
        L.w2sq_block.restype = None
        L.w2sq_weighted_block.argtypes = [dp, dp, ip, cl, dp, dp, ip, cl, ci, ci, dp]
        L.w2sq_weighted_block.restype = cl
        L.marginal_bound_block.argtypes = [dp, dp, ip, cl, dp, dp, ip, cl, ci, ci, dp]
        L.marginal_bound_block.restype = None
        cd = ctypes.c_double
        L.min_search.argtypes = [ci, ci, dp, dp, ip, cl, dp, dp, ip, cl, ci, cd, dp, dp, ci, cd, dp, dp,
                                 ci, dp, dp, dp, dp, dp, lp, dp, lp, lp]
        L.min_search.restype = None
        _LIB = L
    except (OSError, subprocess.SubprocessError):
        _LIB = False
    return _LIB


# ---------------------------------------------------------------- packing (numpy side)
def compact_uniform(x: np.ndarray):
    """Move points off the origin to the front: (N, 19, d) -> (compacted float64, counts int32 (N,))."""
    occ = np.any(x != 0.0, axis=-1)
    order = np.argsort(~occ, axis=1, kind="stable")
    xc = np.ascontiguousarray(np.take_along_axis(x, order[..., None], axis=1), dtype=np.float64)
    return xc, occ.sum(axis=1).astype(np.int32)


def compact_weighted(x: np.ndarray, m: np.ndarray):
    """Move the points of positive mass to the front.

    x : (N, 19, d) coordinates, m : (N, 19) masses (>= 0).
    Returns (x (N, 19, d) float64, m (N, 19) float64 with zeros after the
    count, counts int32 (N,)).
    """
    occ = m > 0
    order = np.argsort(~occ, axis=1, kind="stable")
    xc = np.ascontiguousarray(np.take_along_axis(x, order[..., None], axis=1), dtype=np.float64)
    mc = np.ascontiguousarray(np.take_along_axis(np.where(occ, m, 0.0), order, axis=1), dtype=np.float64)
    return xc, mc, occ.sum(axis=1).astype(np.int32)


def bases(d: int) -> np.ndarray:
    """Orthonormal bases of the marginal bound, (n_basis, d, d): the axes, and in 2D also
    the axes rotated by 45 degrees."""
    out = [np.eye(d)]
    if d == 2:
        r = np.sqrt(0.5)
        out.append(np.array([[r, r], [r, -r]]))
    return np.stack(out)


def projections(xc: np.ndarray, mc: np.ndarray, counts: np.ndarray, basis: np.ndarray):
    """Sorted 1D projections of compacted clouds for the marginal bound.

    xc (N, 19, d), mc (N, 19), counts (N,) from :func:`compact_weighted` (or
    uniform masses 1/19 with :func:`compact_uniform`); basis (n_basis, d, d).
    Returns (p, q), each float64 (N, n_basis * d, 19): per direction the
    projections of the occupied points in increasing order (unoccupied slots
    at +inf after them) and their masses.
    """
    n = xc.shape[0]
    dirs = basis.reshape(-1, basis.shape[-1])                     # (n_basis*d, d)
    p = np.einsum("nsd,kd->nks", xc, dirs)                        # (N, K, 19)
    occ = np.arange(N_SLOTS)[None, :] < counts[:, None]
    p = np.where(occ[:, None, :], p, np.inf)
    o = np.argsort(p, axis=2, kind="stable")
    ps = np.ascontiguousarray(np.take_along_axis(p, o, axis=2))
    q = np.broadcast_to(np.where(occ, mc, 0.0)[:, None, :], (n, dirs.shape[0], N_SLOTS))
    qs = np.ascontiguousarray(np.take_along_axis(q, o, axis=2))
    return ps, qs


def marginal_bounds(pa, qa, ca, pb, qb, cb, n_basis: int, d: int) -> np.ndarray:
    """Marginal lower bound of W2^2 for all pairs (C), (NA, NB); inputs from :func:`projections`."""
    L = lib()
    out = np.zeros((pa.shape[0], pb.shape[0]))
    L.marginal_bound_block(pa, qa, ca, pa.shape[0], pb, qb, cb, pb.shape[0], int(n_basis), int(d), out)
    return out


def w2sq_weighted_matrix(xa: np.ndarray, ma: np.ndarray, xb: np.ndarray, mb: np.ndarray) -> np.ndarray:
    """Exact W2^2 for all pairs of weighted clouds (compiled transport solver), (NA, NB).

    xa (NA, 19, d) with masses ma (NA, 19) >= 0, xb (NB, 19, d), mb (NB, 19);
    zero-mass points are ignored and each ``mb`` row is rescaled to the sum of
    the ``ma`` row. A pair the solver gives up on is NaN (callers use POT).
    """
    a = compact_weighted(np.asarray(xa, np.float64), np.asarray(ma, np.float64))
    b = compact_weighted(np.asarray(xb, np.float64), np.asarray(mb, np.float64))
    out = np.zeros((a[0].shape[0], b[0].shape[0]))
    lib().w2sq_weighted_block(*a, a[0].shape[0], *b, b[0].shape[0], a[0].shape[2], 0, out)
    return out


def w2sq_uniform_matrix(xa: np.ndarray, xb: np.ndarray) -> np.ndarray:
    """Exact W2^2 for all pairs of uniform 19-point clouds (1/19 each, empty slots at the origin),
    compiled reduced assignment, (NA, NB)."""
    a = compact_uniform(np.asarray(xa, np.float64))
    b = compact_uniform(np.asarray(xb, np.float64))
    out = np.zeros((a[0].shape[0], b[0].shape[0]))
    lib().w2sq_block(a[0], a[1], a[0].shape[0], b[0], b[1], b[0].shape[0], a[0].shape[2], 0, out)
    return out
