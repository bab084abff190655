"""One classification task at one radius, end to end (paper 2 §III).

:func:`run` loads ``n`` signal and ``n`` QCD events of a task
(:data:`l1ot.multiscale.generate.TASKS`; the QCD file's first half serves the
tt-bar task, its second half the paired-dijet task), preprocesses them at the
radius R, computes the distance matrices of every method on the engine
(cached), and evaluates kNN (:mod:`.classify`):

* ``single_cm``     -- single-scale exact W2, "CM" scheme (all constituents, jets not
  rotated; independent of R up to which jet is the hardest);
* ``single_cmjet``  -- single-scale exact W2, "CM+jet" (jets at radius R aligned);
* ``thrust``        -- a cut on the rescaled transverse thrust (eq. 9);
* ``multiscale``    -- the (alpha, beta) scan of :data:`l1ot.multiscale.eventot.SCAN`
  for the weightings pt, uniform and jet1, jet W2 by LinW2 at a reference jet of radius R.

The best (alpha, beta) of each weighting is the one with the highest mean
*validation* AUC (the test folds do not choose it).
"""
from __future__ import annotations

import time

import numpy as np

from . import classify, eventot, generate, jetot, knn, representation, samples

#: events per class from which ``single_knn="auto"`` uses the pruned kNN
PRUNED_FROM = 1000


def n_tasks_for(engine) -> int:
    """Engine tasks per matrix: 16, or 4 per worker on a larger cluster (so 64 cores all get work)."""
    if engine is None or not getattr(engine, "distributed", False):
        return 16
    return max(16, 4 * engine.n_workers())


def load_task(task: str, n: int, folder: str = samples.DEFAULT_DIR):
    """(events list, labels (2n,)) of a task: n signal (label 1) then n QCD (label 0) events."""
    if task not in generate.TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {sorted(generate.TASKS)}")
    sig, bkg = generate.TASKS[task]
    s = samples.read(samples.path_of(sig, folder), n=n)
    path_b = samples.path_of(bkg, folder)
    start = 0 if task == "ttbar" else samples.count(path_b) // 2
    b = samples.read(path_b, n=n, start=start)
    return s + b, np.concatenate([np.ones(len(s), int), np.zeros(len(b), int)])


def thrust_values(events):
    """Rescaled transverse thrust tau (eq. 9) of each event (lab frame, all constituents)."""
    return np.array([representation.tau_thrust(e[:, 0], e[:, 2]) for e in events])


def represent(events, radius: float, rotate: bool):
    return [representation.preprocess(e, radius, rotate=rotate) for e in events]


def multiscale_data(pre, radius: float):
    """Packed jet set with LinW2 embeddings at the reference jet of ``radius``."""
    emb = jetot.embed([(x, w) for p in pre for x, w in zip(p.offsets, p.weights)], radius=radius)
    return eventot.pack(pre, emb)


def run(task: str, radius: float, n: int, *, folder: str = samples.DEFAULT_DIR, engine=None,
        cache_dir=eventot.CACHE_DIR, seed: int = 0, single: bool = True, single_knn: str = "auto",
        log=print) -> dict:
    """Every method of one task at one radius; the JSON-ready result.

    ``single_knn``: "matrix" (full single-scale matrices, cached, scikit-learn kNN), "pruned" (exact
    kNN without the full matrix, :mod:`.knn`; same neighbours as the brute force with its tie rule)
    or "auto" (pruned from :data:`PRUNED_FROM` events per class on).
    """
    t0 = time.time()
    events, y = load_task(task, n, folder)
    splits = classify.folds(y, seed=seed)
    res = {"task": task, "radius": radius, "n_signal": int(y.sum()), "n_background": int(len(y) - y.sum()),
           "folds": classify.N_FOLDS, "k_grid": [min(classify.K_GRID), max(classify.K_GRID), 10],
           "methods": {}, "timing_s": {}}
    res["methods"]["thrust"] = classify.observable_auc(thrust_values(events), y, splits)
    pre = represent(events, radius, rotate=True)
    res["jets_per_event"] = float(np.mean([p.n_jets for p in pre]))
    if single:
        t = time.time()
        cm = represent(events, generate.R_BENCH, rotate=False)
        mode = single_knn if single_knn != "auto" else ("pruned" if n >= PRUNED_FROM else "matrix")
        res["single_knn"] = mode
        for name, p in (("single_cm", cm), ("single_cmjet", pre)):
            pts = eventot.pack_points(p)
            if mode == "pruned":
                r = knn.knn_auc_pruned(pts, y, splits, engine=engine, n_tasks=n_tasks_for(engine))
                r.pop("neighbours")
            elif mode == "matrix":
                d = eventot.single_matrix(pts, engine=engine, cache_dir=cache_dir, n_tasks=n_tasks_for(engine))
                r = classify.knn_auc(d, y, splits)
            else:
                raise ValueError(f"single_knn must be auto, matrix or pruned, not {single_knn!r}")
            res["methods"][name] = r
        res["timing_s"]["single"] = time.time() - t
    t = time.time()
    mats = eventot.matrices(multiscale_data(pre, radius), engine=engine, cache_dir=cache_dir,
                            n_tasks=n_tasks_for(engine))
    res["timing_s"]["multiscale"] = time.time() - t
    ms = {}
    for wi, wname in enumerate(eventot.WEIGHTINGS):
        rows = []
        for si, (a, b) in enumerate(eventot.SCAN):
            r = classify.knn_auc(mats[si, wi], y, splits)
            r.update({"alpha": a, "beta": b, "ratio": float(eventot.RATIOS[si])})
            rows.append(r)
        ms[wname] = rows
        best = max(rows, key=lambda r: r["val_auc"])
        res["methods"][f"multiscale_{wname}"] = {k: best[k] for k in ("auc", "std", "aucs", "k", "val_auc",
                                                                        "alpha", "beta", "ratio")}
    res["scan"] = ms
    res["timing_s"]["total"] = time.time() - t0
    if log:
        log(f"{task} R={radius}: " + ", ".join(f"{k} {v['auc']:.3f}±{v['std']:.3f}"
                                                 for k, v in res["methods"].items()))
    return res


