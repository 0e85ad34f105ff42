"""Checks that catch bad bars, vectorized over a whole bars frame.

Hard rules (an import refuses such rows unless asked to keep them, and
``rotation data check`` reports them on stored bars):

* ``non_positive_price``: a price <= 0;
* ``non_finite_price``: a price that is infinite or NaN;
* ``absurd_price``: a price above :data:`MAX_PRICE` (10 million) or below
  :data:`MIN_PRICE` (0.000001): no listed U.S. instrument trades there, a
  typo or a unit error does;
* ``ohlc_inconsistent``: high < low, or high below open/close, or low above
  open/close (relative tolerance 1e-6 for rounding);
* ``duplicate_date``: two bars for one symbol and date;
* ``future_date``: a bar dated after today;
* ``bad_volume``: a negative, non-finite or absurd (> 1e13) volume;
* ``price_jump``: a bar off by orders of magnitude against its neighbours:
  its close (or adjusted close) is :data:`SPIKE` (5x) away from both the
  previous and the next bar's in opposite directions (one bad bar, a decimal
  slip), or the close moves :data:`SHIFT` (10x) in one step, where neither
  a stored split of about that ratio on that date nor a steady adjusted close
  (an unadjusted series across a real split) explains it; or the bar's own
  high is more than 10x its low.  The real data's widest day is x2.16 (close
  to close) and its widest bar 3.1x (high/low, the 2010-05-06 flash crash).
  On import the neighbours include the stored bars around the file's rows, so
  a single row imported into a stored series is judged against that series.

Soft rules (reported by ``rotation data check``):

* ``missing_session``: an NYSE session (XNYS) inside the symbol's range with no bar
  (checked from 1970 on: the calendar's older holiday rules are incomplete);
* ``non_session_bar``: a bar on a day the NYSE was closed;
* ``split_like_jump``: a close-to-close move near a common split ratio
  (2, 3, 4, 5, 8, 10, 15, 20 or their inverses, within 4%) that the adjusted
  close shows too, which is what an unapplied split looks like;
* ``stale_bar``: open and high both repeat the previous bar exactly (the
  vendor error in ^RUT on 2024-07-19);
* ``missing_adj_close``: an empty adjusted close.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl

from rotation.data.calendar import CHECK_START, nyse_sessions

HARD_RULES: tuple[str, ...] = (
    "non_positive_price",
    "non_finite_price",
    "absurd_price",
    "ohlc_inconsistent",
    "duplicate_date",
    "future_date",
    "bad_volume",
    "price_jump",
)
SOFT_RULES: tuple[str, ...] = (
    "missing_session",
    "non_session_bar",
    "split_like_jump",
    "stale_bar",
    "missing_adj_close",
)
SPLIT_RATIOS: tuple[float, ...] = (2, 3, 4, 5, 8, 10, 15, 20)
_TOL = 1e-6
MAX_PRICE = 1e7
MIN_PRICE = 1e-6
MAX_VOLUME = 1e13
SPIKE = 5.0  # a bar this many times away from both neighbours (opposite ways) is one bad bar
SHIFT = 10.0  # a one-step move this large needs a split (or a steady adj_close) to explain it
RANGE = 10.0  # high / low within one bar
_SPLIT_TOL = math.log(1.5)  # how close a jump must come to a split's ratio (a split day also trades)
_PRICES = ("open", "high", "low", "close", "adj_close")


@dataclass(frozen=True)
class Finding:
    """One problem with one bar (or one missing bar)."""

    symbol: str
    date: date
    rule: str
    severity: str  # "error" (hard rule) or "warning"
    message: str
    values: dict[str, Any] = field(default_factory=dict)
    line: int | None = None


def _values(row: dict[str, Any], cols: Iterable[str]) -> dict[str, Any]:
    return {c: row[c] for c in cols if c in row}


def _fmt(x: Any) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _value_findings(frame: pl.DataFrame, today: date) -> list[Finding]:
    """The rules that judge one bar's own values: finite, plausible prices and volume, no future date."""
    out: list[Finding] = []
    has_line = "line" in frame.columns
    prices = list(_PRICES)

    def line(row: dict[str, Any]) -> int | None:
        return row["line"] if has_line else None

    nonfinite = frame.filter(pl.any_horizontal([~pl.col(c).is_finite() for c in prices]))
    for row in nonfinite.iter_rows(named=True):
        bad = [c for c in prices if row[c] is not None and not math.isfinite(row[c])]
        out.append(Finding(row["symbol"], row["date"], "non_finite_price", "error",
                           f"{', '.join(bad)} must be a finite number", _values(row, prices), line(row)))
    absurd = frame.filter(pl.any_horizontal(
        [pl.col(c).is_finite() & ((pl.col(c) > MAX_PRICE) | ((pl.col(c) > 0) & (pl.col(c) < MIN_PRICE)))
         for c in prices]
    ))
    for row in absurd.iter_rows(named=True):
        bad = [f"{c} {_fmt(row[c])}" for c in prices
               if row[c] is not None and math.isfinite(row[c]) and (row[c] > MAX_PRICE or 0 < row[c] < MIN_PRICE)]
        out.append(Finding(row["symbol"], row["date"], "absurd_price", "error",
                           f"{', '.join(bad)}: expected a price between {MIN_PRICE:g} and {MAX_PRICE:g}",
                           _values(row, prices), line(row)))
    future = frame.filter(pl.col("date") > today)
    for row in future.iter_rows(named=True):
        out.append(Finding(row["symbol"], row["date"], "future_date", "error",
                           f"dated after today ({today.isoformat()})", {}, line(row)))
    if "volume" in frame.columns:
        vol = pl.col("volume")
        bad_vol = frame.filter(vol.is_not_null() & (~vol.is_finite() | (vol < 0) | (vol > MAX_VOLUME)))
        for row in bad_vol.iter_rows(named=True):
            out.append(Finding(row["symbol"], row["date"], "bad_volume", "error",
                               f"volume {_fmt(row['volume'])}: expected a finite number between 0 and {MAX_VOLUME:g}",
                               {"volume": row["volume"]}, line(row)))
    return out


