"""Build the report: load everything once through the store, then call the pure section builders.

:func:`load_report_data` is the only function here that touches the store (one
``bars`` query for every symbol the report needs, full history up to the as-of
date, plus the store summary, constituents and journal where those exist).
:func:`build_report` then calls one pure builder per section
(:mod:`rotation.report.sections`), timing each; a section whose analytics are
not available comes back with status ``missing`` and names what it needs,
instead of failing the whole report.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from rotation.data.store import Store
from rotation.data.symbols import normalize_symbol
from rotation.data.universes import Pair, Universe, load_universe, standard_pairs
from rotation.errors import DataError, StoreError
from rotation.report import context as C
from rotation.report import sections as S
from rotation.report import who_is_buying as W
from rotation.report.inputs import DEFAULT_UNIVERSES, ReportData, ReportOptions, TradeItem
from rotation.report.model import Report, Section


def report_symbols(universes: dict[str, Universe], pairs: Sequence[Pair], options: ReportOptions) -> list[str]:
    """Every symbol the report reads, in a stable order."""
    seen: dict[str, None] = {}
    for u in universes.values():
        for s in u.symbols:
            seen.setdefault(s)
        if u.benchmark:
            seen.setdefault(u.benchmark)
    for p in pairs:
        seen.setdefault(p.a)
        seen.setdefault(p.b)
    for a, b in options.ratio_pairs:
        seen.setdefault(normalize_symbol(a))
        seen.setdefault(normalize_symbol(b))
    seen.setdefault(normalize_symbol(options.leader))
    seen.setdefault(normalize_symbol(options.laggard))
    return list(seen)


# Constituent history the breadth panel reads: the shown window plus a 52-week (252-session) warm-up
# for new highs/lows and the 200-day average, in calendar days.
CONSTITUENT_DAYS = 560


def _load_trades(
    store: Store, plan_paths: Sequence[Path], as_of: date, warnings: list[str]
) -> tuple[tuple[TradeItem, ...], Any]:
    """Plan files and every journal entry, each with its bars up to ``as_of`` (issue 6's loaders);
    a journal entry that cannot be replayed is left out with a line in ``warnings``."""
    try:
        from rotation.trading.journal import entry_plan, list_entries
        from rotation.trading.plan import load_plan
        from rotation.trading.replay import plan_bars
    except ImportError:
        return (), None
    from rotation.trading.alerts import evaluate

    items = [TradeItem(p, plan_bars(store, p, as_of), False) for p in (load_plan(x) for x in plan_paths)]
    entries = tuple(e for e in list_entries(store, "all") if e.entry_date <= as_of)
    for e in entries:
        # Only positions still open at as_of are replayed and watched; a trade closed by
        # then has its real exit in the journal (the trades section lists it as such).
        if e.exit_date is not None and e.exit_date <= as_of:
            continue
        plan = entry_plan(e)
        rep, problem = evaluate(store, plan, as_of)
        if rep is None:  # one bad entry must not take the report down: skipped, and said
            warnings.append(f"skipped journal entry {e.id} ({e.side} {e.symbol}): {problem}")
            continue
        items.append(TradeItem(plan, plan_bars(store, plan, as_of), True))
    return tuple(items), entries


VALUATION_UNIVERSE = "megacaps"


def _load_valuation(store: Store, symbols: Sequence[str]) -> dict[str, Any]:
    """SEC facts of ``symbols`` and the index tables (issue 8), or ``{}`` without fundamentals."""
    try:
        from rotation.analytics.valuation import CONCEPTS_USED
        from rotation.data.fundamentals import has_fundamentals, index_inputs, load_facts
    except ImportError:
        return {}
    if not symbols or not has_fundamentals(store):
        return {}
    from rotation.data.splits import stored_splits

    out: dict[str, Any] = {"facts": load_facts(store, symbols, CONCEPTS_USED),
                           "split_events": stored_splits(store, symbols)}
    try:
        out["index"] = index_inputs(store)
    except StoreError:
        out["index"] = None
    return out


def _load_positioning(store: Store, as_of: date) -> dict[str, Any]:
    """CFTC rows of RTY NQ ES and the sentiment series released by ``as_of`` (issue 11), or ``{}``."""
    from rotation.data.positioning import has_positioning, has_sentiment, positioning_frame, sentiment_frame

    out: dict[str, Any] = {}
    if has_positioning(store):
        out["frame"] = positioning_frame(store, ["RTY", "NQ", "ES"], as_of=as_of)
    if has_sentiment(store):
        out["sentiment"] = sentiment_frame(store, as_of=as_of)
    return out


def _load_constituents(store: Store, as_of: date) -> dict[str, Any]:
    """Constituent panels (closes + membership mask) by universe, or ``{}`` when the store has none."""
    try:
        from rotation.data.constituents import load_panel, universes
    except ImportError:
        return {}
    start = as_of - timedelta(days=CONSTITUENT_DAYS)
    return {
        u.universe: load_panel(store, u.universe, start, as_of)
        for u in universes(store)
        if u.prices and u.first_date is not None and u.first_date <= as_of
    }


def load_report_data(
    store: Store,
    as_of: date | None = None,
    universes: Sequence[str] = DEFAULT_UNIVERSES,
    options: ReportOptions | None = None,
) -> ReportData:
    """Read every input of the report from ``store`` in one pass (bars up to ``as_of``)."""
    options = options or ReportOptions()
    unis = {name: load_universe(name) for name in universes}
    pairs = standard_pairs()
    summary = store.summary()
    if summary.is_empty():
        raise DataError(
            f"store {store.path} holds no bars: fill it with `rotation data update` (online) "
            "or `rotation data import DIR` (offline), e.g. `rotation data import ../shared/data`"
        )
    wanted = report_symbols(unis, pairs, options)
    have = set(summary["symbol"].to_list())
    present = [s for s in wanted if s in have]
    missing = tuple(s for s in wanted if s not in have)
    if not present:
        raise DataError(
            f"store {store.path} has none of the report's symbols ({', '.join(wanted[:6])}...): "
            "run `rotation data update` (online) or `rotation data import DIR` (offline)"
        )
    if as_of is None:
        as_of = max(summary.filter(pl.col("symbol").is_in(present))["last_date"].to_list())
    bars = store.bars(present, None, as_of)
    if bars.is_empty():
        raise DataError(f"no bars on or before {as_of.isoformat()} for the report's symbols in {store.path}")
    trade_warnings: list[str] = []
    trades, journal = _load_trades(store, options.plans, as_of, trade_warnings)
    return ReportData(
        as_of=as_of,
        bars=bars,
        universes=unis,
        pairs=pairs,
        summary=summary.select("symbol", "first_date", "last_date", "rows"),
        missing_symbols=missing,
        constituents=_load_constituents(store, as_of),
        journal=journal,
        trades=trades,
        valuation=_load_valuation(store, [s for s in load_universe(VALUATION_UNIVERSE).symbols if s in have]),
        positioning=_load_positioning(store, as_of),
        store_path=str(store.path),
        extra={"trade_warnings": tuple(trade_warnings)},
    )


SectionBuilder = Callable[[ReportData, ReportOptions], Section]

# (number, key, title, builder): the report's sections in order.
SECTIONS: tuple[tuple[int, str, str, SectionBuilder], ...] = (
    (1, "headline", "Headline: today's rotation events", S.headline_section),
    (2, "leadership", "Leadership: returns by segment", S.leadership_section),
    (3, "daily_chart", "The daily chart: leader vs small caps", S.daily_chart_section),
    (4, "ratios", "Ratio charts of the standard pairs", S.ratios_section),
    (5, "rrg", "Relative Rotation Graphs", S.rrg_section),
    (6, "breadth", "Breadth and cap vs equal weight", C.breadth_section),
    (7, "trades", "Trades: positions, stops and fills", C.trades_section),
    (8, "health", "Data health", C.health_section),
    (9, "valuation", "Valuation: the leaders against their earnings", C.valuation_section),
    (10, "positioning", "Who is buying: futures positioning and sentiment", W.positioning_section),
)


def build_sections(data: ReportData, options: ReportOptions) -> tuple[list[Section], dict[str, float]]:
    """Run every section builder on ``data``; timings in seconds per section key."""
    out: list[Section] = []
    timings: dict[str, float] = {}
    for number, key, title, builder in SECTIONS:
        t0 = time.perf_counter()
        try:
            section = builder(data, options)
        except S.MissingAnalytics as exc:
            section = Section(number, key, title, status="missing", missing=(str(exc),))
        timings[key] = time.perf_counter() - t0
        out.append(replace(section, number=number, key=key, title=section.title or title))
    return out, timings


def build_report(
    store: Store,
    as_of: date | None = None,
    universes: Sequence[str] = DEFAULT_UNIVERSES,
    options: ReportOptions | None = None,
) -> Report:
    """The evening report as of ``as_of`` (default: the store's latest date for the report's symbols)."""
    options = options or ReportOptions()
    t0 = time.perf_counter()
    data = load_report_data(store, as_of, universes, options)
    t_load = time.perf_counter() - t0
    sections, timings = build_sections(data, options)
    timings = {"load": t_load, **timings, "total": time.perf_counter() - t0}
    notes = [
        "Returns and ratios use adj_close (splits and dividends); candles, highs and stops use as-traded OHLC.",
    ]
    if data.missing_symbols:
        notes.append(f"Not in the store (left out): {', '.join(data.missing_symbols)}.")
    return Report(
        as_of=data.as_of,
        generated_at=datetime.now(UTC).replace(tzinfo=None, microsecond=0),
        store=data.store_path,
        universes=tuple(universes),
        sections=tuple(sections),
        notes=tuple(notes),
        timings=timings,
    )
