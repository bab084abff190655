"""Paper 1's OT + machine-learning methods on precomputed distance matrices.

* ``3d_ot_anomaly_knn`` (§3.2, Table 1): kNN trained on 1,000 SM background
  events (label 0) and 1,000 statistically independent anomaly-augmented
  background events (label 1, :mod:`l1ot.paper1.augment`); 25 % of the 2,000 held out
  for validation; ``k`` scanned over 5, 15, ..., 495 and chosen by validation
  AUC; score = fraction of anomalous neighbours
  (``KNeighborsClassifier(metric="precomputed").predict_proba``).
* ``3d_ot_ocsvm`` (§3.3, Table 1): ``OneClassSVM(kernel="precomputed")`` with
  ``K = exp(-gamma W2^2)``, ``nu = 0.2``, ``gamma`` in 0.05, 0.15, ..., 0.55,
  trained on SM background; validation set of 5,000 events (equal mix of
  background and the four signals), ``gamma`` chosen by the validation
  balanced accuracy ``(1 + eps_s - eps_b) / 2`` (the two-point AUC). The output
  is binary, so only one working point exists; the rows hold its AUC
  (two-point), F1 and SI (``max_f1``/``max_si`` = the values at that point,
  with its ``eps_s``) and ``eps_s``/``eps_b``, as in paper 1 Table 1.
* ``knn_class_2d``, ``knn_class_3d`` (Appendix B, Table 3): supervised kNN,
  1,000 background + 1,000 signal events per model, shuffled into 5 folds;
  fold ``f`` is the test set, fold ``f+1`` the validation set (``k`` scan as
  above), the other three the training set (60/20/20); mean and std over the 5
  folds. Max F1 / max SI are taken over ``eps_s`` in [0.25, 1] as in Table 3.
* ``knn_class_2d_planed_lo``/``_hi``: the same in the 2D space on events with
  total pT (scalar sum of object pT, MET excluded) in a window, *planed* so
  that background and signal have the same total-pT distribution
  (:func:`plane`: equal numbers of each class per total-pT bin, by
  subsampling without replacement). Windows: (50, 100) and (500, 1000) GeV as
  in Table 3 by default. Pools: the whole background and signal files.

Distances come from :func:`l1ot.ot.distcache.distance_matrix` (exact W2 with the
"fast" assignment solver by default, or ``distance="linw2"``: pT-sorted LinW2,
then method names get the suffix ``_linw2`` and the 2D rows are skipped since
the sorted LinW2 embedding is a 3D-space construction).

The one-class SVM only needs kernel values at its support vectors: the
decision function is ``sum_{i in SV} alpha_i K(x, x_i) - rho``, so kernels
between validation/test events and non-support training events are never
computed (they enter with zero weight; the matrix passed to scikit-learn has
zeros there). ``tests/test_paper_methods.py`` checks this gives the same
predictions as the full kernel.

Event ranges (all from the files, see :mod:`l1ot.io.splits`): background
training events are the first events of the train block (kNN: 1,000 plain +
the next 1,000 augmented; SVM: the first ``svm_n_train``; classification: the
first 1,000), SVM validation background is the first 1,000 calib events; the
anomaly-detection test sets are the standard ones (last 5 x 1,000
background, first 5 x 1,000 of each signal); SVM validation and
classification signal events are taken after the signal test block when the
file has them (else from its start; recorded in the meta data).
"""
from __future__ import annotations

import os
import time

import numpy as np

from . import augment
from ..evaluation import baselines, metrics
from ..io import data
from ..ot import distcache
from ..errors import ConfigError, DataError
from ..io.splits import DEFAULT as DEFAULT_SPLITS

K_SCAN = tuple(range(5, 500, 10))
GAMMAS = tuple(float(g) for g in np.round(np.arange(0.05, 0.56, 0.1), 2))
NU = 0.2
#: one-class SVM training size (paper 1: 10,000; the 10k x 10k exact-W2 matrix is
#: 50M assignment problems, about 2 core-minutes with the compiled solver)
SVM_N_TRAIN = 10000
PLANED_RANGES = {"lo": (50.0, 100.0), "hi": (500.0, 1000.0)}
PLANE_BINS = 10
METHOD_NAMES = ("3d_ot_anomaly_knn", "3d_ot_ocsvm", "knn_class_2d", "knn_class_3d",
                "knn_class_2d_planed_lo", "knn_class_2d_planed_hi")
