"""Optimal transport between jets: exact W2 (POT) and the LinW2 tangent embedding (paper 2 eqs. 1-3).

A jet is a discrete distribution: points ``x`` (n, 2) in the (y, phi) plane
(offsets from its axis, i.e. the jet translated to the origin, J-tilde of eq. 5)
with weights ``w`` (n,) summing to 1 (pT fractions).

* :func:`w2sq` -- exact squared W2 with ``ot.emd2`` and the squared Euclidean cost.
* :func:`reference` -- the reference jet of the tangent embedding: ``k`` equal-weight
  points on a sunflower (Vogel) spiral filling the disc of radius ``radius``.
* :func:`embed` -- eq. 2: the barycentric projection of the optimal plan from the
  reference to each jet, ``T(r_k) = sum_i pi_ki x_i / m_k``, stored as
  ``sqrt(m_k) T(r_k)`` so that the LinW2 distance of eq. 3 is the Euclidean
  distance between embeddings: ``LinW2^2(J, J') = sum_k m_k |T_J(r_k) - T_J'(r_k)|^2``.

Units: squared distances in (rapidity-azimuth units)^2.
"""
from __future__ import annotations

import numpy as np

#: points of the default reference jet
K_REF = 64


def cost(xa, xb):
    """Squared Euclidean cost matrix (na, nb) between point sets (na, 2) and (nb, 2)."""
    xa = np.asarray(xa, dtype=np.float64)
    xb = np.asarray(xb, dtype=np.float64)
    d = xa[:, None, :] - xb[None, :, :]
    return np.einsum("ijk,ijk->ij", d, d)


def w2sq(xa, wa, xb, wb) -> float:
    """Exact squared 2-Wasserstein distance between two jets (POT network simplex)."""
    import ot

    wa = np.asarray(wa, dtype=np.float64)
    wb = np.asarray(wb, dtype=np.float64)
    return float(max(ot.emd2(wa / wa.sum(), wb / wb.sum(), cost(xa, xb)), 0.0))


def reference(radius: float, k: int = K_REF):
    """Reference jet: (k, 2) points of a sunflower spiral on the disc of ``radius``, weights 1/k."""
    i = np.arange(k) + 0.5
    r = radius * np.sqrt(i / k)
    th = i * np.pi * (3.0 - np.sqrt(5.0))
    return np.column_stack([r * np.cos(th), r * np.sin(th)]), np.full(k, 1.0 / k)


def embed(jets, ref=None, radius: float = 0.8):
    """Tangent-space embeddings of jets at a reference jet (eq. 2).

    Parameters
    ----------
    jets : iterable of ``(x (n, 2), w (n,))`` (offsets from the axis, weights summing to 1).
    ref : ``(r (k, 2), m (k,))`` reference jet (default :func:`reference` ``(radius)``).

    Returns
    -------
    float64 (J, 2 k): ``sqrt(m_k) T(r_k)`` flattened; ``|e - e'|^2`` is LinW2^2.
    """
    import ot

    r, m = reference(radius) if ref is None else (np.asarray(ref[0], float), np.asarray(ref[1], float))
    out = []
    for x, w in jets:
        x = np.asarray(x, dtype=np.float64)
        w = np.asarray(w, dtype=np.float64)
        plan = ot.emd(m, w / w.sum(), cost(r, x))
        t = (plan @ x) / m[:, None]
        out.append((np.sqrt(m)[:, None] * t).ravel())
    return np.array(out).reshape(len(out), 2 * len(m))


def linw2sq(ea, eb) -> float:
    """LinW2^2 between two embeddings (eq. 3)."""
    d = np.asarray(ea) - np.asarray(eb)
    return float(d @ d)
