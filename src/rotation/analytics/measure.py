"""Moves between anchors, side-by-side comparisons, and drawdowns from the all-time high.

Pure functions over bars frames (as :meth:`rotation.data.store.Store.bars`
returns them).  Every result carries its resolved anchors: the session date,
the price field and the price used.

Conventions
-----------
* ``pct_change = price_to / price_from - 1`` (a fraction: 0.0357 = +3.57%);
  ``points = price_to - price_from``.
* Price basis (default): the anchors' own fields (as-traded ``open/high/low/close``),
  the figure a chart or a commentary quotes.  Total-return basis: ``adj_close``
  (splits and dividends) on both anchors' dates, whatever fields the anchors name.
* ``trading_days`` counts the bars after the start up to and including the end
  (2024-07-10 -> 2024-07-11 is 1); ``calendar_days`` is the date difference.
* All-time high = the highest ``high`` up to the as-of date (a bar whose close
  exceeds its high, a data defect, counts with its close), so the drawdown
  ``close / ath - 1`` is never positive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import combinations

import polars as pl

from rotation.analytics.anchors import (
    Anchor,
    ResolvedAnchor,
    Roll,
    reprice,
    resolve_window,
    single_symbol,
)
from rotation.errors import AnchorError, ConfigError, DataError

PRICE_BASIS = "price"
TOTAL_RETURN_BASIS = "total return (adj_close)"


@dataclass(frozen=True)
class Measurement:
    """One symbol's move between two resolved anchors (``pct_change`` is a fraction)."""

    symbol: str
    start: ResolvedAnchor
    end: ResolvedAnchor
    pct_change: float
    points: float
    trading_days: int
    calendar_days: int
    basis: str


@dataclass(frozen=True)
class Spread:
    """Two symbols over the same window: ``spread = pct_a - pct_b`` and ``relative = (1+pct_a)/(1+pct_b) - 1``."""

    a: str
    b: str
    spread: float
    relative: float


@dataclass(frozen=True)
class Comparison:
    """Side-by-side measurements plus every pairwise spread (in the order the symbols were given).

    ``same_window`` is False when relative anchors (``ath``, ``low-since``...)
    landed on different dates for different symbols.
    """

    measurements: tuple[Measurement, ...]
    spreads: tuple[Spread, ...]
    basis: str
    same_window: bool


@dataclass(frozen=True)
class Drawdown:
    """How far a symbol stands below its all-time high as of a date.

    ``ath`` is the highest ``high`` up to ``as_of`` (made on ``ath_date``);
    ``pct_below = close / ath - 1`` (<= 0); ``low_since`` is the lowest ``low``
    on the sessions after the high (``None`` when the high is the as-of bar);
    ``max_drawdown = low_since / ath - 1``; ``trading_days`` counts sessions from
    the high to ``as_of``.
    """

    symbol: str
    as_of: date
    ath_date: date
    ath: float
    close: float
    pct_below: float
    low_since_date: date | None
    low_since: float | None
    max_drawdown: float | None
    trading_days: int
    calendar_days: int


def _index(frame: pl.DataFrame, day: date) -> int:
    return int(frame["date"].search_sorted(day, side="left"))


def measure(
    bars: pl.DataFrame,
    from_: str | Anchor,
    to: str | Anchor = "last",
    *,
    roll: Roll | None = None,
    as_of: date | None = None,
    total_return: bool = False,
) -> Measurement:
    """Percent change, points, trading and calendar days of one symbol between two anchors.

    ``to`` is resolved first (relative forms against ``as_of``, default the last
    bar), then ``from`` against ``to``'s date; no bar after ``to`` is read except
    to name the next session when a plain date is not a trading day.
    ``total_return=True`` reads ``adj_close`` on both resolved dates.
    """
    symbol, frame = single_symbol(bars)
    start, end = resolve_window(from_, to, frame, as_of=as_of, roll=roll)
    if total_return:
        start, end = reprice(start, frame, "adj_close"), reprice(end, frame, "adj_close")
    if start.price == 0:
        raise AnchorError(f"{symbol}: the from price is 0 on {start.date.isoformat()}; no percent change")
    return Measurement(
        symbol=symbol,
        start=start,
        end=end,
        pct_change=end.price / start.price - 1.0,
        points=end.price - start.price,
        trading_days=_index(frame, end.date) - _index(frame, start.date),
        calendar_days=(end.date - start.date).days,
        basis=TOTAL_RETURN_BASIS if total_return else PRICE_BASIS,
    )


