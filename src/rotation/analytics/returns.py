"""Returns and trailing-window statistics on wide close matrices (dates x symbols).

Everything here works on a 2-D float array ``values[t, j]`` (row = session,
column = symbol) with ``NaN`` for a missing price, so a whole universe is one
call.  Windows count rows (sessions), not calendar days.  Every statistic at
row ``t`` uses rows ``<= t`` only: appending rows never changes earlier output.

* :func:`window_returns`: ``P[t] / P[t - lag] - 1`` (fractions), on whatever
  price field the caller passes (``adj_close`` for returns and relative strength).
* :func:`rolling`: one trailing-window helper for ``mean``, ``std``, ``sum``,
  ``min`` and ``max`` (:func:`rolling_moments` gives mean and std in one pass);
  the window is strict (a ``NaN`` inside it gives ``NaN``), which is what
  pandas' ``rolling(n)`` does with its default ``min_periods``.  Mean/std/sum
  are one numba sweep down the rows (cache-friendly on a C-ordered matrix).
* :func:`ffill`: carry the last price over short gaps (a holiday in one
  vendor's file), never over more than ``limit`` rows.
* :func:`wide_matrix`: a Polars wide frame -> ``(dates, symbols, array)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Literal

import numba
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
    arr = np.asarray(values, dtype=np.float64)
    if arr.size == 0:
        return arr.copy()
    two_d = np.ascontiguousarray(arr.reshape(arr.shape[0], int(np.prod(arr.shape[1:]))))
    out = _ffill_rows(two_d, -1 if limit is None else int(limit))
    return out.reshape(arr.shape)


@numba.njit(cache=True)
def _ffill_rows(values: np.ndarray, limit: int) -> np.ndarray:  # pragma: no cover - compiled
    n_rows, n_cols = values.shape
    out = np.empty_like(values)
    last = np.full(n_cols, np.nan)
    age = np.zeros(n_cols, dtype=np.int64)
    for t in range(n_rows):
        for j in range(n_cols):
            v = values[t, j]
            if not np.isnan(v):
                last[j] = v
                age[j] = 0
                out[t, j] = v
            else:
                age[j] += 1
                out[t, j] = last[j] if (limit < 0 or age[j] <= limit) else np.nan
    return out


@numba.njit(cache=True)
def _rolling_moments(values: np.ndarray, window: int, want_std: bool) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
    """Trailing mean and sample std of each column over ``window`` rows, one sweep down the rows.

    Strict window: any NaN inside gives NaN.  Values are centred on each
    column's first value before summing (small running sums, better precision);
    a window of identical values has std exactly 0 (as in pandas).  Without
    ``want_std`` the std array is empty (saves a pass and the memory).
    """
    n_rows, n_cols = values.shape
    mean = np.full((n_rows, n_cols), np.nan)
    std = np.full((n_rows if want_std else 0, n_cols), np.nan)
    centre = np.full(n_cols, np.nan)
    s1 = np.zeros(n_cols)
    s2 = np.zeros(n_cols)
    nans = np.zeros(n_cols, dtype=np.int64)  # NaN inside the current window
    run = np.zeros(n_cols, dtype=np.int64)  # length of the current run of equal values
    for t in range(n_rows):
        for j in range(n_cols):
            v = values[t, j]
            if np.isnan(v):
                nans[j] += 1
                run[j] = 0
            else:
                if np.isnan(centre[j]):
                    centre[j] = v
                d = v - centre[j]
                s1[j] += d
                s2[j] += d * d
                if t > 0 and values[t - 1, j] == v:
                    run[j] += 1
                else:
                    run[j] = 1
            if t >= window:
                old = values[t - window, j]
                if np.isnan(old):
                    nans[j] -= 1
                else:
                    d = old - centre[j]
                    s1[j] -= d
                    s2[j] -= d * d
            if t >= window - 1 and nans[j] == 0:
                if run[j] >= window:  # constant window: exact values, no rounding residue
                    mean[t, j] = v
                    if want_std:
                        std[t, j] = 0.0
                else:
                    m = s1[j] / window
                    mean[t, j] = m + centre[j]
                    if want_std and window > 1:
                        var = (s2[j] - s1[j] * m) / (window - 1)
                        std[t, j] = np.sqrt(var) if var > 0 else 0.0
    return mean, std


def rolling_moments(values: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Trailing mean and sample std (``ddof=1``) over ``window`` rows, in one pass."""
    return _moments(values, window, True)


def _moments(values: np.ndarray, window: int, want_std: bool) -> tuple[np.ndarray, np.ndarray]:
    if window < 1:
        raise DataError(f"rolling window must be at least 1 row, got {window}")
    arr = np.asarray(values, dtype=np.float64)
    two_d = np.ascontiguousarray(arr.reshape(arr.shape[0], int(np.prod(arr.shape[1:]))))
    mean, std = _rolling_moments(two_d, int(window), want_std)
    return mean.reshape(arr.shape), (std.reshape(arr.shape) if want_std else std)


