"""One pure builder per report section: :class:`ReportData` in, :class:`Section` out.

Builders never touch the store and never redo the analytics' math: they call
the public functions of ``rotation.analytics`` and ``rotation.trading`` and turn
the results into tables, sentences, sparklines and plotly figures
(:mod:`rotation.report.charts`).  When a package a section needs is not
installed yet, the builder raises :class:`MissingAnalytics` naming it, and the
report shows the section as missing instead of failing.
"""

from __future__ import annotations

import importlib
from collections import Counter
from datetime import date
from types import ModuleType
from typing import TYPE_CHECKING, Any

import polars as pl

from rotation.data.calendar import nyse_sessions
from rotation.data.symbols import normalize_symbol
from rotation.data.validate import check_bars
from rotation.report import charts
from rotation.report.model import Column, FigureRef, Section, Spark, Table

if TYPE_CHECKING:
    from rotation.report.build import ReportData, ReportOptions


class MissingAnalytics(Exception):
    """A section's analytics module (another issue's work) is not available."""


def need(module: str, issue: int, *names: str) -> ModuleType:
    """Import ``module`` and check it has ``names``, or raise :class:`MissingAnalytics`."""
    try:
        mod = importlib.import_module(module)
    except ImportError:
        raise MissingAnalytics(f"{module} (issue {issue})") from None
    absent = [n for n in names if not hasattr(mod, n)]
    if absent:
        raise MissingAnalytics(f"{module}.{', '.join(absent)} (issue {issue})")
    return mod


def _fmt_pct(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:+.2f}%"


# -- 3. the daily chart ----------------------------------------------------------------------------


def _window(bars: pl.DataFrame, sessions: int) -> pl.DataFrame:
    return bars.sort("date").tail(sessions)


