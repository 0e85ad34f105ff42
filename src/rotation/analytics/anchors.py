"""Anchors: a date plus a price field, written as text and resolved against one symbol's bars.

Syntax (case-insensitive; ``FIELD`` is ``open``, ``high``, ``low``, ``close`` or ``adj_close``)

=========================  =====================================================================
``2024-06-20[:FIELD]``     that session's FIELD (default ``close``); a date that is not a
                           session of the symbol is an error naming the nearest sessions,
                           unless ``roll="prev"`` / ``"next"`` asks to move to one of them
``last[:FIELD]``           the last bar on or before the reference date
``ath[:FIELD]``            the highest FIELD (default ``high``) up to the reference date,
                           on the date it was first made
``low-since:DATE[:FIELD]`` the lowest FIELD (default ``low``) from DATE to the reference date
``high-since:DATE[:FIELD]`` the highest FIELD (default ``high``) from DATE to the reference date
``-Nd[:FIELD]``            N sessions (bars) before the reference date
``-Nw`` ``-Nm`` ``-Ny``    the last session on or before the reference date minus N calendar
                           weeks / months / years (month ends are clamped: 03-31 - 1m = 02-29)
``ytd[:FIELD]``            the last session of the year before the reference date's year
``pivot-low:PCT``          the last confirmed zig-zag pivot low at threshold PCT (e.g. ``10%``)
                           up to the reference date (price = that bar's ``low``)
``pivot-high:PCT``         the same for pivot highs (price = ``high``)
=========================  =====================================================================

Only a plain date stands on its own; every other form is *relative* to a
reference date and looks only at bars on or before it.  In a window
(:func:`resolve_window`) the ``to`` anchor is resolved first, against the
as-of date (default: the last bar), then the ``from`` anchor against the
resolved ``to`` date.  So ``--from ath --to 2024-07-26`` is the highest high up
to 2024-07-26, whatever came later.
"""

from __future__ import annotations

import calendar as _calendar
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal

import polars as pl

from rotation.analytics.pivots import PivotKind, last_pivot, parse_threshold
from rotation.errors import AnchorError, DataError

FIELDS: tuple[str, ...] = ("open", "high", "low", "close", "adj_close")

AnchorKind = Literal[
    "date", "last", "ath", "low_since", "high_since", "sessions_back", "calendar_back", "ytd",
    "pivot_low", "pivot_high",
]
Roll = Literal["prev", "next"]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RELATIVE = re.compile(r"^-(\d+)([dwmy])$")
_SYNTAX = (
    "expected DATE[:FIELD], last, ath, low-since:DATE, high-since:DATE, -Nd, -Nw, -Nm, -Ny, ytd, "
    "pivot-low:PCT or pivot-high:PCT"
)


@dataclass(frozen=True)
class Anchor:
    """A parsed anchor (see the module docstring); not yet tied to any data.

    ``day`` is the date of a ``date`` anchor or the start of a ``*-since`` one;
    ``count``/``unit`` describe relative anchors (unit ``d`` = sessions, ``w``,
    ``m``, ``y`` = calendar); ``threshold`` is a pivot anchor's fraction.
    """

    text: str
    kind: AnchorKind
    field: str
    day: date | None = None
    count: int = 0
    unit: str = ""
    threshold: float | None = None

    @property
    def relative(self) -> bool:
        """True unless the anchor is a plain date (it then depends on a reference date)."""
        return self.kind != "date"


@dataclass(frozen=True)
class ResolvedAnchor:
    """An anchor tied to one bar: the session date, the field read and its price.

    ``note`` says how it was found ("highest high up to 2024-07-26", "rolled
    from 2024-07-13 (Saturday)"); empty for a plain date.
    """

    text: str
    date: date
    field: str
    price: float
    note: str = ""


def _field(text: str, part: str) -> str:
    f = part.strip().lower()
    if f not in FIELDS:
        raise AnchorError(
            f"anchor {text!r}: unknown price field {part!r}; expected one of {', '.join(FIELDS)}"
        )
    return f


