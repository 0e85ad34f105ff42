"""``rotation valuation``: have prices run ahead of earnings?  Multiples vs history, and the index view."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from rotation.analytics.index_valuation import IndexValuation, index_valuation
from rotation.analytics.valuation import CONCEPTS_USED, ValuationReport, valuation_report
from rotation.cli.common import (
    AsOfOpt,
    JsonOpt,
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
from rotation.data.fundamentals import index_inputs, valuation_inputs
from rotation.data.splits import stored_splits
from rotation.data.universes import load_universe
from rotation.errors import ConfigError


def _big(x: float | None) -> str:
    """Dollars in billions (``$60.92B``)."""
    return "-" if x is None else f"${x / 1e9:,.2f}B"


def _pctile(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:.0f}%"


def _render(report: ValuationReport) -> None:
    rows = []
    for s in report.symbols:
        rows.append([
            s.symbol, s.date, fmt_num(s.close), fmt_num(s.eps_ttm, 3), s.eps_period_end,
            fmt_num(s.pe, 1), _pctile(s.pe_percentile), fmt_num(s.ps, 1), _pctile(s.ps_percentile),
            fmt_pct(s.earnings_yield, signed=False), _big(s.revenue_ttm), fmt_pct(s.revenue_growth),
            fmt_pct(s.eps_growth), s.source_filed,
        ])
    console.print(make_table(
        "Valuation (close / TTM diluted EPS on the latest share basis; percentile vs own history)",
        ["symbol", "date", "close", "TTM EPS", "EPS to", "P/E", "pctile", "P/S", "pctile", "E/P",
         "TTM revenue", "rev growth", "EPS growth", "last filing"],
        rows,
    ))
    dec = [
        [s.symbol, d.start, d.end, fmt_pct(d.price_change), fmt_pct(d.eps_change), fmt_pct(d.pe_change),
         fmt_num(d.pe_start, 1), fmt_num(d.pe_end, 1)]
        for s in report.symbols if (d := s.decomposition) is not None
    ]
    console.print(make_table(
        "Price change = EPS change x P/E change", ["symbol", "from", "to", "price", "EPS", "P/E", "P/E from", "P/E to"],
        dec,
    ))
    for s in report.symbols:
        if s.eps_stale and s.eps_period_end is not None:
            err_console.print(
                f"{s.symbol}: TTM EPS ends {s.eps_period_end}, {(s.date - s.eps_period_end).days} days before "
                f"{s.date} (no quarterly filings in the store?): its multiples rest on old earnings"
            )
    if report.basket:
        b = report.basket
        members = f" ({', '.join(b.member_symbols)})" if b.member_symbols else ""
        console.print(
            f"basket {b.name} on {b.date}: {b.members} members{members}, market value {_big(b.market_value)}, "
            f"TTM earnings {_big(b.net_income_ttm)}, P/E {fmt_num(b.pe, 1)} (percentile {_pctile(b.pe_percentile)} "
            f"since {b.history_start}), P/S {fmt_num(b.ps, 1)} (percentile {_pctile(b.ps_percentile)})"
        )
    for r in report.splits.iter_rows(named=True):
        if r["source"] == "record":
            console.print(f"split {r['ticker']} {r['ratio']:g}:1 on {r['first_new_filed']} (on record; filings "
                          "made before it rebased)")
            continue
        console.print(
            f"split {r['ticker']} {r['ratio']:g}:1 between filings of {r['last_old_filed']} and "
            f"{r['first_new_filed']} (per-share values rebased)"
        )
    for w in report.warnings:
        err_console.print(f"warning: {w}", highlight=False, soft_wrap=True, markup=False)
    for sym in report.missing:
        err_console.print(f"{sym}: no fundamentals in the store (import companyfacts or `data update --fundamentals`)")


def _render_index(iv: IndexValuation) -> None:
    console.print(make_table(
        f"U.S. market valuation as of {iv.as_of}",
        ["measure", "month", "value", "percentile", "note"],
        [
            ["Shiller CAPE", iv.month, fmt_num(iv.cape), _pctile(iv.cape_percentile),
             f"median since 1881: {fmt_num(iv.cape_median)}"],
            ["Shiller P/E (TTM)", iv.month, fmt_num(iv.shiller_pe), "-",
             f"price {fmt_num(iv.sp_price)} / earnings {fmt_num(iv.earnings)}"],
            ["S&P 500 P/E (multpl)", iv.multpl_month, fmt_num(iv.multpl_pe), _pctile(iv.multpl_pe_percentile), ""],
        ],
    ))
    rows = [
        [s.year, s.basis, fmt_num(s.sp500_pe), fmt_num(s.sp400_pe), fmt_num(s.sp600_pe), fmt_num(s.small_vs_large),
         _pctile(s.small_vs_large_percentile), "estimate" if s.estimate else ""]
        for s in iv.size[-12:]
    ]
    console.print(make_table(
        "Year-end P/E, large vs small caps (S&P DJI)",
        ["year", "EPS basis", "S&P 500", "S&P 400", "S&P 600", "600/500", "pctile", "note"], rows,
    ))
    if iv.snapshot:
        s = iv.snapshot
        console.print(
            f"S&P snapshot {s.as_of}: operating P/E on {s.estimate_year} estimates: S&P 500 {fmt_num(s.sp500_pe)}, "
            f"S&P 600 {fmt_num(s.sp600_pe)} (600/500 {fmt_num(s.small_vs_large)})"
        )


def valuation_cmd(
    symbols: Annotated[list[str] | None, typer.Argument(help="Symbols with fundamentals (e.g. NVDA AAPL).")] = None,
    as_of: AsOfOpt = None,
    since: Annotated[
        str | None, typer.Option("--from", "--since", help="Start of the decomposition window (default: a year before).")
    ] = None,
    basket: Annotated[
        str | None, typer.Option("--basket", help="A universe (e.g. megacaps): its members and the aggregate.")
    ] = None,
    index: Annotated[bool, typer.Option("--index", help="Market view: CAPE, S&P 500 P/E, S&P 500 vs 600.")] = False,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Valuation against fundamentals: P/E, P/S, earnings yield vs own history; price = EPS x P/E.

    Point in time: each day uses only filings made by that day.  ``--index`` shows
    Shiller's CAPE and large vs small cap (S&P 500 vs S&P 600) valuation instead.
    """
    day = parse_date(as_of, "--as-of")
    if index:
        with read_store(store) as st:
            inputs = index_inputs(st)
        shiller = inputs["shiller"]
        assert shiller is not None
        iv = index_valuation(shiller, inputs["sp500_pe"], inputs["annual"], inputs["snapshots"], day or date.today())
        if json_out:
            print_json(iv)
        else:
            _render_index(iv)
        return
    names = list(symbols or [])
    if basket:
        names = list(dict.fromkeys([*names, *load_universe(basket).symbols]))
    if not names:
        raise ConfigError("give one or more SYMBOLs, --basket NAME, or --index")
    with read_store(store) as st:
        bars, facts = valuation_inputs(st, names, CONCEPTS_USED)
        events = stored_splits(st, bars["symbol"].unique().to_list())
    report = valuation_report(bars, facts, day, parse_date(since, "--from"), basket, events)
    if json_out:
        print_json(report)
    else:
        _render(report)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("valuation")(valuation_cmd)
