"""Sentiment analytics on frames built in code."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from rotation.analytics.sentiment import aaii_reading, sentiment_report, series_reading

D0 = date(2024, 1, 4)  # a Thursday


def _rows(series: str, values: list[float], step: int = 7, lag: int = 0) -> list[dict[str, object]]:
    return [{"series": series, "date": D0 + timedelta(days=step * i),
             "release_date": D0 + timedelta(days=step * i + lag), "value": v} for i, v in enumerate(values)]


def _frame(*parts: list[dict[str, object]]) -> pl.DataFrame:
    return pl.DataFrame([r for p in parts for r in p])


def test_aaii_spread_and_percentile() -> None:
    f = _frame(_rows("aaii_bullish", [0.3, 0.4, 0.5, 0.35]), _rows("aaii_neutral", [0.4, 0.3, 0.3, 0.3]),
               _rows("aaii_bearish", [0.3, 0.3, 0.2, 0.35]))
    r = aaii_reading(f)
    assert r is not None and r.date == D0 + timedelta(weeks=3)
    assert r.spread == pytest.approx(0.0)
    assert r.spread_percentile == pytest.approx(2 / 4)  # spreads 0, .1, .3, 0
    r2 = aaii_reading(f, D0 + timedelta(weeks=2))
    assert r2 is not None and r2.bullish == 0.5 and r2.spread_percentile == 1.0 and r2.weeks == 3
    assert aaii_reading(f, D0 - timedelta(days=1)) is None


def test_release_date_not_date_decides() -> None:
    f = _frame(_rows("naaim_exposure", [50.0, 90.0], lag=1))
    assert series_reading(f, "naaim_exposure", D0 + timedelta(days=7)).value == 50.0  # type: ignore[union-attr]
    assert series_reading(f, "naaim_exposure", D0 + timedelta(days=8)).value == 90.0  # type: ignore[union-attr]


def test_put_call_average_and_its_percentile() -> None:
    vals = [1.0] * 10 + [0.5] * 10
    r = series_reading(_frame(_rows("pc_equity", vals, step=1)), "pc_equity", average_days=10)
    assert r is not None and r.average == pytest.approx(0.5) and r.average_days == 10
    assert r.average_percentile == pytest.approx(1 / 11)  # 11 full windows, the last the lowest
    short = series_reading(_frame(_rows("pc_equity", vals[:5], step=1)), "pc_equity", average_days=10)
    assert short is not None and short.average is None


def test_report_no_look_ahead() -> None:
    f = _frame(_rows("pc_total", [0.8, 0.9, 1.1, 0.7], step=1), _rows("naaim_exposure", [60.0, 70.0]))
    day = D0 + timedelta(days=2)
    full = sentiment_report(f, day)
    cut = sentiment_report(f.filter(pl.col("release_date") <= day), day)
    assert full == cut
    assert full.aaii is None and full.naaim is not None and full.put_call[0].value == 1.1
