"""Positioning queries: a contract's latest known report, flows between two dates, sentiment, a day's block.

Each reads the store once (positioning and sentiment rows cut at the as-of date by
``release_date``, the index closes for dollars) and calls the pure analytics of
:mod:`rotation.analytics.positioning` and :mod:`rotation.analytics.sentiment`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from rotation.analytics.positioning import (
    DEFAULT_WEEKS,
    ContractFlows,
    ContractPositioning,
    contract_flows,
    contract_positioning,
    net_series,
    report_covering,
)
from rotation.analytics.sentiment import SentimentReport, sentiment_report
from rotation.data.positioning import (
    CONTRACTS,
    Contract,
    cftc_release_date,
    has_positioning,
    positioning_frame,
    sentiment_frame,
)
from rotation.data.store import Store
from rotation.errors import ConfigError, DataError, UnknownSymbolError

DEFAULT_CONTRACTS = ("RTY", "NQ", "ES")
REPORTS = ("tff", "legacy")


def resolve_contracts(names: Sequence[str] | None) -> list[Contract]:
    """Contract keys as typed (any case) -> :class:`Contract` (default RTY NQ ES); unknown keys are an error."""
    out = []
    for name in names or DEFAULT_CONTRACTS:
        key = name.strip().upper()
        if key not in CONTRACTS:
            raise ConfigError(f"unknown contract {name!r}: expected one of {', '.join(CONTRACTS)}")
        out.append(CONTRACTS[key])
    return list(dict.fromkeys(out))


def check_report(report: str) -> str:
    if report not in REPORTS:
        raise ConfigError(f"--report: expected one of {', '.join(REPORTS)}, got {report!r}")
    return report


def index_closes(st: Store, symbol: str, end: date | None = None, start: date | None = None) -> pl.DataFrame | None:
    """``date, close`` (as traded) of an index up to ``end``, or None when it is not in the store."""
    try:
        return st.bars(symbol, start, end).select("date", "close")
    except UnknownSymbolError:
        return None


@dataclass(frozen=True)
class PositioningView:
    """Each contract's latest report known at ``as_of``; ``notes`` say what was left out."""

    as_of: date | None
    report: str
    weeks: int
    contracts: tuple[ContractPositioning, ...]
    notes: tuple[str, ...] = ()


def _closes(st: Store, contracts: Sequence[Contract], end: date | None) -> tuple[dict[str, pl.DataFrame | None], list[str]]:
    closes = {c.key: index_closes(st, c.index_symbol, end) for c in contracts}
    notes = [f"{c.index_symbol} has no bars in the store: {c.key} dollar figures left out"
             for c in contracts if closes[c.key] is None]
    return closes, notes


def positioning_view(
    st: Store,
    contracts: Sequence[str] | None = None,
    as_of: date | None = None,
    weeks: int = DEFAULT_WEEKS,
    report: str = "tff",
) -> PositioningView:
    """``rotation positioning``: each contract's latest report released by ``as_of``, with statistics."""
    specs = resolve_contracts(contracts)
    frame = positioning_frame(st, [c.key for c in specs], report=check_report(report), as_of=as_of)
    closes, notes = _closes(st, specs, as_of)
    items = tuple(contract_positioning(frame, c, closes[c.key], as_of, weeks=weeks, report=report) for c in specs)
    return PositioningView(as_of, report, weeks, items, tuple(notes))


@dataclass(frozen=True)
class FlowsView:
    """Each contract's flows between the reports known at ``start`` and at ``end``."""

    start: date
    end: date
    report: str
    contracts: tuple[ContractFlows, ...]
    notes: tuple[str, ...] = ()


def flows_view(
    st: Store, contracts: Sequence[str] | None, start: date, end: date, report: str = "tff"
) -> FlowsView:
    """``rotation positioning flows``: changes by group between two known-at dates, contracts and dollars."""
    specs = resolve_contracts(contracts)
    frame = positioning_frame(st, [c.key for c in specs], report=check_report(report), as_of=end)
    closes, notes = _closes(st, specs, end)
    items = tuple(contract_flows(frame, c, start, end, closes[c.key], report=report) for c in specs)
    return FlowsView(start, end, report, items, tuple(notes))


def sentiment_view(st: Store, as_of: date | None = None) -> SentimentReport:
    """``rotation sentiment``: AAII, NAAIM and put/call known at ``as_of``, each vs its history."""
    return sentiment_report(sentiment_frame(st, as_of=as_of), as_of)


_NAMED_GROUPS = ("asset_mgr", "lev_money", "nonrept")  # big money and small money


def usd_bn(x: float) -> str:
    """Signed dollars in billions (``+$4.99bn``)."""
    return f"{'+' if x >= 0 else '-'}${abs(x) / 1e9:,.2f}bn"


