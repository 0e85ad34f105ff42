"""Sweeps on a Dask cluster: the same chunks and task function as the local executor.

``dask[distributed]`` is the optional ``dask`` extra (``pip install
'rotation[dask]'``).  Point :func:`dask_executor` at a running scheduler
(``tcp://host:8786``) or let it start a :class:`distributed.LocalCluster`
of ``workers`` worker processes on this machine; either way
:func:`rotation.backtest.sweep.sweep` is called with the executor and returns
the same table as a local sweep (same function, results put back in grid
order).

How the work is spread:

* the bars panel is scattered to every worker once (``broadcast``) and shared
  by all the tasks, which carry only their parameter sets;
* each task runs its compiled loops on ``numba_threads`` threads (1 by default:
  the parallelism is Dask's, one task per worker thread, so the workers do not
  oversubscribe the cores; the LocalCluster's worker processes also start with
  ``NUMBA_NUM_THREADS`` set to it);
* a task carries its parameter sets as columns (:class:`ParamBlock`) and returns
  one ``[statistic, set]`` array;
* :meth:`DaskExecutor.warm_up` loads the compiled kernels on every worker
  before a timed sweep (a fresh worker process otherwise pays it in its first
  tasks).

The book's sweeps size their tasks from :attr:`DaskExecutor.slots` (see
:mod:`rotation.backtest.sweep`) and go through :meth:`DaskExecutor.map`; the
breakout sweep's chunks go through :meth:`DaskExecutor.run`
(:func:`rotation.backtest.breakout.run_plan`).
"""

from __future__ import annotations

import dataclasses
import logging
import operator
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import CancelledError
from contextlib import contextmanager
from typing import Any

import numpy as np

from rotation.backtest.stats import STAT_NAMES
from rotation.backtest.strategies import Panel, Strategy
from rotation.backtest.sweep import Task
from rotation.errors import ClusterError, ConfigError

# A local cluster still serves HTTP (health, metrics) even without the dashboard: on the default
# port 8787 a second cluster (another sweep, a test worker) gets a "port in use" warning, which
# pytest's warnings-as-errors turns into a failed start.  Any free port on loopback instead,
# and no dashboard (nobody looks at it during a sweep, and it costs the scheduler CPU).
LOOPBACK_ANY_PORT = "127.0.0.1:0"

#: Dask settings for the LocalCluster: its statistical profiler (a stack sample of every
#: worker thread each 10 ms) and its 20 ms event-loop ticks and 0.5 s system monitor cost
#: about 4% of a core per worker and 6% in this process (measured idle: 45 and 61 ms/s;
#: 5 and 12 ms/s with these), which on a 2-core machine is taken from the sweep.
QUIET: dict[str, Any] = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "500ms",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "500ms",
}


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise ConfigError("Dask sweeps need the dask extra: pip install 'rotation[dask]'") from None
    return distributed


def _numba_threads(threads: int | None) -> None:
    if threads:
        import numba

        numba.set_num_threads(max(1, min(int(threads), int(numba.config.NUMBA_NUM_THREADS))))  # type: ignore[attr-defined]


class ParamBlock:
    """A chunk's parameter sets (frozen dataclasses of one class) as columns, field by field:
    what a task carries.  Far cheaper to pickle than the objects one by one (the class is named
    once, repeated values once), and Dask does not walk it looking for futures.  :meth:`params`
    rebuilds the objects as pickle does (their fields set without ``__init__``: they were
    validated where the grid was expanded)."""

    def __init__(self, kind: type, names: tuple[str, ...], columns: tuple[tuple[Any, ...], ...]) -> None:
        self.kind, self.names, self.columns = kind, names, columns

    @classmethod
    def of(cls, params: Sequence[Strategy]) -> ParamBlock | list[Strategy]:
        """The block of ``params``; a plain list when they are not all of one dataclass."""
        kind = type(params[0])
        if not dataclasses.is_dataclass(kind) or any(type(p) is not kind for p in params):
            return list(params)
        names = tuple(f.name for f in dataclasses.fields(kind))
        row = operator.attrgetter(*names) if len(names) > 1 else (lambda p: (getattr(p, names[0]),))
        return cls(kind, names, tuple(zip(*map(row, params), strict=True)))

    def params(self) -> list[Any]:
        out: list[Any] = []
        for row in zip(*self.columns, strict=True):
            obj: Any = object.__new__(self.kind)
            obj.__dict__.update(zip(self.names, row, strict=True))
            out.append(obj)
        return out

    def __reduce__(self) -> tuple[Any, ...]:
        return (ParamBlock, (self.kind, self.names, self.columns))


