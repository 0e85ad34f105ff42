"""Operands and universes as price frames: symbols, ``@basket`` operands, universe files, constituent sets.

An operand is a symbol (aliases work: ``RUT``) or an equal-weight basket of a
universe: ``@megacaps`` always means the basket; a bare universe name
(``megacaps``) means the basket too when no symbol of that name is in the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from rotation.analytics.relative import equal_weight_basket
from rotation.data.constituents import SURVIVOR_NOTE, load_panel
from rotation.data.constituents import universes as constituent_universes
from rotation.data.store import Store
from rotation.data.symbols import normalize_symbol
from rotation.data.universes import Universe, load_universe, universe_names
from rotation.errors import ConfigError, DataError


def basket_name(token: str, stored: set[str]) -> str | None:
    """The universe name if ``token`` denotes an equal-weight basket, else ``None``."""
    if token.startswith("@"):
        return token[1:]
    if token.lower() in universe_names() and normalize_symbol(token) not in stored:
        return token.lower()
    return None


def split_pair(text: str, option: str = "pair") -> tuple[str, str]:
    """``A:B`` -> ``("A", "B")``; anything else is a clear error naming ``option``."""
    if text.count(":") != 1 or not all(p.strip() for p in text.split(":")):
        raise ConfigError(f"{option}: expected A:B (e.g. ^RUT:^NDX), got {text!r}")
    a, b = text.split(":")
    return a.strip(), b.strip()


@dataclass(frozen=True)
class Closes:
    """A wide adj_close frame with one column per operand, and the operands' column names."""

    frame: pl.DataFrame
    names: tuple[str, ...]
    notes: tuple[str, ...] = ()


def present(uni: Universe, stored: set[str], extra: tuple[str, ...] = ()) -> tuple[list[str], list[str]]:
    """Members of ``uni`` (plus ``extra``) with bars in the store, and a note for the others."""
    wanted = list(dict.fromkeys([*uni.symbols, *extra]))
    missing = [s for s in wanted if s not in stored]
    notes = [f"no bars in the store for {', '.join(missing)} (left out)"] if missing else []
    have = [s for s in wanted if s in stored]
    if not have:
        raise DataError(f"no member of universe {uni.name!r} has bars in the store")
    return have, notes


def operand_closes(st: Store, tokens: list[str], start: date | None = None, end: date | None = None) -> Closes:
    """adj_close of each operand (symbol or ``@universe`` basket), joined on date."""
    stored = set(st.symbols())
    frame: pl.DataFrame | None = None
    names: list[str] = []
    notes: list[str] = []
    for token in tokens:
        uni = basket_name(token, stored)
        if uni is None:
            sym = normalize_symbol(token)
            col = st.closes([sym], start=start, end=end)
            name = sym
        else:
            members, note = present(load_universe(uni), stored)
            notes.extend(note)
            basket = equal_weight_basket(st.closes(members, start=start, end=end))
            name = f"@{uni}"
            col = basket.select("date", pl.col("level").alias(name))
        names.append(name)
        frame = col if frame is None else frame.join(col, on="date", how="full", coalesce=True)
    if frame is None:
        raise ConfigError("expected at least one operand")
    return Closes(frame.sort("date"), tuple(names), tuple(notes))


@dataclass(frozen=True)
class UniversePrices:
    """A universe's prices: wide frames of its symbols and benchmark."""

    name: str
    benchmark: str
    symbols: list[str]  # without the benchmark
    labels: dict[str, str]
    adj: pl.DataFrame  # wide adj_close, symbols + benchmark
    highs: pl.DataFrame | None  # wide as-traded high/close (bars only)
    closes: pl.DataFrame | None
    notes: tuple[str, ...] = ()
    constituents: bool = False  # from a constituent closes matrix (survivor-biased)


def constituent_sets(st: Store) -> list[str]:
    """Constituent sets the store holds (``sp500``, ``russell2000``...)."""
    return sorted(u.universe for u in constituent_universes(st))


def universe_prices(st: Store, universe: str, benchmark: str | None = None, end: date | None = None) -> UniversePrices:
    """A universe's prices: a universe file's symbols from the bars, or a constituent matrix (sp500...)."""
    key = universe.strip().lower()
    if key not in universe_names() and key in {u.universe for u in constituent_universes(st)}:
        bench = normalize_symbol(benchmark or "SPY")
        panel = load_panel(st, key, end=end)
        if panel.closes.is_empty():
            raise DataError(f"no constituent closes for {key} on or before {end}")
        # members on the last date (point-in-time where the store has membership intervals)
        last = panel.members.row(-1, named=True)
        members = [c for c in panel.closes.columns if c != "date" and last.get(c) and c != bench]
        adj = panel.closes.select("date", *members).join(st.closes([bench], end=end), on="date", how="left")
        note = (
            f"{key}: {len(members)} members on {last['date']} from the constituent closes matrix "
            f"(adjusted closes only: no distance from high); {SURVIVOR_NOTE}"
        )
        return UniversePrices(key, bench, members, {}, adj, None, None, (note,), True)
    uni = load_universe(universe)
    bench = normalize_symbol(benchmark or uni.benchmark or "SPY")
    names, notes = present(uni, set(st.symbols()), (bench,))
    if bench not in names:
        raise DataError(f"benchmark {bench} has no bars in the store")
    bars = st.bars(names, end=end)
    if bars.is_empty():
        raise DataError(f"no bars of {uni.name!r} on or before {end}")
    if bars.filter(pl.col("symbol") == bench).is_empty():
        raise DataError(f"no bars of the benchmark {bench} on or before {end}: expected an as-of date "
                        "inside the stored bars (`rotation data list` shows them)")
    symbols = [n for n in names if n != bench]
    return UniversePrices(
        uni.name, bench, symbols, dict(uni.labels), _wide(bars, "adj_close", names),
        _wide(bars, "high", names), _wide(bars, "close", names), tuple(notes),
    )


def _wide(bars: pl.DataFrame, field: str, names: list[str]) -> pl.DataFrame:
    """One column per name; a member without bars up to the date (listed later) is all null."""
    wide = bars.pivot(on="symbol", index="date", values=field).sort("date")
    wide = wide.with_columns(pl.lit(None, pl.Float64).alias(n) for n in names if n not in wide.columns)
    return wide.select(["date", *names])