def _date(text: str, part: str) -> date:
    if not _DATE.match(part.strip()):
        raise AnchorError(f"anchor {text!r}: expected a date YYYY-MM-DD, got {part!r}")
    try:
        return date.fromisoformat(part.strip())
    except ValueError:
        raise AnchorError(f"anchor {text!r}: {part!r} is not a valid date") from None


def parse_anchor(text: str | Anchor) -> Anchor:
    """Parse anchor text (``2024-06-20:high``, ``ath``, ``-20d``...) into an :class:`Anchor`."""
    if isinstance(text, Anchor):
        return text
    if not isinstance(text, str) or not text.strip():
        raise AnchorError(f"empty anchor: {_SYNTAX}")
    raw = text.strip()
    parts = raw.split(":")
    head = parts[0].strip().lower()

    def field_at(i: int, default: str) -> str:
        if len(parts) > i + 1:
            raise AnchorError(f"anchor {raw!r}: too many ':' parts; {_SYNTAX}")
        return _field(raw, parts[i]) if len(parts) > i else default

    if _DATE.match(head) or re.match(r"^\d{4}-\d{1,2}-\d{1,2}$", head):
        return Anchor(raw, "date", field_at(1, "close"), day=_date(raw, head))
    if head in ("last", "latest"):
        return Anchor(raw, "last", field_at(1, "close"))
    if head == "ath":
        return Anchor(raw, "ath", field_at(1, "high"))
    if head == "ytd":
        return Anchor(raw, "ytd", field_at(1, "close"))
    if head in ("low-since", "high-since"):
        if len(parts) < 2 or not parts[1].strip():
            raise AnchorError(f"anchor {raw!r}: {head} needs a date, e.g. {head}:2024-06-20")
        kind: AnchorKind = "low_since" if head == "low-since" else "high_since"
        return Anchor(raw, kind, field_at(2, "low" if kind == "low_since" else "high"), day=_date(raw, parts[1]))
    if head in ("pivot-low", "pivot-high"):
        if len(parts) != 2:
            raise AnchorError(f"anchor {raw!r}: {head} needs a threshold, e.g. {head}:10%")
        try:
            t = parse_threshold(parts[1])
        except AnchorError as exc:
            raise AnchorError(f"anchor {raw!r}: {exc}") from None
        if head == "pivot-low":
            return Anchor(raw, "pivot_low", "low", threshold=t)
        return Anchor(raw, "pivot_high", "high", threshold=t)
    m = _RELATIVE.match(head)
    if m:
        count = int(m.group(1))
        if count == 0:
            raise AnchorError(f"anchor {raw!r}: the count must be at least 1")
        unit = m.group(2)
        kind = "sessions_back" if unit == "d" else "calendar_back"
        return Anchor(raw, kind, field_at(1, "close"), count=count, unit=unit)
    raise AnchorError(f"cannot read anchor {raw!r}: {_SYNTAX}")


# -- resolution ----------------------------------------------------------------------------


def single_symbol(bars: pl.DataFrame) -> tuple[str, pl.DataFrame]:
    """The one symbol in ``bars`` and its bars sorted by date (error when empty or mixed)."""
    if bars.is_empty():
        raise DataError("no bars to measure")
    symbols = bars["symbol"].unique().sort().to_list()
    if len(symbols) != 1:
        raise DataError(f"expected the bars of one symbol, got {len(symbols)}: {', '.join(symbols)}")
    return symbols[0], bars.sort("date")


def _describe(day: date) -> str:
    return f"{day.isoformat()} ({_calendar.day_name[day.weekday()]})"


def _price(symbol: str, frame: pl.DataFrame, i: int, field: str, text: str) -> float:
    value = frame[field][i]
    if value is None or value != value:
        raise AnchorError(f"anchor {text!r}: {symbol} has no {field} on {frame['date'][i].isoformat()}")
    return float(value)


def _months_back(day: date, months: int) -> date:
    y, m = divmod(day.year * 12 + (day.month - 1) - months, 12)
    m += 1
    return date(y, m, min(day.day, _calendar.monthrange(y, m)[1]))


def _last_index_on_or_before(dates: pl.Series, day: date) -> int:
    """Index of the last bar on or before ``day``; -1 when there is none."""
    return int(dates.search_sorted(day, side="right")) - 1


