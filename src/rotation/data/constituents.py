"""Constituent data: index member closes, membership history, member lists, fund holdings.

Four kinds of file, recognised by name and header, each named after its
universe: the file name up to its first underscore, lower-cased
(``sp500_closes_adj.csv.gz`` -> ``sp500``, ``russell2000_iwm_holdings_2024-09-27.csv``
-> ``russell2000``).

* ``<universe>_closes*.csv[.gz]`` (or ``.parquet``): a wide matrix, first column
  ``date`` (YYYY-MM-DD, strictly increasing), then one column per ticker of
  split+dividend adjusted closes; an empty cell means no price that day.
  Stored long in ``constituent_closes`` keyed by (universe, symbol, date);
  empty cells are not stored.
* ``<universe>_membership*.csv``: point-in-time membership intervals
  ``ticker,start_date,end_date`` (``symbol`` also accepted).  A ticker is a
  member on day d when ``start_date <= d < end_date``; an empty end means still a
  member (the end date is the day of the change, when the ticker is already out).
* ``<universe>_members*.csv``: the current member list: ``symbol`` (or
  ``ticker``) and optionally ``security``/``name``, ``gics_sector``/``sector``,
  ``gics_sub_industry``/``sub_industry``, ``date_added``, ``yf_symbol``.
  Re-importing replaces the universe's list.
* ``<universe>_<fund>_holdings_<YYYY-MM-DD>.csv``: a fund's holdings: ``ticker``
  (or ``symbol``), ``weight_pct`` (percent) or ``weight`` (fraction), optionally
  ``name``, ``sector``, ``price``, ``yf_symbol``; the as-of date comes from the
  file name or an ``as_of`` column.  Re-importing replaces that snapshot.

Symbols are stored in Yahoo form (``BRK.B`` -> ``BRK-B``; a ``yf_symbol``
column wins when present) so that matrices, intervals and lists join.

Every error names the file, the line (1 = header) and what was expected; files
are parsed completely before anything is written (see :mod:`rotation.data.importer`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import polars as pl

from rotation.data.constituent_files import (
    KINDS,
    ConstituentFile,
    claims_for,
    file_kind,
    read_closes_file,
    read_holdings_file,
    read_members_file,
    read_membership_file,
    universe_from_name,
)
from rotation.data.store import Store, UpsertCounts
from rotation.errors import StoreError

H = TypeVar("H")

_DDL = """
CREATE TABLE IF NOT EXISTS constituent_closes (
    universe VARCHAR NOT NULL, symbol VARCHAR NOT NULL, date DATE NOT NULL,
    adj_close DOUBLE NOT NULL,
    source VARCHAR NOT NULL, imported_at TIMESTAMP NOT NULL
    -- keyed by (universe, symbol, date): the importer keeps it unique (an index here
    -- would triple the time to import a few million cells)
);
CREATE TABLE IF NOT EXISTS constituent_membership (
    universe VARCHAR NOT NULL, symbol VARCHAR NOT NULL, start_date DATE NOT NULL, end_date DATE,
    source VARCHAR NOT NULL, imported_at TIMESTAMP NOT NULL,
    PRIMARY KEY (universe, symbol, start_date)
);
CREATE TABLE IF NOT EXISTS constituent_members (
    universe VARCHAR NOT NULL, symbol VARCHAR NOT NULL, ticker VARCHAR, name VARCHAR,
    sector VARCHAR, sub_industry VARCHAR, date_added DATE,
    source VARCHAR NOT NULL, imported_at TIMESTAMP NOT NULL,
    PRIMARY KEY (universe, symbol)
);
CREATE TABLE IF NOT EXISTS constituent_holdings (
    universe VARCHAR NOT NULL, fund VARCHAR NOT NULL, as_of DATE NOT NULL, symbol VARCHAR NOT NULL,
    ticker VARCHAR, name VARCHAR, sector VARCHAR, weight DOUBLE NOT NULL, price DOUBLE,
    source VARCHAR NOT NULL, imported_at TIMESTAMP NOT NULL,
    PRIMARY KEY (universe, fund, as_of, symbol)
);
"""

SURVIVOR_NOTE = (
    "survivor-biased: the constituent set holds mostly today's survivors; companies "
    "removed through mergers, bankruptcies or delistings are largely missing"
)

# -- writing ----------------------------------------------------------------------

_TABLES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    # kind: (table, key columns, value columns)
    "closes": ("constituent_closes", ("universe", "symbol", "date"), ("adj_close",)),
    "membership": ("constituent_membership", ("universe", "symbol", "start_date"), ("end_date",)),
    "members": (
        "constituent_members",
        ("universe", "symbol"),
        ("ticker", "name", "sector", "sub_industry", "date_added"),
    ),
    "holdings": (
        "constituent_holdings",
        ("universe", "fund", "as_of", "symbol"),
        ("ticker", "name", "sector", "weight", "price"),
    ),
}
# Kinds where a file is the whole list: rows of the same scope missing from it are removed.
_REPLACE_SCOPE: dict[str, tuple[str, ...]] = {
    "members": ("universe",),
    "holdings": ("universe", "fund", "as_of"),
}


def ensure_tables(store: Store) -> None:
    """Create the constituent tables when missing (a no-op on a read-only store)."""
    store.ensure(_DDL)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def write_constituents(store: Store, item: ConstituentFile) -> dict[str, UpsertCounts]:
    """Upsert one parsed file; counts per symbol (closes) or per universe (other kinds)."""
    table, keys, values = _TABLES[item.kind]
    ensure_tables(store)
    return store.upsert(
        table,
        item.frame.select([*keys, *values]),
        keys,
        f"file:{item.path.name}",
        per="symbol" if item.kind == "closes" else "universe",
        replace_scope=_REPLACE_SCOPE.get(item.kind, ()),
    )


_READERS: dict[str, Any] = {
    "closes": read_closes_file,
    "membership": read_membership_file,
    "members": read_members_file,
    "holdings": read_holdings_file,
}


def constituent_handlers(factory: Callable[..., H]) -> list[H]:
    """Import handlers for the four constituent kinds, built with ``factory``.

    ``factory`` is :class:`rotation.data.importer.ImportHandler` (passed in so
    that this module does not import the importer, which imports it).
    """

    def loader(kind: str) -> Callable[[Path, object], ConstituentFile]:
        def load(path: Path, options: object) -> ConstituentFile:
            return _READERS[kind](path)

        return load

    return [factory(f"universe-{k}", claims_for(k), loader(k), write_constituents) for k in KINDS]


# -- reading the store ----------------------------------------------------------------

@dataclass(frozen=True)
class UniverseInfo:
    """What the store holds for one universe."""

    universe: str
    symbols: int
    first_date: date | None
    last_date: date | None
    prices: int
    intervals: int
    members: int
    holdings: tuple[tuple[str, date], ...]  # (fund, as_of)

    @property
    def membership(self) -> str:
        """``point-in-time`` (intervals), else ``fixed`` (every column counts on every date)."""
        return "point-in-time" if self.intervals else "fixed"


def _require_tables(store: Store) -> None:
    if not store.table_exists("constituent_closes"):
        raise StoreError(
            f"no constituent data in store {store.path}: import a universe folder first "
            "(`rotation data import ../shared/data`)"
        )


def universes(store: Store) -> list[UniverseInfo]:
    """Every universe with imported closes, membership, member lists or holdings."""
    if not store.table_exists("constituent_closes"):
        return []
    closes = {
        r[0]: r[1:]
        for r in store.connection.execute(
            "SELECT universe, count(DISTINCT symbol), min(date), max(date), count(*) "
            "FROM constituent_closes GROUP BY universe"
        ).fetchall()
    }

    def counts(table: str) -> dict[str, int]:
        rows = store.connection.execute(f"SELECT universe, count(*) FROM {table} GROUP BY universe").fetchall()
        return {u: int(n) for u, n in rows}

    intervals = counts("constituent_membership")
    members = counts("constituent_members")
    funds: dict[str, list[tuple[str, date]]] = {}
    for u, fund, as_of in store.connection.execute(
        "SELECT DISTINCT universe, fund, as_of FROM constituent_holdings ORDER BY 1, 2, 3"
    ).fetchall():
        funds.setdefault(u, []).append((fund, as_of))
    names = sorted(set(closes) | set(intervals) | set(members) | set(funds))
    out = []
    for u in names:
        n, first, last, prices = closes.get(u, (0, None, None, 0))
        out.append(
            UniverseInfo(u, int(n), first, last, int(prices), intervals.get(u, 0), members.get(u, 0),
                         tuple(funds.get(u, [])))
        )
    return out


def _check_universe(store: Store, universe: str) -> None:
    # A cheap existence probe; the full summary (a scan of every cell) only to word the error.
    tables = ("constituent_closes", "constituent_membership", "constituent_members", "constituent_holdings")
    probe = " UNION ALL ".join(f"(SELECT 1 FROM {t} WHERE universe = ? LIMIT 1)" for t in tables)
    if store.connection.execute(probe, [universe] * len(tables)).fetchall():
        return
    known = [u.universe for u in universes(store)]
    if universe not in known:
        have = ", ".join(known) or "none"
        raise StoreError(
            f"no constituent data for universe {universe!r} in store {store.path} (have: {have}); "
            "import a <universe>_closes*.csv file first"
        )


def load_closes(
    store: Store, universe: str, start: date | None = None, end: date | None = None
) -> pl.DataFrame:
    """The wide matrix: ``date`` then one Float64 column per symbol (sorted), null where no price."""
    _require_tables(store)
    _check_universe(store, universe)
    sql = "SELECT symbol, date, adj_close FROM constituent_closes WHERE universe = ?"
    params: list[Any] = [universe]
    if start is not None:
        sql += " AND date >= ?"
        params.append(start)
    if end is not None:
        sql += " AND date <= ?"
        params.append(end)
    long = store.query(sql, params)
    if long.is_empty():
        return pl.DataFrame({"date": pl.Series([], dtype=pl.Date)})
    # Scatter into a dense matrix (a Polars pivot is slow at ~1,700 columns).
    symbols = long["symbol"].unique().sort()
    days = long["date"].unique().sort()
    col = symbols.search_sorted(long["symbol"]).to_numpy()
    row = days.search_sorted(long["date"]).to_numpy()
    matrix = np.full((len(days), len(symbols)), np.nan)
    matrix[row, col] = long["adj_close"].to_numpy()
    wide = pl.DataFrame(matrix, schema=symbols.to_list()).fill_nan(None)
    return wide.insert_column(0, days.alias("date"))


def load_membership(store: Store, universe: str) -> pl.DataFrame:
    """Membership intervals ``symbol, start_date, end_date`` (empty when the universe has none)."""
    _require_tables(store)
    return store.query(
        "SELECT symbol, start_date, end_date FROM constituent_membership WHERE universe = ? "
        "ORDER BY symbol, start_date",
        [universe],
    )


def load_members(store: Store, universe: str) -> pl.DataFrame:
    """The current member list ``symbol, ticker, name, sector, sub_industry, date_added``."""
    _require_tables(store)
    return store.query(
        "SELECT symbol, ticker, name, sector, sub_industry, date_added FROM constituent_members "
        "WHERE universe = ? ORDER BY symbol",
        [universe],
    )


def load_holdings(
    store: Store, universe: str, fund: str | None = None, as_of: date | None = None
) -> pl.DataFrame:
    """Holdings ``fund, as_of, symbol, ticker, name, sector, weight (fraction), price``.

    The latest snapshot on or before ``as_of`` (default: the latest one).
    """
    _require_tables(store)
    sql = "SELECT max(as_of) FROM constituent_holdings WHERE universe = ?"
    params: list[Any] = [universe]
    if fund is not None:
        sql += " AND fund = ?"
        params.append(fund.upper())
    if as_of is not None:
        sql += " AND as_of <= ?"
        params.append(as_of)
    rows = store.connection.execute(sql, params).fetchall()
    snapshot = rows[0][0] if rows else None
    if snapshot is None:
        raise StoreError(
            f"no holdings for universe {universe!r}{' fund ' + fund if fund else ''} in store {store.path}"
            f"{' on or before ' + as_of.isoformat() if as_of else ''}; import a <universe>_<fund>_holdings_<date>.csv"
        )
    sql = (
        "SELECT fund, as_of, symbol, ticker, name, sector, weight, price FROM constituent_holdings "
        "WHERE universe = ? AND as_of = ?"
    )
    params = [universe, snapshot]
    if fund is not None:
        sql += " AND fund = ?"
        params.append(fund.upper())
    return store.query(sql + " ORDER BY weight DESC, symbol", params)


def membership_mask(closes: pl.DataFrame, intervals: pl.DataFrame) -> pl.DataFrame:
    """Wide Boolean frame shaped like ``closes``: True where the symbol was a member that day.

    Member on d when ``start_date <= d < end_date`` (open end = still a member).
    With no intervals every cell is True (fixed membership).  Vectorized: +1/-1
    marks at each interval's first and past-the-end rows, summed down the dates.
    """
    symbols = [c for c in closes.columns if c != "date"]
    if intervals.is_empty():
        return closes.select("date", *[pl.lit(True).alias(s) for s in symbols])
    days = closes["date"].to_numpy()
    col_of = {s: i for i, s in enumerate(symbols)}
    known = intervals.filter(pl.col("symbol").is_in(symbols))
    cols = np.array([col_of[s] for s in known["symbol"].to_list()], dtype=np.int64)
    starts = np.searchsorted(days, known["start_date"].to_numpy(), side="left")
    far = np.datetime64("9999-12-31")
    ends_raw = known["end_date"].fill_null(date(9999, 12, 31)).to_numpy().astype("datetime64[D]")
    ends = np.where(ends_raw == far, len(days), np.searchsorted(days, ends_raw, side="left"))
    marks = np.zeros((len(days) + 1, len(symbols)), dtype=np.int32)
    np.add.at(marks, (starts, cols), 1)
    np.add.at(marks, (ends, cols), -1)
    inside = np.cumsum(marks, axis=0)[: len(days)] > 0
    return pl.DataFrame(inside, schema=symbols).insert_column(0, closes["date"])


@dataclass(frozen=True)
class ConstituentPanel:
    """A universe's closes matrix with its membership mask, ready for breadth work.

    ``closes``: ``date`` + one Float64 column per symbol (adjusted closes, null
    where no price).  ``members``: the same shape, Boolean, True where the
    symbol was a member that day.  ``membership`` says which rule made the
    mask; ``notes`` carry the survivorship caveat.
    """

    universe: str
    closes: pl.DataFrame
    members: pl.DataFrame
    membership: str
    notes: tuple[str, ...]


def load_panel(
    store: Store, universe: str, start: date | None = None, end: date | None = None
) -> ConstituentPanel:
    """Closes and membership mask of ``universe`` between ``start`` and ``end`` (inclusive)."""
    closes = load_closes(store, universe, start, end)
    intervals = load_membership(store, universe)
    symbols = closes.width - 1
    if intervals.is_empty():
        kind = "fixed"
        why = (
            f"{universe}: no membership history: all {symbols} tickers in the matrix count on every date "
            "(the list is a single snapshot, applied to the past)"
        )
    else:
        kind = "point-in-time"
        covered = len(set(intervals["symbol"].to_list()) & set(closes.columns))
        # Tickers with no interval (renamed, or added after the intervals file was made)
        # count from the date_added of the current member list, when it has one.
        listed = load_members(store, universe).filter(
            pl.col("date_added").is_not_null()
            & pl.col("symbol").is_in(closes.columns)
            & ~pl.col("symbol").is_in(intervals["symbol"].implode())
        )
        extra = listed.select(
            "symbol", pl.col("date_added").alias("start_date"), pl.lit(None, pl.Date).alias("end_date")
        )
        intervals = pl.concat([intervals, extra])
        why = (
            f"{universe}: point-in-time membership: {covered} of {symbols} tickers in the matrix have "
            f"intervals, {extra.height} more count from their date_added in the current member list, "
            f"{symbols - covered - extra.height} never count"
        )
    mask = membership_mask(closes, intervals)
    return ConstituentPanel(universe, closes, mask, kind, (why, f"{universe}: {SURVIVOR_NOTE}"))


__all__ = [
    "KINDS",
    "SURVIVOR_NOTE",
    "ConstituentFile",
    "ConstituentPanel",
    "UniverseInfo",
    "constituent_handlers",
    "ensure_tables",
    "file_kind",
    "load_closes",
    "load_holdings",
    "load_members",
    "load_membership",
    "load_panel",
    "membership_mask",
    "read_closes_file",
    "read_holdings_file",
    "read_members_file",
    "read_membership_file",
    "universe_from_name",
    "universes",
    "write_constituents",
]
