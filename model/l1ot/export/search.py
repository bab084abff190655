"""Number-theoretic searches for inputs at the kernel's boundaries.

Each search works in the working space (``D_m = |x - rom_m|^2`` is quadratic in x,
``D_a - D_b`` linear), solves exactly in integers, maps back to raw words
(:func:`l1ot.export.vectors.words_from_x`) and checks the candidate with
:func:`l1ot.kernel.fixed.run`:

* :func:`find_medoid_tie`, :func:`find_argmin_tie` (with :func:`tie_lp`,
  :func:`tie_groups`): two or three medoids at exactly equal minimal distance;
* :func:`find_dmin_window`, :func:`find_dmin_window_scan`: the minimal distance in a
  given window (a score step);
* :func:`max_distance_inputs`: the largest distance any input reaches per medoid.
"""
from __future__ import annotations

import math

import numpy as np

from ..kernel import fixed
from .vectors import dmin_of, inverse_maps, kernel_distances, words_from_x, x_bounds


def find_medoid_tie(cfg, rom, rng, max_pairs=200, tries=400, skip=()):
    """Construct an input whose two nearest medoids are at exactly equal distance.

    Works in the working space: start from the midpoint of two close medoids
    (sorted order is preserved; pT snapped to reachable values when the pT LSB
    is coarser than the working LSB), then move angle coordinates (which do not
    change the pT order), greedily and then exactly, until ``D_a == D_b``;
    ``D_a - D_b`` is linear in x.

    Returns (words (n_obj,), a, b) with a < b, or None.
    """
    rom = np.asarray(rom, dtype=np.int64)
    K = rom.shape[0]
    if K < 2:
        return None
    inv = inverse_maps(cfg)
    R = rom.reshape(K, -1)
    dd = ((R[:, None, :] - R[None, :, :]) ** 2).sum(-1)
    pairs = [(int(dd[a, b]), a, b) for a in range(K) for b in range(a + 1, K)]
    pairs.sort()
    lo = np.array([cfg.x_range[a][0] for a in fixed.AXES])
    hi = np.array([cfg.x_range[a][1] for a in fixed.AXES])
    pt_ok = np.array(sorted(inv["pt"]), dtype=np.int64)
    for _, a, b in [p for p in pairs if (p[1], p[2]) not in set(skip)][:max_pairs]:
        g = rom[b] - rom[a]                       # D_a - D_b = 2 x.g + |a|^2 - |b|^2
        rhs = int((rom[b] ** 2).sum() - (rom[a] ** 2).sum())
        if rhs % 2:
            continue
        x0 = (rom[a] + rom[b]) // 2
        if any(v not in inv["pt"] for v in x0[:, 0].tolist()):
            # coarse pT LSB: snap to the nearest reachable working value (monotonic, so the
            # descending order is kept); the angles absorb the imbalance below
            x0[:, 0] = pt_ok[np.abs(pt_ok[None, :] - x0[:, :1]).argmin(axis=1)]
        ang = [(i, c) for i in range(cfg.n_obj) for c in (1, 2) if g[i, c] != 0]
        if not ang:
            continue
        for _ in range(tries):
            x = x0.copy()
            for i, c in [ang[j] for j in rng.integers(0, len(ang), size=3)]:
                x[i, c] = np.clip(x[i, c] + rng.integers(-3, 4), lo[c], hi[c])
            r = rhs // 2 - int((x * g).sum())
            for j in rng.permutation(len(ang))[:-1]:  # greedy: shrink the residual
                i, c = ang[j]
                step = int(np.clip(round(r / int(g[i, c])), lo[c] - x[i, c], hi[c] - x[i, c]))
                x[i, c] += step
                r -= step * int(g[i, c])
            i, c = ang[int(rng.integers(0, len(ang)))]
            if r % int(g[i, c]):
                continue
            x[i, c] += r // int(g[i, c])
            if not lo[c] <= x[i, c] <= hi[c]:
                continue
            d = ((rom - x[None]) ** 2).sum(axis=(1, 2))
            if not d[a] == d[b] == d.min():
                continue
            w = words_from_x(x, cfg, inv)
            if w is None:
                continue
            res = fixed.run(w[None], rom, None, cfg, stages=True)
            d = res.stages["d"][0]
            if d[a] == d[b] == d.min() and int(res.idx[0]) == a:
                return w, a, b
    return None

