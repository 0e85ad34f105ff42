"""Section 10, "Who is buying": CFTC positioning of RTY, NQ and ES, recent flows, sentiment vs history.

A pure builder like those of :mod:`rotation.report.sections` (``ReportData`` in,
``Section`` out).  Its inputs (``data.positioning``) are loaded once by
:mod:`rotation.report.build`, already cut at the as-of date by release date, so the
section sees only the reports and surveys published by then and names each one.
:func:`day_sentence` gives the headline its positioning line for a rotation day.
"""

from __future__ import annotations

import contextlib
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import polars as pl

from rotation.analytics.positioning import (
    BIG_MONEY,
    SMALL_MONEY,
    ContractPositioning,
    contract_flows,
    contract_positioning,
    group_label,
    net_series,
)
from rotation.analytics.sentiment import SentimentReport, sentiment_report
from rotation.data.positioning import CONTRACTS, Contract
from rotation.errors import DataError
from rotation.query.positioning import DEFAULT_CONTRACTS, day_block, usd_bn
from rotation.report.model import Column, FigureRef, Section, Table
from rotation.report.positioning_charts import positioning_chart

if TYPE_CHECKING:
    from rotation.report.inputs import ReportData, ReportOptions

FLOW_WEEKS = 4  # "the flows of the last weeks": from the report known four weeks before as-of
CHART_YEARS = 3
CHART_CONTRACTS = ("RTY", "NQ")  # the rotation's two sides; ES is in the tables
_SHOWN = (*BIG_MONEY, *SMALL_MONEY)
_CHART_GROUPS = ("asset_mgr", "lev_money", "dealer", "nonrept")


def _specs(data: ReportData) -> list[Contract]:
    frame = data.positioning.get("frame")
    if frame is None:
        return []
    have = set(frame["contract"].drop_nulls().unique().to_list())
    return [CONTRACTS[k] for k in DEFAULT_CONTRACTS if k in have]


def _closes(data: ReportData, spec: Contract) -> pl.DataFrame | None:
    bars = data.symbol_bars(spec.index_symbol)
    return None if bars.is_empty() else bars.select("date", "close")


def day_sentence(data: ReportData, day: date, symbols: tuple[str, ...]) -> str | None:
    """The headline's line on positioning around ``day``: its report's flows, or when it comes out."""
    frame = data.positioning.get("frame")
    if frame is None or frame.is_empty():
        return None
    specs = [s for s in _specs(data) if s.index_symbol in symbols]
    if not specs:
        return None
    block = day_block(frame, specs, day, data.as_of, {s.key: _closes(data, s) for s in specs})
    return block.sentence()


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:.0f}%"


def _contract_line(p: ContractPositioning) -> str:
    parts = []
    for g in p.groups:
        if g.group not in _SHOWN:
            continue
        dollars = f", {usd_bn(g.net_dollars)}" if g.net_dollars is not None else ""
        change = f", {g.change:+,} on the week" if g.change is not None else ""
        stats = f"; z {g.zscore:+.1f}, percentile {_pct(g.percentile)}" if g.zscore is not None else ""
        parts.append(f"{g.label} net {g.net:+,}{dollars}{change}{stats}")
    return (f"{p.contract} ({CONTRACTS[p.contract].name}), CFTC report of {p.report_date} released {p.release_date}: "
            + "; ".join(parts) + f" (percentiles over the last {p.window_reports} reports).")


def _sentiment_lines(r: SentimentReport) -> list[str]:
    out = []
    if r.aaii is not None:
        a = r.aaii
        out.append(f"AAII individual investors ({a.date}): bullish {a.bullish * 100:.1f}%, neutral "
                   f"{a.neutral * 100:.1f}%, bearish {a.bearish * 100:.1f}%; bull-bear spread {a.spread * 100:+.1f} "
                   f"points, percentile {_pct(a.spread_percentile)} of {a.weeks:,} weeks since {a.history_start}.")
    if r.naaim is not None:
        n = r.naaim
        out.append(f"NAAIM active managers' exposure ({n.date}): {n.value:.1f}, percentile {_pct(n.percentile)} "
                   f"since {n.history_start}.")
    eq = next((p for p in r.put_call if p.series == "pc_equity"), None)
    if eq is not None and eq.average is not None:
        out.append(f"CBOE equity put/call ({eq.date}): {eq.value:.2f}, {eq.average_days}-day average "
                   f"{eq.average:.2f}, percentile {_pct(eq.average_percentile)} of that average's history.")
    return out


def _sentiment_table(r: SentimentReport) -> Table:
    rows: list[tuple[Any, ...]] = []
    if r.aaii is not None:
        a = r.aaii
        rows += [("AAII bullish", a.date, a.release_date, a.bullish * 100, a.bullish_percentile),
                 ("AAII neutral", a.date, a.release_date, a.neutral * 100, None),
                 ("AAII bearish", a.date, a.release_date, a.bearish * 100, a.bearish_percentile),
                 ("AAII bull-bear spread", a.date, a.release_date, a.spread * 100, a.spread_percentile)]
    if r.naaim is not None:
        rows.append((r.naaim.label, r.naaim.date, r.naaim.release_date, r.naaim.value, r.naaim.percentile))
    for p in r.put_call:
        rows.append((p.label, p.date, p.release_date, p.value, p.percentile))
        if p.average is not None:
            rows.append((f"  {p.average_days}-day average", p.date, p.release_date, p.average,
                         p.average_percentile))
    return Table(
        "Sentiment against its own history",
        (Column("measure"), Column("date", "date"), Column("released", "date"), Column("value", "num"),
         Column("pctile", "pct0")),
        tuple(rows),
        note="AAII shares in percent, spread in points; N-day average: of the put/call above; pctile: share of the series' history up to the reading at or below it",
    )


