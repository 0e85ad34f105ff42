"""Run one strategy over bars from the store: equity curve, trades and statistics.

The pipeline, shared with :mod:`rotation.backtest.sweep` so that a sweep row and
a single run of the same parameters give the same numbers:

1. :func:`rotation.backtest.strategies.target_weights` (signals at the close);
2. act on the next bar (the targets lagged by one bar), cash until the first
   close of the window;
3. optional stops from the trading engine (:func:`portfolio.engine_stops`);
4. :func:`rotation.backtest.portfolio.account` (fills, costs, equity);
5. :func:`rotation.backtest.stats.compute_stats`.

The window ``[start, end]``: the book starts in cash (equity 1.0) at the close
of the first session on or after ``start`` where every symbol the strategy
needs has data, and ends at the earliest last bar (:mod:`rotation.backtest.window`);
the first trades happen on the next bar.  Signals use all stored history before ``start`` (a 200-day average is
ready on day one), never anything after the bar they are decided on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from rotation.backtest import portfolio
from rotation.backtest.stats import STAT_NAMES, drawdown
from rotation.backtest.strategies import (
    Momentum,
    PairSwitch,
    Panel,
    RrgQuadrant,
    Strategy,
    make_params,
    target_weights,
)
from rotation.backtest.window import Window, carried_rows, defer_on_gaps, fit_window
from rotation.data.store import Store
from rotation.errors import ConfigError, DataError
from rotation.trading.plan import FILL_REASONS

EXECUTIONS: tuple[str, ...] = ("open", "close")


@dataclass(frozen=True)
class RunConfig:
    """Execution and costs: ``commission`` and ``slippage`` are fractions of traded value
    (0.0005 = 5 bps a side); ``stop``/``trail`` fractions below the entry / best high
    (adjusted prices), handled by the trading engine; ``risk_free`` annual, for Sharpe/Sortino."""

    execution: str = "open"
    commission: float = 0.0
    slippage: float = 0.0
    stop: float | None = None
    trail: float | None = None
    risk_free: float = 0.0

    def __post_init__(self) -> None:
        if self.execution not in EXECUTIONS:
            raise ConfigError(f"execution: expected open or close, got {self.execution!r}")
        for name in ("commission", "slippage"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and 0.0 <= value < 0.5):
                raise ConfigError(f"{name}: expected a fraction in [0, 0.5), got {value!r}")
        for name in ("stop", "trail"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, (int, float)) and 0.0 < value < 1.0):
                raise ConfigError(f"{name}: expected a fraction in (0, 1), got {value!r}")

    @property
    def cost(self) -> float:
        return float(self.commission) + float(self.slippage)


@dataclass(frozen=True)
class BacktestResult:
    """One run: ``equity`` frame (``date, equity, drawdown, exposure, turnover`` and one
    weight column per traded symbol, the target in force that bar), ``trades`` frame,
    ``stats`` (fractions; see :mod:`rotation.backtest.stats`), ``window`` (the real window,
    why it starts and ends where it does, carried gaps; :mod:`rotation.backtest.window`)."""

    strategy: str
    params: Strategy
    config: RunConfig
    start: date
    end: date
    symbols: tuple[str, ...]
    stats: dict[str, float]
    equity: pl.DataFrame = field(repr=False)
    trades: pl.DataFrame = field(repr=False)
    window: Window = field(repr=False)


def load_panel(store: Store, symbols: Sequence[str], start: date | None = None, end: date | None = None) -> Panel:
    """Bars of ``symbols`` up to ``end`` as a :class:`Panel` (``start`` only trims the window
    later; earlier history is kept for the signals' warm-up)."""
    del start  # signals need the history before the window
    bars = store.bars(list(symbols), None, end)
    if bars.is_empty():
        raise DataError(f"no bars for {', '.join(symbols)} up to {end or 'the last date'}")
    names = list(dict.fromkeys(symbols))
    dates = bars["date"].unique().sort()
    mats = []
    for fld in ("open", "high", "low", "close", "adj_close"):
        wide = bars.pivot(on="symbol", index="date", values=fld)
        wide = pl.DataFrame({"date": dates}).join(wide, on="date", how="left")
        for s in names:
            if s not in wide.columns:
                raise DataError(f"no bars for {s!r} up to {end or 'the last date'}")
        mats.append(np.ascontiguousarray(
            wide.select([pl.col(s).cast(pl.Float64).fill_null(float("nan")) for s in names]).to_numpy()))
    return Panel(tuple(dates.to_list()), tuple(names), *mats)


def start_row(panel: Panel, start: date | None) -> int:
    """Row of the first session on or after ``start`` (0 without a start)."""
    if start is None:
        return 0
    days = np.array(panel.dates, dtype="datetime64[D]")
    row = int(np.searchsorted(days, np.datetime64(start, "D"), side="left"))
    if row >= panel.n:
        raise DataError(f"no data on or after {start.isoformat()} (last date {panel.dates[-1]})")
    return row


def window_targets(panel: Panel, params: Sequence[Strategy], first: int) -> tuple[list[str], np.ndarray, portfolio.Prices]:
    """Steps 1-2: traded symbols, lagged targets ``[p, bar, symbol]`` over rows ``first..``, prices.

    ``panel`` is fitted to the window (:func:`rotation.backtest.window.fit_window`); on a bar
    where a traded symbol's price is carried over a gap the targets of the bar before stay."""
    cols, weights = target_weights(panel, params)
    targets = np.zeros((weights.shape[0], panel.n - first, weights.shape[2]))
    targets[:, 1:, :] = weights[:, first : panel.n - 1, :]  # act on the next bar; cash at the first close
    targets = defer_on_gaps(targets, carried_rows(panel, cols, first))
    prices = portfolio.adjusted_prices(panel, cols)
    prices = portfolio.Prices(*(np.ascontiguousarray(a[first:]) for a in
                                (prices.open, prices.high, prices.low, prices.close)))
    return cols, targets, prices


def _stops(prices: portfolio.Prices, targets: np.ndarray, config: RunConfig) -> tuple[np.ndarray, np.ndarray] | None:
    if config.stop is None and config.trail is None:
        return None
    return portfolio.engine_stops(prices, targets, execution=config.execution, stop=config.stop, trail=config.trail)


def simulate(panel: Panel, params: Strategy, config: RunConfig, first: int = 0
             ) -> tuple[list[str], np.ndarray, portfolio.Book]:
    """Steps 1-4 for one parameter set, with its trades: ``(symbols, targets[bar, symbol], book)``."""
    cols, targets, prices = window_targets(panel, [params], first)
    book = portfolio.account(prices, targets[0], execution=config.execution, cost=config.cost,
                             stops=_stops(prices, targets[0], config), record=True)
    return cols, targets[0], book


def simulate_many(panel: Panel, params: Sequence[Strategy], config: RunConfig, first: int = 0) -> portfolio.Books:
    """Steps 1-4 for many parameter sets at once (no trade lists): the sweep's path."""
    _, targets, prices = window_targets(panel, params, first)
    stops = None
    if config.stop is not None or config.trail is not None:
        found = [_stops(prices, targets[p], config) for p in range(targets.shape[0])]
        stops = (np.stack([f[0] for f in found if f]), np.stack([f[1] for f in found if f]))
    return portfolio.account_many(prices, targets, execution=config.execution, cost=config.cost, stops=stops)


def book_stats(books: portfolio.Books, dates: Sequence[date], risk_free: float = 0.0) -> dict[str, np.ndarray]:
    """The statistics of every run of ``books`` (the definitions of :func:`compute_stats`, computed
    in one compiled pass per curve: :func:`rotation.backtest.fastbook.books_stats`)."""
    from rotation.backtest.fastbook import books_stats

    return books_stats(books.equity, books.exposure, books.turnover, books.opened, books.closed, books.wins,
                       dates, risk_free)


def _reason(code: int) -> str:
    if code == portfolio.EXIT_SIGNAL:
        return "signal"
    if code == portfolio.OPEN_AT_END:
        return "open"
    return FILL_REASONS[code]


def run_backtest(panel: Panel, params: Strategy, config: RunConfig | None = None,
                 start: date | None = None, end: date | None = None) -> BacktestResult:
    """Run ``params`` over ``panel`` from ``start`` to ``end``, inside the window where its
    symbols have data (see the module docstring and :mod:`rotation.backtest.window`)."""
    config = config or RunConfig()
    panel, window = fit_window(panel, params, start, end)
    first = window.first
    if panel.n - first < 2:
        raise DataError(f"a backtest needs at least two sessions in the window, got {panel.n - first}")
    cols, targets, book = simulate(panel, params, config, first)
    dates = panel.dates[first:]
    from rotation.backtest import fastbook

    # a sweep row of the same set is computed by the same function, so the two agree exactly
    found = (fastbook.pair_switch_stats(panel, [params], first, config.execution, config.cost,  # type: ignore[list-item]
                                        config.risk_free, dates) if fastbook.fused(params, config) else None)
    if found is None:
        found = book_stats(portfolio.Books(book.equity[None], book.exposure[None], book.turnover[None],
                                           np.array([book.opened]), np.array([book.closed]),
                                           np.array([book.wins])), dates, config.risk_free)
    stats = {k: float(v[0]) for k, v in found.items()}
    equity = pl.DataFrame({
        "date": pl.Series(dates, dtype=pl.Date),
        "equity": book.equity,
        "drawdown": drawdown(book.equity)[0],
        "exposure": book.exposure,
        "turnover": book.turnover,
        "carried": carried_rows(panel, cols, first),
        **{f"w_{s}": targets[:, j] for j, s in enumerate(cols)},
    })
    exit_bar = book.trade_exit_bar
    closed = exit_bar >= 0
    exit_px = np.where(closed, book.trade_exit_price, np.nan)
    ret = portfolio.trade_return(book.trade_side, book.trade_entry_price, exit_px, config.cost)
    trades = pl.DataFrame({
        "symbol": pl.Series([cols[j] for j in book.trade_symbol], dtype=pl.Utf8),
        "side": pl.Series(["short" if x < 0 else "long" for x in book.trade_side], dtype=pl.Utf8),
        "entry_date": pl.Series([dates[i] for i in book.trade_entry_bar], dtype=pl.Date),
        "entry_price": book.trade_entry_price,
        "exit_date": pl.Series([dates[i] if i >= 0 else None for i in exit_bar], dtype=pl.Date),
        "exit_price": exit_px,
        "return": ret,
        "bars": np.where(closed, exit_bar - book.trade_entry_bar, len(dates) - 1 - book.trade_entry_bar),
        "exit_reason": pl.Series([_reason(int(c)) for c in book.trade_exit_code], dtype=pl.Utf8),
    }).with_columns(pl.col("exit_price", "return").fill_nan(None))
    return BacktestResult(params.name, params, config, dates[0], dates[-1], tuple(cols), stats, equity, trades,
                          window)


def signal_window(params: Strategy) -> tuple[str, int, int]:
    """The strategy's longest signal window: its parameter name, value and the sessions a first signal needs."""
    if isinstance(params, PairSwitch):
        return "slow", params.slow, params.slow
    if isinstance(params, Momentum):
        return "lookback", params.lookback, params.lookback + 1
    if isinstance(params, RrgQuadrant):
        return "window", params.window, params.window + params.smooth - 1 + params.momentum
    return "lookback", params.lookback, params.lookback + 1


def check_signal_window(panel: Panel, params: Strategy) -> None:
    """A clear error when the signal window is longer than the data, so the strategy could never trade.

    The bound is every session of the panel (the history before the window warms the signal
    up), so a window that forms anywhere is accepted; without it a run reports 0 trades.
    """
    name, value, need = signal_window(params)
    if need >= panel.n:
        raise ConfigError(f"{name} {value}: longer than the data: a first signal needs {need:,} sessions and the "
                          f"bars of {', '.join(panel.symbols)} span {panel.n:,} ({panel.dates[0]}..{panel.dates[-1]})")


def backtest(store: Store, strategy: str, values: dict[str, Any] | None = None, config: RunConfig | None = None,
             start: date | None = None, end: date | None = None) -> BacktestResult:
    """Build strategy ``strategy`` from ``values``, load its bars from ``store`` and run it."""
    params = make_params(strategy, values)
    panel = load_panel(store, params.needs, start, end)
    check_signal_window(panel, params)
    return run_backtest(panel, params, config, start, end)


def stats_row(stats: dict[str, float]) -> dict[str, float | None]:
    """Stats in :data:`STAT_NAMES` order with NaN as ``None`` (for tables and JSON)."""
    return {k: (None if math.isnan(stats[k]) else stats[k]) for k in STAT_NAMES}
