"""Reading constituent files (closes matrices, membership, member lists, holdings).

The file formats are described in :mod:`rotation.data.constituents`, which
stores what these readers return.  Every error names the file, the line
(1 = header) and what was expected; nothing here touches the store.
"""

from __future__ import annotations

import gzip
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from rotation.data.files import read_text
from rotation.errors import DataError

KINDS: tuple[str, ...] = ("closes", "membership", "members", "holdings")

_SUFFIXES = (".csv", ".csv.gz", ".parquet")
_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")


# -- recognising files ---------------------------------------------------------

def _stem(path: Path) -> str | None:
    name = path.name.lower()
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return None


def universe_from_name(path: Path) -> str:
    """The universe a file belongs to: its name up to the first underscore, lower-cased."""
    stem = _stem(path) or path.name.lower()
    return stem.split("_", 1)[0]


def file_kind(path: Path) -> str | None:
    """``closes``, ``membership``, ``members``, ``holdings`` (from the name), or None."""
    stem = _stem(path)
    if stem is None or "_" not in stem:
        return None
    words = stem.split("_")[1:]
    if "holdings" in words:
        return "holdings"
    if "membership" in words:
        return "membership"
    if "members" in words:
        return "members"
    if "closes" in words:
        return "closes"
    return None


def _header(path: Path) -> list[str]:
    name = path.name.lower()
    try:
        if name.endswith(".parquet"):
            return [c.strip().lower() for c in pl.read_parquet_schema(path)]
        opener: Any = gzip.open if name.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8-sig", errors="replace") as fh:
            line = fh.readline()
    except (OSError, EOFError, pl.exceptions.PolarsError):
        return []
    return [c.strip().strip('"').lower() for c in line.strip().split(",")]


def claims_for(kind: str) -> Any:
    def claims(path: Path) -> bool:
        if file_kind(path) != kind:
            return False
        cols = _header(path)
        if not cols:
            return False
        if kind == "closes":
            # A bar file has open, high, low and close; tickers like OPEN or LOW alone do not make one.
            return cols[0] == "date" and len(cols) >= 2 and not {"open", "high", "low", "close"} <= set(cols)
        has_symbol = bool({"ticker", "symbol"} & set(cols))
        if kind == "membership":
            return has_symbol and "start_date" in cols
        if kind == "holdings":
            return has_symbol and bool({"weight_pct", "weight"} & set(cols))
        return has_symbol

    return claims


# -- reading files ---------------------------------------------------------------

def _check_width(path: Path, text: str) -> None:
    """Every line has as many commas as the header (only for quote-free files)."""
    lines = text.rstrip("\n").split("\n")
    width = lines[0].count(",")
    for i, line in enumerate(lines[1:], start=2):
        if line.strip() and line.count(",") != width:
            raise DataError(
                f"{path}:{i}: expected {width + 1} comma-separated fields like the header, "
                f"found {line.count(',') + 1}"
            )


def _read_table(path: Path, expected: str) -> pl.DataFrame:
    """All columns as strings, lower-cased names, plus ``line`` (1 = header)."""
    if path.name.lower().endswith(".parquet"):
        try:
            frame = pl.read_parquet(path).select(pl.all().cast(pl.Utf8))
        except (OSError, pl.exceptions.PolarsError) as exc:
            raise DataError(f"{path}: not a readable Parquet file: {exc}") from exc
        first = 1
    else:
        text = read_text(path)
        if not text.strip():
            raise DataError(f"{path}:1: empty file, expected a header line {expected}")
        if '"' not in text:
            _check_width(path, text)
        try:
            frame = pl.read_csv(io.StringIO(text), infer_schema=False, raise_if_empty=True)
        except pl.exceptions.PolarsError as exc:
            raise DataError(f"{path}: malformed CSV, expected {expected}: {exc}") from exc
        first = 2
    names = [c.strip().lower() for c in frame.columns]
    dup = next((n for n in names if names.count(n) > 1 or "_duplicated_" in n), None)
    if dup is not None:
        raise DataError(f"{path}:1: column {dup.split('_duplicated_')[0]!r} appears twice in the header")
    frame.columns = names
    return frame.with_columns((pl.int_range(pl.len()) + first).alias("line"))


def _yahoo(col: pl.Expr) -> pl.Expr:
    return col.str.strip_chars().str.to_uppercase().str.replace_all(".", "-", literal=True)