def daily_chart_section(data: ReportData, options: ReportOptions) -> Section:
    """Candles of the leader and the laggard on one time axis, ATH, drawdown, pivots, rotation days."""
    pivots_mod = need("rotation.analytics.pivots", 3, "zigzag")
    measure = need("rotation.analytics.measure", 3, "drawdown", "drawdown_series", "compare")
    leader, laggard = normalize_symbol(options.leader), normalize_symbol(options.laggard)
    panes: list[charts.PaneSpec] = []
    lines: list[str] = []
    sparks: list[Spark] = []
    facts: dict[str, Any] = {}
    missing: list[str] = []
    dd_lines: list[tuple[str, tuple[date, ...], tuple[float | None, ...]]] = []
    for sym in (leader, laggard):
        full = data.symbol_bars(sym)
        if full.is_empty():
            missing.append(f"bars of {sym}")
            continue
        win = _window(full, options.chart_sessions)
        start = win["date"][0]
        # Pivots on the whole history, so the first ones in the window do not depend on where it starts.
        pivots = [p for p in pivots_mod.zigzag(full, options.pivot_threshold) if p.date >= start]
        markers = [
            charts.Marker(p.date, p.price, f"{p.date:%m-%d} {p.price:,.2f}", p.kind) for p in pivots
        ]
        dd = measure.drawdown(full, data.as_of)
        facts[sym] = {"ath_date": dd.ath_date.isoformat(), "ath": dd.ath, "close": dd.close,
                      "as_of": dd.as_of.isoformat(), "pct_below": dd.pct_below,
                      "low_since": dd.low_since, "low_since_date": dd.low_since_date,
                      "max_drawdown": dd.max_drawdown,
                      "pivots": [{"date": p.date.isoformat(), "kind": p.kind, "price": p.price,
                                  "confirmed": p.confirmed is not None} for p in pivots]}
        note = f"{_fmt_pct(dd.pct_below)} from its all-time high"
        level = (dd.ath, f"ATH {dd.ath:,.2f} ({dd.ath_date.isoformat()})")
        if dd.ath_date >= start and not any(m.day == dd.ath_date and m.kind == "high" for m in markers):
            markers.append(charts.Marker(dd.ath_date, dd.ath, "ATH", "ath"))
        low = (f"; lowest low since {dd.low_since:,.2f} on {dd.low_since_date} ({_fmt_pct(dd.max_drawdown)})"
               if dd.low_since is not None else "")
        lines.append(
            f"{sym}: all-time high {dd.ath:,.2f} on {dd.ath_date.isoformat()} (highest high); "
            f"close {dd.close:,.2f} on {dd.as_of.isoformat()} is {_fmt_pct(dd.pct_below)} below it{low}."
        )
        piv_text = ", ".join(f"{p.kind} {p.date} {p.price:,.2f}" for p in pivots[-4:])
        if piv_text:
            lines.append(f"{sym} pivots ({options.pivot_threshold:.0%} zig-zag on high/low): {piv_text}.")
        # The full history's running ATH: on the window alone the high would restart at its start.
        series = measure.drawdown_series(full).filter(pl.col("date") >= start)
        dd_lines.append((f"{sym} drawdown", tuple(series["date"].to_list()),
                         tuple(v * 100 for v in series["drawdown"].to_list())))
        sparks.append(Spark(sym, tuple(win["close"].to_list()),
                            f"close {win['date'][0]}..{win['date'][-1]}; {note}"))
        panes.append(charts.PaneSpec(sym, win, tuple(markers), level, note))
    if len(panes) == 2:
        lead_dd = facts[leader]
        cmp = measure.compare(
            data.bars.filter(pl.col("symbol").is_in([leader, laggard])),
            f"{lead_dd['ath_date']}:close", "last", symbols=[leader, laggard], as_of=data.as_of,
        )
        m_a, m_b = cmp.measurements
        lines.append(
            f"Since {leader}'s high day {m_a.start.date} (closes): {leader} {_fmt_pct(m_a.pct_change)}, "
            f"{laggard} {_fmt_pct(m_b.pct_change)}; spread {cmp.spreads[0].spread * 100:+.2f} points."
        )
        facts["since_leader_high"] = {leader: m_a.pct_change, laggard: m_b.pct_change,
                                      "from": m_a.start.date.isoformat(), "to": m_a.end.date.isoformat()}
    try:
        first = panes[0].bars["date"][0] if panes else data.as_of
        rot_days = rotation_days(data, options, start=first)
    except MissingAnalytics as exc:
        missing.append(str(exc))
        rot_days = []
    if rot_days:
        lines.append("Rotation days shaded (^RUT:^NDX, opposite signs, top 5% of their history): "
                     + ", ".join(d.isoformat() for d in rot_days) + ".")
    facts["rotation_days"] = [d.isoformat() for d in rot_days]
    if not panes:
        return Section(3, "daily_chart", "", status="missing", missing=tuple(missing))
    fig = charts.candle_panes(
        panes, title=f"{leader} and {laggard}, daily (as traded), last {options.chart_sessions} sessions",
        shade_days=rot_days, lower=tuple(dd_lines), lower_title="% below ATH",
    )
    return Section(
        3, "daily_chart", f"The daily chart: {leader} vs {laggard}",
        lines=tuple(lines), sparks=tuple(sparks),
        figures=(FigureRef("daily_chart", f"{leader} and {laggard}", fig,
                           "Candles are as-traded OHLC; dashed line: all-time high (highest high "
                           "up to as-of); triangles: zig-zag pivots; shaded: rotation days; bottom pane: "
                           "close vs the running all-time high.", 880),),
        status="partial" if missing else "ok", missing=tuple(missing), facts=facts,
    )


# -- 1. headline: rotation events ------------------------------------------------------------------


def events_frame(data: ReportData, window: str = "1d") -> pl.DataFrame:
    """Event statistics of every standard pair present (issue 4's ``pair_events``), once per report.

    Memoised in ``data.extra`` because the headline, the daily chart and the
    ratio charts all read the same frame.
    """
    key = f"events_{window}"
    if key not in data.extra:
        events = need("rotation.analytics.events", 4, "pair_events")
        have = set(data.adj.columns)
        pairs = [(p.a, p.b) for p in data.pairs if p.a in have and p.b in have]
        data.extra[key] = events.pair_events(data.adj, pairs, window) if pairs else None
    frame = data.extra[key]
    if frame is None:
        raise MissingAnalytics("bars for the standard pairs (rotation data import / update)")
    return frame


