"""Sorting networks: loading, validation, vectorized application, 0-1 verification.

A network is stored as JSON (SorterHunter style) in ``l1ot/kernel/networks/<name>.json``::

    {"n": 19, "name": "sort19", "source": "...",
     "blocks": [[0], [1, 2, 3, 4], ...],          # optional: sort only inside blocks
     "layers": [[[i, j], ...], ...]}               # comparators, layer by layer

Convention used everywhere in l1ot (Python, HLS, RTL): the comparator on wires
``(i, j)`` with ``i < j`` puts the **larger** key on wire ``i``, so a complete
network sorts in descending order. A layer is one pipeline stage in the
firmware: no wire may appear twice in a layer.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ConfigError

NETWORK_DIR = Path(__file__).resolve().parent / "networks"


@dataclass(frozen=True)
class Network:
    """A comparator network on ``n`` wires.

    Attributes
    ----------
    n : int
        Number of wires.
    name : str
        Network name (file stem).
    layers : list[list[tuple[int, int]]]
        Comparators grouped in parallel layers; each ``(i, j)`` has ``i < j``.
    blocks : list[list[int]] | None
        If set, the network only sorts inside each block (e.g. per species).
    source : str
        Where the network comes from.
    """

    n: int
    name: str
    layers: list
    blocks: list | None = None
    source: str = ""
    path: str | None = field(default=None, compare=False)

    @property
    def comparators(self) -> list[tuple[int, int]]:
        """All comparators in execution order, as ``(i, j)`` with ``i < j``."""
        return [c for layer in self.layers for c in layer]

    @property
    def depth(self) -> int:
        """Number of layers (pipeline stages)."""
        return len(self.layers)

    @property
    def size(self) -> int:
        """Number of comparators (compare-exchange elements)."""
        return sum(len(layer) for layer in self.layers)

    def to_json(self) -> dict:
        d = {"n": self.n, "name": self.name, "source": self.source}
        if self.blocks is not None:
            d["blocks"] = [list(b) for b in self.blocks]
        d["layers"] = [[list(c) for c in layer] for layer in self.layers]
        return d

    def without(self, index: int) -> "Network":
        """Copy of the network with comparator number ``index`` removed (for tests)."""
        k = 0
        layers = []
        for layer in self.layers:
            new = []
            for c in layer:
                if k != index:
                    new.append(c)
                k += 1
            if new:
                layers.append(new)
        return Network(self.n, self.name + f"_minus{index}", layers, self.blocks, self.source)


def _err(where: str, msg: str) -> ConfigError:
    return ConfigError(f"sorting network {where}: {msg}")


def from_json(obj: dict, where: str = "<json>") -> Network:
    """Validate a parsed JSON object and build a :class:`Network`.

    Raises :class:`ConfigError` naming the file and the offending layer/comparator.
    """
    if not isinstance(obj, dict):
        raise _err(where, "top level must be an object")
    for key in ("n", "layers"):
        if key not in obj:
            raise _err(where, f"missing field '{key}'")
    n = obj["n"]
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 64:
        raise _err(where, f"field 'n' must be an integer in 1..64, got {n!r}")
    raw_layers = obj["layers"]
    if not isinstance(raw_layers, list):
        raise _err(where, "field 'layers' must be a list of layers")
    layers = []
    for li, layer in enumerate(raw_layers):
        if not isinstance(layer, list) or not layer:
            raise _err(where, f"layer {li} must be a non-empty list of [i, j] pairs")
        used = set()
        out = []
        for ci, c in enumerate(layer):
            if (not isinstance(c, (list, tuple)) or len(c) != 2
                    or not all(isinstance(v, int) and not isinstance(v, bool) for v in c)):
                raise _err(where, f"layer {li} comparator {ci}: expected [i, j] integers, got {c!r}")
            i, j = c
            if not (0 <= i < j < n):
                raise _err(where, f"layer {li} comparator {ci}: need 0 <= i < j < n={n}, got [{i}, {j}]")
            if i in used or j in used:
                raise _err(where, f"layer {li} comparator {ci}: wire used twice in one layer ([{i}, {j}])")
            used.update((i, j))
            out.append((i, j))
        layers.append(out)
    blocks = obj.get("blocks")
    if blocks is not None:
        flat = [w for b in blocks for w in b] if isinstance(blocks, list) else None
        if flat is None or sorted(flat) != list(range(n)) or any(
                list(b) != list(range(b[0], b[0] + len(b))) for b in blocks if b):
            raise _err(where, "field 'blocks' must partition 0..n-1 into contiguous ranges")
        block_of = {w: bi for bi, b in enumerate(blocks) for w in b}
        for li, layer in enumerate(layers):
            for i, j in layer:
                if block_of[i] != block_of[j]:
                    raise _err(where, f"layer {li} comparator [{i}, {j}] crosses blocks")
        blocks = [list(b) for b in blocks]
    return Network(n=n, name=str(obj.get("name", "")), layers=layers, blocks=blocks,
                   source=str(obj.get("source", "")), path=None if where == "<json>" else where)


def load(name: str) -> Network:
    """Load a network by name (``"sort19"``, ``"species19"``) or by path to a JSON file."""
    p = Path(name)
    if p.suffix != ".json":
        p = NETWORK_DIR / f"{name}.json"
    if not p.is_file():
        raise ConfigError(f"sorting network '{name}': file {p} not found")
    try:
        obj = json.loads(p.read_text())
    except json.JSONDecodeError as exc:
        raise ConfigError(f"sorting network {p}: invalid JSON ({exc})") from None
    net = from_json(obj, where=str(p))
    if not net.name:
        net = Network(net.n, p.stem, net.layers, net.blocks, net.source, str(p))
    return net


def apply(network: Network, keys: np.ndarray, *payload: np.ndarray):
    """Apply the network to each row of ``keys``.

    Parameters
    ----------
    keys : array (N, n)
        Sort keys; the larger key goes to the lower wire. Ties never swap.
    *payload : arrays (N, n)
        Travel with the keys.

    Returns
    -------
    keys_sorted, *payload_sorted : arrays (N, n), new arrays (inputs untouched).
    """
    keys = np.asarray(keys)
    if keys.ndim != 2 or keys.shape[1] != network.n:
        raise ValueError(f"keys must have shape (N, {network.n}), got {keys.shape}")
    # work wire-major (n, N): each wire is a contiguous row
    k = np.ascontiguousarray(keys.T)
    pl = [np.ascontiguousarray(np.asarray(p).T) for p in payload]
    for p in pl:
        if p.shape != k.shape:
            raise ValueError("payload arrays must have the same shape as keys")
    for layer in network.layers:
        ii = np.fromiter((c[0] for c in layer), dtype=np.intp)
        jj = np.fromiter((c[1] for c in layer), dtype=np.intp)
        a, b = k[ii], k[jj]
        swap = b > a
        k[ii] = np.where(swap, b, a)
        k[jj] = np.where(swap, a, b)
        for p in pl:
            pa, pb = p[ii], p[jj]
            p[ii] = np.where(swap, pb, pa)
            p[jj] = np.where(swap, pa, pb)
    out = [k.T.copy()] + [p.T.copy() for p in pl]
    return out[0] if not pl else tuple(out)


def sort_keys(network: Network, keys_wire_major: np.ndarray) -> np.ndarray:
    """Fast path: sort distinct keys only, in place, wire-major layout ``(n, N)``.

    Each comparator is a max/min pair (no payload): attach the payload to the
    key (e.g. a slot tag in the low bits) and recover it afterwards.
    """
    k = keys_wire_major
    for i, j in network.comparators:
        a = k[i]
        b = k[j]
        hi = np.maximum(a, b)
        np.minimum(a, b, out=k[j])
        k[i] = hi
    return k


def _all_01_vectors(n: int) -> np.ndarray:
    """Wire-major bit-parallel encoding of all 2^n 0-1 vectors: uint64 (n, 2^n/64)."""
    v = np.arange(1 << n, dtype=np.uint64)
    wires = np.empty((n, max(1, (1 << n) // 64)), dtype=np.uint64)
    for i in range(n):
        bits = ((v >> np.uint64(i)) & np.uint64(1)).astype(bool)
        packed = np.packbits(bits, bitorder="little")
        if packed.size % 8:
            packed = np.concatenate([packed, np.zeros(8 - packed.size % 8, np.uint8)])
        wires[i] = packed.view(np.uint64)
    return wires


def verify_01(network: Network, blocks=None) -> tuple[bool, int]:
    """Exhaustive 0-1 principle check over all ``2^n`` 0-1 input vectors.

    Bit-parallel: 64 vectors per uint64 word, one row per wire.

    Parameters
    ----------
    blocks : list of lists of wires, optional
        If given (default: ``network.blocks``), check that every block is sorted
        (descending) instead of the whole vector.

    Returns
    -------
    (ok, n_unsorted) : bool and the number of 0-1 vectors left unsorted.
    """
    if blocks is None:
        blocks = network.blocks
    if blocks is None:
        blocks = [list(range(network.n))]
    w = _all_01_vectors(network.n)
    if network.n < 6:  # fewer than 64 vectors: mask padding bits
        valid = np.uint64((1 << (1 << network.n)) - 1)
    else:
        valid = None
    for i, j in network.comparators:
        a, b = w[i].copy(), w[j]
        w[i] = a | b   # larger (1) to the lower wire
        w[j] = a & b
    bad = np.zeros(w.shape[1], dtype=np.uint64)
    for blk in blocks:
        for p, q in zip(blk[:-1], blk[1:]):
            bad |= ~w[p] & w[q]   # a 0 above a 1: not descending
    if valid is not None:
        bad &= valid
    n_bad = int(np.unpackbits(bad.view(np.uint8)).sum())
    return n_bad == 0, n_bad
