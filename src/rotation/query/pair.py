"""Pair queries: the ratio line of A:B, its rotation events, a day's rank in either direction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from rotation.analytics.events import (
    Z_WINDOW,
    RotationEvent,
    event_on,
    pair_events,
    top_events,
    toward_side,
    with_breadth,
)
from rotation.analytics.relative import RatioSummary, ratio_line, ratio_summary
from rotation.data.store import Store
from rotation.data.universes import pair_kind
from rotation.errors import DataError
from rotation.query.breadth import event_breadth
from rotation.query.prices import operand_closes


@dataclass(frozen=True)
class Ratio:
    """The ratio line A/B (adj_close, rebased to 100) with its moving averages, and its summary."""

    a: str
    b: str
    line: pl.DataFrame  # date, a, b, ratio, ma_fast, ma_slow, slope, spread
    summary: RatioSummary
    notes: tuple[str, ...] = ()


def pair_ratio(
    st: Store,
    a: str,
    b: str,
    start: date | None = None,
    end: date | None = None,
    fast: int = 50,
    slow: int = 200,
    slope_window: int = 20,
) -> Ratio:
    """Ratio line of two operands (symbols or ``@basket``) from ``start`` to ``end``.

    History before ``start`` is loaded to warm up the slow average (sessions -> calendar days).
    """
    warm = None if start is None else start - timedelta(days=int(max(slow, slope_window) * 1.5) + 10)
    closes = operand_closes(st, [a, b], warm, end)
    na, nb = closes.names
    _windows_fit(closes.frame, na, nb, {"slow": slow, "fast": fast, "slope window": slope_window + 1})
    line = ratio_line(closes.frame, na, nb, fast, slow, slope_window, start=start)
    return Ratio(na, nb, line, ratio_summary(line, na, nb, fast, slow, slope_window), closes.notes)


def _windows_fit(frame: pl.DataFrame, a: str, b: str, windows: dict[str, int]) -> None:
    """A clear error when a window needs more sessions than A and B have together (it never forms)."""
    if a == b:
        return  # ratio_line refuses it, with its own message
    both = frame.select("date", a, b).drop_nulls().filter(pl.col(a).is_not_nan() & pl.col(b).is_not_nan())
    name, need = max(windows.items(), key=lambda kv: kv[1])
    if need > both.height:
        span = f" ({both['date'].min()!s}..{both['date'].max()!s})" if both.height else ""
        raise DataError(f"{name} {need - 1 if name == 'slope window' else need}: longer than the data: {a} and {b} "
                        f"have {both.height:,} sessions with both prices{span}; choose a shorter {name}")


@dataclass(frozen=True)
class PairEvents:
    """Every day's spread of A:B ranked against its own history (no look-ahead)."""

    a: str
    b: str
    window: str
    events: pl.DataFrame  # rotation.analytics.events.pair_events columns
    kind: str | None
    label: str | None
    notes: tuple[str, ...] = ()

    def top(self, n: int = 10, since: date | None = None, toward: str | None = None) -> pl.DataFrame:
        """The ``n`` widest spreads on or after ``since``: either direction, or only toward ``a`` / ``b``."""
        side = toward_side(self.a, self.b, toward) if toward is not None else None
        last = self.events["date"].max() if not self.events.is_empty() else None
        if since is not None and last is not None and since > last:  # type: ignore[operator]
            raise DataError(f"--from {since}: after the last {self.window} spread of {self.a}:{self.b} ({last!s})")
        return top_events(self.events, n, since, side)

    def on(self, st: Store, day: date) -> RotationEvent:
        """The event on ``day`` with its breadth confirmation (a clear error when no spread that day)."""
        return with_breadth(event_on(self.events, day), event_breadth(st, day, self.a, self.b))


def pair_history(st: Store, a: str, b: str, window: str = "1d", end: date | None = None) -> PairEvents:
    """Rotation events of A:B up to ``end`` (operands may be ``@basket``)."""
    closes = operand_closes(st, [a, b], None, end)
    na, nb = closes.names
    events = pair_events(closes.frame, [(na, nb)], window, Z_WINDOW)
    info = pair_kind(na, nb)
    return PairEvents(na, nb, window, events, info.kind if info else None, info.label if info else None, closes.notes)
