"""The toy example of paper 2 (§II.4, App. A): two three-jet events in the Euclidean plane.

Event 1: a circular jet (30 points), an equilateral triangle (40) and a square (50);
event 2: a rectangle (50), an ellipse (30) and an upside-down triangle (40), each
shape moved so that location and shape suggest different jet matchings. Every
jet has total mass 1/3 (its points 1/(3 n)); the event is uniform over its jets.
The positions and sizes lost from the seed text are ours (:data:`EVENT1`,
:data:`EVENT2`); both events have their centre of mass near the origin.

Multi-scale OT (eq. 5) uses the jets' centres of mass as ``c`` and exact W2
(POT) between the centred jets; the single-scale distance is exact W2 between
all 120 points of each event.
"""
from __future__ import annotations

import json

import numpy as np

#: (name, shape, n points, centre, size parameters)
EVENT1 = (
    ("circle", "disc", 30, (-3.0, -1.0), {"radius": 0.45}),
    ("triangle", "triangle", 40, (3.0, -1.0), {"height": 1.5}),
    ("square", "rectangle", 50, (0.0, 2.0), {"width": 2.0, "height": 2.0}),
)
EVENT2 = (
    ("rectangle", "rectangle", 50, (-2.7, -0.8), {"width": 2.2, "height": 1.8}),
    ("ellipse", "ellipse", 30, (3.1, -1.2), {"a": 0.5, "b": 0.4}),
    ("inverted triangle", "inverted_triangle", 40, (-0.3, 2.0), {"height": 1.5}),
)
#: the five (alpha, beta) pairs of the figure
PAIRS = ((1.0, 0.0), (0.1, 0.9), (0.01, 0.99), (0.001, 0.999), (0.0, 1.0))
SEED = 2


def _inside(shape, p, size):
    x, y = p[:, 0], p[:, 1]
    if shape == "disc":
        return x * x + y * y <= size["radius"] ** 2
    if shape == "ellipse":
        return (x / size["a"]) ** 2 + (y / size["b"]) ** 2 <= 1.0
    if shape == "rectangle":
        return (np.abs(x) <= size["width"] / 2) & (np.abs(y) <= size["height"] / 2)
    if shape in ("triangle", "inverted_triangle"):
        h = size["height"]
        if shape == "inverted_triangle":
            y = -y
        # centroid at the origin: base at y = -h/3, apex at y = 2h/3, half-width at height y
        half = (2 * h / 3 - y) / np.sqrt(3.0)
        return (y >= -h / 3) & (y <= 2 * h / 3) & (np.abs(x) <= half)
    raise ValueError(shape)


def sample_shape(shape, n, centre, size, rng):
    """``n`` points uniform in a shape centred at ``centre`` (rejection sampling)."""
    ext = 2.0 * max(size.values())
    pts = []
    while sum(len(p) for p in pts) < n:
        p = rng.uniform(-ext, ext, size=(4 * n, 2))
        pts.append(p[_inside(shape, p, size)])
    return np.concatenate(pts)[:n] + np.asarray(centre)


def events(seed: int = SEED):
    """The two toy events: lists of jets ``(name, points (n, 2), weights (n,))``."""
    rng = np.random.default_rng(seed)
    out = []
    for spec in (EVENT1, EVENT2):
        ev = []
        for name, shape, n, centre, size in spec:
            ev.append((name, sample_shape(shape, n, centre, size, rng), np.full(n, 1.0 / (3 * n))))
        out.append(ev)
    return out


def centre(x, w):
    return np.average(x, axis=0, weights=w)


def jet_cost(ev1, ev2, alpha, beta):
    """Eq. 5 between every pair of jets (3, 3): alpha |c - c'|^2 + beta W2^2(centred jets)."""
    from .jetot import w2sq

    c = np.zeros((len(ev1), len(ev2)))
    for i, (_, xa, wa) in enumerate(ev1):
        ca = centre(xa, wa)
        for j, (_, xb, wb) in enumerate(ev2):
            cb = centre(xb, wb)
            c[i, j] = alpha * np.sum((ca - cb) ** 2) + beta * w2sq(xa - ca, wa, xb - cb, wb)
    return c


