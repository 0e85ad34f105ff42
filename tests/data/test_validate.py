"""Validation rules, on named edge frames and on the real ^RUT file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from conftest import make_bars
from rotation.data.files import read_bar_file
from rotation.data.validate import check_bars, hard_findings


def rules(findings: list) -> set[str]:
    return {f.rule for f in findings}


def test_clean_frame_has_no_hard_findings() -> None:
    assert hard_findings(make_bars("OK", [100.0, 101.0, 102.0])) == []


def test_duplicate_date(duplicated_date: pl.DataFrame) -> None:
    found = hard_findings(duplicated_date)
    assert rules(found) == {"duplicate_date"}


def test_non_positive_and_inconsistent() -> None:
    frame = make_bars("BAD", [100.0, 101.0, 102.0]).with_columns(
        pl.when(pl.int_range(pl.len()) == 1).then(-1.0).otherwise(pl.col("low")).alias("low"),
        pl.when(pl.int_range(pl.len()) == 2).then(90.0).otherwise(pl.col("high")).alias("high"),
    )
    found = hard_findings(frame)
    assert rules(found) == {"non_positive_price", "ohlc_inconsistent"}
    assert {f.date for f in found if f.rule == "ohlc_inconsistent"} == {frame["date"][2]}


def test_split_like_jump(split_day: pl.DataFrame) -> None:
    found = [f for f in check_bars(split_day, calendar=False) if f.rule == "split_like_jump"]
    assert [f.date for f in found] == [split_day["date"][2]]
    assert "2:1" in found[0].message


def test_gap_is_not_a_split(gap_day: pl.DataFrame) -> None:
    assert "split_like_jump" not in rules(check_bars(gap_day, calendar=False))


def test_missing_session_against_nyse_calendar() -> None:
    frame = make_bars("CAL", [100.0, 101.0, 102.0, 103.0, 104.0], start=date(2024, 7, 1))  # Jul 1..5 weekdays
    found = check_bars(frame)
    # 2024-07-04 is a holiday: a bar on it is flagged, and no session is missing.
    assert [(f.rule, f.date) for f in found] == [("non_session_bar", date(2024, 7, 4))]
    found = check_bars(frame.filter(pl.col("date") != date(2024, 7, 3)))
    assert ("missing_session", date(2024, 7, 3)) in [(f.rule, f.date) for f in found]


def test_rut_stale_bar_2024_07_19(shared_data: Path) -> None:
    frame = read_bar_file(shared_data / "RUT.csv").frame
    stale = [f for f in check_bars(frame) if f.rule == "stale_bar"]
    by_date = {f.date: f for f in stale}
    assert date(2024, 7, 19) in by_date
    f = by_date[date(2024, 7, 19)]
    assert f.values["open"] == 2233.97 and f.values["high"] == 2261.16
    # The other repeats SOURCES.md lists are found too.
    assert {date(2010, 12, 16), date(2018, 8, 16), date(2023, 5, 24)} <= set(by_date)


def test_real_files_pass_hard_rules_and_calendar(shared_data: Path) -> None:
    for name in ("SPY.csv", "IWM.csv", "NVDA.csv"):
        found = check_bars(read_bar_file(shared_data / name).frame)
        assert not [f for f in found if f.severity == "error" or f.rule == "missing_session"], name