def run_task(fn: Callable[..., Any], threads: int | None, shared: Any, *args: Any) -> Any:
    """One task on a worker: ``fn(shared, *args)`` on ``threads`` numba threads (a
    :class:`ParamBlock` argument rebuilt into its list first)."""
    _numba_threads(threads)
    return fn(shared, *(a.params() if isinstance(a, ParamBlock) else a for a in args))


def stats_array(panel: Panel, fn: Callable[..., dict[str, np.ndarray]], params: Sequence[Strategy], config: Any,
                first: int) -> np.ndarray:
    """A sweep task: ``fn``'s statistics as one ``[statistic, set]`` array (:data:`STAT_NAMES` order)."""
    out = fn(panel, params, config, first)
    return np.stack([np.asarray(out[k], dtype=np.float64) for k in STAT_NAMES])


def warm_task(threads: int | None) -> str:
    """Load the sweep's compiled kernels in this worker (a tiny sweep of each path: the fused
    pair-switch kernel, the book with and without stops, the breakout kernel); returns the numba
    threading layer."""
    import numba

    from rotation.backtest.breakout import bars, chunk_stats
    from rotation.backtest.run import RunConfig
    from rotation.backtest.signals import StopSets
    from rotation.backtest.strategies import Breakout, Momentum, PairSwitch
    from rotation.backtest.sweep import evaluate_chunk

    _numba_threads(threads)
    n = 64
    steps = 1.0 + 0.01 * np.sin(np.arange(n * 4, dtype=np.float64).reshape(n, 4))
    close = 100.0 * np.cumprod(steps, axis=0)
    days = np.datetime64("2020-01-01") + np.arange(n)
    panel = Panel(tuple(d.item() for d in days), ("A", "B", "SA", "SB"), close, close * 1.01, close * 0.99,
                  close, close)
    pair: list[Strategy] = [PairSwitch(a="A", b="B", sa="SA", sb="SB", fast=2, slow=5)]
    evaluate_chunk(panel, pair, RunConfig(), 10)
    evaluate_chunk(panel, pair, RunConfig(stop=0.05), 10)
    evaluate_chunk(panel, [Momentum(symbols=("A", "B"), lookback=5, top=1)], RunConfig(), 10)
    win = bars(panel, ("A", "B"))
    chunk_stats(win, Breakout(symbols=("A", "B"), lookback=5), StopSets.of(0.05, 0.1, 0.08, 5), 0.001, 0.0)
    return str(numba.threading_layer())


class DaskExecutor:
    """Runs sweep tasks on a ``distributed.Client``: the book's sweeps (:meth:`map`, a
    :class:`rotation.backtest.sweep.Executor`) and the breakout sweep's chunks (:meth:`run`, a
    :class:`rotation.backtest.breakout.TaskRunner`).

    ``numba_threads``: numba threads per task (``None`` leaves the workers' setting)."""

    def __init__(self, client: Any, *, numba_threads: int | None = 1) -> None:
        self.client = client
        self.numba_threads = numba_threads
        self._shared: tuple[Any, Any] | None = None  # (object, its future on the workers)

    @property
    def slots(self) -> int:
        """Tasks the cluster runs at once (the workers' threads, summed)."""
        return max(1, sum(int(n) for n in self.client.nthreads().values()))

    def warm_up(self) -> dict[str, str]:
        """Run :func:`warm_task` on every worker (kernels compiled or loaded from numba's cache);
        returns each worker's numba threading layer by address."""
        workers = list(self.client.nthreads())
        futures = [self.client.submit(warm_task, self.numba_threads, workers=[w], allow_other_workers=False,
                                      pure=False) for w in workers]
        return dict(zip(workers, self._gather(futures), strict=True))

    def run(self, fn: Callable[..., Any], shared: Any, tasks: Sequence[tuple[Any, ...]]) -> list[Any]:
        """``fn(shared, *args)`` for each ``args`` of ``tasks`` on the workers, results in task
        order; ``shared`` is scattered to every worker once (and kept while it is the same object)."""
        handle = self._scatter(shared)
        futures = [self.client.submit(run_task, fn, self.numba_threads, handle, *args, pure=False) for args in tasks]
        return self._gather(futures)

    def map(self, fn: Callable[..., dict[str, np.ndarray]], panel: Panel,
            tasks: Sequence[Task]) -> list[dict[str, np.ndarray]]:
        """The sweep's tasks (:class:`rotation.backtest.sweep.Executor`): a list of sets as a
        :class:`ParamBlock` (a grid's windows go as they are), the statistics back as one array a task."""
        out = self.run(stats_array, panel, [(fn, ParamBlock.of(params) if isinstance(params, list) else params,
                                             config, first) for params, config, first in tasks])
        return [{k: arr[i] for i, k in enumerate(STAT_NAMES)} for arr in out]

    def _scatter(self, shared: Any) -> Any:
        if self._shared is not None and self._shared[0] is shared:
            return self._shared[1]
        try:
            handle = self.client.scatter(shared, broadcast=True)
        except OSError as exc:
            raise ClusterError(f"Dask: cannot send the bars to the workers: {exc}") from None
        self._shared = (shared, handle)
        return handle

    def _gather(self, futures: list[Any]) -> list[Any]:
        """The tasks' results in order; the cluster's own failures (a lost scheduler, a worker
        killed, a cancelled task) as one :class:`ClusterError` (a task's own error is raised as is)."""
        dist = _distributed()
        try:
            return list(self.client.gather(futures))
        except (OSError, CancelledError, dist.KilledWorker) as exc:  # CommClosedError is an OSError
            raise ClusterError(f"Dask: the cluster failed during the sweep: {type(exc).__name__}: {exc}") from None


