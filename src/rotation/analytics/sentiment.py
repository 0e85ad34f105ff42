"""What small money and active managers say and do: AAII, NAAIM and put/call, point in time.

Input is the long sentiment frame of :func:`rotation.data.positioning.sentiment_frame`
(``series, date, release_date, value``), already cut at the as-of date by ``release_date``
or not: :func:`sentiment_report` cuts it again, so it never looks ahead.

Percentiles are the share of the series' own history up to the reading (inclusive) at or
below it, as a fraction: "against history" means every reading published by then.  The
put/call average is the mean of the last ``average_days`` readings (sessions, not calendar
days) and its percentile is against the history of that same average.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

AAII_SERIES = ("aaii_bullish", "aaii_neutral", "aaii_bearish")
NAAIM_SERIES = "naaim_exposure"
PUT_CALL_SERIES = ("pc_equity", "pc_total", "pc_index")
PUT_CALL_DAYS = 10

SERIES_LABELS: dict[str, str] = {
    "aaii_bullish": "AAII bullish",
    "aaii_neutral": "AAII neutral",
    "aaii_bearish": "AAII bearish",
    "aaii_spread": "AAII bull-bear spread",
    "naaim_exposure": "NAAIM exposure",
    "pc_equity": "CBOE equity put/call",
    "pc_total": "CBOE total put/call",
    "pc_index": "CBOE index put/call",
}


def _share_at_or_below(history: np.ndarray, value: float) -> float | None:
    h = history[np.isfinite(history)]
    if h.size == 0 or not np.isfinite(value):
        return None
    return float(np.count_nonzero(h <= value) / h.size)


@dataclass(frozen=True)
class AaiiReading:
    """The latest AAII survey known at the as-of date (fractions; percentiles vs all weeks up to it)."""

    date: dt.date
    release_date: dt.date
    bullish: float
    neutral: float
    bearish: float
    spread: float                       # bullish - bearish
    spread_percentile: float | None
    bullish_percentile: float | None
    bearish_percentile: float | None
    history_start: dt.date
    weeks: int


@dataclass(frozen=True)
class SeriesReading:
    """The latest reading of one series known at the as-of date, with its percentile vs history.

    For put/call, ``average`` is the mean of the last ``average_days`` readings and
    ``average_percentile`` ranks it against that average's own history.
    """

    series: str
    label: str
    date: dt.date
    release_date: dt.date
    value: float
    percentile: float | None
    history_start: dt.date
    observations: int
    average: float | None = None
    average_days: int | None = None
    average_percentile: float | None = None


@dataclass(frozen=True)
class SentimentReport:
    """Sentiment as of a date: AAII, NAAIM and put/call, each with the reading it used."""

    as_of: dt.date | None
    aaii: AaiiReading | None
    naaim: SeriesReading | None
    put_call: tuple[SeriesReading, ...]


def _series(frame: pl.DataFrame, name: str, as_of: dt.date | None) -> pl.DataFrame:
    s = frame.filter(pl.col("series") == name).drop_nulls("value")
    if as_of is not None:
        s = s.filter(pl.col("release_date") <= as_of)
    return s.filter(pl.col("value").is_finite()).sort("date")


def aaii_reading(frame: pl.DataFrame, as_of: dt.date | None = None) -> AaiiReading | None:
    """The latest week with all three AAII shares released by ``as_of``."""
    parts = [_series(frame, s, as_of).select("date", "release_date", pl.col("value").alias(s)) for s in AAII_SERIES]
    wide = parts[0]
    for p in parts[1:]:
        wide = wide.join(p.drop("release_date"), on="date", how="inner")
    wide = wide.sort("date")
    if wide.is_empty():
        return None
    bull, bear = wide["aaii_bullish"].to_numpy(), wide["aaii_bearish"].to_numpy()
    spread = bull - bear
    last = wide.row(-1, named=True)
    return AaiiReading(
        date=last["date"], release_date=last["release_date"], bullish=last["aaii_bullish"],
        neutral=last["aaii_neutral"], bearish=last["aaii_bearish"], spread=float(spread[-1]),
        spread_percentile=_share_at_or_below(spread, float(spread[-1])),
        bullish_percentile=_share_at_or_below(bull, float(bull[-1])),
        bearish_percentile=_share_at_or_below(bear, float(bear[-1])),
        history_start=wide["date"][0], weeks=wide.height,
    )


def series_reading(
    frame: pl.DataFrame, name: str, as_of: dt.date | None = None, *, average_days: int | None = None
) -> SeriesReading | None:
    """The latest reading of ``name`` released by ``as_of``; with ``average_days``, its trailing mean too."""
    s = _series(frame, name, as_of)
    if s.is_empty():
        return None
    values = s["value"].to_numpy()
    last = s.row(-1, named=True)
    avg = avg_pct = None
    if average_days:
        means = s["value"].rolling_mean(window_size=average_days, min_samples=average_days).to_numpy()
        if np.isfinite(means[-1]):
            avg = float(means[-1])
            avg_pct = _share_at_or_below(means, avg)
    return SeriesReading(
        series=name, label=SERIES_LABELS.get(name, name), date=last["date"], release_date=last["release_date"],
        value=float(last["value"]), percentile=_share_at_or_below(values, float(values[-1])),
        history_start=s["date"][0], observations=s.height,
        average=avg, average_days=average_days if average_days else None, average_percentile=avg_pct,
    )


def sentiment_report(frame: pl.DataFrame, as_of: dt.date | None = None, *, put_call_days: int = PUT_CALL_DAYS) -> SentimentReport:
    """AAII, NAAIM and the put/call ratios as known at ``as_of`` (default: everything stored)."""
    pcs = (series_reading(frame, s, as_of, average_days=put_call_days) for s in PUT_CALL_SERIES)
    return SentimentReport(
        as_of=as_of, aaii=aaii_reading(frame, as_of), naaim=series_reading(frame, NAAIM_SERIES, as_of),
        put_call=tuple(r for r in pcs if r is not None),
    )


__all__ = [
    "AAII_SERIES",
    "NAAIM_SERIES",
    "PUT_CALL_DAYS",
    "PUT_CALL_SERIES",
    "SERIES_LABELS",
    "AaiiReading",
    "SentimentReport",
    "SeriesReading",
    "aaii_reading",
    "sentiment_report",
    "series_reading",
]