METHOD_LABELS = {
    "3d_ot_anomaly_knn": "3D OT + anomaly kNN",
    "3d_ot_ocsvm": "3D OT + one-class SVM",
    "knn_class_2d": "2D OT + kNN classification",
    "knn_class_3d": "3D OT + kNN classification",
    "knn_class_2d_planed_lo": "2D OT + kNN classif., planed total pT (lo)",
    "knn_class_2d_planed_hi": "2D OT + kNN classif., planed total pT (hi)",
}


# --------------------------------------------------------------------------
# kNN on precomputed distances
# --------------------------------------------------------------------------
def knn_scores(d_train: np.ndarray, y_train: np.ndarray, d_query: np.ndarray, k: int) -> np.ndarray:
    """Fraction of label-1 neighbours among the ``k`` nearest training events.

    d_train : (n, n) distances between training events; y_train : (n,) 0/1;
    d_query : (m, n) distances from query to training events. Returns (m,).
    """
    from sklearn.neighbors import KNeighborsClassifier

    k = int(min(k, d_train.shape[0]))
    clf = KNeighborsClassifier(n_neighbors=k, metric="precomputed")
    clf.fit(d_train, y_train)
    proba = clf.predict_proba(d_query)
    classes = list(clf.classes_)
    return proba[:, classes.index(1)] if 1 in classes else np.zeros(d_query.shape[0])


def _auc(y, s):
    y = np.asarray(y)
    return metrics.auc(s[y == 0], s[y == 1])


def scan_k(d_train, y_train, d_val, y_val, ks=K_SCAN):
    """Validation AUC for each k; returns (best k (smallest on ties), {k: auc})."""
    res = {}
    for k in ks:
        if k > d_train.shape[0]:
            break
        res[int(k)] = _auc(y_val, knn_scores(d_train, y_train, d_val, k))
    return best_of(res), res


def best_of(scores: dict):
    """The key with the highest score, the smallest key on ties (hyper-parameter choice)."""
    return max(scores, key=lambda p: (scores[p], -p))


def train_val_split(n: int, val_frac: float, seed: int = 0):
    """(train, validation) indices of a labelled pool of ``n``: a seeded permutation, the first
    ``round(val_frac * n)`` of it validate. Disjoint; together all of ``0..n-1``."""
    perm = np.random.default_rng(seed).permutation(n)
    n_val = int(round(val_frac * n))
    return perm[n_val:], perm[:n_val]


def choose_k(d_all: np.ndarray, y: np.ndarray, val_frac: float = 0.25, seed: int = 0, ks=K_SCAN):
    """Anomaly kNN: split the pool (d_all (n, n), labels y (n,)) into training and validation, and
    choose k on validation. Returns (train indices, validation indices, k, {k: validation AUC})."""
    tr, va = train_val_split(len(y), val_frac, seed)
    k, scan = scan_k(d_all[np.ix_(tr, tr)], y[tr], d_all[np.ix_(va, tr)], y[va], ks)
    return tr, va, k, scan


def balanced_accuracy(pred: np.ndarray, y: np.ndarray) -> float:
    """(1 + eps_s - eps_b) / 2 of 0/1 predictions ``pred`` against labels ``y`` (the two-point AUC)."""
    pred, y = np.asarray(pred), np.asarray(y)
    return float(0.5 * (1 + pred[y == 1].mean() - pred[y == 0].mean()))


# --------------------------------------------------------------------------
# one-class SVM on precomputed kernels
# --------------------------------------------------------------------------
def ocsvm_fit(d_train: np.ndarray, gamma: float, nu: float = NU):
    """``OneClassSVM(kernel="precomputed")`` on ``K = exp(-gamma d^2)``."""
    from sklearn.svm import OneClassSVM

    m = OneClassSVM(kernel="precomputed", nu=nu)
    m.fit(np.exp(-gamma * d_train ** 2))
    return m


