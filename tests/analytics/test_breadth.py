"""Breadth analytics: real July 2024 figures, agreement with pandas, missing cells, invariants."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rotation.analytics import breadth as B
from rotation.data.constituents import ConstituentPanel, load_holdings, load_panel
from rotation.data.store import Store

DAY = date(2024, 7, 11)


@pytest.fixture(scope="module")
def panels(real_store: Path) -> dict[str, ConstituentPanel]:
    with Store(real_store, read_only=True) as st:
        return {u: load_panel(st, u) for u in ("sp500", "russell2000")}


@pytest.fixture(scope="module")
def fund_bars(real_store: Path) -> pl.DataFrame:
    with Store(real_store, read_only=True) as st:
        return st.bars(["IWM", "SPY", "QQQ", "RSP", "^RUT", "^NDX", "^GSPC", "AAPL", "MSFT", "NVDA"])


def pandas_breadth(df: pd.DataFrame, member: pd.DataFrame) -> pd.DataFrame:
    """The straightforward pandas computation (same as bench/bench_breadth.py)."""
    df = df.where(df > 0)
    ret = df / df.shift(1) - 1
    valid = ret.notna() & member
    adv = ((ret > 0) & valid).sum(axis=1)
    dec = ((ret < 0) & valid).sum(axis=1)
    counted = valid.sum(axis=1)
    out = pd.DataFrame({"advancers": adv, "decliners": dec, "counted": counted})
    out["ad_line"] = (adv - dec).cumsum()
    out["share_up"] = adv / counted.where(counted > 0)
    for n in (20, 50, 200):
        ma = df.rolling(n, min_periods=n).mean()
        ok = ma.notna() & df.notna() & member
        out[f"above_ma{n}"] = ((df > ma * (1 + 1e-9)) & ok).sum(axis=1) / ok.sum(axis=1).where(lambda k: k > 0)
    hi = df.rolling(252, min_periods=252).max()
    lo = df.rolling(252, min_periods=252).min()
    ok = hi.notna() & df.notna() & member
    out["new_highs"] = ((df >= hi) & ok).sum(axis=1)
    out["new_lows"] = ((df <= lo) & ok).sum(axis=1)
    ratio = 1000.0 * (adv - dec) / (adv + dec).where(lambda s: s > 0)
    out["mcclellan"] = (
        ratio.ewm(span=19, adjust=False, ignore_na=True).mean()
        - ratio.ewm(span=39, adjust=False, ignore_na=True).mean()
    )
    return out


def _assert_same(ours: pl.DataFrame, ref: pd.DataFrame) -> None:
    for col in ref.columns:
        a = ours[col].cast(pl.Float64).fill_null(np.nan).to_numpy()
        np.testing.assert_allclose(a, ref[col].to_numpy(dtype=float), rtol=1e-9, atol=1e-9,
                                   equal_nan=True, err_msg=col)


# -- real figures ----------------------------------------------------------------------

def test_share_up_on_2024_07_11(panels: dict[str, ConstituentPanel]) -> None:
    sp, ru = panels["sp500"], panels["russell2000"]
    # Point-in-time membership: 475 members had a price on 07-10 and 07-11; 372 rose.
    row = B.breadth_on(B.breadth(sp.closes, sp.members), DAY)
    assert (row["advancers"], row["decliners"], row["unchanged"], row["counted"]) == (372, 103, 0, 475)
    assert row["share_up"] == pytest.approx(0.7832, abs=5e-5)
    # Every ticker in the matrix (the "about 79%" figure): 462 of 578 rose.  The
    # difference: 103 matrix tickers traded but were not members that day (71 had left
    # the index before, 31 joined later, 1 has no membership); 87% of them rose.
    row_all = B.breadth_on(B.breadth(sp.closes), DAY)
    assert (row_all["advancers"], row_all["counted"]) == (462, 578)
    assert row_all["share_up"] == pytest.approx(0.7993, abs=5e-5)
    # Russell 2000: no membership history; 1,575 of the 1,661 priced tickers rose, 7 unchanged.
    row_ru = B.breadth_on(B.breadth(ru.closes, ru.members), DAY)
    assert (row_ru["advancers"], row_ru["decliners"], row_ru["unchanged"], row_ru["counted"]) == (1575, 79, 7, 1661)
    assert row_ru["share_up"] == pytest.approx(0.9482, abs=5e-5)
    assert row_ru["new_highs"] == 179 and row_ru["new_lows"] == 2


def test_breadth_agrees_with_pandas_on_the_sp500_matrix(panels: dict[str, ConstituentPanel]) -> None:
    sp = panels["sp500"]
    ours = B.breadth(sp.closes, sp.members)
    ref = pandas_breadth(sp.closes.to_pandas().set_index("date"), sp.members.to_pandas().set_index("date"))
    _assert_same(ours, ref)


def test_breadth_agrees_with_pandas_on_the_russell_matrix(panels: dict[str, ConstituentPanel]) -> None:
    # This matrix has non-positive placeholders (DEC) and gaps: both must stay out.
    ru = panels["russell2000"]
    ours = B.breadth(ru.closes, ru.members)
    ref = pandas_breadth(ru.closes.to_pandas().set_index("date"), ru.members.to_pandas().set_index("date"))
    _assert_same(ours, ref)


def test_relative_volume_iwm_surge(fund_bars: pl.DataFrame) -> None:
    rv = B.relative_volume(fund_bars).filter(pl.col("date") == DAY)
    iwm = rv.filter(pl.col("symbol") == "IWM").row(0, named=True)
    assert iwm["volume"] == 65_443_600
    assert iwm["relative_volume"] == pytest.approx(2.6809, abs=1e-4)
    # the average is of the 50 sessions before the day (the surge is not in its own yardstick)
    prior = fund_bars.filter((pl.col("symbol") == "IWM") & (pl.col("date") < DAY)).tail(50)
    assert iwm["avg_volume"] == pytest.approx(prior["volume"].mean())
    qqq = rv.filter(pl.col("symbol") == "QQQ")["relative_volume"][0]
    assert qqq == pytest.approx(1.6367, abs=1e-4)


def test_confirmation_line_for_the_rotation_day(
    panels: dict[str, ConstituentPanel], fund_bars: pl.DataFrame
) -> None:
    closes = fund_bars.pivot(on="symbol", index="date", values="adj_close").sort("date")
    by_universe = {u: B.breadth(p.closes, p.members) for u, p in panels.items()}
    result = B.confirmation(DAY, "^RUT", "^NDX", closes=closes, volumes=B.relative_volume(fund_bars),
                            breadth_by_universe=by_universe)
    assert result.description == (
        "RUT +3.6% with 95% of members up, on IWM volume 2.7x its 50-day average; "
        "NDX -2.2%, on QQQ volume 1.6x its 50-day average"
    )
    assert result.a.ret == pytest.approx(0.03572, abs=1e-5)
    assert result.a.universe == "russell2000" and result.b.universe is None
    assert result.survivor_biased
    spy = B.confirmation(DAY, "SPY", "IWM", closes=closes, volumes=B.relative_volume(fund_bars),
                         breadth_by_universe=by_universe)
    assert spy.a.share_up == pytest.approx(0.7832, abs=5e-5)


def test_cap_vs_equal_on_the_rotation_day(panels: dict[str, ConstituentPanel], fund_bars: pl.DataFrame) -> None:
    sp = panels["sp500"]
    ew = B.equal_weight_returns(sp.closes, sp.members)
    levels = fund_bars.pivot(on="symbol", index="date", values="adj_close").select("date", "SPY", "RSP", "^GSPC")
    result = B.cap_vs_equal(ew, levels, DAY, cap_fund="SPY", equal_fund="RSP")
    one = result.table.filter(pl.col("window") == "1d").row(0, named=True)
    assert one["RSP"] == pytest.approx(0.01206, abs=1e-5)
    assert one["SPY"] == pytest.approx(-0.00862, abs=1e-5)
    assert one["spread_equal_vs_cap"] == pytest.approx(0.02068, abs=1e-5)
    assert one["constituents_ew"] == pytest.approx(0.011374, abs=1e-6)
    assert one["gap_ew_vs_cap"] == pytest.approx(one["constituents_ew"] - one["SPY"])
    assert result.table["window"].to_list() == list(B.SPREAD_WINDOWS)


def test_move_explained_reconstructs_the_russell_day(real_store: Path, panels: dict[str, ConstituentPanel]) -> None:
    with Store(real_store, read_only=True) as st:
        hold = load_holdings(st, "russell2000")
    result = B.index_move_explained(hold, panels["russell2000"].closes, DAY, holdings_date=date(2024, 9, 27))
    # ^RUT rose 3.57%; the weighted holdings give 3.58% over 99.6% of the weight
    assert result.index_return == pytest.approx(0.0358, abs=5e-4)
    assert result.covered_weight == pytest.approx(0.9959, abs=1e-4)
    assert result.top_share == pytest.approx(0.0347, abs=1e-3)  # the top 10 made ~3.5% of the move
    assert result.table["symbol"][0] == "INSM"
    assert result.top_contribution == pytest.approx(result.table["contribution"].sum())


# -- hand-made matrices: missing cells, membership, invariants ------------------------------

def _frame(rows: list[list[float | None]], start: date = date(2024, 1, 1)) -> pl.DataFrame:
    data = {f"S{i}": [r[i] for r in rows] for i in range(len(rows[0]))}
    dates = [date.fromordinal(start.toordinal() + i) for i in range(len(rows))]
    return pl.DataFrame({"date": dates, **data}, schema_overrides=dict.fromkeys(data, pl.Float64))


def test_missing_cells_never_count_as_a_decline_or_a_zero_return() -> None:
    closes = _frame([
        [10.0, 10.0, None, 10.0],
        [11.0, None, 10.0, 0.0],   # S1 missing today; S2 listed today; S3 placeholder 0
        [12.0, 9.0, 9.0, 10.0],    # S1 back (no return: yesterday missing); S3 after placeholder
    ])
    out = B.breadth(closes, ma_windows=(), high_low_window=2)
    assert out["counted"].to_list() == [0, 1, 2]
    assert out["advancers"].to_list() == [0, 1, 1]
    assert out["decliners"].to_list() == [0, 0, 1]
    assert out["unchanged"].to_list() == [0, 0, 0]
    assert out["share_up"].to_list()[0] is None  # nobody counts on the first day: no share, not 0%
    ew = B.equal_weight_returns(closes)
    assert ew["ew_return"][1] == pytest.approx(0.10)  # only S0: no zero return for the missing ones
    assert ew["ew_return"][2] == pytest.approx((12 / 11 - 1 + 9 / 10 - 1) / 2)


def test_only_members_count() -> None:
    closes = _frame([[10.0, 10.0], [11.0, 9.0], [12.0, 8.0]])
    members = closes.select("date", pl.lit(True).alias("S0"), pl.Series("S1", [False, False, True]))
    out = B.breadth(closes, members, ma_windows=(2,), high_low_window=2)
    assert out["advancers"].to_list() == [0, 1, 1]
    assert out["decliners"].to_list() == [0, 0, 1]
    assert out["members"].to_list() == [1, 1, 2]
    assert out["above_ma2"].to_list() == [None, 1.0, 0.5]
    with pytest.raises(Exception, match="same dates"):
        B.breadth(closes, members.head(2))


def test_no_look_ahead_and_scale_invariance() -> None:
    rng = np.random.default_rng(7)
    prices = np.exp(np.cumsum(rng.normal(0, 0.02, size=(400, 30)), axis=0)) * 50
    prices[rng.random(prices.shape) < 0.03] = np.nan
    closes = _frame(prices.tolist()).with_columns(pl.exclude("date").fill_nan(None))
    full = B.breadth(closes)
    head = B.breadth(closes.head(300))
    assert full.head(300).equals(head)
    scaled = closes.with_columns(pl.col("S3") * 1000.0, pl.col("S7") * 0.01)
    assert B.breadth(scaled).equals(full)


def test_window_helpers_match_pandas_with_gaps() -> None:
    rng = np.random.default_rng(3)
    m = rng.random((300, 12))
    m[rng.random(m.shape) < 0.05] = np.nan
    df = pd.DataFrame(m)
    for n in (1, 5, 20):
        np.testing.assert_allclose(B.rolling_mean(m, n), df.rolling(n, min_periods=n).mean().to_numpy(),
                                   rtol=1e-10, equal_nan=True)
    for n in (1, 7, 60, 300):
        np.testing.assert_array_equal(B.rolling_extreme(m, n, highest=True),
                                      df.rolling(n, min_periods=n).max().to_numpy())
        np.testing.assert_array_equal(B.rolling_extreme(m, n, highest=False),
                                      df.rolling(n, min_periods=n).min().to_numpy())
    assert np.isnan(B.rolling_extreme(m[:5], 6, highest=True)).all()


def test_mcclellan_is_zero_when_participation_never_changes() -> None:
    # every stock rises every day: ratio +1000 each day -> both EMAs 1000 -> oscillator 0
    closes = _frame([[1.0 * (1.01**i), 2.0 * (1.02**i)] for i in range(60)])
    out = B.breadth(closes, ma_windows=(), high_low_window=5)
    assert out["mcclellan"].drop_nulls().abs().max() == pytest.approx(0.0)
    assert out["new_highs"][-1] == 2 and out["new_lows"][-1] == 0


def test_edge_shapes() -> None:
    empty = pl.DataFrame({"date": pl.Series([], dtype=pl.Date), "A": pl.Series([], dtype=pl.Float64)})
    assert B.breadth(empty).height == 0
    single = _frame([[10.0, 20.0]])
    row = B.breadth_on(B.breadth(single))
    assert row["counted"] == 0 and row["share_up"] is None
    no_tickers = pl.DataFrame({"date": [date(2024, 1, 1), date(2024, 1, 2)]})
    assert B.breadth(no_tickers)["counted"].to_list() == [0, 0]
    with pytest.raises(Exception, match="no row on"):
        B.breadth_on(B.breadth(single), date(2030, 1, 1))


def test_dollar_volume_basket_needs_every_member(fund_bars: pl.DataFrame) -> None:
    bars = fund_bars.filter(~((pl.col("symbol") == "NVDA") & (pl.col("date") == DAY)))
    dv = B.dollar_volume_share(bars, ["AAPL", "MSFT", "NVDA"], ["SPY", "IWM"])
    assert dv.filter(pl.col("date") == DAY)["basket"][0] is None
    full = B.dollar_volume_share(fund_bars, ["AAPL", "MSFT", "NVDA"], ["SPY"]).filter(pl.col("date") == DAY)
    day = fund_bars.filter(pl.col("date") == DAY)
    expect = day.filter(pl.col("symbol").is_in(["AAPL", "MSFT", "NVDA"])).select(
        (pl.col("close") * pl.col("volume")).sum()).item()
    assert full["basket"][0] == pytest.approx(expect)


@settings(max_examples=60, deadline=None)
@given(
    cells=st.lists(
        st.lists(st.one_of(st.none(), st.floats(0.5, 200.0), st.just(0.0)), min_size=4, max_size=4),
        min_size=1, max_size=30,
    ),
    member_bits=st.integers(0, 2**16 - 1),
)
def test_counts_are_consistent_for_any_matrix(cells: list[list[float | None]], member_bits: int) -> None:
    closes = _frame(cells)
    members = closes.select("date", *[pl.lit(bool(member_bits >> i & 1)).alias(f"S{i}") for i in range(4)])
    out = B.breadth(closes, members, ma_windows=(3,), high_low_window=3)
    m = np.array([[np.nan if v is None or v <= 0 else v for v in row] for row in cells])
    mask = np.array([bool(member_bits >> i & 1) for i in range(4)])
    pairs = ~np.isnan(m[1:]) & ~np.isnan(m[:-1]) & mask
    assert out["counted"].to_list() == [0, *pairs.sum(axis=1).tolist()]
    total = out["advancers"] + out["decliners"] + out["unchanged"]
    assert total.to_list() == out["counted"].to_list()
    assert (out["counted"] <= out["members"]).all()
    assert (out["new_highs"] <= out["members"]).all()
