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
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import DataError


@dataclass(frozen=True)
class Splits:
    n_sets: int = 5
    n_per_set: int = 1000
    n_calib: int = 5000

    @property
    def n_test(self) -> int:
        return self.n_sets * self.n_per_set

    def background(self, n_events: int, path: str = "<background>") -> dict:
        """Ranges (start, stop) of the train, calib and test blocks."""
        n_train = n_events - self.n_calib - self.n_test
        if n_train <= 0:
            raise DataError(
                f"background file has {n_events} events; need more than "
                f"{self.n_calib + self.n_test} (calib {self.n_calib} + test {self.n_test})", file=path)
        return {"train": (0, n_train), "calib": (n_train, n_train + self.n_calib),
                "test": (n_events - self.n_test, n_events)}

    def signal(self, n_events: int, path: str = "<signal>") -> tuple[int, int]:
        if n_events < self.n_test:
            raise DataError(f"signal file has {n_events} events; need {self.n_test} for "
                            f"{self.n_sets} test sets of {self.n_per_set}", file=path)
        return (0, self.n_test)


DEFAULT = Splits()
