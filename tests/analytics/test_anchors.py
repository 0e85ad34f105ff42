"""Anchors: parsing, resolution rules, clear errors, and no look-ahead."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from conftest import make_bars
from rotation.analytics.anchors import Anchor, parse_anchor, resolve_anchor, resolve_window
from rotation.data.store import Store
from rotation.errors import AnchorError, DataError

# make_bars starts on Tuesday 2024-01-02 and skips weekends: 01-02..01-05, 01-08..01-12, ...
CLOSES = [100.0, 104.0, 110.0, 103.0, 96.0, 99.0, 108.0, 115.0, 111.0, 106.0]


@pytest.fixture
def bars() -> pl.DataFrame:
    return make_bars("TST", CLOSES)


def _later(frame: pl.DataFrame, closes: list[float]) -> pl.DataFrame:
    """``frame`` with more bars appended after its last date (new highs and lows)."""
    start = frame["date"][-1]
    extra = make_bars(frame["symbol"][0], [frame["close"][-1], *closes], start=start).slice(1)
    return pl.concat([frame, extra])


# -- parsing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "field"),
    [
        ("2024-06-20", "date", "close"),
        ("2024-06-20:high", "date", "high"),
        ("2024-06-20:ADJ_CLOSE", "date", "adj_close"),
        ("ath", "ath", "high"),
        ("ATH:close", "ath", "close"),
        ("last", "last", "close"),
        ("low-since:2024-06-20", "low_since", "low"),
        ("high-since:2024-06-20", "high_since", "high"),
        ("low-since:2024-06-20:close", "low_since", "close"),
        ("-20d", "sessions_back", "close"),
        ("-20d:open", "sessions_back", "open"),
        ("-3m", "calendar_back", "close"),
        ("-1y", "calendar_back", "close"),
        ("-2w", "calendar_back", "close"),
        ("ytd", "ytd", "close"),
        ("pivot-low:10%", "pivot_low", "low"),
        ("pivot-high:7.5", "pivot_high", "high"),
    ],
)
def test_parse_forms(text: str, kind: str, field: str) -> None:
    a = parse_anchor(text)
    assert (a.kind, a.field, a.text) == (kind, field, text)


def test_parse_details() -> None:
    assert parse_anchor("2024-06-20").day == date(2024, 6, 20)
    assert parse_anchor("-20d").count == 20
    assert parse_anchor("-3m").unit == "m"
    assert parse_anchor("pivot-low:10%").threshold == pytest.approx(0.10)
    assert parse_anchor("low-since:2024-06-20").day == date(2024, 6, 20)
    assert not parse_anchor("2024-06-20").relative and parse_anchor("ath").relative
    a = parse_anchor("ath")
    assert parse_anchor(a) is a  # an Anchor passes through


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "empty anchor"),
        ("garbage", "cannot read anchor"),
        ("2024-06-20:hi", "unknown price field 'hi'"),
        ("2024-06-20:volume", "unknown price field"),
        ("2024-02-30", "not a valid date"),
        ("2024-06-20:high:x", "too many"),
        ("-0d", "at least 1"),
        ("-5q", "cannot read anchor"),
        ("20d", "cannot read anchor"),
        ("low-since", "needs a date"),
        ("low-since:june", "expected a date"),
        ("pivot-low", "needs a threshold"),
        ("pivot-low:0%", "between 0% and 100%"),
        ("pivot-high:abc", "percent"),
    ],
)
def test_parse_errors_are_one_clear_line(text: str, needle: str) -> None:
    with pytest.raises(AnchorError) as err:
        parse_anchor(text)
    assert needle in str(err.value)
    assert "\n" not in str(err.value)


# -- resolution on synthetic bars ---------------------------------------------------------------


def test_plain_date_reads_the_field(bars: pl.DataFrame) -> None:
    r = resolve_anchor("2024-01-04", bars)
    assert (r.date, r.field, r.price, r.note) == (date(2024, 1, 4), "close", 110.0, "")
    hi = resolve_anchor("2024-01-04:high", bars)
    assert hi.price == pytest.approx(110.0 * 1.01)


def test_weekend_names_nearest_sessions_unless_rolled(bars: pl.DataFrame) -> None:
    with pytest.raises(AnchorError) as err:
        resolve_anchor("2024-01-06", bars)
    msg = str(err.value)
    assert "Saturday" in msg and "2024-01-05 (before)" in msg and "2024-01-08 (after)" in msg
    assert resolve_anchor("2024-01-06", bars, roll="prev").date == date(2024, 1, 5)
    nxt = resolve_anchor("2024-01-07", bars, roll="next")
    assert nxt.date == date(2024, 1, 8) and "rolled from 2024-01-07 (Sunday)" in nxt.note


def test_dates_outside_the_bars(bars: pl.DataFrame) -> None:
    with pytest.raises(AnchorError, match="before TST's first bar"):
        resolve_anchor("2023-12-29", bars, roll="next")
    with pytest.raises(AnchorError, match="after TST's last bar"):
        resolve_anchor("2024-02-01", bars, roll="prev")


def test_ath_is_highest_high_up_to_reference(bars: pl.DataFrame) -> None:
    r = resolve_anchor("ath", bars, date(2024, 1, 9))
    assert r.date == date(2024, 1, 4) and r.field == "high"
    assert r.price == pytest.approx(110.0 * 1.01)
    assert resolve_anchor("ath", bars).date == date(2024, 1, 11)  # default: up to the last bar
    assert resolve_anchor("ath:close", bars, date(2024, 1, 9)).price == 110.0


def test_ath_tie_keeps_first_date() -> None:
    frame = make_bars("TIE", [100.0, 120.0, 110.0, 120.0, 90.0])
    assert resolve_anchor("ath", frame).date == date(2024, 1, 3)


def test_since_anchors(bars: pl.DataFrame) -> None:
    lo = resolve_anchor("low-since:2024-01-04", bars, date(2024, 1, 11))
    assert lo.date == date(2024, 1, 8) and lo.field == "low"
    assert lo.price == pytest.approx(96.0 * 0.99)
    hi = resolve_anchor("high-since:2024-01-06", bars, date(2024, 1, 12))
    assert hi.date == date(2024, 1, 11)
    # a since-date need not be a session (it means "from then on")
    assert resolve_anchor("low-since:2024-01-06:close", bars).date == date(2024, 1, 8)
    with pytest.raises(AnchorError, match="after the reference date"):
        resolve_anchor("low-since:2024-01-10", bars, date(2024, 1, 9))
    with pytest.raises(AnchorError, match="before TST's first bar"):
        resolve_anchor("low-since:2023-01-01", bars)


def test_relative_anchors(bars: pl.DataFrame) -> None:
    assert resolve_anchor("-3d", bars, date(2024, 1, 12)).date == date(2024, 1, 9)
    assert resolve_anchor("-1w", bars, date(2024, 1, 12)).date == date(2024, 1, 5)
    # a Sunday target rolls back to Friday's bar
    assert resolve_anchor("-1w", bars, date(2024, 1, 14)).date == date(2024, 1, 5)
    with pytest.raises(AnchorError, match="only 2 sessions"):
        resolve_anchor("-3d", bars, date(2024, 1, 4))
    with pytest.raises(AnchorError, match="before TST's first bar"):
        resolve_anchor("-1m", bars)
    with pytest.raises(AnchorError, match="before TST's first bar"):
        resolve_anchor("ytd", bars)


def test_month_end_is_clamped_and_ytd_uses_last_session_of_prior_year() -> None:
    frame = make_bars("LONG", [100.0 + i for i in range(100)], start=date(2023, 12, 1))
    r = resolve_anchor("-1m", frame, date(2024, 3, 29))
    assert r.date == date(2024, 2, 29)
    y = resolve_anchor("ytd", frame, date(2024, 3, 1))
    assert y.date == date(2023, 12, 29) and "last session of 2023" in y.note


def test_pivot_anchor(bars: pl.DataFrame) -> None:
    r = resolve_anchor("pivot-low:5%", bars)
    assert r.date == date(2024, 1, 8) and r.field == "low"
    with pytest.raises(AnchorError, match="no confirmed"):
        resolve_anchor("pivot-low:50%", bars)


def test_relative_anchors_never_look_ahead(bars: pl.DataFrame) -> None:
    longer = _later(bars, [150.0, 80.0, 160.0, 70.0, 170.0])
    ref = bars["date"][-1]
    for text in ("ath", "ath:close", "low-since:2024-01-03", "high-since:2024-01-03", "-4d", "-1w",
                 "pivot-low:5%", "pivot-high:5%", "last"):
        assert resolve_anchor(text, longer, ref) == resolve_anchor(text, bars, ref), text


def test_missing_price_is_an_error(bars: pl.DataFrame) -> None:
    holed = bars.with_columns(
        pl.when(pl.col("date") == date(2024, 1, 4)).then(None).otherwise(pl.col("adj_close")).alias("adj_close")
    )
    with pytest.raises(AnchorError, match="no adj_close on 2024-01-04"):
        resolve_anchor("2024-01-04:adj_close", holed)


def test_bars_must_be_one_symbol(bars: pl.DataFrame, empty_bars: pl.DataFrame) -> None:
    with pytest.raises(DataError, match="no bars"):
        resolve_anchor("ath", empty_bars)
    with pytest.raises(DataError, match="one symbol"):
        resolve_anchor("ath", pl.concat([bars, make_bars("OTHER", [1.0, 2.0])]))


# -- windows ----------------------------------------------------------------------------------------


def test_window_resolves_to_first_then_from_against_it(bars: pl.DataFrame) -> None:
    start, end = resolve_window("ath", "2024-01-09", bars)
    assert (start.date, end.date) == (date(2024, 1, 4), date(2024, 1, 9))
    assert "up to 2024-01-09" in start.note
    start, end = resolve_window("-2d", "last", bars, as_of=date(2024, 1, 10))
    assert (start.date, end.date) == (date(2024, 1, 8), date(2024, 1, 10))


def test_window_errors(bars: pl.DataFrame) -> None:
    with pytest.raises(AnchorError, match="after to"):
        resolve_window("2024-01-10", "2024-01-04", bars)
    with pytest.raises(AnchorError, match="not comparable"):
        resolve_window("2024-01-04:adj_close", "2024-01-10", bars)
    with pytest.raises(AnchorError, match="before TST's first bar"):
        resolve_window("ath", "last", bars, as_of=date(2023, 6, 1))
    with pytest.raises(AnchorError, match="after TST's last bar"):
        resolve_window("2024-01-04", "2024-01-12", bars, as_of=date(2024, 1, 10))


def test_anchor_is_frozen() -> None:
    a = parse_anchor("ath")
    assert isinstance(a, Anchor)
    with pytest.raises(AttributeError):
        a.field = "low"  # type: ignore[misc]


# -- real data ---------------------------------------------------------------------------------------


def test_real_nvda_ath_and_holiday(real_store) -> None:
    with Store(real_store, read_only=True) as st:
        nvda = st.bars("NVDA")
    r = resolve_anchor("ath", nvda, date(2024, 7, 26))
    assert (r.date, r.field, r.price) == (date(2024, 6, 20), "high", 140.76)
    with pytest.raises(AnchorError) as err:
        resolve_anchor("2024-07-04", nvda)  # Independence Day
    assert "2024-07-03 (before)" in str(err.value) and "2024-07-05 (after)" in str(err.value)
    assert resolve_anchor("2024-04-19", nvda).price == 76.20
    assert resolve_anchor("pivot-low:10%", nvda, date(2024, 6, 20)).date == date(2024, 4, 19)
