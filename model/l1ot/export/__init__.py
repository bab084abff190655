"""Exports generated from the one source of truth (precision config, sorting-network
JSON, model file) for the HLS and RTL kernels.

* :mod:`l1ot.export.golden` — golden vectors: the categories and their orchestration
  (:func:`~l1ot.export.golden.golden_events`), from

  - :mod:`l1ot.export.vectors` — random raw words and float events, words from working coordinates;
  - :mod:`l1ot.export.search` — the number-theoretic window and tie searches;
  - :mod:`l1ot.export.boundary` — the boundary categories built with them;
  - :mod:`l1ot.export.species` — the species categories;

  written and read by :mod:`l1ot.export.vectorfile` (``golden.txt``; the parser
  ``golden_gt.txt`` shares), headers hashed by :mod:`l1ot.export.identity`.
* :mod:`l1ot.export.hls` — the HLS ``parameters.h``.
* :mod:`l1ot.export.sv` — the SystemVerilog package ``l1ot_params_pkg.sv``.
* :mod:`l1ot.export.cmvm` — the da4ml constant-matrix graph ``l1ot_cmvm.sv``.
* :mod:`l1ot.export.rtl` — export names, the renamed RTL copies, FuseSoC core, ipbb dep file.

May import: :mod:`l1ot.kernel`, :mod:`l1ot.ot`, :mod:`l1ot.io` and the shared bottom layer.
"""
