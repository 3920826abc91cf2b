"""Run one function over many tasks: locally or on a Dask distributed cluster.

Every backend takes the same module-level function and list of picklable
tasks, and yields ``(index, result)`` pairs as tasks finish (in any order);
:func:`run_tasks` puts the results back in task order. The registry
:data:`EXECUTORS` maps the ``--executor`` choices to backends:

``local``
    a process pool on this machine (``workers=1`` runs in this process);
``dask``
    Dask distributed: a ``LocalCluster`` of *workers* single-threaded worker
    processes, or the running cluster at ``scheduler`` (``tcp://host:8786``),
    whose workers must see the same files (shared storage).

Examples
--------
>>> run_tasks(abs, [-3, 2, -1], ExecutorConfig("local", workers=1), progress=False)
[3, 2, 1]
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from dataclasses import dataclass
from typing import Callable, Iterator

from tqdm import tqdm

from .errors import ConfigError

log = logging.getLogger(__name__)


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


def _call(function_and_task):
    function, index, task = function_and_task
    return index, function(task)


def run_local(function: Callable, tasks: list, config: ExecutorConfig) -> Iterator[tuple[int, object]]:
    """A process pool (fork where available) over *tasks*."""
    workers = min(config.worker_count, len(tasks))
    if workers <= 1:
        for index, task in enumerate(tasks):
            yield index, function(task)
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    with context.Pool(workers) as pool:
        yield from pool.imap_unordered(_call, [(function, i, t) for i, t in enumerate(tasks)])


def run_dask(function: Callable, tasks: list, config: ExecutorConfig) -> Iterator[tuple[int, object]]:
    """Dask distributed: a local cluster, or the cluster at ``config.scheduler``."""
    from dask.distributed import Client, LocalCluster, as_completed

    if config.scheduler:
        client, cluster = Client(config.scheduler), None
    else:
        cluster = LocalCluster(n_workers=min(config.worker_count, max(len(tasks), 1)),
                               threads_per_worker=1, processes=True, dashboard_address=None,
                               host="127.0.0.1")
        client = Client(cluster)
    try:
        futures = client.map(_call, [(function, i, t) for i, t in enumerate(tasks)], pure=False)
        for future in as_completed(futures):
            yield future.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


#: Backends by ``--executor`` choice.
EXECUTORS = {"local": run_local, "dask": run_dask}


def run_tasks(function: Callable, tasks: list, config: ExecutorConfig = ExecutorConfig(), *,
              progress: bool = True, description: str = "tasks") -> list:
    """``[function(task) for task in tasks]`` on the configured backend."""
    results = [None] * len(tasks)
    done = EXECUTORS[config.name](function, list(tasks), config)
    for index, result in tqdm(done, total=len(tasks), desc=description, unit=" shards",
                              disable=not progress):
        results[index] = result
    return results