def _log_ratio(num: pl.Expr, den: pl.Expr) -> pl.Expr:
    return (num / den).log()


def jump_findings(
    frame: pl.DataFrame, splits: pl.DataFrame | None = None, *, only_lines: bool = False
) -> list[Finding]:
    """``price_jump`` findings of a bars frame (see the module doc).

    ``splits`` (``symbol, date, ratio``) excuses a one-step move of about a
    split's ratio on its date.  With ``only_lines``, the frame mixes a file's
    rows (with a ``line``) and stored rows (``line`` null): only jumps on a
    file row, or on the stored row right after one, are reported, under the
    file row's line.
    """
    if frame.is_empty():
        return []
    has_line = "line" in frame.columns
    f = frame.sort("symbol", "date")
    if not has_line:
        f = f.with_columns(pl.lit(None, pl.Int64).alias("line"))
    ok = pl.col("close").is_finite() & (pl.col("close") > 0)
    f = f.filter(ok)
    over = "symbol"
    lc = pl.col("close").log()
    la = pl.when(pl.col("adj_close").is_finite() & (pl.col("adj_close") > 0)).then(pl.col("adj_close").log())
    f = f.with_columns(
        (lc - lc.shift(1).over(over)).alias("_up"),
        (lc.shift(-1).over(over) - lc).alias("_dn"),
        la.alias("_la"),
        pl.col("date").shift(1).over(over).alias("_prev_date"),
        pl.col("close").shift(1).over(over).alias("_prev_close"),
        pl.col("line").shift(1).over(over).alias("_prev_line"),
    ).with_columns(
        (pl.col("_la") - pl.col("_la").shift(1).over(over)).alias("_aup"),
        (pl.col("_la").shift(-1).over(over) - pl.col("_la")).alias("_adn"),
    )
    spike_t, shift_t = math.log(SPIKE), math.log(SHIFT) - 0.05  # an exact 10x step (a decimal slip) counts

    def spike(up: str, dn: str) -> pl.Expr:
        return (pl.col(up).abs() > spike_t) & (pl.col(dn).abs() > spike_t) & (pl.col(up) * pl.col(dn) < 0)

    f = f.with_columns((spike("_up", "_dn") | spike("_aup", "_adn")).fill_null(False).alias("_spike"))
    f = f.with_columns(pl.col("_spike").shift(1).over(over).fill_null(False).alias("_after_spike"))
    shift = (pl.col("_up").abs() > shift_t).fill_null(False) & ~pl.col("_spike") & ~pl.col("_after_spike")
    steady_adj = (pl.col("_aup").abs() < math.log(2)).fill_null(False) & (pl.col("_up").abs() > shift_t)
    wide = (pl.col("high") / pl.col("low") > RANGE).fill_null(False) & (pl.col("low") > 0)
    cand = f.filter(pl.col("_spike") | (shift & ~steady_adj) | wide)
    if cand.is_empty():
        return []
    sp = splits if splits is not None else pl.DataFrame(schema={"symbol": pl.Utf8(), "date": pl.Date(), "ratio": pl.Float64()})
    out: list[Finding] = []
    for r in cand.iter_rows(named=True):
        line = r["line"] if r["line"] is not None else r["_prev_line"]
        if only_lines and line is None:
            continue
        if r["_spike"]:
            move_up = r["_up"] if r["_up"] is not None and abs(r["_up"]) > spike_t else r["_aup"]
            field = "close" if move_up is r["_up"] else "adj_close"
            msg = (f"{field} {_fmt(r[field])} is x{math.exp(abs(move_up)):.3g} "
                   f"{'above' if move_up > 0 else 'below'} both neighbouring bars (one bad bar?)")
        elif (r["high"] / r["low"] > RANGE) if r["low"] else False:
            msg = f"high {_fmt(r['high'])} is x{r['high'] / r['low']:.3g} the low {_fmt(r['low'])} within the bar"
        else:
            move = r["_up"]
            mine = sp.filter((pl.col("symbol") == r["symbol"]) & (pl.col("date") > r["_prev_date"])
                             & (pl.col("date") <= r["date"]))
            if any(abs(move + math.log(k)) < _SPLIT_TOL for k in mine["ratio"].to_list()):
                continue
            msg = (f"close {_fmt(r['close'])} moved x{math.exp(move):.3g} from {_fmt(r['_prev_close'])} "
                   f"on {r['_prev_date']} with no split on record (import the split as symbol,date,ratio "
                   "or fix the bar)")
        out.append(Finding(r["symbol"], r["date"], "price_jump", "error", msg,
                           _values(r, ("open", "high", "low", "close", "adj_close")), line))
    return out


