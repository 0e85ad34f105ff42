"""The fused pair-switch sweep: its rolling means equal ``rolling`` bit for bit, its statistics
equal those of the per-bar book's curve (bit for bit where no sum of returns is involved, 1e-12
elsewhere), sweep rows equal single runs, and the sets it must not take go the per-bar way."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from conftest import weekdays
from rotation.analytics.returns import ffill, rolling, rolling_means
from rotation.backtest import fastbook
from rotation.backtest.run import RunConfig, book_stats, load_panel, run_backtest, simulate_many
from rotation.backtest.stats import STAT_NAMES
from rotation.backtest.strategies import PairSwitch, Panel
from rotation.backtest.sweep import expand_grid, sweep
from rotation.backtest.window import fit_window
from rotation.data.store import Store
from rotation.errors import ConfigError, DataError

EXACT = ("total_return", "cagr", "max_drawdown", "calmar", "turnover", "trades", "win_rate")
# from prefix sums of the held symbol's returns; exposure as 1 - (cash / units) / close (an ulp apart)
SUMS = ("volatility", "sharpe", "sortino", "exposure")


def _days(n: int) -> tuple[date, ...]:
    return weekdays(n, date(2019, 1, 1))


def _panel(n: int = 600, seed: int = 5, gap: bool = False) -> Panel:
    """A, B traded; SA, SB the signal (random walks); ``gap``: A misses three sessions, SA four."""
    rng = np.random.default_rng(seed)
    c = 50 * np.cumprod(1 + rng.normal(0.0004, 0.02, size=(n, 4)), axis=0)
    o = c * (1 + rng.normal(0, 0.005, size=c.shape))
    adj = c * np.linspace(0.85, 1.0, n)[:, None]
    if gap:
        for a in (o, c, adj):
            a[300:303, 0] = np.nan
            a[400:404, 2] = np.nan
    return Panel(_days(n), ("A", "B", "SA", "SB"), o, np.fmax(o, c) * 1.01, np.fmin(o, c) * 0.99, c, adj)


def _compare(panel: Panel, params: list[PairSwitch], config: RunConfig, start: date | None = None) -> None:
    """The fused statistics against those of the per-bar book's curves (``books_stats``)."""
    fitted, window = fit_window(panel, params[0], start)
    first = window.first
    dates = fitted.dates[first:]
    fused = fastbook.pair_switch_stats(fitted, params, first, config.execution, config.cost, config.risk_free, dates)
    assert fused is not None
    books = book_stats(simulate_many(fitted, params, config, first), dates, config.risk_free)
    for k in EXACT:
        np.testing.assert_array_equal(fused[k], books[k], err_msg=k)
    for k in SUMS:
        np.testing.assert_allclose(fused[k], books[k], rtol=1e-12, atol=0, err_msg=k)


# -- rolling means -----------------------------------------------------------
def test_rolling_means_equal_rolling_bit_for_bit() -> None:
    rng = np.random.default_rng(3)
    x = 0.2 + np.cumsum(rng.normal(0, 0.01, 400))
    x[50:53] = np.nan  # a gap
    x[120:140] = x[120]  # a constant run (exact means there)
    x[:4] = np.nan  # leading NaN: the centre is the first value
    windows = [1, 2, 5, 20, 21, 60, 346, 400, 401, 1000]  # also longer than the data
    out = rolling_means(x, windows)
    assert out.shape == (len(windows), x.size)
    for i, w in enumerate(windows):
        np.testing.assert_array_equal(out[i], rolling(x.reshape(-1, 1), w, "mean")[:, 0], err_msg=str(w))
    assert np.isnan(out[-3:]).all()  # 400 rows hold the leading NaN, 401 and 1000 are longer than the data
    assert np.isfinite(out[6, 399])  # 399 rows after the leading NaN and the gap: one full window
    np.testing.assert_array_equal(out[0], x)


def test_rolling_means_at_rows() -> None:
    x = np.linspace(1.0, 2.0, 50)
    rows = np.array([-1, -1, 3, 3, 10, 49])
    out = rolling_means(x, [1, 4], rows)
    full = rolling_means(x, [1, 4])
    assert np.isnan(out[:, :2]).all()
    np.testing.assert_array_equal(out[:, 2:], full[:, rows[2:]])
    assert rolling_means(x, [3], np.array([], dtype=np.int64)).shape == (1, 0)
    with pytest.raises(DataError, match="at least 1"):
        rolling_means(x, [0, 3])
    with pytest.raises(DataError, match="ascending"):
        rolling_means(x, [3], np.array([5, 2]))
    with pytest.raises(DataError, match="ascending"):
        rolling_means(x, [3], np.array([50]))


