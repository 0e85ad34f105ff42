"""``rotation measure | compare | drawdown | pivots | claims``: moves between anchors, and claim checks.

Each command loads bars with :meth:`Store.bars` and calls one function of
:mod:`rotation.analytics` (anchors, measure, pivots, claims); the anchor syntax
is documented in :mod:`rotation.analytics.anchors` and docs/measure.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer

from rotation.analytics.anchors import ResolvedAnchor, Roll
from rotation.analytics.claims import ClaimResult, ClaimsFile, claim_symbols, evaluate_claims, parse_claims
from rotation.analytics.claims_positioning import DIRECTIONS, DataClaim
from rotation.analytics.measure import TOTAL_RETURN_BASIS, Comparison, Measurement, compare, drawdown, measure
from rotation.analytics.pivots import parse_threshold, pivot_frame, zigzag
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
from rotation.data.positioning import positioning_frame, sentiment_frame
from rotation.data.symbols import normalize_symbol
from rotation.data.textio import read_text
from rotation.errors import ConfigError

FromOpt = Annotated[
    str,
    typer.Option(
        "--from",
        "--start",
        help="Start anchor: DATE[:FIELD] (field default close), ath, low-since:DATE, high-since:DATE, "
        "-20d, -3m, -1y, ytd, pivot-low:10%. Relative forms look back from the --to date.",
    ),
]
ToOpt = Annotated[
    str,
    typer.Option("--to", "--end", help="End anchor (same forms; relative ones look back from --as-of or the last bar)."),
]
RollOpt = Annotated[
    str | None,
    typer.Option("--roll", help="Move a non-trading date to the prev or next session instead of failing."),
]
TotalReturnOpt = Annotated[
    bool,
    typer.Option("--total-return", help="Use adj_close (splits + dividends) on both anchors' dates."),
]

BASIS_TEXT = {
    "price": "price: the anchors' own fields (as-traded open/high/low/close)",
    TOTAL_RETURN_BASIS: "total return: adj_close (splits + dividends) on both anchors' dates",
}


def _roll(value: str | None) -> Roll | None:
    if value is None:
        return None
    v = value.strip().lower()
    if v == "prev":
        return "prev"
    if v == "next":
        return "next"
    raise ConfigError(f"--roll: expected prev or next, got {value!r}")


def _days(n: int, kind: str) -> str:
    return f"{n} {kind} day{'' if n == 1 else 's'}"


def _anchor_cell(a: ResolvedAnchor) -> str:
    return f"{a.date.isoformat()} {a.field} {fmt_num(a.price)}"


def _anchor_rows(m: Measurement) -> list[list[str]]:
    return [
        [label, a.text, a.date.isoformat(), a.field, fmt_num(a.price), a.note]
        for label, a in (("from", m.start), ("to", m.end))
    ]


def _print_measurement(m: Measurement) -> None:
    console.print(make_table(f"{m.symbol}: {fmt_pct(m.pct_change)}", ["", "anchor", "date", "field", "price", "how"],
                             _anchor_rows(m)))
    console.print(
        f"change {fmt_pct(m.pct_change)}   points {fmt_num(m.points)}   "
        f"{_days(m.trading_days, 'trading')}   {_days(m.calendar_days, 'calendar')}"
    )
    console.print(f"basis: {BASIS_TEXT.get(m.basis, m.basis)}")


def measure_cmd(
    symbol: Annotated[str, typer.Argument(help="Symbol (aliases such as RUT work).")],
    from_: FromOpt,
    to: ToOpt = "last",
    roll: RollOpt = None,
    total_return: TotalReturnOpt = False,
    as_of: AsOfOpt = None,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Percent change, points, trading and calendar days of one symbol between two anchors."""
    with read_store(store) as st:
        bars = st.bars(symbol)
    result = measure(bars, from_, to, roll=_roll(roll), as_of=parse_date(as_of, "--as-of"),
                     total_return=total_return)
    if json_out:
        print_json(result)
        return
    _print_measurement(result)


def _print_comparison(c: Comparison) -> None:
    rows = [
        [m.symbol, _anchor_cell(m.start), _anchor_cell(m.end), fmt_pct(m.pct_change), fmt_num(m.points),
         m.trading_days, m.calendar_days]
        for m in c.measurements
    ]
    console.print(make_table("Side by side", ["symbol", "from", "to", "change", "points", "trading days",
                                              "calendar days"], rows))
    spreads = [[f"{s.a} - {s.b}", f"{s.spread * 100:+.2f} pts", fmt_pct(s.relative)] for s in c.spreads]
    console.print(make_table("Spreads", ["pair", "spread (a - b)", "relative (1+a)/(1+b)-1"], spreads))
    console.print(f"basis: {BASIS_TEXT.get(c.basis, c.basis)}")
    if not c.same_window:
        console.print("note: the anchors resolved to different dates for different symbols (see from/to)")