def compare(
    bars: pl.DataFrame,
    from_: str | Anchor,
    to: str | Anchor = "last",
    *,
    symbols: Sequence[str] | None = None,
    total_return: bool = False,
    roll: Roll | None = None,
    as_of: date | None = None,
) -> Comparison:
    """The same window for several symbols side by side, with the spread of every pair.

    ``bars`` holds the symbols (long frame); ``symbols`` fixes their order
    (default: sorted).  Each symbol resolves the anchors on its own bars, so a
    plain-date window is the same for all; ``ath`` and other relative anchors
    may land on different dates (see ``same_window``).
    """
    if bars.is_empty() and not symbols:
        raise DataError("no bars to compare")
    present = [] if bars.is_empty() else bars["symbol"].unique().sort().to_list()
    order = list(dict.fromkeys(symbols)) if symbols else present
    if len(order) < 2:
        # a symbol against itself is a spread of zero by construction, not a comparison
        raise ConfigError(f"SYMBOLS: expected two or more different symbols to compare, got {', '.join(symbols or present)}")
    if bars.is_empty():
        raise DataError("no bars to compare")
    missing = [s for s in order if s not in present]
    if missing:
        raise DataError(f"no bars for {', '.join(missing)} in the frame given")
    parts = bars.partition_by("symbol", as_dict=True, maintain_order=True)
    results = tuple(
        measure(parts[(s,)], from_, to, roll=roll, as_of=as_of, total_return=total_return) for s in order
    )
    spreads = tuple(
        Spread(a.symbol, b.symbol, a.pct_change - b.pct_change, (1 + a.pct_change) / (1 + b.pct_change) - 1)
        for a, b in combinations(results, 2)
    )
    windows = {(m.start.date, m.end.date) for m in results}
    return Comparison(
        measurements=results,
        spreads=spreads,
        basis=TOTAL_RETURN_BASIS if total_return else PRICE_BASIS,
        same_window=len(windows) == 1,
    )


def drawdown_series(bars: pl.DataFrame) -> pl.DataFrame:
    """Per symbol and date: the running all-time high, its date, and ``drawdown = close / ath - 1``.

    Columns ``symbol, date, close, ath, ath_date, drawdown``.  Vectorized over
    symbols; each row uses only bars up to its own date (no look-ahead), and
    ``drawdown`` is never positive.  ``ath_date`` is the first bar at the
    maximum: a later bar that only ties it does not move the date.  The running high uses ``max(high, close)``
    so a bar with a missing or defective high still counts its close.
    """
    if bars.is_empty():
        return pl.DataFrame(
            schema={"symbol": pl.Utf8(), "date": pl.Date(), "close": pl.Float64(), "ath": pl.Float64(),
                    "ath_date": pl.Date(), "drawdown": pl.Float64()}
        )
    top = pl.max_horizontal(pl.col("high"), pl.col("close"))
    out = (
        bars.sort(["symbol", "date"])
        .with_columns(top.alias("_top"))
        .with_columns(pl.col("_top").cum_max().over("symbol").alias("ath"))
        .with_columns(pl.col("ath").forward_fill().over("symbol"))
        .with_columns(
            # The *first* bar at the maximum (a later tie keeps the earlier date), as the
            # ``ath`` anchor of ``measure --from ath`` resolves it.
            pl.when(
                (pl.col("_top") == pl.col("ath"))
                & (pl.col("ath").shift(1).over("symbol").is_null()
                   | (pl.col("_top") > pl.col("ath").shift(1).over("symbol")))
            ).then(pl.col("date")).otherwise(None)
            .forward_fill().over("symbol").alias("ath_date"),
            (pl.col("close") / pl.col("ath") - 1.0).clip(upper_bound=0.0).alias("drawdown"),
        )
    )
    return out.select("symbol", "date", "close", "ath", "ath_date", "drawdown")


def drawdown(bars: pl.DataFrame, as_of: date | None = None) -> Drawdown:
    """The all-time high (date, high) up to ``as_of``, the close, percent below, and the low since.

    ``as_of`` defaults to the last bar; a non-trading ``as_of`` uses the last bar
    before it.  Reads only bars on or before ``as_of``.
    """
    symbol, frame = single_symbol(bars)
    if as_of is not None:
        frame = frame.filter(pl.col("date") <= as_of)
        if frame.is_empty():
            raise AnchorError(
                f"as-of {as_of.isoformat()} is before {symbol}'s first bar ({bars['date'].min()!s})"
            )
    frame = frame.filter(pl.col("close").is_not_null() & pl.col("close").is_not_nan())
    if frame.is_empty():
        raise DataError(f"{symbol} has no close up to {as_of or 'the last bar'}")
    series = drawdown_series(frame)
    last = series.row(-1, named=True)
    ath_date: date = last["ath_date"]
    i_ath = _index(frame, ath_date)
    after = frame.slice(i_ath + 1)
    low_date: date | None = None
    low: float | None = None
    if not after.is_empty():
        pos = after["low"].fill_nan(None).arg_min()
        if pos is not None:
            low_date = after["date"][pos]
            low = min(float(after["low"][pos]), float(last["ath"]))
    ath = float(last["ath"])
    return Drawdown(
        symbol=symbol,
        as_of=last["date"],
        ath_date=ath_date,
        ath=ath,
        close=float(last["close"]),
        pct_below=float(last["drawdown"]),
        low_since_date=low_date,
        low_since=low,
        max_drawdown=None if low is None else low / ath - 1.0,
        trading_days=frame.height - 1 - i_ath,
        calendar_days=(last["date"] - ath_date).days,
    )
