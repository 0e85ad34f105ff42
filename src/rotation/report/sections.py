"""Sections 1 to 5, the rotation itself, and the helpers every section builder shares.

One pure builder per section: :class:`ReportData` in, :class:`Section` out
(sections 6 to 9 live in :mod:`rotation.report.context`).

Builders never touch the store and never redo the analytics' math: they call
the public functions of ``rotation.analytics`` and ``rotation.trading`` and turn
the results into tables, sentences, sparklines and plotly figures
(:mod:`rotation.report.charts`).  When a package a section needs is not
installed yet, the builder raises :class:`MissingAnalytics` naming it, and the
report shows the section as missing instead of failing.
"""

from __future__ import annotations

import importlib
from datetime import date, timedelta
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

import polars as pl

from rotation.data.symbols import normalize_symbol
from rotation.report import charts
from rotation.report.model import Column, FigureRef, Section, Spark, Table
from rotation.report.who_is_buying import day_sentence

if TYPE_CHECKING:
    from rotation.report.inputs import ReportData, ReportOptions


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
        if dd.ath_date >= start:
            # The all-time high is often also the last pivot high: one marker, labelled ATH.
            markers = [m for m in markers if not (m.day == dd.ath_date and m.kind == "high")]
            markers.append(charts.Marker(dd.ath_date, dd.ath, f"ATH {dd.ath_date:%m-%d} {dd.ath:,.2f}", "ath"))
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
        shade_days=rot_days, lower=tuple(dd_lines), lower_title="% below ATH", height=860,
    )
    return Section(
        3, "daily_chart", f"The daily chart: {leader} vs {laggard}",
        lines=tuple(lines), sparks=tuple(sparks),
        figures=(FigureRef("daily_chart", f"{leader} and {laggard}", fig,
                           "Candles are as-traded OHLC; dashed line: all-time high (highest high "
                           "up to as-of); triangles: zig-zag pivots; shaded: rotation days; bottom pane: "
                           "close vs the running all-time high.", 860),),
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
NOTABLE_ROWS = 20  # the headline table keeps the most extreme pair-days


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
    confirm = _breadth_confirmation(data, missing, lookback_start)
    rows = []
    for r in notable.head(NOTABLE_ROWS).iter_rows(named=True):
        conf = confirm(r["date"], r["a"], r["b"], short=True) if confirm else None
        rows.append((r["date"], r["pair"], r["return_a"], r["return_b"], r["spread"],
                     _PATTERN_TEXT.get(r["pattern"], r["pattern"]), r["rank"], r["count"],
                     r["percentile"], r["zscore"], conf or "-"))
    lines: list[str] = []
    # In words: the most extreme classic day (opposite signs) of each kind of rotation, size first.
    kinds = pl.DataFrame({"pair": [p.name for p in data.pairs],
                          "kind_order": [_KIND_ORDER.index(p.kind) if p.kind in _KIND_ORDER else 9
                                         for p in data.pairs],
                          "pair_order": list(range(len(data.pairs)))})
    classic = (
        notable.filter(pl.col("pattern").is_in(["a_up_b_down", "a_down_b_up"]))
        .join(kinds, on="pair", how="left")
        # Ties (e.g. two size pairs both at their widest) go to the later day, then the standard order.
        .sort(["kind_order", "percentile", "date", "pair_order"], descending=[False, True, True, False])
        .unique("kind_order", keep="first", maintain_order=True)
    )
    explained = []
    for r in classic.head(4).iter_rows(named=True):
        one = ev.filter(pl.col("pair") == r["pair"])
        event = events.event_on(one, r["date"])
        text = events.explain(event)
        conf = confirm(r["date"], r["a"], r["b"]) if confirm else None
        who = day_sentence(data, r["date"], (r["a"], r["b"]))
        lines.append(text + (f" Breadth: {conf}." if conf else "") + (f" {who}" if who else ""))
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
        note=(f"the {NOTABLE_ROWS} most extreme of {notable.height}; " if notable.height > NOTABLE_ROWS else "")
        + "rank: among the pair's days with a spread in the same direction, up to that day (1 = widest); "
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
    shown_pairs = [r["pair"] for r in classic.head(4).iter_rows(named=True)] or ["^RUT:^NDX"]
    bars = []
    for pair in shown_pairs:
        grp = spreads.filter(pl.col("pair") == pair).sort("date")
        if grp.is_empty():
            continue
        labels = tuple(
            f"#{r['rank']}" if r["percentile"] is not None and r["percentile"] >= options.event_percentile else ""
            for r in grp.iter_rows(named=True)
        )
        bars.append(charts.BarSeries(pair, tuple(grp["date"].to_list()), tuple(grp["spread"].to_list()), labels))
    figures: tuple[FigureRef, ...] = ()
    if bars:
        figures = (FigureRef(
            "headline", "Daily spreads of the pairs in the headline",
            charts.spread_bars(bars, title=f"Daily return spreads, last {options.event_lookback} sessions "
                                           "(label: rank in the pair's history when notable)"),
            "Spread = return of A minus return of B on adj_close, in points; #n = the n-th widest day of that "
            "direction in the pair's history up to that day.", height=420),)
    sparks = tuple(
        Spark(pair, tuple(grp.sort("date")["spread"].to_list()), f"daily spread, last {options.event_lookback} sessions")
        for (pair,), grp in spreads.group_by("pair", maintain_order=True)
        if pair in {r["pair"] for r in classic.head(4).iter_rows(named=True)}
    )
    return Section(
        1, "headline", "Headline: rotation events", lines=tuple(lines), tables=(recent, today_table),
        figures=figures,
        sparks=sparks, status="partial" if missing else "ok", missing=tuple(missing),
        facts={"explained": explained, "notable_days": sorted({d.isoformat() for d in notable["date"]})},
    )


def _breadth_confirmation(data: ReportData, missing: list[str], since: date | None = None) -> Any:
    """A function (day, a, b) -> one line on how broad the move was on each side, or ``None``.

    Calls issue 5's :func:`rotation.analytics.breadth.confirmation` with the
    report's constituent breadth frames and the funds' relative volume.
    """
    try:
        br = need("rotation.analytics.breadth", 5, "confirmation", "relative_volume")
        frames = breadth_frames(data)
    except MissingAnalytics as exc:
        missing.append(f"breadth confirmation: {exc}")
        return None
    volumes, closes = volume_frame(data), data.adj
    if since is not None:
        # Only the days asked about (and the session before each) matter: smaller frames, faster lookups.
        start = since - timedelta(days=10)
        volumes = volumes.filter(pl.col("date") >= start)
        closes = closes.filter(pl.col("date") >= start)
        frames = {u: f.filter(pl.col("date") >= start) for u, f in frames.items()}
    if not frames:
        missing.append("breadth confirmation: constituent closes (rotation data import ../shared/data)")

    def confirm(day: date, a: str, b: str, *, short: bool = False) -> str:
        conf = br.confirmation(day, a, b, closes=closes, volumes=volumes, breadth_by_universe=frames)
        return _short_confirmation(conf) if short else str(conf.description)

    return confirm


def _short_confirmation(conf: Any) -> str:
    """``A 95% up, vol 2.7x; B vol 1.6x``: a table cell's worth of a Confirmation."""
    parts = []
    for tag, side in (("A", conf.a), ("B", conf.b)):
        bits = []
        if side.share_up is not None:
            bits.append(f"{side.share_up * 100:.0f}% up")
        if side.relative_volume is not None:
            bits.append(f"vol {side.relative_volume:.1f}x")
        if bits:
            parts.append(f"{tag} {', '.join(bits)}")
    return "; ".join(parts) or "-"


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
        # A universe whose funds stopped updating (vendor files end on different days) is shown as
        # of its own last day: the last session with a price for at least half of its members.
        priced = data.adj.select("date", pl.sum_horizontal(pl.col(members).is_not_null()).alias("n"))
        last = priced.filter(pl.col("n") * 2 >= len(members))["date"]
        if last.is_empty():
            continue
        day = cast(date, last.max())
        adj = data.adj.filter(pl.col("date") <= day).select("date", *members, bench).tail(LEADERSHIP_SESSIONS)
        table = relative.leaders(
            adj, bench, day,
            highs=data.wide("high", members), closes=data.wide("close", members), labels=uni.labels,
        )
        b = relative.benchmark_returns(adj.select("date", bench), bench, day)
        stale = f" (its data end {day.isoformat()})" if day < data.as_of else ""
        rows = [f"{r['label']} ({r['symbol']})" if r["label"] != r["symbol"] else r["symbol"]
                for r in table.iter_rows(named=True)]
        values = [[r[f"r_{w}"] for w in windows] for r in table.iter_rows(named=True)]
        rows.append(f"benchmark {bench}")
        values.append([b[w] for w in windows])
        figures.append(FigureRef(
            f"leadership_{name}", f"Leadership: {name}",
            charts.heatmap(rows, windows, values,
                           title=f"{name}: returns on adj_close to {day.isoformat()}, ranked by 3m vs {bench}"),
            f"Rows ranked by the 3-month return relative to {bench}; cells are total returns (adj_close).",
            height=max(320, 28 * len(rows) + 140),
        ))
        tables.append(Table(
            f"{name} (vs {bench}) to {day.isoformat()}, ranked by 3m relative return",
            (Column("#", "rank"), Column("symbol"), *[Column(w, "pct") for w in windows],
             Column("from high", "pct")),
            tuple((r["rank"], r["symbol"], *[r[f"r_{w}"] for w in windows], r["from_high"])
                  for r in table.iter_rows(named=True)),
        ))
        # Ranked by the 3-month return (the same order as the relative one when the benchmark has a price).
        ranked = sorted((r for r in table.iter_rows(named=True) if r["r_3m"] is not None),
                        key=lambda r: r["r_3m"], reverse=True)
        if not ranked:
            lines.append(f"{name}{stale}: no 3-month returns (prices missing).")
            continue
        top, bottom = ranked[0], ranked[-1]
        lines.append(
            f"{name}{stale}: strongest over 3 months {top['symbol']} ({_fmt_pct(top['r_3m'])}, "
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


# -- shared by the headline and the breadth section (memoised per report) -----------------------------

VOLUME_FUNDS: tuple[str, ...] = ("IWM", "SPY", "QQQ", "RSP")


def breadth_frames(data: ReportData) -> dict[str, pl.DataFrame]:
    """Issue 5's daily breadth of each constituent universe loaded, once per report."""
    if "breadth" not in data.extra:
        br = need("rotation.analytics.breadth", 5, "breadth")
        data.extra["breadth"] = {u: br.breadth(p.closes, p.members) for u, p in data.constituents.items()}
    frames: dict[str, pl.DataFrame] = data.extra["breadth"]
    return frames


def volume_frame(data: ReportData) -> pl.DataFrame:
    """Relative volume (issue 5) of the broad funds over the last year, once per report."""
    if "volume" not in data.extra:
        br = need("rotation.analytics.breadth", 5, "relative_volume")
        funds = set(VOLUME_FUNDS) | {s for s in data.adj.columns if not s.startswith("^") and s != "date"}
        recent = data.bars.filter(pl.col("symbol").is_in(list(funds))).group_by("symbol").tail(300)
        data.extra["volume"] = br.relative_volume(recent.sort("symbol", "date"))
    frame: pl.DataFrame = data.extra["volume"]
    return frame
