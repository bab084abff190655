"""Linearized 2-Wasserstein (LinW2) embedding, k-medoids training and scoring.

Paper 2 (Cai, Craig, Craig, Lin), eqs. 2-3, with uniform weights: given a
reference measure R of 19 points ``r_i`` with weights 1/19, the optimal plan
from an event E (19 points, weights 1/19) to R is a permutation ``sigma``; the
embedding is ``T_E = (x_sigma(1), ..., x_sigma(19))`` (19, 3), the event's
points listed in the order matched to R, and

    LinW2(E, E') = sqrt( (1/19) sum_i |T_E(r_i) - T_E'(r_i)|^2 ).

Transports (``transport=``):

* ``"exact"``   -- the plan from POT ``ot.emd`` to any reference;
* ``"sorted"``  -- sort by pT descending, ties to the lower slot. Exact for any
  reference on the pT axis (eta = phi = 0, strictly decreasing pT): the cost
  ``sum_i |x_sigma(i) - r_i|^2 = sum|x|^2 + sum|r|^2 - 2 sum_i pT_sigma(i) r_i``
  and, by the rearrangement inequality, ``sum_i pT_sigma(i) r_i`` is maximal
  when the largest pT meets the largest ``r_i``; see ``docs/linot.md``;
* ``"species"`` -- sort within the MET / e-gamma / muon / jet blocks: the
  multi-species variant (objects only move to reference points of their own
  species), proposed in paper 1 §5.

The anomaly score is ``min_m LinW2(T, M_m)`` over k medoids ``M_m`` of the SM
background, computed as ``|a|^2 - 2 a.b + |b|^2`` with BLAS.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field

import numpy as np

from .. import __version__
from ..io.data import BLOCKS, N_SLOTS
from ..errors import ModelError
from .spaces import axis_weights, coordinates

TRANSPORTS = ("sorted", "species", "exact")
MODEL_FORMAT = "l1ot-model-v1"
#: minimum gap (GeV) between consecutive reference pT values
REF_GAP = 1e-3


# --------------------------------------------------------------------------
# permutations
# --------------------------------------------------------------------------
def sort_permutation(pt: np.ndarray) -> np.ndarray:
    """Slot order sorting pT descending, ties to the lower slot: int (N, 19)."""
    return np.argsort(-np.asarray(pt, dtype=np.float64), axis=1, kind="stable")


def species_permutation(pt: np.ndarray) -> np.ndarray:
    """Slot order sorting pT descending within each species block: int (N, 19)."""
    pt = np.asarray(pt, dtype=np.float64)
    perm = np.empty(pt.shape, dtype=np.int64)
    for _, a, b in BLOCKS:
        perm[:, a:b] = a + np.argsort(-pt[:, a:b], axis=1, kind="stable")
    return perm


def exact_permutation(x: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Optimal-plan permutation from POT ``ot.emd`` to ``reference``.

    x : (N, 19, d) event points; reference : (19, d). Returns int (N, 19) with
    ``perm[n, i]`` the event slot transported to reference point ``i``.
    """
    import ot

    n = reference.shape[0]
    u = np.full(n, 1.0 / n)
    perm = np.empty(x.shape[:2], dtype=np.int64)
    for k in range(x.shape[0]):
        c = ot.dist(reference, x[k])  # (19 ref, 19 event), squared Euclidean
        g = ot.emd(u, u, c)
        perm[k] = np.argmax(g, axis=1)
    return perm


# --------------------------------------------------------------------------
# references
# --------------------------------------------------------------------------
def pt_axis_reference(particles: np.ndarray, transport: str = "sorted", weights=None) -> np.ndarray:
    """Default reference on the pT axis built from training background.

    Mean of the descending-sorted pT per rank (per rank within each block for
    ``species``), forced strictly decreasing (within blocks) by at least
    ``REF_GAP`` GeV, with eta = phi = 0. Returns float64 (19, 3) in weighted
    coordinates.
    """
    x = coordinates(particles, "3d", weights)
    perm = species_permutation(x[..., 0]) if transport == "species" else sort_permutation(x[..., 0])
    pt_sorted = np.take_along_axis(x[..., 0], perm, axis=1)
    mean = pt_sorted.mean(axis=0)
    blocks = [(a, b) for _, a, b in BLOCKS] if transport == "species" else [(0, N_SLOTS)]
    r = mean.copy()
    for a, b in blocks:
        for i in range(b - 2, a - 1, -1):  # strictly decreasing from the bottom up
            r[i] = max(r[i], r[i + 1] + REF_GAP)
    ref = np.zeros((N_SLOTS, 3))
    ref[:, 0] = r
    return ref