def compare_cmd(
    symbols: Annotated[list[str], typer.Argument(help="Two or more symbols (aliases work).")],
    from_: FromOpt,
    to: ToOpt = "last",
    total_return: TotalReturnOpt = False,
    roll: RollOpt = None,
    as_of: AsOfOpt = None,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """The same window for several symbols side by side, plus the spread of each pair."""
    names = [normalize_symbol(s) for s in symbols]  # duplicates kept: compare refuses NVDA NVDA
    with read_store(store) as st:
        bars = st.bars(list(dict.fromkeys(names)))
    result = compare(bars, from_, to, symbols=names, total_return=total_return, roll=_roll(roll),
                     as_of=parse_date(as_of, "--as-of"))
    if json_out:
        print_json(result)
        return
    _print_comparison(result)


def drawdown_cmd(
    symbol: Annotated[str, typer.Argument(help="Symbol (aliases such as RUT work).")],
    as_of: AsOfOpt = None,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """All-time high (date, high), current close, percent below it, the low since, days elapsed."""
    day = parse_date(as_of, "--as-of")
    with read_store(store) as st:
        bars = st.bars(symbol)
    d = drawdown(bars, day)  # reads only bars on or before the as-of date
    if json_out:
        print_json(d)
        return
    low = "-" if d.low_since is None or d.low_since_date is None else (
        f"{fmt_num(d.low_since)} on {d.low_since_date.isoformat()} ({fmt_pct(d.max_drawdown)} from the high)"
    )
    rows = [
        ["as of", d.as_of.isoformat()],
        ["all-time high (high)", f"{fmt_num(d.ath)} on {d.ath_date.isoformat()}"],
        ["close", fmt_num(d.close)],
        ["below the high", fmt_pct(d.pct_below)],
        ["low since the high (low)", low],
        ["elapsed", f"{_days(d.trading_days, 'trading')}, {_days(d.calendar_days, 'calendar')}"],
    ]
    console.print(make_table(f"{d.symbol} drawdown", ["", "value"], rows))


def pivots_cmd(
    symbol: Annotated[str, typer.Argument(help="Symbol (aliases such as RUT work).")],
    threshold: Annotated[str, typer.Option("--threshold", help="Reversal size, e.g. 10% (on high/low).")] = "10%",
    start: StartOpt = None,
    end: EndOpt = None,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Zig-zag swing highs and lows: a reversal of at least --threshold from the last extreme."""
    t = parse_threshold(threshold)
    with read_store(store) as st:
        bars = st.bars(symbol, parse_date(start, "--from"), parse_date(end, "--to"))
    pivots = zigzag(bars, t)
    if json_out:
        print_json({"symbol": normalize_symbol(symbol), "threshold": t, "pivots": pivots})
        return
    frame = pivot_frame(pivots)
    rows = [
        [r["date"].isoformat(), r["kind"], fmt_num(r["price"]), fmt_pct(r["change"]),
         r["confirmed"].isoformat() if r["confirmed"] else "tentative"]
        for r in frame.iter_rows(named=True)
    ]
    console.print(make_table(f"{normalize_symbol(symbol)} pivots ({t:.1%} zig-zag on high/low)",
                             ["date", "kind", "price", "change", "confirmed"], rows))


def _claim_row(r: ClaimResult) -> list[str]:
    anchors = "; ".join(
        f"{a.date.isoformat()} {a.field} {fmt_num(a.price)}" for a in r.anchors
    ) or r.detail
    result = "OK" if r.ok else "MISMATCH"
    if r.unit == "contracts":
        return [r.key, r.sentence, r.figure, r.stated_text, f"{r.computed:+,.0f}",
                "-" if r.stated_text in DIRECTIONS else f"{r.difference:+,.0f}",
                "-" if r.stated_text in DIRECTIONS else f"{r.tolerance:,.0f}", result, anchors]
    if r.unit == "value":
        return [r.key, r.sentence, r.figure, r.stated_text, fmt_num(r.computed),
                "-" if r.stated_text in DIRECTIONS else fmt_num(r.difference),
                "-" if r.stated_text in DIRECTIONS else fmt_num(r.tolerance), result, anchors]
    stated = r.stated_text if r.stated_text in DIRECTIONS else fmt_pct(r.stated)
    return [r.key, r.sentence, r.figure, stated, fmt_pct(r.computed),
            f"{r.difference * 100:+.2f}", f"{r.tolerance * 100:.2f}", result, anchors]


def _claims_positioning(st: Any, claims: ClaimsFile) -> pl.DataFrame:
    """The positioning rows the file's positioning claims name (each report they use)."""
    wanted = [c for c in claims.claims if isinstance(c, DataClaim) and c.kind == "positioning"]
    frames = [
        positioning_frame(st, sorted({c.subject for c in wanted if c.report == rep}), report=rep)
        for rep in sorted({c.report for c in wanted})
    ]
    return pl.concat(frames, how="diagonal_relaxed")


def claims_cmd(
    file: Annotated[Path, typer.Argument(help="Claims file (TOML; see docs/measure.md).")],
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Recompute every claim in a TOML file; exit 1 when any is outside its tolerance."""
    claims = parse_claims(read_text(file, ConfigError, "claims file"), file)
    kinds = claims.kinds()
    with read_store(store) as st:
        bars = {s: st.bars(s) for s in claim_symbols(claims)}
        pos = _claims_positioning(st, claims) if "positioning" in kinds else None
        sent = sentiment_frame(st) if "sentiment" in kinds else None
    results = evaluate_claims(claims, bars, pos, sent)
    bad = [r for r in results if not r.ok]
    if json_out:
        print_json({"file": str(file), "title": claims.title, "checked": len(results), "mismatches": len(bad),
                    "results": results})
    else:
        console.print(make_table(
            claims.title or str(file),
            ["id", "claim", "figure", "stated", "computed", "diff (pts)", "tol (pts)", "result", "anchors (from; to)"],
            [_claim_row(r) for r in results],
        ))
        console.print(f"{len(results)} figure(s) checked, {len(bad)} mismatch(es)")
    if bad:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("measure")(measure_cmd)
    app.command("compare")(compare_cmd)
    app.command("drawdown")(drawdown_cmd)
    app.command("pivots")(pivots_cmd)
    app.command("claims")(claims_cmd)
