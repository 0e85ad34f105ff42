"""Futures positioning (CFTC) and sentiment series in the store, read point in time.

Two tables, both written through :meth:`Store.upsert` (re-importing changes nothing;
``source`` and ``imported_at`` keep the provenance):

* ``positioning``: one row per (report, market, report date, trader group):
  ``report`` is ``"tff"`` (Traders in Financial Futures: dealer, asset_mgr,
  lev_money, other_rept, nonrept) or ``"legacy"`` (legacy COT: noncommercial,
  commercial, nonrept); ``long``, ``short``, ``spread`` in contracts (``spread`` null
  where the group has none); the market's ``open_interest`` that week (null in the
  legacy compilation, which does not carry it); ``report_date`` is the Tuesday the
  positions are as of and ``release_date`` the day the CFTC published them
  (:func:`cftc_release_date`).
* ``sentiment``: one row per (series, date): ``aaii_bullish``, ``aaii_neutral``,
  ``aaii_bearish`` (fractions), ``naaim_exposure``, ``pc_equity``, ``pc_total``,
  ``pc_index``, each with the day it became public (``release_date``).

Every read takes ``as_of``: only rows released by that date's close are returned
(the CFTC publishes at 3:30 p.m. ET, before the close), so nothing looks ahead.
The files are read by :mod:`rotation.data.positioning_files`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from importlib import resources
from typing import Any

import polars as pl

from rotation.data.store import Store, UpsertCounts
from rotation.errors import ConfigError, DataError

REPORTS: tuple[str, ...] = ("tff", "legacy")
TFF_GROUPS: tuple[str, ...] = ("dealer", "asset_mgr", "lev_money", "other_rept", "nonrept")
LEGACY_GROUPS: tuple[str, ...] = ("noncommercial", "commercial", "nonrept")
SENTIMENT_SERIES: tuple[str, ...] = (
    "aaii_bullish", "aaii_neutral", "aaii_bearish", "naaim_exposure", "pc_equity", "pc_total", "pc_index",
)

POSITIONING_KEY: tuple[str, ...] = ("report", "market_code", "report_date", "group")
SENTIMENT_KEY: tuple[str, ...] = ("series", "date")
_STORED_KEY: tuple[str, ...] = ("report", "market_code", "report_date", "trader_group")

# Stored columns (without the provenance pair), in order.
POSITIONING_SCHEMA: dict[str, Any] = {
    "report": pl.Utf8,
    "market_code": pl.Utf8,
    "market_name": pl.Utf8,
    "report_date": pl.Date,
    "release_date": pl.Date,
    "group": pl.Utf8,
    "long": pl.Int64,
    "short": pl.Int64,
    "spread": pl.Int64,
    "open_interest": pl.Int64,
}
SENTIMENT_SCHEMA: dict[str, Any] = {
    "series": pl.Utf8,
    "date": pl.Date,
    "release_date": pl.Date,
    "value": pl.Float64,
}

_DDL = """
CREATE TABLE IF NOT EXISTS positioning (
    report VARCHAR NOT NULL, market_code VARCHAR NOT NULL, market_name VARCHAR,
    report_date DATE NOT NULL, release_date DATE NOT NULL, trader_group VARCHAR NOT NULL,
    long BIGINT NOT NULL, short BIGINT NOT NULL, spread BIGINT, open_interest BIGINT,
    source VARCHAR NOT NULL, imported_at TIMESTAMP NOT NULL,
    PRIMARY KEY (report, market_code, report_date, trader_group)
);
CREATE TABLE IF NOT EXISTS sentiment (
    series VARCHAR NOT NULL, date DATE NOT NULL, release_date DATE NOT NULL, value DOUBLE NOT NULL,
    source VARCHAR NOT NULL, imported_at TIMESTAMP NOT NULL,
    PRIMARY KEY (series, date)
);
"""


# -- contracts ------------------------------------------------------------

@dataclass(frozen=True)
class Contract:
    """An equity index future: CFTC market code, dollars per index point, the index it tracks."""

    key: str
    market_code: str
    name: str
    multiplier: float
    index_symbol: str
    legacy_names: tuple[str, ...] = ()


def _load_contracts() -> dict[str, Contract]:
    text = resources.files("rotation.data").joinpath("contracts.toml").read_text(encoding="utf-8")
    try:
        raw = tomllib.loads(text)
        return {
            key.upper(): Contract(
                key.upper(), str(v["market_code"]).strip(), str(v["name"]), float(v["multiplier"]),
                str(v["index_symbol"]), tuple(str(n).lower() for n in v.get("legacy_names", ())),
            )
            for key, v in raw.items()
        }
    except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"rotation/data/contracts.toml: {exc}") from exc


CONTRACTS: dict[str, Contract] = _load_contracts()
_BY_CODE: dict[str, str] = {c.market_code: c.key for c in CONTRACTS.values()}


def contract_for_code(market_code: str) -> Contract | None:
    """The shipped contract with this CFTC market code, or None."""
    key = _BY_CODE.get(market_code.strip())
    return CONTRACTS[key] if key else None


def resolve_markets(contracts: Sequence[str]) -> list[str]:
    """Contract keys (``RTY``) or CFTC market codes -> market codes; unknown keys raise."""
    out: list[str] = []
    for name in contracts:
        key = name.strip().upper()
        if key in CONTRACTS:
            out.append(CONTRACTS[key].market_code)
        elif key in _BY_CODE or (key.isalnum() and any(ch.isdigit() for ch in key) and len(key) == 6):
            out.append(key)
        else:
            raise DataError(
                f"unknown contract {name!r}: expected one of {', '.join(CONTRACTS)} or a 6-character "
                "CFTC market code (e.g. 239742)"
            )
    return list(dict.fromkeys(out))


# -- release dates --------------------------------------------------------

@lru_cache(maxsize=1)
def _federal_holidays() -> frozenset[date]:
    import warnings

    from pandas.tseries.holiday import USFederalHolidayCalendar

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        days = USFederalHolidayCalendar().holidays("1980-01-01", "2060-12-31")
    return frozenset(d.date() for d in days)


def is_federal_business_day(day: date) -> bool:
    """Monday to Friday and not a U.S. federal holiday (observed dates, as the government keeps them)."""
    return day.weekday() < 5 and day not in _federal_holidays()


def cftc_release_date(report_date: date) -> date:
    """When the CFTC published the report whose positions are as of ``report_date``.

    The Friday after ``report_date`` (a Tuesday), at 3:30 p.m. ET; when that Friday
    is a federal holiday (observed), the next federal business day.
    """
    friday = report_date + timedelta(days=(4 - report_date.weekday()) % 7 or 7)
    day = friday
    while not is_federal_business_day(day):
        day += timedelta(days=1)
    return day


def release_dates(report_dates: pl.Series) -> pl.Series:
    """:func:`cftc_release_date` of each date (computed once per distinct date)."""
    mapping = {d: cftc_release_date(d) for d in report_dates.unique().drop_nulls().to_list()}
    return report_dates.replace_strict(mapping, default=None, return_dtype=pl.Date).alias("release_date")


# -- writing --------------------------------------------------------------

def ensure_tables(store: Store) -> None:
    """Create the positioning and sentiment tables (idempotent)."""
    store.ensure(_DDL)


def _total(counts: dict[str, UpsertCounts]) -> UpsertCounts:
    out = UpsertCounts()
    for c in counts.values():
        out = out + c
    return out


def write_positioning(store: Store, frame: pl.DataFrame, source: str) -> UpsertCounts:
    """Upsert positioning rows (:data:`POSITIONING_SCHEMA` columns) in the current transaction."""
    ensure_tables(store)
    rows = frame.select([pl.col(c).cast(t) for c, t in POSITIONING_SCHEMA.items()])
    # "group" is an SQL keyword: the table calls the column trader_group.
    stored = rows.rename({"group": "trader_group"})
    return _total(store.upsert("positioning", stored, _STORED_KEY, source))


def write_positioning_many(store: Store, files: Sequence[tuple[str, pl.DataFrame]]) -> list[UpsertCounts]:
    """Upsert several files' rows (``(source, frame)`` pairs) in one statement; counts per file, in order.

    One upsert is about twice as fast as one per file; files that share a key or a
    source name are written one after the other instead (the later one wins).
    """
    sources = [s for s, _ in files]
    frames = [f.select([pl.col(c).cast(t) for c, t in POSITIONING_SCHEMA.items()]) for _, f in files]
    both = pl.concat(
        [f.with_columns(pl.lit(s).alias("source")) for s, f in zip(sources, frames, strict=True)]
    ) if frames else pl.DataFrame()
    if len(set(sources)) < len(sources) or both.select(list(POSITIONING_KEY)).is_duplicated().any():
        return [write_positioning(store, f, s) for s, f in files]
    ensure_tables(store)
    counts = store.upsert("positioning", both.rename({"group": "trader_group"}), _STORED_KEY, "", per="source")
    return [counts.get(s, UpsertCounts()) for s in sources]


def write_sentiment(store: Store, frame: pl.DataFrame, source: str) -> UpsertCounts:
    """Upsert sentiment rows (:data:`SENTIMENT_SCHEMA` columns) in the current transaction."""
    ensure_tables(store)
    rows = frame.select([pl.col(c).cast(t) for c, t in SENTIMENT_SCHEMA.items()])
    return _total(store.upsert("sentiment", rows, SENTIMENT_KEY, source))


# -- reading --------------------------------------------------------------

def has_positioning(store: Store) -> bool:
    return store.table_exists("positioning")


def has_sentiment(store: Store) -> bool:
    return store.table_exists("sentiment")


def _require(store: Store, table: str) -> None:
    if not store.table_exists(table):
        raise DataError(
            f"store {store.path} has no {table} data: import it first "
            "(`rotation data import ../shared/data/positioning`)"
        )


def _with_contract(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        pl.col("market_code")
        .replace_strict(_BY_CODE, default=None, return_dtype=pl.Utf8)
        .alias("contract")
    )


POSITIONING_COLUMNS: tuple[str, ...] = (
    "report", "contract", "market_code", "market_name", "report_date", "release_date", "group",
    "long", "short", "spread", "open_interest", "source", "imported_at",
)
SENTIMENT_COLUMNS: tuple[str, ...] = ("series", "date", "release_date", "value", "source", "imported_at")


def positioning_frame(
    store: Store,
    contracts: Sequence[str] | None = None,
    *,
    report: str = "tff",
    as_of: date | None = None,
) -> pl.DataFrame:
    """Positioning rows, long (one per report x market x group), sorted by market_code, report_date, group.

    ``contracts``: keys of :data:`CONTRACTS` or CFTC market codes (None: every market).
    With ``as_of``, only reports whose ``release_date <= as_of``.
    """
    if report not in REPORTS:
        raise DataError(f"unknown report {report!r}: expected one of {', '.join(REPORTS)}")
    _require(store, "positioning")
    sql = (
        'SELECT report, market_code, market_name, report_date, release_date, trader_group AS "group", long, '
        'short, spread, '
        'open_interest, source, imported_at FROM positioning WHERE report = ?'
    )
    params: list[Any] = [report]
    if contracts is not None:
        codes = resolve_markets(contracts)
        sql += f" AND market_code IN ({', '.join('?' for _ in codes) or 'NULL'})"
        params.extend(codes)
    if as_of is not None:
        sql += " AND release_date <= ?"
        params.append(as_of)
    sql += " ORDER BY market_code, report_date, trader_group"
    out = store.query(sql, params)
    out = out.with_columns(
        [pl.col(c).cast(t) for c, t in POSITIONING_SCHEMA.items()]
        + [pl.col("source").cast(pl.Utf8), pl.col("imported_at").cast(pl.Datetime("us"))]
    )
    return _with_contract(out).select(POSITIONING_COLUMNS)


def sentiment_frame(
    store: Store, series: Sequence[str] | None = None, *, as_of: date | None = None
) -> pl.DataFrame:
    """Sentiment observations sorted by series, date; with ``as_of``, only ``release_date <= as_of``."""
    _require(store, "sentiment")
    sql = "SELECT series, date, release_date, value, source, imported_at FROM sentiment WHERE true"
    params: list[Any] = []
    if series is not None:
        unknown = [s for s in series if s not in SENTIMENT_SERIES]
        if unknown:
            raise DataError(
                f"unknown sentiment series {', '.join(unknown)}: expected one of {', '.join(SENTIMENT_SERIES)}"
            )
        sql += f" AND series IN ({', '.join('?' for _ in series) or 'NULL'})"
        params.extend(series)
    if as_of is not None:
        sql += " AND release_date <= ?"
        params.append(as_of)
    sql += " ORDER BY series, date"
    out = store.query(sql, params)
    return out.with_columns(
        [pl.col(c).cast(t) for c, t in SENTIMENT_SCHEMA.items()]
        + [pl.col("source").cast(pl.Utf8), pl.col("imported_at").cast(pl.Datetime("us"))]
    ).select(SENTIMENT_COLUMNS)


def positioning_summary(store: Store) -> pl.DataFrame:
    """One row per stored report and sentiment series: markets, first/last date, rows (empty when none)."""
    parts: list[pl.DataFrame] = []
    if has_positioning(store):
        parts.append(store.query(
            """
            SELECT 'positioning:' || report AS dataset, count(DISTINCT market_code) AS markets,
                   min(report_date) AS first_date, max(report_date) AS last_date,
                   max(release_date) AS last_release, count(*) AS rows
            FROM positioning GROUP BY report ORDER BY report
            """
        ))
    if has_sentiment(store):
        parts.append(store.query(
            """
            SELECT 'sentiment:' || series AS dataset, 1 AS markets, min(date) AS first_date,
                   max(date) AS last_date, max(release_date) AS last_release, count(*) AS rows
            FROM sentiment GROUP BY series ORDER BY series
            """
        ))
    schema = {"dataset": pl.Utf8, "markets": pl.Int64, "first_date": pl.Date, "last_date": pl.Date,
              "last_release": pl.Date, "rows": pl.Int64}
    if not parts:
        return pl.DataFrame(schema=schema)
    return pl.concat([p.select([pl.col(c).cast(t) for c, t in schema.items()]) for p in parts])


__all__ = [
    "CONTRACTS",
    "LEGACY_GROUPS",
    "POSITIONING_COLUMNS",
    "POSITIONING_SCHEMA",
    "REPORTS",
    "SENTIMENT_COLUMNS",
    "SENTIMENT_SCHEMA",
    "SENTIMENT_SERIES",
    "TFF_GROUPS",
    "Contract",
    "cftc_release_date",
    "contract_for_code",
    "ensure_tables",
    "has_positioning",
    "has_sentiment",
    "is_federal_business_day",
    "positioning_frame",
    "positioning_summary",
    "release_dates",
    "resolve_markets",
    "sentiment_frame",
    "write_positioning",
    "write_positioning_many",
    "write_sentiment",
]
