"""``rotation breadth``: participation, cap vs equal weight, volume and concentration.

* ``rotation breadth --universe sp500 [--as-of D] [--from D --to D]``: breadth of a universe.
* ``rotation breadth weights``: equal weight vs cap weight (RSP/SPY, constituents vs the index).
* ``rotation breadth volume``: volume vs its 50-day average, megacap dollar volume vs the funds.
* ``rotation breadth concentration``: share of an index's move made by its largest holdings.
* ``rotation breadth confirm --pair ^RUT:^NDX --on D``: how broad a pair's move was on each side.
* ``rotation breadth universes``: which constituent sets the store holds.

Constituent sets are survivor-biased; every output that uses them says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any

import polars as pl
import typer

from rotation.analytics.breadth import (
    VOLUME_WINDOW,
    breadth_on,
    dollar_volume_share,
    index_move_explained,
    relative_volume,
)
from rotation.cli.common import (
    AsOfOpt,
    EndOpt,
    JsonOpt,
    StartOpt,
    StoreOpt,
    console,
    fmt_num,
    fmt_pct,
    make_table,
    parse_date,
    print_json,
    read_store,
)
from rotation.data.constituents import SURVIVOR_NOTE, load_holdings, load_panel, universes
from rotation.data.symbols import normalize_symbol
from rotation.data.universes import load_universe
from rotation.errors import ConfigError, DataError
from rotation.query.breadth import (
    cap_vs_equal_weight,
    confirm_pair,
    session_on_or_before,
    universe_breadth,
)
from rotation.query.prices import split_pair

UniverseOpt = Annotated[str, typer.Option("--universe", help="Constituent set: sp500 or russell2000 (or one you imported).")]

breadth_app = typer.Typer(
    name="breadth",
    help="Breadth and participation of a universe, cap vs equal weight, volume and concentration.",
    invoke_without_command=True,
    no_args_is_help=False,
)


def _bias_line(notes: Sequence[str]) -> str:
    return "Note: " + "; ".join(notes)


_as_of = session_on_or_before


# -- rotation breadth ------------------------------------------------------------

_SNAPSHOT = (
    ("members", "members with a price", "int"),
    ("counted", "members with a return", "int"),
    ("advancers", "advancers", "int"),
    ("decliners", "decliners", "int"),
    ("unchanged", "unchanged", "int"),
    ("share_up", "share of members up", "pct"),
    ("ad_line", "advance-decline line", "int"),
    ("above_ma20", "above 20-day average", "pct"),
    ("above_ma50", "above 50-day average", "pct"),
    ("above_ma200", "above 200-day average", "pct"),
    ("new_highs", "new 52-week highs", "int"),
    ("new_lows", "new 52-week lows", "int"),
    ("mcclellan", "McClellan oscillator (ratio-adjusted)", "num"),
    ("mcclellan_classic", "McClellan oscillator (classic)", "num"),
)


def _fmt(value: Any, kind: str) -> str:
    if value is None:
        return "-"
    if kind == "pct":
        return fmt_pct(value, 1, signed=False)
    if kind == "int":
        return f"{int(value):,}"
    return fmt_num(value, 1)


@breadth_app.callback()
def breadth_cmd(
    ctx: typer.Context,
    universe: UniverseOpt = "sp500",
    as_of: AsOfOpt = None,
    start: StartOpt = None,
    end: EndOpt = None,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Breadth of a universe: advancers/decliners, A/D line, share above MAs, highs/lows, McClellan.

    Without --from/--to: one date (--as-of, default the latest). With them: the daily series
    too, and --as-of defaults to the last date of the range.
    """
    if ctx.invoked_subcommand is not None:
        return
    day = parse_date(as_of, "--as-of")
    first, last = parse_date(start, "--from"), parse_date(end, "--to")
    with read_store(store) as st:
        panel = universe_breadth(st, universe)
    frame = panel.frame
    series = None
    if first is not None or last is not None:
        series = frame.filter(
            (pl.col("date") >= (first or date.min)) & (pl.col("date") <= (last or date.max))
        )
        if day is None and not series.is_empty():
            day = series["date"][-1]  # the table's date defaults to the end of the range
    row = breadth_on(frame, _as_of(frame, day))
    if json_out:
        print_json(
            {
                "universe": universe,
                "membership": panel.membership,
                "survivor_biased": True,
                "notes": panel.notes,
                "as_of": row,
                "series": series,
            }
        )
        return
    title = f"Breadth of {universe} on {row['date']} ({panel.membership} membership, adjusted closes)"
    console.print(make_table(title, ["measure", "value"], [(label, _fmt(row[k], kind)) for k, label, kind in _SNAPSHOT]))
    if series is not None:
        cols = ["date", "counted", "advancers", "decliners", "share_up", "above_ma50", "above_ma200",
                "new_highs", "new_lows", "mcclellan"]
        kinds = ["", "int", "int", "int", "pct", "pct", "pct", "int", "int", "num"]
        rows = [[r[c] if k == "" else _fmt(r[c], k) for c, k in zip(cols, kinds, strict=True)]
                for r in series.iter_rows(named=True)]
        console.print(make_table(f"Daily breadth of {universe}", cols, rows))
    console.print(_bias_line(panel.notes), soft_wrap=True)