def ocsvm_predict(model, d_sv: np.ndarray, sv_index: np.ndarray, n_train: int, gamma: float) -> np.ndarray:
    """Anomaly flags (1 = outlier) from distances to the support vectors only.

    d_sv : (m, len(sv_index)) distances from query events to training events
    ``sv_index`` (a superset of ``model.support_``). Returns int (m,).
    """
    k = np.zeros((d_sv.shape[0], n_train))
    k[:, sv_index] = np.exp(-gamma * d_sv ** 2)
    return (model.predict(k) < 0).astype(np.int64)


def binary_row(bkg_pred, sig_pred) -> dict:
    """Table-1 style metrics of a binary working point (keys as :func:`metrics.summarize`)."""
    b = metrics.summarize_binary(bkg_pred, sig_pred)
    return {"auc": b["auc"], "max_f1": b["f1"], "max_si": b["si"], "eps_s": b["eps_s"],
            "eps_b": b["eps_b"]}


# --------------------------------------------------------------------------
# planing
# --------------------------------------------------------------------------
def plane(tpt_bkg: np.ndarray, tpt_sig: np.ndarray, lo: float, hi: float, n_max: int = 1000,
          n_bins: int = PLANE_BINS, seed: int = 0):
    """Indices of background and signal events with matched total-pT distributions.

    Events with ``lo < total pT < hi`` are binned in ``n_bins`` equal bins; each
    bin keeps the same number of background and signal events (the smaller
    count, scaled so that at most ``n_max`` per class are kept), drawn without
    replacement. Returns (bkg indices, sig indices), each sorted.
    """
    rng = np.random.default_rng(seed)
    edges = np.linspace(lo, hi, n_bins + 1)
    ib = np.digitize(tpt_bkg, edges) - 1
    is_ = np.digitize(tpt_sig, edges) - 1
    inb = (tpt_bkg > lo) & (tpt_bkg < hi)
    ins = (tpt_sig > lo) & (tpt_sig < hi)
    cb = np.array([np.sum(inb & (ib == j)) for j in range(n_bins)])
    cs = np.array([np.sum(ins & (is_ == j)) for j in range(n_bins)])
    m = np.minimum(cb, cs)
    tot = m.sum()
    if tot > n_max:
        m = np.floor(m * n_max / tot).astype(int)
    out_b, out_s = [], []
    for j in range(n_bins):
        if m[j] == 0:
            continue
        out_b.append(rng.choice(np.nonzero(inb & (ib == j))[0], m[j], replace=False))
        out_s.append(rng.choice(np.nonzero(ins & (is_ == j))[0], m[j], replace=False))
    if not out_b:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.sort(np.concatenate(out_b)), np.sort(np.concatenate(out_s))


# --------------------------------------------------------------------------
# supervised classification with 5-fold cross-validation
# --------------------------------------------------------------------------
def classify_cv(d: np.ndarray, y: np.ndarray, n_folds: int = 5, seed: int = 0, ks=K_SCAN,
                eps_s_min: float = 0.25):
    """kNN classification with k chosen on a validation fold; metrics over folds.

    d : (n, n) distances; y : (n,) 0 = background, 1 = signal. Fold f tests,
    fold f+1 validates, the rest trains. Returns (summarize_sets dict, info).
    """
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(y))
    folds = np.array_split(perm, n_folds)
    per, ks_best = [], []
    for f in range(n_folds):
        te, va = folds[f], folds[(f + 1) % n_folds]
        tr = np.concatenate([folds[g] for g in range(n_folds) if g not in (f, (f + 1) % n_folds)])
        k, _ = scan_k(d[np.ix_(tr, tr)], y[tr], d[np.ix_(va, tr)], y[va], ks)
        s = knn_scores(d[np.ix_(tr, tr)], y[tr], d[np.ix_(te, tr)], k)
        per.append(metrics.summarize(s[y[te] == 0], s[y[te] == 1], eps_s_min=eps_s_min))
        ks_best.append(k)
    return metrics.summarize_sets(per), {"k": ks_best, "n_events": int(len(y))}


