"""Sections 6 to 9, the context around the rotation: breadth, your trades, data health, valuation.

Pure builders like those of :mod:`rotation.report.sections` (``ReportData`` in,
``Section`` out), calling the analytics of issues 5, 6 and 8 and the data
checks of :mod:`rotation.data.validate`.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import polars as pl

from rotation.data.calendar import nyse_sessions
from rotation.data.symbols import normalize_symbol
from rotation.data.validate import check_bars
from rotation.report import charts
from rotation.report.model import Column, FigureRef, Section, Spark, Table
from rotation.report.sections import (
    VOLUME_FUNDS,
    MissingAnalytics,
    _fmt_pct,
    breadth_frames,
    need,
    rotation_days,
    volume_frame,
)

if TYPE_CHECKING:
    from rotation.report.inputs import ReportData, ReportOptions


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


# -- 6. breadth and cap vs equal weight ------------------------------------------------------------


# Cap-weighted fund, equal-weighted fund and index of each constituent universe (as `rotation breadth`).
WEIGHT_FUNDS: dict[str, tuple[str, str | None, str | None]] = {
    "sp500": ("SPY", "RSP", "^GSPC"),
    "russell2000": ("IWM", None, "^RUT"),
}
BREADTH_SESSIONS = 126


def breadth_section(data: ReportData, options: ReportOptions) -> Section:
    """Share of members up / above their averages, new highs and lows, McClellan, and cap vs equal weight."""
    br = need("rotation.analytics.breadth", 5, "breadth", "equal_weight_returns", "cap_vs_equal")
    frames = breadth_frames(data)
    if not frames:
        return Section(6, "breadth", "", status="missing",
                       missing=("constituent closes: `rotation data import DIR` with a universe/ folder",))
    lines: list[str] = []
    snap_rows, cap_tables, panels, sparks = [], [], [], []
    facts: dict[str, Any] = {}
    shade: set[date] = set()
    with contextlib.suppress(MissingAnalytics):
        shade = set(rotation_days(data, options, data.as_of.replace(year=data.as_of.year - 1)))
    for u, frame in frames.items():
        panel = data.constituents[u]
        upto = frame.filter(pl.col("date") <= data.as_of)
        if upto.is_empty():
            continue
        last = upto.row(-1, named=True)
        day = last["date"]
        stale = f" (constituent data ends {day.isoformat()})" if day < data.as_of else ""
        lines.append(
            f"{u} on {day.isoformat()}{stale}: {_pct0(last['share_up'])} of members up; "
            f"{_pct0(last.get('above_ma50'))} above their 50-day and {_pct0(last.get('above_ma200'))} above "
            f"their 200-day average; {last['new_highs']} new 52-week highs, {last['new_lows']} new lows; "
            f"McClellan {last['mcclellan']:+.0f} ({panel.membership} membership, survivor-biased)."
            if last.get("mcclellan") is not None else
            f"{u} on {day.isoformat()}{stale}: {_pct0(last['share_up'])} of members up."
        )
        snap_rows.append((u, day, last["counted"], last["share_up"], last.get("above_ma20"), last.get("above_ma50"),
                          last.get("above_ma200"), last["new_highs"], last["new_lows"], last.get("mcclellan")))
        facts[u] = {"date": day.isoformat(), "share_up": last["share_up"], "above_ma50": last.get("above_ma50"),
                    "above_ma200": last.get("above_ma200"), "membership": panel.membership}
        shown = upto.tail(BREADTH_SESSIONS)
        days = tuple(shown["date"].to_list())
        in_window = tuple(d for d in days if d in shade)
        panels.append(charts.LinePanel(
            f"{u}: share of members above their moving averages", days,
            tuple(v * 100 if v is not None else None for v in shown["above_ma50"].to_list()), "% above 50-day",
            (("% above 200-day", tuple(v * 100 if v is not None else None for v in shown["above_ma200"].to_list())),),
            shade_days=in_window, hline=50.0,
        ))
        panels.append(charts.LinePanel(
            f"{u}: McClellan oscillator (ratio-adjusted) and new highs - lows", days,
            tuple(shown["mcclellan"].to_list()), "McClellan",
            (("net new 52-week highs", tuple(float(v) for v in shown["net_new_highs"].to_list())),),
            shade_days=in_window, hline=0.0,
        ))
        sparks.append(Spark(f"{u} % up", tuple(shown["share_up"].fill_null(float("nan")).to_list()[-40:]),
                            f"share of members up each day, last 40 sessions; today {_pct0(last['share_up'])}"))
        sparks.append(Spark(f"{u} >50d", tuple(shown["above_ma50"].fill_null(float("nan")).to_list()),
                            f"share above the 50-day average, {BREADTH_SESSIONS} sessions"))
        cap, equal, index = WEIGHT_FUNDS.get(u, (None, None, None))
        if cap is None or cap not in data.adj.columns:
            continue
        ew = br.equal_weight_returns(panel.closes, panel.members)
        levels = data.adj.select("date", *[x for x in (cap, equal, index) if x and x in data.adj.columns])
        result = br.cap_vs_equal(ew, levels, day, cap_fund=cap, equal_fund=equal)
        series = [c for c in result.table.columns if c not in ("window", "sessions", "start", "end")]
        cap_tables.append(Table(
            f"{u}: equal vs cap weight to {day.isoformat()} (adj_close; constituents_ew = daily-rebalanced mean)",
            (Column("window"), Column("from", "date"), *[Column(c, "pct") for c in series]),
            tuple((r["window"], r["start"], *[r[c] for c in series]) for r in result.table.iter_rows(named=True)),
            note="spread_equal_vs_cap = equal fund - cap fund; gap_ew_vs_cap = constituents' equal weight - cap fund",
        ))
        one_m = result.table.filter(pl.col("window") == "1m")
        if not one_m.is_empty():
            r = one_m.row(0, named=True)
            eq = f", {equal} {_fmt_pct(r.get(equal))}" if equal and equal in r else ""
            lines.append(f"{u} over 1 month: {cap} {_fmt_pct(r[cap])}{eq}, constituents equal-weighted "
                         f"{_fmt_pct(r['constituents_ew'])} (gap {_fmt_pct(r['gap_ew_vs_cap'])}).")
        ew_shown = ew.filter(pl.col("date") >= days[0]).join(levels, on="date", how="left")
        if not ew_shown.is_empty() and ew_shown[cap][0]:
            base_ew, base_cap = ew_shown["ew_index"][0], ew_shown[cap][0]
            rel = (ew_shown["ew_index"] / base_ew) / (ew_shown[cap] / base_cap) * 100
            overlays: tuple[tuple[str, tuple[float | None, ...]], ...] = ()
            if equal and equal in ew_shown.columns and ew_shown[equal][0]:
                rel_eq = (ew_shown[equal] / ew_shown[equal][0]) / (ew_shown[cap] / base_cap) * 100
                overlays = ((f"{equal} / {cap}", tuple(rel_eq.to_list())),)
            panels.append(charts.LinePanel(
                f"{u}: equal weight vs {cap} (rebased to 100)", tuple(ew_shown["date"].to_list()),
                tuple(rel.to_list()), f"constituents EW / {cap}", overlays, shade_days=in_window, hline=100.0,
            ))
    vol = volume_frame(data).filter(pl.col("date") == data.as_of)
    if not vol.is_empty():
        parts = [f"{r['symbol']} {r['relative_volume']:.1f}x" for r in vol.filter(
            pl.col("symbol").is_in(list(VOLUME_FUNDS))).sort("symbol").iter_rows(named=True)
            if r["relative_volume"] is not None]
        if parts:
            lines.append(f"Volume on {data.as_of.isoformat()} vs the previous 50-day average: {', '.join(parts)}.")
    snapshot = Table(
        "Breadth on the last day (constituent closes; survivor-biased sets)",
        (Column("universe"), Column("date", "date"), Column("counted", "int"), Column("up", "pct0"),
         Column(">20d", "pct0"), Column(">50d", "pct0"), Column(">200d", "pct0"), Column("new hi", "int"),
         Column("new lo", "int"), Column("McClellan", "num")),
        tuple(snap_rows),
    )
    fig = charts.line_panels(panels, title=f"Breadth, last {BREADTH_SESSIONS} sessions (shaded: rotation days)")
    notes = [n for p in data.constituents.values() for n in p.notes]
    return Section(
        6, "breadth", "Breadth and cap vs equal weight", lines=(*lines, *notes),
        tables=(snapshot, *cap_tables), sparks=tuple(sparks),
        figures=(FigureRef("breadth", "Breadth", fig, "Shares are of members with a price that day; "
                           "membership is point-in-time where the store has intervals.",
                           height=int(fig.layout.height)),),
        facts=facts,
    )


def _pct0(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:.0f}%"


# -- 7. trades ------------------------------------------------------------------------------------------


TRADE_CONTEXT_DAYS = 60


def trades_section(data: ReportData, options: ReportOptions) -> Section:
    """Open positions and plans (issue 6's replay and alerts): distance to each stop, recent fills."""
    alerts_mod = need("rotation.trading.alerts", 6, "watch")
    replay_mod = need("rotation.trading.replay", 6, "replay")
    if not data.trades and not data.journal:
        return Section(7, "trades", "Trades: positions, stops and fills", status="empty", lines=(
            "No journal entries or plans: record trades with `rotation journal add ...`, "
            "or pass plan files with `rotation report --plan PLAN.toml` "
            "(e.g. examples/iwm-short-2024-07.toml).",
        ))
    report = alerts_mod.watch([(t.plan, t.bars, t.journal) for t in data.trades], within=0.01, as_of=data.as_of)
    pos_rows: list[tuple[Any, ...]] = []
    fill_rows: list[tuple[Any, ...]] = []
    for e in data.journal or ():
        if e.exit_date is None or e.exit_date > data.as_of:
            continue  # still open at as_of: replayed below with the plans
        name = f"journal {e.id}"
        pos_rows.append((name, 1, f"{e.side} {e.symbol}", "closed", e.entry_date, e.entry_price, e.exit_price,
                         e.pnl_pct, None, e.exit_reason or "closed"))
        fill_rows.append((e.entry_date, name, 1, "entry", e.sign * e.quantity, e.entry_price))
        fill_rows.append((e.exit_date, name, 1, e.exit_reason or "exit", -e.sign * e.quantity, e.exit_price))
    lines: list[str] = [f"warning: {w}" for w in data.extra.get("trade_warnings", ())]
    figures: list[FigureRef] = []
    for item in data.trades:
        rep = replay_mod.replay(item.plan, item.bars, data.as_of)
        source = "journal" if item.journal else "plan"
        for t in rep.tranches:
            pos_rows.append((item.plan.name, t.index, f"{item.plan.side} {item.plan.symbol}", t.status,
                             t.entry_date, t.entry_price, t.mark_price if t.exit_date is None else t.exit_price,
                             t.pnl_pct, t.watched_distance_pct if t.watched_distance_pct is not None
                             else (t.risk_to_stop_pct if t.status == "open" else None), t.stop))
        for f in rep.fills:
            fill_rows.append((f.date, item.plan.name, f.tranche, f.reason, f.quantity, f.exec_price))
        lines.append(
            f"{item.plan.name} ({source}, {item.plan.side} {item.plan.symbol}): P&L {rep.pnl:,.2f} "
            f"({_fmt_pct(rep.pnl_pct)}), realized {rep.realized:,.2f}, unrealized {rep.unrealized:,.2f} "
            f"as of {rep.last_date}."
        )
        lines.extend(f"  tranche #{t.index}: {t.name} ({source})" for t in rep.tranches)
        lines.extend(f"warning: {w}" for w in rep.warnings)
        # The chart gets some context before the first entry when the report has the symbol's bars.
        context = data.symbol_bars(item.plan.symbol).filter(
            pl.col("date") >= item.plan.first_date - timedelta(days=TRADE_CONTEXT_DAYS))
        sym_bars = (context if not context.is_empty()
                    else item.bars.filter(pl.col("symbol") == item.plan.symbol)).sort("date")
        if not sym_bars.is_empty():
            markers = tuple(charts.Marker(f.date, f.price, f"{f.reason} {f.price:,.2f}",
                                          "buy" if f.quantity > 0 else "sell") for f in rep.fills)
            stops = [t.stop_price for t in rep.tranches if t.status == "open" and t.stop_price is not None]
            level = (min(stops) if item.plan.side == "long" else max(stops), "open stop") if stops else None
            figures.append(FigureRef(
                f"trade_{len(figures) + 1}", item.plan.name,
                charts.candle_panes([charts.PaneSpec(item.plan.symbol, sym_bars, markers, level)],
                                    title=f"{item.plan.name}: {item.plan.symbol} with fills", height=420),
                "Fills marked at their market level; dashed line: the tightest open stop on the traded "
                "instrument (a watched stop translated through the last closes).", height=420,
            ))
    alert_rows = tuple(
        (a.plan, a.tranche, a.rule, a.status, a.instrument, a.level, a.last_close, a.distance_pct)
        for a in report.alerts
    )
    if report.triggered or report.near:
        lines.insert(0, f"{report.triggered} stop/target triggered, {report.near} within 1% on {data.as_of}.")
    fill_rows.sort(key=lambda r: r[0], reverse=True)
    tables = (
        Table("Positions and plans (per tranche)",
              (Column("plan"), Column("#", "int"), Column("trade"), Column("status"), Column("entry", "date"),
               Column("entry px", "num"), Column("mark/exit", "num"), Column("P&L", "pct"),
               Column("to stop", "pct"), Column("stop")),
              tuple(pos_rows),
              note="to stop: how far the watched instrument must move to its level (or the mark to the stop)"),
        Table("Distance to each stop and target", (Column("plan"), Column("#", "int"), Column("rule"),
              Column("status"), Column("watch"), Column("level", "num"), Column("last", "num"),
              Column("distance", "pct")), alert_rows),
        Table("Recent fills", (Column("date", "date"), Column("plan"), Column("#", "int"), Column("reason"),
              Column("qty", "num"), Column("price", "num")), tuple(fill_rows[:12])),
    )
    return Section(7, "trades", "Trades: positions, stops and fills", lines=tuple(lines), tables=tables,
                   figures=tuple(figures[:4]),
                   facts={"triggered": report.triggered, "near": report.near, "plans": len(data.trades)})


# -- 9. valuation -----------------------------------------------------------------------------------------

VALUATION_CHART_YEARS = 3


def valuation_section(data: ReportData, options: ReportOptions) -> Section:
    """P/E, P/S and growth of the megacaps against their own history (issue 8), the leader's charts, CAPE."""
    val = need("rotation.analytics.valuation", 8, "detect_splits", "ttm_history", "valuation_series",
               "summarize", "basket_series", "summarize_basket", "expanding_bands")
    vcharts = need("rotation.report.valuation_charts", 8, "price_eps_chart", "multiple_bands_chart")
    facts = data.valuation.get("facts")
    if facts is None or facts.is_empty():
        return Section(9, "valuation", "", status="missing",
                       missing=("SEC companyfacts in the store: `rotation data import ../shared/data` "
                                "or `rotation data update --fundamentals SYMBOL...`",))
    uni = data.universes.get("megacaps")
    names = [s for s in (uni.symbols if uni else facts["ticker"].unique().to_list())
             if s in set(facts["ticker"].to_list())]
    bars = data.bars.filter(pl.col("symbol").is_in(names))
    from rotation.analytics.split_basis import combine_splits

    splits = combine_splits(val.detect_splits(facts), data.valuation.get("split_events"))
    history = val.ttm_history(facts, splits)
    series = val.valuation_series(bars, facts, splits, history)
    rows = val.summarize(series, facts, data.as_of, None, splits, history)
    basket = val.summarize_basket("megacaps", val.basket_series(series), data.as_of)
    lines: list[str] = []
    if basket is not None:
        lines.append(
            f"megacaps basket on {basket.date}: P/E {_num(basket.pe)} (above {_pct0(basket.pe_percentile)} of "
            f"its history since {basket.history_start}), P/S {_num(basket.ps)}, {basket.members} members "
            f"({', '.join(basket.member_symbols)}; total market value over total TTM earnings, filings "
            "known by that day)."
        )
    stale = [f"{r.symbol} (EPS to {r.eps_period_end})" for r in rows if r.eps_stale]
    if stale:
        lines.append(f"Stale earnings, multiples rest on old filings: {', '.join(stale)}.")
    table_rows = []
    for r in rows:
        d = r.decomposition
        table_rows.append((r.symbol, r.close, r.eps_ttm, r.pe, r.pe_percentile, r.ps, r.eps_growth,
                           r.revenue_growth, d.price_change if d else None, d.eps_change if d else None,
                           d.pe_change if d else None))
        if r.symbol == normalize_symbol(options.leader) and r.pe is not None:
            lines.append(
                f"{r.symbol}: P/E {_num(r.pe)} on TTM diluted EPS {_num(r.eps_ttm)} (period to {r.eps_period_end}, "
                f"filed {r.source_filed}), above {_pct0(r.pe_percentile)} of its own history; "
                + (f"over the year to {d.end}: price {_fmt_pct(d.price_change)} = EPS {_fmt_pct(d.eps_change)} "
                   f"x P/E {_fmt_pct(d.pe_change)}." if (d := r.decomposition) else "")
            )
    index = data.valuation.get("index")
    figures: list[FigureRef] = []
    leader = normalize_symbol(options.leader)
    start = data.as_of.replace(year=data.as_of.year - VALUATION_CHART_YEARS)
    lead_series = series.filter(pl.col("symbol") == leader) if "symbol" in series.columns else series.head(0)
    if not lead_series.is_empty():
        shown = lead_series.filter(pl.col("date") >= start)
        figures.append(FigureRef("valuation_price_eps", f"{leader}: price and TTM EPS",
                                 charts.restyle(vcharts.price_eps_chart(shown, leader)),
                                 "Close as traded; TTM diluted EPS as known each day (steps on filing days).",
                                 height=420))
        bands = val.expanding_bands(lead_series, "pe").filter(pl.col("date") >= start)
        if not bands.is_empty():
            figures.append(FigureRef("valuation_pe_bands", f"{leader}: P/E and its own percentiles",
                                     charts.restyle(vcharts.multiple_bands_chart(bands, leader, "pe")),
                                     "Percentile bands of the P/E's own history up to each day (no look-ahead).",
                                     height=420))
    if index and index.get("shiller") is not None:
        iv_mod = need("rotation.analytics.index_valuation", 8, "index_valuation")
        iv = iv_mod.index_valuation(index["shiller"], index.get("sp500_pe"), index.get("annual"),
                                    index.get("snapshots"), data.as_of)
        if iv.cape is not None:
            lines.append(f"S&P Composite CAPE {iv.cape:.1f} ({iv.month:%Y-%m}), above {_pct0(iv.cape_percentile)} "
                         f"of its history (median {_num(iv.cape_median)}; Shiller's data).")
        for sv in iv.size[-1:]:
            if sv.small_vs_large is not None:
                lines.append(f"S&P 600 vs S&P 500 P/E ({sv.year}{', estimate' if sv.estimate else ''}): "
                             f"{_num(sv.sp600_pe)} vs {_num(sv.sp500_pe)}, ratio {sv.small_vs_large:.2f}.")
    table = Table(
        f"Megacaps on {data.as_of.isoformat()} (point in time: only filings made by then)",
        (Column("symbol"), Column("close", "num"), Column("EPS ttm", "num"),
         Column("P/E", "num"), Column("P/E pctile", "pct0"), Column("P/S", "num"), Column("EPS gr", "pct"),
         Column("rev gr", "pct"), Column("1y price", "pct"), Column("1y EPS", "pct"), Column("1y P/E", "pct")),
        tuple(table_rows),
        note="growth: TTM vs TTM a year earlier; 1y: price change = EPS change x P/E change (decomposition)",
    )
    return Section(9, "valuation", "Valuation: the leaders against their earnings", lines=tuple(lines),
                   tables=(table,), figures=tuple(figures),
                   facts={r.symbol: {"pe": r.pe, "pe_percentile": r.pe_percentile, "eps_ttm": r.eps_ttm}
                          for r in rows})


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:,.2f}"
