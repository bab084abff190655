"""Optimal transport in float: ground spaces, exact W2 and linearized OT (LinW2).

* :mod:`l1ot.ot.spaces` — the 3D (pT, η, φ) and 2D ground spaces of paper 1.
* :mod:`l1ot.ot.w2` — exact 2-Wasserstein distances between events, min-W2 with pruning.
* :mod:`l1ot.ot.csolve` — compiled exact solvers (assignment, transport), bounds and min-W2 search.
* :mod:`l1ot.ot.linot` — LinW2 embeddings (sort transports), k-medoids models, scoring.
* :mod:`l1ot.ot.distcache` — cached pairwise distance matrices for the paper-1 methods.

May import: :mod:`l1ot.io` and the shared bottom layer.
"""