# --------------------------------------------------------------------------
# data access
# --------------------------------------------------------------------------
class _Files:
    def __init__(self, bkg_path, data_dir, splits):
        from ..evaluation.evaluate import SIGNALS

        self.bkg_path, self.data_dir, self.splits = bkg_path, data_dir, splits
        self.signal_files = SIGNALS
        self.ranges = splits.background_file(bkg_path)   # parton-level groups kept on one side

    def bkg_train(self, n, offset=0):
        a, b = self.ranges["train"]
        if a + offset + n > b:
            raise DataError(f"background train block has {b - a} events; need {offset + n}",
                            file=self.bkg_path)
        return data.load(self.bkg_path, n=n, start=a + offset)

    def bkg_calib(self, n):
        a, b = self.ranges["calib"]
        return data.load(self.bkg_path, n=min(n, b - a), start=a)

    def sig_path(self, sig):
        from ..io.naming import signal_path

        return signal_path(self.data_dir, sig)

    def test_sets(self, signals):
        s = self.splits
        a, b = self.ranges["test"]
        out = {"bkg": data.load(self.bkg_path, n=b - a, start=a)}
        for sig in signals:
            p = self.sig_path(sig)
            lo, hi = s.signal(data.count(p), p)
            out[sig] = data.load(p, n=hi - lo, start=lo)
        return out

    def sig_extra(self, sig, n):
        """``n`` signal events outside the test block if available: (events, start)."""
        p = self.sig_path(sig)
        total = data.count(p)
        first = self.splits.signal_extra_start(p)   # after the test block and its parton-level groups
        start = first if total >= first + n else 0
        return data.load(p, n=min(n, total - start), start=start), start


def _per_set(scores_b, scores_s, n_sets, fn):
    sb = np.array_split(scores_b, n_sets)
    ss = np.array_split(scores_s, n_sets)
    return metrics.summarize_sets([fn(b, s) for b, s in zip(sb, ss)])


# --------------------------------------------------------------------------
# methods
# --------------------------------------------------------------------------
def run_anomaly_knn(files: _Files, signals, *, seed=0, n_jobs=1, distance="w2", cache_dir=distcache.CACHE_DIR,
                    progress=True, n_bkg=1000, n_aug=1000, val_frac=0.25, log=print):
    """3D OT + anomaly kNN. Returns ({signal: metrics}, info)."""
    t0 = time.perf_counter()
    bkg = files.bkg_train(n_bkg)
    src = files.bkg_train(n_aug, offset=n_bkg)
    aug_ev, ainfo = augment.augment(src, seed=seed, source=files.bkg_path)
    x = np.concatenate([bkg, aug_ev])
    y = np.r_[np.zeros(n_bkg, int), np.ones(n_aug, int)]
    dm = dict(distance=distance, space="3d", n_jobs=n_jobs, progress=progress, cache_dir=cache_dir)
    d_all = distcache.distance_matrix(x, desc="anomaly kNN train", **dm)
    tr, va, k, scan = choose_k(d_all, y, val_frac, seed)
    log(f"  anomaly kNN: augmentation fractions {_fmt_fr(ainfo['fractions'])}; "
        f"best k = {k} (validation AUC {scan[k]:.4f})")
    xtr = x[tr]
    test = files.test_sets(signals)
    scores = {}
    for name, ev in test.items():
        d = distcache.distance_matrix(ev, xtr, desc=f"anomaly kNN test {name}", **dm)
        scores[name] = knn_scores(d_all[np.ix_(tr, tr)], y[tr], d, k)
    n_sets = files.splits.n_sets
    rows = {sig: _per_set(scores["bkg"], scores[sig], n_sets, metrics.summarize) for sig in signals}
    curves = {sig: [metrics.roc_curve(b, s)[:2] for b, s in zip(np.array_split(scores["bkg"], n_sets),
                                                                 np.array_split(scores[sig], n_sets))]
              for sig in signals}
    info = {"_curves": curves, "k": k, "val_auc": scan, "augmentation_fractions": ainfo["fractions"],
            "split_possible": float(ainfo["split_possible"].mean()), "n_train": int(tr.size),
            "n_val": int(va.size), "seconds": time.perf_counter() - t0}
    return rows, info


