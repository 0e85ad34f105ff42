"""Stock split events: stored, imported from a CSV or a provider, read as of a date.

A split is ``symbol, date, ratio``: on ``date`` (the first session at the new
basis, the "ex" date) each share became ``ratio`` shares (NVDA's 10-for-1 of
2024-06-10 is ratio 10; a 1-for-4 reverse split is ratio 0.25).  A split is
*known* on and after its date: a valuation as of a day uses only the splits
effective by then to put per-share figures on that day's price basis.

Sources:

* a user CSV with the header ``symbol,date,ratio`` (any file name; ``ratio``
  may also be written ``N:M`` or ``N/M``, meaning N new shares for M old ones),
  imported by ``rotation data import`` in the same transaction as everything else;
* the Yahoo provider, from yfinance's ``Stock Splits`` actions, stored by
  ``rotation data update``.

Stored in ``splits`` keyed by (symbol, date), with provenance.  Bar validation
uses them: a close that moves by about a split's ratio on its date is a split,
not a bad bar.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import polars as pl

from rotation.data.files import read_text
from rotation.data.store import Store, UpsertCounts
from rotation.data.symbols import normalize_symbol
from rotation.errors import DataError

H = TypeVar("H")

SPLIT_SCHEMA: dict[str, pl.DataType] = {"symbol": pl.Utf8(), "date": pl.Date(), "ratio": pl.Float64()}
# Ratios outside this range are typos, not splits (the largest real ones are around 1:1000).
MIN_RATIO, MAX_RATIO = 1e-4, 1e4

_DDL = """
CREATE TABLE IF NOT EXISTS splits (
    symbol VARCHAR NOT NULL, date DATE NOT NULL, ratio DOUBLE NOT NULL,
    source VARCHAR NOT NULL, imported_at TIMESTAMP NOT NULL,
    PRIMARY KEY (symbol, date)
);
"""


@dataclass(frozen=True)
class SplitFile:
    """Split events read from one CSV, before they touch the store."""

    path: Path
    frame: pl.DataFrame  # SPLIT_SCHEMA
    notes: tuple[str, ...] = ()


def empty_splits() -> pl.DataFrame:
    return pl.DataFrame(schema=SPLIT_SCHEMA)


def _header(path: Path) -> list[str]:
    try:
        first = read_text(path).split("\n", 1)[0]
    except DataError:
        return []
    return [c.strip().lower() for c in first.strip().split(",")]


def claims_splits(path: Path) -> bool:
    """A ``.csv`` whose header is ``symbol,date,ratio`` (in any order, ``ticker`` for symbol)."""
    if not path.name.lower().endswith((".csv", ".csv.gz")):
        return False
    cols = set(_header(path))
    return "ratio" in cols and "date" in cols and bool(cols & {"symbol", "ticker"}) and "close" not in cols


def _ratio(text: str) -> float | None:
    text = text.strip()
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*[:/]\s*(\d+(?:\.\d+)?)", text)
    try:
        value = float(m.group(1)) / float(m.group(2)) if m else float(text)
    except (ValueError, ZeroDivisionError):
        return None
    return value


def read_split_file(path: Path | str) -> SplitFile:
    """Parse a ``symbol,date,ratio`` CSV; every error names the file and line (1 = header)."""
    path = Path(path)
    lines = read_text(path).splitlines()
    if not lines:
        raise DataError(f"{path}:1: empty file, expected the header symbol,date,ratio")
    header = [c.strip().lower() for c in lines[0].split(",")]
    col = {name: i for i, name in enumerate(header)}
    sym_i = col.get("symbol", col.get("ticker"))
    if sym_i is None or "date" not in col or "ratio" not in col:
        raise DataError(f"{path}:1: expected the header symbol,date,ratio, found {lines[0].strip()!r}")
    rows: list[tuple[str, date, float]] = []
    seen: dict[tuple[str, date], int] = {}
    for lineno, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = line.split(",")
        if len(cells) != len(header):
            raise DataError(f"{path}:{lineno}: expected {len(header)} comma-separated fields, found {len(cells)}")
        sym = cells[sym_i].strip()
        if not sym:
            raise DataError(f"{path}:{lineno}: column symbol: missing value")
        try:
            day = date.fromisoformat(cells[col["date"]].strip())
        except ValueError as exc:
            raise DataError(f"{path}:{lineno}: cannot parse date {cells[col['date']].strip()!r}; expected YYYY-MM-DD") from exc
        ratio = _ratio(cells[col["ratio"]])
        if ratio is None or not math.isfinite(ratio) or not MIN_RATIO <= ratio <= MAX_RATIO or ratio == 1.0:
            raise DataError(
                f"{path}:{lineno}: column ratio: expected new shares per old share (e.g. 10 or 10:1 for a "
                f"10-for-1 split, 0.25 or 1:4 for a reverse split), between {MIN_RATIO:g} and {MAX_RATIO:g} "
                f"and not 1, found {cells[col['ratio']].strip()!r}"
            )
        key = (normalize_symbol(sym), day)
        if key in seen:
            raise DataError(f"{path}:{lineno}: {key[0]} {day}: a second split on that date (first on line {seen[key]})")
        seen[key] = lineno
        rows.append((key[0], day, ratio))
    frame = pl.DataFrame(rows, schema=SPLIT_SCHEMA, orient="row").sort("symbol", "date")
    return SplitFile(path, frame)


def write_splits(store: Store, frame: pl.DataFrame, source: str) -> dict[str, UpsertCounts]:
    """Upsert split events (inside the current transaction, or one of its own)."""
    with store.transaction():
        store.ensure(_DDL)
        return store.upsert("splits", frame.select(list(SPLIT_SCHEMA)), ("symbol", "date"), source, per="symbol")


def stored_splits(store: Store, symbols: Sequence[str] | None = None, known_on: date | None = None) -> pl.DataFrame:
    """Split events in the store (for ``symbols``; effective on or before ``known_on``), by symbol and date."""
    if not store.table_exists("splits"):
        return empty_splits()
    sql = "SELECT symbol, date, ratio FROM splits WHERE true"
    params: list[Any] = []
    if symbols is not None:
        names = [normalize_symbol(s) for s in symbols]
        if not names:
            return empty_splits()
        sql += f" AND symbol IN ({', '.join('?' for _ in names)})"
        params.extend(names)
    if known_on is not None:
        sql += " AND date <= ?"
        params.append(known_on)
    out = store.query(sql + " ORDER BY symbol, date", params)
    return out.select([pl.col(c).cast(t) for c, t in SPLIT_SCHEMA.items()])


def split_handlers(factory: Callable[..., H]) -> list[H]:
    """The import handler for split CSVs, built with ``factory`` (the importer's ``ImportHandler``)."""

    def load(path: Path, options: object) -> SplitFile:
        return read_split_file(path)

    def write(store: Store, payload: SplitFile) -> dict[str, UpsertCounts]:
        return write_splits(store, payload.frame, f"file:{payload.path.name}")

    return [factory("splits", claims_splits, load, write)]


__all__ = [
    "SPLIT_SCHEMA",
    "SplitFile",
    "claims_splits",
    "empty_splits",
    "read_split_file",
    "split_handlers",
    "stored_splits",
    "write_splits",
]