def test_rolling_means_of_a_window_far_longer_than_the_series() -> None:
    """A window longer than the series is all NaN, and costs no memory in proportion to it
    (a sweep given slow=10**12 once asked for an 8 TB buffer: MemoryError)."""
    x = np.linspace(1.0, 2.0, 30)
    out = rolling_means(x, [3, 30, 31, 10**12])
    for i, w in enumerate((3, 30, 31)):
        np.testing.assert_array_equal(out[i], rolling(x.reshape(-1, 1), w, "mean")[:, 0], err_msg=str(w))
    assert np.isnan(out[2:]).all() and np.isfinite(out[1, -1])
    panel = _panel(200)
    pair = {"a": "A", "b": "B", "sa": "SA", "sb": "SB", "fast": "2"}
    with pytest.raises(ConfigError, match=r"--grid: slow 1000000000000: longer than the data"):
        sweep(panel, "pair-switch", {"slow": ["20", str(10**12)]}, values=pair, overfit=False)
    res = sweep(panel, "pair-switch", {"slow": ["20", str(10**12)]}, values=pair, overfit=False, check_windows=False)
    assert res.table["trades"].to_list()[1] == 0 and res.table["total_return"].to_list()[1] == 0.0
    assert res.table["trades"].to_list()[0] > 0
    one = run_backtest(panel, PairSwitch("A", "B", "SA", "SB", 2, 10**12))
    assert one.stats["trades"] == 0 and one.stats["total_return"] == 0.0


def test_rolling_means_on_the_real_ratio(real_store: Path) -> None:
    with Store(real_store, read_only=True) as st:
        panel = load_panel(st, ["^RUT", "^NDX"])
    ratio = ffill(panel.adj_close[:, 0], 5) / ffill(panel.adj_close[:, 1], 5)
    windows = [1, 3, 20, 25, 50, 200, 270]
    out = rolling_means(ratio, windows)
    for i, w in enumerate(windows):
        np.testing.assert_array_equal(out[i], rolling(ratio.reshape(-1, 1), w, "mean")[:, 0], err_msg=str(w))


# -- fused statistics against the per-bar book --------------------------------
@pytest.mark.parametrize("config", [
    RunConfig(),
    RunConfig(commission=0.001, slippage=0.0005),
    RunConfig(execution="close", commission=0.0005, risk_free=0.03),
], ids=["open", "costs", "close-rf"])
def test_fused_stats_equal_the_curves(config: RunConfig) -> None:
    panel = _panel()
    params = [PairSwitch("A", "B", "SA", "SB", f, s) for f in (1, 2, 7) for s in (10, 40, 150)]
    _compare(panel, params, config, date(2019, 4, 1))


def test_fused_stats_over_carried_gaps_and_edge_sets() -> None:
    panel = _panel(gap=True)
    # fast == 1, one set, and a slow window longer than the data (never invested)
    _compare(panel, [PairSwitch("A", "B", "SA", "SB", 1, 5)], RunConfig(commission=0.001))
    _compare(panel, [PairSwitch("A", "B", "SA", "SB", 3, 30), PairSwitch("A", "B", "SA", "SB", 2, 5000)],
             RunConfig(risk_free=0.02))
    fitted, window = fit_window(panel, PairSwitch("A", "B", "SA", "SB", 2, 5000))
    never = fastbook.pair_switch_stats(fitted, [PairSwitch("A", "B", "SA", "SB", 2, 5000)], window.first, "open",
                                       0.0, 0.0, fitted.dates[window.first:])
    assert never is not None
    assert never["total_return"][0] == 0.0 and never["trades"][0] == 0 and never["exposure"][0] == 0.0
    assert all(math.isnan(never[k][0]) for k in ("volatility", "sharpe", "sortino", "calmar", "win_rate"))


