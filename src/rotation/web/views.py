"""What each dashboard view shows, as JSON-ready dicts built from the query layer.

One function per view; each takes an open store and validated parameters and
returns plain dicts and lists (columns as arrays, ready for plotly).  The app
caches their serialized output per store version (:mod:`rotation.web.cache`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from rotation.analytics.breadth import breadth_on
from rotation.analytics.events import NOTABLE_PERCENTILE, explain
from rotation.analytics.rrg import RrgParams
from rotation.data.constituents import universes as constituent_universes
from rotation.data.store import Store
from rotation.data.universes import universe_names
from rotation.errors import ConfigError, DataError, RotationError
from rotation.jsonable import to_jsonable
from rotation.query import positioning
from rotation.query.breadth import cap_vs_equal_weight, session_on_or_before, universe_breadth
from rotation.query.pair import pair_history, pair_ratio
from rotation.query.prices import constituent_sets
from rotation.query.rotation import scan_universe, universe_rrg
from rotation.query.trades import trades

# Calendar days of constituent history loaded before a breadth range: the 200-day average
# and the 52-week (252-session) highs need a year of sessions.
BREADTH_WARMUP_DAYS = 400
DEFAULT_RANGE_DAYS = 730  # the pair view shows two years unless told otherwise
BREADTH_RANGE_DAYS = 365  # the breadth view, one year
BREADTH_COLUMNS = ("share_up", "above_ma20", "above_ma50", "above_ma200", "mcclellan", "ad_line",
                   "new_highs", "new_lows", "advancers", "decliners", "counted")
EVENT_COLUMNS = ("date", "return_a", "return_b", "spread", "pattern", "rank", "count", "percentile",
                 "rank_all", "count_all", "percentile_all", "zscore")


def columns(frame: pl.DataFrame, names: Sequence[str]) -> dict[str, list[Any]]:
    """A frame as ``{column: [values]}`` (JSON-ready), only ``names`` that exist."""
    return {n: to_jsonable(frame[n]) for n in names if n in frame.columns}


def check_universe(st: Store, name: str, *, constituents: bool = True) -> str:
    """A universe *name* (preset, user file in the config dir, or constituent set): never a path."""
    key = name.strip().lower()
    sets = constituent_sets(st) if constituents else []
    if key in universe_names() or key in sets:
        return key
    choices = ", ".join([*universe_names(), *sets])
    got = repr(name) if re.fullmatch(r"[A-Za-z0-9_\-]{1,40}", name) else "something else (names only, no paths)"
    raise ConfigError(f"universe: expected one of {choices}; got {got}")


def universes_view(st: Store) -> dict[str, Any]:
    """Universe names and constituent sets the dashboard offers."""
    return {"universes": [n for n in universe_names() if n != "pairs"], "constituent_sets": constituent_sets(st)}


# -- RRG ------------------------------------------------------------------------------------------

def rrg_view(
    st: Store, universe: str, benchmark: str | None, freq: str, window: int | None, smooth: int | None,
    momentum: int | None, tail: int, as_of: date | None, span: int,
) -> dict[str, Any]:
    """Every member's RS-Ratio / RS-Momentum over the last ``span`` sampled bars to ``as_of``.

    The page animates the tails from these arrays (aligned to ``dates``; null where a
    member had no point) and lists the quadrant transitions of the same window.
    """
    params = RrgParams.for_freq(freq, window, smooth, momentum)
    result = universe_rrg(st, check_universe(st, universe), benchmark, as_of, params, tail)
    result.require_points(as_of)  # the CLI's error: the bars a first point needs and the bars there are
    hist = result.history.filter(pl.col("rs_ratio").is_not_null() & pl.col("rs_momentum").is_not_null())
    if as_of is not None:
        hist = hist.filter(pl.col("date") <= as_of)
    if hist.is_empty():
        raise DataError(f"no RRG points for {result.universe} on or before {as_of or 'the last date'}")
    dates = hist["date"].unique().sort().tail(span)
    hist = hist.filter(pl.col("date") >= dates[0])
    grid = pl.DataFrame({"date": dates})
    series: dict[str, Any] = {}
    for sym in sorted(hist["symbol"].unique().to_list()):
        one = grid.join(hist.filter(pl.col("symbol") == sym), on="date", how="left")
        series[sym] = {"x": to_jsonable(one["rs_ratio"].round(3)), "y": to_jsonable(one["rs_momentum"].round(3)),
                       "q": one["quadrant"].to_list()}
    moves = result.transitions(dates[0], dates[-1])
    return {
        "universe": result.universe, "benchmark": result.benchmark, "params": to_jsonable(result.params),
        "tail": tail, "dates": to_jsonable(dates), "labels": result.labels, "series": series,
        "transitions": to_jsonable(moves.sort("date", descending=True)), "notes": list(result.notes),
        "basis": "adj_close",
    }


# -- pair -----------------------------------------------------------------------------------------

def _events(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return to_jsonable(frame.select([c for c in EVENT_COLUMNS if c in frame.columns]))


def pair_view(
    st: Store, a: str, b: str, window: str, fast: int, slow: int, start: date | None, end: date | None,
    day: date | None, top: int,
) -> dict[str, Any]:
    """Ratio with moving averages, spread history with ranks, top days toward each side, one day explained."""
    if slow <= fast:
        raise ConfigError(f"slow: expected more sessions than fast ({fast}), got {slow}")
    if start is not None and end is not None and start > end:
        raise ConfigError(f"start {start} is after end {end}")
    hist = pair_history(st, a, b, window, end)
    if hist.events.is_empty():
        raise DataError(f"no common sessions for {hist.a} and {hist.b}")
    last: date = hist.events["date"][-1]
    if day is not None and start is None and end is None:  # a chosen day: two years around it
        end = min(last, day + timedelta(days=DEFAULT_RANGE_DAYS // 4))
        first = end - timedelta(days=DEFAULT_RANGE_DAYS)
    else:
        first = start or ((end or last) - timedelta(days=DEFAULT_RANGE_DAYS))
    ratio = pair_ratio(st, a, b, first, end, fast, slow)
    chosen = day or last
    ev = hist.on(st, chosen)
    shown = hist.events.filter((pl.col("date") >= first) & (pl.col("date") <= (end or last)))
    return {
        "a": hist.a, "b": hist.b, "kind": hist.kind, "label": hist.label, "window": window,
        "summary": to_jsonable(ratio.summary), "trend": ratio.summary.trend,
        "line": columns(ratio.line, ("date", "ratio", "ma_fast", "ma_slow")),
        "spread": columns(shown, ("date", "spread", "rank", "count", "percentile", "rank_all", "percentile_all")),
        "day": {**to_jsonable(ev), "toward": ev.toward, "classic": ev.classic, "explain": explain(ev)},
        "top_a": _events(hist.top(top, toward=hist.a)), "top_b": _events(hist.top(top, toward=hist.b)),
        "notes": [*hist.notes, *(n for n in ratio.notes if n not in hist.notes)],
        "basis": "adj_close",
    }


def _last_date(st: Store, universe: str) -> date:
    """The last date of a constituent set's closes."""
    info = next((u for u in constituent_universes(st) if u.universe == universe), None)
    if info is None or info.last_date is None:
        raise DataError(f"no constituent closes for {universe}")
    return info.last_date


