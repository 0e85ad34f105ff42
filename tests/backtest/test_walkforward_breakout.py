"""Walk-forward of ``breakout``: each split is its own sweep on train and its own run on test,
the test period cannot move a split's choice, the out-of-sample statistics equal a single run,
and the real sector funds' figures out of sample vs in sample (the CLI, JSON keys unchanged)."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from conftest import weekdays
from rotation.backtest import breakout
from rotation.backtest.run import RunConfig
from rotation.backtest.stats import STAT_NAMES, compute_stats
from rotation.backtest.strategies import Panel, make_params
from rotation.backtest.walkforward import split_rows, walk_forward

SYMS = ("S0", "S1", "S2")
VALUES = {"symbols": "+".join(SYMS)}
GRID = {"lookback": ["10", "40"], "stop": ["0.03", "0.08"], "hold": ["none", "15"]}


def synthetic_panel(n: int = 700, seed: int = 5) -> Panel:
    rng = np.random.default_rng(seed)
    days = weekdays(n, date(2016, 1, 1))
    c = 80 * np.cumprod(1 + rng.normal(0.0003, 0.016, size=(n, 3)), axis=0)
    o = np.vstack([c[:1], c[:-1]]) * (1 + rng.normal(0, 0.006, size=c.shape))
    h = np.maximum(o, c) * (1 + np.abs(rng.normal(0, 0.005, size=c.shape)))
    lo = np.minimum(o, c) * (1 - np.abs(rng.normal(0, 0.005, size=c.shape)))
    return Panel(days, SYMS, o, h, lo, c, c * 0.98)


def _params(values: dict[str, object]) -> breakout.Breakout:
    p = make_params("breakout", {**VALUES, **values})
    assert isinstance(p, breakout.Breakout)
    return p


@pytest.mark.parametrize("execution,anchored", [("open", False), ("close", True)])
def test_each_split_is_its_own_sweep_and_run(execution: str, anchored: bool) -> None:
    panel = synthetic_panel()
    config = RunConfig(execution=execution, commission=0.0005)
    wf = walk_forward(panel, "breakout", GRID, train=200, test=120, anchored=anchored, values=VALUES, config=config)
    assert wf.strategy == "breakout" and len(wf.splits) == len(split_rows(700, 200, 120)) == 5
    grown = 1.0
    for i, s in enumerate(wf.splits):
        head = panel.head(panel.dates.index(s.train_end) + 1)
        fit = breakout.sweep_breakout(head, GRID, values=VALUES, config=config, start=s.train_start, overfit=False)
        sharpe = fit.table["sharpe"].to_numpy()
        assert s.best_set == int(np.nanargmax(sharpe)) and s.train_metric == sharpe[s.best_set]
        row = fit.table.row(s.best_set, named=True)
        assert {k: _params(s.values).__getattribute__(k) for k in GRID} == {k: row[k] for k in GRID}
        one = breakout.run_breakout(panel, _params(s.values), config, s.train_end, s.test_end)
        assert one.stats["sharpe"] == s.test_metric or (math.isnan(one.stats["sharpe"]) and math.isnan(s.test_metric))
        seg = wf.equity.filter(wf.equity["split"] == i)
        grown *= one.stats["total_return"] + 1
        assert seg["equity"][-1] == pytest.approx(grown, rel=1e-12)
        assert seg["date"][-1] == s.test_end and s.test_start > s.train_end
        assert s.train_start == (wf.splits[0].train_start if anchored else panel.dates[i * 120])
    assert wf.out_of_sample == (wf.splits[0].test_start, wf.splits[-1].test_end)
    mine = compute_stats(wf.equity["equity"].to_numpy(), wf.equity["date"].to_list())
    for k in ("total_return", "cagr", "sharpe", "max_drawdown"):
        assert wf.oos_stats[k] == pytest.approx(float(mine[k][0]), rel=1e-12)
    whole = breakout.sweep_breakout(panel, GRID, values=VALUES, config=config, start=wf.equity["date"][0],
                                    overfit=False)
    best = int(np.nanargmax(whole.table["sharpe"].to_numpy()))
    assert wf.is_stats["sharpe"] == whole.table["sharpe"][best]
    assert wf.is_stats["sharpe"] >= wf.oos_stats["sharpe"]


def test_one_split_out_of_sample_equals_a_single_run_of_the_chosen_set() -> None:
    panel = synthetic_panel()
    config = RunConfig(commission=0.001)
    wf = walk_forward(panel, "breakout", GRID, train=300, test=400, by="calmar", values=VALUES, config=config)
    (s,) = wf.splits
    assert s.test_end == panel.dates[-1]
    one = breakout.run_breakout(panel, _params(s.values), config, s.train_end)
    for k in STAT_NAMES:
        assert wf.oos_stats[k] == pytest.approx(one.stats[k], rel=1e-12, nan_ok=True), k
    np.testing.assert_allclose(wf.equity["equity"].to_numpy(), one.equity["equity"].to_numpy(), rtol=1e-15)


def test_no_look_ahead_the_test_period_does_not_move_a_choice() -> None:
    panel = synthetic_panel()
    wf = walk_forward(panel, "breakout", GRID, train=200, test=120, values=VALUES)
    # scramble every bar after split 1's training window: splits 0 and 1 choose the same sets
    cut = panel.dates.index(wf.splits[1].train_end) + 1
    rng = np.random.default_rng(9)
    noise = np.ones_like(panel.close)
    noise[cut:] = np.exp(np.cumsum(rng.normal(0, 0.03, size=noise[cut:].shape), axis=0))
    other = Panel(panel.dates, panel.symbols, *(a * noise for a in (panel.open, panel.high, panel.low,
                                                                    panel.close, panel.adj_close)))
    moved = walk_forward(other, "breakout", GRID, train=200, test=120, values=VALUES)
    for a, b in zip(wf.splits[:2], moved.splits[:2], strict=True):
        assert (a.best_set, a.values, a.train_metric) == (b.best_set, b.values, b.train_metric)
    assert wf.splits[0].test_metric == moved.splits[0].test_metric  # split 0's test ends before the cut
    assert [s.best_set for s in wf.splits[2:]] != [s.best_set for s in moved.splits[2:]] or \
        wf.oos_stats["sharpe"] != moved.oos_stats["sharpe"]  # the scrambled bars did change the later ones
    # appending bars never changes earlier splits
    part = walk_forward(panel.head(panel.dates.index(wf.splits[2].test_end) + 1), "breakout", GRID, train=200,
                        test=120, values=VALUES)
    assert part.splits == wf.splits[:3]
    np.testing.assert_array_equal(part.equity["equity"].to_numpy(), wf.equity["equity"].to_numpy()[:part.equity.height])


def test_walkforward_on_dask_equals_local() -> None:
    from rotation.backtest.distributed import dask_executor

    panel = synthetic_panel()
    local = walk_forward(panel, "breakout", GRID, train=300, test=200, values=VALUES)
    with dask_executor(None, workers=2) as ex:
        far = walk_forward(panel, "breakout", GRID, train=300, test=200, values=VALUES, executor=ex)
    assert far.splits == local.splits and far.oos_stats == local.oos_stats


def test_walkforward_may_choose_the_execution() -> None:
    panel = synthetic_panel()
    grid = {"execution": ["open", "close"], "lookback": ["10", "40"]}
    wf = walk_forward(panel, "breakout", grid, train=250, test=200, values=VALUES)
    assert {s.values["execution"] for s in wf.splits} <= {"open", "close"}
    for s in wf.splits:
        p, cfg = breakout.grid_set(VALUES, RunConfig(), s.values)
        assert cfg.execution == s.values["execution"]
        one = breakout.run_breakout(panel, p, cfg, s.train_end, s.test_end)
        assert one.stats["sharpe"] == s.test_metric


# -- real data -------------------------------------------------------------------------------
def test_real_breakout_walkforward(cli, real_store: Path) -> None:
    args = ["-g", "lookback=20,55,120", "-g", "stop=0.05,0.1", "-g", "hold=none,40", "-p", "symbols=XLK+XLE+XLF+XLV",
            "--from", "2002-01-01", "--train", "756", "--test", "504", "--commission", "0.0005",
            "--store", str(real_store)]
    res = cli("backtest", "walkforward", "breakout", "--json", *args)
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert set(out) == {"strategy", "by", "anchored", "train", "test", "window", "splits", "out_of_sample_window",
                        "out_of_sample", "in_sample", "in_sample_values", "equity"}
    assert out["strategy"] == "breakout" and out["window"]["start"] == "2002-01-02"
    assert out["equity"][-1]["date"] == "2025-09-25"  # the sector funds' last common bar
    assert len(out["splits"]) == math.ceil((out["window"]["sessions"] - 756) / 504) == 11
    assert set(out["splits"][0]) == {"train_start", "train_end", "test_start", "test_end", "best_set", "values",
                                     "train_metric", "test_metric"}
    assert out["out_of_sample_window"]["start"] == out["splits"][0]["test_start"] == out["equity"][1]["date"]
    oos, ins = out["out_of_sample"], out["in_sample"]
    assert set(oos) == set(ins) == set(STAT_NAMES)
    assert oos["sharpe"] == pytest.approx(0.501123794817622, rel=1e-9)  # chosen on each train, traded on its test
    assert ins["sharpe"] == pytest.approx(0.6456469818075394, rel=1e-9)  # the best set in hindsight
    assert out["in_sample_values"] == {"lookback": "55", "stop": "0.1", "hold": "none"}
    assert out["splits"][0]["values"] == {"lookback": "120", "stop": "0.05", "hold": "none"}
    assert oos["sharpe"] < ins["sharpe"]
    text = cli("backtest", "walkforward", "breakout", "--execution", "close", *args)
    assert text.exit_code == 0, text.output
    assert "breakout walk-forward (rolling" in text.stdout and "out of sample" in text.stdout
    assert date.fromisoformat(out["splits"][-1]["test_end"]) == date(2025, 9, 25)
