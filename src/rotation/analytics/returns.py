"""Returns and trailing-window statistics on wide close matrices (dates x symbols).

Everything here works on a 2-D float array ``values[t, j]`` (row = session,
column = symbol) with ``NaN`` for a missing price, so a whole universe is one
call.  Windows count rows (sessions), not calendar days.  Every statistic at
row ``t`` uses rows ``<= t`` only: appending rows never changes earlier output.

* :func:`window_returns`: ``P[t] / P[t - lag] - 1`` (fractions), on whatever
  price field the caller passes (``adj_close`` for returns and relative strength).
* :func:`rolling`: one trailing-window helper for ``mean``, ``std``, ``sum``,
  ``min`` and ``max``; the window is strict (a ``NaN`` inside it gives ``NaN``),
  which is what pandas' ``rolling(n)`` does with its default ``min_periods``.
* :func:`ffill`: carry the last price over short gaps (a holiday in one
  vendor's file), never over more than ``limit`` rows.
* :func:`wide_matrix`: a Polars wide frame -> ``(dates, symbols, array)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Literal

import numpy as np
import polars as pl

from rotation.errors import DataError

RollingStat = Literal["mean", "std", "sum", "min", "max"]

# Named windows of the leadership table, in sessions.  "ytd" is handled apart.
WINDOWS: dict[str, int] = {"1d": 1, "1w": 5, "1m": 21, "3m": 63, "6m": 126, "1y": 252}


def wide_matrix(frame: pl.DataFrame, symbols: Sequence[str] | None = None) -> tuple[list[date], list[str], np.ndarray]:
    """``date`` + one column per symbol -> ``(dates, symbols, float64 array [date, symbol])``.

    Nulls become ``NaN``; rows are sorted by date; a missing ``date`` column or a
    non-numeric column is a :class:`DataError`.
    """
    if "date" not in frame.columns:
        raise DataError(f"expected a wide frame with a 'date' column, got columns {frame.columns}")
    frame = frame.sort("date")
    names = [c for c in frame.columns if c != "date"] if symbols is None else list(symbols)
    missing = [s for s in names if s not in frame.columns]
    if missing:
        raise DataError(f"wide frame has no column for {', '.join(missing)}")
    for name in names:
        if not frame.schema[name].is_numeric():
            raise DataError(f"column {name!r} is {frame.schema[name]}, expected numbers")
    if not names:
        return frame["date"].to_list(), [], np.empty((frame.height, 0))
    unique = list(dict.fromkeys(names))  # a symbol may appear twice (in two pairs)
    arr = frame.select([pl.col(n).cast(pl.Float64).fill_null(float("nan")) for n in unique]).to_numpy()
    if len(unique) != len(names):
        arr = arr[:, [unique.index(n) for n in names]]
    return frame["date"].to_list(), names, np.ascontiguousarray(arr, dtype=np.float64)


def shift(values: np.ndarray, lag: int) -> np.ndarray:
    """Rows moved down by ``lag`` (``lag > 0``: row t holds row t - lag), ``NaN`` filled."""
    out = np.full_like(values, np.nan, dtype=np.float64)
    if lag == 0:
        out[...] = values
    elif lag > 0:
        if lag < values.shape[0]:
            out[lag:] = values[:-lag]
    else:
        if -lag < values.shape[0]:
            out[:lag] = values[-lag:]
    return out


def window_returns(prices: np.ndarray, lag: int) -> np.ndarray:
    """Simple return over ``lag`` rows: ``P[t] / P[t - lag] - 1`` (fraction; NaN when either is missing)."""
    if lag < 1:
        raise DataError(f"return window must be at least 1 session, got {lag}")
    with np.errstate(divide="ignore", invalid="ignore"):
        return prices / shift(prices, lag) - 1.0


def ffill(values: np.ndarray, limit: int | None = None) -> np.ndarray:
    """Forward-fill ``NaN`` down each column, over at most ``limit`` rows (``None``: no limit).

    Only past values are carried, so this never looks ahead.  Leading ``NaN``
    (before a symbol's first price) stay ``NaN``.
    """
    if values.size == 0:
        return values.copy()
    n = values.shape[0]
    rows = np.arange(n)[:, None] if values.ndim == 2 else np.arange(n)
    valid = ~np.isnan(values)
    last = np.where(valid, rows, -1)
    np.maximum.accumulate(last, axis=0, out=last)
    filled = np.take_along_axis(values, np.maximum(last, 0), axis=0) if values.ndim == 2 else values[np.maximum(last, 0)]
    keep = last >= 0
    if limit is not None:
        keep &= (rows - last) <= limit
    return np.where(keep, filled, np.nan)


def _window_sums(values: np.ndarray, window: int, power: int) -> tuple[np.ndarray, np.ndarray]:
    """Trailing sums of ``values**power`` and counts of non-NaN values over ``window`` rows."""
    valid = ~np.isnan(values)
    x = np.where(valid, values, 0.0)
    if power == 2:
        x = x * x
    pad = np.zeros((1, *values.shape[1:]))
    csum = np.concatenate([pad, np.cumsum(x, axis=0)])
    ccnt = np.concatenate([pad, np.cumsum(valid, axis=0, dtype=np.float64)])
    s = csum[window:] - csum[:-window]
    c = ccnt[window:] - ccnt[:-window]
    return s, c


def rolling(values: np.ndarray, window: int, stat: RollingStat = "mean") -> np.ndarray:
    """Trailing ``stat`` over the last ``window`` rows (row t uses rows t-window+1..t).

    Output rows before the first full window, and windows containing a ``NaN``,
    are ``NaN``.  ``std`` is the sample standard deviation (``ddof=1``), as in
    pandas.  Columns are centred on their first value before summing so that the
    running sums stay small (better precision; the statistics do not change).
    """
    if window < 1:
        raise DataError(f"rolling window must be at least 1 row, got {window}")
    if stat == "std" and window < 2:
        raise DataError("a rolling standard deviation needs a window of at least 2 rows")
    values = np.asarray(values, dtype=np.float64)
    n = values.shape[0]
    out = np.full(values.shape, np.nan)
    if n < window:
        return out
    if stat in ("min", "max"):
        view = np.lib.stride_tricks.sliding_window_view(values, window, axis=0)
        red = view.max(axis=-1) if stat == "max" else view.min(axis=-1)  # NaN propagates: strict window
        out[window - 1 :] = red
        return out
    first = _first_valid(values)
    centred = values - first
    s, c = _window_sums(centred, window, 1)
    full = c == window
    with np.errstate(invalid="ignore", divide="ignore"):
        if stat == "sum":
            res = s + window * first
        elif stat == "mean":
            res = s / window + first
        elif stat == "std":
            s2, _ = _window_sums(centred, window, 2)
            var = (s2 - s * s / window) / (window - 1)
            res = np.sqrt(np.maximum(var, 0.0))
        else:
            raise DataError(f"unknown rolling statistic {stat!r}: expected mean, std, sum, min or max")
    out[window - 1 :] = np.where(full, res, np.nan)
    return out


def _first_valid(values: np.ndarray) -> np.ndarray:
    """Each column's first non-NaN value (0 where the column is all NaN), shaped to broadcast."""
    valid = ~np.isnan(values)
    idx = valid.argmax(axis=0)
    first = np.take_along_axis(values, np.expand_dims(idx, 0), axis=0)[0]
    return np.where(valid.any(axis=0), first, 0.0)


def last_row_at_or_before(dates: Sequence[date], day: date) -> int:
    """Index of the last date ``<= day`` (dates ascending); a :class:`DataError` if none."""
    arr = np.array(dates, dtype="datetime64[D]")
    idx = int(np.searchsorted(arr, np.datetime64(day, "D"), side="right")) - 1
    if idx < 0:
        raise DataError(f"no data on or before {day.isoformat()} (first date {dates[0] if dates else 'none'})")
    return idx


def repeat_labels(labels: Sequence[str], each: int) -> pl.Series:
    """``[l0]*each + [l1]*each + ...`` as a string Series (the symbol column of a long frame)."""
    return pl.Series(list(labels), dtype=pl.Utf8).gather(np.repeat(np.arange(len(labels)), each))
