"""ADC2021-format data layer: read, validate, stream and write L1 events.

The layout is the one of the CMS anomaly-detection challenge dataset
(Govorkova et al., Sci. Data 9, 118 (2022)):

* dataset ``Particles``, shape ``(N, 19, 4)``, columns ``(pT/GeV, eta, phi, class id)``;
* slot order ``0`` = MET, ``1-4`` = e/gamma, ``5-8`` = muons, ``9-18`` = jets;
* class ids ``1`` = MET, ``2`` = e/gamma, ``3`` = muon, ``4`` = jet; an empty slot is all zeros;
* optional ``Particles_Classes`` and ``Particles_Names`` string datasets.

Files are read in chunks with h5py so that memory stays flat in the number of
events (the real background file holds 13M events). Every validation failure
raises a typed :class:`l1ot.errors.DataError` naming the file, dataset, event
index and slot, or -- with ``on_bad_event="skip"`` -- drops the event and counts
it in a :class:`ValidationReport`.
"""
from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np

from ..errors import (
    ClassIdError,
    CorruptFileError,
    DataError,
    DTypeError,
    EmptySlotError,
    MissingDatasetError,
    NegativePtError,
    NonFiniteError,
    RangeError,
    ShapeError,
)

N_SLOTS = 19
N_COLS = 4
DATASET = "Particles"
COLUMNS = ("pT", "eta", "phi", "class")
#: class id expected in each of the 19 slots
SLOT_CLASS = np.array([1] + [2] * 4 + [3] * 4 + [4] * 10, dtype=np.int64)
#: species blocks as (name, first slot, stop slot)
BLOCKS = (("MET", 0, 1), ("egamma", 1, 5), ("muon", 5, 9), ("jet", 9, 19))
CLASS_NAMES = {1: "MET", 2: "egamma", 3: "muon", 4: "jet"}
PARTICLES_CLASSES = [b"MET_class_1", b"Four_Ele_class_2", b"Four_Mu_class_3", b"Ten_Jet_class_4"]
PARTICLES_NAMES = [b"Pt", b"Eta", b"Phi", b"Class"]

ETA_MAX = 5.0
PHI_MAX = np.pi
#: tolerance on the |phi| <= pi and |eta| <= 5 checks (float32 rounding of pi)
ANGLE_TOL = 1e-4
DEFAULT_CHUNK = 100_000

BAD_EVENT_POLICIES = ("fail", "skip")


@dataclass
class ValidationReport:
    """Outcome of validating a file or an array.

    ``n_events`` counts events inspected, ``n_bad`` events with at least one
    problem; ``reasons`` counts problems by kind; ``first`` keeps the first few
    messages for display.
    """

    n_events: int = 0
    n_bad: int = 0
    reasons: Counter = field(default_factory=Counter)
    first: list = field(default_factory=list)
    #: the first problem as the error ``on_bad_event="fail"`` would have raised (None when ok)
    first_error: DataError | None = None

    def add(self, other: "ValidationReport") -> None:
        self.n_events += other.n_events
        self.n_bad += other.n_bad
        self.reasons.update(other.reasons)
        self.first.extend(other.first[: max(0, 10 - len(self.first))])
        if self.first_error is None:
            self.first_error = other.first_error

    @property
    def ok(self) -> bool:
        return self.n_bad == 0

    def summary(self) -> str:
        if self.ok:
            return f"{self.n_events} events, all valid"
        kinds = ", ".join(f"{k}: {v}" for k, v in sorted(self.reasons.items()))
        return f"{self.n_events} events, {self.n_bad} bad ({kinds})"