def rotation_days(data: ReportData, options: ReportOptions, start: date) -> list[date]:
    """Classic rotation days (opposite signs) of the size pair ``laggard:^NDX`` since ``start``
    whose spread reached ``options.event_percentile`` of the pair's own history up to that day.
    """
    ev = events_frame(data)
    pair = f"{normalize_symbol(options.laggard)}:^NDX"
    days = ev.filter(
        (pl.col("pair") == pair) & (pl.col("date") >= start) & (pl.col("date") <= data.as_of)
        & pl.col("pattern").is_in(["a_up_b_down", "a_down_b_up"])
        & (pl.col("percentile") >= options.event_percentile)
    )["date"]
    return days.to_list()


def _pair_label(data: ReportData, pair: str) -> tuple[str, str]:
    for p in data.pairs:
        if p.name == pair:
            return p.kind, p.label
    return "", ""


_PATTERN_TEXT = {"a_up_b_down": "A+ B-", "a_down_b_up": "A- B+", "both_up": "both +", "both_down": "both -"}
_KIND_ORDER = ("size", "weighting", "style", "sector")


def headline_section(data: ReportData, options: ReportOptions) -> Section:
    """The day's rotation events across the standard pairs, ranked against each pair's own history."""
    events = need("rotation.analytics.events", 4, "pair_events", "scan_pairs", "event_on", "explain")
    ev = events_frame(data).filter(pl.col("date") <= data.as_of)
    sessions = ev["date"].unique().sort()
    lookback_start = sessions.tail(options.event_lookback)[0]
    notable = ev.filter(
        (pl.col("date") >= lookback_start) & (pl.col("percentile") >= options.event_percentile)
    ).sort(["percentile", "date"], descending=[True, True])
    missing: list[str] = []
    confirm = _breadth_confirmation(data, missing)
    rows = []
    for r in notable.iter_rows(named=True):
        conf = confirm(r["date"], r["a"], r["b"]) if confirm else None
        rows.append((r["date"], r["pair"], r["return_a"], r["return_b"], r["spread"],
                     _PATTERN_TEXT.get(r["pattern"], r["pattern"]), r["rank"], r["count"],
                     r["percentile"], r["zscore"], conf or "-"))
    lines: list[str] = []
    # In words: the most extreme classic day (opposite signs) of each kind of rotation, size first.
    kinds = pl.DataFrame({"pair": [p.name for p in data.pairs],
                          "kind_order": [_KIND_ORDER.index(p.kind) if p.kind in _KIND_ORDER else 9
                                         for p in data.pairs]})
    classic = (
        notable.filter(pl.col("pattern").is_in(["a_up_b_down", "a_down_b_up"]))
        .join(kinds, on="pair", how="left")
        .sort(["kind_order", "percentile", "date"], descending=[False, True, True])
        .unique("kind_order", keep="first", maintain_order=True)
    )
    explained = []
    for r in classic.head(4).iter_rows(named=True):
        one = ev.filter(pl.col("pair") == r["pair"])
        event = events.event_on(one, r["date"])
        text = events.explain(event)
        conf = confirm(r["date"], r["a"], r["b"]) if confirm else None
        lines.append(text + (f" Breadth: {conf}." if conf else ""))
        explained.append({"date": r["date"].isoformat(), "pair": r["pair"], "rank": event.rank,
                          "count": event.count, "rank_all": event.rank_all, "spread": event.spread,
                          "percentile": event.percentile})
    if notable.is_empty():
        lines.append(
            f"No standard pair's daily spread reached the {options.event_percentile:.0%} percentile of its own "
            f"history in the last {options.event_lookback} sessions."
        )
    today = events.scan_pairs(ev, data.as_of, options.event_percentile)
    n_today = int(today.filter(pl.col("notable") & ~pl.col("stale"))["notable"].sum())
    lines.insert(0, f"{data.as_of.isoformat()}: {n_today} of {today.height} standard pairs had a notable spread "
                    f"(>= {options.event_percentile:.0%} of their own history); {notable.height} notable pair-days "
                    f"in the last {options.event_lookback} sessions since {lookback_start.isoformat()}.")
    recent = Table(
        f"Notable rotation days, last {options.event_lookback} sessions (1-day spreads on adj_close)",
        (Column("date", "date"), Column("pair"), Column("A", "pct"), Column("B", "pct"),
         Column("spread", "pct"), Column("pattern"), Column("rank", "rank"), Column("of", "int"),
         Column("pctile", "pct0"), Column("z", "num"), Column("breadth")),
        tuple(rows),
        note="rank: among the pair's days with a spread in the same direction, up to that day (1 = widest); "
             "pctile: share of those days no wider; z: against the previous 252 sessions",
    )
    today_rows = tuple(
        (r["pair"], _pair_label(data, r["pair"])[0], r["date"], r["return_a"], r["return_b"], r["spread"],
         _PATTERN_TEXT.get(r["pattern"], r["pattern"]), r["rank"], r["count"], r["percentile"],
         "yes" if r["notable"] else "", "stale" if r["stale"] else "")
        for r in today.iter_rows(named=True)
    )
    today_table = Table(
        f"Every standard pair on {data.as_of.isoformat()}",
        (Column("pair"), Column("kind"), Column("date", "date"), Column("A", "pct"), Column("B", "pct"),
         Column("spread", "pct"), Column("pattern"), Column("rank", "rank"), Column("of", "int"),
         Column("pctile", "pct0"), Column("notable"), Column("data")),
        today_rows,
    )
    spreads = ev.filter(pl.col("date") >= lookback_start)
    sparks = tuple(
        Spark(pair, tuple(grp.sort("date")["spread"].to_list()), "daily spread, last sessions")
        for (pair,), grp in spreads.group_by("pair", maintain_order=True)
        if pair in {r["pair"] for r in classic.head(4).iter_rows(named=True)}
    )
    return Section(
        1, "headline", "Headline: rotation events", lines=tuple(lines), tables=(recent, today_table),
        sparks=sparks, status="partial" if missing else "ok", missing=tuple(missing),
        facts={"explained": explained, "notable_days": sorted({d.isoformat() for d in notable["date"]})},
    )