def test_fused_stats_on_the_real_grid(real_store: Path) -> None:
    with Store(real_store, read_only=True) as st:
        panel = load_panel(st, ["IWM", "QQQ", "^RUT", "^NDX"], None, date(2024, 12, 31))
    params = [PairSwitch(fast=f, slow=s) for f in (1, 4, 20) for s in (25, 100, 270)]
    _compare(panel, params, RunConfig(), date(2005, 1, 1))
    _compare(panel, params, RunConfig(execution="close", commission=0.0005), date(2005, 1, 1))


def test_a_price_that_is_not_positive_takes_the_per_bar_book() -> None:
    panel = _panel()
    panel.adj_close[450, 1] = 0.0  # a vendor zero in B
    params = [PairSwitch("A", "B", "SA", "SB", 2, 20)]
    fitted, window = fit_window(panel, params[0])
    assert fastbook.pair_switch_stats(fitted, params, window.first, "open", 0.0, 0.0,
                                      fitted.dates[window.first:]) is None
    res = sweep(panel, "pair-switch", {"slow": ["20"]}, values={"a": "A", "b": "B", "sa": "SA", "sb": "SB", "fast": "2"},
                overfit=False)
    one = run_backtest(panel, params[0])
    for k in STAT_NAMES:
        a, b = res.table[k][0], one.stats[k]
        assert (a is None and b is None) or (math.isnan(a) and math.isnan(b)) or a == b, k


# -- which sets take the fused path --------------------------------------------
def test_long_short_sets_equal_their_single_runs() -> None:
    """The fused kernel is long-only: a long-short or short-only sweep runs the per-bar book."""
    panel = _panel()
    pair = {"a": "A", "b": "B", "sa": "SA", "sb": "SB"}
    res = sweep(panel, "pair-switch", {"fast": ["3"], "slow": ["20", "60"], "short": ["0", "1"]}, values=pair,
                overfit=False)
    for row in res.table.iter_rows(named=True):
        one = run_backtest(panel, PairSwitch("A", "B", "SA", "SB", row["fast"], row["slow"], 1.0, float(row["short"])))
        for k in STAT_NAMES:
            a, b = row[k], one.stats[k]
            assert (math.isnan(a) and math.isnan(b)) or a == b, (row, k)
    long_only = res.table.filter(res.table["short"] == 0)["total_return"].to_list()
    long_short = res.table.filter(res.table["short"] == 1)["total_return"].to_list()
    assert long_only != long_short
    assert fastbook.fused(PairSwitch(), RunConfig()) and not fastbook.fused(PairSwitch(short=1.0), RunConfig())
    assert not fastbook.fused(PairSwitch(), RunConfig(stop=0.05))


# -- the grid built as a whole --------------------------------------------------
def test_pair_switch_grid_is_the_validated_sets() -> None:
    base = PairSwitch("A", "B", "SA", "SB", 1, 50, 1.0, 0.0)
    made = PairSwitch.grid(base, [1, 1, 9], [20, 30, 30])
    assert made == [PairSwitch("A", "B", "SA", "SB", f, s) for f, s in ((1, 20), (1, 30), (9, 30))]
    assert {hash(p) for p in made} == {hash(PairSwitch("A", "B", "SA", "SB", f, s)) for f, s in ((1, 20), (1, 30), (9, 30))}
    assert PairSwitch.grid(base, None, [60, 70]) == [PairSwitch("A", "B", "SA", "SB", 1, 60),
                                                     PairSwitch("A", "B", "SA", "SB", 1, 70)]
    assert PairSwitch.grid(base, [], []) == []
    with pytest.raises(ConfigError, match="fewer sessions"):
        PairSwitch.grid(base, [1, 30], [20, 40])  # (30, 20) is in the product
    with pytest.raises(ConfigError, match="whole number"):
        PairSwitch.grid(base, [0, 2], [20, 20])
    with pytest.raises(ConfigError, match="as many"):
        PairSwitch.grid(base, [1], [20, 30])
    rows, params, configs = expand_grid("pair-switch", {"slow": ["20", "40"], "fast": ["1", "5"]})
    assert [(p.fast, p.slow) for p in params] == [(1, 20), (5, 20), (1, 40), (5, 40)]
    assert rows[1] == {"slow": "20", "fast": "5"} and len({id(c) for c in configs}) == 1
    with pytest.raises(ConfigError, match="the set fast=30, slow=20 is invalid"):
        expand_grid("pair-switch", {"fast": ["1", "30"], "slow": ["20", "40"]})
