"""Read daily-bar files (CSV, TXT, Parquet) into the bar schema.

Accepted layouts, column names matched case-insensitively:

* the project's own ``date,open,high,low,close,adj_close,volume``;
* Yahoo Finance exports ``Date,Open,High,Low,Close,Adj Close,Volume``
  (a row whose prices are all ``null`` or empty, Yahoo's row for a day without a bar, is
  dropped and counted; a ``nan`` price is an error naming its line);
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
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from rotation.data import textio
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
# Cells that mean "no value": an empty cell, Yahoo's ``null`` (its rows for days without a
# bar), R's ``NA``, a spreadsheet's ``n/a`` or ``-``.  ``nan`` is not among them: a NaN is a
# number that went wrong upstream (a failed division, a bad join), so it is refused with its
# line instead of being skipped as a day without a bar (docs/data.md).
_MISSING_TOKENS: tuple[str, ...] = ("", "null", "na", "n/a", "-")
# The same tokens as the CSV reader sees them (it compares exactly, before any stripping).
_NULL_TOKENS: tuple[str, ...] = ("", "null", "NULL", "Null", "na", "NA", "n/a", "N/A", "-")


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
    """``RUT.csv`` -> ``^RUT``; ``spy.us.txt`` / ``spy_us_d.csv`` -> ``SPY``; ``NVDA.parquet`` -> ``NVDA``."""
    name = path.name
    for suffix in sorted(BAR_SUFFIXES, key=len, reverse=True):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    name = re.sub(r"\.us$", "", name, flags=re.IGNORECASE)
    # Stooq's download names: spy_us_d.csv (symbol, market, interval), ^spx_d.csv
    name = re.sub(r"(_us)?_[dwmq]$", "", name, flags=re.IGNORECASE)
    return normalize_symbol(name)


def is_bar_file(path: Path) -> bool:
    return path.name.lower().endswith(BAR_SUFFIXES)


def read_text(path: Path) -> str:
    """A text file's content (``.gz`` decompressed, UTF-8 with or without BOM); errors name the file."""
    return textio.read_text(path, DataError)


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


def _read_csv_typed(text: str, sep: str, header: str) -> pl.DataFrame | None:
    """The fast path: prices parsed as numbers by the CSV reader itself; None if anything fails."""
    overrides: dict[str, pl.DataType] = {}
    for raw in header.strip().split(sep):
        name = raw.strip()
        canon = _canonical(name)
        if canon in ("open", "high", "low", "close", "adj_close", "volume"):
            overrides[name] = pl.Float64()
        elif name:
            overrides[name] = pl.Utf8()
    try:
        return pl.read_csv(
            io.StringIO(text),
            separator=sep,
            schema_overrides=overrides,
            infer_schema=False,
            null_values=list(_NULL_TOKENS),
            raise_if_empty=True,
            truncate_ragged_lines=False,
        )
    except pl.exceptions.PolarsError:
        return None


def _read_csv_strings(path: Path, text: str | None = None) -> pl.DataFrame:
    if text is None:
        text = read_text(path)
    if not text.strip():
        raise DataError(f"{path}:1: empty file, expected a header line with date,open,high,low,close")
    header = text.split("\n", 1)[0]
    sep = max((",", ";", "\t"), key=header.count)
    frame = _read_csv_typed(text, sep, header)
    if frame is None:  # something does not parse: read as text, so the bad line can be named
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
        if '"' in text:
            bad = _ragged_line(path, text, sep)  # quoted fields: only a CSV parser can count
            if "expected" in str(bad):
                raise bad
        else:
            lines = pl.Series(text.split("\n")).str.strip_chars_end("\r")
            fields = lines.str.count_matches(sep, literal=True) + 1
            short = (fields != frame.width) & (lines.str.len_chars() > 0)
            if short.any():
                lineno = int(short.arg_true()[0]) + 1
                raise DataError(
                    f"{path}:{lineno}: expected {frame.width} comma-separated fields like the header, "
                    f"found {int(fields[lineno - 1])}"
                )
    return frame


