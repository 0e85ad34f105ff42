"""Read daily-bar files (CSV, TXT, Parquet) into the bar schema.

Accepted layouts, column names matched case-insensitively:

* the project's own ``date,open,high,low,close,adj_close,volume``;
* Yahoo Finance exports ``Date,Open,High,Low,Close,Adj Close,Volume``
  (``null`` cells on non-trading rows are dropped);
* Stooq CSV ``Date,Open,High,Low,Close,Volume`` (also the Polish headers
  ``Data,Otwarcie,Najwyzszy,Najnizszy,Zamkniecie,Wolumen``) and Stooq's bulk
  ``<TICKER>,<PER>,<DATE>,<TIME>,<OPEN>,...`` text files with ``YYYYMMDD`` dates.

The symbol comes from a ``symbol``/``ticker`` column or from the file name
(``RUT.csv`` -> ``^RUT`` through the alias table, ``spy.us.txt`` -> ``SPY``).
A file without an adjusted close gets ``adj_close = close`` (reported), an
empty adjusted-close cell stays empty (missing), never silently filled.

Every error names the file and the line (1 = header) and what was expected.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from rotation.data.schema import BAR_SCHEMA
from rotation.data.symbols import normalize_symbol
from rotation.errors import DataError

BAR_SUFFIXES: tuple[str, ...] = (".csv", ".txt", ".parquet", ".csv.gz", ".txt.gz")

_ALIASES: dict[str, str] = {
    "date": "date",
    "datetime": "date",
    "timestamp": "date",
    "data": "date",
    "open": "open",
    "otwarcie": "open",
    "high": "high",
    "najwyzszy": "high",
    "low": "low",
    "najnizszy": "low",
    "close": "close",
    "zamkniecie": "close",
    "adjclose": "adj_close",
    "adjustedclose": "adj_close",
    "volume": "volume",
    "vol": "volume",
    "wolumen": "volume",
    "symbol": "symbol",
    "ticker": "symbol",
}
_REQUIRED: tuple[str, ...] = ("date", "open", "high", "low", "close")
_MISSING_TOKENS: tuple[str, ...] = ("", "null", "nan", "na", "n/a", "-")


@dataclass(frozen=True)
class BarFile:
    """Bars read from one file, before they touch the store.

    ``frame`` has the bar schema plus ``line`` (the 1-based line in the file,
    header = 1) so that later checks can name the line of a bad row.
    """

    path: Path
    frame: pl.DataFrame
    notes: tuple[str, ...]


def _canonical(name: str) -> str:
    key = re.sub(r"[^a-z0-9]", "", name.lower())
    return _ALIASES.get(key, key)


def symbol_from_filename(path: Path) -> str:
    """``RUT.csv`` -> ``^RUT``; ``spy.us.txt`` -> ``SPY``; ``NVDA.parquet`` -> ``NVDA``."""
    name = path.name
    for suffix in sorted(BAR_SUFFIXES, key=len, reverse=True):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    name = re.sub(r"\.us$", "", name, flags=re.IGNORECASE)
    return normalize_symbol(name)


def is_bar_file(path: Path) -> bool:
    return path.name.lower().endswith(BAR_SUFFIXES)


def read_text(path: Path) -> str:
    """A text file's content (``.gz`` decompressed, UTF-8 with or without BOM); errors name the file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read file: {exc.strerror or exc}") from exc
    if path.name.lower().endswith(".gz"):
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise DataError(f"{path}: not a valid gzip file: {exc}") from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(f"{path}:{line}: not UTF-8 text") from exc


def _ragged_line(path: Path, text: str, sep: str) -> DataError:
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    width = None
    for lineno, row in enumerate(reader, start=1):
        if not row:
            continue
        if width is None:
            width = len(row)
        elif len(row) != width:
            return DataError(
                f"{path}:{lineno}: expected {width} comma-separated fields like the header, "
                f"found {len(row)}"
            )
    return DataError(f"{path}: malformed CSV")


def _read_csv_strings(path: Path, text: str | None = None) -> pl.DataFrame:
    if text is None:
        text = read_text(path)
    if not text.strip():
        raise DataError(f"{path}:1: empty file, expected a header line with date,open,high,low,close")
    header = text.split("\n", 1)[0]
    sep = max((",", ";", "\t"), key=header.count)
    try:
        frame = pl.read_csv(
            io.StringIO(text),
            separator=sep,
            infer_schema=False,
            raise_if_empty=True,
            truncate_ragged_lines=False,
        )
    except pl.exceptions.PolarsError as exc:
        raise _ragged_line(path, text, sep) from exc
    # A short line is padded with nulls by the reader; catch it here.
    if frame.width > 1 and frame.select(pl.col(frame.columns[-1]).is_null().any()).item():
        bad = _ragged_line(path, text, sep)
        if "expected" in str(bad):
            raise bad
    return frame


