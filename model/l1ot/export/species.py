"""Golden categories of a network that sorts inside blocks (species transport)."""
from __future__ import annotations

import numpy as np

from ..kernel import fixed
from .vectors import random_raw

#: categories added when the config's sorting network sorts inside blocks (species transport)
SPECIES_CATEGORIES = ("species_ties", "species_empty")


def species_events(cfg, blocks, rng, n=200):
    """Words of the species categories (:data:`SPECIES_CATEGORIES`) for a network that
    sorts inside ``blocks`` (lists of slots).

    ``species_ties``: inside every block all occupied slots share one pT (a value per
    block, often the same value in several blocks), angles random, so the order inside
    a block is decided by the slot tag alone; half the events also tie two slots of one
    block with a slot of another. ``species_empty``: every nonempty subset of blocks
    left empty (each such pattern at least once, the rest drawn at random), the other
    blocks filled at random, including the event with one block occupied only.

    Returns a list of (words uint64 (m, n_obj), tag).
    """
    pack = lambda p, e, f: fixed.pack_words(p, e, f, cfg)  # noqa: E731
    nb = len(blocks)
    top = cfg.raw_range["pt"][1]
    out = []
    p, e, f = random_raw(cfg, rng, n, fill=0.8, pt_max=8000)
    # shared pT values, never beyond the config's pT type (Run-3: 9 bits, top 511)
    vals = rng.choice(np.minimum([1, 2, 777, 4000, top], top), (n, nb))
    vals[: n // 4] = vals[: n // 4, :1]          # the same pT in every block
    for b, sl in enumerate(blocks):
        sl = list(sl)
        p[:, sl] = np.where(p[:, sl] > 0, vals[:, b:b + 1], 0)
    half = np.arange(n // 2, n)
    for i in half:                               # two slots of one block tie with a slot of another
        b1, b2 = rng.choice(nb, 2, replace=False)
        s1 = list(blocks[b1])
        s2 = list(blocks[b2])
        v = int(rng.integers(1, min(3000, top)))
        for s in rng.choice(s1, min(2, len(s1)), replace=False):
            p[i, s] = v
        p[i, int(rng.choice(s2))] = v
    out.append((pack(p, e, f), "species_ties"))
    masks = [m for m in range(1, 1 << nb)]
    m_all = np.array(masks + list(rng.choice(masks, max(0, n - len(masks)))))
    p, e, f = random_raw(cfg, rng, len(m_all), fill=0.7, pt_max=8000)
    for b, sl in enumerate(blocks):
        sl = list(sl)
        empty = ((m_all >> b) & 1).astype(bool)
        p[:, sl[0]] = np.maximum(p[:, sl[0]], 1)   # a block left nonempty holds an object
        for s in sl:
            p[empty, s] = 0
            e[empty, s] = 0
            f[empty, s] = 0
    out.append((pack(p, e, f), "species_empty"))
    return out
