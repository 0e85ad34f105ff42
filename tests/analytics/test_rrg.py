"""RRG: formula, no look-ahead, scale invariance, and sector quadrants on the real data."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest

from conftest import weekdays
from rotation.analytics.rrg import (
    RrgParams,
    quadrant_codes,
    quadrant_transitions,
    rrg,
    rrg_arrays,
    rrg_snapshot,
    week_end_rows,
)
from rotation.data.store import Store
from rotation.data.universes import load_universe
from rotation.errors import DataError


def _walks(n_rows: int, n_sym: int, seed: int = 7) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    prices = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.012, (n_rows, n_sym + 1)), axis=0))
    days = list(weekdays(n_rows, date(2020, 1, 1)))
    cols = {f"S{j}": prices[:, j] for j in range(n_sym)}
    return pl.DataFrame({"date": days, **cols, "BENCH": prices[:, -1]})


def _matrix(frame: pl.DataFrame, col: str) -> np.ndarray:
    return frame.sort("symbol", "date").pivot(on="symbol", index="date", values=col).drop("date").to_numpy()


def test_formula_matches_an_independent_pandas_computation() -> None:
    closes = _walks(300, 2)
    params = RrgParams(window=30, smooth=3, momentum=5)
    got = rrg(closes, "BENCH", params=params).filter(pl.col("symbol") == "S1").sort("date")
    pdf = closes.to_pandas().set_index("date")
    x = np.log(pdf["S1"] / pdf["BENCH"])
    z = (x - x.rolling(30).mean()) / x.rolling(30).std()
    ratio = 100 + z.rolling(3).mean()
    mom = 100 + ratio - ratio.shift(5)
    np.testing.assert_allclose(got["rs_ratio"].to_numpy().astype(float), ratio.to_numpy(), rtol=1e-9, equal_nan=True)
    np.testing.assert_allclose(got["rs_momentum"].to_numpy().astype(float), mom.to_numpy(), rtol=1e-9, equal_nan=True)
    # first full point after the documented warm-up
    first = int(np.flatnonzero(~np.isnan(mom.to_numpy()))[0])
    assert first == params.warmup - 1


def test_appending_bars_never_changes_earlier_values() -> None:
    full = _walks(400, 4)
    short = full.head(250)
    for freq in ("daily", "weekly"):
        params = RrgParams.for_freq(freq, window=20 if freq == "weekly" else None)
        a = rrg(short, "BENCH", params=params)
        b = rrg(full, "BENCH", params=params)
        # the last weekly bar of the short frame is an unfinished week: compare the finished ones
        cutoff = a["date"].max() if freq == "daily" else a["date"].unique().sort()[-2]
        a = a.filter(pl.col("date") <= cutoff)
        b = b.filter(pl.col("date") <= cutoff)
        assert a.height == b.height and a.height > 0
        for col in ("rs_ratio", "rs_momentum", "heading"):
            np.testing.assert_allclose(_matrix(a, col), _matrix(b, col), rtol=1e-12, equal_nan=True)
        assert a["quadrant"].to_list() == b["quadrant"].to_list()


def test_scaling_either_series_changes_nothing() -> None:
    closes = _walks(300, 3)
    scaled = closes.with_columns(pl.col("S0") * 37.5, pl.col("BENCH") * 0.01)
    a = rrg(closes, "BENCH")
    b = rrg(scaled, "BENCH")
    for col in ("rs_ratio", "rs_momentum"):
        np.testing.assert_allclose(_matrix(a, col), _matrix(b, col), rtol=1e-9, atol=1e-9, equal_nan=True)
    assert a["quadrant"].to_list() == b["quadrant"].to_list()


def test_symbol_equal_to_benchmark_sits_at_100() -> None:
    closes = _walks(120, 1).with_columns(pl.col("BENCH").alias("SAME"))
    out = rrg(closes, "BENCH", ["SAME"], RrgParams(window=20, smooth=2, momentum=3)).drop_nulls("rs_momentum")
    assert out.height > 0
    assert (out["rs_ratio"] == 100.0).all() and (out["rs_momentum"] == 100.0).all()


def test_quadrant_codes_and_boundaries() -> None:
    ratio = np.array([101.0, 101.0, 99.0, 99.0, 100.0, np.nan])
    mom = np.array([101.0, 99.0, 99.0, 101.0, 100.0, 100.0])
    assert quadrant_codes(ratio, mom).tolist() == [0, 1, 2, 3, 0, -1]


def test_week_end_rows_takes_last_session_of_each_week() -> None:
    days = [date(2024, 7, 8), date(2024, 7, 9), date(2024, 7, 12), date(2024, 7, 15), date(2024, 7, 17)]
    assert week_end_rows(days).tolist() == [2, 4]
    assert week_end_rows([]).tolist() == []


def test_gaps_short_ones_filled_long_ones_not() -> None:
    closes = _walks(200, 1)
    prices = closes["S0"].to_numpy().copy()
    prices[100:102] = np.nan  # a 2-day hole: carried over
    prices[150:160] = np.nan  # a 10-day hole: no points while it lasts
    bench = closes["BENCH"].to_numpy()
    ratio, _ = rrg_arrays(prices[:, None], bench, RrgParams(window=20, smooth=1, momentum=2))
    assert not np.isnan(ratio[100:110, 0]).any()
    assert np.isnan(ratio[155:160, 0]).all()


def test_edge_cases() -> None:
    closes = _walks(10, 1)
    out = rrg(closes, "BENCH")  # shorter than the warm-up: rows, no points
    assert out.height == 10 and out["rs_ratio"].null_count() == 10
    assert rrg_snapshot(out) == []
    with pytest.raises(DataError):
        rrg(closes, "NOPE")
    with pytest.raises(DataError):
        RrgParams.for_freq("monthly")
    empty = closes.head(0)
    assert rrg(empty, "BENCH").height == 0


def test_transitions_are_quadrant_changes() -> None:
    hist = rrg(_walks(400, 3), "BENCH", params=RrgParams(window=20, smooth=2, momentum=3))
    moves = quadrant_transitions(hist)
    assert moves.height > 0
    assert (moves["from_quadrant"] != moves["to_quadrant"]).all()
    # every change of a symbol's quadrant between consecutive known bars is listed
    q = hist.drop_nulls("quadrant").sort("symbol", "date")
    changes = q.with_columns(pl.col("quadrant").shift(1).over("symbol").alias("prev")).filter(
        pl.col("prev").is_not_null() & (pl.col("prev") != pl.col("quadrant"))
    )
    assert changes.height == moves.height


@pytest.fixture(scope="module")
def sector_history(real_store: Path) -> pl.DataFrame:
    uni = load_universe("sectors")
    with Store(real_store, read_only=True) as st:
        closes = st.closes([*uni.symbols, "SPY"])
    return rrg(closes, "SPY", params=RrgParams.for_freq("weekly"))


def _quadrants(history: pl.DataFrame, day: date) -> dict[str, tuple[str, float, float]]:
    return {p.symbol: (p.quadrant, p.rs_ratio, p.rs_momentum) for p in rrg_snapshot(history, day, 1)}


def test_sector_quadrants_on_real_dates(sector_history: pl.DataFrame) -> None:
    # Week of the 2024-07-11 rotation: XLK had led SPY over 3 months (+3.7% relative), so its
    # RS-Ratio is still above 100, but it lost ground that week: momentum fell below 100.
    q = _quadrants(sector_history, date(2024, 7, 12))
    assert len(q) == 11
    assert q["XLK"][0] == "weakening" and q["XLK"][1] > 101
    # the laggards of H1 2024 all turned up that week
    for sym in ("XLF", "XLI", "XLB", "XLE"):
        assert q[sym][0] == "improving", sym
    # Mid-2022 bear market: defensives led; energy had led for months (+51% relative over 6m)
    # but lost 8.8% against SPY in June, so it is weakening.
    q = _quadrants(sector_history, date(2022, 6, 30))
    assert q["XLV"][0] == "leading" and q["XLP"][0] == "leading"
    assert q["XLE"][0] == "weakening"
    assert q["XLY"][1] < 100  # consumer discretionary lagged SPY by 12% over 6m
    # March 2020 crash: health care and staples led, energy had the weakest relative strength.
    q = _quadrants(sector_history, date(2020, 3, 31))
    assert q["XLV"][0] == "leading" and q["XLP"][0] == "leading"
    assert min(q, key=lambda s: q[s][1]) == "XLE"


def test_real_quadrants_do_not_change_when_later_data_exists(real_store: Path, sector_history: pl.DataFrame) -> None:
    uni = load_universe("sectors")
    with Store(real_store, read_only=True) as st:
        closes = st.closes([*uni.symbols, "SPY"], end=date(2024, 7, 12))
    truncated = rrg(closes, "SPY", params=RrgParams.for_freq("weekly"))
    a = _quadrants(truncated, date(2024, 7, 12))
    b = _quadrants(sector_history, date(2024, 7, 12))
    assert a.keys() == b.keys()
    for sym in a:
        assert a[sym][0] == b[sym][0]
        assert a[sym][1:] == pytest.approx(b[sym][1:], rel=1e-9)


def test_pandas_is_only_a_test_dependency_here() -> None:
    # the library itself does not import pandas for the RRG (pandas at the edges only)
    import rotation.analytics.rrg as mod

    assert "pandas" not in vars(mod)
    assert isinstance(pd.__version__, str)
