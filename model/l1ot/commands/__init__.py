"""Sub-commands of the ``l1ot`` CLI; each module defines ``register(subparsers)``."""
