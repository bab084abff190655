"""Fixed, documented event splits of the background and signal files.

Background file of N events (bundled sample: N >= 30,000):

* ``train``  events ``[0, N - n_calib - n_test)`` -- k-medoids training
  (the first ``n_train`` of them) and the exact min-W2 reference set (the
  first ``n_ref``);
* ``calib``  the ``n_calib`` events before the test block -- threshold
  calibration (``l1ot calibrate``);
* ``test``   the last ``n_test`` events -- ``n_sets`` independent test sets of
  ``n_per_set`` (paper 1: 5 x 1,000).

Signal files: the first ``n_sets * n_per_set`` events form the test sets.

**Parton-level groups.** A simulated file may carry ``parton_event`` (int64
``(N,)``, :func:`l1ot.io.data.load_groups`): events that are re-hadronisations of
one parton-level event share it and must not sit on two sides of a split (a test
event whose sibling is in the reference set would get an unfairly small
distance). With groups, the test block stays the last ``n_test`` events and the
block boundaries move down: events before a block that belong to a group of a
later block are left out (with the groups stored contiguously, as
``scripts/make_dataset.py`` writes them, that is at most one group per boundary).
Files without the dataset (the real ADC2021 files, samples written before it
existed) have one group per event and the original boundaries.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import DataError

#: files whose missing ``parton_event`` has been reported (one line per file and process)
_NOTED: set = set()


def _first_member_before(groups: np.ndarray, stop: int, later: np.ndarray) -> int:
    """Smallest index ``i < stop`` whose group is in ``later`` (``stop`` if none)."""
    if stop <= 0 or later.size == 0:
        return stop
    hit = np.flatnonzero(np.isin(groups[:stop], later))
    return int(hit[0]) if hit.size else stop


@dataclass(frozen=True)
class Splits:
    n_sets: int = 5
    n_per_set: int = 1000
    n_calib: int = 5000

    @property
    def n_test(self) -> int:
        return self.n_sets * self.n_per_set

    def background(self, n_events: int, path: str = "<background>", groups=None) -> dict:
        """Ranges (start, stop) of the train, calib and test blocks.

        ``groups`` (int (N,), optional): parton-level group id per event; when given,
        no group has members in two blocks (see the module docstring).
        """
        n_train = n_events - self.n_calib - self.n_test
        if n_train <= 0:
            raise DataError(
                f"background file has {n_events} events; need more than "
                f"{self.n_calib + self.n_test} (calib {self.n_calib} + test {self.n_test})", file=path)
        if groups is None:
            return {"train": (0, n_train), "calib": (n_train, n_train + self.n_calib),
                    "test": (n_events - self.n_test, n_events)}
        g = np.asarray(groups)
        t0 = n_events - self.n_test
        c1 = _first_member_before(g, t0, np.unique(g[t0:]))
        c0 = c1 - self.n_calib
        tr1 = _first_member_before(g, c0, np.unique(g[c0:c1])) if c0 > 0 else c0
        if tr1 <= 0:
            raise DataError(
                f"no training events left after keeping each parton_event group on one side "
                f"(calib {self.n_calib} + test {self.n_test} of {n_events} events; groups must be stored "
                f"contiguously, as scripts/make_dataset.py writes them)", file=path, dataset="parton_event")
        return {"train": (0, tr1), "calib": (c0, c1), "test": (t0, n_events)}

    def background_file(self, path, log=None) -> dict:
        """:meth:`background` for the file ``path``, with its ``parton_event`` groups if stored.

        A file without them is split per event; this is reported once per file on
        ``log`` (default: standard output; errors keep standard error to themselves).
        """
        from . import data

        groups, stored = data.load_groups(path)
        if not stored:
            ranges = self.background(len(groups), path)
            key = str(path)
            if key not in _NOTED:
                _NOTED.add(key)
                msg = (f"note: {path} has no 'parton_event' dataset; splitting per event "
                       f"(one group per event)")
                (log or print)(msg)
            return ranges
        return self.background(len(groups), path, groups=groups)

    def signal(self, n_events: int, path: str = "<signal>") -> tuple[int, int]:
        if n_events < self.n_test:
            raise DataError(f"signal file has {n_events} events; need {self.n_test} for "
                            f"{self.n_sets} test sets of {self.n_per_set}", file=path)
        return (0, self.n_test)

    def signal_extra_start(self, path) -> int:
        """First event after the signal test block that shares no parton-level group with it."""
        from . import data

        groups, _ = data.load_groups(path)
        stop = min(self.n_test, len(groups))
        test_groups = np.unique(groups[:stop])
        later = np.flatnonzero(~np.isin(groups[stop:], test_groups))
        return stop + int(later[0]) if later.size else len(groups)


def group_overlap(groups, ranges: dict) -> int:
    """Number of parton-level groups with members in more than one of ``ranges`` (a check)."""
    g = np.asarray(groups)
    sets = [set(np.unique(g[a:b]).tolist()) for a, b in ranges.values()]
    seen, shared = set(), set()
    for s in sets:
        shared |= seen & s
        seen |= s
    return len(shared)


DEFAULT = Splits()