# -- breadth --------------------------------------------------------------------------------------

def breadth_view(st: Store, universe: str, start: date | None, end: date | None, as_of: date | None) -> dict[str, Any]:
    """Participation of a constituent set: share up, % above MAs, McClellan, A/D line; cap vs equal weight."""
    key = universe.strip().lower()
    sets = constituent_sets(st)
    if key not in sets:
        raise ConfigError(f"universe: expected a constituent set ({', '.join(sets) or 'none in the store'}); "
                          f"got {universe!r}")
    if start is not None and end is not None and start > end:
        raise ConfigError(f"start {start} is after end {end}")
    last = end or as_of or _last_date(st, key)
    first = start or (last - timedelta(days=BREADTH_RANGE_DAYS))
    b = universe_breadth(st, key, first - timedelta(days=BREADTH_WARMUP_DAYS), last)
    frame = b.frame
    if frame.is_empty():
        raise DataError(f"no constituent closes for {key} in range")
    shown = frame.filter(pl.col("date") >= first)
    day = session_on_or_before(frame, as_of)
    weights: dict[str, Any] | None
    try:
        w = cap_vs_equal_weight(st, key, day, panel=b.panel)
        weights = {"as_of": w.as_of, "cap_fund": w.cap_fund, "equal_fund": w.equal_fund,
                   "ratio": w.result.ratio, "table": w.result.table}
    except RotationError as exc:
        weights = {"error": str(exc)}
    return to_jsonable({
        "universe": key, "membership": b.membership, "survivor_biased": True, "notes": list(b.notes),
        "as_of": day, "snapshot": breadth_on(frame, day), "series": columns(shown, ("date", *BREADTH_COLUMNS)),
        "weights": weights,
    })


