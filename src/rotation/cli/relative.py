"""``rotation ratio | leaders | rrg | events``: relative strength, rotation graphs and rotation events.

Operands of ``ratio`` and ``events --pair`` are symbols (aliases work: ``RUT``)
or equal-weight baskets of a universe: ``@megacaps`` always means the basket; a
bare universe name (``megacaps``) means the basket too when no symbol of that
name is in the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any

import polars as pl
import typer

from rotation.analytics.breadth import SIDE_SOURCES, breadth, confirmation, relative_volume
from rotation.analytics.events import (
    EVENT_WINDOWS,
    NOTABLE_PERCENTILE,
    Z_WINDOW,
    RotationEvent,
    event_on,
    explain,
    pair_events,
    scan_pairs,
    top_events,
    toward_side,
    with_breadth,
)
from rotation.analytics.relative import (
    LEADER_WINDOWS,
    benchmark_returns,
    equal_weight_basket,
    leaders,
    ratio_line,
    ratio_summary,
)
from rotation.analytics.rrg import RrgParams, quadrant_transitions, rrg, rrg_snapshot
from rotation.cli.common import (
    AsOfOpt,
    EndOpt,
    JsonOpt,
    StartOpt,
    StoreOpt,
    console,
    err_console,
    fmt_num,
    fmt_pct,
    make_table,
    parse_date,
    print_json,
    read_store,
)
from rotation.data.constituents import SURVIVOR_NOTE, load_panel
from rotation.data.constituents import universes as constituent_universes
from rotation.data.store import Store
from rotation.data.symbols import normalize_symbol
from rotation.data.universes import Universe, load_universe, pair_kind, universe_names
from rotation.errors import ConfigError, DataError

SinceOpt = Annotated[str | None, typer.Option("--since", help="First date to list (YYYY-MM-DD).")]


# -- loading ---------------------------------------------------------------
def _basket_name(token: str, stored: set[str]) -> str | None:
    """The universe name if ``token`` denotes an equal-weight basket, else ``None``."""
    if token.startswith("@"):
        return token[1:]
    if token.lower() in universe_names() and normalize_symbol(token) not in stored:
        return token.lower()
    return None


def _closes(st: Store, tokens: list[str], start: date | None, end: date | None) -> tuple[pl.DataFrame, list[str]]:
    """A wide adj_close frame with one column per operand (symbol or ``@universe`` basket)."""
    stored = set(st.symbols())
    frame: pl.DataFrame | None = None
    names: list[str] = []
    for token in tokens:
        uni = _basket_name(token, stored)
        if uni is None:
            sym = normalize_symbol(token)
            col = st.closes([sym], start=start, end=end)
            name = sym
        else:
            members = _present(load_universe(uni), stored)
            basket = equal_weight_basket(st.closes(members, start=start, end=end))
            name = f"@{uni}"
            col = basket.select("date", pl.col("level").alias(name))
        names.append(name)
        frame = col if frame is None else frame.join(col, on="date", how="full", coalesce=True)
    assert frame is not None
    return frame.sort("date"), names


def _present(uni: Universe, stored: set[str], extra: tuple[str, ...] = ()) -> list[str]:
    """Members of ``uni`` (plus ``extra``) with bars in the store; a note on stderr for the others."""
    wanted = list(dict.fromkeys([*uni.symbols, *extra]))
    missing = [s for s in wanted if s not in stored]
    if missing:
        err_console.print(f"note: no bars in the store for {', '.join(missing)} (left out)", highlight=False)
    have = [s for s in wanted if s in stored]
    if not have:
        raise DataError(f"no member of universe {uni.name!r} has bars in the store")
    return have


@dataclass(frozen=True)
class _UniversePrices:
    name: str
    benchmark: str
    symbols: list[str]  # without the benchmark
    labels: dict[str, str]
    adj: pl.DataFrame  # wide adj_close, symbols + benchmark
    highs: pl.DataFrame | None  # wide as-traded high/close (bars only)
    closes: pl.DataFrame | None


def _universe_prices(st: Store, universe: str, benchmark: str | None, end: date | None) -> _UniversePrices:
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
        err_console.print(
            f"note: {key}: {len(members)} members on {last['date']} from the constituent closes matrix "
            f"(adjusted closes only: no distance from high); {SURVIVOR_NOTE}",
            highlight=False,
        )
        symbols = members
        return _UniversePrices(key, bench, symbols, {}, adj, None, None)
    uni = load_universe(universe)
    bench = normalize_symbol(benchmark or uni.benchmark or "SPY")
    names = _present(uni, set(st.symbols()), (bench,))
    if bench not in names:
        raise DataError(f"benchmark {bench} has no bars in the store")
    bars = st.bars(names, end=end)
    symbols = [n for n in names if n != bench]
    return _UniversePrices(
        uni.name, bench, symbols, dict(uni.labels), _wide(bars, "adj_close", names),
        _wide(bars, "high", names), _wide(bars, "close", names),
    )


def _wide(bars: pl.DataFrame, field: str, names: list[str]) -> pl.DataFrame:
    return bars.pivot(on="symbol", index="date", values=field).sort("date").select(["date", *names])


# -- ratio -----------------------------------------------------------------
def ratio_cmd(
    a: Annotated[str, typer.Argument(help="Symbol or @universe (equal-weight basket), e.g. @megacaps.")],
    b: Annotated[str, typer.Argument(help="Symbol or @universe, e.g. ^RUT.")],
    start: StartOpt = None,
    end: EndOpt = None,
    fast: Annotated[int, typer.Option("--fast", help="Fast moving average of the ratio (sessions).")] = 50,
    slow: Annotated[int, typer.Option("--slow", help="Slow moving average of the ratio (sessions).")] = 200,
    slope_window: Annotated[int, typer.Option("--slope-window", help="Sessions for the ratio's slope.")] = 20,
    rows: Annotated[int, typer.Option("--rows", help="Last rows of the line to print.")] = 10,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Ratio line A/B on adj_close (rebased to 100), its moving averages, slope and return spread."""
    first = parse_date(start, "--start")
    # load enough history before --start to warm up the slow average (sessions -> calendar days)
    warm = None if first is None else first - timedelta(days=int(max(slow, slope_window) * 1.5) + 10)
    with read_store(store) as st:
        closes, (na, nb) = _closes(st, [a, b], warm, parse_date(end, "--end"))
    line = ratio_line(closes, na, nb, fast, slow, slope_window, start=first)
    summary = ratio_summary(line, na, nb, fast, slow, slope_window)
    if json_out:
        print_json({"summary": summary, "trend": summary.trend, "line": line.rename({"a": na, "b": nb})})
        return
    s = summary
    console.print(
        f"[bold]{na} / {nb}[/] (adj_close) {s.start} .. {s.end}, {s.sessions:,} sessions: "
        f"{na} {fmt_pct(s.return_a)}, {nb} {fmt_pct(s.return_b)}, spread {fmt_pct(s.spread)}; "
        f"ratio {fmt_num(s.ratio)} (rebased to 100), {s.slope_window}-session slope {fmt_pct(s.slope)}, "
        f"MA{s.fast} {fmt_num(s.ma_fast)}, MA{s.slow} {fmt_num(s.ma_slow)}: {s.trend}"
    )
    tail = line.tail(rows)
    console.print(
        make_table(
            None,
            ["date", na, nb, "ratio", f"ma{fast}", f"ma{slow}", "slope", "spread"],
            [
                (r["date"], fmt_num(r["a"]), fmt_num(r["b"]), fmt_num(r["ratio"]), fmt_num(r["ma_fast"]),
                 fmt_num(r["ma_slow"]), fmt_pct(r["slope"]), fmt_pct(r["spread"]))
                for r in tail.iter_rows(named=True)
            ],
        )
    )