def _breadth_confirmation(data: ReportData, missing: list[str]) -> Any:
    """A function (day, a, b) -> short text on how broad the move was, or ``None`` (issue 5)."""
    missing.append("breadth confirmation: rotation.analytics.breadth (issue 5)")
    return None


# -- 2. leadership ------------------------------------------------------------------------------------


LEADERSHIP_SESSIONS = 300


def leadership_section(data: ReportData, options: ReportOptions) -> Section:
    """Returns by segment over 1d..1y as heat maps, one per universe, with the benchmark's row."""
    relative = need("rotation.analytics.relative", 4, "leaders", "benchmark_returns", "LEADER_WINDOWS")
    windows = list(relative.LEADER_WINDOWS)
    figures, tables = [], []
    lines = []
    facts: dict[str, Any] = {}
    for name, uni in data.universes.items():
        bench = uni.benchmark or "SPY"
        members = [s for s in uni.symbols if s in data.adj.columns and s != bench]
        if not members or bench not in data.adj.columns:
            continue
        # The longest window is 1y (252 sessions) or YTD: 300 sessions of adj_close are enough;
        # highs/closes keep the full history for the distance from the all-time high.
        adj = data.adj.select("date", *members, bench).tail(LEADERSHIP_SESSIONS)
        table = relative.leaders(
            adj, bench, data.as_of,
            highs=data.wide("high", members), closes=data.wide("close", members), labels=uni.labels,
        )
        b = relative.benchmark_returns(adj.select("date", bench), bench, data.as_of)
        rows = [f"{r['label']} ({r['symbol']})" if r["label"] != r["symbol"] else r["symbol"]
                for r in table.iter_rows(named=True)]
        values = [[r[f"r_{w}"] for w in windows] for r in table.iter_rows(named=True)]
        rows.append(f"benchmark {bench}")
        values.append([b[w] for w in windows])
        figures.append(FigureRef(
            f"leadership_{name}", f"Leadership: {name}",
            charts.heatmap(rows, windows, values, title=f"{name}: returns on adj_close, ranked by 3m vs {bench}"),
            f"Rows ranked by the 3-month return relative to {bench}; cells are total returns (adj_close).",
            height=max(320, 28 * len(rows) + 140),
        ))
        tables.append(Table(
            f"{name} (vs {bench}), ranked by 3m relative return",
            (Column("#", "rank"), Column("symbol"), *[Column(w, "pct") for w in windows],
             Column("from high", "pct")),
            tuple((r["rank"], r["symbol"], *[r[f"r_{w}"] for w in windows], r["from_high"])
                  for r in table.iter_rows(named=True)),
        ))
        top, bottom = table.row(0, named=True), table.row(-1, named=True)
        lines.append(
            f"{name}: strongest over 3 months {top['symbol']} ({_fmt_pct(top['r_3m'])}, "
            f"{_fmt_pct(top['rel_3m'])} vs {bench}); weakest {bottom['symbol']} ({_fmt_pct(bottom['r_3m'])}); "
            f"today's best {max(table.iter_rows(named=True), key=lambda r: r['r_1d'] or -9)['symbol']}."
        )
        facts[name] = {r["symbol"]: {w: r[f"r_{w}"] for w in windows} for r in table.iter_rows(named=True)}
    if not figures:
        return Section(2, "leadership", "", status="empty", lines=("No universe has prices in the store.",))
    return Section(2, "leadership", "Leadership: returns by segment", lines=tuple(lines),
                   figures=tuple(figures), tables=tuple(tables), facts=facts)