def barycenter_reference(particles: np.ndarray, weights=None, n_iter: int = 50, seed: int = 0) -> np.ndarray:
    """Free-support W2 barycenter of events (POT), a general (off-axis) reference.

    particles : (M, 19, 4) training events (a few hundred suffice). Returns
    float64 (19, 3) in weighted coordinates, for use with ``transport="exact"``.
    """
    import ot

    x = coordinates(particles, "3d", weights)
    u = np.full(N_SLOTS, 1.0 / N_SLOTS)
    rng = np.random.default_rng(seed)
    init = x[rng.integers(x.shape[0])].copy()
    return ot.lp.free_support_barycenter(list(x), [u] * x.shape[0], init, numItermax=n_iter)


# --------------------------------------------------------------------------
# embedding and distances
# --------------------------------------------------------------------------
def embed(particles: np.ndarray, transport: str = "sorted", reference: np.ndarray | None = None,
          weights=None) -> np.ndarray:
    """LinW2 embedding ``T_E`` of events.

    Parameters
    ----------
    particles : (N, 19, 4) ADC2021 events.
    transport : "sorted", "species" or "exact".
    reference : (19, 3); required for "exact" (the sort transports do not
        depend on the reference values, only on its being on the pT axis).
    weights : axis weights of (pT, eta, phi).

    Returns
    -------
    float64 (N, 19, 3): event points in reference order (weighted coordinates).
    """
    x = coordinates(particles, "3d", weights)
    if transport == "sorted":
        perm = sort_permutation(x[..., 0])
    elif transport == "species":
        perm = species_permutation(x[..., 0])
    elif transport == "exact":
        if reference is None:
            raise ValueError("transport 'exact' needs a reference (19, 3)")
        perm = exact_permutation(x, np.asarray(reference, dtype=np.float64))
    else:
        raise ValueError(f"unknown transport {transport!r}; choose one of {TRANSPORTS}")
    return gather(x, perm)


def gather(x: np.ndarray, perm: np.ndarray) -> np.ndarray:
    """``x[n, perm[n, i]]`` for (N, 19, d) points and (N, 19) permutations (flat fancy index)."""
    n, s, d = x.shape
    flat = (perm + s * np.arange(n)[:, None]).ravel()
    return x.reshape(-1, d)[flat].reshape(n, s, d)


def nearest(t: np.ndarray, medoids: np.ndarray):
    """Nearest medoid of each embedding, BLAS form ``|a|^2 - 2 a.b + |b|^2``.

    t : (N, 19, 3) embeddings; medoids : (K, 19, 3). Returns squared LinW2
    (N,) (clipped at 0) and the argmin (N,) (lowest index on ties).
    """
    b = medoids.reshape(medoids.shape[0], -1)
    return _nearest_rows(t.reshape(t.shape[0], -1), np.ascontiguousarray(-2.0 * b.T),
                         np.einsum("ij,ij->i", b, b))


def _nearest_rows(a: np.ndarray, bm2t: np.ndarray, bb: np.ndarray):
    """:func:`nearest` on flat rows a (N, D), with the medoid terms ``-2 B^T`` (D, K) and
    ``|b|^2`` (K,) computed once by the caller. Returns squared LinW2 (N,) and argmin (N,)."""
    d = a @ bm2t
    d += bb
    idx = np.argmin(d, axis=1)
    dmin = np.take_along_axis(d, idx[:, None], axis=1)[:, 0] + np.einsum("ij,ij->i", a, a)
    return np.maximum(dmin, 0.0) / N_SLOTS, idx


def linw2_sq_matrix(ta: np.ndarray, tb: np.ndarray) -> np.ndarray:
    """Squared LinW2 between embeddings: (N,19,3) x (M,19,3) -> (N, M)."""
    a = ta.reshape(ta.shape[0], -1)
    b = tb.reshape(tb.shape[0], -1)
    d2 = (a * a).sum(1)[:, None] - 2.0 * (a @ b.T) + (b * b).sum(1)[None, :]
    return np.maximum(d2, 0.0) / N_SLOTS


