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


def rotation_days(data: ReportData, options: ReportOptions, start: date) -> list[date]:
    """Notable classic rotation days of the chart's size pair since ``start`` (issue 4's events)."""
    raise MissingAnalytics("rotation.analytics.events (issue 4)")


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


def headline_section(data: ReportData, options: ReportOptions) -> Section:
    raise MissingAnalytics("rotation.analytics.events (issue 4)")


def leadership_section(data: ReportData, options: ReportOptions) -> Section:
    raise MissingAnalytics("rotation.analytics.relative leaders (issue 4)")


def ratios_section(data: ReportData, options: ReportOptions) -> Section:
    raise MissingAnalytics("rotation.analytics.relative ratios (issue 4)")


def rrg_section(data: ReportData, options: ReportOptions) -> Section:
    raise MissingAnalytics("rotation.analytics.rrg (issue 4)")


def breadth_section(data: ReportData, options: ReportOptions) -> Section:
    raise MissingAnalytics("rotation.analytics.breadth (issue 5)")


def trades_section(data: ReportData, options: ReportOptions) -> Section:
    raise MissingAnalytics("rotation.trading.journal/plan (issue 6)")