def _read_parquet(path: Path) -> pl.DataFrame:
    try:
        frame = pl.read_parquet(path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise DataError(f"{path}: not a readable Parquet file: {exc}") from exc
    return frame.select(pl.all().cast(pl.Utf8))


def _date_expr(col: pl.Expr) -> pl.Expr:
    """ISO ``YYYY-MM-DD`` (a time part is ignored), ``YYYYMMDD`` or ``MM/DD/YYYY``; null when none fits."""
    s = col.str.strip_chars()
    return pl.coalesce(
        s.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False),
        s.str.to_date("%Y%m%d", strict=False),
        s.str.to_date("%m/%d/%Y", strict=False),
    )


def _raise_first_bad(path: Path, parsed: pl.DataFrame, flags: dict[str, bool], price_cols: Sequence[str]) -> None:
    """Raise the :class:`DataError` for the first problem ``flags`` found, naming its line."""
    if flags["date"]:
        bad = parsed.filter(pl.col("__date").is_null())
        row = bad.row(0, named=True)
        raise DataError(
            f"{path}:{row['line']}: cannot parse date {row['date']!r}; expected YYYY-MM-DD"
            + (f" ({bad.height} such lines)" if bad.height > 1 else "")
        )
    for col in price_cols:
        if flags[col]:
            row = parsed.filter(pl.col(f"__{col}").is_null() & pl.col(col).is_not_null()).row(0, named=True)
            raise DataError(f"{path}:{row['line']}: column {col}: expected a number, found {row[col]!r}")
    for col in price_cols:
        if flags[f"nan {col}"]:
            line = parsed.filter(pl.col(f"__{col}").is_nan())["line"][0]
            raise DataError(
                f"{path}:{line}: column {col}: found NaN, expected a number "
                "(a missing value is an empty cell or null)"
            )
    for col in ("open", "high", "low", "close"):
        if flags[f"missing {col}"]:
            line = parsed.filter(pl.col(col).is_null())["line"][0]
            raise DataError(f"{path}:{line}: column {col}: missing value")


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
            if frame.schema[c] == pl.Utf8  # the typed fast path already parsed the others
        ]
    )
    ohlc = ["open", "high", "low", "close"]
    no_prices = pl.all_horizontal([pl.col(c).is_null() for c in ohlc])
    n_empty = int(frame.select(no_prices.sum()).item())
    if n_empty:
        first = frame.filter(no_prices)["line"][0]
        notes.append(f"skipped {n_empty} row(s) with no prices (e.g. line {first})")
        frame = frame.filter(~no_prices)
    # One pass parses every column; the per-column diagnosis below runs only on error.
    parsed = frame.with_columns(
        pl.col("date").str.strip_chars().str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False).alias("__date"),
        *[pl.col(c).cast(pl.Float64, strict=False).alias(f"__{c}") for c in price_cols],
    )
    if parsed["__date"].null_count():  # not all ISO: try the other accepted date formats
        parsed = parsed.with_columns(_date_expr(pl.col("date")).alias("__date"))
    flags = parsed.select(
        pl.col("__date").is_null().any().alias("date"),
        *[(pl.col(f"__{c}").is_null() & pl.col(c).is_not_null()).any().alias(c) for c in price_cols],
        *[pl.col(f"__{c}").is_nan().any().alias(f"nan {c}") for c in price_cols],
        *[pl.col(c).is_null().any().alias(f"missing {c}") for c in ohlc],
    ).row(0, named=True)
    if any(flags.values()):
        _raise_first_bad(path, parsed, flags, price_cols)
    frame = parsed.select(
        pl.col("line"),
        *[pl.col(c) for c in frame.columns if c not in ("line", "date", *price_cols)],
        pl.col("__date").alias("date"),
        *[pl.col(f"__{c}").alias(c) for c in price_cols],
    )
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
