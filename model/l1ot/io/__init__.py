"""Event data: reading, writing and validating ADC2021-layout HDF5 files, and the
train / calibration / test splits.

* :mod:`l1ot.io.data` — load, stream, validate and write event files.
* :mod:`l1ot.io.splits` — the index ranges of the training, calibration and test blocks.

May import: the shared bottom layer (:mod:`l1ot.errors`, :mod:`l1ot.progress`,
:mod:`l1ot.paths`). Nothing else of l1ot.
"""
