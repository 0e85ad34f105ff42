"""The report's inputs: its options and the data its section builders read, loaded once.

Its own module so that the builders (:mod:`rotation.report.sections`,
:mod:`rotation.report.context`) and the loader (:mod:`rotation.report.build`)
that calls them do not import each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from rotation.data.symbols import normalize_symbol
from rotation.data.universes import Pair, Universe

DEFAULT_UNIVERSES: tuple[str, ...] = ("core", "sectors", "styles", "megacaps")


@dataclass(frozen=True)
class ReportOptions:
    """Knobs of the default report; every one has a documented default (docs/report.md)."""

    leader: str = "NVDA"
    laggard: str = "^RUT"
    chart_sessions: int = 130  # the daily chart's window, in sessions up to as-of
    pivot_threshold: float = 0.08  # zig-zag threshold for the chart's dated pivots
    ratio_pairs: tuple[tuple[str, str], ...] = (("^RUT", "^NDX"), ("IWM", "QQQ"), ("RSP", "SPY"), ("IWD", "IWF"))
    ratio_sessions: int = 252
    ma_windows: tuple[int, ...] = (50, 200)
    event_lookback: int = 15  # sessions scanned for notable rotation days
    event_percentile: float = 0.95  # a day is notable at or above this percentile of its own history
    rrg_tail: int = 8
    health_sessions: int = 252  # validation looks at this many sessions up to as-of
    plans: tuple[Path, ...] = ()


@dataclass(frozen=True)
class TradeItem:
    """A plan (from a file or a journal entry) with the bars its replay needs."""

    plan: Any  # rotation.trading.plan.Plan
    bars: pl.DataFrame
    journal: bool


@dataclass(frozen=True)
class ReportData:
    """Everything the section builders read, loaded once (all frames end at ``as_of``)."""

    as_of: date
    bars: pl.DataFrame  # long bars frame, every report symbol, full history <= as_of
    universes: dict[str, Universe]
    pairs: tuple[Pair, ...]
    summary: pl.DataFrame  # store summary: symbol, first_date, last_date, rows (whole store)
    missing_symbols: tuple[str, ...] = ()
    constituents: dict[str, Any] = field(default_factory=dict)  # universe -> ConstituentPanel (issue 5)
    journal: Any = None  # journal entries up to as_of (issue 6), None without the trading package
    trades: tuple[TradeItem, ...] = ()  # plans and journal entries with their bars
    valuation: dict[str, Any] = field(default_factory=dict)  # SEC facts and index tables (issue 8)
    positioning: dict[str, Any] = field(default_factory=dict)  # "frame", "sentiment" cut at as_of (issue 11)
    store_path: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def symbol_bars(self, symbol: str) -> pl.DataFrame:
        return self.bars.filter(pl.col("symbol") == normalize_symbol(symbol))

    @property
    def adj(self) -> pl.DataFrame:
        """Wide ``adj_close`` frame of every symbol (``date`` + one column each; null where no bar)."""
        return self.wide("adj_close")

    def wide(self, field_name: str, symbols: Sequence[str] | None = None) -> pl.DataFrame:
        """Wide frame of one bar field, all symbols (pivoted once per field, kept in ``extra``)."""
        key = f"wide_{field_name}"
        if key not in self.extra:
            self.extra[key] = self.bars.pivot(on="symbol", index="date", values=field_name).sort("date")
        frame: pl.DataFrame = self.extra[key]
        if symbols is None:
            return frame
        return frame.select("date", *[normalize_symbol(s) for s in symbols if normalize_symbol(s) in frame.columns])
