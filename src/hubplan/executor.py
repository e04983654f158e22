"""Run independent tasks in this process, in local processes or on a Dask cluster.

One small interface (:class:`Executor.map`) with three back ends, chosen by
``scheduler``:

``"in-process"``
    one task after another here (the default; no start-up cost).
``"processes"``
    a :class:`concurrent.futures.ProcessPoolExecutor` of ``workers`` processes (started
    with ``spawn``: no inherited solver threads), each given the shared objects once, at
    start-up.
``"local"`` or a Dask address such as ``"tcp://host:8786"``
    Dask distributed: ``"local"`` starts a ``LocalCluster`` of ``workers`` processes with
    one thread each (torn down afterwards); an address connects to a user's cluster (on
    Kubernetes, an HPC queue through dask-jobqueue, ...). The shared objects are scattered
    to every worker once (``broadcast``), and each task gets them from its worker's memory.

``fn(shared, item)`` must be a module-level function (it is pickled by reference) and
must not depend on anything but its arguments: results come back in the order of
``items`` whatever the back end, so the same inputs give the same numbers everywhere.
Every task runs with numpy's BLAS and OpenMP pools at one thread (``threadpoolctl``), on
every back end, in-process too: a sum split over threads is added in another order, so
results would otherwise differ in the last digits. Callers ask the solver for one thread,
so ``workers`` processes use ``workers`` cores.
"""

from __future__ import annotations

import os
import pickle
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from hubplan.errors import InputError

__all__ = ["Executor", "SCHEDULERS", "local_cluster"]

#: Names accepted besides a Dask address (``tcp://``, ``tls://``, ``ws://``...).
SCHEDULERS = ("in-process", "processes", "local")
#: Environment of worker processes: one thread per worker for numpy's BLAS and OpenMP.
WORKER_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "OMP_WAIT_POLICY": "PASSIVE"}

Progress = Callable[[int, int], None]

_SHARED: Any = None  # the shared objects of a worker process (processes back end)


def _init_process(blob: bytes) -> None:
    global _SHARED
    os.environ.update(WORKER_ENV)
    _SHARED = pickle.loads(blob)


def _one_thread(fn: Callable[[Any, Any], Any], shared: Any, item: Any) -> Any:
    """``fn(shared, item)`` with numpy's BLAS and OpenMP pools at one thread: a sum split over
    threads is added in another order, so results would depend on the back end in the
    last digits."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return fn(shared, item)


def _run_in_process(fn: Callable[[Any, Any], Any], item: Any) -> Any:
    return _one_thread(fn, _SHARED, item)


def _run_on_dask(fn: Callable[[Any, Any], Any], item: Any, shared: Any) -> Any:
    return _one_thread(fn, shared, item)


#: Dask's own worker environment sets ``MALLOC_TRIM_THRESHOLD_`` (to give memory back to
#: the system sooner); any value turns off glibc's adaptive mmap threshold, so every large
#: array is mapped and zeroed afresh, and a national draw took 1.7 times as long (10.3 s
#: against 17.2 s for 12 draws in-process with the variable set; docs/uncertainty.md).
#: hubplan's local clusters start their workers without it.
DASK_WORKER_CONFIG = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}


def local_cluster(n_workers: int) -> Any:
    """A Dask ``LocalCluster`` of ``n_workers`` single-threaded worker processes, with the
    environment hubplan's tasks need (:data:`WORKER_ENV`, :data:`DASK_WORKER_CONFIG`)."""
    import dask
    from distributed import LocalCluster

    # A Dask cluster started earlier in this process leaves the variable in os.environ
    # (its nanny sets it here before spawning), and spawned workers inherit os.environ:
    # take it out while the workers start.
    inherited = os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    try:
        with dask.config.set(DASK_WORKER_CONFIG):
            # No dashboard; the scheduler's HTTP server (health routes) would still take
            # port 8787, and warn when another cluster has it: any free local port will do.
            return LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                                dashboard_address=None, scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                                env=dict(WORKER_ENV))
    finally:
        if inherited is not None:
            os.environ["MALLOC_TRIM_THRESHOLD_"] = inherited


