"""Benchmark: pair-switch sweeps on a Dask LocalCluster of 2 single-threaded workers vs one process.

The strategy and data are those of ``bench/bench_backtest.py`` (IWM/QQQ switched on
the ^RUT/^NDX ratio's moving averages, 5 bps + 5 bps, traded 2005-01-03 .. 2024-12-31
on ``../shared/data``; ``--synthetic`` for random walks).  Two grids, each ``fast``
1..F x ``slow`` 41..290 (250 values):

* ``--sets`` (10,000: F = 40) sets without stops: the fused pair-switch kernel;
* ``--stop-sets`` (2,000: F = 8) sets with ``--stop 0.05``: the book and the trading
  engine's stops (a Python loop per set around compiled code).

Each grid runs three ways, interleaved run by run (so that a neighbour's load falls on
all three alike): in this one process with numba on 1 thread (``numba.set_num_threads(1)``),
in this process on all its threads, and on a ``distributed.LocalCluster`` of ``--workers``
worker processes of 1 thread each (``NUMBA_NUM_THREADS=1``; the panel scattered once,
fused tasks of about 4,096 sets).  Every figure is the wall time of the whole
:func:`rotation.backtest.sweep.sweep` call (grid expansion and the table included, the
guard off), best of ``--repeat``, with the time inside the executor ("in the tasks")
beside it; compilation and the workers' warm-up (:meth:`DaskExecutor.warm_up`) are done
beforehand and not counted.  The three tables are checked identical.  CPU seconds are
printed too (this process; each worker process), being steadier than wall time on a
shared machine.

    PYTHONPATH=src python bench/bench_dask.py                        # about 45 s
    PYTHONPATH=src python bench/bench_dask.py --sets 2500 --stop-sets 500
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np

from bench_backtest import COMMISSION, DATA, SLIPPAGE, START, real_panel, synthetic_panel
from rotation.backtest.breakout import sweep_breakout
from rotation.backtest.distributed import dask_executor
from rotation.backtest.run import RunConfig
from rotation.backtest.strategies import Panel
from rotation.backtest.sweep import LocalExecutor, sweep

VALUES = {"a": "IWM", "b": "QQQ", "sa": "^RUT", "sb": "^NDX"}
SLOWS = [str(s) for s in range(41, 291)]


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f}"


def grid_of(sets: int) -> dict[str, list[str]]:
    """``fast`` 1..F x ``slow`` 41..290; beyond 10,000 sets (F = 40, the last fast below every
    slow) ``fast`` 1..40 x ``slow`` 41.. as many as it takes."""
    if sets <= 40 * len(SLOWS):
        return {"fast": [str(f) for f in range(1, max(1, sets // len(SLOWS)) + 1)], "slow": SLOWS}
    return {"fast": [str(f) for f in range(1, 41)], "slow": [str(s) for s in range(41, 41 + sets // 40)]}


@numba.njit(parallel=True, cache=True)
def _spin(n: int) -> np.ndarray:  # pragma: no cover - numba
    out = np.zeros(64)
    for b in numba.prange(64):
        s = 0.0
        for i in range(n):
            s += (i * 1.0000001) % 3.7
        out[b] = s
    return out


def calibrate(threads: int, repeat: int = 5) -> tuple[float, float]:
    """The machine's own scaling: a compute-only loop (no memory traffic) on 1 thread and on
    ``threads``, interleaved, best of ``repeat`` -> (seconds on 1, seconds on ``threads``).  A
    core running alone may clock higher than two busy ones, so on some machines no program gets
    ``threads`` x from ``threads`` cores; this says how much this one gives at the moment."""
    _spin(10)
    best = {1: float("inf"), threads: float("inf")}
    for _ in range(repeat):
        for t in best:
            numba.set_num_threads(t)
            t0 = time.perf_counter()
            _spin(200_000)
            best[t] = min(best[t], time.perf_counter() - t0)
    numba.set_num_threads(threads)
    return best[1], best[threads]


def size(grid: dict[str, list[str]]) -> int:
    return len(grid["fast"]) * len(grid["slow"])


class Timed:
    """An executor that notes how long its ``map`` (the tasks, without the grid's expansion
    and the table around them) took."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.slots, self.seconds, self.cpu = inner, inner.slots, 0.0, 0.0

    def map(self, fn: Callable[..., Any], panel: Panel, tasks: Any) -> Any:
        c0, t0 = time.process_time(), time.perf_counter()
        out = self.inner.map(fn, panel, tasks)
        self.seconds, self.cpu = time.perf_counter() - t0, time.process_time() - c0
        return out

    def run(self, fn: Callable[..., Any], shared: Any, tasks: Any) -> Any:  # the breakout sweep's waves
        c0, t0 = time.process_time(), time.perf_counter()
        out = self.inner.run(fn, shared, tasks)
        self.seconds, self.cpu = self.seconds + time.perf_counter() - t0, self.cpu + time.process_time() - c0
        return out