@contextmanager
def dask_executor(address: str | None = None, *, workers: int = 2, threads_per_worker: int = 1,
                  processes: bool = True, numba_threads: int | None = 1,
                  timeout: float = 10.0) -> Iterator[DaskExecutor]:
    """A :class:`DaskExecutor` on the scheduler at ``address``, or on a new LocalCluster.

    The LocalCluster (``workers`` worker processes of ``threads_per_worker`` threads,
    ``NUMBA_NUM_THREADS=numba_threads`` in their environment; ``processes=False``: threads in
    this process instead) is closed on exit; a client to a remote scheduler is closed but the
    cluster is left running.  A scheduler that does not answer within ``timeout`` seconds is a
    :class:`rotation.errors.ClusterError`.
    """
    dist = _distributed()
    if address:
        if not (isinstance(timeout, (int, float)) and timeout > 0):
            raise ConfigError(f"--dask-timeout: expected seconds > 0, got {timeout!r}")
        try:
            client = dist.Client(address, timeout=f"{float(timeout)}s")
        except (OSError, ValueError, TypeError) as exc:
            raise ClusterError(f"--dask: cannot reach the Dask scheduler at {address}: {exc}") from None
        try:
            yield DaskExecutor(client, numba_threads=numba_threads)
        finally:
            client.close()
        return
    if workers < 1:
        raise ConfigError(f"--local-cluster: expected at least 1 worker, got {workers}")
    with _local_cluster(dist, workers, threads_per_worker, processes, numba_threads) as cluster, \
            dist.Client(cluster) as client:
        yield DaskExecutor(client, numba_threads=numba_threads)


@contextmanager
def _local_cluster(dist: Any, workers: int, threads: int, processes: bool, numba_threads: int | None) -> Iterator[Any]:
    """A LocalCluster whose worker processes start with ``NUMBA_NUM_THREADS=numba_threads``,
    with Dask's own housekeeping turned down (:data:`QUIET`) and its logs silenced below
    critical (what goes wrong in a sweep comes back as an exception; a worker's heartbeat
    racing the scheduler's shutdown would otherwise print a traceback at exit).

    The variable is set through Dask's ``pre-spawn-environ`` (the nanny puts it in this
    process's environment just before it spawns a worker, so it is there before the worker
    imports numba); this process's own value is put back once the workers are up."""
    import dask

    before = os.environ.get("NUMBA_NUM_THREADS")
    env = {"distributed.nanny.pre-spawn-environ.NUMBA_NUM_THREADS": str(int(numba_threads))} if numba_threads else {}
    try:
        with dask.config.set({**QUIET, **env}):
            cluster = dist.LocalCluster(n_workers=workers, threads_per_worker=threads, processes=processes,
                                        dashboard_address=None, silence_logs=logging.CRITICAL,
                                        scheduler_kwargs={"dashboard": False, "dashboard_address": LOOPBACK_ANY_PORT})
    except RuntimeError as exc:  # "Nanny failed to start": the worker processes died while starting
        if not processes:
            raise ClusterError(f"Dask: the local cluster failed to start: {exc}") from None
        raise ClusterError(
            f"Dask: the local cluster's worker processes failed to start ({exc}). A script that starts one must "
            "do it under `if __name__ == \"__main__\":` (each worker process imports the script again), or pass "
            "processes=False for threads in this process") from None
    finally:
        if before is None:
            os.environ.pop("NUMBA_NUM_THREADS", None)
        else:
            os.environ["NUMBA_NUM_THREADS"] = before
    with cluster:
        yield cluster
