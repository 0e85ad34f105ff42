"""Sweeps: grid parsing and order, rows equal single runs, chunking, local == Dask LocalCluster."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest

from conftest import weekdays
from rotation.backtest.run import RunConfig, run_backtest
from rotation.backtest.stats import STAT_NAMES
from rotation.backtest.strategies import Momentum, PairSwitch, Panel
from rotation.backtest.sweep import expand_grid, parse_grid, sweep
from rotation.errors import ConfigError


def synthetic_panel(n: int = 700, seed: int = 11) -> Panel:
    """Five random-walk symbols (A, B trade; SA, SB signal; C extra) on weekdays from 2020."""
    rng = np.random.default_rng(seed)
    days = weekdays(n, date(2020, 1, 1))
    names = ("A", "B", "SA", "SB", "C")
    c = 100 * np.cumprod(1 + rng.normal(0.0003, 0.015, size=(n, len(names))), axis=0)
    o = c * (1 + rng.normal(0, 0.004, size=c.shape))
    h = np.maximum(o, c) * (1 + np.abs(rng.normal(0, 0.006, size=c.shape)))
    lo = np.minimum(o, c) * (1 - np.abs(rng.normal(0, 0.006, size=c.shape)))
    adj = c * np.linspace(0.9, 1.0, n)[:, None]  # dividends: adj/close drifts up to 1
    return Panel(tuple(days), names, o, h, lo, c, adj)


PAIR = {"a": "A", "b": "B", "sa": "SA", "sb": "SB"}


def test_parse_grid_lists_and_ranges() -> None:
    g = parse_grid(["fast=1,5, 10", "slow=20:60:20", "stop=none,0.05", "trail=0.1:0.2:0.05"])
    assert g == {"fast": ["1", "5", "10"], "slow": ["20", "40", "60"], "stop": ["none", "0.05"],
                 "trail": ["0.1", "0.15", "0.2"]}
    for bad in (["fast"], ["fast=1", "fast=2"], ["slow=60:20:10"], ["slow=1:5:0"], ["slow=1:5"], ["fast= , "]):
        with pytest.raises(ConfigError):
            parse_grid(bad)


def test_expand_grid_order_and_run_keys() -> None:
    rows, params, configs = expand_grid("pair-switch", {"fast": ["1", "5"], "slow": ["20", "50"], "stop": ["none", "0.1"]},
                                        PAIR, RunConfig(commission=0.001))
    assert len(rows) == 8
    assert [(p.fast, p.slow) for p in params[:4]] == [(1, 20), (1, 20), (1, 50), (1, 50)]  # last key fastest
    assert [c.stop for c in configs[:2]] == [None, 0.1]
    assert all(c.commission == 0.001 for c in configs)
    with pytest.raises(ConfigError, match="cannot be swept"):
        expand_grid("pair-switch", {"a": ["A", "B"]})
    with pytest.raises(ConfigError, match="no parameter"):
        expand_grid("pair-switch", {"lookback": ["5"]})


def test_sweep_rows_equal_single_runs_and_chunking_does_not_matter() -> None:
    panel = synthetic_panel()
    grid = {"fast": ["1", "3", "10"], "slow": ["20", "50"], "trail": ["none", "0.08"]}
    config = RunConfig(commission=0.0005, slippage=0.0005)
    res = sweep(panel, "pair-switch", grid, values=PAIR, config=config, start=date(2020, 6, 1))
    assert res.table.height == 12
    assert res.table.columns == ["set", "fast", "slow", "trail", *STAT_NAMES]
    for row in res.table.iter_rows(named=True):
        trail = row["trail"]
        one = run_backtest(panel, PairSwitch("A", "B", "SA", "SB", row["fast"], row["slow"]),
                           RunConfig(commission=0.0005, slippage=0.0005, trail=trail), date(2020, 6, 1))
        for k in STAT_NAMES:
            a, b = row[k], one.stats[k]
            assert (math.isnan(a) and math.isnan(b)) or a == b, (row, k)
    for size in (1, 5):
        again = sweep(panel, "pair-switch", grid, values=PAIR, config=config, start=date(2020, 6, 1), chunk_size=size)
        assert again.table.equals(res.table)


def test_top_ranks_descending_with_nan_last() -> None:
    panel = synthetic_panel(300)
    res = sweep(panel, "momentum", {"lookback": ["5", "20", "60"], "top": ["1", "2"]},
                values={"symbols": ("A", "B", "C")}, config=RunConfig())
    best = res.top(3, "sharpe")
    assert best["sharpe"].to_list() == sorted(res.table["sharpe"].to_list(), reverse=True)[:3]
    assert res.top(100, "calmar").height == 6
    with pytest.raises(ConfigError, match="--by"):
        res.top(3, "alpha")
    assert isinstance(res.base, Momentum)


def test_local_equals_dask_local_cluster() -> None:
    pytest.importorskip("distributed")
    from rotation.backtest.distributed import dask_executor

    panel = synthetic_panel(500)
    grid = {"lookback": ["10", "40"], "top": ["1", "2"], "rebalance": ["weekly", "monthly"], "stop": ["none", "0.05"]}
    values = {"symbols": ("A", "B", "C", "SA", "SB")}
    local = sweep(panel, "momentum", grid, values=values, config=RunConfig(commission=0.001), chunk_size=3)
    with dask_executor(workers=2, processes=False) as ex:
        remote = sweep(panel, "momentum", grid, values=values, config=RunConfig(commission=0.001),
                       executor=ex, chunk_size=3)
    assert remote.table.equals(local.table)
    assert local.table.height == 16