def linw2(ta: np.ndarray, tb: np.ndarray) -> np.ndarray:
    """LinW2 distance matrix between embeddings (ground units, GeV-equivalent)."""
    return np.sqrt(linw2_sq_matrix(ta, tb))


def transport_cost(particles: np.ndarray, perm: np.ndarray, reference: np.ndarray, weights=None) -> np.ndarray:
    """Cost ``(1/19) sum_i |x_perm(i) - r_i|^2`` of a permutation plan, (N,)."""
    x = coordinates(particles, "3d", weights)
    t = gather(x, perm)
    return ((t - reference[None]) ** 2).sum(axis=(1, 2)) / N_SLOTS


# --------------------------------------------------------------------------
# model
# --------------------------------------------------------------------------
@dataclass
class LinModel:
    """A trained LinW2 k-medoids model (file format: ``docs/model_file.md``)."""

    reference: np.ndarray
    transport: str
    medoid_events: np.ndarray
    medoid_embeddings: np.ndarray
    medoid_train_index: np.ndarray
    axis_weights: np.ndarray = field(default_factory=lambda: np.ones(3))
    meta: dict = field(default_factory=dict)
    threshold: int | None = None
    path: str | None = None

    @property
    def k(self) -> int:
        return int(self.medoid_events.shape[0])

    def embed(self, particles: np.ndarray) -> np.ndarray:
        return embed(particles, self.transport, self.reference, self.axis_weights)

    def score(self, particles: np.ndarray, return_index: bool = False, chunk: int = 4096):
        """min over medoids of LinW2 (GeV-equivalent), and the argmin (lowest on ties).

        Works in blocks of ``chunk`` events so that the intermediates stay in cache.
        """
        n = particles.shape[0]
        s = np.empty(n)
        idx = np.empty(n, dtype=np.int64)
        if self.transport == "exact":
            b = self.medoid_embeddings.reshape(self.k, -1)
        else:  # axis-major rows [pT_0..18, eta_0..18, phi_0..18], see below
            b = self.medoid_embeddings.transpose(0, 2, 1).reshape(self.k, -1)
        bm2t = np.ascontiguousarray(-2.0 * b.T)   # medoid terms, once per call
        bb = np.einsum("ij,ij->i", b, b)
        if self.transport == "exact":
            for a in range(0, n, chunk):
                t = self.embed(particles[a:a + chunk])
                d2, i = _nearest_rows(t.reshape(t.shape[0], -1), bm2t, bb)
                s[a:a + chunk], idx[a:a + chunk] = np.sqrt(d2), i
            return (s, idx) if return_index else s
        # sort transports: gather straight into axis-major rows (the medoid embeddings are
        # permuted alike; the distance does not depend on the order of the coordinates)
        sw = np.sqrt(axis_weights("3d", self.axis_weights))
        p = np.asarray(particles)
        perm_fn = sort_permutation if self.transport == "sorted" else species_permutation
        for a in range(0, n, chunk):
            pc = p[a:a + chunk]
            m = pc.shape[0]
            flat = (perm_fn(pc[..., 0]) + N_SLOTS * np.arange(m)[:, None]).ravel()
            t = np.empty((m, 3 * N_SLOTS))
            for c in range(3):
                col = np.ascontiguousarray(pc[..., c], dtype=np.float64).ravel()
                t[:, c * N_SLOTS:(c + 1) * N_SLOTS] = col[flat].reshape(m, N_SLOTS)
                if sw[c] != 1.0:
                    t[:, c * N_SLOTS:(c + 1) * N_SLOTS] *= sw[c]
            d2, i = _nearest_rows(t, bm2t, bb)
            s[a:a + chunk], idx[a:a + chunk] = np.sqrt(d2), i
        return (s, idx) if return_index else s

    def save(self, path) -> None:
        import h5py

        path = os.fspath(path)
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with h5py.File(path, "w") as f:
            f.create_dataset("reference", data=self.reference)
            f.create_dataset("medoid_events", data=np.asarray(self.medoid_events, dtype=np.float32))
            f.create_dataset("medoid_embeddings", data=self.medoid_embeddings)
            f.create_dataset("medoid_train_index", data=np.asarray(self.medoid_train_index, dtype=np.int64))
            f.attrs["format"] = MODEL_FORMAT
            f.attrs["transport"] = self.transport
            f.attrs["axis_weights"] = np.asarray(self.axis_weights, dtype=np.float64)
            for k, v in self.meta.items():
                f.attrs[k] = v
            if self.threshold is not None:
                f.attrs["threshold"] = int(self.threshold)
        self.path = path

    @classmethod
    def load(cls, path) -> "LinModel":
        """Read and validate a model file (``docs/model_file.md``; checks in ``docs/errors.md``).

        Every problem raises :class:`~l1ot.errors.ModelError` (or a
        :class:`~l1ot.errors.DataError` for a bad medoid event) naming the file as
        given, and the dataset or attribute: format, datasets present and
        numeric, shapes consistent with K >= 1 medoids, values finite, medoid
        events valid ADC2021 rows, transport known, axis weights 3 finite
        numbers > 0, training indices and threshold non-negative integers.
        """
        import h5py

        path = os.fspath(path)
        where = f"model file {path}"
        if not os.path.exists(path):
            raise ModelError(f"{where} not found (train one with `l1ot train`)")
        if os.path.isdir(path):
            raise ModelError(f"{where} is a folder, not a file")
        try:
            f = h5py.File(path, "r")
        except OSError as exc:
            raise ModelError(f"{where}: cannot open as HDF5 ({exc})") from None
        try:
            with f:
                return cls._read(f, path, where)
        except (OSError, KeyError, TypeError) as exc:  # unreadable dataset, odd attribute type
            raise ModelError(f"{where}: cannot read ({type(exc).__name__}: {exc})") from None

    @classmethod
    def _read(cls, f, path, where) -> "LinModel":
        from ..io import data as l1data

        def text(v):
            return v.decode() if isinstance(v, bytes) else v

        fmt = text(f.attrs.get("format"))
        if fmt != MODEL_FORMAT:
            raise ModelError(f"{where}: attribute 'format' is {fmt!r}, expected {MODEL_FORMAT!r}")
        arrays = {}
        for name in ("reference", "medoid_events", "medoid_embeddings", "medoid_train_index"):
            if name not in f:
                raise ModelError(f"{where}: dataset '{name}' missing")
            if not hasattr(f[name], "shape"):
                raise ModelError(f"{where}: '{name}' is a group, not a dataset")
            a = f[name][()]
            if not isinstance(a, np.ndarray) or a.dtype.kind not in "fiu":
                raise ModelError(f"{where}: dataset '{name}' must be numeric, got {getattr(a, 'dtype', type(a))}")
            arrays[name] = a
        ref, ev, emb, tidx = (arrays[n] for n in ("reference", "medoid_events", "medoid_embeddings",
                                                   "medoid_train_index"))
        if ev.ndim != 3 or ev.shape[1:] != (N_SLOTS, 4):
            raise ModelError(f"{where}: dataset 'medoid_events' must have shape (K, {N_SLOTS}, 4), got {ev.shape}")
        k = ev.shape[0]
        if k < 1:
            raise ModelError(f"{where}: dataset 'medoid_events' holds no medoids (K = 0); a model needs K >= 1")
        for name, a, shape in (("reference", ref, (N_SLOTS, 3)), ("medoid_embeddings", emb, (k, N_SLOTS, 3)),
                               ("medoid_train_index", tidx, (k,))):
            if a.shape != shape:
                raise ModelError(f"{where}: dataset '{name}' has shape {a.shape}, expected {shape} "
                                 f"(K = {k} medoid events)")
        for name, a in (("reference", ref), ("medoid_embeddings", emb)):
            bad = np.argwhere(~np.isfinite(a))
            if len(bad):
                raise ModelError(f"{where}: dataset '{name}' has a non-finite value at index "
                                 f"{tuple(int(i) for i in bad[0])}")
        l1data.validate(ev, source=path, dataset="medoid_events")   # finite, ranges, class ids
        if tidx.dtype.kind not in "iu" or (tidx < 0).any():
            raise ModelError(f"{where}: dataset 'medoid_train_index' must hold integers >= 0")
        transport = text(f.attrs.get("transport"))
        if transport not in TRANSPORTS:
            raise ModelError(f"{where}: attribute 'transport' is {transport!r}, expected one of "
                             f"{', '.join(TRANSPORTS)}")
        w = np.asarray(f.attrs.get("axis_weights", np.ones(3)))
        if (w.shape != (3,) or w.dtype.kind not in "fiu" or not np.isfinite(w).all()
                or not (w > 0).all()):
            raise ModelError(f"{where}: attribute 'axis_weights' must be 3 finite numbers > 0, "
                             f"got {w.tolist() if isinstance(w, np.ndarray) else w!r}")
        if transport != "exact":  # the sort transports: embeddings follow from the events
            again = embed(ev, transport, ref, w)
            off = np.argwhere(~np.isclose(again, emb, rtol=1e-9, atol=1e-9))
            if len(off):
                raise ModelError(f"{where}: dataset 'medoid_embeddings' does not match 'medoid_events' "
                                 f"(first at medoid {int(off[0][0])}, rank {int(off[0][1])})")
        thr = f.attrs.get("threshold")
        if thr is not None:
            t = np.asarray(thr)
            if t.shape != () or t.dtype.kind not in "iu" or int(t) < 0:
                raise ModelError(f"{where}: attribute 'threshold' must be an integer >= 0, got "
                                 f"{t.tolist() if isinstance(t, np.ndarray) else thr!r}")
        meta = {k_: text(v) for k_, v in f.attrs.items()
                if k_ not in ("format", "transport", "axis_weights", "threshold")}
        return cls(reference=ref, transport=transport, medoid_events=ev, medoid_embeddings=emb,
                   medoid_train_index=tidx, axis_weights=w.astype(np.float64), meta=meta,
                   threshold=None if thr is None else int(thr), path=path)