def hard_findings(
    frame: pl.DataFrame, *, today: date | None = None, splits: pl.DataFrame | None = None, jumps: bool = True
) -> list[Finding]:
    """Hard-rule findings of a bars frame (``line`` column used when present).

    ``today`` (default: the local date) bounds ``future_date``; ``splits``
    explains jumps (see :func:`jump_findings`); ``jumps=False`` leaves
    ``price_jump`` to a caller that judges it with more context (the importer).
    """
    out: list[Finding] = _value_findings(frame, today or date.today())
    if jumps:
        out += jump_findings(frame, splits)
    has_line = "line" in frame.columns
    prices = ["open", "high", "low", "close", "adj_close"]
    nonpos = frame.filter(pl.any_horizontal([pl.col(c) <= 0 for c in prices]))
    for row in nonpos.iter_rows(named=True):
        bad = [c for c in prices if row[c] is not None and row[c] <= 0]
        out.append(
            Finding(
                row["symbol"], row["date"], "non_positive_price", "error",
                f"{', '.join(bad)} must be > 0", _values(row, prices), row["line"] if has_line else None,
            )
        )
    hi, lo, op, cl = (pl.col(c) for c in ("high", "low", "open", "close"))
    top = pl.max_horizontal(op, cl)
    bottom = pl.min_horizontal(op, cl)
    incons = frame.filter(
        (hi < lo * (1 - _TOL)) | (hi < top * (1 - _TOL)) | (lo > bottom * (1 + _TOL))
    )
    for row in incons.iter_rows(named=True):
        out.append(
            Finding(
                row["symbol"], row["date"], "ohlc_inconsistent", "error",
                "expected low <= open, close <= high",
                _values(row, ("open", "high", "low", "close")), row["line"] if has_line else None,
            )
        )
    dup = frame.filter(pl.struct("symbol", "date").is_duplicated())
    for row in dup.iter_rows(named=True):
        out.append(
            Finding(
                row["symbol"], row["date"], "duplicate_date", "error",
                "more than one bar for this date", {}, row["line"] if has_line else None,
            )
        )
    return out


