"""The window a backtest may trade in: where every symbol it needs really has data.

A panel holds the union of the needed symbols' dates, so it can run far past
the data of a traded fund (an index that keeps going after its ETF's file
stops) or start before it.  :func:`fit_window` cuts a panel down to the rows a
strategy may trade and be valued on, and says why:

* **Start**: the first session on or after ``--from`` where every required
  symbol has started.  Required: all symbols of a pair strategy (traded and
  signal); for a universe strategy (momentum, rrg) its benchmark and the first
  member to start.  Members that start later join the ranking on their first
  bar (a strategy ranks only symbols that exist that day).
* **End**: the earliest last bar of every needed symbol (and at most
  ``--to``).  A ``--to`` (``--end``) with NYSE sessions after a needed symbol's last bar
  is an error naming the symbol and its last date.
* **Rows**: inside the window, a row where no traded symbol has a bar (a date
  only a signal index traded) is dropped: the book has nothing to trade or
  value there.
* **Gaps**: a session inside the window where a symbol that has started has no
  bar is carried (its last close, for valuation) for at most :data:`GAP_LIMIT`
  sessions; a longer gap is an error.  On a carried bar the book makes no trade
  (the rebalance waits for the next bar where every started symbol has a real
  bar, see :func:`defer_on_gaps`), and the result lists every gap.

Everything here reads only the panel, so it is pure and look-ahead free: the
window of a longer history never changes an earlier row's decision.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import numpy as np

from rotation.backtest.strategies import FFILL_LIMIT, Panel, Strategy
from rotation.errors import DataError

GAP_LIMIT = FFILL_LIMIT  # sessions a missing bar inside the window is carried (the signals carry as many)


@dataclass(frozen=True)
class Gap:
    """``sessions`` consecutive sessions (``first`` .. ``last``) where ``symbol`` had no bar."""

    symbol: str
    first: date
    last: date
    sessions: int


@dataclass(frozen=True)
class Span:
    """First and last bar of one symbol in the loaded data."""

    symbol: str
    first: date
    last: date


@dataclass(frozen=True)
class Window:
    """The real window of a run: ``start .. end`` (``sessions`` bars, row ``first`` of the
    fitted panel), why it starts and ends there, each symbol's span, the carried gaps."""

    start: date
    end: date
    first: int
    sessions: int
    start_reason: str
    end_reason: str
    spans: tuple[Span, ...]
    gaps: tuple[Gap, ...]
    gap_limit: int = GAP_LIMIT

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready description (dates as ISO text)."""
        return {
            "start": self.start.isoformat(), "end": self.end.isoformat(), "sessions": self.sessions,
            "start_reason": self.start_reason, "end_reason": self.end_reason,
            "symbols": {s.symbol: {"first": s.first.isoformat(), "last": s.last.isoformat()} for s in self.spans},
            "gap_limit": self.gap_limit,
            "gaps": [{"symbol": g.symbol, "first": g.first.isoformat(), "last": g.last.isoformat(),
                      "sessions": g.sessions} for g in self.gaps],
        }

    def describe(self) -> str:
        """One line for the terminal: the window and why."""
        text = f"{self.start} .. {self.end} ({self.sessions:,} sessions; from {self.start_reason}, to {self.end_reason})"
        if self.gaps:
            text += f"; {len(self.gaps)} gap(s) carried: " + ", ".join(
                f"{g.symbol} {g.first}" + (f"..{g.last}" if g.last != g.first else "") for g in self.gaps[:5])
        return text


def is_universe(params: Strategy) -> bool:
    """True for strategies whose members may join late (momentum, rrg)."""
    return bool(getattr(params, "universe", False))


def _spans(panel: Panel, symbols: tuple[str, ...]) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    for s in symbols:
        rows = np.flatnonzero(~np.isnan(panel.close[:, panel.column(s)]))
        if rows.size == 0:
            raise DataError(f"no bars for {s!r} in the backtest data")
        out[s] = (int(rows[0]), int(rows[-1]))
    return out


def _check_end(panel: Panel, spans: dict[str, tuple[int, int]], end: date) -> None:
    """A ``--to`` with sessions after a needed symbol's last bar is an error naming it."""
    from rotation.data.calendar import nyse_sessions

    for s, (_, last) in sorted(spans.items(), key=lambda kv: kv[1][1]):
        last_day = panel.dates[last]
        if last_day >= end:
            return
        after = nyse_sessions(last_day, end)
        missing = int((after > last_day).sum())
        if missing:
            raise DataError(f"--to {end.isoformat()}: {s}'s data ends on {last_day.isoformat()} "
                            f"({missing:,} NYSE sessions earlier); choose --to {last_day.isoformat()} or earlier")


def _search(dates: Sequence[date], day: date, side: Literal["left", "right"]) -> int:
    """``np.searchsorted`` of ``day`` in the ascending ``dates`` (by day), without converting every
    date to ``datetime64`` (that conversion was most of a sweep's setup); other types take numpy."""
    if len(dates) and type(day) is date and type(dates[0]) is date and type(dates[-1]) is date:
        try:
            return bisect.bisect_left(dates, day) if side == "left" else bisect.bisect_right(dates, day)
        except TypeError:
            pass
    days = np.array(dates, dtype="datetime64[D]")
    return int(np.searchsorted(days, np.datetime64(day, "D"), side=side))


