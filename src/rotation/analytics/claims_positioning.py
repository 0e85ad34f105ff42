"""Claims about who is buying: positioning and sentiment claim kinds of a claims file.

Parsed and evaluated here, dispatched from :mod:`rotation.analytics.claims`.  File format::

    [[claims]]                 # a group's net change on a contract over a window
    sentence = "big money is not jumping in to buy small cap stocks"
    kind = "positioning"
    contract = "RTY"            # a contract of the positioning frame (RTY, NQ, ES)
    groups = ["asset_mgr", "lev_money"]   # or group = "asset_mgr"
    from = 2024-07-12           # the reports *released* by these dates: 2024-07-09 -> 2024-07-16
    to = 2024-07-19
    stated = "not up"           # up, down, not up, not down, or a number of contracts
    tolerance = 1000            # contracts, for a number (default 0)
    report = "tff"              # optional: tff (default) or legacy

    [[claims]]                 # a sentiment reading known at a date (or its change over from/to)
    sentence = "individual investors turned bullish"
    kind = "sentiment"
    series = "aaii_bullish"     # aaii_bullish, aaii_neutral, aaii_bearish, naaim_exposure, pc_equity...
    date = 2024-07-11           # the latest reading released by then
    stated = 49.2               # percent for the AAII shares; the series' own unit otherwise
    tolerance = 0.05            # in the same unit (AAII: percentage points; default: the file's default)

A direction is checked on the sign of the change (``up``: > 0, ``down``: < 0, ``not up``:
<= 0, ``not down``: >= 0).  Dates are the *known-at* dates of :func:`contract_flows`: a claim
about a report window names the dates when those reports were public.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import polars as pl

from rotation.analytics.positioning import contract_flows, group_label
from rotation.analytics.sentiment import AAII_SERIES, SERIES_LABELS, series_reading
from rotation.errors import ConfigError

DataKind = Literal["positioning", "sentiment"]
DIRECTIONS = ("up", "down", "not up", "not down")
POSITIONING_KEYS = {"id", "sentence", "kind", "contract", "group", "groups", "from", "to", "stated", "tolerance",
                    "report"}
SENTIMENT_KEYS = {"id", "sentence", "kind", "series", "date", "from", "to", "stated", "tolerance"}
Fail = Callable[..., ConfigError]


@dataclass(frozen=True)
class DataClaim:
    """A positioning or sentiment claim, parsed.

    ``stated`` is a direction word or a number (contracts; a fraction for AAII shares; the
    series' unit otherwise); ``groups`` holds the trader groups (positioning) or the one series.
    """

    key: str
    sentence: str
    kind: DataKind
    subject: str                    # the contract, or the sentiment series
    groups: tuple[str, ...]
    from_: date | None
    to: date
    stated: str | float
    tolerance: float
    report: str = "tff"

    @property
    def symbols(self) -> tuple[str, ...]:
        return ()  # no bars needed


@dataclass(frozen=True)
class DataFigure:
    """One checked figure of a :class:`DataClaim` (``stated`` 0.0 for a direction)."""

    figure: str
    stated: float
    stated_text: str
    computed: float
    ok: bool
    unit: str                       # "contracts", "percent" (fractions) or "value"
    detail: str


def _date(fail: Fail, key: str, value: Any) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise fail(key, "a date YYYY-MM-DD", value)


def _number(fail: Fail, key: str, value: Any, *, nonneg: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
        raise fail(key, "a finite number", value)
    if nonneg and value < 0:
        raise fail(key, "a non-negative number", value)
    return float(value)


def parse_data_claim(
    raw: Mapping[str, Any], key: str, sentence: str, fail: Fail, defaults: Mapping[str, Any]
) -> DataClaim:
    """A ``positioning`` or ``sentiment`` table -> :class:`DataClaim` (``fail(key, expected, got)`` errors)."""
    kind: DataKind = "positioning" if raw["kind"] == "positioning" else "sentiment"
    allowed = POSITIONING_KEYS if kind == "positioning" else SENTIMENT_KEYS
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise fail(unknown[0], f"one of {', '.join(sorted(allowed))} in a {kind} claim")
    if "stated" not in raw:
        raise fail("stated", "a direction (" + ", ".join(DIRECTIONS) + ") or a number")
    stated_raw = raw["stated"]
    percent = False
    if kind == "positioning":
        contract = raw.get("contract")
        if not isinstance(contract, str) or not contract.strip():
            raise fail("contract", "a contract such as RTY, NQ or ES", contract)
        subject = contract.strip().upper()
        if ("group" in raw) == ("groups" in raw):
            raise fail("groups", "one of group = NAME or groups = [NAMES] (asset_mgr, lev_money, nonrept...)")
        gr = raw.get("groups", [raw.get("group")])
        if not isinstance(gr, list) or not gr or not all(isinstance(g, str) and g.strip() for g in gr):
            raise fail("groups", "a list of trader groups such as ['asset_mgr', 'lev_money']", gr)
        groups = tuple(g.strip() for g in gr)
        report = raw.get("report", "tff")
        if report not in ("tff", "legacy"):
            raise fail("report", "'tff' or 'legacy'", report)
        for k in ("from", "to"):
            if k not in raw:
                raise fail(k, "a date YYYY-MM-DD (the reports released by then)")
        from_: date | None = _date(fail, "from", raw["from"])
        to = _date(fail, "to", raw["to"])
    else:
        series = raw.get("series")
        if not isinstance(series, str) or series not in SERIES_LABELS or series == "aaii_spread":
            raise fail("series", "one of " + ", ".join(s for s in SERIES_LABELS if s != "aaii_spread"), series)
        subject, groups, report = series, (series,), "tff"
        percent = series in AAII_SERIES
        if "date" in raw:
            if {"from", "to"} & set(raw):
                raise fail("date", "either date (a level) or from and to (a change), not both")
            from_, to = None, _date(fail, "date", raw["date"])
        elif "from" in raw and "to" in raw:
            from_, to = _date(fail, "from", raw["from"]), _date(fail, "to", raw["to"])
        else:
            raise fail("date", "date = YYYY-MM-DD (a level) or from and to (a change)")
    if from_ is not None and from_ > to:
        raise fail("to", f"a date on or after from ({from_})", to.isoformat())
    stated: str | float
    if isinstance(stated_raw, str):
        word = " ".join(stated_raw.lower().split())
        if word not in DIRECTIONS:
            raise fail("stated", "a direction (" + ", ".join(DIRECTIONS) + ") or a number", stated_raw)
        if from_ is None:
            raise fail("stated", "a number for a level on one date (a direction needs from and to)", stated_raw)
        stated = word
    else:
        stated = _number(fail, "stated", stated_raw) / (100.0 if percent else 1.0)
    tol_raw = raw.get("tolerance")
    if tol_raw is None and percent and "tolerance" in defaults:
        tol_raw = defaults["tolerance"]  # the file's default is in percentage points
    tolerance = 0.0 if tol_raw is None else _number(fail, "tolerance", tol_raw, nonneg=True) / (
        100.0 if percent else 1.0)
    return DataClaim(key, sentence, kind, subject, groups, from_, to, stated, tolerance, report)


def _check(stated: str | float, computed: float, tolerance: float) -> bool:
    if stated == "up":
        return computed > 0
    if stated == "down":
        return computed < 0
    if stated == "not up":
        return computed <= 0
    if stated == "not down":
        return computed >= 0
    assert isinstance(stated, float)
    return abs(computed - stated) <= tolerance + 1e-12


@dataclass(frozen=True)
class _Spec:
    key: str
    market_code: str
    name: str = ""
    multiplier: float = 1.0
    index_symbol: str = ""


def _positioning(claim: DataClaim, frame: pl.DataFrame, where: str) -> list[DataFigure]:
    rows = frame.filter((pl.col("contract") == claim.subject) & (pl.col("report") == claim.report))
    if rows.is_empty():
        raise ConfigError(f"{where}: no {claim.report} positioning rows for contract {claim.subject!r}")
    assert claim.from_ is not None
    flows = contract_flows(rows, _Spec(claim.subject, rows["market_code"][0]), claim.from_, claim.to,
                           report=claim.report)
    detail = (f"reports {flows.from_report} (released {flows.from_release}) -> {flows.to_report} "
              f"(released {flows.to_release})")
    out = []
    for g in claim.groups:
        flow = flows.group(g)
        if flow is None:
            known = ", ".join(x.group for x in flows.groups)
            raise ConfigError(f"{where}, key 'groups': no trader group {g!r} in the {claim.report} report "
                              f"(expected one of {known})")
        stated_num = claim.stated if isinstance(claim.stated, float) else 0.0
        out.append(DataFigure(
            f"{claim.subject} {group_label(g)} net change", stated_num,
            claim.stated if isinstance(claim.stated, str) else f"{claim.stated:+,.0f}", float(flow.contracts),
            _check(claim.stated, float(flow.contracts), claim.tolerance), "contracts",
            f"{detail}: net {flow.net_from:+,} -> {flow.net_to:+,}",
        ))
    return out


def _sentiment(claim: DataClaim, frame: pl.DataFrame, where: str) -> list[DataFigure]:
    unit = "percent" if claim.subject in AAII_SERIES else "value"
    end = series_reading(frame, claim.subject, claim.to)
    if end is None:
        raise ConfigError(f"{where}: no {claim.subject} reading released by {claim.to}")
    text = f"{end.label} {end.date} (released {end.release_date})"
    computed = end.value
    if claim.from_ is not None:
        start = series_reading(frame, claim.subject, claim.from_)
        if start is None:
            raise ConfigError(f"{where}: no {claim.subject} reading released by {claim.from_}")
        computed = end.value - start.value
        text = f"{start.label} {start.date} -> {end.date} (released {end.release_date}): {start.value:g} -> {end.value:g}"
    stated_num = claim.stated if isinstance(claim.stated, float) else 0.0
    shown = claim.stated if isinstance(claim.stated, str) else (
        f"{stated_num * 100:.2f}%" if unit == "percent" else f"{stated_num:g}")
    figure = SERIES_LABELS[claim.subject] + (" change" if claim.from_ is not None else "")
    return [DataFigure(figure, stated_num, shown, computed, _check(claim.stated, computed, claim.tolerance), unit,
                       text)]


def evaluate_data_claim(
    claim: DataClaim, positioning: pl.DataFrame | None, sentiment: pl.DataFrame | None, path: str
) -> list[DataFigure]:
    """Recompute a positioning or sentiment claim from the frames of the data layer."""
    where = f"{path}: claim {claim.key}"
    frame = positioning if claim.kind == "positioning" else sentiment
    if frame is None:
        raise ConfigError(f"{where}: no {claim.kind} data given (import ../shared/data/positioning)")
    return _positioning(claim, frame, where) if claim.kind == "positioning" else _sentiment(claim, frame, where)


__all__ = ["DIRECTIONS", "DataClaim", "DataFigure", "evaluate_data_claim", "parse_data_claim"]