def rolling(values: np.ndarray, window: int, stat: RollingStat = "mean") -> np.ndarray:
    """Trailing ``stat`` over the last ``window`` rows (row t uses rows t-window+1..t).

    Output rows before the first full window, and windows containing a ``NaN``,
    are ``NaN`` (pandas' ``rolling(window)`` with its default ``min_periods``).
    ``std`` is the sample standard deviation (``ddof=1``).
    """
    if window < 1:
        raise DataError(f"rolling window must be at least 1 row, got {window}")
    if stat == "std" and window < 2:
        raise DataError("a rolling standard deviation needs a window of at least 2 rows")
    values = np.asarray(values, dtype=np.float64)
    if stat in ("min", "max"):
        out = np.full(values.shape, np.nan)
        if values.shape[0] < window:
            return out
        view = np.lib.stride_tricks.sliding_window_view(values, window, axis=0)
        out[window - 1 :] = view.max(axis=-1) if stat == "max" else view.min(axis=-1)  # NaN propagates
        return out
    if stat not in ("mean", "std", "sum"):
        raise DataError(f"unknown rolling statistic {stat!r}: expected mean, std, sum, min or max")
    mean, std = _moments(values, window, stat == "std")
    if stat == "std":
        return std
    return mean * window if stat == "sum" else mean


@numba.njit(cache=True, nogil=True)
def _series_parts(values):  # pragma: no cover - compiled
    """What :func:`_rolling_moments` derives from a series whatever the window: its centre (first
    value), the centred values (0 where NaN: adding it changes no sum), the last NaN row up to
    each row, and the length of the run of equal values ending at each row."""
    n = values.shape[0]
    centre = np.nan
    for t in range(n):
        if not np.isnan(values[t]):
            centre = values[t]
            break
    dv = np.empty(n)
    lastnan = np.empty(n, dtype=np.int64)
    run = np.empty(n, dtype=np.int64)
    ln = -1
    r = 0
    for t in range(n):
        v = values[t]
        if np.isnan(v):
            dv[t] = 0.0
            ln = t
            r = 0
        else:
            dv[t] = v - centre
            r = r + 1 if (t > 0 and values[t - 1] == v) else 1
        lastnan[t] = ln
        run[t] = r
    return centre, dv, lastnan, run


@numba.njit(cache=True, nogil=True, parallel=True)
def _rolling_means_at(values, windows, rows, out):  # pragma: no cover - compiled
    """The mean arithmetic of :func:`_rolling_moments` (centred running sum, add then drop, a
    constant run exact) for many windows, rows outer and windows inner (independent sums, no
    chain of additions to wait on), eight windows to a task; ``out[window, k]`` is the mean at
    row ``rows[k]``.  Dropping a row before the first is dropping 0.0 (no change to a sum)."""
    nw = windows.shape[0]
    m = rows.shape[0]
    centre, dv, lastnan, run = _series_parts(values)
    last = rows[m - 1]
    pad = max(windows.max(), 0)
    dvp = np.zeros(pad + dv.shape[0])  # dv behind ``pad`` zeros: row t - w is dvp[t + pad - w]
    dvp[pad:] = dv
    groups = (nw + 7) // 8
    for gi in numba.prange(groups):
        lo = gi * 8
        hi = min(nw, lo + 8)
        s1 = np.zeros(hi - lo)
        back = pad - windows[lo:hi]
        k = 0
        while k < m and rows[k] < 0:
            for i in range(lo, hi):
                out[i, k] = np.nan
            k += 1
        for t in range(last + 1):
            x = dv[t]
            for i in range(hi - lo):
                s1[i] = (s1[i] + x) - dvp[t + back[i]]
            while k < m and rows[k] == t:
                v = values[t]
                for i in range(lo, hi):
                    w = windows[i]
                    if t >= w - 1 and lastnan[t] <= t - w:  # a full window without a NaN
                        out[i, k] = v if run[t] >= w else s1[i - lo] / w + centre
                    else:
                        out[i, k] = np.nan
                k += 1


def rolling_means(values: np.ndarray, windows: Sequence[int], rows: np.ndarray | None = None) -> np.ndarray:
    """Trailing means of one series for many windows at once: ``[window, row]``.

    Bit for bit ``rolling(values, w, "mean")`` for each ``w`` (the same arithmetic, in one
    compiled call); window 1 is the series itself.  ``rows``
    (ascending row numbers, -1 for "none": NaN) picks the rows wanted, in that order; default
    all rows.  Used by the pair-switch signal, in single runs and sweeps alike.
    """
    arr = np.ascontiguousarray(np.asarray(values, dtype=np.float64).reshape(-1))
    ws = np.asarray(list(windows), dtype=np.int64).reshape(-1)
    if ws.size and int(ws.min()) < 1:
        raise DataError(f"rolling window must be at least 1 row, got {int(ws.min())}")
    at = np.arange(arr.shape[0], dtype=np.int64) if rows is None else np.ascontiguousarray(rows, dtype=np.int64)
    if at.size and (bool((np.diff(at) < 0).any()) or int(at[-1]) >= arr.shape[0]):
        raise DataError(f"rows: expected ascending row numbers below {arr.shape[0]}")
    out = np.empty((ws.size, at.size))
    if ws.size and at.size:
        _rolling_means_at(arr, ws, at, out)
    return out


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