def _extreme(
    symbol: str, frame: pl.DataFrame, lo: int, hi: int, field: str, highest: bool, text: str
) -> int:
    """Index (in ``frame``) of the first max/min of ``field`` over rows ``lo..hi`` inclusive."""
    window = frame[field].slice(lo, hi - lo + 1)
    pos = window.arg_max() if highest else window.arg_min()
    if pos is None:
        raise AnchorError(f"anchor {text!r}: {symbol} has no {field} values in the window")
    return lo + int(pos)


def resolve_anchor(
    anchor: str | Anchor,
    bars: pl.DataFrame,
    reference: date | None = None,
    *,
    roll: Roll | None = None,
) -> ResolvedAnchor:
    """Tie ``anchor`` to one bar of ``bars`` (one symbol).

    ``reference`` is the date relative anchors look back from (bars after it are
    never read); default the last bar.  ``roll`` moves a plain date that is not
    a session to the previous or next session instead of failing.
    """
    a = parse_anchor(anchor)
    symbol, frame = single_symbol(bars)
    dates = frame["date"]
    first, last = dates[0], dates[-1]

    if a.kind == "date":
        assert a.day is not None
        day = a.day
        if day < first:
            raise AnchorError(f"anchor {a.text!r}: {day.isoformat()} is before {symbol}'s first bar ({first.isoformat()})")
        if day > last:
            raise AnchorError(f"anchor {a.text!r}: {day.isoformat()} is after {symbol}'s last bar ({last.isoformat()})")
        i = int(dates.search_sorted(day, side="left"))
        note = ""
        if dates[i] != day:
            before, after = dates[i - 1], dates[i]
            if roll is None:
                raise AnchorError(
                    f"anchor {a.text!r}: {_describe(day)} is not a trading day for {symbol}; nearest sessions "
                    f"{before.isoformat()} (before) and {after.isoformat()} (after); pick one, or roll to the previous/next session (--roll prev|next; roll = 'prev' in a claims file)"
                )
            if roll not in ("prev", "next"):
                raise AnchorError(f"roll {roll!r}: expected 'prev' or 'next'")
            if roll == "prev":
                i -= 1
            note = f"rolled from {_describe(day)} to the {'previous' if roll == 'prev' else 'next'} session"
        return ResolvedAnchor(a.text, dates[i], a.field, _price(symbol, frame, i, a.field, a.text), note)

    ref = last if reference is None else reference
    r = _last_index_on_or_before(dates, ref)
    if r < 0:
        raise AnchorError(
            f"anchor {a.text!r}: reference date {ref.isoformat()} is before {symbol}'s first bar ({first.isoformat()})"
        )
    ref_day = dates[r]

    if a.kind == "last":
        return ResolvedAnchor(a.text, ref_day, a.field, _price(symbol, frame, r, a.field, a.text),
                              f"last bar on or before {ref.isoformat()}")
    if a.kind == "ath":
        i = _extreme(symbol, frame, 0, r, a.field, True, a.text)
        return ResolvedAnchor(a.text, dates[i], a.field, _price(symbol, frame, i, a.field, a.text),
                              f"highest {a.field} up to {ref_day.isoformat()}")
    if a.kind in ("low_since", "high_since"):
        assert a.day is not None
        if a.day < first:
            raise AnchorError(
                f"anchor {a.text!r}: {a.day.isoformat()} is before {symbol}'s first bar ({first.isoformat()})"
            )
        if a.day > ref_day:
            raise AnchorError(
                f"anchor {a.text!r}: {a.day.isoformat()} is after the reference date {ref_day.isoformat()}"
            )
        lo = int(dates.search_sorted(a.day, side="left"))
        highest = a.kind == "high_since"
        i = _extreme(symbol, frame, lo, r, a.field, highest, a.text)
        word = "highest" if highest else "lowest"
        return ResolvedAnchor(a.text, dates[i], a.field, _price(symbol, frame, i, a.field, a.text),
                              f"{word} {a.field} from {a.day.isoformat()} to {ref_day.isoformat()}")
    if a.kind == "sessions_back":
        i = r - a.count
        if i < 0:
            raise AnchorError(
                f"anchor {a.text!r}: {symbol} has only {r} sessions before {ref_day.isoformat()}"
            )
        return ResolvedAnchor(a.text, dates[i], a.field, _price(symbol, frame, i, a.field, a.text),
                              f"{a.count} sessions before {ref_day.isoformat()}")
    if a.kind in ("calendar_back", "ytd"):
        if a.kind == "ytd":
            target = date(ref_day.year, 1, 1) - timedelta(days=1)
            how = f"last session of {ref_day.year - 1}"
        else:
            if a.unit == "w":
                target = ref_day - timedelta(weeks=a.count)
            else:
                target = _months_back(ref_day, a.count * (12 if a.unit == "y" else 1))
            how = f"last session on or before {target.isoformat()} ({a.text.split(':')[0]} from {ref_day.isoformat()})"
        i = _last_index_on_or_before(dates, target)
        if i < 0:
            raise AnchorError(
                f"anchor {a.text!r}: {target.isoformat()} is before {symbol}'s first bar ({first.isoformat()})"
            )
        return ResolvedAnchor(a.text, dates[i], a.field, _price(symbol, frame, i, a.field, a.text), how)
    # pivots: computed on the bars up to the reference date only (no look-ahead)
    assert a.threshold is not None
    kind: PivotKind = "low" if a.kind == "pivot_low" else "high"
    p = last_pivot(frame.head(r + 1), kind, a.threshold)
    if p is None:
        raise AnchorError(
            f"anchor {a.text!r}: {symbol} has no confirmed {a.threshold:.1%} pivot {kind} up to {ref_day.isoformat()}"
        )
    assert p.confirmed is not None
    return ResolvedAnchor(a.text, p.date, a.field, p.price,
                          f"last {a.threshold:.1%} zig-zag pivot {kind} up to {ref_day.isoformat()} "
                          f"(confirmed {p.confirmed.isoformat()})")


