"""Score saturation at its boundary, constructed by hand (docs/kernel.md stage e).

Default precision: working pT = raw pT / 8 (LSB 1/32 GeV -> 1/4 GeV), eta = phi
= 0, one medoid at the origin, so D = sum of x_pt^2 is known exactly. With
score_bits = 6 and score_shift = 4 (score_max = 63):

* pT raw (248, 56): x = (31, 7), D = 961 + 49 = 1010, D >> 4 = 63: the largest
  unsaturated score, not counted as a saturation;
* pT raw (256,): x = 32, D = 1024, D >> 4 = 64: the first saturating value,
  score 63 and counted;
* pT raw (248, 40): x = (31, 5), D = 986, D >> 4 = 61.

Both kernel paths (stage path and fast path) must give the same counts.
"""
from __future__ import annotations

import numpy as np
import pytest

from l1ot.kernel import fixed


def _words(cfg, pts):
    raw = np.zeros((len(pts), 19), dtype=np.int64)
    for e, p in enumerate(pts):
        raw[e, :len(p)] = p
    zero = np.zeros_like(raw)
    return fixed.pack_words(raw, zero, zero, cfg)


@pytest.mark.parametrize("stages", [False, True])
def test_saturation_counted_only_above_score_max(stages):
    cfg = fixed.KernelConfig.load(score_bits=6, score_shift=4)
    assert cfg.score_max == 63
    words = _words(cfg, [(248, 56), (256,), (248, 40)])
    rom = np.zeros((1, 19, 3), dtype=np.int64)
    res = fixed.run(words, rom, 62, cfg, stages=stages)
    assert res.score.tolist() == [63, 63, 61]
    assert res.trig.tolist() == [1, 1, 0]
    assert res.n_score_sat == 1
    if stages:
        assert res.stages["dmin"].tolist() == [1010, 1024, 986]