def find_dmin_window(cfg, rom, d_lo, d_hi, rng, targets, inv=None, tries=60):
    """Inputs whose minimal squared distance ``D_min`` is in ``[d_lo, d_hi]`` (one per target).

    Solves in the working space: start from a ROM row (``D = 0`` to that medoid),
    raise the pT of a prefix of sorted positions to one reachable value ``v``
    (keeps the descending order) so that the pT part of ``D`` is just below the
    target, and put the remainder on the angle coordinates as a sum of squares
    (angles do not change the order), moving away from the other medoids. Every
    candidate is run through :func:`l1ot.kernel.fixed.run` and kept only if its
    ``D_min`` is the target.

    Parameters
    ----------
    d_lo, d_hi : int, the window of D (e.g. ``[s << score_shift, ((s + 1) << score_shift) - 1]``)
    targets : list of int, the D values wanted (each in the window); one vector per target at most

    Returns
    -------
    list of words (n_obj,) uint64
    """
    rom = np.asarray(rom, dtype=np.int64)
    inv = inv or inverse_maps(cfg)
    K, n = rom.shape[0], cfg.n_obj
    lo, hi = x_bounds(cfg)
    pt_ok = np.array(sorted(inv["pt"]), dtype=np.int64)
    order = np.argsort(-rom[:, 0, 0], kind="stable")  # largest leading pT first: raising it moves away
    out = []
    for target in targets:
        for t in range(tries):
            m = int(order[(t // 3) % K])  # three tries per medoid, largest leading pT first
            x0 = rom[m].copy()
            pts = x0[:, 0]
            vs = pt_ok[pt_ok >= pts[0]]
            # pT part of D for a prefix of p positions raised to v: sum_{i<p} (v - pts_i)^2
            cs = np.cumsum((vs[:, None] - pts[None, :]) ** 2, axis=1)  # (n_v, n): prefix p = col + 1
            others = np.delete(rom, m, axis=0) if K > 1 else rom
            away = np.sign(x0[:, 1:] - others[:, :, 1:].mean(axis=0)).astype(np.int64)
            room = np.where(away >= 0, hi[1:] - x0[:, 1:], x0[:, 1:] - lo[1:])
            room_o = np.where(away >= 0, x0[:, 1:] - lo[1:], hi[1:] - x0[:, 1:])
            cap = int((np.maximum(room, room_o) ** 2).sum())
            rem_all = target - cs
            ok = np.argwhere((rem_all >= 0) & (rem_all <= cap))
            if not len(ok):
                continue
            ok = ok[np.argsort(rem_all[ok[:, 0], ok[:, 1]], kind="stable")]  # smallest angle remainder first
            vi, pi = ok[0] if t % 3 == 0 else ok[int(rng.integers(0, min(len(ok), 16)))]
            x = x0.copy()
            x[:pi + 1, 0] = vs[vi]
            rem = int(rem_all[vi, pi])
            coords = [(i, c) for i in range(n) for c in (0, 1)]
            for q in rng.permutation(len(coords)):
                if rem == 0:
                    break
                i, c = coords[q]
                r1, r2 = int(room[i, c]), int(room_o[i, c])
                sgn = 1 if away[i, c] >= 0 else -1
                if r1 == 0 and r2 > 0:
                    r1, sgn = r2, -sgn
                step = min(math.isqrt(rem), r1)
                x[i, c + 1] += sgn * step
                rem -= step * step
            if rem:
                continue
            dmin, _ = dmin_of(x, rom)
            if not d_lo <= dmin <= d_hi:
                continue
            w = words_from_x(x, cfg, inv)
            if w is None:
                continue
            d, _ = kernel_distances(w, rom, cfg)
            if d_lo <= int(d.min()) <= d_hi:
                out.append(w)
                break
    return out


def find_dmin_window_scan(cfg, rom, d_lo, d_hi, rng, targets, inv=None, tries=40):
    """Second construction for :func:`find_dmin_window` (used when it finds nothing, e.g.
    coarse pT grids such as the Run-3 preset's even working pT).

    Walks from a medoid ``a`` towards a far input ``b`` (:func:`max_distance_inputs`):
    ``x(s) = a + s (b - a)`` with every coordinate snapped to its reachable grid (the pT
    stay non-increasing: both ends are sorted and the snapping is monotone). Bisection on
    ``s`` gives the largest ``D_min`` not above the target; then single grid steps of
    the angles away from the nearest medoid raise ``D_min`` into ``[d_lo, d_hi]``.
    Every candidate is checked with :func:`l1ot.kernel.fixed.run`.
    """
    rom = np.asarray(rom, dtype=np.int64)
    inv = inv or inverse_maps(cfg)
    K, n = rom.shape[0], cfg.n_obj
    grids = [np.array(sorted(inv[a]), dtype=np.int64) for a in fixed.AXES]
    far, _ = max_distance_inputs(cfg, rom, inv)

    def snap(v, g):
        i = np.clip(np.searchsorted(g, v), 1, len(g) - 1)
        return np.where(np.abs(g[i - 1] - v) <= np.abs(g[i] - v), g[i - 1], g[i])

    def point(a, b, t):
        y = a + t * (b - a)
        return np.stack([snap(np.round(y[:, c]).astype(np.int64), grids[c]) for c in range(3)], axis=1)

    out = []
    for target in targets:
        for _ in range(tries):
            a = rom[int(rng.integers(K))].astype(np.float64)
            b = far[int(rng.integers(K))].astype(np.float64)
            if dmin_of(point(a, b, 1.0), rom)[0] < target:
                continue
            t0, t1 = 0.0, 1.0
            for _ in range(40):
                tm = 0.5 * (t0 + t1)
                if dmin_of(point(a, b, tm), rom)[0] <= target:
                    t0 = tm
                else:
                    t1 = tm
            x = point(a, b, t0)
            dmin, d = dmin_of(x, rom)
            for _ in range(4 * n):
                if dmin >= d_lo:
                    break
                m = int(np.argmin(d))
                best = None
                for i in rng.permutation(n):
                    for c in (1, 2):
                        g = grids[c]
                        j = int(np.searchsorted(g, x[i, c]))
                        for jj in (j - 1, j + 1):
                            if not 0 <= jj < len(g):
                                continue
                            y = x.copy()
                            y[i, c] = g[jj]
                            dm, dd = dmin_of(y, rom)
                            if dmin < dm <= d_hi and abs(int(g[jj]) - int(rom[m, i, c])) > abs(int(x[i, c]) - int(rom[m, i, c])):
                                if best is None or dm > best[0]:
                                    best = (dm, dd, y)
                if best is None:
                    break
                dmin, d, x = best
            if not d_lo <= dmin <= d_hi:
                continue
            w = words_from_x(x, cfg, inv)
            if w is None:
                continue
            dk, _ = kernel_distances(w, rom, cfg)
            if d_lo <= int(dk.min()) <= d_hi:
                out.append(w)
                break
    return out


def tie_groups(rom, n_way, max_groups=400):
    """Groups of ``n_way`` medoids, closest first (sum of pairwise squared distances)."""
    K = rom.shape[0]
    R = rom.reshape(K, -1)
    dd = ((R[:, None, :] - R[None, :, :]) ** 2).sum(-1)
    if n_way == 2:
        g = [(int(dd[a, b]), (a, b)) for a in range(K) for b in range(a + 1, K)]
    else:
        near = np.argsort(dd, axis=1)[:, 1:9]  # the 8 nearest of each medoid
        seen = set()
        g = []
        for a in range(K):
            for b in near[a]:
                for c in near[a]:
                    t = tuple(sorted({a, int(b), int(c)}))
                    if len(t) == 3 and t not in seen:
                        seen.add(t)
                        g.append((int(dd[t[0], t[1]] + dd[t[0], t[2]] + dd[t[1], t[2]]), t))
    g.sort()
    return [t for _, t in g[:max_groups]]


def tie_lp(cfg, rom, group):
    """Real-valued point where the medoids of ``group`` tie with the largest margin to the others.

    Linear programme (``scipy.optimize.linprog``, HiGHS): ``D_a = D_g`` for g in the group
    (linear in x), ``D_c - D_a >= t`` for every other medoid c, x in the working ranges, pT
    non-increasing over positions; maximise t. Returns (x (n_obj, 3) float, t), or None when
    no real point exists with t >= 0 (then no integer input can make this group the minimum).
    """
    from scipy.optimize import linprog

    rom = np.asarray(rom, dtype=np.int64)
    K, n = rom.shape[0], cfg.n_obj
    lo, hi = x_bounds(cfg)
    R = rom.reshape(K, -1).astype(np.float64)
    nn = (R * R).sum(1)
    a = group[0]
    nv = 3 * n + 1
    A_eq = np.array([np.append(2 * (R[g] - R[a]), 0.0) for g in group[1:]])
    b_eq = np.array([nn[g] - nn[a] for g in group[1:]])
    rows, b_ub = [], []
    for c in range(K):
        if c not in group:
            rows.append(np.append(-2 * (R[a] - R[c]), 1.0))
            b_ub.append(nn[c] - nn[a])
    for i in range(n - 1):  # x_pt[i+1] - x_pt[i] <= 0
        r = np.zeros(nv)
        r[3 * (i + 1)], r[3 * i] = 1.0, -1.0
        rows.append(r)
        b_ub.append(0.0)
    bounds = [(float(lo[k]), float(hi[k])) for _ in range(n) for k in range(3)] + [(None, float(nn.max() + 1))]
    cost = np.zeros(nv)
    cost[-1] = -1.0
    res = linprog(cost, A_ub=np.array(rows), b_ub=np.array(b_ub), A_eq=A_eq, b_eq=b_eq, bounds=bounds,
                  method="highs")
    if res.status != 0 or -res.fun < 0:
        return None
    return res.x[:-1].reshape(n, 3), float(-res.fun)


def find_argmin_tie(cfg, rom, group, rng, inv=None, tries=200, x_start=None):
    """An input whose distances to all medoids of ``group`` (2 or 3 of them) are equal and minimal.

    ``D_a - D_g`` is linear in x: ``2 x.(r_g - r_a) = |r_g|^2 - |r_a|^2``. Start at
    the group's centroid (pT snapped to reachable values; the order is kept),
    perturb a few angle coordinates, reduce the residuals greedily (pT within
    its neighbours' values, then the angles; this walks towards the group's
    circumcentre, the nearest equidistant point), then solve
    the last one (two-way) or two (three-way, Cramer's rule on a pair of
    coordinates) exactly in integers. Checked with :func:`l1ot.kernel.fixed.run`:
    every group member at the minimum, index = the lowest member.

    Returns words (n_obj,) or None.
    """
    rom = np.asarray(rom, dtype=np.int64)
    inv = inv or inverse_maps(cfg)
    lo, hi = x_bounds(cfg)
    a, rest = group[0], group[1:]
    G = np.stack([rom[g] - rom[a] for g in rest])                      # (e, n, 3)
    c2 = np.array([int((rom[g] ** 2).sum() - (rom[a] ** 2).sum()) for g in rest])
    if np.any(c2 % 2):
        return None                                                   # 2 x.G is even: no tie exists
    c = c2 // 2
    if x_start is None:
        x0 = np.floor(np.mean([rom[g] for g in group], axis=0)).astype(np.int64)
    else:
        x0 = np.clip(np.rint(x_start), lo, hi).astype(np.int64)  # rounding keeps pT non-increasing
    pt_ok = np.array(sorted(inv["pt"]), dtype=np.int64)
    if any(v not in inv["pt"] for v in x0[:, 0].tolist()):
        x0[:, 0] = pt_ok[np.abs(pt_ok[None, :] - x0[:, :1]).argmin(axis=1)]
    ang = [(i, k) for i in range(cfg.n_obj) for k in (1, 2) if np.any(G[:, i, k] != 0)]
    if len(ang) < len(rest):
        return None
    A = np.array([[int(G[e, i, k]) for (i, k) in ang] for e in range(len(rest))], dtype=np.int64)  # (e, J)
    lo_j = np.array([lo[k] for _, k in ang])
    hi_j = np.array([hi[k] for _, k in ang])
    Al = A.T.tolist()                                                 # per coordinate: [g_e ...]
    g2l = [sum(v * v for v in col) for col in Al]
    lo_l, hi_l = lo_j.tolist(), hi_j.tolist()
    ne = len(rest)
    n = cfg.n_obj
    Gpt = G[:, :, 0].T.tolist()                                       # per position: [g_e ...]
    g2pt = [sum(v * v for v in col) for col in Gpt]
    pt_step = int(np.gcd.reduce(np.diff(pt_ok))) if len(pt_ok) > 1 else 1
    lo0, hi0 = int(pt_ok[0]), int(pt_ok[-1])
    for _ in range(tries):
        x = x0.copy()
        for j in rng.integers(0, len(ang), size=3):
            i, k = ang[j]
            x[i, k] = np.clip(x[i, k] + rng.integers(-3, 4), lo[k], hi[k])
        r = [int(c[e]) - int((x * G[e]).sum()) for e in range(ne)]   # residuals to remove
        # pT first (it carries the large imbalances): order and reachable grid kept
        ptl = x[:, 0].tolist()
        for _sweep in range(3):
            for i in rng.permutation(n).tolist():
                col = Gpt[i]
                if not g2pt[i]:
                    continue
                s = round(sum(r[e] * col[e] for e in range(ne)) / g2pt[i] / pt_step) * pt_step
                s = min(max(s, (ptl[i + 1] if i + 1 < n else lo0) - ptl[i]), (ptl[i - 1] if i else hi0) - ptl[i])
                if s:
                    ptl[i] += s
                    for e in range(ne):
                        r[e] -= s * col[e]
        x[:, 0] = ptl
        xl = [int(x[i, k]) for i, k in ang]
        for _sweep in range(2):                                      # greedy least squares
            for j in rng.permutation(len(ang)).tolist():
                if not g2l[j]:
                    continue
                col = Al[j]
                s = round(sum(r[e] * col[e] for e in range(ne)) / g2l[j])
                s = min(max(s, lo_l[j] - xl[j]), hi_l[j] - xl[j])
                if s:
                    xl[j] += s
                    for e in range(ne):
                        r[e] -= s * col[e]
        xv = np.array(xl, dtype=np.int64)
        r = np.array(r, dtype=np.int64)
        if len(rest) == 1:
            a1 = A[0]
            cand = np.flatnonzero((a1 != 0) & (r[0] % np.where(a1 == 0, 1, a1) == 0))
            if len(cand):
                j = int(cand[rng.integers(0, len(cand))])
                xv[j] += r[0] // a1[j]
            else:  # two coordinates: s_j g_j + s_k g_k = r, solvable when gcd(g_j, g_k) divides r
                step = _two_coord_step(a1.tolist(), int(r[0]), xv.tolist(), lo_l, hi_l, rng)
                if step is None:
                    continue
                (j, sj), (k, sk) = step
                xv[j] += sj
                xv[k] += sk
        else:
            a1, a2 = A[0], A[1]
            det = a1[:, None] * a2[None, :] - a1[None, :] * a2[:, None]      # (J, J), pairs (j, k)
            num_j = r[0] * a2[None, :] - r[1] * a1[None, :]
            num_k = a1[:, None] * r[1] - a2[:, None] * r[0]
            safe = np.where(det == 0, 1, det)
            okm = (det != 0) & (num_j % safe == 0) & (num_k % safe == 0)
            sj, sk = num_j // safe, num_k // safe
            okm &= (xv[:, None] + sj >= lo_j[:, None]) & (xv[:, None] + sj <= hi_j[:, None])
            okm &= (xv[None, :] + sk >= lo_j[None, :]) & (xv[None, :] + sk <= hi_j[None, :])
            cand = np.argwhere(okm)
            if not len(cand):
                continue
            j, k = cand[int(rng.integers(0, len(cand)))]
            xv[j] += sj[j, k]
            xv[k] += sk[j, k]
        if np.any(xv < lo_j) or np.any(xv > hi_j):
            continue
        for (i, k), v in zip(ang, xv.tolist()):
            x[i, k] = v
        _, d = dmin_of(x, rom)
        if not all(d[g] == d.min() for g in group):
            continue
        w = words_from_x(x, cfg, inv)
        if w is None:
            continue
        d, idx = kernel_distances(w, rom, cfg)
        if all(d[g] == d.min() for g in group) and idx == a:
            return w
    return None


def _ext_gcd(a, b):
    """(g, u, v) with a*u + b*v = g = gcd(a, b) >= 0."""
    u0, v0, u1, v1 = 1, 0, 0, 1
    while b:
        q = a // b
        a, b = b, a - q * b
        u0, u1 = u1, u0 - q * u1
        v0, v1 = v1, v0 - q * v1
    return (a, u0, v0) if a >= 0 else (-a, -u0, -v0)


def _two_coord_step(g, r, x, lo, hi, rng):
    """Integer steps on two coordinates with ``s_j g_j + s_k g_k = r`` keeping ``lo <= x + s <= hi``.

    Takes the solution nearest zero along ``(g_k, -g_j) / gcd``; returns ((j, s_j), (k, s_k)) or None.
    """
    J = [j for j in range(len(g)) if g[j]]
    pairs = [(j, k) for ai, j in enumerate(J) for k in J[ai + 1:]]
    for q in rng.permutation(len(pairs)).tolist():
        j, k = pairs[q]
        d, u, v = _ext_gcd(g[j], g[k])
        if r % d:
            continue
        sj, sk = u * (r // d), v * (r // d)
        tj, tk = g[k] // d, -g[j] // d                   # homogeneous solution
        t = -round(sj / tj) if abs(tj) >= abs(tk) else -round(sk / tk)
        sj, sk = sj + t * tj, sk + t * tk
        if lo[j] <= x[j] + sj <= hi[j] and lo[k] <= x[k] + sk <= hi[k]:
            return (j, sj), (k, sk)
    return None


def max_distance_inputs(cfg, rom, inv=None):
    """For each medoid m, the input x with the largest ``D_m`` any input can reach.

    Over sorted inputs (pT non-increasing in ``[x_lo, x_hi]``) ``D_m`` is convex, so
    its maximum is at a vertex: pT = ``x_hi`` on a prefix of positions and ``x_lo``
    after it, each angle at the end of its range farther from the ROM value.

    Returns (x (K, n_obj, 3) int64, dmax (K,) int64).
    """
    rom = np.asarray(rom, dtype=np.int64)
    lo, hi = x_bounds(cfg)
    K, n = rom.shape[0], cfg.n_obj
    ang = np.where(hi[1:] - rom[..., 1:] >= rom[..., 1:] - lo[1:], hi[1:], lo[1:])     # (K, n, 2)
    d_ang = ((ang - rom[..., 1:]) ** 2).sum(axis=(1, 2))
    p = np.arange(n + 1)
    pt = np.where(np.arange(n)[None, :] < p[:, None], hi[0], lo[0])                  # (n+1, n) prefixes
    d_pt = ((pt[None, :, :] - rom[:, None, :, 0]) ** 2).sum(-1)                       # (K, n+1)
    best = d_pt.argmax(axis=1)
    x = np.concatenate([pt[best][..., None], ang], axis=-1)
    return x, d_pt[np.arange(K), best] + d_ang