# -- trades ---------------------------------------------------------------------------------------

def _trade(item: Any, chart_sessions: int) -> dict[str, Any]:
    rep = item.replay
    traded = item.bars.filter(pl.col("symbol") == item.plan.symbol).sort("date")
    return {
        "source": item.source if item.journal else Path(item.source).name, "journal": item.journal,
        "plan": item.plan.name, "symbol": item.plan.symbol, "side": item.plan.side,
        "last_date": rep.last_date, "pnl": rep.pnl, "pnl_pct": rep.pnl_pct, "realized": rep.realized,
        "unrealized": rep.unrealized,
        "tranches": [{"index": t.index, "name": t.name, "status": t.status, "stop": t.stop, "quantity": t.quantity,
                      "entry_date": t.entry_date, "entry_price": t.entry_price, "exit_date": t.exit_date,
                      "exit_price": t.exit_price, "exit_reason": t.exit_reason, "pnl": t.pnl,
                      "traded_stop": t.traded_stop} for t in rep.tranches],
        "fills": rep.fills, "alerts": item.alerts,
        "bars": columns(traded.tail(chart_sessions), ("date", "open", "high", "low", "close")),
    }


def trades_view(st: Store, plans: Sequence[Path], as_of: date | None, chart_sessions: int = 90) -> dict[str, Any]:
    """Saved plans and open journal entries replayed to ``as_of``, with stop distances; the whole journal."""
    t = trades(st, plans, as_of)
    return to_jsonable({
        "as_of": as_of, "within": t.within, "items": [_trade(i, chart_sessions) for i in t.items],
        "journal": [{**to_jsonable(e), "pnl": e.pnl, "pnl_pct": e.pnl_pct} for e in t.journal],
        "warnings": list(t.warnings),
    })


def stop_distances(view: dict[str, Any]) -> list[dict[str, Any]]:
    """The open stops of a trades view, nearest first (for the overview)."""
    rows = [{**a, "plan": i["plan"], "source": i["source"]} for i in view["items"] for a in i["alerts"]]
    return sorted(rows, key=lambda r: (r["status"] != "triggered", r["distance_pct"] if r["distance_pct"] is not None
                                       else -1.0))


# -- overview -------------------------------------------------------------------------------------

def overview_view(st: Store, plans: Sequence[Path], as_of: date | None) -> dict[str, Any]:
    """Today's notable rotation days, the sectors RRG, breadth of each constituent set, positioning, stops."""
    out: dict[str, Any] = {"as_of": as_of}
    scan = scan_universe(st, "pairs", "1d", as_of, NOTABLE_PERCENTILE)
    out["scan"] = {"as_of": as_of, "notable": scan.notable, "pairs": to_jsonable(scan.pairs), "notes": list(scan.notes)}
    try:
        rrg = universe_rrg(st, "sectors", None, as_of, RrgParams.for_freq("weekly"), 5)
        out["rrg"] = {"universe": rrg.universe, "benchmark": rrg.benchmark, "points": to_jsonable(rrg.points),
                      "labels": rrg.labels}
    except RotationError as exc:
        out["rrg"] = {"error": str(exc)}
    out["breadth"] = []
    for key in constituent_sets(st):
        try:
            end = as_of or _last_date(st, key)
            b = universe_breadth(st, key, end - timedelta(days=BREADTH_WARMUP_DAYS), end)
            day = session_on_or_before(b.frame, as_of)
            out["breadth"].append({"universe": key, "as_of": day, "snapshot": breadth_on(b.frame, day)})
        except RotationError as exc:
            out["breadth"].append({"universe": key, "error": str(exc)})
    out["positioning"] = positioning_summary(st, as_of)
    view = trades_view(st, plans, as_of)
    out["stops"] = stop_distances(view)
    out["warnings"] = view["warnings"]
    return to_jsonable(out)


def positioning_summary(st: Store, as_of: date | None) -> dict[str, Any]:
    """Who is buying: CFTC groups and sentiment as known at ``as_of``; else what is missing."""
    try:
        return {"available": True, **to_jsonable(positioning.summary(st, as_of))}
    except RotationError as exc:
        return {"available": False, "missing": str(exc)}
