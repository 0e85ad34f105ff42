"""Sweeps on a real ``distributed.LocalCluster`` (worker processes): identical to the local sweep
on every path, the tasks Dask gets, the workers' warm-up and numba threads, a dead scheduler."""

from __future__ import annotations

import json
import math
import os
import pickle
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from rotation.backtest.run import RunConfig, load_panel, run_backtest
from rotation.backtest.stats import STAT_NAMES
from rotation.backtest.strategies import Momentum, PairSwitch, Panel
from rotation.backtest.sweep import (
    _fused_size,
    _grid_tasks,
    _PairSets,
    _tasks,
    expand_grid,
    fused,
    sweep,
)
from rotation.data.store import Store
from rotation.errors import ClusterError

distributed = pytest.importorskip("distributed")

from rotation.backtest.distributed import DaskExecutor, ParamBlock, dask_executor  # noqa: E402

PAIR = {"a": "IWM", "b": "QQQ", "sa": "^RUT", "sb": "^NDX"}


def same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


@pytest.fixture(scope="module")
def executor() -> Iterator[DaskExecutor]:
    """Two worker processes of one thread each, as ``--local-cluster 2`` starts them."""
    with dask_executor(workers=2) as ex:
        yield ex


@pytest.fixture(scope="module")
def real_panel(real_store: Path) -> Panel:
    with Store(real_store, read_only=True) as st:
        return load_panel(st, ("IWM", "QQQ", "^RUT", "^NDX"))


def test_workers_warm_up_on_one_numba_thread_each(executor: DaskExecutor) -> None:
    before = os.environ.get("NUMBA_NUM_THREADS")
    layers = executor.warm_up()
    assert len(layers) == 2 and executor.slots == 2
    assert all(layer in ("omp", "tbb", "workqueue") for layer in layers.values())
    threads = executor.client.run(lambda: (os.environ.get("NUMBA_NUM_THREADS"),
                                           __import__("numba").config.NUMBA_NUM_THREADS, os.getpid()))
    assert {t[:2] for t in threads.values()} == {("1", 1)}  # set before the workers imported numba
    assert len({t[2] for t in threads.values()} | {os.getpid()}) == 3  # two processes, not this one
    assert os.environ.get("NUMBA_NUM_THREADS") == before  # this process's setting is left alone


def test_real_pair_switch_on_dask_equals_local(executor: DaskExecutor, real_panel: Panel) -> None:
    """10 x 40 sets through the fused kernel (the grid cut into ordered tasks on Dask, one task
    here), then with a stop and a trail through the book and the trading engine's stops."""
    grid = {"fast": [str(f) for f in range(1, 11)], "slow": [str(s) for s in range(30, 230, 5)]}
    config = RunConfig(commission=0.0005, slippage=0.0005)
    start = date(2005, 1, 1)
    kw: dict[str, Any] = {"values": PAIR, "config": config, "start": start, "overfit": False}
    local = sweep(real_panel, "pair-switch", grid, **kw)
    remote = sweep(real_panel, "pair-switch", grid, executor=executor, **kw)
    assert remote.table.equals(local.table) and local.table.height == 400
    row = local.table.filter((local.table["fast"] == 5) & (local.table["slow"] == 100)).row(0, named=True)
    one = run_backtest(real_panel, PairSwitch(fast=5, slow=100), config, start)  # a row is its single run
    assert all(same(row[k], one.stats[k]) for k in STAT_NAMES) and row["trades"] > 10

    stops = {"fast": ["1", "5", "20"], "slow": ["50", "150"], "stop": ["0.03", "0.08"], "trail": ["none", "0.1"]}
    local = sweep(real_panel, "pair-switch", stops, **kw)
    remote = sweep(real_panel, "pair-switch", stops, executor=executor, chunk_size=2, **kw)
    assert remote.table.equals(local.table) and local.table.height == 24
    assert local.table["trades"].n_unique() > 1