def file_sha256(path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for blk in iter(lambda: f.read(chunk), b""):
            h.update(blk)
    return h.hexdigest()


def _versions() -> str:
    import kmedoids
    import ot

    return json.dumps({"l1ot": __version__, "numpy": np.__version__, "pot": ot.__version__,
                       "kmedoids": getattr(kmedoids, "__version__", "?")})


def kmedoids_indices(emb: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """FasterPAM k-medoids on LinW2 distances of embeddings (N,19,3); sorted medoid indices."""
    import kmedoids

    if k < 1 or k > emb.shape[0]:
        raise ValueError(f"k = {k} must be between 1 and the number of training events ({emb.shape[0]})")
    d = linw2(emb, emb)
    np.fill_diagonal(d, 0.0)
    res = kmedoids.fasterpam(d, k, init="build", random_state=seed, n_cpu=1)
    return np.sort(np.asarray(res.medoids, dtype=np.int64))


def train(particles: np.ndarray, k: int = 32, transport: str = "sorted", weights=None, seed: int = 0,
          reference: np.ndarray | None = None, provenance: dict | None = None) -> LinModel:
    """Train a LinW2 k-medoids model on background events.

    Parameters
    ----------
    particles : (N, 19, 4) training background (paper-style: real SM events).
    k : number of medoids; transport : "sorted", "species" or "exact".
    reference : optional (19, 3); default: :func:`pt_axis_reference` for the
        sort transports, :func:`barycenter_reference` for "exact".
    seed : FasterPAM seed; results are deterministic for a given seed.

    Returns
    -------
    LinModel whose medoids are real training events (``medoid_train_index``).
    """
    w = np.ones(3) if weights is None else np.asarray(weights, dtype=np.float64)
    if reference is None:
        if transport == "exact":
            reference = barycenter_reference(particles[: min(200, len(particles))], w, seed=seed)
        else:
            reference = pt_axis_reference(particles, transport, w)
    emb = embed(particles, transport, reference, w)
    med = kmedoids_indices(emb, k, seed)
    meta = {"k": int(k), "n_train": int(particles.shape[0]), "seed": int(seed), "versions": _versions()}
    meta.update(provenance or {})
    return LinModel(reference=np.asarray(reference, dtype=np.float64), transport=transport,
                    medoid_events=particles[med].astype(np.float32), medoid_embeddings=emb[med],
                    medoid_train_index=med, axis_weights=w, meta=meta)
