"""Paths as they appear in reports and messages.

Reports are committed and read on other machines, so a path inside the
working directory (the repository root for every ``make`` target) is written
relative to it; a path elsewhere is written as given.
"""
from __future__ import annotations

import os


def shown(path) -> str:
    """``path`` relative to the current directory when it lies inside it, else unchanged (str)."""
    p = os.fspath(path)
    try:
        rel = os.path.relpath(os.path.abspath(p), os.getcwd())
    except ValueError:  # different drive (Windows)
        return p
    return p if rel == os.pardir or rel.startswith(os.pardir + os.sep) else rel