def test_other_paths_on_dask_equal_local(executor: DaskExecutor, real_panel: Panel) -> None:
    """The long-short pair switch (the book, not the fused kernel: its rows are their single
    runs) and momentum with and without stops."""
    start = date(2010, 1, 1)
    grid = {"fast": ["1", "10"], "slow": ["50", "200"], "short": ["0.5", "1"]}
    values = {**PAIR, "long": "0.5"}
    local = sweep(real_panel, "pair-switch", grid, values=values, start=start, overfit=False)
    remote = sweep(real_panel, "pair-switch", grid, values=values, start=start, overfit=False, executor=executor)
    assert remote.table.equals(local.table)
    row = local.table.row(1, named=True)
    one = run_backtest(real_panel, PairSwitch(fast=1, slow=50, long=0.5, short=1.0), RunConfig(), start)
    assert (row["fast"], row["slow"], row["short"]) == (1, 50, 1.0)
    assert all(same(row[k], one.stats[k]) for k in STAT_NAMES)
    mom = {"lookback": ["21", "63", "126"], "top": ["1", "2"], "stop": ["none", "0.05"]}
    symbols = {"symbols": ("IWM", "QQQ", "^RUT", "^NDX")}
    local = sweep(real_panel, "momentum", mom, values=symbols, start=start, overfit=False, chunk_size=5)
    remote = sweep(real_panel, "momentum", mom, values=symbols, start=start, overfit=False, chunk_size=5,
                   executor=executor)
    assert remote.table.equals(local.table) and local.table.height == 12


def test_fused_grid_cut_into_tasks_of_few_windows() -> None:
    """Fused tasks of about FUSED_TASK_SETS sets, as many on every slot, each sharing few
    moving-average windows; one task in this process."""
    _, params, configs = expand_grid("pair-switch", {"fast": [str(f) for f in range(1, 41)],
                                                     "slow": [str(s) for s in range(41, 291)]})
    one, _ = _tasks(params, configs, 0, None, 1)
    assert len(one) == 1 and len(one[0][0]) == 10_000
    tasks, index = _tasks(params, configs, 0, None, 2)
    assert len(tasks) == 4  # 2 a slot: about FUSED_TASK_SETS each, as many on each slot
    assert sorted(i for idx in index for i in idx) == list(range(10_000))
    for (chunk, _, _), idx in zip(tasks, index, strict=True):
        assert [params[i] for i in idx] == chunk
        windows = {w for p in chunk for w in (p.fast, p.slow)}  # type: ignore[union-attr]
        assert len(windows) <= 40 + 250 // len(tasks) + 1  # all 40 fast, 1/4 of the slow windows
    # The slow windows dealt back and forth: each task has one of the four shortest (which trade most).
    assert sorted(min(p.slow for p in chunk) for chunk, _, _ in tasks) == [41, 42, 43, 44]  # type: ignore[union-attr]
    small, _ = _tasks(params[:300], configs[:300], 0, None, 2)
    assert [len(t[0]) for t in small] == [150, 150]  # one a slot
    assert _fused_size(100_000, 2) == 12_500 and _fused_size(10_000, 4) == 2_500 and _fused_size(9_000, 2) == 2_250
    assert _fused_size(1_000_000, 2) == 125_000  # at most FUSED_TASKS_PER_SLOT a slot (then FUSED_CHUNK caps it)
    # Too few windows to deal over many slots (5 x 5 sets, 2 executions, 8 slots): runs of windows
    # as before, not one task per execution.
    _, few, few_cfg = expand_grid("pair-switch", {"execution": ["open", "close"], "fast": [str(f) for f in range(1, 6)],
                                                  "slow": [str(s) for s in range(100, 105)]})
    cut, where = _tasks(few, few_cfg, 0, None, 8)
    assert len(cut) == 14 and sorted(i for idx in where for i in idx) == list(range(50))
    fixed, _ = _tasks(params, configs, 0, 3000, 2)
    assert [len(t[0]) for t in fixed] == [3000, 3000, 3000, 1000]  # an explicit chunk size is kept


