"""Progress bars for long work (tqdm), readable in terminals and in log files.

On a terminal the bar updates in place. When stderr is not a terminal (CI
logs, ``make ... > log``) the bar is redrawn at most every 30 s, so a log
holds a handful of progress lines instead of thousands of carriage returns.
A pseudo-terminal that reports no size (0 columns, 0 rows: a fresh pty, some
CI runners and ``docker exec``) makes tqdm draw nothing at all; there the bar
is ``$COLUMNS`` (or 80) wide and the screen ``$LINES`` (or 24) high.
"""
from __future__ import annotations

import os
import sys

DEFAULT_COLUMNS = 80
DEFAULT_LINES = 24


def _size(stream):
    """(columns, lines) of the terminal behind ``stream``; 0 for what it does not report."""
    try:
        s = os.get_terminal_size(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return 0, 0
    return s.columns, s.lines


def _env_int(name: str, default: int) -> int:
    v = os.environ.get(name, "")
    return int(v) if v.isdigit() and int(v) > 0 else default


def bar(iterable=None, **kwargs):
    """``tqdm(iterable, **kwargs)`` with log-friendly defaults off a terminal."""
    from tqdm import tqdm

    stream = kwargs.get("file") or sys.stderr
    if not (hasattr(stream, "isatty") and stream.isatty()):
        kwargs.setdefault("mininterval", 30.0)
        kwargs.setdefault("ascii", True)
    else:
        cols, lines = _size(stream)
        if not cols:
            kwargs.setdefault("ncols", _env_int("COLUMNS", DEFAULT_COLUMNS))
        if not lines:
            kwargs.setdefault("nrows", _env_int("LINES", DEFAULT_LINES))
    return tqdm(iterable, **kwargs)
