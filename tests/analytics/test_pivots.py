"""Zig-zag pivots: the documented rule, no look-ahead, scale invariance, real NVDA swings."""

from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import make_bars
from rotation.analytics.pivots import last_pivot, parse_threshold, pivot_frame, zigzag
from rotation.data.store import Store
from rotation.errors import AnchorError, DataError


def _bars(highs: list[float], lows: list[float]) -> pl.DataFrame:
    """Bars with exact highs and lows (close halfway) on consecutive weekdays."""
    base = make_bars("ZZ", [(h + lo) / 2 for h, lo in zip(highs, lows, strict=True)])
    return base.with_columns(pl.Series("high", highs), pl.Series("low", lows))


@pytest.mark.parametrize(("text", "value"), [("10%", 0.10), ("7.5%", 0.075), ("10", 0.10), (" 3 % ", 0.03),
                                              (0.2, 0.2)])
def test_parse_threshold(text: str | float, value: float) -> None:
    assert parse_threshold(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["0%", "100%", "-5%", "abc", "", 1.5, 0.0])
def test_parse_threshold_errors(text: str | float) -> None:
    with pytest.raises(AnchorError):
        parse_threshold(text)


def test_rule_on_a_hand_made_path() -> None:
    # lows/highs: rise 100 -> 121 (+21%), fall to 105 (-13.2%), rise to 118 (+12.4%), drift
    highs = [101.0, 111.0, 121.0, 119.0, 108.0, 110.0, 118.0, 117.0, 112.0]
    lows = [100.0, 105.0, 115.0, 110.0, 105.0, 106.0, 112.0, 111.0, 108.0]
    piv = zigzag(_bars(highs, lows), "10%")
    days = _bars(highs, lows)["date"].to_list()
    assert [(p.kind, p.price) for p in piv] == [("low", 100.0), ("high", 121.0), ("low", 105.0), ("high", 118.0)]
    assert [p.date for p in piv] == [days[0], days[2], days[4], days[6]]
    # confirmations: first bar whose high >= 110 (day 1: 111), low <= 108.9 (day 4), high >= 115.5 (day 6)
    assert [p.confirmed for p in piv] == [days[1], days[4], days[6], None]
    assert piv[1].change == pytest.approx(0.21) and piv[0].change is None


def test_reversal_is_tested_before_the_bar_extends_the_swing() -> None:
    # day 2 makes a new high AND a low 10% under the previous high: the previous high is the pivot
    highs = [100.0, 120.0, 125.0, 110.0]
    lows = [90.0, 110.0, 105.0, 100.0]
    piv = zigzag(_bars(highs, lows), "10%", tentative=False)
    assert [(p.kind, p.price) for p in piv] == [("low", 90.0), ("high", 120.0)]


def test_pivots_alternate_and_swings_meet_the_threshold(real_store: Path) -> None:
    with Store(real_store, read_only=True) as s:
        rut = s.bars("^RUT", date(2015, 1, 1), date(2024, 12, 31))
    piv = zigzag(rut, 0.08)
    assert len(piv) > 10
    kinds = [p.kind for p in piv]
    assert all(a != b for a, b in itertools.pairwise(kinds))
    for p in piv[1:]:
        if p.confirmed is not None:
            assert abs(p.change or 0.0) >= 0.08 * 0.99  # down moves are measured from the high
    assert [p.confirmed is None for p in piv].count(True) == 1 and piv[-1].confirmed is None


def test_real_nvda_swings_of_2024(real_store: Path) -> None:
    with Store(real_store, read_only=True) as s:
        nvda = s.bars("NVDA", date(2024, 1, 1), date(2024, 12, 31))
    piv = {(p.date, p.kind): p for p in zigzag(nvda, "10%")}
    low = piv[(date(2024, 4, 19), "low")]
    high = piv[(date(2024, 6, 20), "high")]
    assert (low.price, high.price) == (75.61, 140.76)
    assert high.confirmed == date(2024, 6, 21)
    assert high.price / low.price - 1 == pytest.approx(high.change)
    frame = pivot_frame(list(piv.values()))
    assert frame.columns == ["date", "kind", "price", "confirmed", "change"]


def test_confirmed_pivots_never_change_when_bars_are_appended(real_store: Path) -> None:
    with Store(real_store, read_only=True) as s:
        nvda = s.bars("NVDA", date(2023, 1, 1), date(2025, 6, 30))
    full = zigzag(nvda, "10%", tentative=False)
    for cut in (date(2024, 6, 20), date(2024, 7, 26), date(2024, 12, 31)):
        part = zigzag(nvda.filter(pl.col("date") <= cut), "10%", tentative=False)
        assert part == [p for p in full if p.confirmed is not None and p.confirmed <= cut]
        lp = last_pivot(nvda.filter(pl.col("date") <= cut), "low", "10%")
        assert lp == [p for p in part if p.kind == "low"][-1]


@settings(max_examples=25, deadline=None)
@given(
    closes=st.lists(st.floats(min_value=10.0, max_value=200.0), min_size=2, max_size=60),
    n=st.integers(min_value=-8, max_value=8),
)
def test_scale_invariant(closes: list[float], n: int) -> None:
    # Powers of two scale exactly, so a reversal sitting on the threshold cannot flip by rounding.
    k = 2.0**n
    frame = make_bars("SC", closes, spread=0.02)
    scaled = frame.with_columns(pl.col("high") * k, pl.col("low") * k)
    a, b = zigzag(frame, 0.1), zigzag(scaled, 0.1)
    assert [(p.date, p.kind, p.confirmed) for p in a] == [(p.date, p.kind, p.confirmed) for p in b]


def test_edges(empty_bars: pl.DataFrame, single_row: pl.DataFrame) -> None:
    assert zigzag(empty_bars, "10%") == []
    assert zigzag(single_row, "10%") == []
    assert pivot_frame([]).is_empty()
    assert last_pivot(single_row, "low", "10%") is None
    with pytest.raises(DataError, match="one symbol"):
        zigzag(pl.concat([make_bars("A", [1.0]), make_bars("B", [1.0])]), "10%")


def test_missing_high_or_low_is_skipped() -> None:
    frame = _bars([101.0, 121.0, 110.0, 98.0], [100.0, 115.0, 104.0, 95.0]).with_columns(
        pl.when(pl.col("date") == date(2024, 1, 3)).then(None).otherwise(pl.col("high")).alias("high")
    )
    piv = zigzag(frame, "10%")
    assert all(p.date != date(2024, 1, 3) for p in piv)