def _stale(frame: pl.DataFrame) -> list[Finding]:
    prev_open = pl.col("open").shift(1).over("symbol")
    prev_high = pl.col("high").shift(1).over("symbol")
    prev_low = pl.col("low").shift(1).over("symbol")
    # Close-only bars (open = high = low = close, as in early index history) repeat
    # trivially; only a bar whose previous bar had a real range counts.
    stale = frame.with_columns(
        prev_open.alias("prev_open"), prev_high.alias("prev_high"), prev_low.alias("prev_low")
    ).filter(
        (pl.col("open") == pl.col("prev_open"))
        & (pl.col("high") == pl.col("prev_high"))
        & (pl.col("prev_high") > pl.col("prev_low"))
    )
    return [
        Finding(
            r["symbol"], r["date"], "stale_bar", "warning",
            f"open {r['open']} and high {r['high']} repeat the previous bar exactly (vendor error?)",
            _values(r, ("open", "high", "low", "close", "prev_open", "prev_high")),
        )
        for r in stale.iter_rows(named=True)
    ]


def _split_jumps(frame: pl.DataFrame) -> list[Finding]:
    ratio = pl.col("close") / pl.col("close").shift(1).over("symbol")
    adj_ratio = pl.col("adj_close") / pl.col("adj_close").shift(1).over("symbol")
    cand = frame.with_columns(ratio.alias("ratio"), adj_ratio.alias("adj_ratio")).filter(
        pl.col("ratio").is_finite() & ((pl.col("ratio") > 1.8) | ((pl.col("ratio") > 0) & (pl.col("ratio") < 1 / 1.8)))
    )
    out: list[Finding] = []
    for r in cand.iter_rows(named=True):
        x = r["ratio"]
        near = [k for k in SPLIT_RATIOS if abs(math.log(x) - math.log(k)) < 0.04 or abs(math.log(x) + math.log(k)) < 0.04]
        adj = r["adj_ratio"]
        if near and (adj is None or not adj > 0 or not math.isfinite(adj) or abs(math.log(adj) - math.log(x)) < 0.04):
            k = near[0]
            desc = f"1:{k}" if x > 1 else f"{k}:1"
            out.append(
                Finding(
                    r["symbol"], r["date"], "split_like_jump", "warning",
                    f"close moved x{x:.3f} from the previous bar, like an unapplied {desc} split",
                    {"close": r["close"], "ratio": x},
                )
            )
    return out


def _calendar(frame: pl.DataFrame) -> list[Finding]:
    out: list[Finding] = []
    ranges = frame.group_by("symbol").agg(pl.col("date").min().alias("first"), pl.col("date").max().alias("last"))
    for sym, first, last in ranges.sort("symbol").iter_rows():
        dates = frame.filter(pl.col("symbol") == sym)["date"]
        lo = max(first, CHECK_START)
        sessions = nyse_sessions(lo, last)
        missing = sessions.filter(~sessions.is_in(dates.implode()))
        for d in missing:
            out.append(Finding(sym, d, "missing_session", "warning", "no bar for an NYSE session"))
        checked = dates.filter(dates >= lo)
        extra = checked.filter(~checked.is_in(sessions.implode()))
        for d in extra:
            out.append(Finding(sym, d, "non_session_bar", "warning", "bar on a day the NYSE was closed"))
    return out


def check_bars(
    frame: pl.DataFrame, *, calendar: bool = True, splits: pl.DataFrame | None = None, today: date | None = None
) -> list[Finding]:
    """All findings (hard and soft) for a bars frame, sorted by symbol, date, rule."""
    frame = frame.sort(["symbol", "date"])
    found = hard_findings(frame, today=today, splits=splits) + _stale(frame) + _split_jumps(frame)
    for r in frame.filter(pl.col("adj_close").is_null()).iter_rows(named=True):
        found.append(Finding(r["symbol"], r["date"], "missing_adj_close", "warning", "adjusted close is empty"))
    if calendar:
        found += _calendar(frame)
    return sorted(found, key=lambda f: (f.symbol, f.date, f.rule))