# -- 4. ratio charts ----------------------------------------------------------------------------------


def ratios_section(data: ReportData, options: ReportOptions) -> Section:
    """Ratio lines A/B (adj_close, rebased to 100) of the standard pairs with their moving averages."""
    relative = need("rotation.analytics.relative", 4, "ratio_line", "ratio_summary")
    fast, slow = options.ma_windows
    panels, rows, sparks, missing = [], [], [], []
    try:
        shade = set(rotation_days(data, options, data.as_of.replace(year=data.as_of.year - 1)))
    except MissingAnalytics:
        shade = set()
    for a, b in options.ratio_pairs:
        a, b = normalize_symbol(a), normalize_symbol(b)
        if a not in data.adj.columns or b not in data.adj.columns:
            missing.append(f"bars of {a if a not in data.adj.columns else b}")
            continue
        pair = data.adj.select("date", a, b).drop_nulls()
        # Warm-up of `slow` sessions before the window so both averages exist from its first day.
        full = relative.ratio_line(pair.tail(options.ratio_sessions + slow), a, b, fast, slow)
        shown = full.tail(options.ratio_sessions)
        summary = relative.ratio_summary(full, a, b, fast, slow)
        window = relative.ratio_summary(relative.ratio_line(pair.tail(options.ratio_sessions), a, b, fast, slow),
                                        a, b, fast, slow)
        kind, _label = _pair_label(data, f"{a}:{b}")
        days = tuple(shown["date"].to_list())
        panels.append(charts.LinePanel(
            f"{a} / {b}  ({summary.trend})", days, tuple(shown["ratio"].to_list()), "ratio A/B",
            ((f"{fast}-day MA", tuple(shown["ma_fast"].to_list())),
             (f"{slow}-day MA", tuple(shown["ma_slow"].to_list()))),
            shade_days=tuple(d for d in days if d in shade) if a in ("^RUT", "IWM") else (),
        ))
        rows.append((f"{a}/{b}", kind, window.return_a, window.return_b, window.spread,
                     summary.ratio / summary.ma_fast - 1 if summary.ma_fast else None,
                     summary.ratio / summary.ma_slow - 1 if summary.ma_slow else None,
                     summary.slope, summary.trend))
        sparks.append(Spark(f"{a}/{b}", tuple(shown["ratio"].to_list()),
                            f"{summary.trend}; {options.ratio_sessions}-session spread {_fmt_pct(window.spread)}"))
    if not panels:
        return Section(4, "ratios", "", status="missing", missing=tuple(missing))
    fig = charts.line_panels(panels, title=f"Ratio lines on adj_close (rebased), {fast}/{slow}-day moving averages")
    table = Table(
        f"Standard pairs over the last {options.ratio_sessions} sessions",
        (Column("pair"), Column("kind"), Column("A", "pct"), Column("B", "pct"), Column("spread", "pct"),
         Column(f"vs {fast}d MA", "pct"), Column(f"vs {slow}d MA", "pct"), Column("20d slope", "pct"),
         Column("trend")),
        tuple(rows),
        note="A/B on adj_close; trend: A leading when the ratio is above both moving averages",
    )
    return Section(
        4, "ratios", "Ratio charts of the standard pairs",
        lines=tuple(f"{r[0]}: {r[8]}; A {_fmt_pct(r[2])}, B {_fmt_pct(r[3])} over {options.ratio_sessions} sessions"
                    for r in rows),
        tables=(table,), sparks=tuple(sparks),
        figures=(FigureRef("ratios", "Ratio charts", fig,
                           "Shaded on the size ratios: classic ^RUT:^NDX rotation days (top 5% of history).",
                           height=int(fig.layout.height)),),
        status="partial" if missing else "ok", missing=tuple(missing),
    )