# -- rotation breadth weights -------------------------------------------------------

@breadth_app.command("weights")
def weights_cmd(
    universe: UniverseOpt = "sp500",
    as_of: AsOfOpt = None,
    cap: Annotated[str | None, typer.Option("--cap", help="Cap-weighted fund (default: SPY / IWM).")] = None,
    equal: Annotated[str | None, typer.Option("--equal", help="Equal-weighted fund (default: RSP for sp500).")] = None,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Equal weight vs cap weight: RSP/SPY spreads and the constituents' equal-weighted return vs the index."""
    with read_store(store) as st:
        weights = cap_vs_equal_weight(st, universe, parse_date(as_of, "--as-of"), cap, equal)
    panel, day, result = weights, weights.as_of, weights.result
    cap_fund, equal_fund = weights.cap_fund, weights.equal_fund
    if json_out:
        print_json({"universe": universe, "survivor_biased": True, "notes": panel.notes, "result": result})
        return
    table = result.table
    series = [c for c in table.columns if c not in ("window", "sessions", "start", "end")]
    rows = [[r["window"], r["start"], r["end"], *[fmt_pct(r[c]) for c in series]] for r in table.iter_rows(named=True)]
    title = f"Equal vs cap weight, {universe}, to {day} (adjusted closes; constituents_ew = daily-rebalanced mean)"
    console.print(make_table(title, ["window", "from", "to", *series], rows))
    if result.ratio is not None:
        console.print(f"{equal_fund}/{cap_fund} ratio on {day}: {result.ratio:.4f} (adjusted closes: compare changes only)")
    console.print(
        "Note: constituents_ew uses adjusted closes (dividends in); ^GSPC/^RUT are price indices (no dividends); "
        + "; ".join(panel.notes),
        soft_wrap=True,
    )


# -- rotation breadth volume -----------------------------------------------------------

@breadth_app.command("volume")
def volume_cmd(
    symbols: Annotated[str, typer.Option("--symbols", help="Comma-separated funds to check.")] = "IWM,SPY,QQQ",
    basket: Annotated[str, typer.Option("--basket", help="Universe preset whose dollar volume is compared.")] = "megacaps",
    as_of: AsOfOpt = None,
    days: Annotated[int, typer.Option("--days", min=1, help="How many sessions to list, ending --as-of.")] = 1,
    window: Annotated[int, typer.Option("--window", min=1, help="Sessions in the volume average.")] = VOLUME_WINDOW,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Volume vs its average of the previous sessions, and a basket's dollar volume vs the funds."""
    refs = [normalize_symbol(s) for s in symbols.split(",") if s.strip()]
    if not refs:
        raise ConfigError("--symbols: expected at least one symbol")
    members = list(load_universe(basket).symbols)
    with read_store(store) as st:
        bars = st.bars(list(dict.fromkeys([*refs, *members])))
    rel = relative_volume(bars, window).filter(pl.col("symbol").is_in(refs))
    if rel.is_empty():
        raise DataError(f"no bars of {', '.join(refs)} in the store")
    last: date = rel["date"].max()  # type: ignore[assignment]
    day = parse_date(as_of, "--as-of") or last
    listed_days = rel.filter(pl.col("date") <= day)["date"].unique().sort().tail(days)
    if listed_days.is_empty() or listed_days[-1] != day:
        raise DataError(f"--as-of {day}: no bars of {', '.join(refs)} that day")
    listed = rel.filter(pl.col("date").is_in(listed_days.implode())).sort("date", "symbol")
    dv = dollar_volume_share(bars, members, refs).filter(pl.col("date").is_in(listed_days.implode()))
    if json_out:
        print_json({"as_of": day, "window": window, "basket": basket, "basket_symbols": members,
                    "relative_volume": listed, "dollar_volume": dv})
        return
    rows = [[r["date"], r["symbol"], fmt_num(r["volume"], 0), fmt_num(r["avg_volume"], 0),
             "-" if r["relative_volume"] is None else f"{r['relative_volume']:.2f}x",
             fmt_num(None if r["dollar_volume"] is None else r["dollar_volume"] / 1e9, 2)]
            for r in listed.iter_rows(named=True)]
    console.print(make_table(f"Volume vs its previous {window}-session average (shares)",
                             ["date", "symbol", "volume", f"avg {window}d", "ratio", "$ volume (bn)"], rows))
    cols = [f"basket_vs_{r}" for r in refs]
    rows = [[r["date"], fmt_num(None if r["basket"] is None else r["basket"] / 1e9, 1),
             *[fmt_num(r[c], 2) for c in cols], *[fmt_num(r[c + "_avg20"], 2) for c in cols]]
            for r in dv.iter_rows(named=True)]
    console.print(make_table(
        f"Dollar volume (close x volume) of {basket} ({', '.join(members)}) vs the funds",
        ["date", "basket $bn", *[f"x {r}" for r in refs], *[f"x {r} 20d avg" for r in refs]], rows))


# -- rotation breadth concentration ----------------------------------------------------------

@breadth_app.command("concentration")
def concentration_cmd(
    universe: UniverseOpt = "russell2000",
    as_of: AsOfOpt = None,
    top: Annotated[int, typer.Option("--top", min=1, help="How many of the largest holdings.")] = 10,
    fund: Annotated[str | None, typer.Option("--fund", help="Whose holdings (default: the universe's only fund).")] = None,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Share of an index's daily move made by its largest holdings (weights from a holdings file)."""
    with read_store(store) as st:
        holdings = load_holdings(st, universe, fund)
        panel = load_panel(st, universe)
    day = _as_of(panel.closes, parse_date(as_of, "--as-of"))
    snap = holdings["as_of"][0]
    result = index_move_explained(holdings, panel.closes, day, holdings_date=snap, top=top)
    notes = (*panel.notes, f"weights of {holdings['fund'][0]} on {snap}, drifted with prices to {day}")
    if json_out:
        print_json({"universe": universe, "survivor_biased": True, "notes": notes, "result": result})
        return
    console.print(
        f"{universe} on {day}: weighted return {fmt_pct(result.index_return)} over "
        f"{fmt_pct(result.covered_weight, 1, signed=False)} of the weight; top {top} holdings "
        f"({fmt_pct(result.top_weight, 1, signed=False)} of the weight) made {fmt_pct(result.top_contribution, 3)}"
        f" = {'-' if result.top_share is None else fmt_pct(result.top_share, 1, signed=False)} of it; "
        f"{fmt_pct(result.share_up_weighted, 1, signed=False)} of the weight rose",
        soft_wrap=True,
    )
    rows = [[r["symbol"], fmt_pct(r["weight"], 2, signed=False), fmt_pct(r["return"]), fmt_pct(r["contribution"], 3)]
            for r in result.table.iter_rows(named=True)]
    console.print(make_table(f"Top {top} holdings by weight", ["symbol", "weight", "return", "contribution"], rows))
    console.print(_bias_line(notes), soft_wrap=True)


# -- rotation breadth confirm -------------------------------------------------------------

@breadth_app.command("confirm")
def confirm_cmd(
    pair: Annotated[str, typer.Option("--pair", help="A:B, e.g. ^RUT:^NDX.")],
    on: Annotated[str, typer.Option("--on", help="The day (YYYY-MM-DD).")],
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """How broad a pair's move was on one day: share of members up, fund volume vs its average."""
    a, b = split_pair(pair, "--pair")
    day = parse_date(on, "--on")
    assert day is not None
    with read_store(store) as st:
        result = confirm_pair(st, day, a, b)
    if json_out:
        print_json({"confirmation": result, "description": result.description})
        return
    console.print(result.description, soft_wrap=True)
    if result.survivor_biased:
        console.print(f"Note: members = today's constituents in the store: {SURVIVOR_NOTE}", soft_wrap=True)


# -- rotation breadth universes ------------------------------------------------------------

@breadth_app.command("universes")
def universes_cmd(store: StoreOpt = None, json_out: JsonOpt = False) -> None:
    """Constituent sets in the store: tickers, dates, membership rule, holdings snapshots."""
    with read_store(store) as st:
        info = universes(st)
    if json_out:
        print_json([{**vars(u), "membership": u.membership, "survivor_biased": True} for u in info])
        return
    rows = [[u.universe, u.symbols, u.first_date, u.last_date, f"{u.prices:,}", u.membership, u.members,
             ", ".join(f"{f} {d}" for f, d in u.holdings) or "-"] for u in info]
    console.print(make_table("Constituent sets", ["universe", "tickers", "first", "last", "prices", "membership",
                                                  "listed members", "holdings"], rows))
    console.print(f"Note: {SURVIVOR_NOTE}", soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(breadth_app, name="breadth")