def _read_parquet(path: Path) -> pl.DataFrame:
    try:
        frame = pl.read_parquet(path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise DataError(f"{path}: not a readable Parquet file: {exc}") from exc
    return frame.select(pl.all().cast(pl.Utf8))


def _parse_dates(col: pl.Series) -> pl.Series:
    s = col.str.strip_chars()
    iso = s.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
    compact = s.str.to_date("%Y%m%d", strict=False)
    us = s.str.to_date("%m/%d/%Y", strict=False)
    return iso.fill_null(compact).fill_null(us)


def read_bar_file(path: Path | str, symbol: str | None = None) -> BarFile:
    """Read one file of daily bars into the bar schema (plus a ``line`` column).

    Raises :class:`DataError` naming the file and line for a malformed line, a
    missing column, an unparseable date or number, or a missing price.
    """
    path = Path(path)
    if path.name.lower().endswith(".parquet"):
        return _to_bars(path, _read_parquet(path), symbol, first_data_line=1)
    return _to_bars(path, _read_csv_strings(path), symbol, first_data_line=2)


def read_bar_text(text: str, name: str, symbol: str | None = None) -> BarFile:
    """Parse CSV text (e.g. a provider's response) as :func:`read_bar_file` does a file.

    ``name`` stands for the file in messages (e.g. ``stooq:SPY``).
    """
    where = Path(name)
    return _to_bars(where, _read_csv_strings(where, text), symbol, first_data_line=2)


def _to_bars(path: Path, raw: pl.DataFrame, symbol: str | None, first_data_line: int) -> BarFile:
    rename: dict[str, str] = {}
    for name in raw.columns:
        canon = _canonical(name)
        if canon in BAR_SCHEMA and canon not in rename.values():
            rename[name] = canon
    raw = raw.select(list(rename)).rename(rename)
    missing = [c for c in _REQUIRED if c not in raw.columns]
    if missing:
        raise DataError(
            f"{path}:1: missing column(s) {', '.join(missing)}; expected "
            f"date,open,high,low,close[,adj_close][,volume] (found: {', '.join(rename) or 'none'})"
        )
    notes: list[str] = []
    frame = raw.with_row_index("line", offset=first_data_line).with_columns(
        pl.col("line").cast(pl.Int64)
    )
    price_cols = [c for c in ("open", "high", "low", "close", "adj_close", "volume") if c in frame.columns]
    frame = frame.with_columns(
        [
            pl.when(pl.col(c).str.strip_chars().str.to_lowercase().is_in(list(_MISSING_TOKENS)))
            .then(None)
            .otherwise(pl.col(c).str.strip_chars())
            .alias(c)
            for c in price_cols
        ]
    )
    ohlc = ["open", "high", "low", "close"]
    empty_rows = frame.filter(pl.all_horizontal([pl.col(c).is_null() for c in ohlc]))
    if empty_rows.height:
        notes.append(f"skipped {empty_rows.height} row(s) with no prices (e.g. line {empty_rows['line'][0]})")
        frame = frame.filter(~pl.all_horizontal([pl.col(c).is_null() for c in ohlc]))
    dates = _parse_dates(frame["date"])
    bad = frame.filter(dates.is_null())
    if bad.height:
        row = bad.row(0, named=True)
        raise DataError(
            f"{path}:{row['line']}: cannot parse date {row['date']!r}; expected YYYY-MM-DD"
            + (f" ({bad.height} such lines)" if bad.height > 1 else "")
        )
    frame = frame.with_columns(dates.alias("date"))
    for col in price_cols:
        parsed = frame[col].cast(pl.Float64, strict=False)
        bad = frame.filter(parsed.is_null() & frame[col].is_not_null())
        if bad.height:
            row = bad.row(0, named=True)
            raise DataError(f"{path}:{row['line']}: column {col}: expected a number, found {row[col]!r}")
        frame = frame.with_columns(parsed.alias(col))
    for name in ohlc:
        bad = frame.filter(pl.col(name).is_null())
        if bad.height:
            raise DataError(f"{path}:{bad['line'][0]}: column {name}: missing value")
    if "adj_close" not in frame.columns:
        notes.append("no adjusted close column: adj_close = close")
        frame = frame.with_columns(pl.col("close").alias("adj_close"))
    if "volume" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, pl.Float64).alias("volume"))
    if "symbol" in frame.columns and symbol is None:
        syms = frame["symbol"]
        bad = frame.filter(syms.is_null() | (syms.str.strip_chars() == ""))
        if bad.height:
            raise DataError(f"{path}:{bad['line'][0]}: column symbol: missing value")
        mapping = {s: normalize_symbol(re.sub(r"\.US$", "", s.strip(), flags=re.IGNORECASE)) for s in syms.unique()}
        frame = frame.with_columns(pl.col("symbol").replace_strict(mapping, return_dtype=pl.Utf8))
    else:
        sym = normalize_symbol(symbol) if symbol else symbol_from_filename(path)
        frame = frame.with_columns(pl.lit(sym, pl.Utf8).alias("symbol"))
    frame = frame.select(
        [pl.col(name).cast(dtype) for name, dtype in BAR_SCHEMA.items()] + [pl.col("line")]
    ).sort(["symbol", "date"], maintain_order=True)
    return BarFile(path=path, frame=frame, notes=tuple(notes))
