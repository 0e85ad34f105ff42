"""``rotation ratio | leaders | rrg | events``: relative strength, rotation graphs and rotation events.

Operands of ``ratio`` and ``events --pair`` are symbols (aliases work: ``RUT``)
or equal-weight baskets of a universe: ``@megacaps`` always means the basket; a
bare universe name (``megacaps``) means the basket too when no symbol of that
name is in the store.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import polars as pl
import typer
from rich.markup import escape

from rotation.analytics.events import EVENT_WINDOWS, NOTABLE_PERCENTILE, explain, top_events, toward_side
from rotation.analytics.relative import LEADER_WINDOWS
from rotation.analytics.rrg import RrgParams
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
from rotation.errors import ConfigError
from rotation.query.pair import pair_history, pair_ratio
from rotation.query.positioning import contracts_for, day_positioning
from rotation.query.prices import split_pair
from rotation.query.rotation import scan_universe, universe_leaders, universe_rrg

SinceOpt = Annotated[str | None, typer.Option("--from", "--since", help="First date to list (YYYY-MM-DD).")]


def _notes(notes: tuple[str, ...]) -> None:
    for note in notes:
        err_console.print(f"note: {note}", highlight=False)


# -- ratio -----------------------------------------------------------------
def ratio_cmd(
    a: Annotated[str, typer.Argument(help="Symbol or @universe (equal-weight basket), e.g. @megacaps.")],
    b: Annotated[str, typer.Argument(help="Symbol or @universe, e.g. ^RUT.")],
    start: StartOpt = None,
    end: EndOpt = None,
    fast: Annotated[int, typer.Option("--fast", min=1, help="Fast moving average of the ratio (sessions).")] = 50,
    slow: Annotated[int, typer.Option("--slow", min=1, help="Slow moving average of the ratio (sessions).")] = 200,
    slope_window: Annotated[int, typer.Option("--slope-window", min=1, help="Sessions for the ratio's slope.")] = 20,
    rows: Annotated[int, typer.Option("--rows", min=1, help="Last rows of the line to print.")] = 10,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Ratio line A/B on adj_close (rebased to 100), its moving averages, slope and return spread."""
    with read_store(store) as st:
        result = pair_ratio(st, a, b, parse_date(start, "--from"), parse_date(end, "--to"), fast, slow, slope_window)
    _notes(result.notes)
    na, nb, line, summary = result.a, result.b, result.line, result.summary
    if json_out:
        print_json({"summary": summary, "trend": summary.trend, "line": line.rename({"a": na, "b": nb})})
        return
    s = summary
    console.print(
        f"[bold]{escape(na)} / {escape(nb)}[/]"
        + escape(f" (adj_close) {s.start} .. {s.end}, {s.sessions:,} sessions: "
                 f"{na} {fmt_pct(s.return_a)}, {nb} {fmt_pct(s.return_b)}, spread {fmt_pct(s.spread)}; "
                 f"ratio {fmt_num(s.ratio)} (rebased to 100), {s.slope_window}-session slope {fmt_pct(s.slope)}, "
                 f"MA{s.fast} {fmt_num(s.ma_fast)}, MA{s.slow} {fmt_num(s.ma_slow)}: {s.trend}"),
        markup=True,
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
        uni = universe_leaders(st, universe, day, benchmark, sort)
    _notes(uni.notes)
    bench, table, bret, when = uni.benchmark, uni.table, uni.benchmark_returns, uni.as_of
    if json_out:
        print_json({"universe": uni.universe, "benchmark": bench, "as_of": when, "sort_by": sort,
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
            f"Leaders in {uni.universe} as of {when}: returns relative to {bench} (adj_close), ranked by {sort}; "
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
    tail: Annotated[int, typer.Option("--tail", min=1, help="Points of tail per symbol.")] = 5,
    window: Annotated[int | None, typer.Option("--window", min=3, help="RS-Ratio z-score window (bars).")] = None,
    smooth: Annotated[int | None, typer.Option("--smooth", min=1, help="RS-Ratio smoothing (bars).")] = None,
    momentum: Annotated[int | None, typer.Option("--momentum", min=1, help="RS-Momentum lag (bars).")] = None,
    transitions: Annotated[bool, typer.Option("--transitions", help="List quadrant changes.")] = False,
    since: SinceOpt = None,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Relative Rotation Graph: RS-Ratio, RS-Momentum, quadrant, heading and tail (see docs/relative.md)."""
    params = RrgParams.for_freq(freq, window, smooth, momentum)
    day = parse_date(as_of, "--as-of")
    with read_store(store) as st:
        uni = universe_rrg(st, universe, benchmark, day, params, tail)
    _notes(uni.notes)
    uni.require_points(day)
    bench, points = uni.benchmark, uni.points
    first = parse_date(since, "--from") or (min(p.tail[0][0] for p in points) if points else None)
    moves = uni.transitions(first, day) if transitions else None
    if json_out:
        out: dict[str, Any] = {"universe": uni.universe, "benchmark": bench, "params": params, "points": points}
        if moves is not None:
            out["transitions"] = moves
        print_json(out)
        return
    when = points[0].date if points else day
    console.print(
        make_table(
            f"RRG of {uni.universe} vs {bench} as of {when} ({params.freq}: window {params.window}, "
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
def events_cmd(
    pair: Annotated[str | None, typer.Option("--pair", help="A:B, e.g. ^RUT:^NDX or @megacaps:^RUT.")] = None,
    universe: Annotated[str | None, typer.Option("--universe", help="Scan the pairs of a universe.")] = None,
    window: Annotated[str, typer.Option("--window", help=f"Return window: {', '.join(EVENT_WINDOWS)}.")] = "1d",
    since: SinceOpt = None,
    top: Annotated[int, typer.Option("--top", min=1, help="How many of the widest spreads to list.")] = 10,
    toward: Annotated[
        str | None,
        typer.Option("--toward", help="List only the days money moved toward this side of --pair (A or B)."),
    ] = None,
    on: Annotated[str | None, typer.Option("--on", help="Explain this day (YYYY-MM-DD).")] = None,
    as_of: AsOfOpt = None,
    notable: Annotated[float, typer.Option("--notable", min=0.0, max=1.0, help="Percentile that makes a day notable.")] = (
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
    a_tok, b_tok = split_pair(pair, "--pair")
    with read_store(store) as st:
        history = pair_history(st, a_tok, b_tok, window, parse_date(as_of, "--as-of"))
        if on is not None:
            event = history.on(st, parse_date(on, "--on") or date.min)
            block = day_positioning(st, event.date, contracts_for([history.a, history.b]) or None,
                                    parse_date(as_of, "--as-of"))
    _notes(history.notes)
    a, b, events = history.a, history.b, history.events
    if on is not None:
        if json_out:
            print_json({"event": event, "classic": event.classic, "explain": explain(event), "positioning": block,
                        "positioning_text": block.sentence() if block else None})
        else:
            console.print(explain(event), soft_wrap=True)
            if block is not None:
                console.print(block.sentence(), soft_wrap=True)
        return
    side = toward_side(a, b, toward) if toward is not None else None
    listed = history.top(top, parse_date(since, "--from"), side)
    latest = events.tail(1)
    if json_out:
        print_json({"pair": f"{a}:{b}", "kind": history.kind, "window": window, "toward": side,
                    "top": listed, "latest": top_events(latest)})
        return
    title = f"Widest {window} spreads {a}:{b}" + (f" toward {side}" if side else " (both directions)")
    title += f" ({history.kind}: {history.label})" if history.kind else ""
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
    with read_store(store) as st:
        result = scan_universe(st, universe, window, as_of, notable)
    _notes(result.notes)
    uni, scan = result, result.pairs
    if json_out:
        print_json({"universe": uni.universe, "window": window, "as_of": as_of, "notable": notable, "pairs": scan})
        return
    console.print(
        make_table(
            f"Rotation scan of {uni.universe} ({window}, adj_close){f' as of {as_of}' if as_of else ''}: "
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