# -- leaders ---------------------------------------------------------------
def leaders_cmd(
    universe: Annotated[
        str, typer.Option("--universe", help="Universe name, .toml path, or constituent set (sp500).")
    ],
    as_of: AsOfOpt = None,
    benchmark: Annotated[str | None, typer.Option("--benchmark", help="Default: the universe's.")] = None,
    sort: Annotated[str, typer.Option("--sort", help=f"Rank by this window: {', '.join(LEADER_WINDOWS)}.")] = "3m",
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Leadership table: returns over 1d..1y and YTD relative to a benchmark, ranked, distance from high."""
    day = parse_date(as_of, "--as-of")
    with read_store(store) as st:
        uni = _universe_prices(st, universe, benchmark, day)
    bench = uni.benchmark
    table = leaders(uni.adj, bench, day, highs=uni.highs, closes=uni.closes, sort_by=sort, labels=uni.labels)
    bret = benchmark_returns(uni.adj, bench, day)
    when = table["as_of"][0] if table.height else day
    if json_out:
        print_json({"universe": uni.name, "benchmark": bench, "as_of": when, "sort_by": sort,
                    "benchmark_returns": bret, "leaders": table})
        return
    cols = ["rank", "symbol", "name", *LEADER_WINDOWS, "from high", "high date"]
    rows: list[list[Any]] = [
        [r["rank"], r["symbol"], r.get("label", ""), *[fmt_pct(r[f"rel_{w}"]) for w in LEADER_WINDOWS],
         fmt_pct(r["from_high"]), r["high_date"]]
        for r in table.iter_rows(named=True)
    ]
    rows.append(["", bench, "benchmark (own return)", *[fmt_pct(bret[w]) for w in LEADER_WINDOWS], "", ""])
    console.print(
        make_table(
            f"Leaders in {uni.name} as of {when}: returns relative to {bench} (adj_close), ranked by {sort}; "
            "from high = as-traded close vs highest high",
            cols,
            rows,
        )
    )


# -- rrg -------------------------------------------------------------------
def rrg_cmd(
    universe: Annotated[
        str, typer.Option("--universe", help="Universe name, .toml path, or constituent set (sp500).")
    ] = "sectors",
    benchmark: Annotated[str | None, typer.Option("--benchmark", help="Default: the universe's.")] = None,
    as_of: AsOfOpt = None,
    freq: Annotated[str, typer.Option("--freq", help="daily or weekly (last session of each week).")] = "weekly",
    tail: Annotated[int, typer.Option("--tail", help="Points of tail per symbol.")] = 5,
    window: Annotated[int | None, typer.Option("--window", help="RS-Ratio z-score window (bars).")] = None,
    smooth: Annotated[int | None, typer.Option("--smooth", help="RS-Ratio smoothing (bars).")] = None,
    momentum: Annotated[int | None, typer.Option("--momentum", help="RS-Momentum lag (bars).")] = None,
    transitions: Annotated[bool, typer.Option("--transitions", help="List quadrant changes.")] = False,
    since: SinceOpt = None,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Relative Rotation Graph: RS-Ratio, RS-Momentum, quadrant, heading and tail (see docs/relative.md)."""
    params = RrgParams.for_freq(freq, window, smooth, momentum)
    day = parse_date(as_of, "--as-of")
    with read_store(store) as st:
        uni = _universe_prices(st, universe, benchmark, day)
    bench = uni.benchmark
    history = rrg(uni.adj, bench, uni.symbols, params)
    points = rrg_snapshot(history, day, tail)
    first = parse_date(since, "--since") or (min(p.tail[0][0] for p in points) if points else None)
    moves = quadrant_transitions(history, first, day) if transitions else None
    if json_out:
        out: dict[str, Any] = {"universe": uni.name, "benchmark": bench, "params": params, "points": points}
        if moves is not None:
            out["transitions"] = moves
        print_json(out)
        return
    when = points[0].date if points else day
    console.print(
        make_table(
            f"RRG of {uni.name} vs {bench} as of {when} ({params.freq}: window {params.window}, "
            f"smooth {params.smooth}, momentum {params.momentum}; adj_close)",
            ["symbol", "name", "quadrant", "RS-Ratio", "RS-Momentum", "heading", f"tail ({tail})"],
            [
                (p.symbol, uni.labels.get(p.symbol, ""), p.quadrant, fmt_num(p.rs_ratio), fmt_num(p.rs_momentum),
                 f"{p.heading:.0f}°", " ".join(f"({r:.1f},{m:.1f})" for _, r, m in p.tail))
                for p in points
            ],
        )
    )
    if moves is not None:
        console.print(
            make_table(
                f"Quadrant transitions since {first}",
                ["date", "symbol", "from", "to", "RS-Ratio", "RS-Momentum"],
                [(r["date"], r["symbol"], r["from_quadrant"], r["to_quadrant"], fmt_num(r["rs_ratio"]),
                  fmt_num(r["rs_momentum"])) for r in moves.iter_rows(named=True)],
            )
        )


# -- events ----------------------------------------------------------------
def _breadth_for(event: RotationEvent, st: Store) -> dict[str, Any] | None:
    """Breadth on the event's day: share of each side's constituents up, its fund's relative volume.

    Uses :func:`rotation.analytics.breadth.confirmation`; sides without constituent
    data (or baskets) get ``None`` fields.  Only the few weeks before the day are loaded.
    """
    if event.a.startswith("@") or event.b.startswith("@"):
        return None
    day = event.date
    have = {u.universe for u in constituent_universes(st)}
    wanted = {SIDE_SOURCES.get(s, (None, None))[0] for s in (event.a, event.b)} & have
    frames = {}
    for uni in sorted(u for u in wanted if u is not None):
        panel = load_panel(st, uni, day - timedelta(days=14), day)
        frames[uni] = breadth(panel.closes, panel.members)
    stored = set(st.symbols())
    funds = {SIDE_SOURCES.get(s, (None, None if s.startswith("^") else s))[1] for s in (event.a, event.b)}
    funds_here = sorted(f for f in funds if f is not None and f in stored)
    volumes = relative_volume(st.bars(funds_here, day - timedelta(days=120), day)) if funds_here else (
        pl.DataFrame(schema={"symbol": pl.Utf8, "date": pl.Date, "relative_volume": pl.Float64})
    )
    closes = st.closes([event.a, event.b], start=day - timedelta(days=14), end=day)
    conf = confirmation(day, event.a, event.b, closes=closes, volumes=volumes, breadth_by_universe=frames)
    return {
        "description": conf.description,
        "survivor_biased": conf.survivor_biased,
        "a": conf.a,
        "b": conf.b,
    }


def events_cmd(
    pair: Annotated[str | None, typer.Option("--pair", help="A:B, e.g. ^RUT:^NDX or @megacaps:^RUT.")] = None,
    universe: Annotated[str | None, typer.Option("--universe", help="Scan the pairs of a universe.")] = None,
    window: Annotated[str, typer.Option("--window", help=f"Return window: {', '.join(EVENT_WINDOWS)}.")] = "1d",
    since: SinceOpt = None,
    top: Annotated[int, typer.Option("--top", help="How many of the widest spreads to list.")] = 10,
    toward: Annotated[
        str | None,
        typer.Option("--toward", help="List only the days money moved toward this side of --pair (A or B)."),
    ] = None,
    on: Annotated[str | None, typer.Option("--on", help="Explain this day (YYYY-MM-DD).")] = None,
    as_of: AsOfOpt = None,
    notable: Annotated[float, typer.Option("--notable", help="Percentile that makes a day notable.")] = (
        NOTABLE_PERCENTILE
    ),
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Rotation events: return spreads of a pair ranked against history, or a scan of all standard pairs."""
    if (pair is None) == (universe is None):
        raise ConfigError("give exactly one of --pair A:B or --universe NAME (e.g. --universe pairs)")
    if universe is not None:
        if on is not None and as_of is not None and on != as_of:
            raise ConfigError("--on and --as-of name different days; with --universe give one of them")
        # With --universe, --on DATE scans the pairs on that day (the same as --as-of DATE).
        _scan(universe, window, parse_date(on or as_of, "--on" if on else "--as-of"), notable, store, json_out)
        return
    assert pair is not None
    if pair.count(":") != 1:
        raise ConfigError(f"--pair: expected A:B (e.g. ^RUT:^NDX), got {pair!r}")
    a_tok, b_tok = pair.split(":")
    with read_store(store) as st:
        closes, (a, b) = _closes(st, [a_tok, b_tok], None, parse_date(as_of, "--as-of"))
        events = pair_events(closes, [(a, b)], window, Z_WINDOW)
        if on is not None:
            event = event_on(events, parse_date(on, "--on") or date.min)
            event = with_breadth(event, _breadth_for(event, st))
    if on is not None:
        if json_out:
            print_json({"event": event, "classic": event.classic, "explain": explain(event)})
        else:
            console.print(explain(event), soft_wrap=True)
        return
    side = toward_side(a, b, toward) if toward is not None else None
    listed = top_events(events, top, parse_date(since, "--since"), side)
    info = pair_kind(a, b)
    latest = events.tail(1)
    if json_out:
        print_json({"pair": f"{a}:{b}", "kind": info.kind if info else None, "window": window,
                    "toward": side, "top": listed, "latest": top_events(latest)})
        return
    title = f"Widest {window} spreads {a}:{b}" + (f" toward {side}" if side else " (both directions)")
    title += f" ({info.kind}: {info.label})" if info else ""
    title += f" since {since}" if since else f" since {events['date'].min()!s}"
    console.print(_events_table(title, listed, a, b))
    console.print(_events_table("Latest day", top_events(latest), a, b))
    console.print("rank: among the days money moved the same way (the 'toward' column), up to that day")


def _events_table(title: str, frame: pl.DataFrame, a: str, b: str) -> Any:
    return make_table(
        title,
        ["date", a, b, "spread", "pattern", "toward", "rank", "of", "pctile", "rank all", "z"],
        [
            (r["date"], fmt_pct(r["return_a"]), fmt_pct(r["return_b"]), fmt_pct(r["spread"]), r["pattern"],
             r["toward"] or "-", r["rank"], r["count"], fmt_pct(r["percentile"], 1, signed=False), r["rank_all"], fmt_num(r["zscore"], 1))
            for r in frame.iter_rows(named=True)
        ],
    )


def _scan(universe: str, window: str, as_of: date | None, notable: float, store: Any, json_out: bool) -> None:
    uni = load_universe(universe)
    if not uni.pairs:
        raise ConfigError(f"universe {uni.name!r} has no [[pairs]]; try --universe pairs")
    with read_store(store) as st:
        stored = set(st.symbols())
        pairs = [p for p in uni.pairs if p.a in stored and p.b in stored]
        skipped = [p.name for p in uni.pairs if p not in pairs]
        if skipped:
            err_console.print(f"note: pairs without bars in the store: {', '.join(skipped)}", highlight=False)
        if not pairs:
            raise DataError(f"no pair of {uni.name!r} has bars for both sides in the store")
        symbols = list(dict.fromkeys(s for p in pairs for s in (p.a, p.b)))
        closes = st.closes(symbols, end=as_of)
    events = pair_events(closes, [(p.a, p.b) for p in pairs], window, Z_WINDOW)
    kinds = pl.DataFrame({"pair": [p.name for p in pairs], "kind": [p.kind for p in pairs],
                          "label": [p.label for p in pairs]})
    scan = scan_pairs(events, as_of, notable).join(kinds, on="pair", how="left")
    if json_out:
        print_json({"universe": uni.name, "window": window, "as_of": as_of, "notable": notable, "pairs": scan})
        return
    console.print(
        make_table(
            f"Rotation scan of {uni.name} ({window}, adj_close){f' as of {as_of}' if as_of else ''}: "
            f"notable = percentile >= {notable:.0%} of same-direction days to date",
            ["pair", "kind", "date", "A", "B", "spread", "pattern", "rank", "of", "pctile", "z", "notable"],
            [
                (r["pair"], r["kind"], r["date"], fmt_pct(r["return_a"]), fmt_pct(r["return_b"]),
                 fmt_pct(r["spread"]), r["pattern"], r["rank"], r["count"],
                 fmt_pct(r["percentile"], 1, signed=False), fmt_num(r["zscore"], 1),
                 "yes" if r["notable"] else ("stale" if r["stale"] else ""))
                for r in scan.iter_rows(named=True)
            ],
        )
    )


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("ratio")(ratio_cmd)
    app.command("leaders")(leaders_cmd)
    app.command("rrg")(rrg_cmd)
    app.command("events")(events_cmd)
