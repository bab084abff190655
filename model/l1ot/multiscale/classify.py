"""kNN on precomputed event distances, k chosen on validation (paper 2 §III), and single-observable AUCs.

Folds: the events are split into ``n_folds`` stratified folds (scikit-learn
``StratifiedKFold``, shuffled with ``seed``). In fold ``f`` the test set is fold
``f``, the validation set fold ``f + 1`` and the training set the other folds
(60 / 20 / 20 % for five folds). k runs over :data:`K_GRID` (10 to 200 in steps
of 10, as the paper, capped at the training-set size); the k with the best
validation AUC is used on the test set. The score of an event is the fraction of
signal among its k nearest training events (``predict_proba``).
"""
from __future__ import annotations

import numpy as np

K_GRID = tuple(range(10, 201, 10))
N_FOLDS = 5


def folds(y, n_folds: int = N_FOLDS, seed: int = 0):
    """List of (train, val, test) index arrays."""
    from sklearn.model_selection import StratifiedKFold

    y = np.asarray(y)
    parts = [te for _, te in StratifiedKFold(n_folds, shuffle=True, random_state=seed).split(np.zeros(len(y)), y)]
    out = []
    for f in range(n_folds):
        te, va = parts[f], parts[(f + 1) % n_folds]
        tr = np.concatenate([parts[g] for g in range(n_folds) if g not in (f, (f + 1) % n_folds)])
        out.append((np.sort(tr), np.sort(va), np.sort(te)))
    return out


def _knn_auc(d, y, tr, ev, k):
    from sklearn.metrics import roc_auc_score
    from sklearn.neighbors import KNeighborsClassifier

    clf = KNeighborsClassifier(n_neighbors=k, metric="precomputed").fit(d[np.ix_(tr, tr)], y[tr])
    p = clf.predict_proba(d[np.ix_(ev, tr)])[:, list(clf.classes_).index(1)]
    return roc_auc_score(y[ev], p)


def knn_auc(d, y, splits, k_grid=K_GRID) -> dict:
    """Test AUC of kNN on distance matrix ``d`` (N, N) with labels ``y`` (N,) in {0, 1}.

    Returns ``{"auc": mean, "std": std over folds, "aucs": per fold, "k": chosen k per fold,
    "val_auc": mean validation AUC at the chosen k}``.
    """
    d = np.asanyarray(d, dtype=np.float64)   # (any ndarray subclass kept: tests record the blocks read)
    y = np.asarray(y)
    aucs, ks, vals = [], [], []
    for tr, va, te in splits:
        grid = [k for k in k_grid if k <= len(tr)] or [len(tr)]
        val = [_knn_auc(d, y, tr, va, k) for k in grid]
        k = grid[int(np.argmax(val))]
        ks.append(int(k))
        vals.append(float(np.max(val)))
        aucs.append(float(_knn_auc(d, y, tr, te, k)))
    return {"auc": float(np.mean(aucs)), "std": float(np.std(aucs)), "aucs": aucs, "k": ks,
            "val_auc": float(np.mean(vals))}


def observable_auc(x, y, splits) -> dict:
    """Test AUC of a cut on one observable ``x`` (N,); its direction is chosen on the validation fold."""
    from sklearn.metrics import roc_auc_score

    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y)
    aucs = []
    for tr, va, te in splits:
        sign = 1.0 if roc_auc_score(y[va], x[va]) >= 0.5 else -1.0
        aucs.append(float(roc_auc_score(y[te], sign * x[te])))
    return {"auc": float(np.mean(aucs)), "std": float(np.std(aucs)), "aucs": aucs}
