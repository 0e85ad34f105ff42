"""Sweeps on a Dask cluster: the same chunks and task function as the local executor.

``dask[distributed]`` is the optional ``dask`` extra (``pip install
'rotation[dask]'``).  Point :func:`dask_executor` at a running scheduler
(``tcp://host:8786``) or let it start a :class:`distributed.LocalCluster`
of ``workers`` workers on this machine; either way
:func:`rotation.backtest.sweep.sweep` is called with the executor and returns
the same table as a local sweep (same function, same chunks, results put back
in grid order).  The bars panel is scattered to the workers once and shared
by every task.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from rotation.backtest.strategies import Panel
from rotation.backtest.sweep import Task
from rotation.errors import ConfigError


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise ConfigError("Dask sweeps need the dask extra: pip install 'rotation[dask]'") from None
    return distributed


class DaskExecutor:
    """Maps the sweep's task function over a ``distributed.Client``."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def map(self, fn: Callable[..., dict[str, np.ndarray]], panel: Panel,
            tasks: Sequence[Task]) -> list[dict[str, np.ndarray]]:
        shared = self.client.scatter(panel, broadcast=True)
        futures = [self.client.submit(fn, shared, *task, pure=False) for task in tasks]
        return list(self.client.gather(futures))


@contextmanager
def dask_executor(address: str | None = None, *, workers: int = 2, threads_per_worker: int = 1,
                  processes: bool = False) -> Iterator[DaskExecutor]:
    """A :class:`DaskExecutor` on the scheduler at ``address``, or on a new LocalCluster.

    The LocalCluster (``workers`` workers; threads by default, ``processes=True``
    for separate processes) is closed on exit; a client to a remote scheduler
    is closed but the cluster is left running.
    """
    dist = _distributed()
    if address:
        try:
            client = dist.Client(address, timeout="10s")
        except OSError as exc:
            raise ConfigError(f"--dask: cannot reach the Dask scheduler at {address}: {exc}") from None
        try:
            yield DaskExecutor(client)
        finally:
            client.close()
        return
    if workers < 1:
        raise ConfigError(f"--local-cluster: expected at least 1 worker, got {workers}")
    with dist.LocalCluster(n_workers=workers, threads_per_worker=threads_per_worker, processes=processes,
                           dashboard_address=None) as cluster, dist.Client(cluster) as client:
        yield DaskExecutor(client)
