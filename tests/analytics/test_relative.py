"""Ratio lines, equal-weight baskets, the leadership table and the shared returns helpers."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest

from conftest import weekdays
from rotation.analytics.relative import (
    benchmark_returns,
    equal_weight_basket,
    leaders,
    ratio_line,
    ratio_summary,
)
from rotation.analytics.returns import ffill, rolling, wide_matrix, window_returns
from rotation.data.store import Store
from rotation.errors import DataError


def _days(n: int, start: date = date(2023, 12, 27)) -> list[date]:
    return list(weekdays(n, start))


# -- returns helpers --------------------------------------------------------
@pytest.mark.parametrize("stat", ["mean", "std", "sum", "min", "max"])
def test_rolling_matches_pandas(stat: str) -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(50, 3, (200, 3))
    x[:7, 1] = np.nan  # late start
    x[90, 2] = np.nan  # a hole
    got = rolling(x, 20, stat)  # type: ignore[arg-type]
    want = getattr(pd.DataFrame(x).rolling(20), stat)().to_numpy()
    np.testing.assert_allclose(got, want, rtol=1e-9, equal_nan=True)


def test_rolling_edges() -> None:
    assert np.isnan(rolling(np.ones((3, 1)), 5)).all()
    with pytest.raises(DataError):
        rolling(np.ones((3, 1)), 0)
    with pytest.raises(DataError):
        rolling(np.ones((3, 1)), 1, "std")
    assert (rolling(np.full((10, 1), 7.0), 4, "std")[3:] == 0).all()


def test_window_returns_and_ffill() -> None:
    p = np.array([[100.0], [110.0], [np.nan], [121.0]])
    np.testing.assert_allclose(window_returns(p, 1)[:, 0], [np.nan, 0.1, np.nan, np.nan], equal_nan=True)
    np.testing.assert_allclose(window_returns(p, 3)[:, 0], [np.nan, np.nan, np.nan, 0.21], equal_nan=True)
    x = np.array([[np.nan], [1.0], [np.nan], [np.nan], [np.nan], [2.0]])
    np.testing.assert_array_equal(ffill(x, 2)[:, 0], [np.nan, 1, 1, 1, np.nan, 2])
    np.testing.assert_array_equal(ffill(x)[:, 0], [np.nan, 1, 1, 1, 1, 2])


def test_wide_matrix_checks_columns() -> None:
    frame = pl.DataFrame({"date": [date(2024, 1, 3), date(2024, 1, 2)], "A": [2.0, None], "T": ["x", "y"]})
    dates, names, arr = wide_matrix(frame, ["A", "A"])
    assert dates == [date(2024, 1, 2), date(2024, 1, 3)] and names == ["A", "A"]
    assert np.isnan(arr[0, 0]) and arr[1, 1] == 2.0
    with pytest.raises(DataError):
        wide_matrix(frame, ["T"])
    with pytest.raises(DataError):
        wide_matrix(frame, ["B"])
    with pytest.raises(DataError):
        wide_matrix(frame.drop("date"))


# -- ratio line ---------------------------------------------------------------
def test_ratio_line_definitions_and_scale_invariance() -> None:
    rng = np.random.default_rng(2)
    n = 260
    a = 50 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    b = 3000 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    frame = pl.DataFrame({"date": _days(n), "A": a, "B": b})
    line = ratio_line(frame, "A", "B", fast=10, slow=50, slope_window=5)
    ratio = 100 * (a / a[0]) / (b / b[0])
    np.testing.assert_allclose(line["ratio"].to_numpy(), ratio)
    assert line["ma_fast"][9] == pytest.approx(ratio[:10].mean())
    assert line["ma_slow"][48] is None
    assert line["slope"][100] == pytest.approx(ratio[100] / ratio[95] - 1)
    np.testing.assert_allclose(line["spread"].to_numpy(), a / a[0] - b / b[0])
    scaled = ratio_line(frame.with_columns(pl.col("A") * 9.0), "A", "B", fast=10, slow=50, slope_window=5)
    np.testing.assert_allclose(scaled["ratio"].to_numpy(), line["ratio"].to_numpy())
    s = ratio_summary(line, "A", "B", 10, 50, 5)
    assert s.end == line["date"][-1] and s.sessions == n
    assert s.trend in ("A leading", "B leading", "mixed")


def test_ratio_line_uses_common_dates_only() -> None:
    frame = pl.DataFrame({"date": _days(4), "A": [None, 10.0, 11.0, 12.0], "B": [5.0, 5.0, None, 6.0]})
    line = ratio_line(frame, "A", "B")
    assert line["date"].to_list() == [_days(4)[1], _days(4)[3]]
    assert line["ratio"].to_list() == pytest.approx([100.0, 100.0])
    with pytest.raises(DataError):
        ratio_summary(ratio_line(frame.head(1), "A", "B"), "A", "B")
    with pytest.raises(DataError):
        ratio_line(frame, "A", "Z")


# -- baskets ---------------------------------------------------------------------
def test_equal_weight_basket_averages_daily_returns() -> None:
    frame = pl.DataFrame(
        {"date": _days(4), "X": [100.0, 110.0, 99.0, 99.0], "Y": [None, 50.0, 55.0, 60.5]}
    )
    basket = equal_weight_basket(frame)
    # day 2: only X has a return (+10%); day 3: (-10% + 10%)/2 = 0; day 4: (0 + 10%)/2 = +5%
    assert basket["level"].to_list() == pytest.approx([100.0, 110.0, 110.0, 115.5])
    assert basket["members"].to_list() == [1, 2, 2, 2]
    with pytest.raises(DataError):
        equal_weight_basket(frame, [])


# -- leaders ---------------------------------------------------------------------
def test_leaders_synthetic_windows_and_ranks() -> None:
    days = _days(300)  # starts 2023-12-27: YTD base is 2023-12-29
    idx = np.arange(300, dtype=float)
    frame = pl.DataFrame({"date": days, "UP": 100 * 1.001**idx, "FLAT": np.full(300, 50.0), "BM": 100 * 1.0005**idx})
    table = leaders(frame, "BM")
    up = table.filter(pl.col("symbol") == "UP").row(0, named=True)
    assert up["rank"] == 1 and table["symbol"].to_list() == ["UP", "FLAT"]
    assert up["r_1d"] == pytest.approx(0.001)
    assert up["r_1m"] == pytest.approx(1.001**21 - 1)
    assert up["rel_1y"] == pytest.approx(1.001**252 - 1.0005**252)
    ytd_base = days.index(date(2023, 12, 29))
    last_2024 = max(i for i, d in enumerate(days) if d.year == 2024)
    t2024 = leaders(frame, "BM", days[last_2024])
    assert t2024.filter(pl.col("symbol") == "UP")["r_ytd"][0] == pytest.approx(1.001 ** (last_2024 - ytd_base) - 1)
    assert table["from_high"].null_count() == 2  # no highs given
    bret = benchmark_returns(frame, "BM")
    assert bret["1d"] == pytest.approx(0.0005)
    with pytest.raises(DataError):
        leaders(frame, "BM", sort_by="2y")
    with pytest.raises(DataError):
        leaders(frame, "NOPE")


@pytest.fixture(scope="module")
def sector_bars(real_store: Path) -> pl.DataFrame:
    from rotation.data.universes import load_universe

    with Store(real_store, read_only=True) as st:
        return st.bars([*load_universe("sectors").symbols, "SPY", "NVDA"], end=date(2024, 7, 30))


def _wide(bars: pl.DataFrame, field: str) -> pl.DataFrame:
    return bars.pivot(on="symbol", index="date", values=field).sort("date")


def test_leaders_real_sectors_on_the_rotation_day(sector_bars: pl.DataFrame) -> None:
    adj = _wide(sector_bars, "adj_close").drop("NVDA")
    table = leaders(adj, "SPY", date(2024, 7, 11), highs=_wide(sector_bars, "high"), closes=_wide(sector_bars, "close"))
    rows = {r["symbol"]: r for r in table.iter_rows(named=True)}
    assert len(rows) == 11 and table["as_of"][0] == date(2024, 7, 11)
    # seed spot checks: XLK -2.50%, SPY -0.86% on 2024-07-11 (adj_close returns)
    assert rows["XLK"]["r_1d"] == pytest.approx(-0.0250, abs=5e-5)
    assert benchmark_returns(adj, "SPY", date(2024, 7, 11))["1d"] == pytest.approx(-0.0086, abs=5e-5)
    assert rows["XLK"]["rel_1d"] == pytest.approx(rows["XLK"]["r_1d"] + 0.00862, abs=1e-4)
    assert rows["XLK"]["rank"] == 1  # technology led the S&P 500 over the three months before
    assert all(r["from_high"] <= 0 for r in rows.values())


def test_nvda_distance_from_its_high(sector_bars: pl.DataFrame) -> None:
    adj = _wide(sector_bars, "adj_close").select("date", "NVDA", "SPY")
    table = leaders(
        adj, "SPY", date(2024, 7, 30), highs=_wide(sector_bars, "high"), closes=_wide(sector_bars, "close")
    )
    nvda = table.row(0, named=True)
    assert nvda["high_date"] == date(2024, 6, 20)  # intraday all-time high 140.76
    assert nvda["from_high"] == pytest.approx(103.73 / 140.76 - 1)


def test_ratio_line_start_rebases_but_keeps_the_warm_up() -> None:
    rng = np.random.default_rng(4)
    n = 120
    frame = pl.DataFrame(
        {"date": _days(n), "A": 10 * np.exp(np.cumsum(rng.normal(0, 0.01, n))), "B": np.full(n, 5.0)}
    )
    full = ratio_line(frame, "A", "B", fast=10, slow=30, slope_window=5)
    start = _days(n)[60]
    cut = ratio_line(frame, "A", "B", fast=10, slow=30, slope_window=5, start=start)
    assert cut["date"][0] == start and cut["ratio"][0] == pytest.approx(100.0)
    factor = 100.0 / full["ratio"][60]
    assert cut["ma_slow"][0] == pytest.approx(full["ma_slow"][60] * factor)  # warmed up by the earlier rows
    assert cut["slope"].to_list() == pytest.approx(full["slope"].to_list()[60:])
    assert ratio_line(frame, "A", "B", start=date(2030, 1, 1)).is_empty()
