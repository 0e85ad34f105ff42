"""One ``breakout`` run: the traded window's bars, the entry signals, and the run itself.

:class:`rotation.backtest.strategies.Breakout` names the rule; this module turns it
into entry signals and runs them through :func:`rotation.backtest.signals.sweep_signals`
(one sleeve of ``1/k`` per symbol, the fill rules of that module); its sweeps are
:mod:`rotation.backtest.breakout`'s.

* **Prices.** Dividend-adjusted ``open/high/low/close`` (each bar times
  ``adj_close / close``, as the book), on the sessions where **every** traded
  symbol has a bar: the window (:func:`rotation.backtest.window.fit_window`)
  starts when the last of them starts and ends at the earliest last bar; a
  session inside it where one of them has no bar is skipped for all of them
  (not carried: a sleeve needs a real bar to check its stops on).
* **Signal.** Long: the adjusted close is the highest of the last ``lookback``
  closes (today's included); short: the lowest.  Decided at the close, filled
  at the next open, or with ``--execution close`` at the next close (stops from
  the bar after the fill, :mod:`rotation.backtest.signal_sets`); history before
  ``start`` warms the signal up.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from rotation.backtest import signals
from rotation.backtest.run import BacktestResult, RunConfig, check_signal_window, load_panel
from rotation.backtest.stats import STAT_NAMES, drawdown, years_between
from rotation.backtest.strategies import Breakout, Panel, make_params
from rotation.backtest.window import Window, fit_window
from rotation.data.store import Store
from rotation.errors import ConfigError, DataError
from rotation.trading.plan import FILL_REASONS


@dataclass(frozen=True)
class Bars:
    """The traded window: dates, adjusted prices ``[k, n]``, the full-history closes for the
    signals, and the run's :class:`rotation.backtest.window.Window`."""

    dates: tuple[date, ...]
    symbols: tuple[str, ...]
    prices: signals.SignalPrices
    history: np.ndarray  # adjusted closes [row, symbol] from the first common row, for the signals
    first: int  # row of ``history`` where the window starts
    window: Window | None = None

    @property
    def years(self) -> float:
        return years_between(self.dates)


def bars(panel: Panel, symbols: Sequence[str], start: date | None = None, end: date | None = None) -> Bars:
    """Adjusted bars of ``symbols`` on the sessions where all of them have one, ``start .. end``."""
    panel, win = fit_window(panel, Breakout(symbols=tuple(symbols)), start, end)
    start = win.start
    idx = [panel.column(s) for s in symbols]
    close = panel.close[:, idx]
    adj = panel.adj_close[:, idx]
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(close > 0, adj / close, np.nan)
    mats = [panel.open[:, idx] * factor, panel.high[:, idx] * factor, panel.low[:, idx] * factor, adj]
    ok = np.all(np.stack([np.isfinite(m) & (m > 0) for m in mats]), axis=(0, 2))
    rows = np.flatnonzero(ok)
    if rows.size == 0:
        raise DataError(f"no session where all of {', '.join(symbols)} have a bar")
    dates = [panel.dates[r] for r in rows]
    first = 0
    if start is not None:
        first = int(np.searchsorted(np.array(dates, dtype="datetime64[D]"), np.datetime64(start, "D")))
        if first >= len(dates):
            raise DataError(f"no session on or after {start} where all of {', '.join(symbols)} have a bar "
                            f"(the last common one is {dates[-1]})")
    if len(dates) - first < 2:
        raise DataError(f"a backtest needs at least two sessions in the window, got {len(dates) - first}")
    cut = [np.ascontiguousarray(m[rows][first:]) for m in mats]
    prices = signals.SignalPrices.from_bars(*cut)
    skipped = win.sessions - (len(dates) - first)
    win = dataclasses.replace(win, sessions=len(dates) - first, end_reason=win.end_reason + (
        f"; {skipped} session(s) where a symbol had no bar skipped" if skipped else ""))
    return Bars(tuple(dates[first:]), tuple(symbols), prices, np.ascontiguousarray(adj[rows]), first, win)


def check_lookback(win: Bars, lookback: int) -> None:
    """A clear error when ``lookback`` never forms on the sessions where all the symbols have a bar:
    breakout's signals use only those, where :func:`rotation.backtest.run.check_signal_window`
    counts every session of the panel (a symbol that starts late shortens them)."""
    rows = win.history.shape[0]
    if lookback + 1 > rows:
        raise ConfigError(f"lookback {lookback}: longer than the data: a first signal needs {lookback + 1:,} "
                          f"sessions where all of {', '.join(win.symbols)} have a bar, and there are {rows:,} "
                          f"up to {win.dates[-1]}")


