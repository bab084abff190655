"""Paper 1's offline methods on W2 distance matrices.

* :mod:`l1ot.paper1.augment` — the background augmentation used by the anomaly kNN.
* :mod:`l1ot.paper1.methods` — kNN anomaly score, one-class SVM, kNN classification, planing.

May import: :mod:`l1ot.evaluation`, :mod:`l1ot.ot`, :mod:`l1ot.io` and the shared bottom layer.
"""