def run_ocsvm(files: _Files, signals, *, seed=0, n_jobs=1, distance="w2", cache_dir=distcache.CACHE_DIR,
              progress=True, n_train=SVM_N_TRAIN, n_val_per_class=1000, gammas=GAMMAS, nu=NU, log=print):
    """3D OT + one-class SVM. Returns ({signal: metrics}, info)."""
    from ..evaluation.evaluate import SIGNALS

    t0 = time.perf_counter()
    dm = dict(distance=distance, space="3d", n_jobs=n_jobs, progress=progress, cache_dir=cache_dir)
    xtr = files.bkg_train(n_train)
    d_tr = distcache.distance_matrix(xtr, desc=f"SVM train {n_train}x{n_train}", **dm)
    t_train = time.perf_counter() - t0
    models = {g: ocsvm_fit(d_tr, g, nu) for g in gammas}
    sv_union = np.unique(np.concatenate([m.support_ for m in models.values()]))
    # validation: equal mix of background and the four signals
    val = [files.bkg_calib(n_val_per_class)]
    val_start = {}
    for sig in SIGNALS:
        ev, st = files.sig_extra(sig, n_val_per_class)
        if st == 0:
            log(f"  note: {sig} has no {n_val_per_class} events after its test block; the SVM "
                f"validation uses its first events, which overlap the test sets")
        val.append(ev)
        val_start[sig] = st
    yv = np.concatenate([np.zeros(len(val[0]), int)] + [np.ones(len(v), int) for v in val[1:]])
    xv = np.concatenate(val)
    d_v = distcache.distance_matrix(xv, xtr[sv_union], desc="SVM validation", **dm)
    val_score = {}
    for g, m in models.items():
        pred = ocsvm_predict(m, d_v, sv_union, n_train, g)
        val_score[float(g)] = balanced_accuracy(pred, yv)
    g_best = best_of(val_score)
    m = models[g_best]
    sv = np.sort(m.support_)
    log(f"  one-class SVM: N = {n_train}, nu = {nu}, best gamma = {g_best} (validation balanced "
        f"accuracy {val_score[g_best]:.4f}), {sv.size} support vectors")
    test = files.test_sets(signals)
    preds = {}
    for name, ev in test.items():
        d = distcache.distance_matrix(ev, xtr[sv], desc=f"SVM test {name}", **dm)
        preds[name] = ocsvm_predict(m, d, sv, n_train, g_best)
    n_sets = files.splits.n_sets
    rows = {sig: _per_set(preds["bkg"], preds[sig], n_sets, binary_row) for sig in signals}
    info = {"gamma": g_best, "nu": nu, "n_train": n_train, "val_balanced_accuracy": val_score,
            "n_support": int(sv.size), "val_signal_start": val_start,
            "seconds_train_matrix": t_train, "seconds": time.perf_counter() - t0}
    return rows, info


def run_classification(files: _Files, signals, space: str, *, seed=0, n_jobs=1, distance="w2",
                       cache_dir=distcache.CACHE_DIR, progress=True, n_per_class=1000, log=print):
    """Supervised kNN classification (Appendix B). Returns ({signal: metrics}, info)."""
    dm = dict(distance=distance, space=space, n_jobs=n_jobs, progress=progress, cache_dir=cache_dir)
    bkg = files.bkg_train(n_per_class)
    rows, info = {}, {}
    for sig in signals:
        s_ev, st = files.sig_extra(sig, n_per_class)
        x = np.concatenate([bkg, s_ev])
        y = np.r_[np.zeros(len(bkg), int), np.ones(len(s_ev), int)]
        d = distcache.distance_matrix(x, desc=f"classification {space} {sig}", **dm)
        rows[sig], info[sig] = classify_cv(d, y, seed=seed)
        info[sig]["signal_start"] = st
        log(f"  kNN classification {space} {sig}: AUC {rows[sig]['auc'][0]:.4f} ± {rows[sig]['auc'][1]:.4f}"
            f" (k per fold {info[sig]['k']})")
    return rows, info


