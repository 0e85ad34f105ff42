"""Rotation events: how wide a pair's return spread was on a day, by its own history's standard.

For a pair A:B and a window of w sessions (``1d``, ``5d``, ``20d``), on ``adj_close``:

* ``return_a = A[t] / A[t-w] - 1`` (same for B), ``spread = return_a - return_b``
  (fractions; +0.0582 is "+5.82 points").  Rows are the sessions of the combined
  calendar; a missing price gives no spread for the windows that touch it.
* Direction: a positive spread means money moved toward A, a negative one
  toward B.  ``rank`` counts the spread among the days *of the same direction*
  (days A beat B for a positive spread, days B beat A for a negative one): rank
  1 is the widest.  Ties share the better rank (``method="min"``).
* ``rank`` / ``count`` / ``percentile`` use the pair's history up to and
  including that day only (expanding, no look-ahead); ``rank_all`` /
  ``count_all`` / ``percentile_all`` use the whole history loaded.
  ``percentile`` is the share of same-direction days whose spread was no wider
  (the widest day is 1.0).
* ``zscore``: the spread against the mean and sample std of the ``z_window``
  (default 252) sessions *before* it (today excluded, so a shock does not damp
  its own score).
* ``pattern``: ``a_up_b_down`` / ``a_down_b_up`` (opposite signs, the classic
  rotation day), ``both_up`` (both >= 0) or ``both_down``.
* ``kind``/``label`` come from the standard pairs (``universes.pair_kind``).

All pairs of a scan are computed in one pass over a ``[date, pair]`` matrix;
the expanding ranks use a Fenwick tree per column (numba), O(T log T).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import numba
import numpy as np
import polars as pl

from rotation.analytics.returns import repeat_labels, rolling_moments, shift, wide_matrix, window_returns
from rotation.data.universes import pair_kind
from rotation.errors import DataError

EVENT_WINDOWS: dict[str, int] = {"1d": 1, "5d": 5, "20d": 20}
Z_WINDOW = 252
NOTABLE_PERCENTILE = 0.95
PATTERNS: tuple[str, ...] = ("a_up_b_down", "a_down_b_up", "both_up", "both_down")


@dataclass(frozen=True)
class RotationEvent:
    """One pair on one day: the return spread and how rare it was (fractions, ranks from 1)."""

    a: str
    b: str
    date: dt.date
    window: str
    return_a: float
    return_b: float
    spread: float
    pattern: str
    rank: int | None
    count: int
    percentile: float | None
    rank_all: int | None
    count_all: int
    percentile_all: float | None
    zscore: float | None
    first_date: dt.date
    wider_before: dt.date | None = None
    kind: str | None = None
    label: str | None = None
    breadth: Mapping[str, Any] | None = None

    @property
    def pair(self) -> str:
        return f"{self.a}:{self.b}"

    @property
    def classic(self) -> bool:
        """A up and B down, or A down and B up, on the same window."""
        return self.pattern in ("a_up_b_down", "a_down_b_up")

    @property
    def toward(self) -> str | None:
        """The side money moved toward (``None`` for a zero spread)."""
        return self.a if self.spread > 0 else self.b if self.spread < 0 else None


def window_lag(window: str) -> int:
    """``"1d"`` -> 1, ``"5d"`` -> 5, ``"20d"`` -> 20 sessions."""
    if window not in EVENT_WINDOWS:
        raise DataError(f"unknown event window {window!r}: expected one of {', '.join(EVENT_WINDOWS)}")
    return EVENT_WINDOWS[window]


@numba.njit(cache=True)
def _rank_one_direction(col: np.ndarray, out: tuple[np.ndarray, ...], j: int) -> None:  # pragma: no cover
    """Descending "min" ranks of the non-NaN values of ``col``, written into column ``j`` of ``out``.

    ``out`` = (rank, count, pct, rank_all, count_all, pct_all), each
    ``[pair, date]``, written in row ``j``; dates where
    ``col`` is NaN are left untouched.  Expanding ranks use a Fenwick tree over
    the value order (ties share a key), so each column is O(T log T).
    """
    rank, count, pct, rank_all, count_all, pct_all = out
    n_rows = col.shape[0]
    rows = np.empty(n_rows, dtype=np.int64)
    n_valid = 0
    for t in range(n_rows):
        if not np.isnan(col[t]):
            rows[n_valid] = t
            n_valid += 1
    if n_valid == 0:
        return
    rows = rows[:n_valid]
    vals = col[rows]
    order = np.argsort(vals)
    key = np.zeros(n_rows, dtype=np.int64)
    k = -1
    for i in range(n_valid):
        if i == 0 or vals[order[i]] != vals[order[i - 1]]:
            k += 1
        key[rows[order[i]]] = k
    n_keys = k + 1
    le_key = np.zeros(n_keys + 1, dtype=np.int64)  # whole sample: values <= key
    for i in range(n_valid):
        le_key[key[rows[i]] + 1] += 1
    for i in range(1, n_keys + 1):
        le_key[i] += le_key[i - 1]
    tree = np.zeros(n_keys + 1, dtype=np.int64)
    for i in range(n_valid):
        t = rows[i]
        seen = i + 1
        pos = key[t] + 1
        while pos <= n_keys:
            tree[pos] += 1
            pos += pos & (-pos)
        below = 0
        pos = key[t] + 1
        while pos > 0:
            below += tree[pos]
            pos -= pos & (-pos)
        total = le_key[key[t] + 1]
        rank[j, t] = seen - below + 1
        count[j, t] = seen
        pct[j, t] = below / seen
        rank_all[j, t] = n_valid - total + 1
        count_all[j, t] = n_valid
        pct_all[j, t] = total / n_valid


@numba.njit(cache=True, parallel=True)
def _direction_ranks(spread: np.ndarray) -> tuple[np.ndarray, ...]:  # pragma: no cover - compiled
    n_cols, n_rows = spread.shape  # [pair, date]
    out = (
        np.full((n_cols, n_rows), np.nan),
        np.full((n_cols, n_rows), np.nan),
        np.full((n_cols, n_rows), np.nan),
        np.full((n_cols, n_rows), np.nan),
        np.full((n_cols, n_rows), np.nan),
        np.full((n_cols, n_rows), np.nan),
    )
    for j in numba.prange(n_cols):
        col = spread[j]
        up = np.full(n_rows, np.nan)
        down = np.full(n_rows, np.nan)
        for t in range(n_rows):
            if col[t] > 0:
                up[t] = col[t]
            elif col[t] < 0:
                down[t] = -col[t]
        _rank_one_direction(up, out, j)
        _rank_one_direction(down, out, j)
    return out


def direction_ranks(spread: np.ndarray) -> dict[str, np.ndarray]:
    """Ranks of each spread among same-direction spreads: expanding and whole-history.

    ``spread`` is ``[date, pair]`` with ``NaN`` for no spread.  Returns arrays
    ``rank, count, percentile, rank_all, count_all, percentile_all`` (``NaN``
    on zero or missing spreads; ``count`` is the number of same-direction days
    so far, ``percentile`` the share of them no wider than this one).
    """
    spread = np.atleast_2d(np.asarray(spread, dtype=np.float64))
    # the kernel walks one pair at a time: give it contiguous [pair, date] rows
    res = _direction_ranks(np.ascontiguousarray(spread.T))
    names = ("rank", "count", "percentile", "rank_all", "count_all", "percentile_all")
    # transposed views (Fortran order): no copy, and ``.T.reshape(-1)`` in pair_events is free
    return {name: arr.T for name, arr in zip(names, res, strict=True)}


def trailing_zscore(values: np.ndarray, window: int = Z_WINDOW) -> np.ndarray:
    """``(x[t] - mean) / std`` over the ``window`` rows before t (sample std; strict window)."""
    mean, std = rolling_moments(shift(values, 1), window)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(std > 0, (values - mean) / std, np.nan)


def event_arrays(a_prices: np.ndarray, b_prices: np.ndarray, lag: int, z_window: int = Z_WINDOW) -> dict[str, np.ndarray]:
    """All event statistics for ``[date, pair]`` price matrices of the A and B sides.

    ``b_prices`` may be ``[date, 1]`` (one benchmark against every column of ``a_prices``).
    """
    ra = window_returns(np.atleast_2d(a_prices.T).T, lag)
    rb = window_returns(np.atleast_2d(b_prices.T).T, lag)
    spread = ra - rb
    rb = np.broadcast_to(rb, spread.shape)
    out = direction_ranks(spread)
    out.update(return_a=ra, return_b=rb, spread=spread, zscore=trailing_zscore(spread, z_window))
    return out


def _patterns(ra: np.ndarray, rb: np.ndarray) -> pl.Series:
    code = np.where(
        (ra > 0) & (rb < 0), 0, np.where((ra < 0) & (rb > 0), 1, np.where((ra >= 0) & (rb >= 0), 2, 3))
    )
    code = np.where(np.isnan(ra) | np.isnan(rb), 4, code)
    return pl.Series([*PATTERNS, None], dtype=pl.Utf8).gather(code)



def pair_events(
    closes: pl.DataFrame,
    pairs: Sequence[tuple[str, str]],
    window: str = "1d",
    z_window: int = Z_WINDOW,
) -> pl.DataFrame:
    """Event statistics of every pair on every day with a spread, one vectorized pass.

    ``closes`` is a wide ``adj_close`` frame holding every symbol of ``pairs``.
    Returns a long frame ``pair, a, b, date, return_a, return_b, spread, pattern,
    rank, count, percentile, rank_all, count_all, percentile_all, zscore, window``
    (rows without a spread dropped), sorted by pair then date.
    """
    lag = window_lag(window)
    if not pairs:
        raise DataError("no pairs given")
    same = [a for a, b in pairs if a == b]
    if same:
        raise DataError(f"pair {same[0]}:{same[0]}: expected two different sides A:B")
    if z_window < 2:
        raise DataError(f"z-score window: expected at least 2 sessions, got {z_window}")
    a_names = [a for a, _ in pairs]
    b_names = [b for _, b in pairs]
    dates, _, a_mat = wide_matrix(closes, a_names)
    _, _, b_mat = wide_matrix(closes, b_names)
    res = event_arrays(a_mat, b_mat, lag, z_window)
    n_rows, n_pairs = a_mat.shape
    flat = {k: v.T.reshape(-1) for k, v in res.items()}
    frame = pl.DataFrame(
        {
            "pair": repeat_labels([f"{a}:{b}" for a, b in pairs], n_rows),
            "a": repeat_labels(a_names, n_rows),
            "b": repeat_labels(b_names, n_rows),
            "date": pl.Series(np.tile(np.array(dates, dtype="datetime64[D]"), n_pairs)).cast(pl.Date),
            "return_a": flat["return_a"],
            "return_b": flat["return_b"],
            "spread": flat["spread"],
            "pattern": _patterns(flat["return_a"], flat["return_b"]),
            "rank": flat["rank"],
            "count": flat["count"],
            "percentile": flat["percentile"],
            "rank_all": flat["rank_all"],
            "count_all": flat["count_all"],
            "percentile_all": flat["percentile_all"],
            "zscore": flat["zscore"],
        },
    )
    frame = frame.filter(pl.col("spread").is_not_nan())
    if frame.is_empty():
        labels = ", ".join(f"{a}:{b}" for a, b in pairs[:3]) + (f" and {len(pairs) - 3} more" if len(pairs) > 3 else "")
        raise DataError(f"no {window} spread for {labels}: no two sessions with prices on both sides in the "
                        "range asked (`rotation data list` shows the stored dates)")
    return frame.with_columns(
        pl.lit(window).alias("window"),
        pl.col("rank", "count", "rank_all", "count_all").fill_nan(None).cast(pl.Int64),
        pl.col("percentile", "percentile_all", "zscore").fill_nan(None),
    )


def rotation_events(
    closes: pl.DataFrame, a: str, b: str, window: str = "1d", z_window: int = Z_WINDOW
) -> pl.DataFrame:
    """Event statistics of one pair A:B on every day (see :func:`pair_events`)."""
    return pair_events(closes, [(a, b)], window, z_window)


def toward_side(a: str, b: str, toward: str) -> str:
    """The side of the pair A:B that ``toward`` names (a symbol or alias, e.g. ``RUT`` for ``^RUT``)."""
    from rotation.data.symbols import normalize_symbol

    want = normalize_symbol(toward.strip())
    for side in (a, b):
        if want == side or toward.strip().upper() == side.upper():
            return side
    raise DataError(f"--toward {toward!r}: expected one side of the pair, {a} or {b}")


def top_events(
    events: pl.DataFrame, n: int = 10, since: date | None = None, toward: str | None = None
) -> pl.DataFrame:
    """The ``n`` widest spreads on or after ``since``, widest first, with a ``toward`` column.

    ``toward=None`` ranks both directions together by the spread's size;
    ``toward`` = one side of a one-pair frame keeps only the days money moved
    toward it (a positive spread for A, a negative one for B).  The ``rank``
    column is always counted among the days of the row's own direction, which
    ``toward`` names.
    """
    if n < 1:
        raise DataError(f"top: expected at least 1 event to list, got {n}")
    frame = events if since is None else events.filter(pl.col("date") >= since)
    frame = frame.with_columns(
        pl.when(pl.col("spread") > 0).then(pl.col("a"))
        .when(pl.col("spread") < 0).then(pl.col("b"))
        .otherwise(None).alias("toward")
    )
    if toward is not None:
        frame = frame.filter(pl.col("toward") == toward)
    return frame.sort(pl.col("spread").abs(), descending=True).head(n)


def event_on(events: pl.DataFrame, day: date, *, exact: bool = True) -> RotationEvent:
    """The :class:`RotationEvent` of a one-pair events frame on ``day``.

    With ``exact=False`` the last day on or before ``day`` is taken.  Adds the
    last earlier date with a wider same-direction spread, and the pair's kind.
    """
    if events["pair"].n_unique() > 1:
        raise DataError("event_on expects the events of one pair; filter by pair first")
    upto = events.filter(pl.col("date") <= day)
    if upto.is_empty() or (exact and upto["date"][-1] != day):
        first = events["date"].min() if not events.is_empty() else None
        last = events["date"].max() if not events.is_empty() else None
        raise DataError(
            f"no spread on {day.isoformat()}: not a session with both prices "
            f"(pair history {first!s} .. {last!s})"
        )
    row = upto.row(-1, named=True)
    spread = row["spread"]
    same = upto.filter((pl.col("spread") * np.sign(spread)) > 0).sort("date") if spread != 0 else upto.head(0)
    wider = same.filter(pl.col("spread").abs() > abs(spread))
    info = pair_kind(row["a"], row["b"])
    return RotationEvent(
        a=row["a"],
        b=row["b"],
        date=row["date"],
        window=row["window"],
        return_a=row["return_a"],
        return_b=row["return_b"],
        spread=spread,
        pattern=row["pattern"],
        rank=row["rank"],
        count=int(row["count"] or 0),
        percentile=row["percentile"],
        rank_all=row["rank_all"],
        count_all=int(row["count_all"] or 0),
        percentile_all=row["percentile_all"],
        zscore=row["zscore"],
        first_date=events["date"][0],
        wider_before=wider["date"][-1] if not wider.is_empty() else None,
        kind=info.kind if info else None,
        label=info.label if info else None,
    )


def with_breadth(event: RotationEvent, breadth: Mapping[str, Any] | None) -> RotationEvent:
    """The same event with a breadth confirmation attached (share of members up, volume...)."""
    return replace(event, breadth=breadth)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def explain(event: RotationEvent) -> str:
    """One paragraph in words: the spread, the pattern and its rank in history."""
    a, b = event.a, event.b
    win = "day" if event.window == "1d" else f"{event.window} window"
    parts = [
        f"{event.date.isoformat()} {event.pair}"
        + (f" ({event.kind}: {event.label})" if event.kind else "")
        + f": {a} {event.return_a * 100:+.2f}%, {b} {event.return_b * 100:+.2f}%, "
        f"spread {event.spread * 100:+.2f} points over the {win}."
    ]
    what = "rotation day" if event.window == "1d" else f"rotation over {event.window}"
    if event.pattern == "a_up_b_down":
        parts.append(f"A classic {what} toward {a} ({a} up, {b} down).")
    elif event.pattern == "a_down_b_up":
        parts.append(f"A classic {what} toward {b} ({a} down, {b} up).")
    else:
        parts.append(f"Both {'rose' if event.pattern == 'both_up' else 'fell'}; not a classic {what}.")
    if event.rank is not None and event.toward is not None:
        winner, loser = (a, b) if event.spread > 0 else (b, a)
        since = event.first_date.year
        nth = "the widest" if event.rank == 1 else f"the {_ordinal(event.rank)} widest"
        text = (
            f"It was {nth} spread in {winner}'s favour since {since} "
            f"(rank {event.rank:,} of {event.count:,} days when {winner} beat {loser} up to that day"
        )
        if event.rank_all is not None:
            text += f"; {event.rank_all:,} of {event.count_all:,} over the whole history"
        parts.append(text + ").")
        if event.wider_before is not None:
            parts.append(f"The last wider one was on {event.wider_before.isoformat()}.")
        elif event.rank == 1:
            parts.append(f"No wider one before it since {event.first_date.isoformat()}.")
    if event.zscore is not None:
        parts.append(f"z-score {event.zscore:+.1f} against the previous {Z_WINDOW} sessions.")
    if event.breadth:
        text = event.breadth.get("description") or ", ".join(f"{k} {v}" for k, v in event.breadth.items())
        # Breadth is measured on the event's last day, whatever the window.
        label = "Breadth" if event.window == "1d" else f"Breadth on {event.date.isoformat()} alone"
        parts.append(f"{label}: {text}.")
    return " ".join(parts)


def scan_pairs(
    events: pl.DataFrame, as_of: date | None = None, notable: float = NOTABLE_PERCENTILE
) -> pl.DataFrame:
    """Each pair's latest day on or before ``as_of``, with ``notable`` (expanding percentile >= ``notable``).

    ``events`` is the output of :func:`pair_events`.  Pairs whose data stopped
    before the newest date are kept (their own last day) and marked ``stale``.
    Sorted notable first, then by expanding percentile descending.
    """
    if not 0.0 < notable <= 1.0:
        raise DataError(f"notable: expected a percentile as a fraction in (0, 1], e.g. 0.95, got {notable:g}")
    frame = events if as_of is None else events.filter(pl.col("date") <= as_of)
    latest = frame.sort("pair", "date").group_by("pair", maintain_order=True).last()
    newest = latest["date"].max() if not latest.is_empty() else None
    return latest.with_columns(
        (pl.col("percentile").fill_null(0.0) >= notable).alias("notable"),
        (pl.col("date") != newest).alias("stale"),
    ).sort(["notable", "percentile"], descending=[True, True], nulls_last=True)
