"""Run one function over many tasks: locally or on a Dask distributed cluster.

Every backend takes the same module-level function and list of picklable
tasks, and yields ``(index, result)`` pairs as tasks finish (in any order);
:func:`run_tasks` and :meth:`TaskPool.map` put the results back in task
order. The registry :data:`EXECUTORS` maps the ``--executor`` choices to
backends:

``local``
    a process pool on this machine (one worker runs in this process);
``dask``
    Dask distributed: a ``LocalCluster`` of *workers* single-threaded worker
    processes, or the running cluster at ``scheduler`` (``tcp://host:8786``),
    whose workers must see the same files (shared storage).

A :class:`TaskPool` keeps its workers across several batches of tasks (a
stage that decides its next batch from the last one's results) and hands
every worker, once, read-only *shared* state that the task function reads
with :func:`shared_state` (a vocabulary too large to send with every task).

Examples
--------
>>> run_tasks(abs, [-3, 2, -1], ExecutorConfig("local", workers=1), progress=False)
[3, 2, 1]
>>> with TaskPool(ExecutorConfig("local", workers=1), shared={"offset": 10}) as pool:
...     pool.map(lambda x: x + shared_state()["offset"], [1, 2])
[11, 12]
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from dataclasses import dataclass
from typing import Callable, Iterator

from tqdm import tqdm

from .errors import ConfigError

__all__ = ["ExecutorConfig", "EXECUTORS", "TaskPool", "LocalBackend", "DaskBackend", "run_tasks",
           "shared_state"]

log = logging.getLogger(__name__)

_SHARED: dict = {}  # this process's copy of the running pool's shared state


@dataclass(frozen=True)
class ExecutorConfig:
    """Which backend, with how many workers (default: every core)."""

    name: str = "local"
    workers: int | None = None
    scheduler: str | None = None

    def __post_init__(self):
        if self.name not in EXECUTORS:
            raise ConfigError(f"unknown executor {self.name!r}; choose from {', '.join(sorted(EXECUTORS))}")
        if self.workers is not None and self.workers < 1:
            raise ConfigError("workers must be at least 1")

    @property
    def worker_count(self) -> int:
        return self.workers or os.cpu_count() or 1


def shared_state() -> dict:
    """The *shared* mapping of the :class:`TaskPool` this task runs in."""
    return _SHARED


def _set_shared(state: dict) -> None:
    _SHARED.clear()
    _SHARED.update(state)


def _call(function_and_task):
    function, index, task = function_and_task
    return index, function(task)


def _call_with_shared(function_and_task, state: dict):
    if _SHARED is not state:
        _set_shared(state)
    return _call(function_and_task)


class LocalBackend:
    """A process pool on this machine; one worker runs the tasks in this process.

    With *shared* state the pool forks where the platform can, so workers
    inherit the state instead of unpickling it; without, it starts workers
    from a clean server process (forkserver, else spawn)."""

    def __init__(self, config: ExecutorConfig, shared: dict, workers: int):
        self.pool = None
        if workers > 1:
            methods = multiprocessing.get_all_start_methods()
            method = ("fork" if shared and "fork" in methods
                      else "forkserver" if "forkserver" in methods else "spawn")
            self.pool = multiprocessing.get_context(method).Pool(workers, initializer=_set_shared,
                                                                  initargs=(shared,))

    def imap(self, function: Callable, tasks: list) -> Iterator[tuple[int, object]]:
        jobs = [(function, i, t) for i, t in enumerate(tasks)]
        if self.pool is None:
            return map(_call, jobs)
        return self.pool.imap_unordered(_call, jobs)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()


class DaskBackend:
    """Dask distributed: a local cluster, or the cluster at ``config.scheduler``;
    *shared* state is scattered to every worker once."""

    def __init__(self, config: ExecutorConfig, shared: dict, workers: int):
        from dask.distributed import Client, LocalCluster

        if config.scheduler:
            self.client, self.cluster = Client(config.scheduler), None
        else:
            self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                        dashboard_address=None, host="127.0.0.1")
            self.client = Client(self.cluster)
        self.shared = self.client.scatter([shared], broadcast=True)[0] if shared else None

    def imap(self, function: Callable, tasks: list) -> Iterator[tuple[int, object]]:
        from dask.distributed import as_completed

        jobs = [(function, i, t) for i, t in enumerate(tasks)]
        if self.shared is None:
            futures = self.client.map(_call, jobs, pure=False)
        else:
            futures = [self.client.submit(_call_with_shared, job, self.shared, pure=False) for job in jobs]
        return (future.result() for future in as_completed(futures))

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


#: Backends by ``--executor`` choice.
EXECUTORS = {"local": LocalBackend, "dask": DaskBackend}


class TaskPool:
    """Workers of the configured backend, kept for several :meth:`map` calls.

    *shared* (picklable, read-only) reaches every worker once; task
    functions read it with :func:`shared_state`. *max_tasks* (when known)
    caps the workers started. Use it as a context manager.
    """

    def __init__(self, config: ExecutorConfig = ExecutorConfig(), *, shared: dict | None = None,
                 max_tasks: int | None = None):
        self.config, self.shared = config, dict(shared or {})
        self.workers = max(1, min(config.worker_count, max_tasks if max_tasks is not None else config.worker_count))
        self._previous: dict | None = None
        self.backend = None

    def __enter__(self) -> "TaskPool":
        self._previous = dict(_SHARED)
        _set_shared(self.shared)  # tasks that run in this process see it too
        self.backend = EXECUTORS[self.config.name](self.config, self.shared, self.workers)
        return self

    def __exit__(self, *exc) -> None:
        try:
            if self.backend is not None:
                self.backend.close()
        finally:
            _set_shared(self._previous or {})
            self.backend = None

    def imap_unordered(self, function: Callable, tasks: list) -> Iterator[tuple[int, object]]:
        """``(index, function(task))`` pairs as tasks finish."""
        return self.backend.imap(function, list(tasks))

    def map(self, function: Callable, tasks: list) -> list:
        """``[function(task) for task in tasks]``, in task order."""
        tasks = list(tasks)
        results = [None] * len(tasks)
        for index, result in self.imap_unordered(function, tasks):
            results[index] = result
        return results


def run_tasks(function: Callable, tasks: list, config: ExecutorConfig = ExecutorConfig(), *,
              progress: bool = True, description: str = "tasks") -> list:
    """``[function(task) for task in tasks]`` on the configured backend.

    >>> run_tasks(str, [1, 2], progress=False)
    ['1', '2']
    """
    tasks = list(tasks)
    results = [None] * len(tasks)
    with TaskPool(config, max_tasks=len(tasks)) as pool:
        for index, result in tqdm(pool.imap_unordered(function, tasks), total=len(tasks), desc=description,
                                  unit=" shards", disable=not progress):
            results[index] = result
    return results
