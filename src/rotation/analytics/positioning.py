"""Who holds what: CFTC positioning per contract and trader group, point in time.

Input is the long positioning frame of :func:`rotation.data.positioning.positioning_frame`
(one row per report x market x trader group: ``report, contract, market_code, market_name,
report_date, release_date, group, long, short, spread, open_interest``).  Everything here
is pure: the caller loads the frame (already cut at an as-of date by ``release_date``)
and the index closes.

Conventions:

- ``net = long - short`` in contracts (spreads are both long and short: they do not count).
- The trailing statistics of a report use that report and the ``weeks - 1`` reports before
  it (counted in reports, not calendar weeks); they need at least ``min(weeks, 13)`` reports,
  else they are null.  The z-score uses the sample standard deviation; the percentile is the
  share of the window at or below the report's net; the COT index is
  ``100 x (net - min) / (max - min)`` over the same window (50 when the window is flat).
- Dollar exposure is ``net x multiplier x index close`` on the report date (the last close
  on or before it when that Tuesday was not a session).  A flow in dollars prices the change
  in contracts at the later report's close.
- A report is known at a date when its ``release_date`` is on or before it (the CFTC
  publishes Friday's 3:30 p.m. ET release after the close, so a Friday as-of date sees it:
  an as-of date is read as "after that day's close").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

import numpy as np
import polars as pl

from rotation.errors import DataError

DEFAULT_WEEKS = 156
MIN_REPORTS = 13

GROUP_LABELS: dict[str, str] = {
    "dealer": "dealers",
    "asset_mgr": "asset managers",
    "lev_money": "leveraged funds",
    "other_rept": "other reportables",
    "noncommercial": "non-commercials",
    "commercial": "commercials",
    "nonrept": "non-reportables",
}
# "Big money" and "small money" in the commentary's sense (docs/positioning.md).
BIG_MONEY = ("asset_mgr", "lev_money")
SMALL_MONEY = ("nonrept",)
_GROUP_ORDER = {g: i for i, g in enumerate(GROUP_LABELS)}


class ContractSpec(Protocol):
    """What the analytics need of a contract (``rotation.data.positioning.Contract`` fits)."""

    @property
    def key(self) -> str: ...
    @property
    def market_code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def multiplier(self) -> int | float: ...
    @property
    def index_symbol(self) -> str: ...


def group_label(group: str) -> str:
    """``lev_money`` -> ``leveraged funds`` (unknown groups are shown as stored)."""
    return GROUP_LABELS.get(group, group)


# -- trailing statistics ---------------------------------------------------------

def _trailing(values: np.ndarray, weeks: int, min_n: int) -> tuple[np.ndarray, ...]:
    """Per position i, over ``values[i-weeks+1 : i+1]``: z, percentile, COT index, max, argmax, min, argmin."""
    n = values.size
    if n == 0:
        return tuple(np.empty(0) for _ in range(7))
    # One row per report: its trailing window, NaN-padded before the first report.
    padded = np.concatenate([np.full(weeks - 1, np.nan), values])
    win = np.lib.stride_tricks.sliding_window_view(padded, weeks)
    count = np.count_nonzero(~np.isnan(win), axis=1)
    offset = np.arange(n) - weeks + 1
    filled_hi = np.where(np.isnan(win), -np.inf, win)
    filled_lo = np.where(np.isnan(win), np.inf, win)
    hi_at, lo_at = filled_hi.argmax(axis=1) + offset, filled_lo.argmin(axis=1) + offset
    hi, lo = values[hi_at], values[lo_at]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nanmean(win, axis=1)
        sd = np.sqrt(np.nansum((win - mean[:, None]) ** 2, axis=1) / np.maximum(count - 1, 1))
        z = np.where(sd > 0, (values - mean) / sd, 0.0)
        pct = np.count_nonzero(win <= values[:, None], axis=1) / count
        cot = np.where(hi > lo, 100.0 * (values - lo) / (hi - lo), 50.0)
    short = count < min_n
    z, pct, cot = (np.where(short, np.nan, a) for a in (z, pct, cot))
    return z, pct, cot, hi.astype(float), hi_at.astype(float), lo.astype(float), lo_at.astype(float)


def positioning_history(frame: pl.DataFrame, weeks: int = DEFAULT_WEEKS) -> pl.DataFrame:
    """The frame with ``net, net_pct_oi, change`` and the trailing statistics per market and group.

    Added columns: ``net`` (contracts), ``net_pct_oi`` (fraction of open interest), ``change``
    (net minus the previous report's; null on the first), ``zscore``, ``percentile``
    (fraction), ``cot_index`` (0-100), ``window_high``/``window_low`` (contracts) with
    ``window_high_date``/``window_low_date``, ``window_reports`` (reports in the window).
    Sorted by market_code, group, report_date.  No look-ahead: a report's figures use it and
    earlier reports only, so appending later reports never changes them.
    """
    if weeks < 2:
        raise DataError(f"weeks: expected 2 or more reports for the trailing window, got {weeks}")
    min_n = min(weeks, MIN_REPORTS)
    base = (
        frame.sort("market_code", "group", "report_date")
        .with_columns((pl.col("long") - pl.col("short")).alias("net"))
        .with_columns(
            pl.when(pl.col("open_interest") > 0)
            .then(pl.col("net") / pl.col("open_interest"))
            .alias("net_pct_oi"),
            pl.col("net").diff().over("report", "market_code", "group").alias("change"),
        )
    )
    parts = []
    for _, part in base.group_by("report", "market_code", "group", maintain_order=True):
        vals = part["net"].cast(pl.Float64).to_numpy()
        z, pct, cot, hi, hi_at, lo, lo_at = _trailing(vals, weeks, min_n)
        dates = part["report_date"]
        idx = np.arange(vals.size)
        parts.append(part.with_columns(
            pl.Series("zscore", z).fill_nan(None),
            pl.Series("percentile", pct).fill_nan(None),
            pl.Series("cot_index", cot).fill_nan(None),
            pl.Series("window_high", hi).cast(pl.Int64),
            pl.Series("window_high_date", dates.gather(hi_at.astype(np.int64))),
            pl.Series("window_low", lo).cast(pl.Int64),
            pl.Series("window_low_date", dates.gather(lo_at.astype(np.int64))),
            pl.Series("window_reports", np.minimum(idx + 1, weeks)).cast(pl.Int64),
        ))
    if not parts:
        return base.with_columns(
            *(pl.lit(None, pl.Float64).alias(c) for c in ("zscore", "percentile", "cot_index")),
            *(pl.lit(None, pl.Int64).alias(c) for c in ("window_high", "window_low", "window_reports")),
            *(pl.lit(None, pl.Date).alias(c) for c in ("window_high_date", "window_low_date")),
        )
    return pl.concat(parts).sort("market_code", "group", "report_date")


def close_on_or_before(closes: pl.DataFrame | None, day: date) -> tuple[date, float] | None:
    """The last ``(date, close)`` of ``closes`` (columns date, close) on or before ``day``."""
    if closes is None or closes.is_empty():
        return None
    upto = closes.filter(pl.col("date") <= day).drop_nulls("close")
    if upto.is_empty():
        return None
    row = upto.sort("date").row(-1, named=True)
    return row["date"], float(row["close"])


# -- one contract as of a date ----------------------------------------------------

@dataclass(frozen=True)
class GroupPosition:
    """One trader group in one report (contracts; fractions; dollars at the report date's close)."""

    group: str
    label: str
    long: int
    short: int
    spread: int | None
    net: int
    net_pct_oi: float | None
    change: int | None          # vs the previous report
    zscore: float | None
    percentile: float | None
    cot_index: float | None     # 0-100
    window_high: int
    window_high_date: date
    window_low: int
    window_low_date: date
    extreme: str | None         # "high" / "low" when the net is the window's extreme
    net_dollars: float | None


@dataclass(frozen=True)
class ContractPositioning:
    """The latest report on a contract known at ``as_of``, every group's figures."""

    contract: str
    market_code: str
    market_name: str
    report: str
    as_of: date | None
    report_date: date
    release_date: date
    previous_report_date: date | None
    open_interest: int | None   # None where the report has none (the legacy compilation)
    multiplier: float
    index_symbol: str
    index_close: float | None
    index_date: date | None
    weeks: int
    window_reports: int
    window_start: date
    groups: tuple[GroupPosition, ...]

    def group(self, name: str) -> GroupPosition | None:
        return next((g for g in self.groups if g.group == name), None)


def _market_rows(frame: pl.DataFrame, spec: ContractSpec, report: str) -> pl.DataFrame:
    return frame.filter((pl.col("market_code") == spec.market_code) & (pl.col("report") == report))


def _latest_known(rows: pl.DataFrame, as_of: date | None) -> date | None:
    known = rows if as_of is None else rows.filter(pl.col("release_date") <= as_of)
    return None if known.is_empty() else known["report_date"].max()  # type: ignore[return-value]


def contract_positioning(
    frame: pl.DataFrame,
    spec: ContractSpec,
    closes: pl.DataFrame | None = None,
    as_of: date | None = None,
    *,
    weeks: int = DEFAULT_WEEKS,
    report: str = "tff",
) -> ContractPositioning:
    """The latest report on ``spec`` released by ``as_of`` (default: the latest), with statistics.

    ``closes`` (date, close) are the contract's index closes, for the dollar exposure.
    """
    rows = _market_rows(frame, spec, report)
    if as_of is not None:
        rows = rows.filter(pl.col("release_date") <= as_of)
    latest = _latest_known(rows, None)
    if latest is None:
        when = f" released by {as_of}" if as_of else ""
        raise DataError(
            f"{spec.key}: no {report} positioning report{when} in the store "
            "(import ../shared/data/positioning or run `rotation data update --positioning`)"
        )
    hist = positioning_history(rows, weeks)
    cur = hist.filter(pl.col("report_date") == latest)
    cur = cur.sort(pl.col("group").replace_strict(_GROUP_ORDER, default=len(_GROUP_ORDER), return_dtype=pl.Int64))
    dates = hist["report_date"].unique().sort()
    prev = dates.filter(dates < latest)
    px = close_on_or_before(closes, latest)
    groups = []
    for r in cur.iter_rows(named=True):
        extreme = "high" if r["net"] == r["window_high"] else "low" if r["net"] == r["window_low"] else None
        if r["window_reports"] < min(weeks, MIN_REPORTS):
            extreme = None
        groups.append(GroupPosition(
            group=r["group"], label=group_label(r["group"]), long=r["long"], short=r["short"], spread=r["spread"],
            net=r["net"], net_pct_oi=r["net_pct_oi"], change=r["change"], zscore=r["zscore"],
            percentile=r["percentile"], cot_index=r["cot_index"], window_high=r["window_high"],
            window_high_date=r["window_high_date"], window_low=r["window_low"],
            window_low_date=r["window_low_date"], extreme=extreme,
            net_dollars=None if px is None else r["net"] * float(spec.multiplier) * px[1],
        ))
    first = cur.row(0, named=True)
    window = dates.filter(dates <= latest).tail(weeks)
    return ContractPositioning(
        contract=spec.key, market_code=spec.market_code, market_name=first["market_name"], report=report,
        as_of=as_of, report_date=latest, release_date=first["release_date"],
        previous_report_date=prev[-1] if prev.len() else None, open_interest=first["open_interest"],
        multiplier=float(spec.multiplier), index_symbol=spec.index_symbol,
        index_close=None if px is None else px[1], index_date=None if px is None else px[0],
        weeks=weeks, window_reports=window.len(), window_start=window[0], groups=tuple(groups),
    )


# -- flows between two dates ------------------------------------------------------

@dataclass(frozen=True)
class GroupFlow:
    """A group's change in net between two reports: contracts, and dollars at the later close."""

    group: str
    label: str
    net_from: int
    net_to: int
    contracts: int
    dollars: float | None


@dataclass(frozen=True)
class ContractFlows:
    """Flows on one contract between the reports known at ``from_date`` and ``to_date``."""

    contract: str
    market_code: str
    report: str
    from_date: date
    to_date: date
    from_report: date
    from_release: date
    to_report: date
    to_release: date
    reports: int                # reports after from_report up to to_report
    multiplier: float
    index_symbol: str
    index_close: float | None   # at to_report (on or before)
    index_date: date | None
    open_interest_from: int | None
    open_interest_to: int | None
    groups: tuple[GroupFlow, ...]

    def group(self, name: str) -> GroupFlow | None:
        return next((g for g in self.groups if g.group == name), None)


def contract_flows(
    frame: pl.DataFrame,
    spec: ContractSpec,
    from_date: date,
    to_date: date,
    closes: pl.DataFrame | None = None,
    *,
    report: str = "tff",
) -> ContractFlows:
    """Change by group between the latest report released by ``from_date`` and by ``to_date``."""
    if to_date < from_date:
        raise DataError(f"--to {to_date} is before --from {from_date}")
    rows = _market_rows(frame, spec, report)
    a, b = _latest_known(rows, from_date), _latest_known(rows, to_date)
    if a is None or b is None:
        raise DataError(
            f"{spec.key}: no {report} positioning report released by {from_date if a is None else to_date} "
            "in the store"
        )
    ra, rb = rows.filter(pl.col("report_date") == a), rows.filter(pl.col("report_date") == b)
    net_a = dict(zip(ra["group"], (ra["long"] - ra["short"]).to_list(), strict=True))
    net_b = dict(zip(rb["group"], (rb["long"] - rb["short"]).to_list(), strict=True))
    px = close_on_or_before(closes, b)
    groups = []
    for g in sorted(set(net_a) & set(net_b), key=lambda g: _GROUP_ORDER.get(g, len(_GROUP_ORDER))):
        d = int(net_b[g] - net_a[g])
        groups.append(GroupFlow(g, group_label(g), int(net_a[g]), int(net_b[g]), d,
                                None if px is None else d * float(spec.multiplier) * px[1]))
    between = rows.filter((pl.col("report_date") > a) & (pl.col("report_date") <= b))["report_date"].n_unique()
    return ContractFlows(
        contract=spec.key, market_code=spec.market_code, report=report, from_date=from_date, to_date=to_date,
        from_report=a, from_release=ra["release_date"][0], to_report=b, to_release=rb["release_date"][0],
        reports=between, multiplier=float(spec.multiplier), index_symbol=spec.index_symbol,
        index_close=None if px is None else px[1], index_date=None if px is None else px[0],
        open_interest_from=ra["open_interest"][0], open_interest_to=rb["open_interest"][0],
        groups=tuple(groups),
    )


def report_covering(report_dates: Sequence[date] | pl.Series, day: date) -> date | None:
    """The report whose week covers ``day``: the first report date on or after it within 6 days.

    A report is as of a Tuesday and counts positions at that day's close, so trading from the
    Wednesday before through the Tuesday lands in it.  None when no such report is stored.
    """
    hits = sorted(d for d in pl.Series(report_dates, dtype=pl.Date).to_list() if 0 <= (d - day).days <= 6)
    return hits[0] if hits else None


def net_series(frame: pl.DataFrame, spec: ContractSpec, *, report: str = "tff") -> pl.DataFrame:
    """``report_date, release_date, group, net`` for one contract (the chart's input), wide by group."""
    rows = _market_rows(frame, spec, report)
    return (
        rows.with_columns((pl.col("long") - pl.col("short")).alias("net"))
        .pivot(on="group", index=["report_date", "release_date", "open_interest"], values="net")
        .sort("report_date")
    )


__all__ = [
    "BIG_MONEY",
    "DEFAULT_WEEKS",
    "GROUP_LABELS",
    "SMALL_MONEY",
    "ContractFlows",
    "ContractPositioning",
    "ContractSpec",
    "GroupFlow",
    "GroupPosition",
    "close_on_or_before",
    "contract_flows",
    "contract_positioning",
    "group_label",
    "net_series",
    "positioning_history",
    "report_covering",
]
