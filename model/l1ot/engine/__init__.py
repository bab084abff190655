"""Execution engines for the heavy jobs: in this process, or on a Dask cluster.

An :class:`Engine` maps a function over *partitions* (event ranges ``[lo, hi)``
of an HDF5 file, read by whoever runs the partition) and yields the results in
partition order, with a progress bar. Three places it runs:

* ``Engine(workers=1)``: in this process, one partition after the other (the
  single-process path; no Dask import);
* ``Engine()`` (default ``workers`` = the cores this process may use): an
  embedded ``dask.distributed.LocalCluster`` of worker processes on 127.0.0.1,
  started only when there is more than one partition;
* ``Engine(scheduler="tcp://host:8786")``: an existing ``dask.distributed``
  cluster (``docs/scale.md``); the input files must sit where the workers see
  them under the same absolute path.

A worker that dies mid-job has its partitions re-run elsewhere by the Dask
scheduler (up to ``distributed.scheduler.allowed-failures`` times, default 3);
past that the job stops with :class:`EngineError`, one line, and the command's
output transaction leaves no output file. Errors raised by the partition
function on a worker (bad input, ...) reach the caller with their type and
message unchanged.

Loky/joblib code (exact W2 matrices) runs on the same cluster through
:meth:`Engine.joblib`, joblib's Dask backend.
"""
from __future__ import annotations

# implementation: partitions.py (event ranges, usable cores), cluster.py (Engine, EngineError)
from .cluster import Engine, EngineError
from .partitions import DEFAULT_PARTITION, partitions, usable_cores

__all__ = ["DEFAULT_PARTITION", "Engine", "EngineError", "partitions", "usable_cores"]
