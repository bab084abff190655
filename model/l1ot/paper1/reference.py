"""Paper 1's published numbers (Tables 1, 2 and 3), read from ``paper1/data/paper1_tables.json``.

The numbers are typed once in that file, one entry per table column with its
table and column heading; every comparison (``reports/paper_methods.md``,
``docs/paper1_comparison.md``) reads them from here.
"""
from __future__ import annotations

import json
import os
from functools import lru_cache

PATH = os.path.join(os.path.dirname(__file__), "data", "paper1_tables.json")
METRIC_KEYS = ("auc", "inv_eb_at_0p3", "si_at_0p3", "max_f1", "max_si")


@lru_cache(maxsize=None)
def _raw(path: str = PATH) -> dict:
    with open(path) as f:
        return json.load(f)


def columns(path: str = PATH) -> list[dict]:
    """Every typed column: {"table", "column", "method" (our row name or None), metric -> signal -> values}."""
    return _raw(path)["columns"]


def values(path: str = PATH) -> dict:
    """{our method name: {signal: {metric: [mean, std(, eps_s)] or None}}} for the columns we reproduce."""
    out = {}
    for c in columns(path):
        if not c.get("method"):
            continue
        per = {}
        for key in METRIC_KEYS:
            for sig, v in (c.get(key) or {}).items():
                per.setdefault(sig, {})[key] = v
        for sig in per:
            for key in METRIC_KEYS:
                per[sig].setdefault(key, None)
        out[c["method"]] = per
    return out


def source(method: str, path: str = PATH) -> str:
    """"Table N, column" of a method, or "" when paper 1 has no such column."""
    for c in columns(path):
        if c.get("method") == method:
            return f"{c['table']}, {c['column']}"
    return ""