def _dates(path: Path, frame: pl.DataFrame, col: str, *, required: bool) -> pl.Series:
    raw = frame[col].str.strip_chars()
    parsed = raw.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
    bad = frame.filter(raw.is_not_null() & (raw != "") & parsed.is_null())
    if not bad.is_empty():
        row = bad.row(0, named=True)
        raise DataError(f"{path}:{row['line']}: column {col}: expected a date YYYY-MM-DD, found {row[col]!r}")
    if required:
        missing = frame.filter(parsed.is_null())
        if not missing.is_empty():
            raise DataError(f"{path}:{missing['line'][0]}: column {col}: missing date")
    return parsed.alias(col)


def _numbers(path: Path, frame: pl.DataFrame, col: str) -> pl.Series:
    raw = frame[col].str.strip_chars()
    parsed = raw.cast(pl.Float64, strict=False)
    bad = frame.filter(raw.is_not_null() & (raw != "") & (parsed.is_null() | parsed.is_nan()))
    if not bad.is_empty():
        row = bad.row(0, named=True)
        raise DataError(f"{path}:{row['line']}: column {col}: expected a number, found {row[col]!r}")
    return parsed.alias(col)


def _pick(frame: pl.DataFrame, *names: str) -> str | None:
    return next((n for n in names if n in frame.columns), None)


