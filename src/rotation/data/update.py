"""``rotation data update``: download new bars for stored or named symbols.

For each symbol the provider is asked for bars from the last stored date on
(that bar is fetched again, so a provisional last bar gets corrected).  When
the re-fetched bar has the same close but a different adjusted close, the
provider has re-based its adjustments (a dividend or split since the last
update): the symbol's whole history is fetched again so ``adj_close`` stays one
consistent series.  Each symbol is written in its own transaction; a symbol that
fails is reported and leaves its bars untouched while the others go on.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl

from rotation.data.importer import import_frame
from rotation.data.providers.base import Provider, UpdateReport
from rotation.data.store import Store, UpsertCounts
from rotation.data.symbols import normalize_symbol
from rotation.errors import RotationError

DEFAULT_UNIVERSES: tuple[str, ...] = ("core", "sectors", "styles", "megacaps")


@dataclass(frozen=True)
class SymbolUpdate:
    """Outcome for one symbol: counts when it worked, the error when it failed."""

    symbol: str
    counts: UpsertCounts | None
    start: date | None
    full_refetch: bool = False
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None




def _rebased(stored: pl.DataFrame, fetched: pl.DataFrame) -> bool:
    """True when the overlapping bar keeps its close but its adjusted close moved."""
    both = stored.join(fetched, on="date", suffix="_new")
    for row in both.iter_rows(named=True):
        if row["adj_close"] is None or row["adj_close_new"] is None:
            continue
        same_close = math.isclose(row["close"], row["close_new"], rel_tol=1e-6)
        same_adj = math.isclose(row["adj_close"], row["adj_close_new"], rel_tol=1e-6)
        if same_close and not same_adj:
            return True
    return False


def update_symbol(store: Store, provider: Provider, symbol: str, end: date | None = None) -> SymbolUpdate:
    """Fetch and store new bars for one symbol (one transaction); never raises for provider errors."""
    sym = normalize_symbol(symbol)
    last = store.last_dates().get(sym)
    with_splits = getattr(provider, "fetch_with_splits", None)

    def fetch(start: date | None) -> tuple[pl.DataFrame, pl.DataFrame | None]:
        if with_splits is not None:
            got: tuple[pl.DataFrame, pl.DataFrame] = with_splits(sym, start, end)
            return got
        return provider.fetch(sym, start, end), None

    try:
        fetched, splits = fetch(last)
        full = False
        if last is not None and not fetched.is_empty():
            stored_last = store.bars(sym, last, last)
            if _rebased(stored_last, fetched):
                fetched, splits = fetch(None)
                full = True
        counts_by = import_frame(store, fetched, f"{provider.name}", splits) if not fetched.is_empty() else {}
    except RotationError as exc:
        return SymbolUpdate(sym, None, last, error=str(exc))
    total = UpsertCounts()
    for c in counts_by.values():
        total = total + c
    return SymbolUpdate(sym, total, last, full_refetch=full)


def update_symbols(
    store: Store,
    provider: Provider,
    symbols: Sequence[str],
    *,
    end: date | None = None,
    on_symbol: Callable[[SymbolUpdate], None] | None = None,
) -> UpdateReport[SymbolUpdate]:
    """Update each symbol in turn; failures are collected, not raised."""
    results = []
    for sym in dict.fromkeys(normalize_symbol(s) for s in symbols):
        result = update_symbol(store, provider, sym, end)
        results.append(result)
        if on_symbol:
            on_symbol(result)
    return UpdateReport(provider.name, tuple(results))
