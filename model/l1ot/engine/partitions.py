"""Event ranges of a job and the cores this process may use (:mod:`l1ot.engine`).

:func:`partitions` cuts ``[start, stop)`` into ranges ``[lo, hi)`` of a fixed
size aligned to the read chunk; every event of the range is in exactly one
partition, the last one possibly shorter (down to a single event).
"""
from __future__ import annotations

import os

#: events per partition on a cluster (a multiple of the read chunk)
DEFAULT_PARTITION = 1_000_000


def usable_cores() -> int:
    """Cores this process may run on (affinity mask), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def partitions(start: int, stop: int, size: int, align: int = 1) -> list[tuple[int, int]]:
    """Event ranges ``[lo, hi)`` covering ``[start, stop)``.

    Parameters
    ----------
    start, stop : int
        First event and one past the last.
    size : int
        Events per partition, rounded up to a multiple of ``align`` (so that
        partitions split the file at the same chunk boundaries as the
        single-process path).
    """
    if size < 1 or align < 1:
        raise ValueError(f"partitions: size and align must be >= 1, got {size}, {align}")
    size = -(-size // align) * align
    return [(lo, min(stop, lo + size)) for lo in range(start, stop, size)]
