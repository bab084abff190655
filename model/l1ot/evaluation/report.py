"""The evaluation report (``reports/evaluation.json``): rows that never mix silently.

A report is ``{method: {signal: metrics}, "_meta": {...}}``. ``_meta`` holds

* ``settings`` -- what every row of the file was computed with: the input
  files (path, size and SHA-256; the content decides, not the path), the test-set layout (``n_sets``,
  ``n_per_set``, ``n_calib``), ``seed``, and the method parameters ``n_ref``
  (exact min-W2 references) and ``n_train`` (k-medoids training events);
* ``rows`` -- per row: when it was written, the seconds it took and the
  command that wrote it (``evaluate``, ``evaluate --fixed``, ``methods``).

:func:`write` merges new rows into an existing file only when the settings
are identical (a setting a command does not use, ``None`` on either side,
matches anything; the file keeps the value that was used); otherwise it raises
:class:`ReportMismatch` naming the differing settings and the way out (another
``--report`` path). A row replaced by a new run takes its new row metadata
with it. Files are written to a temporary name and renamed on success.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time

from ..errors import ConfigError

FORMAT = "l1ot-evaluation-v2"


class ReportMismatch(ConfigError):
    """The existing report was computed with other settings."""


def file_id(path: str) -> dict:
    """Identity of an input file: path, size in bytes, SHA-256 of the content."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 22), b""):
            h.update(chunk)
    return {"path": str(path), "bytes": os.path.getsize(path), "sha256": h.hexdigest()}


def settings(background: str, signals: dict, splits, seed: int, n_ref=None, n_train=None) -> dict:
    """Settings shared by every row of a report (see the module docstring).

    ``signals`` is {key: path}; ``n_ref`` / ``n_train`` are ``None`` for
    commands that do not use them.
    """
    return {"background": file_id(background),
            "signals": {k: file_id(p) for k, p in sorted(signals.items())},
            "n_sets": int(splits.n_sets), "n_per_set": int(splits.n_per_set),
            "n_calib": int(splits.n_calib), "seed": int(seed),
            "n_ref": None if n_ref is None else int(n_ref),
            "n_train": None if n_train is None else int(n_train)}


def _same_file(a, b) -> bool:
    """Two file identities name the same content (the path may differ: a copy or a link is the same input)."""
    return isinstance(a, dict) and isinstance(b, dict) and a.get("sha256") == b.get("sha256")


def _differences(old: dict, new: dict) -> list[str]:
    out = []
    for k in sorted(set(old) | set(new)):
        a, b = old.get(k), new.get(k)
        if a is None or b is None or a == b:  # a setting one side does not use matches anything
            continue
        if k == "signals" and isinstance(a, dict) and isinstance(b, dict):
            for s in sorted(set(a) & set(b)):  # a run on other signals adds columns, same files only
                if not _same_file(a[s], b[s]):
                    out.append(f"signal {s} file {a[s]['path']} ({a[s]['sha256'][:12]}) here, "
                               f"{b[s]['path']} ({b[s]['sha256'][:12]}) now")
            continue
        if isinstance(a, dict) and isinstance(b, dict) and "sha256" in a:
            if _same_file(a, b):
                continue
            out.append(f"{k} file {a['path']} ({a['sha256'][:12]}) there, {b['path']} ({b['sha256'][:12]}) now")
            continue
        out.append(f"{k} {a} there, {b} now")
    return out


def read(path: str) -> dict:
    """The report at ``path`` ({} when absent); one clear error when unreadable."""
    if not os.path.exists(path):
        return {}
    try:
        with open(path) as f:
            rep = json.load(f)
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"report {path} is not readable JSON ({exc}); move it away or choose another --report")
    if not isinstance(rep, dict):
        raise ConfigError(f"report {path} is not an evaluation report (top level is not an object)")
    return rep


def check_writable(path: str) -> None:
    """Refuse early (before long work) when the report folder cannot be written."""
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    if not os.access(d, os.W_OK):
        raise ConfigError(f"report folder {d} is not writable")


def check_compatible(path: str, new_settings: dict) -> dict:
    """Existing report at ``path`` if its settings equal ``new_settings``; raises :class:`ReportMismatch`.

    Call before long work, and again in :func:`write`.
    """
    rep = read(path)
    rows = [k for k in rep if not k.startswith("_")]
    if not rows:
        return rep
    old = rep.get("_meta", {}).get("settings")
    if old is None:
        raise ReportMismatch(f"report {path} has {len(rows)} rows but no recorded settings (older format); "
                             "it cannot be extended safely: choose another --report or move it away")
    diff = _differences(old, new_settings)
    if diff:
        raise ReportMismatch(f"report {path} was computed with other settings ({'; '.join(diff)}); "
                             "rows with different settings are never mixed: write to another file with "
                             "--report PATH")
    return rep


def write(rows: dict, path: str, new_settings: dict, *, command: str, seconds: dict | None = None,
          row_meta: dict | None = None, extra_meta: dict | None = None) -> dict:
    """Merge ``rows`` ({method: {signal: metrics}}) into the report at ``path``.

    Returns the written report. Raises :class:`ReportMismatch` when the file
    holds rows computed with other settings.
    """
    rep = check_compatible(path, new_settings)
    meta = rep.get("_meta", {})
    merged = dict(meta.get("settings") or {})
    for k, v in new_settings.items():
        if k == "signals" and isinstance(merged.get(k), dict):
            merged[k] = {**merged[k], **v}
        elif v is not None or k not in merged:
            merged[k] = v
    meta["settings"] = merged
    meta["format"] = FORMAT
    per_row = meta.setdefault("rows", {})
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    for m, r in rows.items():
        if m.startswith("_"):
            continue
        rep[m] = r
        info = {"command": command, "written": stamp, "signals": sorted(r)}
        if seconds and m in seconds:
            info["seconds"] = seconds[m]
        if row_meta and m in row_meta:
            info.update(row_meta[m])
        per_row[m] = info
    if extra_meta:
        meta.update(extra_meta)
    rep["_meta"] = meta
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".evaluation.", suffix=".tmp", dir=d)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a report is an ordinary file
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(rep, f, indent=1, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return rep
