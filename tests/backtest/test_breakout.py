"""The breakout strategy: signals, window, real-data figures, streaming sweeps, the CLI."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from conftest import random_panel
from rotation.backtest import breakout
from rotation.backtest.run import RunConfig, load_panel
from rotation.backtest.stats import STAT_NAMES
from rotation.backtest.strategies import Breakout, Panel, make_params
from rotation.data.store import Store
from rotation.errors import ConfigError


def synthetic_panel(n: int = 600, k: int = 4, seed: int = 2) -> Panel:
    return random_panel(n, k, seed)


SYMS = ("S0", "S1", "S2", "S3")


def test_entries_are_closing_highs_and_lows() -> None:
    panel = synthetic_panel()
    win = breakout.bars(panel, SYMS)
    ent = breakout.entries(win, 10, "long")
    c = panel.adj_close
    for t in (30, 200, 599):
        for j in range(4):
            assert ent[t, j] == (c[t, j] == c[t - 9 : t + 1, j].max())
    low = breakout.entries(win, 10, "short")
    assert low[50, 0] == (c[50, 0] == c[41:51, 0].min())
    assert not ent[:9].any()  # warm-up


def test_run_trades_and_statistics_agree() -> None:
    panel = synthetic_panel()
    params = Breakout(symbols=SYMS, lookback=15, stop=0.04, target=0.08)
    res = breakout.run_breakout(panel, params, RunConfig(commission=0.0005))
    t = res.trades
    assert res.stats["trades"] == t.height > 20
    closed = t.filter(t["exit_date"].is_not_null())
    assert set(closed["exit_reason"]) <= {"stop", "stop-gap", "target", "target-gap"}
    assert res.stats["win_rate"] == pytest.approx((closed["return"] > 0).mean())
    assert res.equity["equity"][0] == 1.0 and res.window.start == panel.dates[0]
    short = breakout.run_breakout(panel, Breakout(symbols=SYMS, lookback=15, side="short", stop=0.04))
    assert set(short.trades["side"]) == {"short"}
    with pytest.raises(ConfigError, match="stop given twice"):
        breakout.run_breakout(panel, params, RunConfig(stop=0.1))


def test_window_skips_sessions_a_symbol_lacks() -> None:
    panel = synthetic_panel()
    o = panel.open.copy()
    o[:100, 2] = np.nan  # S2 starts late
    c = panel.close.copy()
    adj = panel.adj_close.copy()
    c[:100, 2] = adj[:100, 2] = np.nan
    c[300, 1] = adj[300, 1] = o[300, 1] = np.nan  # a one-day gap
    p = Panel(panel.dates, panel.symbols, o, panel.high, panel.low, c, adj)
    win = breakout.bars(p, SYMS)
    assert win.dates[0] == panel.dates[100] and panel.dates[300] not in win.dates
    assert win.window is not None and "skipped" in win.window.end_reason


def test_sweep_rows_equal_single_runs_and_streaming_keeps_the_best(monkeypatch: pytest.MonkeyPatch) -> None:
    panel = synthetic_panel()
    grid = {"lookback": ["10", "30"], "stop": ["0.03", "none", "0.1"], "target": ["0.05", "0.2"]}
    full = breakout.sweep_breakout(panel, grid, values={"symbols": "+".join(SYMS)}, overfit=True)
    assert full.complete and full.table.height == 12 and full.guard is not None
    row = full.table.row(9, named=True)  # (1, 1, 1): lookback 30, stop none, target 0.2
    assert (row["lookback"], row["stop"], row["target"]) == (30, None, 0.2)
    one = breakout.run_breakout(panel, Breakout(symbols=SYMS, lookback=30, target=0.2))
    for k in STAT_NAMES:
        assert row[k] == pytest.approx(one.stats[k], rel=1e-12, nan_ok=True), k
    monkeypatch.setattr(breakout, "KEEP_ALL", 5)
    streamed = breakout.sweep_breakout(panel, grid, values={"symbols": "+".join(SYMS)}, top=3, by="calmar",
                                       overfit=False)
    assert not streamed.complete and streamed.sets == 12
    want = full.top(3, "calmar")
    assert streamed.top(3, "calmar")["set"].to_list() == want["set"].to_list()
    sh = full.table["sharpe"].to_numpy()
    assert streamed.summary["sharpe"]["mean"] == pytest.approx(sh.mean(), rel=1e-12)
    assert streamed.summary["sharpe"]["std"] == pytest.approx(sh.std(ddof=1), rel=1e-9)
    assert streamed.summary["sharpe"]["max"] == sh.max()


def test_plan_estimates_and_refuses_beyond_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    panel = synthetic_panel()
    plan = breakout.plan_sweep(panel, {"stop": ["0.01", "0.02"], "target": ["0.1", "0.2", "0.3"]},
                               values={"symbols": "+".join(SYMS)})
    assert plan.sets == 6 and plan.bar_steps == 6 * 4 * 600 and plan.memory > 0
    assert math.isfinite(plan.pilot(4).seconds)
    monkeypatch.setattr(breakout, "MAX_BAR_STEPS", 1000)
    with pytest.raises(ConfigError, match="--force"):
        breakout.run_plan(plan)
    assert breakout.run_plan(plan, force=True, overfit=False).sets == 6
    with pytest.raises(ConfigError, match="varies"):
        breakout.plan_sweep(panel, {"slow": ["5"]}, values={"symbols": "+".join(SYMS)})


# -- real data -------------------------------------------------------------------------------
def test_real_breakout_window_and_figures(real_store: Path) -> None:
    with Store(real_store, read_only=True) as st:
        res = breakout.backtest_breakout(st, {"stop": "0.05", "target": "0.15"}, start=date(2005, 1, 1))
        panel = load_panel(st, make_params("breakout").needs)
    assert res.start == date(2005, 1, 3) and res.end == date(2025, 9, 25)  # the sector funds' last common bar
    assert res.trades["exit_date"].drop_nulls().max() <= res.end
    assert res.stats["trades"] == 564
    assert res.stats["total_return"] == pytest.approx(2.783768406574172, rel=1e-9)
    # every fill is inside its bar's adjusted range
    win = breakout.bars(panel, res.symbols, date(2005, 1, 1))
    for r in res.trades.filter(res.trades["exit_date"].is_not_null()).head(200).iter_rows(named=True):
        i, j = win.dates.index(r["exit_date"]), res.symbols.index(r["symbol"])
        assert win.prices.low[j, i] - 1e-9 <= r["exit_price"] <= win.prices.high[j, i] + 1e-9


def test_cli_run_and_sweep_breakout(cli, real_store: Path) -> None:
    res = cli("backtest", "run", "breakout", "-p", "symbols=XLK+XLE+XLF", "-p", "lookback=55", "--stop", "0.08",
              "-p", "hold=40", "--from", "2010-01-01", "--to", "2024-12-31", "--json", "--store", str(real_store))
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["window"]["start"] == "2010-01-04" and out["params"]["stop"] == 0.08
    assert {t["exit_reason"] for t in out["trades"]} <= {"stop", "stop-gap", "time-stop", "open"}
    res = cli("backtest", "sweep", "breakout", "-g", "stop=0.02:0.1:0.02", "-g", "target=0.1,0.2", "-p",
              "symbols=XLK+XLE+XLF", "--from", "2010-01-01", "--to", "2024-12-31", "--json", "--store", str(real_store))
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["sets"] == 10 and out["complete"] and len(out["rows"]) == 10
    assert out["overfit"]["deflated_sharpe"]["trials"] == 10
    assert "bar-steps" in res.stderr
    bad = cli("backtest", "sweep", "breakout", "-g", "fast=1,2", "--store", str(real_store))
    assert bad.exit_code == 2


def test_a_swept_lookback_longer_than_the_data_is_refused_but_may_form_in_later_splits() -> None:
    """As the book's sweeps: a lookback that never forms is one error naming it (such sets cannot
    trade, and would count as trials in the deflated Sharpe ratio); a walk-forward checks once on
    its whole panel, so a lookback that forms only in later splits is swept there."""
    from rotation.backtest.walkforward import walk_forward

    panel = synthetic_panel()  # 600 sessions
    values = {"symbols": "+".join(SYMS)}
    with pytest.raises(ConfigError, match=r"^--grid: lookback 600: longer than the data: a first signal needs 601"):
        breakout.sweep_breakout(panel, {"lookback": ["20", "600"], "stop": ["0.05"]}, values=values)
    with pytest.raises(ConfigError, match=r"^--grid: lookback 600: longer than the data"):
        walk_forward(panel, "breakout", {"lookback": ["20", "600"]}, train=200, test=100, values=values)
    wf = walk_forward(panel, "breakout", {"lookback": ["20", "350"]}, train=200, test=100, values=values)
    assert len(wf.splits) == 4  # the first split's training bars (200 rows) are fewer than 351


def test_a_lookback_is_checked_on_the_sessions_all_symbols_share() -> None:
    """Breakout's signals use only the sessions where every symbol has a bar: a symbol that starts
    late shortens them, and a lookback that never forms there is refused rather than run with 0
    trades (the panel's own length would let it through)."""
    panel = synthetic_panel()
    adj = panel.adj_close.copy()
    adj[:400, 3] = np.nan  # S3 starts at row 400: 200 sessions in common
    late = Panel(panel.dates, panel.symbols, panel.open, panel.high, panel.low, panel.close, adj)
    values = {"symbols": "+".join(SYMS)}
    with pytest.raises(ConfigError, match=r"^--grid: lookback 250: longer than the data: a first signal needs 251 "
                                          r"sessions where all of S0, S1, S2, S3 have a bar, and there are 200 up to"):
        breakout.sweep_breakout(late, {"lookback": ["20", "250"]}, values=values)
    assert breakout.sweep_breakout(late, {"lookback": ["20", "150"]}, values=values, overfit=False).sets == 2


def test_a_swept_stop_replaces_the_run_option_in_sweeps_and_walk_forward() -> None:
    """`-g stop=...` with `--stop`: the grid's stops, in the sweep and in the walk-forward's test runs
    alike (it used to fail after the first training sweep, naming `-p stop=`)."""
    from rotation.backtest.walkforward import walk_forward

    panel = synthetic_panel()
    values = {"symbols": "+".join(SYMS)}
    grid = {"lookback": ["10", "30"], "stop": ["0.03", "0.1"]}
    with_option = walk_forward(panel, "breakout", grid, train=200, test=100, values=values, config=RunConfig(stop=0.08))
    without = walk_forward(panel, "breakout", grid, train=200, test=100, values=values)
    assert with_option.splits == without.splits and with_option.oos_stats == without.oos_stats
    swept = breakout.sweep_breakout(panel, grid, values=values, config=RunConfig(stop=0.08), overfit=False)
    assert swept.table.equals(breakout.sweep_breakout(panel, grid, values=values, overfit=False).table)
