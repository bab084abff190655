"""Progress bars for long work (tqdm), readable in terminals and in log files.

On a terminal the bar updates in place. When stderr is not a terminal (CI
logs, ``make ... > log``) the bar is redrawn at most every 30 s, so a log
holds a handful of progress lines instead of thousands of carriage returns.
"""
from __future__ import annotations

import sys


def bar(iterable=None, **kwargs):
    """``tqdm(iterable, **kwargs)`` with log-friendly defaults off a terminal."""
    from tqdm import tqdm

    if not (hasattr(sys.stderr, "isatty") and sys.stderr.isatty()):
        kwargs.setdefault("mininterval", 30.0)
        kwargs.setdefault("ascii", True)
    return tqdm(iterable, **kwargs)
