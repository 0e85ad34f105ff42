"""``breakout --execution close``: entries at the close of the bar after the signal, stops from
the bar after the fill; trade by trade equal to an independent plain-Python loop (synthetic
and real bars), sweep rows equal to single runs, the Dask path, and the errors."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from conftest import random_panel
from rotation.backtest import breakout, signals
from rotation.backtest.run import RunConfig, load_panel
from rotation.backtest.stats import STAT_NAMES, compute_stats
from rotation.backtest.strategies import Breakout, Panel, make_params
from rotation.data.store import Store
from rotation.errors import ConfigError

SYMS = ("S0", "S1", "S2", "S3")


def synthetic_panel(n: int = 600, k: int = 4, seed: int = 2) -> Panel:
    return random_panel(n, k, seed, gap=0.008)

Trade = tuple[date, float, date | None, float | None, str]


def reference(dates: list[date], o: list[float], h: list[float], lo: list[float], c: list[float],
              history: list[float], first: int, lookback: int, side: str, stop: float | None,
              target: float | None, trail: float | None, hold: int | None, cost: float
              ) -> tuple[list[Trade], list[float]]:
    """One sleeve, written from the documented rules with plain lists: the signal at the close of
    bar ``t`` (a ``lookback``-close high of ``history``, or low), the fill at the close of ``t + 1``,
    then from ``t + 2`` on each bar: a gap through the stop (or the target) fills at the open, else
    a touch of the stop (the stop wins a tie with the target), else the target, else the time stop
    at the close; a trailing stop follows the best high (low) from the fill, updated after each bar."""
    n = len(c)
    sign = 1 if side == "long" else -1

    def signal(t: int) -> bool:
        row = first + t
        if row + 1 < lookback:
            return False
        past = history[row + 1 - lookback : row + 1]
        return history[row] == (max(past) if side == "long" else min(past))

    trades: list[Trade] = []
    values = [1.0] * n
    eq = 1.0
    t = 1  # the book starts in cash at the close of bar 0: the first fill is on bar 1
    while t < n:
        if not signal(t - 1):
            values[t] = eq
            t += 1
            continue
        e, px = t, c[t]
        units = eq * (1 - cost) / px

        def worth(p: float, units: float = units, px: float = px) -> float:
            return units * p if sign > 0 else units * (2 * px - p)

        values[e] = worth(c[e])
        sl = None if stop is None else px * (1 - sign * stop)
        tp = None if target is None else px * (1 + sign * target)
        best = px
        out: tuple[int, float, str] | None = None
        j = e + 1
        while j < n and out is None:
            lvl, kind = sl, "stop"
            if trail is not None:
                tl = best * (1 - sign * trail)
                if lvl is None or sign * (tl - lvl) > 0:
                    lvl, kind = tl, "trailing-stop"
            if lvl is not None and sign * (o[j] - lvl) <= 0:
                out = (j, o[j], kind + "-gap")
            elif tp is not None and sign * (o[j] - tp) >= 0:
                out = (j, o[j], "target-gap")
            elif lvl is not None and (lo[j] <= lvl if sign > 0 else h[j] >= lvl):
                out = (j, lvl, kind)
            elif tp is not None and (h[j] >= tp if sign > 0 else lo[j] <= tp):
                out = (j, tp, "target")
            elif hold is not None and j - e >= hold:
                out = (j, c[j], "time-stop")
            else:
                values[j] = worth(c[j])
                best = max(best, h[j], o[j]) if sign > 0 else min(best, lo[j], o[j])
                j += 1
        if out is None:
            trades.append((dates[e], px, None, None, "open"))
            return trades, values
        x, xp, why = out
        eq = worth(xp) - cost * units * xp
        values[x] = eq
        trades.append((dates[e], px, dates[x], xp, why))
        t = x + 1  # a signal at the exit bar's close fills at the next close
    return trades, values


def check_against_reference(win: breakout.Bars, res_trades: object, params: Breakout, cost: float,
                            equity: np.ndarray) -> int:
    """Every symbol's trades (entry date/price, exit date/price/reason) and the book equal the loop's."""
    p = win.prices
    sleeves = []
    count = 0
    for j, sym in enumerate(win.symbols):
        want, values = reference(list(win.dates), p.open[j].tolist(), p.high[j].tolist(), p.low[j].tolist(),
                                 p.close[j].tolist(), win.history[:, j].tolist(), win.first, params.lookback,
                                 params.side, params.stop, params.target, params.trail, params.hold, cost)
        got = res_trades.filter(res_trades["symbol"] == sym)  # type: ignore[attr-defined]
        assert got.height == len(want), sym
        for r, w in zip(got.iter_rows(named=True), want, strict=True):
            assert (r["entry_date"], r["exit_date"], r["exit_reason"]) == (w[0], w[2], w[4]), (sym, r, w)
            assert r["entry_price"] == pytest.approx(w[1], rel=1e-14)
            assert (r["exit_price"] is None) if w[3] is None else r["exit_price"] == pytest.approx(w[3], rel=1e-14)
        sleeves.append(values)
        count += len(want)
    np.testing.assert_allclose(equity, np.mean(np.array(sleeves), axis=0), rtol=1e-12)
    return count


CASES = [
    dict(lookback=15, stop=0.03, target=0.06),
    dict(lookback=10, trail=0.04, hold=12),
    dict(lookback=25, stop=0.08, trail=0.03, target=0.1),
    dict(lookback=12, side="short", stop=0.04, target=0.05),
    dict(lookback=20, side="short", trail=0.05, hold=7),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(f"{k}{v}" for k, v in c.items()))
def test_close_execution_equals_a_plain_python_loop(case: dict[str, object]) -> None:
    panel = synthetic_panel()
    params = Breakout(symbols=SYMS, **case)  # type: ignore[arg-type]
    config = RunConfig(execution="close", commission=0.0007)
    res = breakout.run_breakout(panel, params, config, start=panel.dates[40])
    win = breakout.bars(panel, SYMS, panel.dates[40])
    n = check_against_reference(win, res.trades, params, config.cost, res.equity["equity"].to_numpy())
    assert n == res.stats["trades"] > 10
    mine = compute_stats(res.equity["equity"].to_numpy(), list(win.dates))
    for k in ("total_return", "sharpe", "max_drawdown"):
        assert res.stats[k] == pytest.approx(float(mine[k][0]), rel=1e-9), k
    # the close is not the open: the same rule at the next open trades at other prices
    opened = breakout.run_breakout(panel, params, RunConfig(commission=0.0007), start=panel.dates[40])
    assert opened.trades["entry_price"].to_list() != res.trades["entry_price"].to_list()


def test_close_entry_bar_is_not_checked_and_gaps_fill_at_the_next_open() -> None:
    flat = (100.0, 101.0, 99.0, 100.0)
    rows = [flat, flat, (100.0, 101.0, 90.0, 100.0), (93.0, 94.0, 92.0, 93.0), flat]
    a = np.array(rows)
    prices = signals.SignalPrices.from_bars(*(a[:, i : i + 1] for i in range(4)))
    ent = np.zeros((5, 1), dtype=bool)
    ent[1, 0] = True  # decided at close 1 -> filled at close 2 (100): bar 2's low of 90 came before
    r = signals.sweep_signals(prices, ent, signals.StopSets.of(0.05), record=True, execution="close")
    assert (r.trade_entry_bar[0], r.trade_entry_price[0]) == (2, 100.0)
    assert (r.trade_exit_bar[0], r.trade_exit_price[0], r.trade_exit_code[0]) == (3, 93.0, signals.R_STOP + 1)
    o = signals.sweep_signals(prices, ent, signals.StopSets.of(0.05), record=True)  # at the open of 2: stopped on 2
    assert (o.trade_entry_bar[0], o.trade_exit_bar[0], o.trade_exit_price[0]) == (2, 2, 95.0)
    with pytest.raises(ConfigError, match="exit signals fill at the next open"):
        signals.sweep_signals(prices, ent, signals.StopSets.of(0.05), exits=ent, execution="close")
    with pytest.raises(ConfigError, match="hold >= 1"):
        signals.sweep_signals(prices, ent, signals.StopSets.of(hold=0), execution="close")
    with pytest.raises(ConfigError, match="execution: expected open or close"):
        signals.sweep_signals(prices, ent, signals.StopSets.of(0.05), execution="vwap")


def test_close_sweep_rows_equal_single_runs_locally_and_on_dask() -> None:
    panel = synthetic_panel()
    values = {"symbols": "+".join(SYMS)}
    config = RunConfig(execution="close", commission=0.0005)
    grid = {"lookback": ["10", "30"], "stop": ["0.03", "none"], "trail": ["none", "0.05"], "hold": ["none", "5"]}
    res = breakout.sweep_breakout(panel, grid, values=values, config=config, overfit=True)
    assert res.config.execution == "close" and res.table.height == 16 and res.guard is not None
    for i in (0, 7, 13):
        row = res.table.row(i, named=True)
        p = make_params("breakout", {**values, **{k: ("none" if row[k] is None else str(row[k])) for k in grid}})
        one = breakout.run_breakout(panel, p, config)  # type: ignore[arg-type]
        for k in STAT_NAMES:
            assert row[k] == pytest.approx(one.stats[k], rel=1e-12, nan_ok=True), (i, k)
    opened = breakout.sweep_breakout(panel, grid, values=values, config=RunConfig(commission=0.0005), overfit=False)
    assert not np.array_equal(opened.table["total_return"].to_numpy(), res.table["total_return"].to_numpy())
    from rotation.backtest.distributed import dask_executor

    with dask_executor(None, workers=2) as ex:
        far = breakout.sweep_breakout(panel, grid, values=values, config=config, overfit=False, executor=ex)
    np.testing.assert_array_equal(far.table.drop("set").to_numpy(), res.table.drop("set").to_numpy())
    with pytest.raises(ConfigError, match="hold >= 1"):
        breakout.sweep_breakout(panel, {"hold": ["0", "5"]}, values=values, config=config)
    with pytest.raises(ConfigError, match="hold >= 1"):
        breakout.run_breakout(panel, Breakout(symbols=SYMS, hold=0), config)


def test_grid_sweeps_execution_and_costs_as_run_options() -> None:
    panel = synthetic_panel()
    values = {"symbols": "+".join(SYMS)}
    grid = {"execution": ["open", "close"], "lookback": ["10", "30"], "commission": ["0", "0.001"],
            "stop": ["0.03", "0.06"]}
    res = breakout.sweep_breakout(panel, grid, values=values, overfit=True)
    assert res.table.height == 16 and res.table["execution"].to_list()[:8] == ["open"] * 8
    assert res.guard is not None and res.guard.pbo is not None
    for i in range(16):
        row = res.table.row(i, named=True)
        p, cfg = breakout.grid_set(values, RunConfig(), {k: str(row[k]) for k in grid})
        assert (cfg.execution, cfg.commission) == (row["execution"], row["commission"])
        one = breakout.run_breakout(panel, p, cfg)
        for k in STAT_NAMES:
            assert row[k] == pytest.approx(one.stats[k], rel=1e-12, nan_ok=True), (i, k)
    from rotation.backtest.distributed import dask_executor

    with dask_executor(None, workers=2) as ex:
        far = breakout.sweep_breakout(panel, grid, values=values, overfit=False, executor=ex)
    assert far.table.equals(res.table)
    with pytest.raises(ConfigError, match="execution: expected open or close"):
        breakout.sweep_breakout(panel, {"execution": ["open", "vwap"]}, values=values)
    with pytest.raises(ConfigError, match="hold >= 1"):
        breakout.sweep_breakout(panel, {"execution": ["open", "close"], "hold": ["0", "3"]}, values=values)
    with pytest.raises(ConfigError, match="commission: expected a number"):
        breakout.sweep_breakout(panel, {"commission": ["cheap"]}, values=values)


# -- real data -------------------------------------------------------------------------------
def test_real_close_execution_trade_by_trade(real_store: Path) -> None:
    with Store(real_store, read_only=True) as st:
        panel = load_panel(st, make_params("breakout").needs)
    params = Breakout(lookback=55, stop=0.06, target=0.2, trail=0.1, hold=60)
    config = RunConfig(execution="close", commission=0.0005)
    start = date(2005, 1, 1)
    res = breakout.run_breakout(panel, params, config, start)
    win = breakout.bars(panel, params.symbols, start)
    n = check_against_reference(win, res.trades, params, config.cost, res.equity["equity"].to_numpy())
    assert n == res.stats["trades"] == 560  # every exit reason occurs: stop, gaps, target, trail, time
    assert res.stats["total_return"] == pytest.approx(0.9527259069879936, rel=1e-9)  # next open: 0.8468
    assert res.trades["exit_date"].drop_nulls().max() <= res.end == date(2025, 9, 25)
    short = Breakout(symbols=("XLK", "XLE", "XLU"), lookback=20, side="short", stop=0.05, hold=20)
    res = breakout.run_breakout(panel, short, config, start)
    check_against_reference(breakout.bars(panel, short.symbols, start), res.trades, short, config.cost,
                            res.equity["equity"].to_numpy())


def test_cli_close_execution_run_and_sweep(cli, real_store: Path) -> None:
    args = ["-p", "symbols=XLK+XLE+XLF", "--from", "2010-01-01", "--to", "2024-12-31", "--store", str(real_store)]
    res = cli("backtest", "run", "breakout", "-p", "lookback=55", "--stop", "0.08", "--execution", "close",
              "--json", *args)
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["config"]["execution"] == "close" and out["trades"]
    text = cli("backtest", "run", "breakout", "-p", "lookback=55", "--execution", "close", *args)
    assert "execution at the next close" in text.stdout
    res = cli("backtest", "sweep", "breakout", "-g", "stop=0.04,0.08", "-g", "hold=20,40", "--execution", "close",
              "--json", *args)
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)["rows"]
    assert len(rows) == 4 and all(math.isfinite(r["sharpe"]) for r in rows)
    res = cli("backtest", "sweep", "breakout", "-g", "execution=open,close", "-g", "stop=0.04,0.08", "--json", *args)
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)["rows"]
    assert sorted(r["execution"] for r in rows) == ["close", "close", "open", "open"]
    bad = cli("backtest", "run", "breakout", "-p", "hold=0", "--execution", "close", *args)
    assert bad.exit_code == 2 and "hold >= 1" in bad.output
