"""Rotation across a universe: leadership, the Relative Rotation Graph, quadrant transitions, pair scans."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from rotation.analytics.events import Z_WINDOW, pair_events, scan_pairs
from rotation.analytics.relative import benchmark_returns, leaders
from rotation.analytics.rrg import RrgParams, RrgPoint, quadrant_transitions, rrg, rrg_snapshot
from rotation.data.store import Store
from rotation.data.universes import load_universe
from rotation.errors import ConfigError, DataError
from rotation.query.prices import universe_prices


@dataclass(frozen=True)
class Leaders:
    universe: str
    benchmark: str
    as_of: date | None
    sort_by: str
    table: pl.DataFrame
    benchmark_returns: dict[str, float | None]
    labels: dict[str, str]
    notes: tuple[str, ...] = ()


def universe_leaders(
    st: Store, universe: str, as_of: date | None = None, benchmark: str | None = None, sort: str = "3m"
) -> Leaders:
    """Returns over 1d..1y and YTD relative to a benchmark, ranked, with the distance from the high."""
    uni = universe_prices(st, universe, benchmark, as_of)
    table = leaders(uni.adj, uni.benchmark, as_of, highs=uni.highs, closes=uni.closes, sort_by=sort, labels=uni.labels)
    bret = benchmark_returns(uni.adj, uni.benchmark, as_of)
    when = table["as_of"][0] if table.height else as_of
    return Leaders(uni.name, uni.benchmark, when, sort, table, bret, uni.labels, uni.notes)


@dataclass(frozen=True)
class Rrg:
    """A universe's RRG: the full history (every sampled bar) and the snapshot as of a day."""

    universe: str
    benchmark: str
    params: RrgParams
    history: pl.DataFrame  # date, symbol, rs_ratio, rs_momentum, quadrant, heading
    points: list[RrgPoint]
    labels: dict[str, str]
    notes: tuple[str, ...] = ()

    def require_points(self, as_of: date | None = None) -> None:
        """A clear error when no member has a point: the windows need more bars than the data has.

        An RRG with no point is no answer (the command would print an empty table);
        this names the windows, the bars a first point needs and the bars there are.
        """
        if self.points:
            return
        rows = self.history.filter(pl.col("rs").is_not_null())
        if as_of is not None:
            rows = rows.filter(pl.col("date") <= as_of)
        p = self.params
        cut = f" up to {as_of}" if as_of is not None else ""
        need = (f"RRG window {p.window}: a first point needs window + smooth - 1 + momentum = {p.warmup:,} "
                f"{p.freq} bars (window {p.window}, smooth {p.smooth}, momentum {p.momentum})")
        if rows.is_empty():
            raise DataError(f"{need}; no member of {self.universe} has a bar with {self.benchmark}{cut}")
        best = rows.group_by("symbol").agg(pl.len(), pl.col("date").min().alias("first"),
                                            pl.col("date").max().alias("last")).sort("len", "symbol",
                                                                                      descending=[True, False])
        top = best.row(0, named=True)
        raise DataError(f"{need}; the longest member of {self.universe}, {top['symbol']}, has {top['len']:,} "
                        f"{p.freq} bars with {self.benchmark}{cut} ({top['first']}..{top['last']})")

    def transitions(self, since: date | None = None, until: date | None = None) -> pl.DataFrame:
        """Quadrant changes from ``since`` (default: the start of the shortest tail) to ``until``."""
        first = since or (min(p.tail[0][0] for p in self.points) if self.points else None)
        return quadrant_transitions(self.history, first, until)


def universe_rrg(
    st: Store,
    universe: str = "sectors",
    benchmark: str | None = None,
    as_of: date | None = None,
    params: RrgParams | None = None,
    tail: int = 5,
) -> Rrg:
    """RS-Ratio, RS-Momentum, quadrant and tail of every member vs the benchmark (look-ahead free)."""
    params = params or RrgParams.for_freq("weekly")
    uni = universe_prices(st, universe, benchmark, as_of)
    history = rrg(uni.adj, uni.benchmark, uni.symbols, params)
    points = rrg_snapshot(history, as_of, tail)
    return Rrg(uni.name, uni.benchmark, params, history, points, uni.labels, uni.notes)


@dataclass(frozen=True)
class Scan:
    """The latest day of every standard pair of a universe, ranked, with a notable flag."""

    universe: str
    window: str
    as_of: date | None
    notable: float
    pairs: pl.DataFrame
    notes: tuple[str, ...] = ()


def scan_universe(
    st: Store, universe: str = "pairs", window: str = "1d", as_of: date | None = None, notable: float = 0.95
) -> Scan:
    """Rotation scan of a universe's ``[[pairs]]`` on ``as_of`` (default: each pair's latest day)."""
    uni = load_universe(universe)
    if not uni.pairs:
        raise ConfigError(f"universe {uni.name!r} has no [[pairs]]; try --universe pairs")
    stored = set(st.symbols())
    pairs = [p for p in uni.pairs if p.a in stored and p.b in stored]
    skipped = [p.name for p in uni.pairs if p not in pairs]
    notes = [f"pairs without bars in the store: {', '.join(skipped)}"] if skipped else []
    if not pairs:
        raise DataError(f"no pair of {uni.name!r} has bars for both sides in the store")
    symbols = list(dict.fromkeys(s for p in pairs for s in (p.a, p.b)))
    closes = st.closes(symbols, end=as_of)
    events = pair_events(closes, [(p.a, p.b) for p in pairs], window, Z_WINDOW)
    if events.is_empty():
        raise DataError(f"no spreads of the pairs of {uni.name!r} on or before {as_of}")
    kinds = pl.DataFrame({"pair": [p.name for p in pairs], "kind": [p.kind for p in pairs],
                          "label": [p.label for p in pairs]})
    scan = scan_pairs(events, as_of, notable).join(kinds, on="pair", how="left")
    return Scan(uni.name, window, as_of, notable, scan, tuple(notes))