@dataclass(frozen=True)
class DayPositioning:
    """The positioning block of a day: the report whose week covers ``day``.

    ``known`` says whether that report was released by ``as_of``; when it was,
    ``flows`` holds each contract's change from the report before it to this one.
    """

    day: date
    as_of: date | None
    report_date: date
    release_date: date
    known: bool
    contracts: tuple[str, ...]
    flows: tuple[ContractFlows, ...] = ()

    def sentence(self) -> str:
        """One line for a reader: the figures, or when they come out."""
        if not self.known:
            after = f"after the as-of date {self.as_of}" if self.as_of else "not in the store yet"
            return (f"Positioning: the CFTC report covering {self.day} is that of {self.report_date}; it comes out on "
                    f"{self.release_date}, {after}.")
        parts = []
        for f in self.flows:
            groups = ", ".join(
                f"{g.label} {g.contracts:+,}" + (f" ({usd_bn(g.dollars)})" if g.dollars is not None else "")
                for g in f.groups if g.group in _NAMED_GROUPS
            )
            parts.append(f"{f.contract} {groups}")
        return (f"Positioning (CFTC report of {self.report_date}, released {self.release_date}, vs "
                f"{self.flows[0].from_report if self.flows else '-'}): " + "; ".join(parts) + ".")


def contracts_for(symbols: Sequence[str]) -> list[str]:
    """The contracts whose index is among ``symbols`` (``^RUT`` -> RTY), in CONTRACTS order."""
    wanted = set(symbols)
    return [k for k, c in CONTRACTS.items() if c.index_symbol in wanted]


def day_block(
    frame: pl.DataFrame,
    contracts: Sequence[Contract],
    day: date,
    as_of: date | None,
    closes: dict[str, pl.DataFrame | None] | None = None,
) -> DayPositioning:
    """Pure: the block of ``day`` from positioning rows (cut at ``as_of`` or not) and index closes by contract."""
    if as_of is not None:
        frame = frame.filter(pl.col("release_date") <= as_of)
    covering = report_covering(frame["report_date"].unique(), day)
    if covering is None:
        # Not released yet: the Tuesday on or after the day, released by the CFTC's rule.
        tuesday = day + timedelta(days=(1 - day.weekday()) % 7)
        return DayPositioning(day, as_of, tuesday, cftc_release_date(tuesday), False, tuple(c.key for c in contracts))
    release = frame.filter(pl.col("report_date") == covering)["release_date"][0]
    prior = frame.filter(pl.col("report_date") < covering)["release_date"]
    flows: tuple[ContractFlows, ...] = ()
    if prior.len():
        start = prior.max()
        assert isinstance(start, date)
        flows = tuple(
            contract_flows(frame, c, start, release, (closes or {}).get(c.key))
            for c in contracts if not frame.filter(pl.col("market_code") == c.market_code).is_empty()
        )
    return DayPositioning(day, as_of, covering, release, True, tuple(c.key for c in contracts), flows)


def day_positioning(
    st: Store, day: date, contracts: Sequence[str] | None = None, as_of: date | None = None
) -> DayPositioning | None:
    """The report covering ``day``'s week and, when released by ``as_of``, its flows; None without data."""
    if not has_positioning(st):
        return None
    specs = resolve_contracts(contracts)
    frame = positioning_frame(st, [c.key for c in specs], as_of=as_of)
    closes, _ = _closes(st, specs, as_of)
    return day_block(frame, specs, day, as_of, closes)


@dataclass(frozen=True)
class ChartInputs:
    """What the positioning chart draws: net contracts by group per report, and the index closes."""

    contract: Contract
    net: pl.DataFrame  # report_date, release_date, open_interest, one column per group
    closes: pl.DataFrame | None
    start: date
    end: date


def positioning_chart_inputs(
    st: Store, contract: str, start: date | None = None, end: date | None = None, years: int = 3
) -> ChartInputs:
    """Net by group for ``contract`` over reports released by ``end`` (default: three years up to it)."""
    (spec,) = resolve_contracts([contract])
    frame = positioning_frame(st, [spec.key], as_of=end)
    net = net_series(frame, spec)
    if net.is_empty():
        raise DataError(f"{spec.key}: no positioning report released by {end} in the store")
    last = end or net["report_date"].max()
    assert isinstance(last, date)
    first = start or last - timedelta(days=365 * years)
    net = net.filter((pl.col("report_date") >= first) & (pl.col("report_date") <= last))
    if net.is_empty():
        raise DataError(f"{spec.key}: no positioning report between {first} and {last}")
    shown_from = net["report_date"].min()
    assert isinstance(shown_from, date)
    return ChartInputs(spec, net, index_closes(st, spec.index_symbol, last, shown_from), shown_from, last)


@dataclass(frozen=True)
class PositioningSummary:
    """What the dashboard's overview shows of "who is buying": positioning and sentiment at ``as_of``."""

    positioning: PositioningView
    sentiment: SentimentReport


def summary(st: Store, as_of: date | None = None) -> PositioningSummary:
    """RTY, NQ and ES positioning and the sentiment series, each as known at ``as_of``."""
    return PositioningSummary(positioning_view(st, None, as_of), sentiment_view(st, as_of))
