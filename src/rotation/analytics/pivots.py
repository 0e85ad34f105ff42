"""Swing highs and lows: a zig-zag on the bars' ``high`` and ``low`` with a percent threshold.

The rule (online, so it never looks ahead)
------------------------------------------
Walk the bars in date order, keeping one *candidate* extreme:

* While rising, the candidate is the highest ``high`` since the last pivot low.
  When a bar's ``low`` is at or below ``candidate * (1 - threshold)``, the
  candidate becomes a confirmed **pivot high** (confirmed on that bar) and the
  walk turns down, with that bar's ``low`` as the new candidate.
* While falling, the candidate is the lowest ``low`` since the last pivot high.
  When a bar's ``high`` is at or above ``candidate * (1 + threshold)``, the
  candidate becomes a confirmed **pivot low** and the walk turns up.
* At the start the direction is unknown: the walk tracks both the highest high
  and the lowest low until one of the two reversal tests passes (the rise test
  is tried first).

A reversal is tested against the candidate *before* the bar's own extreme is
considered, so a bar never confirms a pivot it made itself.  Ties keep the
earliest date.  The last candidate, not yet confirmed, is reported as a
*tentative* pivot (``confirmed is None``); it can still move as new bars arrive,
while confirmed pivots never change when bars are appended.

Thresholds are fractions (0.10 = 10%); :func:`parse_threshold` reads ``"10%"``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl

from rotation.errors import AnchorError, DataError

PivotKind = Literal["high", "low"]

_PCT = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*%?\s*$")


def parse_threshold(text: str | float) -> float:
    """``"10%"``, ``"10"`` or ``10`` (percent) -> 0.10; must lie strictly between 0% and 100%.

    A float given directly is taken as a fraction (0.1 = 10%), as everywhere in
    the library; text is always percent, as a user types it.
    """
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value = float(text)
    else:
        m = _PCT.match(str(text))
        if not m:
            raise AnchorError(f"threshold {text!r}: expected a percent such as 10% or 7.5%")
        value = float(m.group(1)) / 100.0
    if not (0.0 < value < 1.0) or math.isnan(value):
        raise AnchorError(f"threshold {text!r}: expected a percent strictly between 0% and 100%")
    return value


@dataclass(frozen=True)
class Pivot:
    """One swing extreme: a ``high`` pivot at the bar's high, a ``low`` pivot at its low.

    ``confirmed`` is the date of the bar that completed the reversal (the pivot
    is known from that session's close on); ``None`` for the tentative last one.
    ``change`` is the move from the previous pivot's price (fraction), ``None``
    for the first pivot.
    """

    date: dt.date
    kind: PivotKind
    price: float
    confirmed: dt.date | None
    change: float | None


def _zigzag_indices(high: np.ndarray, low: np.ndarray, t: float) -> tuple[list[tuple[int, int, int]], int]:
    """Core walk: (index, +1 high / -1 low, confirming index or -1) per pivot, and bars used.

    A plain loop: the walk is path dependent, runs once per symbol over a few
    thousand bars, and is not on a per-day hot path (a numba JIT would cost more
    in compile time than it saves).
    """
    n = len(high)
    out: list[tuple[int, int, int]] = []
    valid = ~(np.isnan(high) | np.isnan(low))
    idx = np.flatnonzero(valid)
    if idx.size == 0:
        return out, 0
    first = int(idx[0])
    state = 0  # 0 unknown, +1 rising (candidate high), -1 falling (candidate low)
    hi_i = lo_i = first
    cand = first
    up = 1.0 + t
    down = 1.0 - t
    for i in idx[1:]:
        i = int(i)
        h = high[i]
        lo = low[i]
        if state == 0:
            if h >= low[lo_i] * up:
                out.append((lo_i, -1, i))
                state, cand = 1, i
            elif lo <= high[hi_i] * down:
                out.append((hi_i, 1, i))
                state, cand = -1, i
            else:
                if h > high[hi_i]:
                    hi_i = i
                if lo < low[lo_i]:
                    lo_i = i
        elif state == 1:
            if lo <= high[cand] * down:
                out.append((cand, 1, i))
                state, cand = -1, i
            elif h > high[cand]:
                cand = i
        else:
            if h >= low[cand] * up:
                out.append((cand, -1, i))
                state, cand = 1, i
            elif lo < low[cand]:
                cand = i
    if state != 0:
        out.append((cand, 1 if state == 1 else -1, -1))
    return out, n


def _single_symbol(bars: pl.DataFrame) -> pl.DataFrame:
    if bars.is_empty():
        return bars
    n = bars["symbol"].n_unique()
    if n != 1:
        raise DataError(f"pivots need the bars of one symbol, got {n}: {', '.join(bars['symbol'].unique().sort())}")
    return bars.sort("date")


def zigzag(bars: pl.DataFrame, threshold: float | str, *, tentative: bool = True) -> list[Pivot]:
    """Zig-zag swing pivots of one symbol's bars (see the module docstring for the rule).

    Uses ``high`` for pivot highs and ``low`` for pivot lows (as-traded prices);
    bars with a missing high or low are skipped.  ``tentative=False`` drops the
    last, unconfirmed extreme.
    """
    t = parse_threshold(threshold)
    frame = _single_symbol(bars)
    if frame.is_empty():
        return []
    high = frame["high"].cast(pl.Float64).fill_null(float("nan")).to_numpy()
    low = frame["low"].cast(pl.Float64).fill_null(float("nan")).to_numpy()
    dates: list[dt.date] = frame["date"].to_list()
    raw, _ = _zigzag_indices(high, low, t)
    pivots: list[Pivot] = []
    prev: float | None = None
    for i, sign, conf in raw:
        if conf < 0 and not tentative:
            continue
        price = float(high[i] if sign == 1 else low[i])
        pivots.append(
            Pivot(
                date=dates[i],
                kind="high" if sign == 1 else "low",
                price=price,
                confirmed=dates[conf] if conf >= 0 else None,
                change=None if prev is None else price / prev - 1.0,
            )
        )
        prev = price
    return pivots


def pivot_frame(pivots: list[Pivot]) -> pl.DataFrame:
    """Pivots as a frame: ``date, kind, price, confirmed, change`` (change as a fraction)."""
    return pl.DataFrame(
        {
            "date": [p.date for p in pivots],
            "kind": [p.kind for p in pivots],
            "price": [p.price for p in pivots],
            "confirmed": [p.confirmed for p in pivots],
            "change": [p.change for p in pivots],
        },
        schema={
            "date": pl.Date(),
            "kind": pl.Utf8(),
            "price": pl.Float64(),
            "confirmed": pl.Date(),
            "change": pl.Float64(),
        },
    )


def last_pivot(bars: pl.DataFrame, kind: PivotKind, threshold: float | str) -> Pivot | None:
    """The last *confirmed* pivot of ``kind`` in ``bars`` (``None`` when there is none).

    Pass only the bars up to the date you stand on: confirmed pivots depend on
    nothing later, so this is free of look-ahead.
    """
    for p in reversed(zigzag(bars, threshold, tentative=False)):
        if p.kind == kind:
            return p
    return None
