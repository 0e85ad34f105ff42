"""Breadth queries: a constituent set's participation, and how broad a pair's move was on a day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import polars as pl

from rotation.analytics.breadth import (
    SIDE_SOURCES,
    VOLUME_WINDOW,
    CapVsEqual,
    Confirmation,
    breadth,
    cap_vs_equal,
    confirmation,
    equal_weight_returns,
    relative_volume,
)
from rotation.data.constituents import ConstituentPanel, load_panel, universes
from rotation.data.schema import BAR_SCHEMA
from rotation.data.store import Store
from rotation.data.symbols import normalize_symbol
from rotation.errors import DataError

# Cap-weighted fund, equal-weighted fund and index that stand for each universe.
WEIGHT_FUNDS: dict[str, tuple[str, str | None, tuple[str, ...]]] = {
    "sp500": ("SPY", "RSP", ("^GSPC",)),
    "russell2000": ("IWM", None, ("^RUT",)),
}


def session_on_or_before(frame: pl.DataFrame, as_of: date | None) -> date:
    """The last row on or before ``as_of`` (a weekend means the Friday before); default the last row.

    Before the first row is a clear error."""
    if frame.is_empty():
        raise DataError("no dates in range")
    if as_of is None:
        return frame["date"][-1]
    upto = frame.filter(pl.col("date") <= as_of)
    if upto.is_empty():
        raise DataError(
            f"--as-of {as_of}: before the constituent matrix's first date ({frame['date'][0]} .. {frame['date'][-1]})"
        )
    return upto["date"][-1]


@dataclass(frozen=True)
class Breadth:
    """A constituent set's daily breadth (full history in the store) and its notes."""

    universe: str
    membership: str
    frame: pl.DataFrame  # rotation.analytics.breadth.breadth columns
    notes: tuple[str, ...]
    panel: ConstituentPanel  # the closes and membership it was computed from
    survivor_biased: bool = True


def universe_breadth(st: Store, universe: str, start: date | None = None, end: date | None = None) -> Breadth:
    """Advancers, A/D line, share above MAs, highs/lows and McClellan of ``universe`` per day."""
    panel = load_panel(st, universe, start, end)
    return Breadth(universe, panel.membership, breadth(panel.closes, panel.members), tuple(panel.notes), panel)


@dataclass(frozen=True)
class Weights:
    """Equal vs cap weight of a constituent set on a day."""

    universe: str
    as_of: date
    cap_fund: str
    equal_fund: str | None
    result: CapVsEqual
    notes: tuple[str, ...]


def cap_vs_equal_weight(
    st: Store, universe: str, as_of: date | None = None, cap: str | None = None, equal: str | None = None,
    panel: ConstituentPanel | None = None,
) -> Weights:
    """Equal weight vs cap weight: the constituents' equal-weighted return and the funds (RSP/SPY).

    ``panel``: constituent closes already loaded (they must reach a year before ``as_of``);
    default the whole history in the store.
    """
    cap_d, equal_d, indices = WEIGHT_FUNDS.get(universe, ("SPY", None, ()))
    cap_fund = normalize_symbol(cap or cap_d)
    equal_fund = normalize_symbol(equal) if equal else equal_d
    symbols = [cap_fund, *([equal_fund] if equal_fund else []), *indices]
    panel = panel or load_panel(st, universe)
    levels = st.closes(symbols, start=panel.closes["date"][0] if panel.closes.height else None)
    ew = equal_weight_returns(panel.closes, panel.members)
    day = session_on_or_before(ew, as_of)
    result = cap_vs_equal(ew, levels, day, cap_fund=cap_fund, equal_fund=equal_fund)
    return Weights(universe, day, cap_fund, equal_fund, result, tuple(panel.notes))


def confirm_pair(st: Store, day: date, a: str, b: str) -> Confirmation:
    """Load what :func:`rotation.analytics.breadth.confirmation` needs around ``day`` and call it.

    One call, a few reads: share of each side's constituents up, its fund's volume vs its average.
    """
    a, b = normalize_symbol(a), normalize_symbol(b)
    have = {u.universe for u in universes(st)}
    needed = {SIDE_SOURCES.get(s, (None, None))[0] for s in (a, b)} & have
    by_universe = {}
    for u in sorted(x for x in needed if x):
        panel = load_panel(st, u, day - timedelta(days=10), day)
        by_universe[u] = breadth(panel.closes, panel.members, ma_windows=(), high_low_window=1)
    vol_symbols = {SIDE_SOURCES.get(s, (None, None if s.startswith("^") else s))[1] for s in (a, b)}
    stored = set(st.symbols())
    wanted = sorted({s for s in vol_symbols if s} & stored)
    start = day - timedelta(days=int(VOLUME_WINDOW * 1.6) + 10)
    bars = st.bars(wanted, start, day) if wanted else pl.DataFrame(schema=BAR_SCHEMA)
    # A side that is not a stored symbol (e.g. an @basket) gets no return, not an error.
    priced = [s for s in (a, b) if s in stored]
    closes = st.closes(priced, start=start, end=day) if priced else pl.DataFrame({"date": []}, schema={"date": pl.Date})
    return confirmation(day, a, b, closes=closes, volumes=relative_volume(bars), breadth_by_universe=by_universe)


def event_breadth(st: Store, day: date, a: str, b: str) -> dict[str, Any] | None:
    """Breadth on a rotation day for :func:`rotation.analytics.events.with_breadth`.

    Share of each side's constituents up, its fund's relative volume; sides without
    constituent data get ``None`` fields, baskets get no breadth at all.  Only the
    few weeks before the day are loaded.
    """
    if a.startswith("@") or b.startswith("@"):
        return None
    have = {u.universe for u in universes(st)}
    wanted = {SIDE_SOURCES.get(s, (None, None))[0] for s in (a, b)} & have
    frames = {}
    for uni in sorted(u for u in wanted if u is not None):
        panel = load_panel(st, uni, day - timedelta(days=14), day)
        frames[uni] = breadth(panel.closes, panel.members)
    stored = set(st.symbols())
    funds = {SIDE_SOURCES.get(s, (None, None if s.startswith("^") else s))[1] for s in (a, b)}
    funds_here = sorted(f for f in funds if f is not None and f in stored)
    volumes = relative_volume(st.bars(funds_here, day - timedelta(days=120), day)) if funds_here else (
        pl.DataFrame(schema={"symbol": pl.Utf8, "date": pl.Date, "relative_volume": pl.Float64})
    )
    closes = st.closes([a, b], start=day - timedelta(days=14), end=day)
    conf = confirmation(day, a, b, closes=closes, volumes=volumes, breadth_by_universe=frames)
    return {"description": conf.description, "survivor_biased": conf.survivor_biased, "a": conf.a, "b": conf.b}
