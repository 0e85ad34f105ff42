"""measure / compare / drawdown: the commentary's figures on real data, invariants, edge cases."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import make_bars
from rotation.analytics.measure import (
    PRICE_BASIS,
    TOTAL_RETURN_BASIS,
    compare,
    drawdown,
    drawdown_series,
    measure,
)
from rotation.data.store import Store
from rotation.errors import AnchorError, ConfigError, DataError

PRICES = ["open", "high", "low", "close", "adj_close"]


@pytest.fixture(scope="module")
def real(real_store: Path) -> pl.DataFrame:
    with Store(real_store, read_only=True) as s:
        return s.bars(["NVDA", "^RUT", "^NDX", "IWM", "SPY"])


def _one(frame: pl.DataFrame, symbol: str) -> pl.DataFrame:
    return frame.filter(pl.col("symbol") == symbol)


def _scaled(frame: pl.DataFrame, k: float) -> pl.DataFrame:
    return frame.with_columns([pl.col(c) * k for c in PRICES])


def _appended(frame: pl.DataFrame, closes: list[float]) -> pl.DataFrame:
    start = frame["date"][-1]
    extra = make_bars(frame["symbol"][0], [frame["close"][-1], *closes], start=start).slice(1)
    return pl.concat([frame, extra])


# -- the commentary's figures (../shared/data) -----------------------------------------------------


def test_nvda_april_low_close_to_june_high(real: pl.DataFrame) -> None:
    m = measure(_one(real, "NVDA"), "2024-04-19", "2024-06-20:high")
    assert (m.start.date, m.start.field, m.start.price) == (date(2024, 4, 19), "close", 76.20)
    assert (m.end.date, m.end.field, m.end.price) == (date(2024, 6, 20), "high", 140.76)
    assert round(m.pct_change * 100, 2) == 84.72
    assert m.points == pytest.approx(64.56)
    assert (m.trading_days, m.calendar_days, m.basis) == (42, 62, PRICE_BASIS)


def test_nvda_from_ath_to_july_26_close(real: pl.DataFrame) -> None:
    m = measure(_one(real, "NVDA"), "ath", "2024-07-26")
    assert (m.start.date, m.start.field, m.start.price) == (date(2024, 6, 20), "high", 140.76)
    assert (m.end.date, m.end.price) == (date(2024, 7, 26), 113.06)
    assert round(m.pct_change * 100, 2) == -19.68
    assert (m.trading_days, m.calendar_days) == (25, 36)


def test_rut_june_20_to_july_26(real: pl.DataFrame) -> None:
    m = measure(_one(real, "^RUT"), "2024-06-20", "2024-07-26")
    assert (m.start.price, m.end.price) == (2017.39, 2260.07)
    assert round(m.pct_change * 100, 2) == 12.03
    assert m.points == pytest.approx(242.68)


def test_rotation_day_2024_07_11(real: pl.DataFrame) -> None:
    rut = measure(_one(real, "^RUT"), "-1d", "2024-07-11")
    ndx = measure(_one(real, "^NDX"), "2024-07-10", "2024-07-11")
    assert (rut.start.date, rut.start.price, rut.end.price) == (date(2024, 7, 10), 2051.75, 2125.04)
    assert round(rut.pct_change * 100, 2) == 3.57
    assert round(ndx.pct_change * 100, 2) == -2.24
    assert rut.trading_days == 1 and ndx.calendar_days == 1


def test_total_return_reads_adj_close_on_both_dates(real: pl.DataFrame) -> None:
    iwm = _one(real, "IWM")
    price = measure(iwm, "2024-01-02", "2024-12-31")
    tr = measure(iwm, "2024-01-02", "2024-12-31", total_return=True)
    assert tr.basis == TOTAL_RETURN_BASIS and (tr.start.field, tr.end.field) == ("adj_close", "adj_close")
    row = iwm.filter(pl.col("date") == date(2024, 1, 2))
    assert tr.start.price == row["adj_close"][0]
    assert "adj_close on the close anchor's date" in tr.start.note
    assert tr.pct_change > price.pct_change  # IWM paid dividends in 2024
    # total return on an `ath` anchor keeps the high's date, reads adj_close there
    nv = measure(_one(real, "NVDA"), "ath", "2024-07-26", total_return=True)
    assert nv.start.date == date(2024, 6, 20) and nv.start.field == "adj_close"


def test_compare_side_by_side_and_spreads(real: pl.DataFrame) -> None:
    c = compare(real, "2024-06-20", "2024-07-26", symbols=["NVDA", "^RUT", "^NDX"])
    assert [m.symbol for m in c.measurements] == ["NVDA", "^RUT", "^NDX"]
    nv, rut, _ = c.measurements
    assert round(rut.pct_change * 100, 2) == 12.03
    assert c.same_window and c.basis == PRICE_BASIS
    assert [(s.a, s.b) for s in c.spreads] == [("NVDA", "^RUT"), ("NVDA", "^NDX"), ("^RUT", "^NDX")]
    s = c.spreads[0]
    assert s.spread == pytest.approx(nv.pct_change - rut.pct_change)
    assert s.relative == pytest.approx((1 + nv.pct_change) / (1 + rut.pct_change) - 1)
    c2 = compare(real, "ath", "2024-07-26", symbols=["NVDA", "^RUT"])
    assert not c2.same_window  # each symbol's own all-time high
    tr = compare(real, "2024-06-20", "2024-07-26", symbols=["NVDA", "^RUT"], total_return=True)
    assert tr.basis == TOTAL_RETURN_BASIS
    assert all(m.start.field == "adj_close" for m in tr.measurements)


def test_compare_errors(real: pl.DataFrame, empty_bars: pl.DataFrame) -> None:
    with pytest.raises(DataError, match="no bars for QQQ"):
        compare(real, "2024-06-20", "2024-07-26", symbols=["NVDA", "QQQ"])
    with pytest.raises(DataError):
        compare(empty_bars, "2024-06-20", "2024-07-26")
    for symbols in (["NVDA", "NVDA"], ["NVDA"], None):  # None: the frame's symbols, here only NVDA
        with pytest.raises(ConfigError, match="two or more different symbols"):
            compare(_one(real, "NVDA"), "2024-06-20", "2024-07-26", symbols=symbols)


def test_nvda_drawdown_as_of_july_26(real: pl.DataFrame) -> None:
    d = drawdown(_one(real, "NVDA"), date(2024, 7, 26))
    assert (d.as_of, d.ath_date, d.ath, d.close) == (date(2024, 7, 26), date(2024, 6, 20), 140.76, 113.06)
    assert round(d.pct_below * 100, 2) == -19.68
    assert (d.low_since_date, d.low_since) == (date(2024, 7, 25), 106.30)
    assert d.max_drawdown == pytest.approx(106.30 / 140.76 - 1)
    assert (d.trading_days, d.calendar_days) == (25, 36)
    # a weekend as-of uses Friday's bar
    assert drawdown(_one(real, "NVDA"), date(2024, 7, 28)).as_of == date(2024, 7, 26)


def test_drawdown_series_never_positive_and_matches_drawdown(real: pl.DataFrame) -> None:
    series = drawdown_series(real)
    assert series.height == real.height
    assert series["drawdown"].max() <= 0.0
    assert series.filter(pl.col("drawdown").is_null()).height == 0
    row = series.filter((pl.col("symbol") == "NVDA") & (pl.col("date") == date(2024, 7, 26))).row(0, named=True)
    assert (row["ath"], row["ath_date"]) == (140.76, date(2024, 6, 20))
    assert row["drawdown"] == pytest.approx(113.06 / 140.76 - 1)


def test_drawdown_series_is_look_ahead_free(real: pl.DataFrame) -> None:
    cut = date(2024, 7, 26)
    full = drawdown_series(real).filter(pl.col("date") <= cut)
    part = drawdown_series(real.filter(pl.col("date") <= cut))
    assert full.equals(part)


# -- invariants --------------------------------------------------------------------------------------

ANCHOR_PAIRS = [
    ("2024-01-03", "2024-01-12"),
    ("2024-01-03:high", "2024-01-12:low"),
    ("ath", "2024-01-16"),
    ("low-since:2024-01-04", "2024-01-16"),
    ("-5d", "last"),
    ("pivot-low:3%", "last"),
]


@settings(max_examples=25, deadline=None)
@given(
    closes=st.lists(st.floats(min_value=10.0, max_value=1000.0), min_size=12, max_size=12),
    k=st.floats(min_value=0.01, max_value=1000.0),
)
def test_scaling_prices_leaves_percentages_unchanged(closes: list[float], k: float) -> None:
    frame = make_bars("SC", [100.0, 50.0, 110.0, *closes])
    for a, b in ANCHOR_PAIRS[:5]:
        m1, m2 = measure(frame, a, b), measure(_scaled(frame, k), a, b)
        assert m2.pct_change == pytest.approx(m1.pct_change, rel=1e-9, abs=1e-12)
        assert m2.points == pytest.approx(m1.points * k, rel=1e-9, abs=1e-9)
        assert (m2.start.date, m2.end.date) == (m1.start.date, m1.end.date)
    d1, d2 = drawdown(frame), drawdown(_scaled(frame, k))
    assert d2.pct_below == pytest.approx(d1.pct_below, rel=1e-9, abs=1e-12)
    assert d1.pct_below <= 0.0 and (d1.max_drawdown is None or d1.max_drawdown <= 0.0)


@settings(max_examples=25, deadline=None)
@given(
    closes=st.lists(st.floats(min_value=1.0, max_value=1000.0), min_size=1, max_size=40),
    spread=st.floats(min_value=0.0, max_value=0.2),
)
def test_drawdown_is_never_positive(closes: list[float], spread: float) -> None:
    frame = make_bars("DD", closes, spread=spread)
    series = drawdown_series(frame)
    assert (series["drawdown"] <= 0.0).all()
    d = drawdown(frame)
    assert d.pct_below <= 0.0
    # the low since the high is at or below the latest close (make_bars: low <= close)
    assert d.max_drawdown is None or d.max_drawdown <= min(d.pct_below + 1e-12, 0.0)


def test_scaling_real_prices(real: pl.DataFrame) -> None:
    nv = _one(real, "NVDA")
    for a, b in [("2024-04-19", "2024-06-20:high"), ("ath", "2024-07-26"), ("ytd", "2024-07-26")]:
        assert measure(_scaled(nv, 7.3), a, b).pct_change == pytest.approx(measure(nv, a, b).pct_change)


def test_appending_bars_after_to_changes_nothing() -> None:
    base = make_bars("LA", [100.0, 104.0, 110.0, 103.0, 96.0, 99.0, 108.0, 115.0, 111.0, 106.0, 104.0, 101.0])
    longer = _appended(base, [200.0, 50.0, 300.0, 20.0])
    to = base["date"][-1].isoformat()
    for a, _ in ANCHOR_PAIRS:
        for total in (False, True):
            assert measure(longer, a, to, total_return=total) == measure(base, a, to, total_return=total), a
    assert measure(longer, "ath", "last", as_of=base["date"][-1]) == measure(base, "ath", "last")
    assert drawdown(longer, base["date"][-1]) == drawdown(base)


def test_appending_real_bars_after_to(real: pl.DataFrame) -> None:
    nv = _one(real, "NVDA")
    cut = nv.filter(pl.col("date") <= date(2024, 7, 26))
    for a in ("ath", "2024-04-19", "low-since:2024-06-20", "-20d", "ytd", "pivot-high:10%"):
        assert measure(nv, a, "2024-07-26") == measure(cut, a, "2024-07-26"), a
    assert drawdown(nv, date(2024, 7, 26)) == drawdown(cut)


# -- edge cases ----------------------------------------------------------------------------------------


def test_empty_and_mixed_frames(empty_bars: pl.DataFrame) -> None:
    with pytest.raises(DataError, match="no bars"):
        measure(empty_bars, "ath", "last")
    with pytest.raises(DataError, match="no bars"):
        drawdown(empty_bars)
    assert drawdown_series(empty_bars).is_empty()
    mixed = pl.concat([make_bars("A", [1.0, 2.0]), make_bars("B", [1.0, 2.0])])
    with pytest.raises(DataError, match="one symbol"):
        measure(mixed, "2024-01-02", "2024-01-03")


def test_single_row(single_row: pl.DataFrame) -> None:
    m = measure(single_row, "2024-01-02", "2024-01-02:high")
    assert m.trading_days == 0 and m.calendar_days == 0
    assert m.pct_change == pytest.approx(0.01)
    d = drawdown(single_row)
    assert d.ath_date == date(2024, 1, 2) and d.low_since is None and d.max_drawdown is None
    assert d.pct_below == pytest.approx(1 / 1.01 - 1) and d.trading_days == 0


def test_gap_and_split_days(gap_day: pl.DataFrame, split_day: pl.DataFrame) -> None:
    m = measure(gap_day, "2024-01-03:high", "2024-01-04:open")
    assert m.pct_change == pytest.approx(111.5 / (101.0 * 1.01) - 1)
    # an unapplied split shows as a -50% move on as-traded prices: measure reports it, validation flags it
    assert measure(split_day, "2024-01-03", "2024-01-04").pct_change == pytest.approx(50.4 / 101.0 - 1)


def test_null_close_and_nan() -> None:
    frame = make_bars("NUL", [100.0, 101.0, 102.0, 103.0]).with_columns(
        pl.when(pl.col("date") == date(2024, 1, 4)).then(None).otherwise(pl.col("close")).alias("close")
    )
    with pytest.raises(AnchorError, match="no close on 2024-01-04"):
        measure(frame, "2024-01-02", "2024-01-04")
    assert measure(frame, "2024-01-02", "2024-01-05").pct_change == pytest.approx(0.03)
    d = drawdown(frame)
    assert d.pct_below <= 0 and d.as_of == date(2024, 1, 5)
    series = drawdown_series(frame)
    assert series.filter(pl.col("date") == date(2024, 1, 5))["ath"][0] == pytest.approx(103.0 * 1.01)


def test_defective_bar_with_close_above_high_keeps_drawdown_non_positive() -> None:
    frame = make_bars("BAD", [100.0, 101.0, 110.0]).with_columns(
        pl.when(pl.col("date") == date(2024, 1, 4)).then(90.0).otherwise(pl.col("high")).alias("high")
    )
    d = drawdown(frame)
    assert (d.ath, d.ath_date, d.pct_below) == (110.0, date(2024, 1, 4), 0.0)


def test_results_are_frozen(real: pl.DataFrame) -> None:
    m = measure(_one(real, "^RUT"), "2024-06-20", "2024-07-26")
    with pytest.raises(AttributeError):
        m.pct_change = 0.0  # type: ignore[misc]
    assert m.end.date - m.start.date == timedelta(days=m.calendar_days)


# -- one definition of the all-time high: the first bar at the maximum ---------------------------


def test_drawdown_ath_date_is_the_first_bar_at_a_tied_maximum(real: pl.DataFrame) -> None:
    """NVDA's high of 0.99175 was made on 2007-10-18 and tied on 2007-10-23."""
    nvda = _one(real, "NVDA")
    d = drawdown(nvda, date(2009, 3, 9))
    assert (d.ath_date, d.ath) == (date(2007, 10, 18), 0.99175)
    tied = nvda.filter(pl.col("date").is_between(date(2007, 10, 18), date(2009, 3, 9)) & (pl.col("high") == d.ath))
    assert tied.height >= 2  # a real tie, so the test can tell first from last
    m = measure(nvda, "ath", "2009-03-09")
    assert m.start.date == d.ath_date


def test_drawdown_and_ath_anchor_agree_on_every_month_end(real: pl.DataFrame) -> None:
    for sym in ("NVDA", "^RUT", "IWM"):
        frame = _one(real, sym)
        ends = frame.group_by_dynamic("date", every="1mo").agg(pl.col("date").last().alias("d"))["d"]
        for day in ends.gather_every(7):
            assert drawdown(frame, day).ath_date == measure(frame, "ath", day.isoformat()).start.date, (sym, day)


def test_ties_keep_the_first_date_in_synthetic_bars() -> None:
    frame = make_bars("T", [10, 12, 11, 12, 12, 9])
    series = drawdown_series(frame)
    first = frame["date"][1]
    assert series["ath_date"].to_list()[1:] == [first] * 5
    assert drawdown(frame).ath_date == first