def run_planed(files: _Files, signals, window, *, seed=0, n_jobs=1, distance="w2",
               cache_dir=distcache.CACHE_DIR, progress=True, n_per_class=1000, n_pool_bkg=None,
               log=print):
    """2D kNN classification on total-pT-planed events in ``window`` (GeV)."""
    lo, hi = window
    dm = dict(distance=distance, space="2d", n_jobs=n_jobs, progress=progress, cache_dir=cache_dir)
    # pools: the whole background file and the whole signal file (this experiment is
    # self-contained, with its own 5-fold split; the windows are sparsely populated)
    pool_b = data.load(files.bkg_path, n=n_pool_bkg)
    tb = baselines.total_pt(pool_b)
    rows, info = {}, {}
    for sig in signals:
        p = files.sig_path(sig)
        pool_s = data.load(p)
        ib, is_ = plane(tb, baselines.total_pt(pool_s), lo, hi, n_max=n_per_class, seed=seed)
        n = int(ib.size)
        if n < 25:
            log(f"  planed ({lo:g}, {hi:g}) GeV {sig}: only {n} events per class after planing; skipped")
            info[sig] = {"n_per_class": n, "skipped": True}
            continue
        x = np.concatenate([pool_b[ib], pool_s[is_]])
        y = np.r_[np.zeros(n, int), np.ones(n, int)]
        d = distcache.distance_matrix(x, desc=f"planed {lo:g}-{hi:g} {sig}", **dm)
        rows[sig], info[sig] = classify_cv(d, y, seed=seed)
        info[sig]["n_per_class"] = n
        log(f"  planed ({lo:g}, {hi:g}) GeV {sig}: {n}+{n} events, AUC {rows[sig]['auc'][0]:.4f}"
            f" ± {rows[sig]['auc'][1]:.4f}")
    return rows, info


def _fmt_fr(fr):
    return ", ".join(f"{k} {100 * v:.1f}%" for k, v in fr.items())