# -- 5. relative rotation graphs --------------------------------------------------------------------


RRG_UNIVERSES: tuple[str, ...] = ("sectors", "styles")


def rrg_section(data: ReportData, options: ReportOptions) -> Section:
    """Weekly RRGs of the sectors and the size/style universe against their benchmark, with tails."""
    rrg = need("rotation.analytics.rrg", 4, "rrg", "rrg_snapshot", "quadrant_transitions", "RrgParams")
    params = rrg.RrgParams.for_freq("weekly")
    figures, tables, lines = [], [], []
    facts: dict[str, Any] = {}
    for name in RRG_UNIVERSES:
        uni = data.universes.get(name)
        if uni is None:
            from rotation.data.universes import load_universe

            uni = load_universe(name)
        bench = uni.benchmark or "SPY"
        members = [s for s in uni.symbols if s in data.adj.columns and s != bench]
        if not members or bench not in data.adj.columns:
            continue
        history = rrg.rrg(data.adj.select("date", *members, bench), bench, members, params)
        points = rrg.rrg_snapshot(history, data.as_of, options.rrg_tail)
        if not points:
            continue
        trails = [charts.RRGTrail(p.symbol, uni.label(p.symbol), tuple(t[1] for t in p.tail),
                                  tuple(t[2] for t in p.tail), p.quadrant) for p in points]
        figures.append(FigureRef(
            f"rrg_{name}", f"RRG: {name}",
            charts.rrg(trails, title=f"{name} vs {bench}, weekly, tails of {options.rrg_tail} weeks "
                                     f"(as of {points[0].date.isoformat()})"),
            f"RS-Ratio/RS-Momentum on adj_close, weekly windows {params.window}/{params.smooth}/{params.momentum} "
            "(rotation.analytics.rrg; look-ahead free). Healthy rotation runs clockwise.",
            height=620,
        ))
        tables.append(Table(
            f"{name} vs {bench}: RRG position",
            (Column("symbol"), Column("segment"), Column("quadrant"), Column("RS-Ratio", "num"),
             Column("RS-Mom", "num"), Column("heading", "int")),
            tuple((p.symbol, uni.label(p.symbol), p.quadrant, p.rs_ratio, p.rs_momentum,
                   None if p.heading != p.heading else round(p.heading)) for p in points),
        ))
        by_q: dict[str, list[str]] = {}
        for p in points:
            by_q.setdefault(p.quadrant, []).append(p.symbol)
        lines.append(f"{name} vs {bench}: " + "; ".join(f"{q} {' '.join(v)}" for q, v in by_q.items()) + ".")
        trans = rrg.quadrant_transitions(history, start=points[0].tail[0][0], end=data.as_of)
        if not trans.is_empty():
            lines.append(f"{name} quadrant changes over the tail: " + ", ".join(
                f"{r['symbol']} {r['from_quadrant']}->{r['to_quadrant']} ({r['date']})"
                for r in trans.tail(6).iter_rows(named=True)) + ".")
        facts[name] = {p.symbol: p.quadrant for p in points}
    if not figures:
        return Section(5, "rrg", "", status="empty", lines=("No sector or style prices in the store.",))
    return Section(5, "rrg", "Relative Rotation Graphs", lines=tuple(lines), figures=tuple(figures),
                   tables=tuple(tables), facts=facts)