# --------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------
def _checks(p: np.ndarray):
    """Yield ``(kind, error class, bad mask (N,19), field, message)`` for each check."""
    pt, eta, phi, cls = p[..., 0], p[..., 1], p[..., 2], p[..., 3]
    finite = np.isfinite(p)
    for c, name in enumerate(COLUMNS):
        yield ("nonfinite", NonFiniteError, ~finite[..., c], name, "value is NaN or inf")
    with np.errstate(invalid="ignore"):
        yield ("negative_pt", NegativePtError, pt < 0, "pT", "negative pT")
        yield ("eta_range", RangeError, np.abs(eta) > ETA_MAX + ANGLE_TOL, "eta",
               f"|eta| > {ETA_MAX}")
        yield ("phi_range", RangeError, np.abs(phi) > PHI_MAX + ANGLE_TOL, "phi",
               "|phi| > pi")
        empty = cls == 0
        wrong_class = ~empty & (cls != SLOT_CLASS[None, :])
        yield ("class_id", ClassIdError, wrong_class & finite[..., 3], "class",
               "class id does not match the slot (0=MET, 1-4 e/gamma, 5-8 mu, 9-18 jets)")
        nonzero_empty = empty & np.any(p[..., :3] != 0, axis=-1)
        yield ("nonzero_empty", EmptySlotError, nonzero_empty, "pT/eta/phi",
               "empty slot (class 0) with non-zero pT/eta/phi")


_FAST = {}


def numba_module():
    """``numba`` for l1ot's compiled paths.

    Inside an ``l1ot`` command (the command line sets ``L1OT_CLI=1``, inherited by its
    local Dask workers) third-party numba extensions are not loaded: l1ot uses none,
    and packages that register one (vector and awkward, installed with fastjet) cost
    1-2 s of imports at the first compiled call. Library users keep numba's default.
    """
    import numba

    if os.environ.get("L1OT_CLI") == "1":
        from numba.core import entrypoints

        entrypoints._already_initialized = True
    return numba


def _fast_check():
    """Compiled single-pass ``all events valid?`` test (numba), or None without numba.

    True exactly when :func:`_checks` finds nothing: the same comparisons, in the same
    precision (float32 data against the float32-rounded limits, as numpy compares them).
    """
    if "fn" in _FAST:
        return _FAST["fn"]
    try:
        numba = numba_module()
    except ImportError:  # pragma: no cover - numba is a dependency
        _FAST["fn"] = None
        return None

    @numba.njit(cache=True, nogil=True)
    def all_valid(p, slot_class, eta_max, phi_max):
        for e in range(p.shape[0]):
            for s in range(p.shape[1]):
                pt, eta, phi, c = p[e, s, 0], p[e, s, 1], p[e, s, 2], p[e, s, 3]
                if not (np.isfinite(pt) and np.isfinite(eta) and np.isfinite(phi) and np.isfinite(c)):
                    return False
                if pt < 0 or abs(eta) > eta_max or abs(phi) > phi_max:
                    return False
                if c == 0:
                    if pt != 0 or eta != 0 or phi != 0:
                        return False
                elif c != slot_class[s]:
                    return False
        return True

    _FAST["fn"] = all_valid
    return all_valid


_SLOT_CLASS_F = SLOT_CLASS.astype(np.float64)


def all_valid(p: np.ndarray) -> bool:
    """Fast test that every event of ``p`` (N, 19, 4) passes :func:`validate` (no report).

    Compiled for float32 C-contiguous arrays (what :func:`iter_chunks` reads); other
    arrays, or ``L1OT_NO_JIT=1``, answer False so the caller runs the full checks.
    """
    if (p.dtype != np.float32 or not p.flags.c_contiguous or p.shape[1:] != (N_SLOTS, N_COLS)
            or os.environ.get("L1OT_NO_JIT")):
        return False
    fn = _fast_check()
    if fn is None:
        return False
    return bool(fn(p, _SLOT_CLASS_F, np.float32(ETA_MAX + ANGLE_TOL), np.float32(PHI_MAX + ANGLE_TOL)))


