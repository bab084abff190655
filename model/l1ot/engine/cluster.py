"""Where partitions run: this process, an embedded Dask LocalCluster, or a Dask scheduler.

:class:`Engine` and :class:`EngineError`; the package docstring of
:mod:`l1ot.engine` describes the three places and the failure rules.
"""
from __future__ import annotations

import contextlib
import logging
import os
from typing import Callable, Iterable, Iterator, Sequence

from ..errors import L1otError
from .partitions import usable_cores


class EngineError(L1otError):
    """The cluster could not be reached, or a partition could not be computed (workers died)."""


class Engine:
    """Where partitions run (see the docstring of :mod:`l1ot.engine`).

    Parameters
    ----------
    scheduler : str, optional
        Address of a running ``dask.distributed`` scheduler (``tcp://host:8786``).
    workers : int, optional
        Worker processes of the embedded local cluster (default: usable cores);
        1 runs everything in this process.
    progress : bool
        Show a progress bar.
    """

    def __init__(self, scheduler: str | None = None, workers: int | None = None, progress: bool = True):
        self.scheduler = scheduler
        self.workers = usable_cores() if workers is None else int(workers)
        if self.workers < 1:
            raise ValueError("workers must be >= 1")
        self.progress = progress
        self._client = None
        self._cluster = None

    # -- description -----------------------------------------------------------
    @property
    def distributed(self) -> bool:
        """Whether partitions may run on Dask (a scheduler, or more than one local worker)."""
        return self.scheduler is not None or self.workers > 1

    def describe(self) -> str:
        if self.scheduler:
            return f"dask cluster {self.scheduler}"
        if self._cluster is not None:
            return f"local dask cluster, {self.workers} worker processes"
        return "this process"

    # -- cluster ---------------------------------------------------------------
    def client(self):
        """The ``distributed.Client`` (connects or starts the local cluster on first use)."""
        if self._client is not None:
            return self._client
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - a dependency
            raise EngineError(f"the Dask engine needs dask.distributed ({exc})") from None
        if self.scheduler:
            try:
                self._client = Client(self.scheduler, timeout="15s")
            except (OSError, TimeoutError, ValueError) as exc:
                raise EngineError(f"cannot connect to the Dask scheduler {self.scheduler} "
                                  f"({type(exc).__name__}: {exc})") from None
            return self._client
        try:
            self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                         host="127.0.0.1", dashboard_address=":0",
                                         silence_logs=logging.ERROR)
            self._client = Client(self._cluster)
        except (OSError, TimeoutError, RuntimeError) as exc:
            self.close()
            raise EngineError(f"cannot start a local Dask cluster of {self.workers} workers "
                              f"({type(exc).__name__}: {exc}); --workers 1 runs in this process") from None
        return self._client

    def n_workers(self) -> int:
        if not self.distributed:
            return 1
        info = self.client().scheduler_info()
        return max(1, sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()))

    def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.close()
        if self._cluster is not None:
            with contextlib.suppress(Exception):
                self._cluster.close()
        self._client = self._cluster = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- work ------------------------------------------------------------------
    def map(self, fn: Callable, tasks: Sequence[tuple], *, weights: Iterable[int] | None = None,
            desc: str = "", unit: str = "ev", total: int | None = None, in_process: bool | None = None,
            ahead: int | None = None, labels: Sequence[str] | None = None) -> Iterator:
        """Yield ``fn(*task)`` for each task, in task order.

        Parameters
        ----------
        fn : picklable callable (a module-level function)
        tasks : sequence of argument tuples
        weights : progress units of each task (default 1 each); ``total`` their sum
        in_process : force (True) or forbid (False) running here; default: here when
            there is no scheduler and at most one task or one worker
        ahead : tasks submitted ahead of the one being collected (bounds the memory
            of finished results waiting for their turn; default 2 per worker + 2)
        labels : how errors name each task (default ``task i``), e.g. ``events 0..999 of FILE``
        """
        from ..progress import bar as progress_bar

        tasks = list(tasks)
        labels = [f"task {i}" for i in range(len(tasks))] if labels is None else list(labels)
        weights = [1] * len(tasks) if weights is None else list(weights)
        total = sum(weights) if total is None else total
        here = (not self.distributed or (self.scheduler is None and len(tasks) <= 1)) \
            if in_process is None else in_process
        with progress_bar(total=total, unit=unit, desc=desc, disable=not self.progress) as bar:
            if here:
                for t, w in zip(tasks, weights):
                    yield fn(*t)
                    bar.update(w)
                return
            yield from self._map_dask(fn, tasks, weights, bar, ahead, labels)

    def _map_dask(self, fn, tasks, weights, bar, ahead, labels):
        client = self.client()
        ahead = ahead or 2 * self.n_workers() + 2
        futures = {}
        nxt = 0

        def submit_upto(i):
            nonlocal nxt
            while nxt < len(tasks) and nxt < i:
                futures[nxt] = client.submit(fn, *tasks[nxt], pure=False, key=f"l1ot-{fn.__name__}-{nxt}-"
                                             f"{os.getpid()}-{id(tasks)}")
                nxt += 1

        try:
            for i in range(len(tasks)):
                submit_upto(i + ahead)
                fut = futures.pop(i)
                try:
                    res = fut.result()
                except L1otError:
                    raise
                except Exception as exc:
                    raise EngineError(self._failure(exc, labels[i])) from None
                yield res
                bar.update(weights[i])
        finally:
            for f in futures.values():
                f.cancel()

    def _failure(self, exc, what) -> str:
        name = type(exc).__name__
        if name == "KilledWorker":
            n = self._allowed_failures()
            times = ("once" if n == 0 else f"{n + 1} times") if isinstance(n, int) else "repeatedly"
            return (f"{what}: a worker died while running it, {times} (distributed.scheduler."
                    f"allowed-failures = {n}; {self.describe()}); nothing written")
        return f"{what} failed on {self.describe()}: {name}: {exc}"

    @staticmethod
    def _allowed_failures():
        try:
            import dask

            return dask.config.get("distributed.scheduler.allowed-failures")
        except Exception:  # pragma: no cover
            return "several"

    @contextlib.contextmanager
    def joblib(self, n_jobs: int):
        """Context in which joblib ``Parallel`` runs on this engine; yields the n_jobs to use.

        In-process engine: joblib's default (loky) with ``n_jobs``; Dask engine:
        joblib's ``dask`` backend on the cluster, one job per worker thread.
        """
        if not self.distributed:
            yield n_jobs
            return
        import joblib

        client = self.client()
        n = self.n_workers()
        try:
            with joblib.parallel_config(backend="dask", n_jobs=n):
                yield n
        except L1otError:
            raise
        except Exception as exc:
            if type(exc).__name__ in ("KilledWorker", "CommClosedError", "CancelledError"):
                raise EngineError(f"exact-W2 job failed on {self.describe()}: {type(exc).__name__}: {exc}") from None
            raise
        finally:
            del client