@dataclass
class Figure:
    """Best wall time over the runs, with that run's time in the tasks and CPU time (this
    process; the workers' processes, when on Dask)."""

    wall: float = float("inf")
    tasks: float = 0.0
    cpu: float = 0.0
    tasks_cpu: float = 0.0
    workers: tuple[float, ...] = ()
    table: Any = None

    def add(self, wall: float, ex: Timed | None, cpu: float, workers: tuple[float, ...], table: Any) -> None:
        if self.table is not None:
            assert table.equals(self.table)
        if wall < self.wall:
            self.wall, self.cpu, self.workers = wall, cpu, workers
            self.tasks, self.tasks_cpu = (ex.seconds, ex.cpu) if ex is not None else (float("nan"), float("nan"))
        self.table = table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", type=int, default=10_000, help="sets without stops (a multiple of 250; beyond 10,000 a multiple of 40)")
    ap.add_argument("--stop-sets", type=int, default=2_000, help="sets with --stop 0.05 (a multiple of 250; 0: skip)")
    ap.add_argument("--breakout-sets", type=int, default=10_000,
                    help="breakout stop x target sets (a multiple of 200; 0: skip)")
    ap.add_argument("--workers", type=int, default=2, help="Dask workers (1 thread each)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure (best taken); the stop grid runs once")
    ap.add_argument("--synthetic", action="store_true", help="random walks instead of ../shared/data")
    args = ap.parse_args()
    panel: Panel = synthetic_panel() if args.synthetic or not (DATA / "RUT.csv").is_file() else real_panel()
    cost = {"commission": COMMISSION, "slippage": SLIPPAGE}

    def pair(grid: dict[str, list[str]], config: RunConfig) -> Callable[[Any], Any]:
        return lambda ex: sweep(panel, "pair-switch", grid, values=VALUES, config=config, start=START,
                                overfit=False, executor=ex)

    def stops(grid: dict[str, list[str]]) -> Callable[[Any], Any]:
        return lambda ex: sweep_breakout(panel, grid, values={"symbols": "+".join(VALUES.values())},
                                         config=RunConfig(**cost), start=START, overfit=False, executor=ex)

    cases: list[tuple[str, Callable[[Any], Any], Callable[[Any], Any], int, bool]] = [
        (f"pair-switch {size(grid_of(args.sets)):,} sets", pair(grid_of(args.sets), RunConfig(**cost)),
         pair({"fast": ["2"], "slow": ["20"]}, RunConfig(**cost)), args.repeat, True)]
    if args.stop_sets:
        config = RunConfig(stop=0.05, **cost)
        cases.append((f"pair-switch --stop 0.05 {size(grid_of(args.stop_sets)):,} sets",
                      pair(grid_of(args.stop_sets), config), pair({"fast": ["2"], "slow": ["20"]}, config), 1, True))
    if args.breakout_sets:
        n = max(1, args.breakout_sets // 200)
        grid = {"lookback": ["20", "55"], "stop": [f"{0.005 * i:.3f}" for i in range(1, n + 1)],
                "target": [f"{0.01 * i:.2f}" for i in range(1, 101)]}
        cases.append((f"breakout {2 * n * 100:,} sets x {len(VALUES)} symbols", stops(grid),
                      stops({"stop": ["0.05"]}), args.repeat, False))
    all_threads = int(numba.config.NUMBA_NUM_THREADS)
    print(f"{'synthetic' if args.synthetic else 'real ../shared/data'}: {panel.n:,} sessions, trading from {START}; "
          f"{os.cpu_count()} CPUs, numba {numba.__version__} ({all_threads} threads); {load()}")

    t0 = time.perf_counter()
    with dask_executor(workers=args.workers) as dask:
        started = time.perf_counter()
        layers = dask.warm_up()
        warmed = time.perf_counter()
        print(f"Dask LocalCluster: {args.workers} worker processes x 1 thread, numba layer "
              f"{', '.join(sorted(set(layers.values())))}; started in {started - t0:.2f} s, workers warmed up in "
              f"{warmed - started:.2f} s (neither counted)")
        runners = [("one process, 1 thread", 1, False), (f"one process, {all_threads} threads", all_threads, False),
                   (f"Dask, {args.workers} workers x 1 thread", 1, True)]
        lines = []
        for name, run, warm, repeat, book in cases:
            for threads in (1, all_threads):
                numba.set_num_threads(threads)
                warm(None)  # compile here, or load from numba's cache
            figures = [Figure() for _ in runners]
            for _ in range(repeat):  # interleaved, so that the neighbours' load falls on every runner alike
                for (_, threads, on_dask), fig in zip(runners, figures, strict=True):
                    numba.set_num_threads(threads)
                    # The book's sweeps take an executor; a local breakout sweep runs in run_plan itself.
                    ex = Timed(dask if on_dask else LocalExecutor()) if on_dask or book else None
                    before = dask.client.run(time.process_time) if on_dask else {}
                    c0, w0 = time.process_time(), time.perf_counter()
                    res = run(ex)
                    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
                    after = dask.client.run(time.process_time) if on_dask else {}
                    fig.add(wall, ex, cpu, tuple(after[w] - before[w] for w in before), res.table)
            assert all(f.table.equals(figures[0].table) for f in figures)
            print(f"{name}: tables identical on all three")
            for (label, _, _), fig in zip(runners, figures, strict=True):
                on = f" + {sum(fig.workers):.3f} s in the workers ({' + '.join(f'{w:.3f}' for w in fig.workers)})"
                inside = f" ({fig.tasks:.3f} s in the tasks)" if fig.tasks == fig.tasks else ""
                inside_cpu = f" ({fig.tasks_cpu:.3f} s in the tasks)" if fig.tasks == fig.tasks else ""
                print(f"  {label + ':':32s} {fig.wall:7.3f} s wall{inside}, CPU {fig.cpu:.3f} s here{inside_cpu}"
                      f"{on if fig.workers else ''}")
            one, many, dk = figures
            if book:
                print(f"  CPU of the tasks: the workers {sum(dk.workers):.3f} s against {one.tasks_cpu:.3f} s in one "
                      f"process ({sum(dk.workers) / one.tasks_cpu - 1:+.0%}); outside them "
                      f"{one.cpu - one.tasks_cpu:.3f} s (grid, table) of {one.cpu:.3f} s")
            else:
                print(f"  CPU: the workers {sum(dk.workers):.3f} s against {one.cpu:.3f} s in one process "
                      f"({sum(dk.workers) / one.cpu - 1:+.0%})")
            fastest = min(zip(runners, figures, strict=True), key=lambda rf: rf[1].wall)[0][0]
            print(f"  fastest here: {fastest}")
            alone = f"; the tasks alone: {one.tasks / dk.tasks:.2f}x and {many.tasks / dk.tasks:.2f}x" if book else ""
            lines.append(f"dask {args.workers} workers: {one.wall / dk.wall:.2f}x one single-thread process, "
                         f"{many.wall / dk.wall:.2f}x one process on {all_threads} threads ({name}{alone}; "
                         f"{all_threads} threads in one process: {one.wall / many.wall:.2f}x one)")
        numba.set_num_threads(all_threads)
    one, many = calibrate(all_threads)
    print(load())
    print(f"this machine now: a compute-only loop runs {one / many:.2f}x as fast on {all_threads} threads as on 1 "
          f"({one * 1000:.0f} ms against {many * 1000:.0f} ms), the most {args.workers} workers can give over one thread")
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