def validate(
    particles: np.ndarray,
    *,
    source: str = "<array>",
    dataset: str = DATASET,
    offset: int = 0,
    on_bad_event: str = "fail",
) -> tuple[np.ndarray, ValidationReport]:
    """Validate events and apply the bad-event policy.

    Parameters
    ----------
    particles : array (N, 19, 4)
        Events in ADC2021 layout (pT/GeV, eta, phi, class id).
    source, dataset : str
        File and dataset names used in error messages.
    offset : int
        Index of ``particles[0]`` in the file, so messages give file indices.
    on_bad_event : {"fail", "skip"}
        ``"fail"`` raises the first problem found as a typed
        :class:`~l1ot.errors.DataError`; ``"skip"`` returns a mask that drops
        bad events and counts them in the report.

    Returns
    -------
    good : bool array (N,)
        Events that passed every check.
    report : ValidationReport
    """
    if on_bad_event not in BAD_EVENT_POLICIES:
        raise ValueError(f"on_bad_event must be one of {BAD_EVENT_POLICIES}, got {on_bad_event!r}")
    p = np.asarray(particles)
    check_shape(p.shape, source=source, dataset=dataset)
    report = ValidationReport(n_events=p.shape[0])
    if all_valid(p):
        return np.ones(p.shape[0], dtype=bool), report
    bad_event = np.zeros(p.shape[0], dtype=bool)
    for kind, err_cls, mask, fld, msg in _checks(p):
        if not mask.any():
            continue
        ev, slot = np.argwhere(mask)[0]
        err = err_cls(f"{msg} (row = {np.array2string(p[ev, slot], precision=4)})",
                      file=source, dataset=dataset, event=int(ev) + offset, slot=int(slot), field=fld)
        if on_bad_event == "fail":
            raise err
        if report.first_error is None:  # the error "fail" raises: first check kind, first event
            report.first_error = err
        per_event = mask.any(axis=1)
        report.reasons[kind] += int(per_event.sum())
        if len(report.first) < 10:
            report.first.append(
                f"event {int(ev) + offset}, slot {int(slot)}, field {fld}: {msg}"
            )
        bad_event |= per_event
    report.n_bad = int(bad_event.sum())
    return ~bad_event, report


def check_dtype(dtype, *, source="<array>", dataset=DATASET) -> None:
    """Raise :class:`DTypeError` unless ``dtype`` is floating point.

    The one rule for integer-typed events, applied by every reader of a file
    (:func:`_dataset`): they are refused. ADC2021 stores float32; an integer
    dataset has lost the fractional part of eta and phi (and of pT), so its
    events cannot be the ones the file was meant to hold.
    """
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise DTypeError(f"expected a floating-point dtype (ADC2021 stores float32), got {dtype}: "
                         "integer pT/eta/phi have lost their fractional part; convert the file "
                         "from its source", file=source, dataset=dataset)


def check_shape(shape, *, source="<array>", dataset=DATASET) -> None:
    """Raise :class:`ShapeError` unless ``shape`` is ``(N, 19, 4)``."""
    if len(shape) != 3 or tuple(shape[1:]) != (N_SLOTS, N_COLS):
        raise ShapeError(
            f"expected shape (N, {N_SLOTS}, {N_COLS}), got {tuple(shape)}",
            file=source, dataset=dataset,
        )


# --------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------
def _open(path):
    import h5py

    path = os.fspath(path)
    if not os.path.exists(path):
        raise DataError("file not found", file=path)
    if os.path.isdir(path):
        raise DataError("is a folder, not a file", file=path)
    try:
        return h5py.File(path, "r")
    except OSError as exc:
        raise CorruptFileError(f"cannot open as HDF5 ({exc})", file=path) from None


def _dataset(f, path, dataset):
    if dataset not in f:
        have = ", ".join(sorted(f.keys())) or "nothing"
        raise MissingDatasetError(f"dataset not found (file holds: {have})", file=path, dataset=dataset)
    d = f[dataset]
    if not hasattr(d, "shape"):
        raise ShapeError("is a group, not a dataset", file=path, dataset=dataset)
    check_shape(d.shape, source=path, dataset=dataset)
    if d.dtype.kind not in "fiu":
        raise ShapeError(f"expected a numeric dtype, got {d.dtype}", file=path, dataset=dataset)
    check_dtype(d.dtype, source=path, dataset=dataset)
    return d


def count(path, dataset: str = DATASET) -> int:
    """Number of events in ``path`` (reads metadata only)."""
    with _open(path) as f:
        return int(_dataset(f, os.fspath(path), dataset).shape[0])


