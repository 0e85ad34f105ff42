"""Relative strength: ratio lines A/B, equal-weight baskets, and the leadership table.

All on ``adj_close`` (split- and dividend-adjusted) unless a function says
otherwise; returns are fractions.  Ratio levels from different vendor files are
not comparable, so a ratio line is rebased to 100 on its first common date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl
import polars.selectors as cs

from rotation.analytics.returns import (
    WINDOWS,
    ffill,
    last_row_at_or_before,
    rolling,
    shift,
    wide_matrix,
    window_returns,
)
from rotation.errors import DataError

LEADER_WINDOWS: tuple[str, ...] = ("1d", "1w", "1m", "3m", "6m", "ytd", "1y")
HIGH_WINDOW = 252  # the "52-week" high, in sessions
LEADER_FFILL = 5  # carry a price over at most this many missing sessions


@dataclass(frozen=True)
class RatioSummary:
    """The state of a ratio line A/B at its last date (fractions; ratio rebased to 100 at ``start``)."""

    a: str
    b: str
    start: date
    end: date
    sessions: int
    return_a: float
    return_b: float
    spread: float
    ratio: float
    ratio_change: float
    ma_fast: float | None
    ma_slow: float | None
    slope: float | None
    fast: int
    slow: int
    slope_window: int

    @property
    def above_fast(self) -> bool | None:
        return None if self.ma_fast is None else self.ratio > self.ma_fast

    @property
    def above_slow(self) -> bool | None:
        return None if self.ma_slow is None else self.ratio > self.ma_slow

    @property
    def trend(self) -> str:
        """``A leading`` / ``B leading`` / ``mixed``, from the ratio against both moving averages."""
        if self.above_fast is None or self.above_slow is None:
            return "not enough history"
        if self.above_fast and self.above_slow:
            return f"{self.a} leading"
        if not self.above_fast and not self.above_slow:
            return f"{self.b} leading"
        return "mixed"


def equal_weight_basket(closes: pl.DataFrame, symbols: Sequence[str] | None = None, base: float = 100.0) -> pl.DataFrame:
    """An equal-weighted, daily-rebalanced basket: ``date, level, members``.

    Each session's basket return is the mean of the members' daily ``adj_close``
    returns that day (members without a price that day or the day before are
    left out of that day's mean; a member joins when its data starts).  The
    level starts at ``base`` on the first date and compounds.
    """
    dates, names, mat = wide_matrix(closes, symbols)
    if not names:
        raise DataError("an equal-weight basket needs at least one member")
    if not dates:
        return pl.DataFrame(schema={"date": pl.Date, "level": pl.Float64, "members": pl.Int64})
    daily = window_returns(mat, 1)
    members = np.sum(~np.isnan(daily), axis=1)
    with np.errstate(invalid="ignore"):
        mean = np.where(members > 0, np.nansum(daily, axis=1) / np.maximum(members, 1), np.nan)
    have = ~np.isnan(mat).all(axis=1)
    start = int(np.argmax(have)) if have.any() else len(dates)
    growth = np.where(np.isnan(mean), 0.0, mean)
    growth[: start + 1] = 0.0
    level = base * np.cumprod(1.0 + growth)
    level[:start] = np.nan
    return pl.DataFrame(
        {"date": dates, "level": level, "members": np.sum(~np.isnan(mat), axis=1).astype(np.int64)},
        schema={"date": pl.Date, "level": pl.Float64, "members": pl.Int64},
    ).with_columns(pl.col("level").fill_nan(None))


def ratio_line(
    closes: pl.DataFrame,
    a: str,
    b: str,
    fast: int = 50,
    slow: int = 200,
    slope_window: int = 20,
    start: date | None = None,
) -> pl.DataFrame:
    """The ratio line A/B with its moving averages, slope and cumulative return spread.

    ``closes``: wide ``adj_close`` frame with columns ``a`` and ``b``.  Only
    dates where both have a price are used.  Columns: ``date, a, b, ratio`` (100
    * (A/A0) / (B/B0), where 0 is the first date on or after ``start``),
    ``ma_fast``/``ma_slow`` (simple moving averages of the ratio over
    ``fast``/``slow`` sessions), ``slope`` (change of the ratio over the last
    ``slope_window`` sessions, fraction), ``return_a``/``return_b`` (cumulative
    from the first date) and ``spread`` = ``return_a - return_b``.  Rows before
    ``start`` are used only to warm up the averages and the slope (rebasing is
    a constant factor, so it does not change them), then dropped.
    """
    for name in (a, b):
        if name not in closes.columns:
            raise DataError(f"no column {name!r} in the closes frame (columns: {', '.join(closes.columns)})")
    if a == b:
        raise DataError(f"ratio {a}/{b}: expected two different operands")
    if min(fast, slow, slope_window) < 1 or fast >= slow:
        raise DataError(f"ratio windows: expected 1 <= fast < slow and slope window >= 1, got fast {fast}, "
                        f"slow {slow}, slope window {slope_window}")
    both = closes.select("date", pl.col(a).alias("a"), pl.col(b).alias("b")).drop_nulls().sort("date")
    both = both.filter(pl.col("a").is_not_nan() & pl.col("b").is_not_nan())
    base = 0 if start is None else int((both["date"] < start).sum())
    if base >= both.height:
        return both.head(0).with_columns(
            [pl.lit(None, pl.Float64).alias(c) for c in ("ratio", "ma_fast", "ma_slow", "slope", "return_a",
                                                          "return_b", "spread")]
        )
    ra = both["a"].to_numpy() / both["a"][base]
    rb = both["b"].to_numpy() / both["b"][base]
    ratio = 100.0 * ra / rb
    col = ratio.reshape(-1, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = (ratio / shift(col, slope_window)[:, 0]) - 1.0
    line = both.with_columns(
        pl.Series("ratio", ratio),
        pl.Series("ma_fast", rolling(col, fast, "mean")[:, 0]),
        pl.Series("ma_slow", rolling(col, slow, "mean")[:, 0]),
        pl.Series("slope", slope),
        pl.Series("return_a", ra - 1.0),
        pl.Series("return_b", rb - 1.0),
        pl.Series("spread", ra - rb),
    ).with_columns(pl.col("ma_fast", "ma_slow", "slope").fill_nan(None))
    return line.slice(base)


def ratio_summary(line: pl.DataFrame, a: str, b: str, fast: int = 50, slow: int = 200, slope_window: int = 20) -> RatioSummary:
    """The last row of :func:`ratio_line` as a :class:`RatioSummary`."""
    if line.is_empty():
        raise DataError(f"{a} and {b} have no date in common in the range asked")
    last = line.row(-1, named=True)
    return RatioSummary(
        a=a,
        b=b,
        start=line["date"][0],
        end=last["date"],
        sessions=line.height,
        return_a=last["return_a"],
        return_b=last["return_b"],
        spread=last["spread"],
        ratio=last["ratio"],
        ratio_change=last["ratio"] / 100.0 - 1.0,
        ma_fast=last["ma_fast"],
        ma_slow=last["ma_slow"],
        slope=last["slope"],
        fast=fast,
        slow=slow,
        slope_window=slope_window,
    )


def _window_base_rows(dates: Sequence[date], row: int) -> dict[str, int]:
    """Row index each leadership window compares against (``-1``: not enough history)."""
    bases = {name: row - lag for name, lag in WINDOWS.items()}
    year_start = date(dates[row].year, 1, 1)
    # YTD: against the last close of the previous year.
    arr = np.array(dates[: row + 1], dtype="datetime64[D]")
    bases["ytd"] = int(np.searchsorted(arr, np.datetime64(year_start, "D"), side="left")) - 1
    return {k: (v if v >= 0 else -1) for k, v in bases.items()}


def leaders(
    adj: pl.DataFrame,
    benchmark: str,
    as_of: date | None = None,
    *,
    highs: pl.DataFrame | None = None,
    closes: pl.DataFrame | None = None,
    sort_by: str = "3m",
    labels: Mapping[str, str] | None = None,
) -> pl.DataFrame:
    """The leadership table of every symbol in ``adj`` (except the benchmark) as of a date.

    * ``adj``: wide ``adj_close`` frame including ``benchmark``; returns
      ``r_<w>`` over 1d, 1w, 1m, 3m, 6m, 1y = 1, 5, 21, 63, 126, 252 sessions,
      and YTD (against the last close of the previous year), as fractions;
      ``rel_<w>`` = ``r_<w>`` minus the benchmark's; ``rank`` orders by
      ``rel_<sort_by>`` (1 = strongest).  Prices are carried over at most
      ``LEADER_FFILL`` missing sessions.  Default ``as_of``: the benchmark's
      last date with a price.
    * ``highs``/``closes`` (optional wide frames of as-traded ``high`` and
      ``close``): ``from_high`` = close / highest ``high`` up to ``as_of`` - 1
      (<= 0, the all-time high in the data), ``high_date``, and ``from_52w_high``
      over the last ``HIGH_WINDOW`` sessions.  Both fields are as-traded, so
      the ratio is consistent; null without them.
    """
    if sort_by not in LEADER_WINDOWS:
        raise DataError(f"unknown window {sort_by!r}: expected one of {', '.join(LEADER_WINDOWS)}")
    if benchmark not in adj.columns:
        raise DataError(f"benchmark {benchmark!r} is not a column of the closes frame")
    as_of = as_of or _benchmark_last_date(adj, benchmark)
    adj = adj.filter(pl.col("date") <= as_of)
    names = [c for c in adj.columns if c not in ("date", benchmark)]
    dates, _, mat = wide_matrix(adj, [*names, benchmark])
    if not dates:
        raise DataError(f"no prices on or before {as_of}")
    row = last_row_at_or_before(dates, as_of or dates[-1])
    mat = ffill(mat, LEADER_FFILL)
    bases = _window_base_rows(dates, row)
    cols: dict[str, object] = {"symbol": names}
    if labels is not None:
        cols["label"] = [labels.get(s, s) for s in names]
    for w in LEADER_WINDOWS:
        base = bases[w]
        with np.errstate(divide="ignore", invalid="ignore"):
            r = mat[row] / mat[base] - 1.0 if base >= 0 else np.full(mat.shape[1], np.nan)
        cols[f"r_{w}"] = r[:-1]
        cols[f"rel_{w}"] = r[:-1] - r[-1]
    table = pl.DataFrame(cols).with_columns(cs.float().fill_nan(None))
    table = table.with_columns(
        pl.col(f"rel_{sort_by}").rank("min", descending=True).cast(pl.Int64).alias("rank")
    )
    table = table.with_columns(_distance_from_high(highs, closes, names, dates[row]))
    return table.sort("rank", nulls_last=True).with_columns(pl.lit(dates[row]).alias("as_of"))


def benchmark_returns(adj: pl.DataFrame, benchmark: str, as_of: date | None = None) -> dict[str, float | None]:
    """The benchmark's own returns over the leadership windows (fractions)."""
    as_of = as_of or _benchmark_last_date(adj, benchmark)
    adj = adj.filter(pl.col("date") <= as_of)
    dates, _, mat = wide_matrix(adj, [benchmark])
    row = last_row_at_or_before(dates, as_of or dates[-1])
    mat = ffill(mat, LEADER_FFILL)
    out: dict[str, float | None] = {}
    for w, base in _window_base_rows(dates, row).items():
        val = float(mat[row, 0] / mat[base, 0] - 1.0) if base >= 0 else float("nan")
        out[w] = None if np.isnan(val) else val
    return {w: out[w] for w in LEADER_WINDOWS}


def _benchmark_last_date(adj: pl.DataFrame, benchmark: str) -> date:
    """The default as-of date: the benchmark's last price (relative returns need it)."""
    if benchmark not in adj.columns:
        raise DataError(f"benchmark {benchmark!r} is not a column of the closes frame")
    last = adj.filter(pl.col(benchmark).is_not_null() & pl.col(benchmark).is_not_nan())["date"].max()
    if last is None:
        raise DataError(f"benchmark {benchmark!r} has no price")
    assert isinstance(last, date)
    return last


def _distance_from_high(
    highs: pl.DataFrame | None, closes: pl.DataFrame | None, names: list[str], as_of: date
) -> list[pl.Series]:
    n = len(names)
    if highs is None or closes is None:
        return [
            pl.Series("from_high", [None] * n, dtype=pl.Float64),
            pl.Series("high_date", [None] * n, dtype=pl.Date),
            pl.Series("from_52w_high", [None] * n, dtype=pl.Float64),
        ]
    highs = highs.filter(pl.col("date") <= as_of)
    closes = closes.filter(pl.col("date") <= as_of)
    hd, _, h = wide_matrix(highs, names)
    _, _, c = wide_matrix(closes, names)
    last_close = ffill(c, LEADER_FFILL)[-1] if len(hd) else np.full(n, np.nan)
    all_nan = np.isnan(h).all(axis=0) if len(hd) else np.ones(n, dtype=bool)
    filled = np.where(np.isnan(h), -np.inf, h)
    idx = filled.argmax(axis=0) if len(hd) else np.zeros(n, dtype=np.int64)
    top = filled.max(axis=0) if len(hd) else np.full(n, np.nan)
    recent = filled[-HIGH_WINDOW:].max(axis=0) if len(hd) else np.full(n, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        from_high = np.where(all_nan, np.nan, last_close / top - 1.0)
        from_52w = np.where(np.isfinite(recent), last_close / recent - 1.0, np.nan)
    high_dates = [None if all_nan[j] else hd[int(idx[j])] for j in range(n)]
    return [
        pl.Series("from_high", from_high).fill_nan(None),
        pl.Series("high_date", high_dates, dtype=pl.Date),
        pl.Series("from_52w_high", from_52w).fill_nan(None),
    ]
