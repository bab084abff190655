"""Constituent-level sample files (HDF5) of the multi-scale tasks.

Layout of ``data/multiscale/<process>.h5`` (gzip-compressed, simulated, not CMS)::

    constituents  float32 (P, 4)  pT/GeV, y, phi, jet index (0..3 at the benchmark radius)
    offsets       int64   (N + 1,) event i is constituents[offsets[i]:offsets[i + 1]]
    attrs         statement ("simulated, not CMS"), process, generator, seeds, selection, ...
"""
from __future__ import annotations

import os

import numpy as np

from ..errors import DataError

DEFAULT_DIR = os.path.join("data", "multiscale")


def path_of(process: str, folder: str = DEFAULT_DIR) -> str:
    return os.path.join(folder, f"{process}.h5")


def write(path: str, events, attrs: dict) -> None:
    """Write ``events`` (list of (m, 4) arrays) to ``path`` through a temp file and rename."""
    import h5py

    off = np.concatenate([[0], np.cumsum([len(e) for e in events])]).astype(np.int64)
    flat = np.concatenate(events).astype(np.float32) if events else np.zeros((0, 4), np.float32)
    tmp = f"{path}.{os.getpid()}.tmp"
    with h5py.File(tmp, "w") as f:
        f.create_dataset("constituents", data=flat, compression="gzip", compression_opts=9, shuffle=True)
        f.create_dataset("offsets", data=off, compression="gzip", shuffle=True)
        for k, v in attrs.items():
            f.attrs[k] = v
        f.attrs["n_events"] = len(events)
    os.replace(tmp, path)


def read(path: str, n: int | None = None, start: int = 0):
    """Events ``[start, start + n)`` of a sample file: list of float64 (m, 4) arrays.

    Bad input raises :class:`l1ot.errors.DataError` naming the file, dataset and event.
    """
    import h5py

    if not os.path.exists(path):
        raise DataError("no such file", file=path)
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise DataError(f"not a readable HDF5 file ({exc})", file=path) from None
    with f:
        for ds in ("constituents", "offsets"):
            if ds not in f:
                raise DataError("missing dataset (not a multiscale sample file)", file=path, dataset=ds)
        c, off = f["constituents"], f["offsets"][()]
        if c.ndim != 2 or c.shape[1] != 4:
            raise DataError(f"shape {c.shape}, expected (P, 4)", file=path, dataset="constituents")
        if off.ndim != 1 or len(off) < 1 or off[0] != 0 or off[-1] != c.shape[0] or np.any(np.diff(off) < 0):
            raise DataError("offsets are not a non-decreasing 0..P partition", file=path, dataset="offsets")
        total = len(off) - 1
        stop = total if n is None else min(total, start + n)
        if start >= stop:
            raise DataError(f"asked for events from {start}, the file holds {total}", file=path)
        flat = np.asarray(c[off[start]:off[stop]], dtype=np.float64)
        base = off[start]
    out = []
    for i in range(start, stop):
        e = flat[off[i] - base:off[i + 1] - base]
        if len(e) == 0:
            raise DataError("event has no constituents", file=path, dataset="constituents", event=i)
        bad = ~np.isfinite(e)
        if bad.any():
            fld = ("pt", "y", "phi", "jet")[int(np.argwhere(bad)[0][1])]
            raise DataError("non-finite value", file=path, dataset="constituents", event=i, field=fld)
        if np.any(e[:, 0] <= 0):
            raise DataError("constituent with pT <= 0", file=path, dataset="constituents", event=i, field="pt")
        out.append(e)
    return out


def count(path: str) -> int:
    """Number of events of a sample file (its offsets), with the checks of :func:`read`."""
    import h5py

    read(path, n=1)
    with h5py.File(path, "r") as f:
        return int(f["offsets"].shape[0] - 1)


def attrs(path: str) -> dict:
    import h5py

    with h5py.File(path, "r") as f:
        return {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
