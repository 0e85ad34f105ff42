"""``rotation positioning [flows] | sentiment``: who is buying, from CFTC positioning and sentiment surveys.

Point in time: ``--as-of D`` sees only the reports and surveys *released* by D
(a CFTC report as of a Tuesday is released the Friday after), and every output
names the report it used and its release date.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from rotation.analytics.positioning import DEFAULT_WEEKS, ContractPositioning
from rotation.analytics.sentiment import SentimentReport
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
from rotation.data.positioning import CONTRACTS
from rotation.errors import ConfigError
from rotation.query.positioning import DEFAULT_CONTRACTS, flows_view, positioning_view, sentiment_view, usd_bn


class _PositioningGroup(TyperGroup):
    """``rotation positioning RTY NQ`` computes; ``rotation positioning flows ...`` is a subcommand.

    A click group takes its first positional argument as a subcommand name; here only a
    known subcommand name is one, anything else is a contract for the group itself.
    """

    allow_interspersed_args = True  # `positioning RTY --as-of D`: options after the contracts

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] in self.commands:
            super().parse_args(ctx, [])  # the group's own options keep their defaults
            ctx._protected_args, ctx.args = args[:1], args[1:]
            return list(ctx.args)
        return super().parse_args(ctx, args)


positioning_app = typer.Typer(
    name="positioning",
    cls=_PositioningGroup,
    help="CFTC futures positioning by trader group (asset managers, leveraged funds, small traders...).",
    invoke_without_command=True,
    no_args_is_help=False,
)

ContractsArg = Annotated[
    list[str] | None,
    typer.Argument(help=f"Contracts ({', '.join(CONTRACTS)}); default: {' '.join(DEFAULT_CONTRACTS)}.",
                   show_default=False),
]
ReportOpt = Annotated[str, typer.Option("--report", help="tff (Traders in Financial Futures) or legacy (COT).")]


def _notes(notes: Sequence[str]) -> None:
    for note in notes:
        err_console.print(f"note: {note}", highlight=False, soft_wrap=True)


def _int(x: int | None) -> str:
    return "-" if x is None else f"{x:+,}"


def _usd(x: float | None) -> str:
    return "-" if x is None else usd_bn(x)


def _render_positioning(items: Sequence[ContractPositioning]) -> None:
    for p in items:
        px = f"; {p.index_symbol} {fmt_num(p.index_close)} on {p.index_date}" if p.index_close is not None else ""
        title = (
            f"{p.contract} ({CONTRACTS[p.contract].name if p.contract in CONTRACTS else p.market_name}): {p.report} report of {p.report_date} (released {p.release_date}"
            f"{f', known at {p.as_of}' if p.as_of else ''}), open interest {fmt_num(p.open_interest, 0)}{px}"
        )
        rows = [
            [g.label, f"{g.long:,}", f"{g.short:,}", _int(g.net), fmt_pct(g.net_pct_oi, 1), _int(g.change),
             fmt_num(g.zscore, 2), fmt_pct(g.percentile, 0, signed=False), fmt_num(g.cot_index, 0),
             g.extreme or "", _usd(g.net_dollars)]
            for g in p.groups
        ]
        console.print(title, soft_wrap=True)
        console.print(make_table(
            None,
            ["group", "long", "short", "net", "% of OI", "change", "z", "pctile", "COT index", "extreme", "net $"],
            rows,
        ))
        console.print(
            f"  z, percentile, COT index and extremes over the last {p.window_reports} reports "
            f"({p.window_start} .. {p.report_date}; window {p.weeks}); change vs {p.previous_report_date or '-'}",
            soft_wrap=True,
        )


@positioning_app.callback()
def positioning_cmd(
    ctx: typer.Context,
    contracts: ContractsArg = None,
    as_of: AsOfOpt = None,
    weeks: Annotated[int, typer.Option("--weeks", help="Trailing window of the z-score and percentile, in reports.")] = (
        DEFAULT_WEEKS
    ),
    report: ReportOpt = "tff",
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """The latest CFTC report known at --as-of: each group's net, change, z-score, percentile, COT index.

    Net = long - short contracts; dollars = net x multiplier x the index close on the
    report date.  A report (as of a Tuesday) counts from its release (the Friday after).
    """
    if ctx.invoked_subcommand is not None:
        return
    day = parse_date(as_of, "--as-of")
    with read_store(store) as st:
        view = positioning_view(st, contracts, day, weeks, report)
    _notes(view.notes)
    if json_out:
        print_json({"as_of": day, "report": report, "weeks": weeks, "contracts": view.contracts})
    else:
        _render_positioning(view.contracts)


@positioning_app.command("flows")
def flows_cmd(
    contracts: ContractsArg = None,
    from_: Annotated[str | None, typer.Option("--from", help="First date (YYYY-MM-DD): its latest known report.")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Last date (YYYY-MM-DD): its latest known report.")] = None,
    report: ReportOpt = "tff",
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Flows by trader group between the reports known at --from and --to, in contracts and dollars.

    Dollars price the change in contracts at the index close on the later report's date.
    """
    start, end = parse_date(from_, "--from"), parse_date(to, "--to")
    if start is None or end is None:
        raise ConfigError("give both --from D1 and --to D2 (YYYY-MM-DD)")
    with read_store(store) as st:
        view = flows_view(st, contracts, start, end, report)
    _notes(view.notes)
    if json_out:
        print_json({"from": start, "to": end, "report": report, "contracts": view.contracts})
        return
    for f in view.contracts:
        px = f" at {f.index_symbol} {fmt_num(f.index_close)} ({f.index_date})" if f.index_close is not None else ""
        console.print(
            f"{f.contract} flows {f.from_date} -> {f.to_date}: reports {f.from_report} (released {f.from_release}) "
            f"-> {f.to_report} (released {f.to_release}), {f.reports} report(s); dollars x{f.multiplier:g}{px}",
            soft_wrap=True,
        )
        console.print(make_table(
            None,
            ["group", "net from", "net to", "change", "change $"],
            [[g.label, _int(g.net_from), _int(g.net_to), _int(g.contracts), _usd(g.dollars)] for g in f.groups],
        ))