def compute(seed: int = SEED, pairs=PAIRS) -> dict:
    """Distances and plans of the toy; the JSON-ready report (see ``reports/multiscale_toy.json``)."""
    import ot

    from .eventot import event_plan

    e1, e2 = events(seed)
    rep = {"label": "toy (paper 2 §II.4, App. A; our positions and sizes)", "seed": seed,
           "ground_space": "Euclidean plane", "jet_centre": "centre of mass",
           "jet_w2": "exact (ot.emd2)", "event_weights": "uniform over jets (1/3)",
           "events": [], "multiscale": [], "single_scale": {}}
    for spec, ev in ((EVENT1, e1), (EVENT2, e2)):
        rep["events"].append([{"name": name, "shape": s[1], "centre_nominal": list(s[3]), "size": s[4],
                               "points": x.round(12).tolist(), "weights": w.tolist()}
                              for (name, x, w), s in zip(ev, spec)])
    # recompute from the rounded points written to the JSON, so the JSON reproduces every number
    e1 = [(j["name"], np.array(j["points"]), np.array(j["weights"])) for j in rep["events"][0]]
    e2 = [(j["name"], np.array(j["points"]), np.array(j["weights"])) for j in rep["events"][1]]
    wa = np.array([w.sum() for _, _, w in e1])
    wb = np.array([w.sum() for _, _, w in e2])
    for alpha, beta in pairs:
        c = jet_cost(e1, e2, alpha, beta)
        plan = event_plan(c, wa, wb)
        rep["multiscale"].append({"alpha": alpha, "beta": beta, "distance": float(np.sqrt(max(np.sum(plan * c), 0))),
                                  "jet_cost": c.tolist(), "plan": plan.tolist(),
                                  "matching": {e1[i][0]: e2[int(np.argmax(plan[i]))][0] for i in range(3)}})
    xa = np.concatenate([x for _, x, _ in e1])
    xb = np.concatenate([x for _, x, _ in e2])
    pa = np.concatenate([w for _, _, w in e1])
    pb = np.concatenate([w for _, _, w in e2])
    from .jetot import cost

    plan = ot.emd(pa, pb, cost(xa, xb))
    d2 = float(np.sum(plan * cost(xa, xb)))
    # mass each jet of event 1 sends to each jet of event 2 under the single-scale plan
    ia = np.repeat(np.arange(3), [len(x) for _, x, _ in e1])
    ib = np.repeat(np.arange(3), [len(x) for _, x, _ in e2])
    jet_mass = np.zeros((3, 3))
    np.add.at(jet_mass, (ia[:, None].repeat(len(ib), 1), ib[None, :].repeat(len(ia), 0)), plan)
    rep["single_scale"] = {"distance": float(np.sqrt(d2)), "jet_to_jet_mass": jet_mass.tolist()}
    rep["_plan_points"] = plan  # for the figure; removed before writing
    return rep


def figure(rep: dict, out_base: str, paths: dict | None = None) -> list[str]:
    """Figure like paper 2 Fig. 2: five multi-scale plans (jet lines) and the single-scale plan."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..evaluation.figures import OKABE_ITO

    cols = [OKABE_ITO["blue"], OKABE_ITO["vermillion"], OKABE_ITO["green"]]
    fig, axs = plt.subplots(2, 3, figsize=(12, 8), sharex=True, sharey=True)
    ev = [[(j["name"], np.array(j["points"]), np.array(j["weights"])) for j in e] for e in rep["events"]]

    def draw_points(ax):
        for k, (name, x, w) in enumerate(ev[0]):
            ax.scatter(x[:, 0], x[:, 1], s=8, color=cols[k], marker="o", label=f"event 1: {name}")
        for k, (name, x, w) in enumerate(ev[1]):
            ax.scatter(x[:, 0], x[:, 1], s=10, facecolors="none", edgecolors=OKABE_ITO["black"],
                       linewidths=0.6, marker="s" if k == 0 else ("o" if k == 1 else "^"),
                       label=f"event 2: {name}")

    for p, ax in zip(rep["multiscale"], axs.ravel()[:5]):
        draw_points(ax)
        plan = np.array(p["plan"])
        for i in range(3):
            for j in range(3):
                if plan[i, j] > 1e-9:
                    ca = centre(ev[0][i][1], ev[0][i][2])
                    cb = centre(ev[1][j][1], ev[1][j][2])
                    ax.plot([ca[0], cb[0]], [ca[1], cb[1]], color=OKABE_ITO["orange"], lw=12 * plan[i, j])
        ax.set_title(f"multi-scale, (α, β) = ({p['alpha']:g}, {p['beta']:g})\nW2 = {p['distance']:.3f}",
                     fontsize=9)
    ax = axs.ravel()[5]
    draw_points(ax)
    plan = rep["_plan_points"]
    xa = np.concatenate([x for _, x, _ in ev[0]])
    xb = np.concatenate([x for _, x, _ in ev[1]])
    ii, jj = np.nonzero(plan > 1e-9)
    for i, j in zip(ii, jj):
        ax.plot([xa[i, 0], xb[j, 0]], [xa[i, 1], xb[j, 1]], color=OKABE_ITO["orange"], lw=0.4)
    ax.set_title(f"single-scale W2 = {rep['single_scale']['distance']:.3f}", fontsize=9)
    axs.ravel()[0].legend(fontsize=6, loc="upper left")
    for a in axs.ravel():
        a.set_aspect("equal")
    fig.suptitle("toy events (paper 2 App. A): multi-scale vs single-scale optimal transport plans (toy, not data)")
    fig.tight_layout()
    outs = []
    for ext in ("png", "pdf"):
        path = (paths or {}).get(ext, f"{out_base}.{ext}")
        fig.savefig(path, dpi=130, format=ext)
        outs.append(path)
    plt.close(fig)
    return outs


def to_json(rep: dict) -> str:
    r = {k: v for k, v in rep.items() if not k.startswith("_")}
    return json.dumps(r, indent=1)
