"""The bar schema shared by every layer.

A *bars frame* is a long Polars frame, one row per (symbol, date), sorted by
symbol then date, with exactly :data:`BAR_COLUMNS`.  ``open/high/low/close``
are as-traded (split-adjusted) prices, used for levels, gaps and stops;
``adj_close`` is split and dividend adjusted and is used for returns and
relative strength.
"""

from __future__ import annotations

import polars as pl

PRICE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "adj_close")
BAR_COLUMNS: tuple[str, ...] = ("symbol", "date", *PRICE_COLUMNS, "volume")

BAR_SCHEMA: dict[str, pl.DataType] = {
    "symbol": pl.Utf8(),
    "date": pl.Date(),
    "open": pl.Float64(),
    "high": pl.Float64(),
    "low": pl.Float64(),
    "close": pl.Float64(),
    "adj_close": pl.Float64(),
    "volume": pl.Float64(),
}

PRICE_FIELDS: tuple[str, ...] = PRICE_COLUMNS


def empty_bars() -> pl.DataFrame:
    """A bars frame with no rows."""
    return pl.DataFrame(schema=BAR_SCHEMA)


def conform(frame: pl.DataFrame) -> pl.DataFrame:
    """Cast and order ``frame`` to the bar schema, sorted by symbol and date."""
    return frame.select(
        [pl.col(name).cast(dtype) for name, dtype in BAR_SCHEMA.items()]
    ).sort(["symbol", "date"])
