"""Golden vectors for the Run-3 uGT scales stay inside the narrower raw types."""
from __future__ import annotations

import numpy as np

from l1ot.io import data
from l1ot.export import golden as export
from l1ot.kernel import fixed
from l1ot.ot import linot
from conftest import bundled, requires_bundled
from fixtures import check_boundary_categories


@requires_bundled
def test_run3_golden_events_fit_the_run3_types(tmp_path):
    cfg = fixed.KernelConfig.load(fixed.DEFAULT_CONFIG.parent / "kernel_run3.json")
    model = linot.train(data.load(bundled(), n=600), k=8)
    rom = fixed.medoid_rom(model, cfg)
    words, tags, _ = export.golden_events(cfg, rom, data_dir=str(tmp_path), n_total=2000,
                                          medoid_events=model.medoid_events, threshold=200)
    pt, eta, phi = fixed.unpack_words(words, cfg)[:3]
    assert pt.max() <= cfg.raw_range["pt"][1]
    assert {"pt_ties", "pt_saturation", "angle_extremes", "random", "medoid", "medoid_tie"} <= set(tags)
    ties = np.array(tags) == "pt_ties"
    # the tie category really has ties among occupied slots
    p = pt[ties]
    assert any(len(np.unique(r[r > 0])) < np.count_nonzero(r) for r in p)
    res = fixed.run(words, rom, None, cfg)
    assert res.score.shape == (len(words),)
    # the boundary categories also work with the coarse Run-3 pT grid (even working values only)
    med_words, _ = fixed.events_to_words(model.medoid_events, cfg)
    check_boundary_categories(words, tags, med_words, 200, cfg, n_total=len(words))