def test_fast_slow_grid_cut_into_window_tasks() -> None:
    """A long-only fast x slow grid goes as windows only: one task here, 4 on 2 slots, each a part
    of the product (every fast window, a quarter of the slow ones dealt back and forth, so that
    the short slow windows, which trade most, are shared), whose sets are the grid's (built only
    when read) at the positions given."""
    base = PairSwitch()
    sets = _PairSets(base, list(range(1, 41)), list(range(41, 291)))
    assert len(sets) == 10_000 and (sets.fast[:3].tolist(), sets.slow[:3].tolist()) == ([1, 1, 1], [41, 42, 43])
    one, where = _grid_tasks(sets, RunConfig(), 0, None, 1)
    assert len(one) == 1 and len(one[0][0]) == 10_000 and where[0].tolist() == list(range(10_000))
    tasks, index = _grid_tasks(sets, RunConfig(), 0, None, 2)
    assert len(tasks) == 4 and sorted(i for idx in index for i in idx) == list(range(10_000))
    for (chunk, _, _), idx in zip(tasks, index, strict=True):
        assert isinstance(chunk, _PairSets)
        assert list(chunk) == [PairSwitch(fast=int(sets.fast[i]), slow=int(sets.slow[i])) for i in idx]
        assert chunk.fasts == list(range(1, 41)) and len(chunk.slows) in (62, 63)
    assert [t[0].slows[:3] for t in tasks] == [[41, 48, 49], [42, 47, 50], [43, 46, 51], [44, 45, 52]]
    big, _ = _grid_tasks(_PairSets(base, list(range(1, 41)), list(range(41, 25_041))), RunConfig(), 0, None, 2)
    assert len(big) == 16 and {len(t[0]) for t in big} == {62_480, 62_520}  # 1,000,000 sets: FUSED_CHUNK at most
    assert len(pickle.dumps(tasks[0][0])) < 1_000  # the windows of the part, not of each set
    flipped = _PairSets(base, list(range(1, 41)), list(range(41, 291)), fast_major=False)  # grid "slow" first
    tasks, index = _grid_tasks(flipped, RunConfig(), 0, None, 2)
    for (chunk, _, _), idx in zip(tasks, index, strict=True):
        assert list(chunk) == [PairSwitch(fast=int(flipped.fast[i]), slow=int(flipped.slow[i])) for i in idx]
    small, index = _grid_tasks(sets, RunConfig(), 0, 30, 2)  # an explicit size below one run of fast windows
    assert [len(t[0]) for t in small[:2]] == [30, 10] and len(small) == 500
    assert sorted(i for idx in index for i in idx) == list(range(10_000))


def test_pair_sets_read_one_set_without_building_the_grid() -> None:
    """A set of the product is built on its own when read (the guard reads a subsample of a
    million), equal to the grid's in both orders; iteration builds them all at once."""
    for major in (True, False):
        sets = _PairSets(PairSwitch(), [1, 2, 3], [50, 60, 70, 80], fast_major=major)
        every = list(sets)
        assert len(every) == 12 and every == PairSwitch.grid(PairSwitch(), sets.fast.tolist(), sets.slow.tolist())
        assert [sets[i] for i in range(12)] == every and sets[-1] == every[-1] and sets[2:9:3] == every[2:9:3]
        with pytest.raises(IndexError):
            sets[12]
    assert _PairSets(PairSwitch(), [1, 2, 3], [50, 60, 70, 80])[4] == PairSwitch(fast=2, slow=50)
    assert _PairSets(PairSwitch(), [1, 2, 3], [50, 60, 70, 80], fast_major=False)[4] == PairSwitch(fast=2, slow=60)