def linw2_agreement(task: str, radius: float, n_events: int = 30, folder: str = samples.DEFAULT_DIR,
                    ratio: float = 0.01) -> dict:
    """Exact (POT) vs LinW2 jet distances on a subset: all jet pairs of ``n_events`` events of a task
    (half signal, half QCD) and the pT-weighted event distances at alpha/beta = ``ratio``."""
    from scipy.stats import pearsonr, spearmanr

    events, _ = load_task(task, n_events // 2, folder)
    pre = represent(events, radius, rotate=True)
    jets = [(x, w) for p in pre for x, w in zip(p.offsets, p.weights)]
    emb = jetot.embed(jets, radius=radius)
    nj = len(jets)
    ex, li = [], []
    exact = np.zeros((nj, nj))
    lin = np.zeros((nj, nj))
    for i in range(nj):
        for j in range(i + 1, nj):
            exact[i, j] = exact[j, i] = jetot.w2sq(jets[i][0], jets[i][1], jets[j][0], jets[j][1])
            lin[i, j] = lin[j, i] = jetot.linw2sq(emb[i], emb[j])
            ex.append(exact[i, j])
            li.append(lin[i, j])
    ex, li = np.array(ex), np.array(li)
    a, b = eventot.ab_of_ratio(ratio)
    off = np.concatenate([[0], np.cumsum([p.n_jets for p in pre])])
    ev_ex, ev_li = [], []
    for i in range(len(pre)):
        for j in range(i + 1, len(pre)):
            ac = eventot.axis_cost(pre[i].axes, pre[j].axes)
            wa = eventot.jet_weights(pre[i].jet_pt, "pt")
            wb = eventot.jet_weights(pre[j].jet_pt, "pt")
            blk = (slice(off[i], off[i + 1]), slice(off[j], off[j + 1]))
            ev_ex.append(eventot.event_w2sq(a * ac + b * exact[blk], wa, wb))
            ev_li.append(eventot.event_w2sq(a * ac + b * lin[blk], wa, wb))
    ev_ex, ev_li = np.sqrt(np.array(ev_ex)), np.sqrt(np.array(ev_li))
    return {"task": task, "radius": radius, "n_events": len(pre), "jet_pairs": int(len(ex)),
            "jet_w2sq_pearson": float(pearsonr(ex, li)[0]), "jet_w2sq_spearman": float(spearmanr(ex, li)[0]),
            "jet_linw2_over_exact_median": float(np.median(li / np.maximum(ex, 1e-300))),
            "linw2_ge_exact_fraction": float(np.mean(li >= ex * (1 - 1e-9))),
            "event_ratio": ratio, "event_pairs": int(len(ev_ex)),
            "event_w2_spearman": float(spearmanr(ev_ex, ev_li)[0]),
            "event_w2_rel_diff_median": float(np.median(np.abs(ev_li - ev_ex) / np.maximum(ev_ex, 1e-300)))}