# --------------------------------------------------------------------------
# entry point used by `l1ot evaluate --paper-methods` and `l1ot methods`
# --------------------------------------------------------------------------
def evaluate_rows(bkg_path, data_dir, signals, splits=DEFAULT_SPLITS, n_train=None, seed=0, n_jobs=1,
                  **kw) -> dict:
    """Rows of paper 1's kNN / SVM / classification methods: {method: {signal: metrics}}.

    Parameters
    ----------
    bkg_path, data_dir : background file and folder of the signal files.
    signals : list of signal keys (``l1ot.evaluation.evaluate.SIGNALS``).
    splits : :class:`l1ot.io.splits.Splits` of the test sets.
    n_train : accepted for the common evaluation signature; the paper fixes
        the training sizes per method (kNN 1,000 + 1,000, classification
        1,000 + 1,000); the SVM training size is ``svm_n_train``.
    seed, n_jobs : RNG seed; joblib processes for the distance matrices.

    Keyword options: ``methods`` (subset of :data:`METHOD_NAMES`),
    ``distance`` ("w2" or "linw2"), ``svm_n_train`` (default
    :data:`SVM_N_TRAIN`), ``svm_n_val_per_class`` (1000),
    ``knn_n_per_class`` (1000 background + 1000 augmented),
    ``class_n_per_class`` (1000), ``planed_ranges``
    ({"lo": (a, b), "hi": (a, b)}), ``suffix`` (appended to the row names),
    ``cache_dir``, ``progress``, ``log`` (callable or None).

    Returns
    -------
    dict ``{method: {signal: metrics}}`` (metrics as :func:`l1ot.evaluation.metrics.summarize_sets`)
    plus ``"_paper_methods"`` with the chosen hyper-parameters and timings, and
    ``"_curves"`` with per-set ROC curves of the methods that have a score
    (the anomaly kNN; the SVM is binary).
    """
    methods = list(kw.get("methods") or METHOD_NAMES)
    for m in methods:
        if m not in METHOD_NAMES:
            raise ConfigError(f"unknown paper-1 method {m!r}; known: {', '.join(METHOD_NAMES)}")
    distance = kw.get("distance", "w2")
    if distance not in distcache.DISTANCES:
        raise ConfigError(f"unknown distance {distance!r}; choose one of {distcache.DISTANCES}")
    log = kw.get("log", print) or (lambda *a, **k: None)
    common = dict(seed=seed, n_jobs=n_jobs, distance=distance,
                  cache_dir=kw.get("cache_dir", distcache.CACHE_DIR), progress=kw.get("progress", True),
                  log=log)
    files = _Files(bkg_path, data_dir, splits)
    suffix = "" if distance == "w2" else f"_{distance}"
    planed = dict(PLANED_RANGES)
    planed.update(kw.get("planed_ranges") or {})
    suffix += kw.get("suffix", "") or ""
    out, meta = {}, {"distance": distance, "seed": seed}
    for m in methods:
        if distance == "linw2" and "_2d" in m:
            log(f"  {m}: skipped with --distance linw2 (the sorted LinW2 embedding is a 3D construction)")
            continue
        t0 = time.perf_counter()
        if m == "3d_ot_anomaly_knn":
            n = int(kw.get("knn_n_per_class", 1000))
            rows, info = run_anomaly_knn(files, signals, n_bkg=n, n_aug=n, **common)
        elif m == "3d_ot_ocsvm":
            rows, info = run_ocsvm(files, signals, n_train=int(kw.get("svm_n_train", SVM_N_TRAIN)),
                                   n_val_per_class=int(kw.get("svm_n_val_per_class", 1000)), **common)
        elif m in ("knn_class_2d", "knn_class_3d"):
            rows, info = run_classification(files, signals, m[-2:],
                                            n_per_class=int(kw.get("class_n_per_class", 1000)), **common)
        else:
            w = planed[m.rsplit("_", 1)[1]]
            rows, info = run_planed(files, signals, tuple(w),
                                    n_per_class=int(kw.get("class_n_per_class", 1000)), **common)
            info = {"window_gev": list(w), "per_signal": info}
        if isinstance(info, dict):
            info.setdefault("seconds", time.perf_counter() - t0)
            if "_curves" in info:  # per-set ROC curves for the figures (l1ot.evaluation.figures)
                out.setdefault("_curves", {})[m + suffix] = info.pop("_curves")
        out[m + suffix] = rows
        meta[m + suffix] = info
    out["_paper_methods"] = _jsonable(meta)
    return out


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, np.generic):
        return x.item()
    return x


# --------------------------------------------------------------------------
# side-by-side with paper 1's published values (l1ot.paper1.reference)
# --------------------------------------------------------------------------
_METRIC_ROWS = (("AUC", "auc"), ("1/εb (εs=0.3)", "inv_eb_at_0p3"), ("SI (εs=0.3)", "si_at_0p3"),
                ("max F1 (εs)", "max_f1"), ("max SI (εs)", "max_si"))


def _cell(v):
    from ..evaluation.tables import fmt_pm

    return fmt_pm(v)


def comparison_table(rows: dict, signals=None) -> str:
    """Markdown: for each method, our values next to paper 1's (Tables 1 and 3)."""
    from ..evaluation.evaluate import SIGNAL_LABELS, SIGNALS
    from . import reference

    paper = reference.values()

    signals = signals or list(SIGNALS)
    out = []
    for m, res in rows.items():
        if m.startswith("_") or not res:
            continue
        base = max((n for n in METHOD_NAMES if m.startswith(n)), key=len, default=m)
        ref = paper.get(base, {})
        note = " (LinW2)" if "_linw2" in m[len(base):] else ""
        out.append(f"### {METHOD_LABELS.get(base, base)}{note} — `{m}`\n")
        out.append("| metric | signal | l1ot (bundled sample) | paper 1 |")
        out.append("|---|---|---|---|")
        for label, key in _METRIC_ROWS:
            for sig in signals:
                ours = res.get(sig, {}).get(key)
                theirs = ref.get(sig, {}).get(key)
                if ours is None and theirs is None:
                    continue
                out.append(f"| {label} | {SIGNAL_LABELS.get(sig, sig)} | {_cell(ours)} | {_cell(theirs)} |")
        out.append("")
    return "\n".join(out)