#: optional per-event group id (simulated samples): events sharing it come from one
#: parton-level event and must stay on one side of every split (:mod:`l1ot.io.splits`)
GROUP_DATASET = "parton_event"


def load_groups(path, n_events: int | None = None) -> tuple[np.ndarray, bool]:
    """Parton-level group id of every event of ``path``.

    Returns ``(groups, stored)``: ``groups`` int64 ``(N,)`` from the dataset
    ``parton_event`` when the file has it (``stored`` True), else one group per
    event, ``arange(N)`` (``stored`` False: real ADC2021 files and samples written
    before the dataset existed). A ``parton_event`` dataset of the wrong shape or
    dtype raises :class:`l1ot.errors.DataError` naming the file and dataset.
    """
    path = os.fspath(path)
    with _open(path) as f:
        n = int(_dataset(f, path, DATASET).shape[0]) if n_events is None else int(n_events)
        if GROUP_DATASET not in f:
            return np.arange(n, dtype=np.int64), False
        d = f[GROUP_DATASET]
        if not hasattr(d, "shape"):
            raise ShapeError("is a group, not a dataset", file=path, dataset=GROUP_DATASET)
        if d.shape != (n,):
            raise ShapeError(f"expected shape ({n},) (one id per event), got {tuple(d.shape)}",
                             file=path, dataset=GROUP_DATASET)
        if d.dtype.kind not in "iu":
            raise ShapeError(f"expected an integer dtype, got {d.dtype}", file=path, dataset=GROUP_DATASET)
        return np.asarray(d[()], dtype=np.int64), True