def fit_window(panel: Panel, params: Strategy, start: date | None = None, end: date | None = None,
               gap_limit: int = GAP_LIMIT) -> tuple[Panel, Window]:
    """The panel cut to the rows ``params`` may trade on (history before the start kept for the
    signals' warm-up), and its :class:`Window` (see the module docstring)."""
    needs = tuple(params.needs)
    traded = tuple(params.traded)
    spans = _spans(panel, needs)
    if end is not None:
        _check_end(panel, spans, end)
    # start-bound: every needed symbol, except that a universe needs only its first member
    members = traded if is_universe(params) else ()
    bound = {s: spans[s][0] for s in needs if s not in members}
    m0 = min(members, key=lambda s: spans[s][0]) if members else ""
    if m0:
        bound[m0] = spans[m0][0]
    start_sym = max(bound, key=lambda s: bound[s])
    first = bound[start_sym]
    start_reason = f"the first member's first bar ({start_sym})" if start_sym == m0 else f"{start_sym}'s first bar"
    if start is not None:
        row = _search(panel.dates, start, "left")
        if row >= panel.n:
            raise DataError(f"no data on or after {start.isoformat()} (last date {panel.dates[-1]})")
        if row > first:
            first, start_reason = row, "--from"
    end_sym = min(needs, key=lambda s: spans[s][1])
    last = spans[end_sym][1]
    end_reason = f"{end_sym}'s last bar"
    if end is not None:
        cut = _search(panel.dates, end, "right") - 1
        if cut <= last:
            last, end_reason = cut, "--to"
    if first > last:
        raise DataError(f"no data on or after {panel.dates[first]} for {end_sym} (its last bar is "
                        f"{panel.dates[last]})")
    # rows: all history before the window; inside it only rows where some traded symbol has a bar
    cols = [panel.column(s) for s in traded]
    has_bar = ~np.isnan(panel.close[:, cols])
    keep = np.zeros(panel.n, dtype=bool)
    keep[:first] = True
    keep[first : last + 1] = has_bar[first : last + 1].any(axis=1)
    keep[first] = True
    rows = np.flatnonzero(keep)
    if rows.size == panel.n:  # nothing to drop: the panel as it is (no copy of the bars)
        fitted = panel
    elif rows.size == rows[-1] + 1:  # only the end cut: views of the first rows
        fitted = Panel(panel.dates[: rows.size], panel.symbols, *(a[: rows.size] for a in
                       (panel.open, panel.high, panel.low, panel.close, panel.adj_close)))
    else:
        fitted = Panel(tuple(map(panel.dates.__getitem__, rows.tolist())), panel.symbols,
                       *(np.ascontiguousarray(a[rows]) for a in
                         (panel.open, panel.high, panel.low, panel.close, panel.adj_close)))
    new_first = int(np.searchsorted(rows, first))
    gaps = _gaps(fitted, needs, new_first, {s: int(np.searchsorted(rows, spans[s][0])) for s in needs}, gap_limit)
    window = Window(fitted.dates[new_first], fitted.dates[-1], new_first, fitted.n - new_first,
                    start_reason, end_reason,
                    tuple(Span(s, panel.dates[spans[s][0]], panel.dates[spans[s][1]]) for s in needs),
                    gaps, gap_limit)
    return fitted, window


def _gaps(panel: Panel, symbols: tuple[str, ...], first: int, starts: dict[str, int], limit: int) -> tuple[Gap, ...]:
    """Runs of missing bars inside the window (after each symbol's first bar); too long: an error."""
    out: list[Gap] = []
    for s in symbols:
        missing = np.isnan(panel.close[first:, panel.column(s)])
        missing[: max(0, starts[s] - first)] = False
        if not missing.any():
            continue
        edges = np.diff(np.concatenate([[0], missing.astype(np.int8), [0]]))
        for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
            gap = Gap(s, panel.dates[first + a], panel.dates[first + b - 1], int(b - a))
            if gap.sessions > limit:
                raise DataError(f"{s} has no bars from {gap.first} to {gap.last} ({gap.sessions} sessions), more "
                                f"than the {limit} a backtest carries; choose --from/--to around the gap")
            out.append(gap)
    return tuple(sorted(out, key=lambda g: (g.first, g.symbol)))


def carried_rows(panel: Panel, symbols: list[str], first: int) -> np.ndarray:
    """``[bar]`` over rows ``first..``: True where a started ``symbols`` column has no real bar."""
    c = panel.close[first:, [panel.column(s) for s in symbols]]
    seen = np.maximum.accumulate(~np.isnan(panel.close[:, [panel.column(s) for s in symbols]]), axis=0)[first:]
    return (np.isnan(c) & seen).any(axis=1)


def defer_on_gaps(targets: np.ndarray, carried: np.ndarray) -> np.ndarray:
    """Lagged ``targets[..., bar, symbol]`` with every carried bar keeping the previous bar's targets,
    so that a change waits for the next bar where every started symbol has a real bar."""
    if not carried.any():
        return targets
    n = carried.shape[0]
    rows = np.where(~carried, np.arange(n), -1)
    np.maximum.accumulate(rows, out=rows)
    out = targets[..., np.maximum(rows, 0), :]
    out[..., rows < 0, :] = 0.0
    return np.ascontiguousarray(out)