def positioning_section(data: ReportData, options: ReportOptions) -> Section:
    """Who is buying: each group's positioning, the last weeks' flows and sentiment, as known at as-of."""
    specs = _specs(data)
    frame = data.positioning.get("frame")
    sentiment = data.positioning.get("sentiment")
    if frame is None or not specs:
        return Section(10, "positioning", "", status="missing",
                       missing=("CFTC positioning in the store: `rotation data import ../shared/data` "
                                "or `rotation data update --positioning`",))
    if frame.filter(pl.col("release_date") <= data.as_of).is_empty():
        return Section(10, "positioning", "", status="empty",
                       lines=(f"No CFTC report released by {data.as_of} in the store.",))
    closes = {s.key: _closes(data, s) for s in specs}
    items = []
    for s in specs:
        with contextlib.suppress(DataError):  # no report of this contract released by then
            items.append(contract_positioning(frame, s, closes[s.key], data.as_of))
    lines = [_contract_line(p) for p in items]
    pos_rows = tuple(
        (p.contract, p.report_date, g.label, g.net, g.net_pct_oi, g.change, g.zscore, g.percentile, g.cot_index,
         g.net_dollars)
        for p in items for g in p.groups
    )
    start = data.as_of - timedelta(weeks=FLOW_WEEKS)
    flows = []
    for s in specs:
        with contextlib.suppress(DataError):  # no report known four weeks back (start of the data)
            flows.append(contract_flows(frame, s, start, data.as_of, closes[s.key]))
    flow_rows = tuple(
        (f.contract, f.from_report, f.to_report, g.label, g.net_from, g.net_to, g.contracts, g.dollars)
        for f in flows for g in f.groups
    )
    if flows:
        f0 = flows[0]
        lines.append(
            f"Flows from the {f0.from_report} report to the {f0.to_report} one ({f0.reports} weekly changes): " + "; ".join(
                f"{f.contract} " + ", ".join(f"{g.label} {g.contracts:+,}"
                                             + (f" ({usd_bn(g.dollars)})" if g.dollars is not None else "")
                                             for g in f.groups if g.group in _SHOWN)
                for f in flows) + "."
        )
    sent: SentimentReport | None = None
    if sentiment is not None:
        sent = sentiment_report(sentiment, data.as_of)
        lines += _sentiment_lines(sent)
    tables = [
        Table(f"Futures positioning by trader group, latest reports known at {data.as_of}",
              (Column("contract"), Column("report", "date"), Column("group"), Column("net", "sint"),
               Column("% of OI", "pct"), Column("change", "sint"), Column("z", "num"), Column("pctile", "pct0"),
               Column("COT index", "num"), Column("net $", "usd")),
              pos_rows,
              note="net = long - short contracts; z, pctile and COT index (0-100) over up to the last 156 reports; "
                   "net $ = net x multiplier x index close on the report date"),
        Table(f"Flows by group over the last {FLOW_WEEKS} weeks (reports known at {start} -> {data.as_of})",
              (Column("contract"), Column("from", "date"), Column("to", "date"), Column("group"),
               Column("net from", "sint"), Column("net to", "sint"), Column("change", "sint"),
               Column("change $", "usd")),
              flow_rows,
              note="change $ = change in contracts x multiplier x index close on the later report's date"),
    ]
    if sent is not None:
        tables.append(_sentiment_table(sent))
    figures = []
    chart_start = data.as_of - timedelta(days=365 * CHART_YEARS)
    for s in specs:
        if s.key not in CHART_CONTRACTS:
            continue
        net = net_series(frame.filter(pl.col("release_date") <= data.as_of), s)
        net = net.filter(pl.col("report_date") >= chart_start)
        if net.is_empty():
            continue
        px = closes[s.key]
        first = net["report_date"].min()
        fig = positioning_chart(
            net, None if px is None else px.filter(pl.col("date") >= first), contract=s.key,
            index_symbol=s.index_symbol, labels={g: group_label(g) for g in _CHART_GROUPS},
            title=f"{s.key} ({s.name}): net contracts by trader group under {s.index_symbol}",
        )
        figures.append(FigureRef(f"positioning_{s.key.lower()}", f"{s.key} positioning by trader group", fig,
                                 "Net = long - short contracts at each Tuesday's report (shown from its date; "
                                 "public on the Friday after); index close as traded.", height=560))
    facts = {
        p.contract: {"report_date": p.report_date.isoformat(), "release_date": p.release_date.isoformat(),
                     **{g.group: g.net for g in p.groups}}
        for p in items
    }
    status = "ok" if sent is not None else "partial"
    missing = () if sent is not None else ("sentiment series in the store (AAII, NAAIM, put/call)",)
    return Section(10, "positioning", "Who is buying: futures positioning and sentiment", lines=tuple(lines),
                   tables=tuple(tables), figures=tuple(figures), status=status, missing=missing, facts=facts)