def _symbols(path: Path, frame: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
    """(symbol in Yahoo form, ticker as written); a missing ticker is an error."""
    tcol = _pick(frame, "ticker", "symbol")
    if tcol is None:
        raise DataError(f"{path}:1: expected a column ticker or symbol")
    ticker = frame[tcol].str.strip_chars()
    missing = frame.filter(ticker.is_null() | (ticker == ""))
    if not missing.is_empty():
        raise DataError(f"{path}:{missing['line'][0]}: column {tcol}: missing ticker")
    expr = _yahoo(pl.col(tcol))
    if "yf_symbol" in frame.columns:
        yf = _yahoo(pl.col("yf_symbol"))
        expr = pl.when(yf.is_null() | (yf == "")).then(expr).otherwise(yf)
    symbol = frame.select(expr.alias("symbol")).to_series()
    return symbol, ticker.alias("ticker")


def _no_duplicates(path: Path, frame: pl.DataFrame, keys: Sequence[str]) -> None:
    dup = frame.filter(pl.struct(list(keys)).is_duplicated())
    if not dup.is_empty():
        second = dup.row(1, named=True)
        what = ", ".join(f"{k}={second[k]}" for k in keys)
        raise DataError(f"{path}:{second['line']}: duplicate entry ({what}); expected one row per key")


@dataclass(frozen=True)
class ConstituentFile:
    """One parsed constituent file, ready to be written (``frame`` matches its table)."""

    path: Path
    kind: str
    universe: str
    frame: pl.DataFrame
    notes: tuple[str, ...] = ()


def _locate_bad_cell(path: Path, text: str, tickers: list[str]) -> DataError:
    """The first cell that is not a number (slow path, only after the fast parse failed)."""
    frame = pl.read_csv(io.StringIO(text), infer_schema=False)
    frame = frame.with_columns((pl.int_range(pl.len()) + 2).alias("line"))
    for col in frame.columns[1:-1]:
        raw = frame[col].str.strip_chars()
        parsed = raw.cast(pl.Float64, strict=False)
        bad = frame.filter(raw.is_not_null() & (raw != "") & (parsed.is_null() | parsed.is_nan()))
        if not bad.is_empty():
            return DataError(f"{path}:{bad['line'][0]}: column {col}: expected a number, found {bad[col][0]!r}")
    return DataError(f"{path}: malformed CSV, expected date,TICKER1,TICKER2,... with numbers")


def read_closes_file(path: Path | str) -> ConstituentFile:
    """A wide ``date`` x ticker matrix of adjusted closes -> long (universe, symbol, date, adj_close)."""
    path = Path(path)
    universe = universe_from_name(path)
    expected = "date,TICKER1,TICKER2,..."
    if path.name.lower().endswith(".parquet"):
        frame = _read_table(path, expected)
        text = None
    else:
        text = read_text(path)
        if not text.strip():
            raise DataError(f"{path}:1: empty file, expected a header line {expected}")
        _check_width(path, text)
        header = [c.strip() for c in text.split("\n", 1)[0].strip().split(",")]
        schema = {h: (pl.Utf8 if i == 0 else pl.Float64) for i, h in enumerate(header)}
        if len(schema) != len(header):
            dup = next(h for h in header if header.count(h) > 1)
            raise DataError(f"{path}:1: column {dup!r} appears twice in the header")
        try:
            frame = pl.read_csv(io.StringIO(text), schema=schema)
        except pl.exceptions.PolarsError:
            raise _locate_bad_cell(path, text, header[1:]) from None
        frame.columns = [c.lower() if i == 0 else c for i, c in enumerate(frame.columns)]
        frame = frame.with_columns((pl.int_range(pl.len()) + 2).alias("line"))
    if frame.columns[0] != "date":
        raise DataError(f"{path}:1: expected the first column to be date, found {frame.columns[0]!r}")
    tickers = [c for c in frame.columns[1:] if c != "line"]
    if not tickers:
        raise DataError(f"{path}:1: expected ticker columns after date")
    if any(not t.strip() for t in tickers):
        raise DataError(f"{path}:1: empty column name in the header")
    dates = _dates(path, frame, "date", required=True)
    bad = frame.filter(dates.diff().dt.total_days() <= 0)
    if not bad.is_empty():
        raise DataError(
            f"{path}:{bad['line'][0]}: dates must be strictly increasing, found {bad['date'][0]} "
            "after a later or equal date"
        )
    if text is None:  # Parquet: strings -> numbers, with the cell named on failure
        values = frame.select([_numbers(path, frame, t) for t in tickers])
    else:
        values = frame.select(tickers)
        nan = values.select(pl.any_horizontal(pl.all().is_nan())).to_series()
        if nan.any():
            row = int(nan.arg_true()[0])
            col = next(t for t in tickers if values[t].is_nan()[row])
            raise DataError(f"{path}:{frame['line'][row]}: column {col}: expected a number, found NaN")
    _refuse_absurd(path, frame, values, tickers, dates)
    symbols = [t.strip().upper().replace(".", "-") for t in tickers]
    if len(set(symbols)) != len(symbols):
        dup = next(s for s in symbols if symbols.count(s) > 1)
        raise DataError(f"{path}:1: ticker {dup} appears twice in the header")
    values.columns = symbols
    wide = values.with_columns(dates)
    long = (
        wide.unpivot(index="date", variable_name="symbol", value_name="adj_close")
        .drop_nulls("adj_close")
        .select(pl.lit(universe).alias("universe"), "symbol", "date", "adj_close")
    )
    notes = [f"{universe}: {len(symbols)} tickers x {wide.height} dates, {long.height} prices"]
    nonpos = long.filter(pl.col("adj_close") <= 0)
    if not nonpos.is_empty():
        names = ", ".join(sorted(set(nonpos["symbol"].to_list()))[:5])
        notes.append(f"{nonpos.height} non-positive closes kept ({names}); breadth treats them as missing")
    return ConstituentFile(path, "closes", universe, long, tuple(notes))


def _refuse_absurd(
    path: Path, frame: pl.DataFrame, values: pl.DataFrame, tickers: list[str], dates: pl.Series
) -> None:
    """The bar rules that apply to a closes matrix: finite, plausible prices; no future dates."""
    from rotation.data.validate import MAX_PRICE

    today = date.today()
    future = dates > today
    if future.any():
        row = int(future.arg_true()[0])
        raise DataError(f"{path}:{frame['line'][row]}: future_date: {dates[row]} is after today ({today})")
    bad = values.select(pl.any_horizontal([(~pl.col(t).is_finite()) | (pl.col(t) > MAX_PRICE) for t in tickers]))
    mask = bad.to_series().fill_null(False)
    if mask.any():
        row = int(mask.arg_true()[0])
        col = next(t for t in tickers if values[t][row] is not None
                   and (not math.isfinite(values[t][row]) or values[t][row] > MAX_PRICE))
        raise DataError(
            f"{path}:{frame['line'][row]}: column {col}: expected a finite price <= {MAX_PRICE:,.0f}, "
            f"found {values[col][row]!r}"
        )


def read_membership_file(path: Path | str) -> ConstituentFile:
    """Membership intervals ``ticker,start_date,end_date`` (end empty = still a member)."""
    path = Path(path)
    frame = _read_table(path, "ticker,start_date,end_date")
    for col in ("start_date", "end_date"):
        if col not in frame.columns:
            raise DataError(f"{path}:1: expected columns ticker,start_date,end_date; missing {col}")
    symbol, _ = _symbols(path, frame)
    start = _dates(path, frame, "start_date", required=True)
    end = _dates(path, frame, "end_date", required=False)
    out = pl.DataFrame([symbol, start, end, frame["line"]])
    bad = out.filter(pl.col("end_date") <= pl.col("start_date"))
    if not bad.is_empty():
        raise DataError(f"{path}:{bad['line'][0]}: end_date must be after start_date")
    _no_duplicates(path, out, ["symbol", "start_date"])
    universe = universe_from_name(path)
    out = out.select(pl.lit(universe).alias("universe"), "symbol", "start_date", "end_date")
    return ConstituentFile(path, "membership", universe, out, (f"{universe}: {out.height} intervals",))


def _text(frame: pl.DataFrame, *names: str) -> pl.Series:
    col = _pick(frame, *names)
    if col is None:
        return pl.Series(names[0], [None] * frame.height, dtype=pl.Utf8)
    return frame[col].str.strip_chars()


def read_members_file(path: Path | str) -> ConstituentFile:
    """A current member list: symbol/ticker and optional name, sector, sub-industry, date_added."""
    path = Path(path)
    frame = _read_table(path, "symbol[,security,gics_sector,gics_sub_industry,date_added,yf_symbol]")
    symbol, ticker = _symbols(path, frame)
    added = (
        _dates(path, frame, "date_added", required=False)
        if "date_added" in frame.columns
        else pl.Series("date_added", [None] * frame.height, dtype=pl.Date)
    )
    out = pl.DataFrame(
        [
            symbol,
            ticker,
            _text(frame, "security", "name").alias("name"),
            _text(frame, "gics_sector", "sector").alias("sector"),
            _text(frame, "gics_sub_industry", "sub_industry").alias("sub_industry"),
            added,
            frame["line"],
        ]
    )
    _no_duplicates(path, out, ["symbol"])
    universe = universe_from_name(path)
    out = out.select(pl.lit(universe).alias("universe"), pl.exclude("line"))
    return ConstituentFile(path, "members", universe, out, (f"{universe}: {out.height} members",))


def read_holdings_file(path: Path | str) -> ConstituentFile:
    """A fund's holdings with weights (``weight_pct`` in percent or ``weight`` as a fraction)."""
    path = Path(path)
    frame = _read_table(path, "ticker,weight_pct[,name,sector,price,yf_symbol]")
    symbol, ticker = _symbols(path, frame)
    if "weight_pct" in frame.columns:
        weight = _numbers(path, frame, "weight_pct") / 100.0
        wcol = "weight_pct"
    elif "weight" in frame.columns:
        weight = _numbers(path, frame, "weight")
        wcol = "weight"
    else:
        raise DataError(f"{path}:1: expected a column weight_pct (percent) or weight (fraction)")
    missing = frame.filter(weight.is_null())
    if not missing.is_empty():
        raise DataError(f"{path}:{missing['line'][0]}: column {wcol}: missing weight")
    stem = _stem(path) or path.name.lower()
    if "as_of" in frame.columns:
        as_of_col = _dates(path, frame, "as_of", required=True)
        if as_of_col.n_unique() != 1:
            raise DataError(f"{path}: column as_of: expected one date for the whole file")
        as_of = as_of_col[0]
    else:
        found = _DATE_IN_NAME.search(stem)
        if not found:
            raise DataError(
                f"{path}: expected the holdings date in the file name (..._YYYY-MM-DD.csv) or an as_of column"
            )
        try:
            as_of = date.fromisoformat(found.group(1))
        except ValueError:
            raise DataError(f"{path}: file name date {found.group(1)!r} is not a valid date") from None
    words = stem.split("_")
    fund = words[1] if len(words) > 2 and words[1] != "holdings" else words[0]
    price = (
        _numbers(path, frame, "price")
        if "price" in frame.columns
        else pl.Series("price", [None] * frame.height, dtype=pl.Float64)
    )
    out = pl.DataFrame(
        [
            symbol,
            ticker,
            _text(frame, "name", "security").alias("name"),
            _text(frame, "sector", "gics_sector").alias("sector"),
            weight.alias("weight"),
            price.alias("price"),
            frame["line"],
        ]
    )
    # One fund can list a ticker twice (share classes, lines of the same stock): sum them.
    out = out.group_by("symbol", maintain_order=True).agg(
        pl.col("ticker").first(),
        pl.col("name").first(),
        pl.col("sector").first(),
        pl.col("weight").sum(),
        pl.col("price").first(),
    )
    universe = universe_from_name(path)
    out = out.select(
        pl.lit(universe).alias("universe"),
        pl.lit(fund.upper()).alias("fund"),
        pl.lit(as_of).cast(pl.Date).alias("as_of"),
        "symbol", "ticker", "name", "sector", "weight", "price",
    )
    total = float(out["weight"].sum())
    note = f"{universe}: {fund.upper()} holdings as of {as_of}: {out.height} lines, weights sum to {total:.1%}"
    return ConstituentFile(path, "holdings", universe, out, (note,))
