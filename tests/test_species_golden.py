"""Golden categories of the species transport: ties inside a species block, empty blocks.

The properties are read back from the packed words with ``fixed.unpack_words`` and
compared with the block layout written out by hand here (MET 0, e/gamma 1-4, muons
5-8, jets 9-18: the ADC2021 slot order), not with the network file the generator reads.
"""
from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from l1ot.export import species
from l1ot.kernel import fixed

SPECIES_CFG = Path(species.__file__).resolve().parents[1] / "kernel" / "configs" / "kernel_species.json"
BLOCKS = [[0], [1, 2, 3, 4], [5, 6, 7, 8], list(range(9, 19))]


def _events(tag):
    cfg = fixed.KernelConfig.load(SPECIES_CFG)
    assert [list(b) for b in cfg.network.blocks] == BLOCKS
    out = dict((t, w) for w, t in species.species_events(cfg, cfg.network.blocks, np.random.default_rng(3)))
    pt, _eta, _phi = fixed.unpack_words(out[tag], cfg)
    return pt


def test_species_ties_tie_inside_blocks():
    pt = _events("species_ties")
    n_block_tie = n_cross = 0
    for ev in pt:
        # some block holds two equal nonzero pT (the order is left to the slot tag)
        if any(len(v) > len(set(v)) for v in ([p for p in ev[b] if p > 0] for b in BLOCKS)):
            n_block_tie += 1
        # a pT value shared by two different blocks
        vals = [set(p for p in ev[b] if p > 0) for b in BLOCKS]
        if any(vals[i] & vals[j] for i, j in itertools.combinations(range(4), 2)):
            n_cross += 1
    assert n_block_tie >= 0.9 * len(pt)
    assert n_cross >= 0.5 * len(pt)


def test_species_empty_covers_every_pattern_of_empty_blocks():
    pt = _events("species_empty")
    seen = set()
    for ev in pt:
        empty = tuple(bool((ev[b] == 0).all()) for b in BLOCKS)
        assert any(empty), "an event of species_empty has no empty block"
        seen.add(empty)
    want = {e for e in itertools.product((False, True), repeat=4) if any(e)}
    assert seen == want


def test_species_categories_fit_the_run3_pt_type():
    """Under the Run-3 species preset (9-bit pT, top 511) the species categories still pack:
    every pT inside the type, ties inside blocks still there (the shared values are clipped
    to the type, not dropped)."""
    cfg = fixed.KernelConfig.load(SPECIES_CFG.parent / "kernel_run3_species.json")
    assert cfg.transport == "species" and cfg.raw_range["pt"][1] == 511
    out = dict((t, w) for w, t in species.species_events(cfg, cfg.network.blocks, np.random.default_rng(3)))
    for tag in ("species_ties", "species_empty"):
        pt, _e, _f = fixed.unpack_words(out[tag], cfg)
        assert pt.min() >= 0 and pt.max() <= 511, tag
    pt, _e, _f = fixed.unpack_words(out["species_ties"], cfg)
    jets = pt[:, 9:19]
    tied = [(row[row > 0] == row[row > 0][0]).all() for row in jets[: len(jets) // 2] if (row > 0).sum() > 1]
    assert tied and all(tied)
    assert (pt == 511).any()
