"""Relative Rotation Graph (RRG): RS-Ratio and RS-Momentum around 100, quadrants, tails.

There is no public standard formula (StockCharts' JdK indicators are
proprietary).  Ours, on ``adj_close``, for symbol ``P`` against benchmark ``B``
with windows ``n`` (ratio), ``s`` (smoothing) and ``m`` (momentum), in bars
(sessions for ``freq="daily"``, weeks for ``freq="weekly"``)::

    x[t]           = ln(P[t] / B[t])                            # log relative strength
    z[t]           = (x[t] - mean(x[t-n+1..t])) / std(x[t-n+1..t])   # sample std, ddof=1
    RS-Ratio[t]    = 100 + mean(z[t-s+1..t])                     # z smoothed over s bars
    RS-Momentum[t] = 100 + RS-Ratio[t] - RS-Ratio[t-m]           # change of RS-Ratio over m bars

* Look-ahead free: every term uses bars ``<= t`` only, so appending later bars
  never changes earlier values (no full-sample normalisation).
* Scale invariant: multiplying ``P`` or ``B`` by a constant adds a constant to
  ``x``, which cancels in ``x - mean`` and leaves ``std`` unchanged.
* Both axes are in standard-deviation units of the symbol's own log-RS over the
  last ``n`` bars, so a volatile sector and a quiet one share one chart.
* When ``std`` is exactly 0 (the symbol is the benchmark) ``z`` is 0.
* Prices are forward-filled over at most ``FFILL_LIMIT`` bars (a holiday in one
  vendor file), never further; a window with a missing value gives no point.
* Weekly bars are the last session of each week (Monday-Sunday); the current,
  unfinished week is represented by its latest session.

Quadrants: ``leading`` (ratio >= 100, momentum >= 100), ``weakening`` (ratio >=
100, momentum < 100), ``lagging`` (both < 100), ``improving`` (ratio < 100,
momentum >= 100).  Heading is the direction of the last step in degrees
(0 = east, ratio rising; 90 = north, momentum rising; counter-clockwise, 0-360).
A healthy rotation runs clockwise: improving -> leading -> weakening -> lagging.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
import polars as pl

from rotation.analytics.returns import ffill, repeat_labels, rolling, rolling_moments, shift, wide_matrix
from rotation.errors import DataError

Freq = Literal["daily", "weekly"]
QUADRANTS: tuple[str, ...] = ("leading", "weakening", "lagging", "improving")
FFILL_LIMIT = 5

# Default windows per frequency: (ratio window n, smoothing s, momentum m), in bars.
DEFAULT_WINDOWS: dict[str, tuple[int, int, int]] = {"daily": (63, 5, 10), "weekly": (26, 1, 4)}


@dataclass(frozen=True)
class RrgParams:
    """RRG windows in bars: ``window`` n (z-score of log RS), ``smooth`` s, ``momentum`` m."""

    freq: Freq = "daily"
    window: int = 63
    smooth: int = 5
    momentum: int = 10

    def __post_init__(self) -> None:
        if self.freq not in DEFAULT_WINDOWS:
            raise DataError(f"unknown RRG frequency {self.freq!r}: expected daily or weekly")
        if self.window < 3 or self.smooth < 1 or self.momentum < 1:
            raise DataError(
                f"RRG windows must be window >= 3, smooth >= 1, momentum >= 1; got {self.window}, "
                f"{self.smooth}, {self.momentum}"
            )

    @classmethod
    def for_freq(
        cls, freq: str = "daily", window: int | None = None, smooth: int | None = None, momentum: int | None = None
    ) -> RrgParams:
        """The defaults of ``freq`` with any window overridden."""
        if freq not in DEFAULT_WINDOWS:
            raise DataError(f"unknown RRG frequency {freq!r}: expected daily or weekly")
        n, s, m = DEFAULT_WINDOWS[freq]
        # `is None`, not `or`: an explicit 0 is refused below, never replaced by the default.
        return cls(freq=freq, window=n if window is None else window,  # type: ignore[arg-type]
                   smooth=s if smooth is None else smooth, momentum=m if momentum is None else momentum)

    @property
    def warmup(self) -> int:
        """Bars needed before the first full point."""
        return self.window + self.smooth - 1 + self.momentum


@dataclass(frozen=True)
class RrgPoint:
    """One symbol on the graph at ``date``, with its tail (oldest first, ending at ``date``)."""

    symbol: str
    date: dt.date
    rs_ratio: float
    rs_momentum: float
    quadrant: str
    heading: float
    tail: tuple[tuple[dt.date, float, float], ...]


def week_end_rows(dates: Sequence[date]) -> np.ndarray:
    """Row indices of the last session of each Monday-Sunday week (the last row always included)."""
    if not dates:
        return np.zeros(0, dtype=np.int64)
    days = np.array(dates, dtype="datetime64[D]").astype(np.int64)
    week = (days + 3) // 7  # 1970-01-01 was a Thursday: +3 makes weeks start on Monday
    last = np.append(week[1:] != week[:-1], True)
    return np.flatnonzero(last)


def rrg_arrays(prices: np.ndarray, bench: np.ndarray, params: RrgParams) -> tuple[np.ndarray, np.ndarray]:
    """RS-Ratio and RS-Momentum arrays ``[bar, symbol]`` from price bars and the benchmark's.

    ``prices`` is ``[bar, symbol]``, ``bench`` is ``[bar]`` (same rows, already
    sampled at the wanted frequency).  See the module docstring for the formula.
    """
    p = ffill(np.asarray(prices, dtype=np.float64), FFILL_LIMIT)
    b = ffill(np.asarray(bench, dtype=np.float64).reshape(-1), FFILL_LIMIT)
    # in-place steps: the panel can be thousands of symbols x decades of days
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.divide(p, b[:, None], out=p)
        np.log(x, out=x)
    x[~np.isfinite(x)] = np.nan
    mean, std = rolling_moments(x, params.window)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.subtract(x, mean, out=mean)
        np.divide(z, std, out=z)
    z[std == 0] = 0.0  # RS constant over the window: on its own mean
    ratio = rolling(z, params.smooth, "mean") if params.smooth > 1 else z
    ratio += 100.0
    momentum = shift(ratio, params.momentum)
    np.subtract(ratio, momentum, out=momentum)
    momentum += 100.0
    return ratio, momentum


def quadrant_codes(ratio: np.ndarray, momentum: np.ndarray) -> np.ndarray:
    """0 leading, 1 weakening, 2 lagging, 3 improving, -1 where either value is missing."""
    code = np.full(ratio.shape, 2, dtype=np.int8)  # lagging
    up_r = ratio >= 100.0
    up_m = momentum >= 100.0
    code[up_r & up_m] = 0
    code[up_r & ~up_m] = 1
    code[~up_r & up_m] = 3
    code[np.isnan(ratio) | np.isnan(momentum)] = -1
    return code


def headings(ratio: np.ndarray, momentum: np.ndarray) -> np.ndarray:
    """Direction of each step from the previous bar, degrees in [0, 360) (0 = ratio rising)."""
    dr = np.full(ratio.shape, np.nan)
    dm = np.full(momentum.shape, np.nan)
    np.subtract(ratio[1:], ratio[:-1], out=dr[1:])
    np.subtract(momentum[1:], momentum[:-1], out=dm[1:])
    out = np.arctan2(dm, dr, out=dm)
    np.degrees(out, out=out)
    return np.mod(out, 360.0, out=out)


def _sample(closes: pl.DataFrame, benchmark: str, symbols: Sequence[str] | None, freq: str):
    bench = benchmark
    if bench not in closes.columns:
        raise DataError(f"benchmark {bench!r} is not a column of the closes frame")
    names = [c for c in closes.columns if c not in ("date", bench)] if symbols is None else list(symbols)
    dates, names, mat = wide_matrix(closes, names)
    _, _, bmat = wide_matrix(closes, [bench])
    if freq == "weekly":
        rows = week_end_rows(dates)
        dates = [dates[i] for i in rows]
        mat, bmat = mat[rows], bmat[rows]
    return dates, names, mat, bmat[:, 0]


def rrg(
    closes: pl.DataFrame,
    benchmark: str,
    symbols: Sequence[str] | None = None,
    params: RrgParams | None = None,
) -> pl.DataFrame:
    """RRG history of every symbol against ``benchmark``, one vectorized pass.

    ``closes`` is a wide ``adj_close`` frame (``date`` + one column per symbol,
    including the benchmark).  Returns a long frame ``date, symbol, rs, rs_ratio,
    rs_momentum, quadrant, heading`` (``rs`` = 100 * P / B, rows before the
    warm-up have null ratio/momentum), sorted by symbol then date.
    """
    params = params or RrgParams()
    dates, names, mat, bench = _sample(closes, benchmark, symbols, params.freq)
    ratio, mom = rrg_arrays(mat, bench, params)
    code = quadrant_codes(ratio, mom)
    head = headings(ratio, mom)
    with np.errstate(divide="ignore", invalid="ignore"):
        rs = 100.0 * ffill(mat, FFILL_LIMIT) / ffill(bench, FFILL_LIMIT)[:, None]
    n_rows, n_sym = mat.shape
    frame = pl.DataFrame(
        {
            "date": pl.Series(np.tile(np.array(dates, dtype="datetime64[D]"), n_sym)).cast(pl.Date),
            "symbol": repeat_labels(names, n_rows),
            "rs": rs.T.reshape(-1),
            "rs_ratio": ratio.T.reshape(-1),
            "rs_momentum": mom.T.reshape(-1),
            "quadrant": pl.Series([*QUADRANTS, None], dtype=pl.Utf8).gather(np.where(code < 0, 4, code).T.reshape(-1)),
            "heading": head.T.reshape(-1),
        },
    )
    return frame.with_columns(pl.col(c).fill_nan(None) for c in ("rs", "rs_ratio", "rs_momentum", "heading"))


def rrg_snapshot(history: pl.DataFrame, as_of: date | None = None, tail: int = 10) -> list[RrgPoint]:
    """Each symbol's latest point on or before ``as_of`` with a tail of up to ``tail`` points.

    ``history`` is the output of :func:`rrg`.  Symbols without a point yet are
    left out.  Sorted by quadrant (leading first), then RS-Ratio descending.
    """
    if tail < 1:
        raise DataError(f"RRG tail: expected at least 1 point per symbol, got {tail}")
    frame = history.drop_nulls(["rs_ratio", "rs_momentum"])
    if as_of is not None:
        frame = frame.filter(pl.col("date") <= as_of)
    if frame.is_empty():
        return []
    last = frame.group_by("symbol").agg(pl.col("date").max().alias("last"))
    # A symbol whose data stopped long ago is not "on the graph" today.
    newest = last["last"].max()
    frame = frame.join(last.filter(pl.col("last") == newest), on="symbol", how="semi")
    tails = frame.sort("symbol", "date").group_by("symbol", maintain_order=True).tail(tail)
    points: list[RrgPoint] = []
    for sym, grp in tails.group_by("symbol", maintain_order=True):
        rows = grp.rows(named=True)
        end = rows[-1]
        points.append(
            RrgPoint(
                symbol=str(sym[0]),
                date=end["date"],
                rs_ratio=end["rs_ratio"],
                rs_momentum=end["rs_momentum"],
                quadrant=end["quadrant"],
                heading=end["heading"] if end["heading"] is not None else float("nan"),
                tail=tuple((r["date"], r["rs_ratio"], r["rs_momentum"]) for r in rows),
            )
        )
    order = {q: i for i, q in enumerate(QUADRANTS)}
    points.sort(key=lambda p: (order[p.quadrant], -p.rs_ratio))
    return points


def quadrant_transitions(
    history: pl.DataFrame, start: date | None = None, end: date | None = None
) -> pl.DataFrame:
    """Quadrant changes as events: ``date, symbol, from_quadrant, to_quadrant, rs_ratio, rs_momentum``.

    A transition is a bar whose quadrant differs from the symbol's previous bar
    (both known).  ``start``/``end`` filter the event dates (inclusive).
    """
    frame = (
        history.sort("symbol", "date")
        .with_columns(pl.col("quadrant").shift(1).over("symbol").alias("from_quadrant"))
        .filter(
            pl.col("quadrant").is_not_null()
            & pl.col("from_quadrant").is_not_null()
            & (pl.col("quadrant") != pl.col("from_quadrant"))
        )
    )
    if start is not None:
        frame = frame.filter(pl.col("date") >= start)
    if end is not None:
        frame = frame.filter(pl.col("date") <= end)
    return frame.select(
        "date", "symbol", "from_quadrant", pl.col("quadrant").alias("to_quadrant"), "rs_ratio", "rs_momentum"
    ).sort("date", "symbol")
