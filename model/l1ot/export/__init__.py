"""Exports generated from the one source of truth (precision config, sorting-network
JSON, model file) for the HLS and RTL kernels.

* :mod:`l1ot.export.golden` — golden vectors (inputs and the model's integer outputs).
* :mod:`l1ot.export.hls` — the HLS ``parameters.h``.
* :mod:`l1ot.export.sv` — the SystemVerilog package ``l1ot_params_pkg.sv``.
* :mod:`l1ot.export.cmvm` — the da4ml constant-matrix graph ``l1ot_cmvm.sv``.
* :mod:`l1ot.export.rtl` — export names, the renamed RTL copies, FuseSoC core, ipbb dep file.

May import: :mod:`l1ot.kernel`, :mod:`l1ot.ot`, :mod:`l1ot.io` and the shared bottom layer.
"""