def _pctile(x: float | None) -> str:
    return fmt_pct(x, 0, signed=False)


def _render_sentiment(r: SentimentReport) -> None:
    rows: list[list[Any]] = []
    if r.aaii is not None:
        a = r.aaii
        since = f"vs {a.weeks:,} weeks since {a.history_start}"
        rows += [
            ["AAII bullish", a.date, a.release_date, fmt_pct(a.bullish, 1, signed=False), _pctile(a.bullish_percentile), since],
            ["AAII neutral", a.date, a.release_date, fmt_pct(a.neutral, 1, signed=False), "", ""],
            ["AAII bearish", a.date, a.release_date, fmt_pct(a.bearish, 1, signed=False), _pctile(a.bearish_percentile), since],
            ["AAII bull-bear spread", a.date, a.release_date, fmt_pct(a.spread, 1), _pctile(a.spread_percentile), since],
        ]
    if r.naaim is not None:
        n = r.naaim
        rows.append([n.label, n.date, n.release_date, fmt_num(n.value), _pctile(n.percentile),
                     f"vs {n.observations:,} weeks since {n.history_start}"])
    for p in r.put_call:
        rows.append([p.label, p.date, p.release_date, fmt_num(p.value), _pctile(p.percentile),
                     f"vs {p.observations:,} days since {p.history_start}"])
        if p.average is not None:
            rows.append([f"  {p.average_days}-day average", p.date, p.release_date, fmt_num(p.average),
                         _pctile(p.average_percentile), "vs the same average's history"])
    console.print(make_table(
        f"Sentiment{f' known at {r.as_of}' if r.as_of else ''} (percentile: share of history at or below)",
        ["measure", "date", "released", "value", "pctile", "history"], rows,
    ))
    if r.aaii is None and r.naaim is None and not r.put_call:
        err_console.print("no sentiment readings released by then")


def sentiment_cmd(as_of: AsOfOpt = None, store: StoreOpt = None, json_out: JsonOpt = False) -> None:
    """Sentiment known at --as-of: AAII bull/neutral/bear and spread, NAAIM exposure, put/call, vs history."""
    day = parse_date(as_of, "--as-of")
    with read_store(store) as st:
        rep = sentiment_view(st, day)
    if json_out:
        print_json(rep)
    else:
        _render_sentiment(rep)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(positioning_app, name="positioning")
    app.command("sentiment")(sentiment_cmd)