def resolve_window(
    from_: str | Anchor,
    to: str | Anchor,
    bars: pl.DataFrame,
    *,
    as_of: date | None = None,
    roll: Roll | None = None,
) -> tuple[ResolvedAnchor, ResolvedAnchor]:
    """Resolve a (from, to) pair: ``to`` against ``as_of`` (default last bar), then ``from`` against ``to``.

    Fails when ``from`` lands after ``to``, or when one side reads ``adj_close``
    and the other an as-traded field (their levels are not comparable).
    """
    a_from, a_to = parse_anchor(from_), parse_anchor(to)
    if as_of is not None:
        symbol, frame = single_symbol(bars)
        bars = frame.filter(pl.col("date") <= as_of)
        if bars.is_empty():
            raise AnchorError(f"as-of {as_of.isoformat()} is before {symbol}'s first bar ({frame['date'][0].isoformat()})")
    end = resolve_anchor(a_to, bars, as_of, roll=roll)
    start = resolve_anchor(a_from, bars, end.date, roll=roll)
    if start.date > end.date:
        raise AnchorError(
            f"from {a_from.text!r} resolves to {start.date.isoformat()}, after to {a_to.text!r} ({end.date.isoformat()})"
        )
    if (start.field == "adj_close") != (end.field == "adj_close"):
        raise AnchorError(
            f"from {a_from.text!r} reads {start.field} and to {a_to.text!r} reads {end.field}: adj_close levels "
            "are not comparable with as-traded prices; use adj_close on both (or total return) or neither"
        )
    return start, end


def reprice(anchor: ResolvedAnchor, bars: pl.DataFrame, field: str) -> ResolvedAnchor:
    """The same session read on another ``field`` (total return reads ``adj_close`` on the anchor's date)."""
    symbol, frame = single_symbol(bars)
    i = int(frame["date"].search_sorted(anchor.date, side="left"))
    if i >= frame.height or frame["date"][i] != anchor.date:
        raise AnchorError(f"{symbol} has no bar on {anchor.date.isoformat()}")
    price = _price(symbol, frame, i, field, anchor.text)
    note = f"{field} on the {anchor.field} anchor's date" + (f"; {anchor.note}" if anchor.note else "")
    return replace(anchor, field=field, price=price, note=note)