def test_param_block_round_trip() -> None:
    _, params, _ = expand_grid("pair-switch", {"fast": [str(f) for f in range(1, 21)], "slow": ["50", "100"]},
                               {"long": "0.5", "a": "SPY"})
    block = ParamBlock.of(params)
    assert isinstance(block, ParamBlock)
    back = pickle.loads(pickle.dumps(block)).params()
    assert back == params and all(type(p) is PairSwitch for p in back)
    assert len(pickle.dumps(block)) < len(pickle.dumps(params))
    mixed = [params[0], Momentum()]
    assert ParamBlock.of(mixed) == mixed


def test_fused_kernel_only_for_long_only_pair_switch() -> None:
    assert fused([PairSwitch()], RunConfig())
    assert not fused([PairSwitch()], RunConfig(stop=0.05))
    assert not fused([PairSwitch(), PairSwitch(long=0.5)], RunConfig())
    assert not fused([PairSwitch(short=0.5)], RunConfig())


def test_a_dead_scheduler_is_one_clear_error(cli, real_store: Path) -> None:
    with pytest.raises(ClusterError, match=r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9"), \
            dask_executor("tcp://127.0.0.1:9", timeout=0.5):
        pass
    res = cli("backtest", "sweep", "pair-switch", "-g", "fast=1,5", "--dask", "tcp://127.0.0.1:9",
              "--dask-timeout", "0.5", "--store", str(real_store))
    assert res.exit_code == 2, res.output
    lines = [line for line in res.stderr.splitlines() if line.strip() and not line.startswith("sweeping on")]
    assert len(lines) == 1 and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in lines[0], res.stderr


def test_real_breakout_sweep_on_dask_equals_local(executor: DaskExecutor, real_store: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The signal + stops sweep through the executor: the same table (chunks on the workers,
    in waves), the summary equal to rounding (its sums are taken chunk by chunk), the same guard."""
    from rotation.backtest import breakout

    with Store(real_store, read_only=True) as st:
        panel = load_panel(st, ("XLK", "XLE", "XLF", "XLV"))
    grid = {"lookback": ["20", "55"], "stop": [f"{x / 100:.2f}" for x in range(2, 12)],
            "target": ["0.1", "0.2", "none"], "hold": ["none", "40"]}
    kw: dict[str, Any] = {"values": {"symbols": "XLK+XLE+XLF+XLV"}, "config": RunConfig(commission=0.0005),
                          "start": date(2005, 1, 1)}
    local = breakout.sweep_breakout(panel, grid, **kw)
    remote = breakout.sweep_breakout(panel, grid, executor=executor, **kw)
    assert local.sets == remote.sets == 120 and remote.table.equals(local.table)
    assert local.guard is not None and remote.guard is not None and remote.guard.as_dict() == local.guard.as_dict()
    for stat, summary in local.summary.items():
        for name, value in summary.items():
            assert remote.summary[stat][name] == pytest.approx(value, rel=1e-12, nan_ok=True), (stat, name)
    row = local.table.filter((local.table["lookback"] == 55) & (local.table["stop"] == 0.05)
                             & (local.table["target"] == 0.2) & local.table["hold"].is_null()).row(0, named=True)
    one = breakout.run_breakout(panel, breakout.Breakout(symbols=("XLK", "XLE", "XLF", "XLV"), lookback=55, stop=0.05,
                                                         target=0.2), RunConfig(commission=0.0005), date(2005, 1, 1))
    assert row["trades"] == one.stats["trades"] > 100
    assert row["total_return"] == pytest.approx(one.stats["total_return"], rel=1e-12)
    # In chunks on the workers: the same table.
    plan = breakout.plan_sweep(panel, grid, **kw)
    chunked = breakout.run_plan(plan, top=5, by="calmar", overfit=False, executor=executor, chunk_sets=16)
    assert chunked.table.equals(local.table) and chunked.complete
    # Streamed beyond KEEP_ALL on the workers (only the best kept, moments summed chunk by chunk):
    # the same best rows and the same summary as the full table.
    monkeypatch.setattr(breakout, "KEEP_ALL", 50)
    streamed = breakout.run_plan(plan, top=5, by="calmar", overfit=False, executor=executor, chunk_sets=16)
    assert not streamed.complete and streamed.sets == 120 and streamed.table.height == 100
    assert streamed.top(5, "calmar")["set"].to_list() == local.top(5, "calmar")["set"].to_list()
    assert streamed.top(5, "calmar").equals(local.top(5, "calmar"))
    for stat, summary in local.summary.items():
        for name, value in summary.items():
            assert streamed.summary[stat][name] == pytest.approx(value, rel=1e-9, nan_ok=True), (stat, name)


def test_cli_breakout_sweep_on_a_local_cluster(cli, real_store: Path) -> None:
    args = ["backtest", "sweep", "breakout", "-g", "stop=0.02:0.1:0.02", "-g", "target=0.1,0.2", "-p",
            "symbols=XLK+XLE+XLF", "--from", "2010-01-01", "--to", "2024-12-31", "--top", "0", "--json",
            "--store", str(real_store)]
    local = cli(*args)
    remote = cli(*args, "--local-cluster", "2")
    assert local.exit_code == 0 and remote.exit_code == 0, remote.output
    a, b = json.loads(local.stdout), json.loads(remote.stdout)
    assert a["rows"] == b["rows"] and a["sets"] == 10 and b["executor"] == "local Dask cluster, 2 workers"
    gpu = cli(*args, "--local-cluster", "2", "--device", "gpu")
    assert gpu.exit_code == 2 and "not with --dask/--local-cluster" in gpu.stderr


def test_a_script_without_a_main_guard_gets_one_clear_error(tmp_path: Path) -> None:
    """Worker processes import the starting script again: without ``if __name__ == "__main__":``
    they die while starting, and the script gets a ClusterError saying so, not Dask's bare
    "Nanny failed to start"."""
    import subprocess
    import sys

    script = tmp_path / "sweep_script.py"
    script.write_text("from rotation.backtest.distributed import dask_executor\n"
                      "with dask_executor(workers=1) as ex:\n    print(ex.slots)\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, env=env,
                          cwd=tmp_path)
    last = done.stderr.strip().splitlines()[-1]
    assert done.returncode == 1 and last.startswith("rotation.errors.ClusterError: Dask: the local cluster's worker")
    assert 'if __name__ == "__main__":' in last and "processes=False" in last


def test_cli_walkforward_on_a_local_cluster(cli, real_store: Path) -> None:
    """`backtest walkforward --local-cluster 2` runs each training sweep on Dask: the same splits,
    choices and curves as in this process, for the book and for breakout."""
    for args in (["pair-switch", "--pair", "IWM:QQQ", "--signal", "RUT:NDX", "-g", "fast=5,20", "-g", "slow=50,200",
                  "--from", "2005-01-01"],
                 ["breakout", "-g", "lookback=20,55", "-g", "stop=0.05,0.1", "-p", "symbols=XLK+XLE", "--from",
                  "2002-01-01"]):
        base = ["backtest", "walkforward", *args, "--train", "756", "--test", "756", "--json", "--store",
                str(real_store)]
        local, remote = cli(*base), cli(*base, "--local-cluster", "2")
        assert local.exit_code == 0 and remote.exit_code == 0, remote.output
        assert json.loads(local.stdout) == json.loads(remote.stdout) and len(json.loads(local.stdout)["splits"]) > 3
    both = cli("backtest", "walkforward", *args, "--local-cluster", "2", "--dask", "tcp://127.0.0.1:9", "--store",
               str(real_store))
    assert both.exit_code == 2 and "--dask and --local-cluster: choose one" in both.stderr
