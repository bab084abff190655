"""Events as distributions on the manifold of jets (paper 2 §II.2): clustering and preprocessing.

Coordinates are ``(y, phi)``: rapidity (massless constituents, so y = eta) and
azimuth in radians. Distances on the collider cylinder wrap the azimuth
difference to (-pi, pi].

Preprocessing of one event (:func:`preprocess`):

1. **CM boost along z.** The event is boosted to the frame where the total
   four-momentum of its constituents has zero rapidity: for massless particles a
   z boost shifts every rapidity by the same amount, so ``y -> y - Y_event`` with
   ``Y_event = 1/2 ln((E + pz) / (E - pz))`` of the summed four-momentum. This is
   the only y translation we make (the paper's text fixes the event's CM at y = 0);
   the hardest jet is *not* moved to y = 0.
2. **Clustering.** anti-kT with radius R (FastJet) of the given constituents;
   jets with pT below ``jet_pt_min`` (default :data:`JET_PT_MIN`) are dropped
   with their constituents.
3. **Azimuth.** All jets are translated together so that the axis of the hardest
   jet sits at phi = 0.
4. **Jet alignment** (``rotate=True``, the "CM+jet" scheme and the multi-scale
   representation): each jet is translated to its axis, the principal eigenvector
   of the pT-weighted moment tensor (eq. 4) ``M = sum_i pT_i x_i x_i^T`` is
   rotated onto the +y direction, the jet is reflected (phi -> -phi about its
   axis) so that more pT lies in the upper half (phi > 0), and -- our addition,
   removing the remaining sign of the principal axis -- reflected (y -> -y) so
   that more pT lies at y > 0. It is then translated back to its axis.

Without step 4 the event is in the "CM" scheme.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: reclustered jets softer than this (GeV) are dropped with their constituents
JET_PT_MIN = 10.0


def wrap(phi):
    """Azimuth (difference) wrapped to (-pi, pi]."""
    return np.pi - np.mod(np.pi - np.asarray(phi, dtype=np.float64), 2.0 * np.pi)


def cluster(pt, y, phi, radius: float, pt_min: float = 0.0):
    """anti-kT jets of massless particles, hardest first.

    Parameters
    ----------
    pt, y, phi : (n,) arrays, GeV / rapidity / rad.
    radius : anti-kT R.

    Returns
    -------
    list of ``(pT, y, phi, constituent indices)`` of the jets with pT >= pt_min,
    by decreasing pT (jet axis = E-scheme four-momentum sum).
    """
    import fastjet

    pjs = []
    for i, (a, b, c) in enumerate(zip(np.asarray(pt, float), np.asarray(y, float), np.asarray(phi, float))):
        p = fastjet.PtYPhiM(float(a), float(b), float(c), 0.0)
        p.set_user_index(i)
        pjs.append(p)
    if not pjs:
        return []
    cs = fastjet.ClusterSequence(pjs, fastjet.JetDefinition(fastjet.antikt_algorithm, float(radius)))
    jets = fastjet.sorted_by_pt(cs.inclusive_jets(float(pt_min)))
    return [(j.pt(), j.rap(), j.phi_std(), np.array(sorted(c.user_index() for c in j.constituents())))
            for j in jets]


def event_rapidity(pt, y):
    """Rapidity of the summed four-momentum of massless particles (pT, y)."""
    e = np.sum(pt * np.cosh(y))
    pz = np.sum(pt * np.sinh(y))
    return 0.5 * np.log((e + pz) / (e - pz))


def align(x, w):
    """Align one jet (paper 2 eq. 4 and the reflections of the module docstring).

    Parameters
    ----------
    x : (n, 2) constituent offsets from the jet axis (dy, dphi).
    w : (n,) pT weights (any normalisation).

    Returns
    -------
    (n, 2) rotated and reflected offsets.
    """
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    if len(x) < 2:
        return x.copy()
    m = (x * w[:, None]).T @ x
    vals, vecs = np.linalg.eigh(m)
    v = vecs[:, np.argmax(vals)]
    # rotation taking v onto +y (first coordinate)
    c, s = v[0], v[1]
    r = np.array([[c, s], [-s, c]])
    out = x @ r.T
    if np.sum(w[out[:, 1] > 0]) < np.sum(w[out[:, 1] < 0]):
        out[:, 1] = -out[:, 1]
    if np.sum(w[out[:, 0] > 0]) < np.sum(w[out[:, 0] < 0]):
        out[:, 0] = -out[:, 0]
    return out


@dataclass
class Event:
    """One preprocessed event.

    Attributes
    ----------
    jet_pt : (J,) jet pT/GeV, decreasing.
    axes : (J, 2) jet axes (y, phi) after the CM boost and the phi translation.
    offsets : list of J arrays (n_j, 2): constituents relative to their axis
        (aligned if the event was preprocessed with ``rotate=True``).
    weights : list of J arrays (n_j,): constituent pT / jet pT-sum (each sums to 1).
    pt : list of J arrays (n_j,): constituent pT/GeV.
    """
    jet_pt: np.ndarray
    axes: np.ndarray
    offsets: list
    weights: list
    pt: list

    @property
    def n_jets(self) -> int:
        return len(self.jet_pt)

    def points(self):
        """Single-scale view: (P, 2) absolute (y, phi) of every constituent and (P,) weights summing to 1."""
        x = np.concatenate([self.axes[j] + self.offsets[j] for j in range(self.n_jets)])
        pt = np.concatenate(self.pt)
        x[:, 1] = wrap(x[:, 1])
        return x, pt / pt.sum()


def preprocess(particles, radius: float, rotate: bool = True, jet_pt_min: float = JET_PT_MIN) -> Event:
    """Preprocess one event (module docstring).

    Parameters
    ----------
    particles : (n, >=3) array, columns pT/GeV, y, phi (further columns ignored).
    radius : anti-kT radius for (re)clustering.
    rotate : align each jet ("CM+jet" / multi-scale) or not ("CM").
    """
    p = np.asarray(particles, dtype=np.float64)
    pt, y, phi = p[:, 0], p[:, 1], p[:, 2]
    y = y - event_rapidity(pt, y)
    jets = cluster(pt, y, phi, radius, jet_pt_min)
    if not jets:
        raise ValueError("no jet above the pT threshold")
    phi0 = jets[0][2]
    axes = np.array([[j[1], wrap(j[2] - phi0)] for j in jets])
    offs, ws, pts = [], [], []
    for k, j in enumerate(jets):
        idx = j[3]
        d = np.column_stack([y[idx] - j[1], wrap(phi[idx] - j[2])])
        w = pt[idx]
        if rotate:
            d = align(d, w)
        offs.append(d)
        ws.append(w / w.sum())
        pts.append(w)
    return Event(np.array([j[0] for j in jets]), axes, offs, ws, pts)


def thrust(pt, phi) -> float:
    """Transverse thrust T = max_n sum_i |pT_i . n| / sum_i pT_i (paper 2 eq. 8), exactly.

    The maximum over unit vectors n is reached for n parallel to
    ``sum_{S} p_i - sum_{not S} p_i`` with S a half-plane of directions; all
    half-planes bounded next to a particle direction are tried.
    """
    pt = np.asarray(pt, dtype=np.float64)
    phi = np.asarray(phi, dtype=np.float64)
    v = np.column_stack([pt * np.cos(phi), pt * np.sin(phi)])
    # the sign pattern of p_i . n changes where n is perpendicular to some p_i: one n on
    # each side of every such direction visits every pattern
    eps = 1e-9
    cand = np.concatenate([phi + np.pi / 2 + eps, phi + np.pi / 2 - eps])
    n = np.column_stack([np.cos(cand), np.sin(cand)])
    sign = np.sign(n @ v.T)  # (C, n)
    s = sign @ v  # (C, 2)
    return float(np.max(np.hypot(s[:, 0], s[:, 1])) / pt.sum())


def tau_thrust(pt, phi) -> float:
    """Rescaled transverse thrust (paper 2 eq. 9): (1 - T) / (1 - 2/pi), 0 collinear, 1 isotropic."""
    return (1.0 - thrust(pt, phi)) / (1.0 - 2.0 / np.pi)
