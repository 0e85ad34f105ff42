"""Fundamentals in the store: SEC companyfacts, Shiller's monthly table, S&P index EPS and P/E.

* ``CIK##########.json[.gz]`` (and ``.subset.json.gz``): SEC EDGAR XBRL *companyfacts*.
  Every fact is kept as filed, one row per (company, taxonomy, concept, unit, period
  start, period end, accession): the same period reported by several filings stays
  several rows, so point-in-time work can pick what was filed by a date and restated
  history can take the latest.  Per-share values stay on the split basis of their
  filing (see :mod:`rotation.analytics.valuation` for the rebasing).
* ``companyfacts_manifest.csv`` maps CIK -> ticker (a shipped map covers the megacaps
  when there is no manifest next to a file).
* ``shiller_ie_data_monthly.csv``, ``sp500_pe_ttm_multpl_monthly.csv`` and the
  ``spdji_index_*.csv`` files are stored as tables of their own.

Tables: ``fund_companies``, ``fund_facts``, ``index_shiller_monthly``,
``index_sp500_pe_ttm``, ``spdji_eps_quarterly``, ``spdji_eps_annual``,
``spdji_price_year_end``, ``spdji_snapshots``.  Upserts compare values only, so a
re-import reports every row unchanged.  A malformed file raises one
:class:`DataError` naming it, before anything is written.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from rotation.data.handlers import ImportHandler, ImportOptions
from rotation.data.store import Store, UpsertCounts
from rotation.errors import DataError

# Shipped ticker -> CIK map (SEC's company_tickers.json has the rest; the fetcher uses it).
TICKER_CIKS: dict[str, int] = {
    "AAPL": 320193,
    "MSFT": 789019,
    "AMZN": 1018724,
    "NVDA": 1045810,
    "TSLA": 1318605,
    "META": 1326801,
    "GOOGL": 1652044,
    "GOOG": 1652044,
    "AVGO": 1730168,
}
# The primary ticker per CIK (GOOGL for Alphabet).
CIK_TICKERS: dict[int, str] = {}
for _t, _c in TICKER_CIKS.items():
    CIK_TICKERS.setdefault(_c, _t)

COMPANYFACTS_RE = re.compile(r"^CIK(\d{10})(\.subset)?\.json(\.gz)?$", re.IGNORECASE)

FACT_SCHEMA: dict[str, Any] = {
    "cik": pl.Int64,
    "taxonomy": pl.Utf8,
    "concept": pl.Utf8,
    "unit": pl.Utf8,
    "period_start": pl.Date,
    "period_end": pl.Date,
    "val": pl.Float64,
    "accn": pl.Utf8,
    "fy": pl.Int64,
    "fp": pl.Utf8,
    "form": pl.Utf8,
    "filed": pl.Date,
    "frame": pl.Utf8,
}
FACT_KEY = ("cik", "taxonomy", "concept", "unit", "period_start", "period_end", "accn")

_DDL = """
CREATE TABLE IF NOT EXISTS fund_companies (
    cik BIGINT, ticker VARCHAR, entity_name VARCHAR, completeness VARCHAR,
    source VARCHAR, imported_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS fund_facts (
    cik BIGINT NOT NULL, taxonomy VARCHAR NOT NULL, concept VARCHAR NOT NULL, unit VARCHAR NOT NULL,
    period_start DATE, period_end DATE NOT NULL, val DOUBLE NOT NULL, accn VARCHAR NOT NULL,
    fy BIGINT, fp VARCHAR, form VARCHAR, filed DATE NOT NULL, frame VARCHAR,
    source VARCHAR, imported_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS index_shiller_monthly (
    date DATE, sp_comp_price DOUBLE, dividend DOUBLE, earnings DOUBLE, cpi DOUBLE,
    date_fraction DOUBLE, gs10_rate DOUBLE, real_price DOUBLE, real_dividend DOUBLE,
    real_total_return_price DOUBLE, real_earnings DOUBLE, real_tr_scaled_earnings DOUBLE,
    cape DOUBLE, tr_cape DOUBLE, excess_cape_yield DOUBLE, monthly_total_bond_return DOUBLE,
    real_total_bond_return DOUBLE, fwd_10y_ann_stock_real_return DOUBLE,
    fwd_10y_ann_bond_real_return DOUBLE, fwd_10y_ann_excess_return DOUBLE,
    source VARCHAR, imported_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS index_sp500_pe_ttm (
    date DATE, sp500_pe_ttm DOUBLE, source VARCHAR, imported_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS spdji_eps_quarterly (
    index_name VARCHAR, basis VARCHAR, quarter VARCHAR, quarter_end DATE, eps DOUBLE,
    estimate BIGINT, source VARCHAR, imported_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS spdji_eps_annual (
    index_name VARCHAR, basis VARCHAR, year BIGINT, eps DOUBLE, pe DOUBLE, estimate BIGINT,
    source VARCHAR, imported_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS spdji_price_year_end (
    index_name VARCHAR, year BIGINT, price_year_end DOUBLE, source VARCHAR, imported_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS spdji_snapshots (
    as_of DATE, sp500_price DOUBLE, sp400_price DOUBLE, sp600_price DOUBLE, estimate_year BIGINT,
    sp500_oper_pe_on_est DOUBLE, sp400_oper_pe_on_est DOUBLE, sp600_oper_pe_on_est DOUBLE,
    source_repo VARCHAR, source_path VARCHAR, source_commit VARCHAR,
    source VARCHAR, imported_at TIMESTAMP
);
"""


def ensure_tables(store: Store) -> None:
    """Create the fundamentals tables (idempotent)."""
    store.ensure(_DDL)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def upsert_keyed(
    store: Store, table: str, frame: pl.DataFrame, key: Sequence[str], source: str
) -> UpsertCounts:
    """Upsert into a fundamentals table (see :meth:`Store.upsert`); one total count."""
    ensure_tables(store)
    total = UpsertCounts()
    for counts in store.upsert(table, frame, key, source).values():
        total = total + counts
    return total


# -- companyfacts ---------------------------------------------------------

@dataclass(frozen=True)
class CompanyFacts:
    """One company's facts as parsed from a companyfacts file (nothing stored yet)."""

    path: Path
    cik: int
    ticker: str | None
    entity_name: str
    completeness: str
    facts: pl.DataFrame  # FACT_SCHEMA
    notes: tuple[str, ...] = ()


def _read_manifest(path: Path) -> dict[str, dict[str, str]]:
    """``companyfacts_manifest.csv`` rows keyed by file name (empty when absent or unreadable)."""
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            return {row["file"]: row for row in csv.DictReader(fh) if row.get("file")}
    except (OSError, KeyError, csv.Error):
        return {}


def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
        return gzip.decompress(raw) if path.name.lower().endswith(".gz") else raw
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise DataError(f"{path}: cannot read companyfacts file (truncated or not gzip?): {exc}") from None


def parse_companyfacts(
    raw: bytes | dict[str, Any], origin: str, *, ticker: str | None = None, completeness: str = "full"
) -> CompanyFacts:
    """SEC companyfacts JSON (bytes or decoded) -> :class:`CompanyFacts`; errors name ``origin``."""
    if isinstance(raw, dict):
        doc: Any = raw
    else:
        try:
            doc = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DataError(f"{origin}: malformed companyfacts JSON (truncated?): {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("facts"), dict) or "cik" not in doc:
        raise DataError(f"{origin}: not a companyfacts document: expected an object with 'cik' and 'facts'")
    try:
        cik = int(doc["cik"])
    except (TypeError, ValueError):
        raise DataError(f"{origin}: 'cik' must be a number, got {doc['cik']!r}") from None
    cols: dict[str, list[Any]] = {c: [] for c in FACT_SCHEMA}
    for taxonomy, concepts in doc["facts"].items():
        if not isinstance(concepts, dict):
            raise DataError(f"{origin}: facts.{taxonomy}: expected an object of concepts")
        for concept, body in concepts.items():
            units = body.get("units") if isinstance(body, dict) else None
            if not isinstance(units, dict):
                raise DataError(f"{origin}: facts.{taxonomy}.{concept}: expected 'units'")
            for unit, items in units.items():
                if not isinstance(items, list):
                    raise DataError(f"{origin}: facts.{taxonomy}.{concept}.units.{unit}: expected a list")
                for i, f in enumerate(items):
                    try:
                        val = f["val"]
                        if isinstance(val, bool) or not isinstance(val, int | float):
                            raise TypeError(f"val {val!r} is not a number")
                        cols["cik"].append(cik)
                        cols["taxonomy"].append(taxonomy)
                        cols["concept"].append(concept)
                        cols["unit"].append(unit)
                        cols["period_start"].append(f.get("start"))
                        cols["period_end"].append(f["end"])
                        cols["val"].append(float(val))
                        cols["accn"].append(f["accn"])
                        cols["fy"].append(f.get("fy"))
                        cols["fp"].append(f.get("fp"))
                        cols["form"].append(f.get("form"))
                        cols["filed"].append(f["filed"])
                        cols["frame"].append(f.get("frame"))
                    except (KeyError, TypeError) as exc:
                        raise DataError(
                            f"{origin}: facts.{taxonomy}.{concept}.units.{unit}[{i}]: bad fact ({exc}); "
                            "expected end, val, accn and filed"
                        ) from None
    strings = {k: (pl.Utf8 if k in ("period_start", "period_end", "filed") else t) for k, t in FACT_SCHEMA.items()}
    try:
        frame = pl.DataFrame(cols, schema=strings).with_columns(
            pl.col("period_start", "period_end", "filed").str.to_date("%Y-%m-%d")
        )
    except (pl.exceptions.PolarsError, TypeError, ValueError) as exc:
        raise DataError(f"{origin}: bad value in companyfacts (dates must be YYYY-MM-DD): {exc}") from None
    dup = frame.select(FACT_KEY).is_duplicated()
    notes: tuple[str, ...] = ()
    if dup.any():
        frame = frame.unique(subset=list(FACT_KEY), keep="last", maintain_order=True)
        notes = (f"{int(dup.sum())} duplicated facts kept once",)
    name = str(doc.get("entityName") or "")
    return CompanyFacts(Path(origin), cik, ticker or CIK_TICKERS.get(cik), name, completeness, frame, notes)


def load_companyfacts(path: Path, options: ImportOptions | None = None) -> CompanyFacts:
    """Read ``CIK##########.json[.gz]``; ticker and completeness from a sibling manifest."""
    raw = _read_bytes(path)
    manifest = _read_manifest(path.parent / "companyfacts_manifest.csv").get(path.name, {})
    if manifest.get("sha256_uncompressed"):
        digest = hashlib.sha256(raw).hexdigest()
        if digest != manifest["sha256_uncompressed"]:
            raise DataError(
                f"{path}: SHA-256 {digest[:12]}... differs from companyfacts_manifest.csv "
                f"({manifest['sha256_uncompressed'][:12]}...): the file is damaged or was replaced"
            )
    subset = ".subset." in path.name.lower()
    completeness = manifest.get("completeness") or ("subset" if subset else "full")
    out = parse_companyfacts(raw, str(path), ticker=manifest.get("ticker") or None, completeness=completeness)
    m = COMPANYFACTS_RE.match(path.name)
    if m and int(m.group(1)) != out.cik:
        raise DataError(f"{path}: file name says CIK {int(m.group(1))} but the document holds CIK {out.cik}")
    return CompanyFacts(path, out.cik, out.ticker, out.entity_name, out.completeness, out.facts, out.notes)


def write_companyfacts(store: Store, cf: CompanyFacts) -> dict[str, UpsertCounts]:
    """Upsert the company row and its facts; counts keyed by ticker (or CIK)."""
    label = cf.ticker or f"CIK{cf.cik:010d}"
    source = f"file:{cf.path.name}"
    company = pl.DataFrame(
        {"cik": [cf.cik], "ticker": [cf.ticker], "entity_name": [cf.entity_name],
         "completeness": [cf.completeness]},
        schema={"cik": pl.Int64, "ticker": pl.Utf8, "entity_name": pl.Utf8, "completeness": pl.Utf8},
    )
    upsert_keyed(store, "fund_companies", company, ("cik",), source)
    return {label: upsert_keyed(store, "fund_facts", cf.facts, FACT_KEY, source)}


def _claims_companyfacts(path: Path) -> bool:
    return COMPANYFACTS_RE.match(path.name) is not None


@dataclass(frozen=True)
class Manifest:
    path: Path
    frame: pl.DataFrame
    notes: tuple[str, ...] = ()


def _load_manifest(path: Path, options: ImportOptions) -> Manifest:
    rows = _read_manifest(path)
    if not rows:
        raise DataError(f"{path}: empty or unreadable companyfacts manifest")
    try:
        frame = pl.DataFrame(
            {
                "cik": [int(r["cik"]) for r in rows.values()],
                "ticker": [r["ticker"] or None for r in rows.values()],
                "entity_name": [r["entity_name"] for r in rows.values()],
                "completeness": [r["completeness"] for r in rows.values()],
            },
            schema={"cik": pl.Int64, "ticker": pl.Utf8, "entity_name": pl.Utf8, "completeness": pl.Utf8},
        )
    except (KeyError, ValueError) as exc:
        raise DataError(f"{path}: expected columns ticker, cik, entity_name, completeness, file ({exc})") from None
    return Manifest(path, frame)


def _write_manifest(store: Store, m: Manifest) -> dict[str, UpsertCounts]:
    return {"companies": upsert_keyed(store, "fund_companies", m.frame, ("cik",), f"file:{m.path.name}")}


# -- index tables (CSV) ---------------------------------------------------

@dataclass(frozen=True)
class TableSpec:
    """A CSV whose header is exactly ``schema``'s columns, stored in ``table`` keyed by ``key``."""

    kind: str
    table: str
    schema: dict[str, Any]
    key: tuple[str, ...]


@dataclass(frozen=True)
class TableFile:
    path: Path
    spec: TableSpec
    frame: pl.DataFrame
    notes: tuple[str, ...] = ()


_F = pl.Float64
SHILLER_COLUMNS = (
    "sp_comp_price", "dividend", "earnings", "cpi", "date_fraction", "gs10_rate", "real_price",
    "real_dividend", "real_total_return_price", "real_earnings", "real_tr_scaled_earnings", "cape",
    "tr_cape", "excess_cape_yield", "monthly_total_bond_return", "real_total_bond_return",
    "fwd_10y_ann_stock_real_return", "fwd_10y_ann_bond_real_return", "fwd_10y_ann_excess_return",
)
TABLE_SPECS: tuple[TableSpec, ...] = (
    TableSpec("shiller", "index_shiller_monthly", {"date": pl.Date, **{c: _F for c in SHILLER_COLUMNS}}, ("date",)),
    TableSpec("sp500-pe", "index_sp500_pe_ttm", {"date": pl.Date, "sp500_pe_ttm": _F}, ("date",)),
    TableSpec(
        "spdji-eps-quarterly", "spdji_eps_quarterly",
        {"index_name": pl.Utf8, "basis": pl.Utf8, "quarter": pl.Utf8, "quarter_end": pl.Date, "eps": _F,
         "estimate": pl.Int64},
        ("index_name", "basis", "quarter"),
    ),
    TableSpec(
        "spdji-eps-annual", "spdji_eps_annual",
        {"index_name": pl.Utf8, "basis": pl.Utf8, "year": pl.Int64, "eps": _F, "pe": _F, "estimate": pl.Int64},
        ("index_name", "basis", "year"),
    ),
    TableSpec(
        "spdji-price", "spdji_price_year_end",
        {"index_name": pl.Utf8, "year": pl.Int64, "price_year_end": _F}, ("index_name", "year"),
    ),
    TableSpec(
        "spdji-snapshots", "spdji_snapshots",
        {"as_of": pl.Date, "sp500_price": _F, "sp400_price": _F, "sp600_price": _F, "estimate_year": pl.Int64,
         "sp500_oper_pe_on_est": _F, "sp400_oper_pe_on_est": _F, "sp600_oper_pe_on_est": _F,
         "source_repo": pl.Utf8, "source_path": pl.Utf8, "source_commit": pl.Utf8},
        ("as_of",),
    ),
)


def _csv_header(path: Path) -> list[str]:
    """Lower-cased column names of a CSV (empty when unreadable)."""
    try:
        with path.open(encoding="utf-8-sig", errors="replace") as fh:
            line = fh.readline()
    except OSError:
        return []
    return [c.strip().lower() for c in line.strip().split(",")]


def _table_claims(spec: TableSpec) -> Any:
    def claims(path: Path) -> bool:
        return path.name.lower().endswith(".csv") and _csv_header(path) == list(spec.schema)

    return claims


def _table_load(spec: TableSpec) -> Any:
    def load(path: Path, options: ImportOptions) -> TableFile:
        try:
            raw = pl.read_csv(path, infer_schema=False, null_values=["", "NA"])
        except (OSError, pl.exceptions.PolarsError) as exc:
            raise DataError(f"{path}: cannot read CSV: {exc}") from None
        exprs = []
        for col, dtype in spec.schema.items():
            e = pl.col(col).str.strip_chars()
            exprs.append(e.str.to_date("%Y-%m-%d", strict=True) if dtype == pl.Date else e.cast(dtype, strict=True))
        try:
            frame = raw.select(exprs)
        except pl.exceptions.PolarsError as exc:
            raise DataError(f"{path}: bad value ({', '.join(f'{c}: {t}' for c, t in spec.schema.items())} "
                            f"expected): {str(exc).splitlines()[0]}") from None
        dup = ~frame.select(pl.struct(list(spec.key)).is_first_distinct()).to_series()
        if dup.any():
            line = int(dup.arg_max() or 0) + 2  # header = line 1
            raise DataError(f"{path}:{line}: duplicate key {', '.join(spec.key)}")
        return TableFile(path, spec, frame)

    return load


def _table_write(store: Store, tf: TableFile) -> dict[str, UpsertCounts]:
    return {tf.spec.table: upsert_keyed(store, tf.spec.table, tf.frame, tf.spec.key, f"file:{tf.path.name}")}


def _claims_manifest(path: Path) -> bool:
    return path.name.lower().endswith(".csv") and {"ticker", "cik", "file", "completeness"} <= set(_csv_header(path))


def _claims_key_facts(path: Path) -> bool:
    return path.name.lower().endswith(".csv") and {"cik", "taxonomy", "tag", "accn", "filed"} <= set(_csv_header(path))


def _load_key_facts(path: Path, options: ImportOptions) -> TableFile:
    """``sec_key_facts.csv``: the same facts as the JSON files, one row per fact."""
    try:
        raw = pl.read_csv(path, infer_schema=False)
        frame = raw.select(
            pl.col("cik").cast(pl.Int64),
            pl.col("taxonomy"),
            pl.col("tag").alias("concept"),
            pl.col("unit"),
            pl.col("start").str.to_date("%Y-%m-%d").alias("period_start"),
            pl.col("end").str.to_date("%Y-%m-%d").alias("period_end"),
            pl.col("val").cast(pl.Float64),
            pl.col("accn"),
            pl.col("fy").cast(pl.Int64),
            pl.col("fp"),
            pl.col("form"),
            pl.col("filed").str.to_date("%Y-%m-%d"),
            pl.col("frame"),
        )
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise DataError(f"{path}: cannot read SEC key-facts CSV: {str(exc).splitlines()[0]}") from None
    spec = TableSpec("companyfacts-extract", "fund_facts", FACT_SCHEMA, FACT_KEY)
    return TableFile(path, spec, frame.unique(subset=list(FACT_KEY), keep="last", maintain_order=True))


def import_handlers(handler: type[ImportHandler] | None = None) -> list[ImportHandler]:
    """The fundamentals import handlers, for ``importer.HANDLERS`` (before the bars handler)."""
    if handler is None:
        handler = ImportHandler

    return [
        handler("companyfacts", _claims_companyfacts, load_companyfacts, write_companyfacts),
        handler("companyfacts-manifest", _claims_manifest, _load_manifest, _write_manifest),
        handler("companyfacts-extract", _claims_key_facts, _load_key_facts, _table_write),
        *(handler(s.kind, _table_claims(s), _table_load(s), _table_write) for s in TABLE_SPECS),
    ]


# -- reading --------------------------------------------------------------

def has_fundamentals(store: Store) -> bool:
    return store.table_exists("fund_facts")


def _require(store: Store, table: str) -> None:
    if not store.table_exists(table):
        raise DataError(
            f"store {store.path} has no {table} table: import the fundamentals first "
            "(`rotation data import ../shared/data/fundamentals`)"
        )


def companies(store: Store) -> pl.DataFrame:
    """``cik, ticker, entity_name, completeness`` of every company with facts."""
    _require(store, "fund_companies")
    return store.query("SELECT cik, ticker, entity_name, completeness FROM fund_companies ORDER BY ticker")


def resolve_ciks(store: Store, symbols: Sequence[str]) -> dict[str, int]:
    """Symbol -> CIK through the stored companies, then the shipped map; unknown ones are left out."""
    known = {r["ticker"]: r["cik"] for r in companies(store).iter_rows(named=True) if r["ticker"]}
    out: dict[str, int] = {}
    for s in symbols:
        cik = known.get(s.upper(), TICKER_CIKS.get(s.upper()))
        if cik is not None:
            out[s.upper()] = int(cik)
    return out


def load_facts(store: Store, symbols: Sequence[str], concepts: Sequence[str] | None = None) -> pl.DataFrame:
    """Facts of ``symbols`` (FACT_SCHEMA plus ``ticker``), optionally only some concepts."""
    _require(store, "fund_facts")
    ciks = resolve_ciks(store, symbols)
    if not ciks:
        return pl.DataFrame(schema={"ticker": pl.Utf8, **FACT_SCHEMA})
    mapping = pl.DataFrame({"ticker": list(ciks), "cik": list(ciks.values())}, schema={"ticker": pl.Utf8, "cik": pl.Int64})
    params: list[Any] = sorted(set(ciks.values()))
    sql = f"SELECT {', '.join(FACT_SCHEMA)} FROM fund_facts WHERE cik IN ({', '.join('?' for _ in params)})"
    if concepts:
        sql += f" AND concept IN ({', '.join('?' for _ in concepts)})"
        params.extend(concepts)
    facts = store.query(sql, params)
    if facts.is_empty():
        facts = pl.DataFrame(schema=FACT_SCHEMA)
    facts = facts.select([pl.col(c).cast(t) for c, t in FACT_SCHEMA.items()])
    return mapping.join(facts, on="cik", how="inner").sort("ticker", "concept", "period_end", "filed")


def load_table(store: Store, table: str) -> pl.DataFrame:
    """One of the index tables, without provenance columns."""
    spec = next((s for s in TABLE_SPECS if s.table == table), None)
    if spec is None:
        raise DataError(f"unknown fundamentals table {table!r}")
    _require(store, table)
    cols = ", ".join(spec.schema)
    return store.query(f"SELECT {cols} FROM {table} ORDER BY {', '.join(spec.key)}").select(
        [pl.col(c).cast(t) for c, t in spec.schema.items()]
    )


def valuation_inputs(
    store: Store, symbols: Sequence[str], concepts: Sequence[str] | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``(bars, facts)`` for :func:`rotation.analytics.valuation.valuation_report`."""
    bars = store.bars(list(symbols))
    return bars, load_facts(store, bars["symbol"].unique().to_list(), concepts)


def index_inputs(store: Store) -> dict[str, pl.DataFrame | None]:
    """The index tables for :func:`rotation.analytics.index_valuation.index_valuation` (None when absent)."""
    _require(store, "index_shiller_monthly")
    out: dict[str, pl.DataFrame | None] = {"shiller": load_table(store, "index_shiller_monthly")}
    for key, table in (("sp500_pe", "index_sp500_pe_ttm"), ("annual", "spdji_eps_annual"),
                       ("snapshots", "spdji_snapshots")):
        out[key] = load_table(store, table) if store.table_exists(table) else None
    return out


__all__ = [
    "TABLE_SPECS",
    "TICKER_CIKS",
    "CompanyFacts",
    "companies",
    "ensure_tables",
    "has_fundamentals",
    "import_handlers",
    "index_inputs",
    "load_companyfacts",
    "load_facts",
    "load_table",
    "parse_companyfacts",
    "resolve_ciks",
    "upsert_keyed",
    "valuation_inputs",
    "write_companyfacts",
]
