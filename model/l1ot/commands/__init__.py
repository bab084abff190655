"""Sub-commands of the ``l1ot`` CLI; each module defines ``register(subparsers)``.

May import every subpackage below it; never :mod:`l1ot.cli` or :mod:`l1ot.artifacts`.
"""
