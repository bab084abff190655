"""Evaluation on the paper-1 test sets, in float and in fixed point.

* :mod:`l1ot.evaluation.metrics` — AUC, 1/εb and SI at εs = 0.3, max SI and F1, per-set summaries.
* :mod:`l1ot.evaluation.baselines` — simple baselines (total pT, multiplicity).
* :mod:`l1ot.evaluation.evaluate` — the evaluation table of float methods (exact min-W2, LinW2).
* :mod:`l1ot.evaluation.eval_fixed` — the same test sets scored by the bit-accurate kernel.

May import: :mod:`l1ot.kernel`, :mod:`l1ot.ot`, :mod:`l1ot.io` and the shared bottom layer.
"""