def iter_chunks(
    path,
    *,
    chunk_size: int = DEFAULT_CHUNK,
    start: int = 0,
    n: int | None = None,
    on_bad_event: str = "fail",
    dataset: str = DATASET,
    report: ValidationReport | None = None,
    reuse_buffer: bool = False,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Stream validated events from an ADC2021 file.

    Yields ``(index, particles)`` with ``index`` int64 (M,) the event indices
    in the file and ``particles`` float32 (M, 19, 4). Memory use is bounded by
    ``chunk_size`` whatever the file size. With ``on_bad_event="skip"`` bad
    events are dropped and counted into ``report`` (if given).

    ``reuse_buffer=True`` reads every chunk of a float32 dataset into the same
    array (no fresh allocation and page faults per chunk): each yielded array is
    then only valid until the next one is requested.
    """
    path = os.fspath(path)
    if chunk_size < 1 or start < 0 or (n is not None and n < 0):
        raise ValueError(f"iter_chunks: need chunk_size >= 1, start >= 0, n >= 0; got {chunk_size}, {start}, {n}")
    with _open(path) as f:
        d = _dataset(f, path, dataset)
        total = d.shape[0]
        stop = total if n is None else min(total, start + n)
        buf = None
        if reuse_buffer and d.dtype == np.float32 and stop > start:
            buf = np.empty((min(chunk_size, stop - start), N_SLOTS, N_COLS), dtype=np.float32)
        for lo in range(start, stop, chunk_size):
            hi = min(stop, lo + chunk_size)
            try:
                if buf is not None:
                    block = buf[:hi - lo]
                    d.read_direct(block, np.s_[lo:hi], np.s_[0:hi - lo])
                else:
                    block = np.asarray(d[lo:hi], dtype=np.float32)
            except (OSError, RuntimeError, ValueError) as exc:
                a, b = _unreadable_range(d, lo, hi)
                raise CorruptFileError(f"cannot read these events: file truncated or corrupt ({exc})",
                                       file=path, dataset=dataset, events=(a, b)) from None
            good, rep = validate(block, source=path, dataset=dataset, offset=lo,
                                 on_bad_event=on_bad_event)
            if report is not None:
                report.add(rep)
            idx = np.arange(lo, hi, dtype=np.int64)
            if rep.ok:
                yield idx, block
            else:
                yield idx[good], block[good]


def _unreadable_range(d, lo: int, hi: int) -> tuple[int, int]:
    """The first block of events of dataset ``d`` met in ``[lo, hi)`` that cannot be read.

    Reads ``d`` storage chunk by storage chunk (the unit HDF5 decompresses, the
    smallest one that can fail) over the chunks that overlap ``[lo, hi)`` and returns
    the first failing chunk's events ``(first, stop)``, whole (also the events of it
    outside ``[lo, hi)``: none of them can be read). ``(lo, hi)`` when ``d`` is not
    chunked or every chunk reads on retry. Called only after a read of ``[lo, hi)`` failed.
    """
    step = d.chunks[0] if d.chunks else 0
    if step <= 0:
        return lo, hi
    total = d.shape[0]
    for a in range(lo // step * step, hi, step):
        b = min(total, a + step)
        try:
            d[a:b]
        except (OSError, RuntimeError, ValueError):
            return a, b
    return lo, hi


def load(
    path,
    n: int | None = None,
    start: int = 0,
    *,
    on_bad_event: str = "fail",
    dataset: str = DATASET,
    report: ValidationReport | None = None,
    chunk_size: int = DEFAULT_CHUNK,
) -> np.ndarray:
    """Load ``n`` validated events (all if ``None``) starting at ``start``.

    Returns float32 (N, 19, 4). For whole large files use :func:`iter_chunks`.
    """
    parts = [p for _, p in iter_chunks(path, chunk_size=chunk_size, start=start, n=n,
                                       on_bad_event=on_bad_event, dataset=dataset,
                                       report=report)]
    if not parts:
        return np.zeros((0, N_SLOTS, N_COLS), dtype=np.float32)
    return np.concatenate(parts)


def read_metadata(path) -> dict:
    """Attributes and the optional ``Particles_Classes``/``Particles_Names`` of a file."""
    path = os.fspath(path)
    with _open(path) as f:
        meta = {"attrs": {k: _plain(v) for k, v in f.attrs.items()}}
        for name in ("Particles_Classes", "Particles_Names"):
            if name in f:
                meta[name] = [x.decode() if isinstance(x, bytes) else str(x) for x in f[name][()]]
        meta["datasets"] = sorted(f.keys())
    return meta


def _plain(v):
    if isinstance(v, bytes):
        return v.decode()
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, np.generic):
        return v.item()
    return v


# --------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------
def write_events(
    path,
    particles: np.ndarray,
    *,
    attrs: dict | None = None,
    extra: dict | None = None,
    compression: str | None = "gzip",
    compression_opts: int | None = 9,
    validate_first: bool = True,
) -> None:
    """Write events in ADC2021 layout.

    Parameters
    ----------
    particles : array (N, 19, 4)
        Events; stored as float32 with shuffle + gzip by default.
    attrs : dict, optional
        File attributes (provenance). Non-scalar values are stored as given.
    extra : dict, optional
        Additional datasets, e.g. ``{"process_id": int array (N,)}``.
    validate_first : bool
        Refuse to write events that would not read back (default True).
    """
    import h5py

    p = np.asarray(particles, dtype=np.float32)
    path = os.fspath(path)
    if validate_first:
        validate(p, source=path)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    kw = {}
    if compression and p.shape[0]:  # (an empty dataset cannot be chunked)
        kw = dict(compression=compression, compression_opts=compression_opts, shuffle=True)
        kw["chunks"] = (min(max(1, p.shape[0]), 4096), N_SLOTS, N_COLS)
    with h5py.File(path, "w") as f:
        f.create_dataset(DATASET, data=p, **kw)
        f.create_dataset("Particles_Classes", data=np.array(PARTICLES_CLASSES))
        f.create_dataset("Particles_Names", data=np.array(PARTICLES_NAMES))
        for k, v in (extra or {}).items():
            v = np.asarray(v)
            ekw = dict(compression=compression, compression_opts=compression_opts) if compression and v.ndim else {}
            f.create_dataset(k, data=v, **ekw)
        for k, v in (attrs or {}).items():
            f.attrs[k] = v


class ChunkWriter:
    """Append events to an ADC2021 file chunk by chunk (for large outputs).

    The file is written under a temporary name beside ``path`` and renamed when
    the writer is closed without an error (:mod:`l1ot.outputs`); it carries the
    attributes ``complete`` and ``n_events``. An exception inside the ``with``
    block leaves no file.

    >>> with ChunkWriter("out.h5") as w:          # doctest: +SKIP
    ...     for _, block in iter_chunks("in.h5"):
    ...         w.append(block)
    """

    def __init__(self, path, *, attrs: dict | None = None, chunk: int = 4096):
        import h5py

        from .. import outputs

        self.path = os.fspath(path)
        outputs.check(outputs=[self.path])
        self._tx = outputs.Transaction()
        self._f = h5py.File(self._tx.file(self.path), "w")
        outputs.mark_incomplete(self._f)
        self._d = self._f.create_dataset(
            DATASET, shape=(0, N_SLOTS, N_COLS), maxshape=(None, N_SLOTS, N_COLS),
            dtype=np.float32, chunks=(chunk, N_SLOTS, N_COLS), compression="gzip",
            compression_opts=4, shuffle=True,
        )
        self._f.create_dataset("Particles_Classes", data=np.array(PARTICLES_CLASSES))
        self._f.create_dataset("Particles_Names", data=np.array(PARTICLES_NAMES))
        for k, v in (attrs or {}).items():
            self._f.attrs[k] = v

    def append(self, particles: np.ndarray) -> None:
        p = np.asarray(particles, dtype=np.float32)
        validate(p, source=self.path, offset=self._d.shape[0])
        n0 = self._d.shape[0]
        self._d.resize(n0 + p.shape[0], axis=0)
        self._d[n0:] = p

    def close(self) -> None:
        """Mark the file complete and move it into place."""
        from .. import outputs

        if self._f:
            outputs.mark_complete(self._f, self._d.shape[0])
            self._f.close()
            self._f = None
            self._tx.commit()

    def abort(self) -> None:
        """Drop the file (nothing is left behind)."""
        if self._f:
            self._f.close()
            self._f = None
        self._tx.discard()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is None:
            self.close()
        else:
            self.abort()


# --------------------------------------------------------------------------
# summaries (used by `l1ot inspect`)
# --------------------------------------------------------------------------
def multiplicities(particles: np.ndarray) -> dict[str, np.ndarray]:
    """Per-event multiplicity of each species, int (N,) arrays keyed by block name."""
    occupied = particles[..., 3] != 0
    return {name: occupied[:, a:b].sum(axis=1) for name, a, b in BLOCKS}


def inspect_file(path, *, chunk_size: int = DEFAULT_CHUNK, n: int | None = None,
                 progress: bool = False) -> dict:
    """Streamed summary of a file: counts, multiplicities, ranges and validation.

    Validation runs with ``on_bad_event="skip"`` so that every problem is
    counted, not only the first.
    """
    path = os.fspath(path)
    total = count(path)
    report = ValidationReport()
    mult_hist = {name: np.zeros(b - a + 1, dtype=np.int64) for name, a, b in BLOCKS}
    ranges = {name: {c: [np.inf, -np.inf] for c in ("pT", "eta", "phi")} for name, _, _ in BLOCKS}
    n_read = 0
    it = iter_chunks(path, chunk_size=chunk_size, n=n, on_bad_event="skip", report=report)
    if progress:
        from ..progress import bar

        it = bar(it, total=-(-min(total, n or total) // chunk_size), unit="chunk", desc="inspect")
    for _, p in it:
        n_read += p.shape[0]
        for name, m in multiplicities(p).items():
            mult_hist[name] += np.bincount(m, minlength=len(mult_hist[name]))
        for name, a, b in BLOCKS:
            blk = p[:, a:b]
            occ = blk[..., 3] != 0
            if not occ.any():
                continue
            for c, col in enumerate(("pT", "eta", "phi")):
                vals = blk[..., c][occ]
                r = ranges[name][col]
                r[0], r[1] = min(r[0], float(vals.min())), max(r[1], float(vals.max()))
    return {
        "file": path,
        "n_events": total,
        "n_valid": n_read,
        "validation": report,
        "multiplicity": {k: v.tolist() for k, v in mult_hist.items()},
        "ranges": ranges,
    }
