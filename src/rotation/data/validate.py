"""Checks that catch bad bars, vectorized over a whole bars frame.

Hard rules (an import refuses such rows unless asked to keep them):

* ``non_positive_price``: a price <= 0;
* ``ohlc_inconsistent``: high < low, or high below open/close, or low above
  open/close (relative tolerance 1e-6 for rounding);
* ``duplicate_date``: two bars for one symbol and date.

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

HARD_RULES: tuple[str, ...] = ("non_positive_price", "ohlc_inconsistent", "duplicate_date")
SOFT_RULES: tuple[str, ...] = (
    "missing_session",
    "non_session_bar",
    "split_like_jump",
    "stale_bar",
    "missing_adj_close",
)
SPLIT_RATIOS: tuple[float, ...] = (2, 3, 4, 5, 8, 10, 15, 20)
_TOL = 1e-6


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


def hard_findings(frame: pl.DataFrame) -> list[Finding]:
    """Hard-rule findings of a bars frame (``line`` column used when present)."""
    out: list[Finding] = []
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
        (pl.col("ratio") > 1.8) | (pl.col("ratio") < 1 / 1.8)
    )
    out: list[Finding] = []
    for r in cand.iter_rows(named=True):
        x = r["ratio"]
        near = [k for k in SPLIT_RATIOS if abs(math.log(x) - math.log(k)) < 0.04 or abs(math.log(x) + math.log(k)) < 0.04]
        adj = r["adj_ratio"]
        if near and (adj is None or abs(math.log(adj) - math.log(x)) < 0.04):
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


def check_bars(frame: pl.DataFrame, *, calendar: bool = True) -> list[Finding]:
    """All findings (hard and soft) for a bars frame, sorted by symbol, date, rule."""
    frame = frame.sort(["symbol", "date"])
    found = hard_findings(frame) + _stale(frame) + _split_jumps(frame)
    for r in frame.filter(pl.col("adj_close").is_null()).iter_rows(named=True):
        found.append(Finding(r["symbol"], r["date"], "missing_adj_close", "warning", "adjusted close is empty"))
    if calendar:
        found += _calendar(frame)
    return sorted(found, key=lambda f: (f.symbol, f.date, f.rule))
