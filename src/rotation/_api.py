"""Notebook-friendly access to the store: ``rotation.bars("NVDA", start="2024-01-01")``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import polars as pl

from rotation.data.store import Store
from rotation.errors import ConfigError

DateLike = date | str | None


def _as_date(value: DateLike, name: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{name}: expected a date YYYY-MM-DD, got {value!r}") from None


def _with_store(store: Store | Path | str | None) -> tuple[Store, bool]:
    if isinstance(store, Store):
        return store, False
    return Store(store, read_only=True), True


def bars(
    symbols: str | Sequence[str],
    start: DateLike = None,
    end: DateLike = None,
    *,
    store: Store | Path | str | None = None,
) -> pl.DataFrame:
    """Daily bars of one symbol or several (long frame), from the local store.

    Aliases work (``"RUT"`` is ``^RUT``).  ``.to_pandas()`` gives a pandas frame.
    """
    st, owned = _with_store(store)
    try:
        return st.bars(symbols, _as_date(start, "start"), _as_date(end, "end"))
    finally:
        if owned:
            st.close()


def closes(
    symbols: Sequence[str],
    field: str = "adj_close",
    start: DateLike = None,
    end: DateLike = None,
    *,
    store: Store | Path | str | None = None,
) -> pl.DataFrame:
    """A wide frame (``date`` + one column per symbol) of one price field."""
    st, owned = _with_store(store)
    try:
        return st.closes(symbols, field, _as_date(start, "start"), _as_date(end, "end"))
    finally:
        if owned:
            st.close()