@dataclass(frozen=True)
class Executor:
    """Where tasks run: ``scheduler`` (see the module docstring) and ``workers`` (processes
    for ``processes`` and ``local``; default 2; ignored for a cluster address)."""

    scheduler: str = "in-process"
    workers: int | None = None

    def __post_init__(self) -> None:
        s = str(self.scheduler).strip()
        if s not in SCHEDULERS and "://" not in s:
            raise InputError(f"--scheduler {self.scheduler!r}: expected in-process, processes, local (a Dask "
                             "LocalCluster) or a Dask scheduler address such as tcp://host:8786")
        if self.workers is not None and (isinstance(self.workers, bool) or not isinstance(self.workers, int)
                                         or not 1 <= self.workers <= 1024):
            raise InputError(f"--workers {self.workers!r}: expected a whole number from 1 to 1024")
        object.__setattr__(self, "scheduler", s)

    @property
    def description(self) -> str:
        if self.scheduler == "in-process":
            return "in-process"
        if self.scheduler == "processes":
            return f"{self.n_workers} local processes"
        if self.scheduler == "local":
            return f"Dask LocalCluster of {self.n_workers} workers (1 thread each)"
        return f"Dask cluster at {self.scheduler}"

    @property
    def n_workers(self) -> int:
        return self.workers or 2

    def map(self, fn: Callable[[Any, Any], Any], items: Sequence[Any], shared: Any = None,
            progress: Progress | None = None) -> list[Any]:
        """``[fn(shared, item) for item in items]``, run on this executor's back end."""
        items = list(items)
        total = len(items)
        say = progress or (lambda done, of: None)
        if self.scheduler == "in-process" or total == 0:
            out = []
            for i, item in enumerate(items):
                out.append(_one_thread(fn, shared, item))
                say(i + 1, total)
            return out
        if self.scheduler == "processes":
            return self._map_processes(fn, items, shared, say)
        return self._map_dask(fn, items, shared, say)

    def _map_processes(self, fn: Callable[[Any, Any], Any], items: list[Any], shared: Any,
                       say: Progress) -> list[Any]:
        import multiprocessing

        results: list[Any] = [None] * len(items)
        blob = pickle.dumps(shared, protocol=pickle.HIGHEST_PROTOCOL)
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=self.n_workers, mp_context=context, initializer=_init_process,
                                 initargs=(blob,)) as pool:
            futures = {pool.submit(_run_in_process, fn, item): i for i, item in enumerate(items)}
            for done, future in enumerate(as_completed(futures), start=1):
                results[futures[future]] = future.result()
                say(done, len(items))
        return results

    def _map_dask(self, fn: Callable[[Any, Any], Any], items: list[Any], shared: Any, say: Progress) -> list[Any]:
        from distributed import Client
        from distributed import as_completed as dask_completed

        cluster = None
        try:
            if self.scheduler == "local":
                cluster = local_cluster(self.n_workers)
                client = Client(cluster)
            else:
                try:
                    client = Client(self.scheduler, timeout="10s")
                except (OSError, TimeoutError) as exc:
                    raise InputError(f"--scheduler {self.scheduler}: cannot reach a Dask scheduler there ({exc})") from None
            try:
                shared_future = client.scatter(shared, broadcast=True)
                futures = client.map(_run_on_dask, [fn] * len(items), items, shared=shared_future, pure=False)
                index = {f.key: i for i, f in enumerate(futures)}
                results: list[Any] = [None] * len(items)
                for done, future in enumerate(dask_completed(futures), start=1):
                    results[index[future.key]] = future.result()
                    say(done, len(items))
                return results
            finally:
                client.close()
        finally:
            if cluster is not None:
                cluster.close()
