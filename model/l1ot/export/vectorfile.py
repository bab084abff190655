"""Golden-vector files: write (running the kernel), read, and the shared text parser.

Format (docs/kernel.md, "Golden vectors")::

    # l1ot golden vectors v1
    # config_sha256 <hex>  model_sha256 <hex>  rom_sha256 <hex>  K <int>  threshold <int>  ...
    # columns: w0 .. w18 score idx trig  # category
    <w0> ... <w18> <score> <idx> <trig>  # category

:func:`write_golden` runs :func:`l1ot.kernel.fixed.run` on the input words and writes
the file; :func:`read_golden` parses it back (and validates it) with
:func:`read_vector_file`, which also reads ``golden_gt.txt`` (:mod:`l1ot.export.gt`).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import DataError, ModelError
from ..kernel import fixed
from .identity import model_sha256, rom_sha256

MAGIC = "# l1ot golden vectors v1"
HEADER_KEYS = ("config_sha256", "model_sha256", "rom_sha256", "K", "threshold", "n_obj", "word_bits",
               "score_bits", "score_shift", "idx_bits", "transport", "network", "n_events")
INT_KEYS = {"K", "threshold", "n_obj", "word_bits", "score_bits", "score_shift", "idx_bits", "n_events"}


def hexw(bits):
    return (bits + 3) // 4


def write_golden(path, cfg, model, rom, words, tags=None, threshold=None) -> dict:
    """Run the kernel on ``words`` and write the golden-vector file.

    Parameters
    ----------
    path : output file
    cfg : KernelConfig
    model : LinModel (``.threshold``, ``.path``) or path of the model file
    rom : int64 (K, n_obj, 3), from :func:`l1ot.kernel.fixed.medoid_rom`
    words : uint64 (N, n_obj)
    tags : list[str], optional, category of each event
    threshold : int, optional, overrides ``model.threshold``

    Returns
    -------
    dict: header fields, per-category counts, number of triggers and score saturations.
    """
    rom = fixed.check_rom(rom, cfg)
    if threshold is None:
        threshold = getattr(model, "threshold", None)
    if threshold is None:
        raise ModelError("the model has no trigger threshold (run `l1ot calibrate` first)")
    res = fixed.run(words, rom, int(threshold), cfg)
    K = rom.shape[0]
    hdr = {"config_sha256": cfg.sha256, "model_sha256": model_sha256(model), "rom_sha256": rom_sha256(rom),
           "K": K, "threshold": int(threshold), "n_obj": cfg.n_obj, "word_bits": cfg.word_bits,
           "score_bits": cfg.score_bits, "score_shift": cfg.score_shift, "idx_bits": cfg.idx_bits(K),
           "transport": cfg.transport, "network": cfg.network.name, "n_events": len(res)}
    ww, sw, iw = hexw(cfg.word_bits), hexw(cfg.score_bits), hexw(cfg.idx_bits(K))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wl = np.asarray(words, dtype=np.uint64).tolist()
    sc, ix, tg = res.score.tolist(), res.idx.tolist(), res.trig.tolist()
    with open(path, "w") as f:
        f.write(MAGIC + "\n")
        f.write("# " + "  ".join(f"{k} {hdr[k]}" for k in HEADER_KEYS) + "\n")
        f.write(f"# columns: w0 .. w{cfg.n_obj - 1} score idx trig  # category\n")
        for e in range(len(wl)):
            line = " ".join(f"{v:0{ww}x}" for v in wl[e]) + f" {sc[e]:0{sw}x} {ix[e]:0{iw}x} {tg[e]}"
            if tags is not None:
                line += f"  # {tags[e]}"
            f.write(line + "\n")
    counts = {}
    for t in (tags or []):
        counts[t] = counts.get(t, 0) + 1
    return {"header": hdr, "path": str(path), "counts": counts, "n_trig": int(res.trig.sum()),
            "n_score_sat": res.n_score_sat}


def read_golden(path):
    """Parse a golden-vector file.

    Returns
    -------
    header : dict, words : uint64 (N, n_obj), score, idx : int64 (N,), trig : uint8 (N,),
    tags : list[str] ('' where a line has no category)
    """
    header, words, outs, tags = read_vector_file(path, ("K", "n_obj", "word_bits", "score_bits", "idx_bits"),
                                                  lambda h: [h["word_bits"]] * h["n_obj"], what="golden-vector")
    n = header["n_obj"]
    words = np.array(words, dtype=np.uint64).reshape(-1, n)
    o = np.array(outs, dtype=np.int64).reshape(-1, 3)
    return header, words, o[:, 0], o[:, 1], o[:, 2].astype(np.uint8), tags


def read_vector_file(path, required, slot_bits, what="golden-vector", magic=MAGIC, int_keys=INT_KEYS):
    """Parse a golden-vector text file (``golden.txt``, ``golden_gt.txt``): magic line,
    ``# key value ...`` header, then one event per line: ``n_obj`` hex words, hex score,
    hex index, trigger bit, optional ``# category``.

    ``magic``: the first line; ``int_keys``: header keys parsed as int;
    ``required``: header keys that must be present; ``slot_bits(header)``: width of
    each slot's word in bits (list of ``n_obj``). Returns ``header`` (dict), ``words``
    (list of lists of int), ``outs`` (list of (score, index, trigger)), ``tags``
    (list of str). Any defect raises :class:`DataError` naming the file and line.
    """
    path = str(path)
    if not os.path.isfile(path):
        raise DataError(f"{what} file not found", file=path)
    with open(path) as f:
        lines = f.read().splitlines()
    if not lines or lines[0].strip() != magic:
        raise DataError(f"first line must be '{magic}'", file=path)
    if len(lines) < 2 or not lines[1].startswith("#"):
        raise DataError("line 2 must be the header", file=path)
    tok = lines[1][1:].split()
    if not tok or len(tok) % 2:
        raise DataError("line 2: header must be 'key value' pairs", file=path)
    header = {k: (int(v) if k in int_keys else v) for k, v in zip(tok[::2], tok[1::2])}
    for k in required:
        if k not in header:
            raise DataError(f"line 2: header key '{k}' missing", file=path)
    n = header["n_obj"]
    sbits = slot_bits(header)
    words, outs, tags = [], [], []
    for ln, line in enumerate(lines[2:], start=3):
        body, _, comment = line.partition("#")
        if not body.strip():
            continue
        t = body.split()
        if len(t) != n + 3:
            raise DataError(f"line {ln}: expected {n + 3} fields, got {len(t)}", file=path)
        try:
            w = [int(v, 16) for v in t[:n]]
            o = (int(t[n], 16), int(t[n + 1], 16), int(t[n + 2]))
        except ValueError:
            raise DataError(f"line {ln}: not a hex number", file=path) from None
        for s, v in enumerate(w):
            if v >> sbits[s]:
                raise DataError(f"line {ln}: word wider than {sbits[s]} bits", file=path, slot=s)
        if o[2] not in (0, 1):
            raise DataError(f"line {ln}: trigger bit {o[2]} is not 0 or 1", file=path)
        words.append(w)
        outs.append(o)
        tags.append(comment.strip())
    if header.get("n_events") not in (None, len(words)):
        raise DataError(f"header says n_events {header['n_events']}, file has {len(words)}", file=path)
    return header, words, outs, tags
