"""The L1 kernel: the bit-accurate fixed-point model that the HLS and the RTL match.

* :mod:`l1ot.kernel.fixed` — precision config, quantization, sort, distance, score (``docs/kernel.md``).
* :mod:`l1ot.kernel.sortnet` — sorting networks as comparator-list JSON, 0-1 verification.
* :mod:`l1ot.kernel.drift` — drift of the integer score against float LinW2, in buckets.
* :mod:`l1ot.kernel.bench_fixed` — throughput of the fixed-point model.
* ``configs/`` (precision configs) and ``networks/`` (sorting networks): the data it owns.

May import: :mod:`l1ot.ot`, :mod:`l1ot.io` and the shared bottom layer.
"""
