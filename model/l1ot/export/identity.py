"""Identity of a golden-vector file's inputs: SHA-256 of the files, the model and the ROM.

The hashes go into the headers of ``golden.txt`` (:mod:`l1ot.export.vectorfile`),
``golden_gt.txt`` (:mod:`l1ot.export.gt`) and ``parameters.h`` (:mod:`l1ot.export.hls`),
so every consumer can check it reads vectors made for its model.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np


def file_sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for blk in iter(lambda: f.read(1 << 20), b""):
            h.update(blk)
    return h.hexdigest()


def rom_sha256(rom) -> str:
    """SHA-256 of the ROM as little-endian int64 (K, n_obj, 3) C-order bytes."""
    return hashlib.sha256(np.ascontiguousarray(np.asarray(rom), dtype="<i8").tobytes()).hexdigest()


def model_sha256(model) -> str:
    """SHA-256 of the model file bytes (or of the medoid events if there is no file)."""
    path = getattr(model, "path", None) if not isinstance(model, (str, Path)) else model
    if path and os.path.isfile(path):
        return file_sha256(path)
    ev = np.ascontiguousarray(getattr(model, "medoid_events", model), dtype="<f4")
    return hashlib.sha256(ev.tobytes()).hexdigest()