# -- 8. data health --------------------------------------------------------------------------------


def health_section(data: ReportData, options: ReportOptions) -> Section:
    """Stale symbols, last dates, and validation findings over the recent window."""
    last = (
        data.bars.group_by("symbol").agg(pl.col("date").max().alias("last"), pl.len().alias("rows"))
        .sort("symbol")
    )
    stale_rows = []
    for sym, last_day, _rows in last.iter_rows():
        if last_day < data.as_of:
            behind = nyse_sessions(last_day, data.as_of).len() - 1
            stale_rows.append((sym, last_day, behind))
    stale_rows.sort(key=lambda r: (-r[2], r[0]))
    by_last = Counter(last["last"].to_list())
    lines = [
        f"{last.height} symbols read up to {data.as_of.isoformat()}; "
        f"{len(stale_rows)} stale (last bar before the as-of date)."
    ]
    if data.missing_symbols:
        lines.append(f"Not in the store: {', '.join(data.missing_symbols)} "
                     "(fetch with `rotation data update SYMBOL...`).")
    recent_start = data.bars.filter(pl.col("date") <= data.as_of)["date"].unique().sort().tail(
        options.health_sessions)[0]
    recent = data.bars.filter(pl.col("date") >= recent_start)
    findings = check_bars(recent)
    counts = Counter(f.rule for f in findings)
    if findings:
        lines.append(
            f"Validation over {recent_start.isoformat()}..{data.as_of.isoformat()}: "
            + ", ".join(f"{n} {rule}" for rule, n in sorted(counts.items()))
            + " (rotation.data.validate)."
        )
    else:
        lines.append(f"Validation over {recent_start.isoformat()}..{data.as_of.isoformat()}: no findings.")
    last_table = Table(
        "Last bar dates",
        (Column("last date", "date"), Column("symbols", "int"), Column("which", "text")),
        tuple(
            (d, n, _short_list(sorted(last.filter(pl.col("last") == d)["symbol"].to_list())))
            for d, n in sorted(by_last.items(), reverse=True)
        ),
    )
    stale_table = Table(
        "Stale symbols",
        (Column("symbol"), Column("last bar", "date"), Column("sessions behind", "int")),
        tuple(stale_rows),
        note="sessions behind = NYSE sessions after the last bar up to the as-of date",
    )
    finding_rows = tuple(
        (f.symbol, f.date, f.rule, f.severity, f.message)
        for f in sorted(findings, key=lambda f: (f.date, f.symbol), reverse=True)
    )
    findings_table = Table(
        "Validation findings (newest first)",
        (Column("symbol"), Column("date", "date"), Column("rule"), Column("severity"), Column("message")),
        finding_rows,
    )
    tables = [last_table]
    if stale_rows:
        tables.append(stale_table)
    tables.append(findings_table)
    return Section(
        8, "health", "Data health", lines=tuple(lines), tables=tuple(tables),
        facts={"stale": [r[0] for r in stale_rows], "findings": dict(counts),
               "findings_start": recent_start.isoformat()},
    )


def _short_list(items: list[str], limit: int = 12) -> str:
    if len(items) <= limit:
        return " ".join(items)
    return " ".join(items[:limit]) + f" +{len(items) - limit}"


# -- sections waiting for other issues' analytics ----------------------------------------------------


def breadth_section(data: ReportData, options: ReportOptions) -> Section:
    raise MissingAnalytics("rotation.analytics.breadth (issue 5)")


def trades_section(data: ReportData, options: ReportOptions) -> Section:
    raise MissingAnalytics("rotation.trading.journal/plan (issue 6)")
