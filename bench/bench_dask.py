"""Benchmark: pair-switch sweeps on a Dask LocalCluster of 2 single-threaded workers vs one process.

The strategy and data are those of ``bench/bench_backtest.py`` (IWM/QQQ switched on
the ^RUT/^NDX ratio's moving averages, 5 bps + 5 bps, traded 2005-01-03 .. 2024-12-31
on ``../shared/data``; ``--synthetic`` for random walks).  Two grids, each ``fast``
1..F x ``slow`` 41..290 (250 values):

* ``--sets`` (10,000: F = 40) sets without stops: the fused pair-switch kernel;
* ``--stop-sets`` (2,000: F = 8) sets with ``--stop 0.05``: the book and the trading
  engine's stops (a Python loop per set around compiled code).

Each grid runs, in this one process, with numba on 1 thread (``numba.set_num_threads(1)``)
and on all its threads, then on a ``distributed.LocalCluster`` of ``--workers`` worker
processes of 1 thread each (``NUMBA_NUM_THREADS=1``; the panel scattered once, about 4
fused tasks per worker).  Every figure is the wall time of the whole
:func:`rotation.backtest.sweep.sweep` call (grid expansion and the table included, the
guard off), best of ``--repeat``; compilation and the workers' warm-up
(:meth:`DaskExecutor.warm_up`) are done beforehand and not counted.  The Dask tables
are checked equal to the local ones.  CPU seconds are printed beside (this process;
the workers' processes), being steadier than wall time on a shared machine.

    PYTHONPATH=src python bench/bench_dask.py                        # about 40 s
    PYTHONPATH=src python bench/bench_dask.py --sets 2500 --stop-sets 500
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from typing import Any

import numba

from bench_backtest import COMMISSION, DATA, SLIPPAGE, START, real_panel, synthetic_panel
from rotation.backtest.distributed import dask_executor
from rotation.backtest.run import RunConfig
from rotation.backtest.strategies import Panel
from rotation.backtest.sweep import SweepResult, sweep

VALUES = {"a": "IWM", "b": "QQQ", "sa": "^RUT", "sb": "^NDX"}
SLOWS = [str(s) for s in range(41, 291)]


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f}"


def grid_of(sets: int) -> dict[str, list[str]]:
    return {"fast": [str(f) for f in range(1, max(1, sets // len(SLOWS)) + 1)], "slow": SLOWS}


def best(repeat: int, run: Callable[[], SweepResult]) -> tuple[float, float, SweepResult]:
    """Best wall time of ``repeat`` runs, with that run's CPU time here, and the last result."""
    wall, cpu = float("inf"), 0.0
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        res = run()
        t, c = time.perf_counter() - t0, time.process_time() - c0
        if t < wall:
            wall, cpu = t, c
    return wall, cpu, res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", type=int, default=10_000, help="sets without stops (a multiple of 250)")
    ap.add_argument("--stop-sets", type=int, default=2_000, help="sets with --stop 0.05 (a multiple of 250; 0: skip)")
    ap.add_argument("--workers", type=int, default=2, help="Dask workers (1 thread each)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure (best taken); the stop grid runs once")
    ap.add_argument("--synthetic", action="store_true", help="random walks instead of ../shared/data")
    args = ap.parse_args()
    panel: Panel = synthetic_panel() if args.synthetic or not (DATA / "RUT.csv").is_file() else real_panel()
    cost = {"commission": COMMISSION, "slippage": SLIPPAGE}
    cases = [(f"pair-switch {len(grid_of(args.sets)['fast']) * len(SLOWS):,} sets", grid_of(args.sets),
              RunConfig(**cost), args.repeat)]
    if args.stop_sets:
        cases.append((f"pair-switch --stop 0.05 {len(grid_of(args.stop_sets)['fast']) * len(SLOWS):,} sets",
                      grid_of(args.stop_sets), RunConfig(stop=0.05, **cost), 1))
    all_threads = int(numba.config.NUMBA_NUM_THREADS)
    print(f"{'synthetic' if args.synthetic else 'real ../shared/data'}: {panel.n:,} sessions, trading from {START}; "
          f"{os.cpu_count()} CPUs, numba {numba.__version__} ({all_threads} threads); {load()}")

    def run(grid: dict[str, list[str]], config: RunConfig, executor: Any = None) -> SweepResult:
        return sweep(panel, "pair-switch", grid, values=VALUES, config=config, start=START, overfit=False,
                     executor=executor)

    local: dict[str, dict[int, tuple[float, float, SweepResult]]] = {}
    for name, grid, config, repeat in cases:
        local[name] = {}
        for threads in (1, all_threads):
            numba.set_num_threads(threads)
            run({"fast": ["2"], "slow": ["20"]}, config)  # compile or load from numba's cache
            local[name][threads] = best(repeat, lambda grid=grid, config=config: run(grid, config))
            wall, cpu, _ = local[name][threads]
            print(f"  {name}: one process, {threads} thread(s): {wall:7.3f} s wall, {cpu:7.3f} s CPU")
    numba.set_num_threads(all_threads)

    t0 = time.perf_counter()
    with dask_executor(workers=args.workers) as ex:
        started = time.perf_counter()
        layers = ex.warm_up()
        warmed = time.perf_counter()
        print(f"  Dask LocalCluster: {args.workers} worker processes x 1 thread, numba layer "
              f"{', '.join(sorted(set(layers.values())))}; started in {started - t0:.2f} s, warmed up in "
              f"{warmed - started:.2f} s (neither counted)")
        lines = []
        for name, grid, config, repeat in cases:
            before = ex.client.run(time.process_time)
            wall, cpu, res = best(repeat, lambda grid=grid, config=config, ex=ex: run(grid, config, ex))
            after = ex.client.run(time.process_time)
            assert res.table.equals(local[name][1][2].table), name
            assert res.table.equals(local[name][all_threads][2].table), name
            spent = [after[w] - before[w] for w in before]
            print(f"  {name}: Dask {args.workers} workers: {wall:7.3f} s wall, {cpu:7.3f} s CPU here + "
                  f"{sum(spent) / repeat:.3f} s in the workers ({' + '.join(f'{s / repeat:.3f}' for s in spent)} "
                  f"per run); table identical to the local sweep")
            one, many = local[name][1][0], local[name][all_threads][0]
            lines.append(f"dask {args.workers} workers: {one / wall:.2f}x one single-thread process, "
                         f"{many / wall:.2f}x one process on {all_threads} threads ({name})")
    print(load())
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
