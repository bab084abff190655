"""Argument types of the ``l1ot`` sub-commands: values are checked while parsing.

Each function takes the text the user typed and returns the value or raises
:class:`argparse.ArgumentTypeError`, so a bad value gives argparse's usage line
and ``l1ot CMD: error: argument --x: ...`` with exit code 2, before any work.
"""
from __future__ import annotations

import argparse
import math


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None


def positive_int(text: str) -> int:
    """An integer >= 1."""
    v = _int(text)
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return v


def nonneg_int(text: str) -> int:
    """An integer >= 0."""
    v = _int(text)
    if v < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text!r}")
    return v


def finite_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return v


def positive_float(text: str) -> float:
    """A finite number > 0."""
    v = finite_float(text)
    if v <= 0:
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text!r}")
    return v


def fraction(text: str) -> float:
    """A number strictly between 0 and 1."""
    v = finite_float(text)
    if not 0.0 < v < 1.0:
        raise argparse.ArgumentTypeError(f"must be in (0, 1), got {text!r}")
    return v


def window(text: str) -> tuple[float, float]:
    """A total-pT window ``LO,HI`` in GeV with ``0 <= LO < HI``."""
    try:
        lo, hi = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be 'LO,HI' in GeV, got {text!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 <= lo < hi):
        raise argparse.ArgumentTypeError(f"needs 0 <= LO < HI (GeV), got {text!r}")
    return (lo, hi)


def name_list(known, presets=None, what: str = "name"):
    """Type for a comma list of names from ``known`` (or one preset name): returns a list."""
    known = list(known)
    presets = presets or {}

    def parse(text: str) -> list[str]:
        if text in presets:
            return list(presets[text])
        names = [t for t in text.split(",") if t]
        bad = [t for t in names if t not in known]
        if bad or not names:
            extra = f" or a preset ({', '.join(presets)})" if presets else ""
            raise argparse.ArgumentTypeError(
                f"unknown {what}(s) {', '.join(map(repr, bad)) or repr(text)}; known: {', '.join(known)}{extra}")
        return names

    parse.__name__ = f"{what} list"
    return parse