def entries(win: Bars, lookback: int, side: str) -> np.ndarray:
    """Entry signals ``[bar, symbol]`` over the window: a close at a ``lookback``-session high (low)."""
    close = win.history
    n = close.shape[0]
    out = np.zeros_like(close, dtype=bool)
    if lookback <= n:
        view = np.lib.stride_tricks.sliding_window_view(close, lookback, axis=0)  # [n - L + 1, k, L]
        best = view.max(axis=2) if side == "long" else view.min(axis=2)
        out[lookback - 1 :] = close[lookback - 1 :] == best
    return out[win.first :]


def merge_config(params: Breakout, config: RunConfig) -> tuple[Breakout, float]:
    """``params`` with ``--stop``/``--trail`` of ``config`` merged in (given once), and the cost."""
    if config.execution == "close" and params.hold == 0:
        raise ConfigError("hold: 0 bars with --execution close would exit at the entry's own close; "
                          "expected hold >= 1 (the close hold bars after the entry bar)")
    if config.stop is not None and params.stop is not None:
        raise ConfigError("stop given twice (--stop and -p stop=)")
    if config.trail is not None and params.trail is not None:
        raise ConfigError("trail given twice (--trail and -p trail=)")
    merged = dataclasses.replace(params, stop=params.stop if params.stop is not None else config.stop,
                                 trail=params.trail if params.trail is not None else config.trail)
    return merged, config.cost


def stop_sets(p: Breakout) -> signals.StopSets:
    return signals.StopSets.of(p.stop, p.target, p.trail, -1 if p.hold is None else p.hold)


def _reason(code: int) -> str:
    if code == -1:
        return "signal"
    if code == -2:
        return "open"
    return FILL_REASONS[code]


def run_breakout(panel: Panel, params: Breakout, config: RunConfig | None = None,
                 start: date | None = None, end: date | None = None) -> BacktestResult:
    """One breakout run: statistics, equity curve and every trade (see the module docstring)."""
    config = config or RunConfig()
    params, cost = merge_config(params, config)
    win = bars(panel, params.symbols, start, end)
    side = 1 if params.side == "long" else -1
    res = signals.sweep_signals(win.prices, entries(win, params.lookback, params.side), stop_sets(params), side=side,
                                cost=cost, conventions=signals.Conventions.named(params.conventions),
                                years=win.years, risk_free=config.risk_free, record=True,
                                execution=config.execution)
    stats = {k: float(v) for k, v in zip(STAT_NAMES, res.stats[0], strict=True)}
    dates = win.dates
    equity = pl.DataFrame({
        "date": pl.Series(dates, dtype=pl.Date), "equity": res.equity[0], "drawdown": drawdown(res.equity[0])[0],
        "exposure": res.exposure[0], "turnover": res.turnover[0],
    })
    order = np.lexsort((res.trade_symbol, res.trade_entry_bar))
    closed = res.trade_exit_bar[order] >= 0
    exit_bar = res.trade_exit_bar[order]
    trades = pl.DataFrame({
        "symbol": pl.Series([win.symbols[j] for j in res.trade_symbol[order]], dtype=pl.Utf8),
        "side": pl.Series([params.side] * len(order), dtype=pl.Utf8),
        "entry_date": pl.Series([dates[i] for i in res.trade_entry_bar[order]], dtype=pl.Date),
        "entry_price": res.trade_entry_price[order],
        "exit_date": pl.Series([dates[i] if i >= 0 else None for i in exit_bar], dtype=pl.Date),
        "exit_price": res.trade_exit_price[order],
        "return": res.trade_return[order],
        "bars": np.where(closed, exit_bar - res.trade_entry_bar[order], len(dates) - 1 - res.trade_entry_bar[order]),
        "exit_reason": pl.Series([_reason(int(c)) for c in res.trade_exit_code[order]], dtype=pl.Utf8),
    }).with_columns(pl.col("exit_price").fill_nan(None))
    assert win.window is not None
    return BacktestResult(params.name, params, config, dates[0], dates[-1], win.symbols, stats, equity, trades,
                          win.window)


def backtest_breakout(store: Store, values: dict[str, Any] | None = None, config: RunConfig | None = None,
                      start: date | None = None, end: date | None = None) -> BacktestResult:
    """:func:`run_breakout` over bars loaded from ``store``."""
    params = make_params("breakout", values)
    assert isinstance(params, Breakout)
    panel = load_panel(store, params.needs, start, end)
    check_signal_window(panel, params)
    check_lookback(bars(panel, params.symbols, start, end), params.lookback)
    return run_breakout(panel, params, config, start, end)
