"""The book: fills, costs and engine stops by hand; real IWM/QQQ figures pinned and recomputed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from rotation.backtest.portfolio import Prices, account, adjusted_prices, engine_stops, lag_targets
from rotation.backtest.run import RunConfig, backtest, load_panel, run_backtest
from rotation.backtest.strategies import PairSwitch, Panel
from rotation.data.store import Store
from rotation.errors import ConfigError, DataError
from rotation.trading import engine

# Two symbols over five bars (adjusted = as traded).
OA = np.array([10.0, 10.0, 11.0, 12.0, 12.5])
CA = np.array([10.0, 10.5, 11.5, 12.2, 13.0])
OB = np.array([20.0, 20.0, 19.0, 18.0, 18.5])
CB = np.array([20.0, 19.5, 18.5, 18.4, 19.2])
TGT = np.array([[0, 0], [1, 0], [1, 0], [0, 1], [0, 1]], dtype=float)  # lagged targets


def prices2() -> Prices:
    o = np.column_stack([OA, OB])
    c = np.column_stack([CA, CB])
    return Prices(o, np.maximum(o, c) * 1.01, np.minimum(o, c) * 0.99, c)


def test_switch_at_the_open_by_hand() -> None:
    cost = 0.001
    book = account(prices2(), TGT, execution="open", cost=cost)
    units_a = (1 - cost) / OA[1]
    value3 = units_a * OA[3]
    units_b = value3 * (1 - 2 * cost) / OB[3]
    expected = [1.0, units_a * CA[1], units_a * CA[2], units_b * CB[3], units_b * CB[4]]
    np.testing.assert_allclose(book.equity, expected, rtol=1e-14)
    np.testing.assert_allclose(book.turnover, [0, 1, 0, 2, 0], atol=1e-14)
    np.testing.assert_allclose(book.exposure, [0, 1, 1, 1, 1], atol=1e-14)
    assert (book.opened, book.closed, book.wins) == (2, 1, 1)
    np.testing.assert_array_equal(book.trade_symbol, [0, 1])
    np.testing.assert_array_equal(book.trade_entry_bar, [1, 3])
    np.testing.assert_array_equal(book.trade_exit_bar, [3, -1])
    np.testing.assert_allclose(book.trade_entry_price, [OA[1], OB[3]])
    assert book.trade_exit_price[0] == OA[3]


def test_switch_at_the_close_by_hand() -> None:
    book = account(prices2(), TGT, execution="close", cost=0.0)
    units_a = 1 / CA[1]
    units_b = units_a * CA[3] / CB[3]
    np.testing.assert_allclose(book.equity, [1, 1, units_a * CA[2], units_b * CB[3], units_b * CB[4]], rtol=1e-14)


def test_partial_weights_drift_and_rebalance() -> None:
    tgt = np.array([[0, 0], [0.5, 0.5], [0.5, 0.5], [0.25, 0.5], [0.25, 0.5]])
    book = account(prices2(), tgt, execution="open")
    ua, ub = 0.5 / OA[1], 0.5 / OB[1]
    v2 = ua * CA[2] + ub * CB[2]
    assert book.equity[2] == pytest.approx(v2, rel=1e-14)  # drifted, no trade on bar 2
    v3 = ua * OA[3] + ub * OB[3]
    ua3, ub3 = 0.25 * v3 / OA[3], 0.5 * v3 / OB[3]
    cash = v3 - ua3 * OA[3] - ub3 * OB[3]
    assert book.equity[3] == pytest.approx(cash + ua3 * CA[3] + ub3 * CB[3], rel=1e-14)
    assert book.exposure[3] == pytest.approx(1 - cash / book.equity[3], rel=1e-12)
    assert book.opened == 2 and book.closed == 0


def _one(o: list[float], h: list[float], lo: list[float], c: list[float]) -> Prices:
    return Prices(*(np.array(x, dtype=float).reshape(-1, 1) for x in (o, h, lo, c)))


def test_engine_stop_at_the_level_then_cash_until_a_fresh_signal() -> None:
    p = _one([100, 100, 99, 100, 104, 104, 105], [100, 101, 100, 104, 106, 106, 106],
             [100, 99, 90, 99, 103, 103, 104], [100, 100, 96, 103, 105, 105, 105])
    tgt = np.array([0, 1, 1, 1, 0, 1, 1], dtype=float).reshape(-1, 1)
    px, code = engine_stops(p, tgt, stop=0.05)
    assert px[2, 0] == pytest.approx(95.0) and code[2, 0] == engine.R_STOP
    assert np.isnan(np.delete(px[:, 0], 2)).all()
    book = account(p, tgt, stops=(px, code))
    np.testing.assert_allclose(book.equity, [1, 1, 0.95, 0.95, 0.95, 0.95 * 105 / 104, 0.95 * 105 / 104])
    np.testing.assert_array_equal(book.trade_exit_code, [engine.R_STOP, -2])  # stop, then open at the end
    np.testing.assert_array_equal(book.trade_entry_bar, [1, 5])


def test_engine_stop_gap_fills_at_the_open_and_trailing_stop() -> None:
    p = _one([100, 100, 90, 91], [100, 101, 92, 92], [100, 99, 89, 90], [100, 100, 91, 91])
    tgt = np.array([0, 1, 1, 1], dtype=float).reshape(-1, 1)
    px, code = engine_stops(p, tgt, stop=0.05)
    assert px[2, 0] == 90.0 and code[2, 0] == engine.R_STOP_GAP
    p = _one([100, 100, 110, 111, 104], [100, 101, 115, 112, 105], [100, 99, 109, 108, 100], [100, 100, 114, 110, 101])
    tgt = np.array([0, 1, 1, 1, 1], dtype=float).reshape(-1, 1)
    px, code = engine_stops(p, tgt, trail=0.05)
    # best high 115 after bar 2 -> trail 109.25, hit on bar 3 (low 108)
    assert px[3, 0] == pytest.approx(109.25) and code[3, 0] == engine.R_TRAIL


def test_planned_exit_is_not_a_stop() -> None:
    p = _one([100, 100, 90, 80], [100, 101, 92, 82], [100, 99, 89, 79], [100, 100, 91, 81])
    tgt = np.array([0, 1, 0, 0], dtype=float).reshape(-1, 1)  # sold at the open of bar 2 by the strategy
    px, _ = engine_stops(p, tgt, stop=0.05)
    assert np.isnan(px).all()  # the gap on bar 2 comes after the strategy's exit at that open
    book = account(p, tgt, stops=(px, _))
    assert book.equity[-1] == pytest.approx(0.9)


def test_lag_targets_and_config_validation() -> None:
    w = np.arange(6, dtype=float).reshape(3, 2)
    np.testing.assert_array_equal(lag_targets(w), [[0, 0], [0, 1], [2, 3]])
    with pytest.raises(ConfigError, match="execution"):
        RunConfig(execution="vwap")
    with pytest.raises(ConfigError, match="commission"):
        RunConfig(commission=-0.01)
    with pytest.raises(ConfigError, match="stop"):
        RunConfig(stop=1.5)


# -- real data ---------------------------------------------------------------
WINDOW = (date(2015, 1, 1), date(2024, 12, 31))


@pytest.fixture(scope="module")
def pair_panel(real_store: Path) -> Panel:
    with Store(real_store, read_only=True) as st:
        return load_panel(st, ["IWM", "QQQ", "^RUT", "^NDX"], None, WINDOW[1])


def test_real_pair_switch_iwm_qqq_2015_2024(real_store: Path) -> None:
    """Hold IWM while ^RUT/^NDX is above its 50-day average, else QQQ; act at the next open."""
    with Store(real_store, read_only=True) as st:
        res = backtest(st, "pair-switch", {}, RunConfig(), *WINDOW)
        costly = backtest(st, "pair-switch", {"fast": "5", "slow": "200"}, RunConfig(commission=0.0005), *WINDOW)
    assert (res.start, res.end) == (date(2015, 1, 2), date(2024, 12, 31))
    assert res.stats["total_return"] == pytest.approx(2.2144587095647856, rel=1e-9)  # +221.4%
    assert res.stats["max_drawdown"] == pytest.approx(-0.3459439222511719, rel=1e-9)
    assert res.stats["trades"] == 186
    assert costly.stats["total_return"] == pytest.approx(2.791387494356131, rel=1e-9)  # +279.1%, 5 bps
    assert costly.stats["trades"] == 31
    # The first trade: signal at the close of 2015-01-02, IWM bought at the 2015-01-05 open.
    first = res.trades.row(0, named=True)
    assert (first["symbol"], first["entry_date"]) == ("IWM", date(2015, 1, 5))
    # Always invested in one ETF: the final equity is the product of the trades (no costs).
    closed = res.trades.filter(pl.col("exit_date").is_not_null())
    last = res.trades.filter(pl.col("exit_date").is_null()).row(0, named=True)
    growth = float(np.prod(1 + closed["return"].to_numpy()))
    with Store(real_store, read_only=True) as st:
        end_close = st.bars(last["symbol"], WINDOW[1], WINDOW[1])
    adj_end = float(end_close["adj_close"][0])
    assert res.equity["equity"][-1] == pytest.approx(growth * adj_end / last["entry_price"], rel=1e-10)


def test_real_equity_recomputed_from_daily_returns(pair_panel: Panel) -> None:
    """An independent recomputation: hold h(t) over each bar, switching at the open."""
    params = PairSwitch(slow=50)
    res = run_backtest(pair_panel, params, RunConfig(), WINDOW[0])
    p = pair_panel
    first = p.dates.index(res.start)
    adj = p.adj_close[:, :2] / p.close[:, :2]
    o, c = p.open[:, :2] * adj, p.adj_close[:, :2]
    ratio = p.adj_close[:, 2] / p.adj_close[:, 3]
    ma = pl.Series(ratio).rolling_mean(50).to_numpy()
    hold = np.where(ratio > ma, 0, 1)  # decided at the close
    eq = [1.0]
    for t in range(first + 1, p.n):
        new, old = hold[t - 1], hold[t - 2] if t - 1 > first else -1
        if old == -1:
            g = c[t, new] / o[t, new]
        elif new == old:
            g = c[t, new] / c[t - 1, new]
        else:
            g = o[t, old] / c[t - 1, old] * c[t, new] / o[t, new]
        eq.append(eq[-1] * g)
    np.testing.assert_allclose(res.equity["equity"].to_numpy(), eq, rtol=1e-9)


def test_window_errors(real_store: Path) -> None:
    with Store(real_store, read_only=True) as st:
        with pytest.raises(DataError, match="no data on or after"):
            backtest(st, "pair-switch", {}, RunConfig(), date(2030, 1, 1))
        with pytest.raises(DataError, match="at least two sessions"):
            backtest(st, "pair-switch", {}, RunConfig(), date(2024, 12, 31), date(2024, 12, 31))


def test_missing_bars_are_carried_and_late_symbols_wait() -> None:
    """A gap day keeps the last close; a symbol whose data starts later is not bought before it."""
    nan = np.nan
    days = tuple(date(2024, 1, d) for d in (2, 3, 4, 5, 8, 9))
    c = np.array([[10, nan], [11, nan], [nan, 20], [12, 21], [13, 22], [13, 23]], dtype=float)
    o = c.copy()
    o[3, 0] = nan  # an open missing, close present
    panel = Panel(days, ("A", "B"), o, c, c, c, c.copy())
    prices = adjusted_prices(panel, ["A", "B"])
    np.testing.assert_array_equal(prices.close[:, 0], [10, 11, 11, 12, 13, 13])
    assert prices.open[3, 0] == 12.0 and np.isnan(prices.close[1, 1])
    tgt = np.array([[0, 0], [0.5, 0.5], [0.5, 0.5], [0.5, 0.5], [0.5, 0.5], [0.5, 0.5]])
    book = account(prices, tgt)
    assert np.isfinite(book.equity).all()
    # B has no price on bar 1: half the book stays in cash until the targets change again.
    np.testing.assert_allclose(book.equity, [1, 1, 1, 1 + 0.5 * (12 / 11 - 1), 1 + 0.5 * (13 / 11 - 1),
                                             1 + 0.5 * (13 / 11 - 1)])
    assert book.opened == 1
