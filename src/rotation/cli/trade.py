"""``rotation trade ...``, ``rotation journal ...`` and ``rotation watch``: plans, real trades, alerts."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

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
    write_store,
)
from rotation.data.textio import write_atomic
from rotation.errors import ConfigError

if TYPE_CHECKING:
    from rotation.trading.journal import JournalEntry
    from rotation.trading.replay import Replay

# The trading modules (numba, httpx) are imported inside the commands so that
# every other `rotation` command starts without them.

trade_app = typer.Typer(help="Trade plans (TOML): validate and replay them against stored bars.", no_args_is_help=True)
journal_app = typer.Typer(help="The trade journal: real positions kept in the store.", no_args_is_help=True)

SuspectOpt = Annotated[
    str,
    typer.Option("--suspect", help="Suspect watched bars (open/high repeating the day before): distrust or use."),
]


def _render_replay(rep: Replay) -> None:
    fills = [[f.date, f.tranche, f.reason, fmt_num(f.quantity, 0), fmt_num(f.price), fmt_num(f.exec_price),
              fmt_num(f.commission)] for f in rep.fills]
    title = f"{rep.plan}: {rep.side} {rep.symbol} (as of {rep.last_date})"
    console.print(make_table(f"{title} - fills", ["date", "tranche", "reason", "quantity", "price", "exec", "commission"], fills))
    rows = []
    for t in rep.tranches:
        checked = t.stop_checked
        span = f"{len(checked)}: {checked[0]}..{checked[-1]}" if checked else "-"
        end = (f"{t.exit_date} {fmt_num(t.exit_price)}" if t.exit_date
               else f"mark {t.mark_date} {fmt_num(t.mark_price)}" if t.mark_date else "-")
        rows.append([t.index, t.status, fmt_num(t.quantity, 0),
                     f"{t.entry_date} {fmt_num(t.entry_price)}" if t.entry_date else "-", end,
                     fmt_num(t.pnl), fmt_pct(t.pnl_pct), t.stop or "-",
                     f"{fmt_num(t.stop_price)} ({fmt_num(t.risk_to_stop)}, {fmt_pct(t.risk_to_stop_pct)})"
                     if t.stop_price is not None else "-", span])
    console.print(make_table("tranches", ["#", "status", "qty", "entry", "exit / mark", "P&L", "P&L %", "stop",
                                          "open risk to stop", "stop checked (bars)"], rows))
    console.print(f"total P&L {fmt_num(rep.pnl)} ({fmt_pct(rep.pnl_pct)} of {fmt_num(rep.invested)}): "
                  f"realized {fmt_num(rep.realized)}, unrealized {fmt_num(rep.unrealized)}")
    for w in rep.warnings:
        err_console.print(f"warning: {w}", highlight=False, soft_wrap=True)


@trade_app.command("replay")
def replay_cmd(
    plan: Annotated[Path, typer.Argument(help="Plan file (TOML).")],
    as_of: AsOfOpt = None,
    suspect: SuspectOpt = "distrust",
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Replay a plan: every fill, per-tranche and total P&L, open risk, bars each stop was checked on."""
    from rotation.trading.plan import load_plan
    from rotation.trading.replay import replay_from_store

    if suspect not in ("distrust", "use"):
        raise ConfigError(f"--suspect: expected distrust or use, got {suspect!r}")
    loaded = load_plan(plan)
    with read_store(store) as st:
        rep = replay_from_store(st, loaded, parse_date(as_of, "--as-of"), suspect=suspect)
    if json_out:
        print_json(rep)
    else:
        _render_replay(rep)


@trade_app.command("check")
def check_cmd(
    plan: Annotated[Path, typer.Argument(help="Plan file (TOML).")],
    json_out: JsonOpt = False,
) -> None:
    """Validate a plan file and show what it says (no store needed)."""
    from rotation.trading.plan import load_plan

    loaded = load_plan(plan)
    if json_out:
        print_json(loaded)
        return
    rows = [[i + 1, t.name, f"{t.fraction:g}", f"{t.entry.kind} {t.entry.date}" + (f" @ {t.entry.price:g}" if t.entry.price else ""),
             t.stop.describe if t.stop else "-", t.target.describe if t.target else "-",
             fmt_pct(t.trailing_stop, signed=False) if t.trailing_stop else "-",
             t.time_stop_bars or t.time_stop_date or "-", t.fill_model] for i, t in enumerate(loaded.tranches)]
    console.print(make_table(f"{loaded.name}: {loaded.side} {loaded.symbol}, {loaded.size.describe}",
                             ["#", "name", "fraction", "entry", "stop", "target", "trailing", "time stop", "fill"], rows))


@journal_app.command("add")
def journal_add(
    symbol: Annotated[str, typer.Argument(help="Traded symbol (aliases work).")],
    side: Annotated[str, typer.Option("--side", help="long or short.")],
    quantity: Annotated[float, typer.Option("--quantity", "-q", help="Shares.")],
    day: Annotated[str, typer.Option("--date", help="Entry date (YYYY-MM-DD).")],
    price: Annotated[float, typer.Option("--price", help="Entry price (as traded).")],
    stop: Annotated[str | None, typer.Option("--stop", help="220.65, or a level on another instrument: '^RUT above 2278.12'.")] = None,
    target: Annotated[float | None, typer.Option("--target", help="Target price.")] = None,
    fill: Annotated[str, typer.Option("--fill", help="Fill model for a stop on another instrument: mapped, close, next-open.")] = "mapped",
    commission: Annotated[float, typer.Option("--commission", help="Commission paid on the entry (money).")] = 0.0,
    plan: Annotated[str | None, typer.Option("--plan", help="Plan name or file this trade follows.")] = None,
    note: Annotated[str, typer.Option("--note", help="Free text.")] = "",
    entry_id: Annotated[str | None, typer.Option("--id", help="Idempotency key (default: a hash of the entry).")] = None,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Record a position (one transaction; a retried add with the same content adds nothing)."""
    from rotation.trading import journal

    entry_date = parse_date(day, "--date")
    assert entry_date is not None
    rule = journal.parse_stop(stop) if stop else None
    with write_store(store) as st:
        entry, created = journal.add_entry(
            st, symbol=symbol, side=side, quantity=quantity, entry_date=entry_date, entry_price=price,
            stop=rule, target=target, fill_model=fill, commission=commission, plan=plan, note=note,
            entry_id=entry_id,
        )
    if json_out:
        print_json({"created": created, "entry": entry})
    else:
        console.print(f"{'added' if created else 'already recorded'} {entry.id}: {entry.side} "
                      f"{entry.quantity:g} {entry.symbol} at {entry.entry_price:g} on {entry.entry_date}")


def _entry_rows(entries: list[JournalEntry]) -> list[list[object]]:
    return [[e.id, e.status, e.side, e.symbol, fmt_num(e.quantity, 0), e.entry_date, fmt_num(e.entry_price),
             e.stop.describe if e.stop else "-", fmt_num(e.target) if e.target else "-",
             f"{e.exit_date} {fmt_num(e.exit_price)}" if e.exit_date else "-", fmt_num(e.pnl), fmt_pct(e.pnl_pct)]
            for e in entries]


_ENTRY_COLS = ["id", "status", "side", "symbol", "qty", "date", "price", "stop", "target", "exit", "P&L", "P&L %"]


@journal_app.command("list")
def journal_list(
    status: Annotated[str, typer.Option("--status", help="open, closed or all.")] = "all",
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Journal entries, oldest first."""
    from rotation.trading import journal

    with read_store(store) as st:
        entries = journal.list_entries(st, status)
    if json_out:
        print_json(entries)
    else:
        console.print(make_table(f"{len(entries)} journal entr{'y' if len(entries) == 1 else 'ies'}", _ENTRY_COLS,
                                 _entry_rows(entries)))


@journal_app.command("close")
def journal_close(
    entry_id: Annotated[str, typer.Argument(help="Entry id (see `journal list`).")],
    day: Annotated[str, typer.Option("--date", help="Exit date (YYYY-MM-DD).")],
    price: Annotated[float, typer.Option("--price", help="Exit price (as traded).")],
    quantity: Annotated[float | None, typer.Option("--quantity", "-q", help="Close only these shares.")] = None,
    commission: Annotated[float, typer.Option("--commission", help="Commission paid on the exit.")] = 0.0,
    reason: Annotated[str, typer.Option("--reason", help="Why (stop, target, manual...).")] = "manual",
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Close an entry, or part of it (one transaction; a retried close changes nothing)."""
    from rotation.trading import journal

    exit_date = parse_date(day, "--date")
    assert exit_date is not None
    with write_store(store) as st:
        closed = journal.close_entry(st, entry_id, exit_date=exit_date, exit_price=price, quantity=quantity,
                                     commission=commission, reason=reason)
    if json_out:
        print_json(closed)
    else:
        console.print(f"closed {closed.id}: {closed.quantity:g} {closed.symbol} at {closed.exit_price:g} on "
                      f"{closed.exit_date}, P&L {fmt_num(closed.pnl)} ({fmt_pct(closed.pnl_pct)})")


@journal_app.command("remove")
def journal_remove(
    entry_id: Annotated[str, typer.Argument(help="Entry id (see `journal list`).")],
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Delete an entry (and the parts closed from it) in one transaction, logged like add.

    Retrying a remove that already happened does nothing.
    """
    from rotation.trading import journal

    with write_store(store) as st:
        removed = journal.remove_entry(st, entry_id)
    if json_out:
        print_json({"removed": removed})
    elif removed:
        console.print(f"removed {', '.join(e.id for e in removed)}: {removed[0].side} {removed[0].symbol}")
    else:
        console.print(f"already removed {entry_id}")


@journal_app.command("export")
def journal_export(
    fmt: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")] = None,
    status: Annotated[str, typer.Option("--status", help="open, closed or all.")] = "all",
    store: StoreOpt = None,
) -> None:
    """Export the journal as CSV or JSON (with realized P&L)."""
    from rotation.trading import journal

    with read_store(store) as st:
        text = journal.export_entries(journal.list_entries(st, status), fmt)
    if output is None:
        sys.stdout.write(text)
    else:
        write_atomic(output, text, "journal export")
        err_console.print(f"wrote {output}")


@journal_app.command("replay")
def journal_replay(
    as_of: AsOfOpt = None,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Replay every open journal entry against the stored bars (stops, P&L, risk)."""
    from rotation.trading import journal
    from rotation.trading.alerts import evaluate

    day = parse_date(as_of, "--as-of")
    reps: list[Replay] = []
    with read_store(store) as st:
        for e in journal.list_entries(st, "open"):
            rep, problem = evaluate(st, journal.entry_plan(e), day)
            if rep is not None:
                reps.append(rep)
            else:
                err_console.print(f"warning: skipped journal entry {e.id} ({e.side} {e.symbol}): {problem}",
                                  highlight=False, soft_wrap=True, markup=False)
    if json_out:
        print_json(reps)
        return
    if not reps:
        console.print("no open journal entries")
    for rep in reps:
        _render_replay(rep)


def _parse_within(text: str) -> float:
    raw = text.strip().rstrip("%")
    try:
        value = float(raw) / 100.0
    except ValueError:
        raise ConfigError(f"--within: expected a percent such as 1.5 or 1.5%, got {text!r}") from None
    if not value >= 0:
        raise ConfigError(f"--within: expected a percent >= 0, got {text!r}")
    return value


def watch_cmd(
    sources: Annotated[list[str] | None, typer.Argument(help="Plan files and/or 'journal' (default: the journal and the saved plans in $ROTATION_PLANS or ~/.config/rotation/plans).")] = None,
    within: Annotated[str, typer.Option("--within", help="Report levels within this percent of the last close.")] = "1",
    as_of: AsOfOpt = None,
    webhook: Annotated[str | None, typer.Option("--webhook", help="POST the alerts as JSON to this URL when any triggered or is near.")] = None,
    json_file: Annotated[Path | None, typer.Option("--json-out", help="Also write the alerts to this JSON file.")] = None,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Check the latest bars against every open stop and target; exit 1 when something triggered."""
    from rotation.trading import alerts

    frac = _parse_within(within)
    with read_store(store) as st:
        report = alerts.watch_sources(st, list(sources or []), within=frac, as_of=parse_date(as_of, "--as-of"))
    if json_out:
        print_json(alerts.report_payload(report))
    else:
        rows = [[a.status, a.source, a.tranche, a.rule, a.instrument, fmt_num(a.level), a.last_date,
                 fmt_num(a.last_close), fmt_pct(a.distance_pct, signed=False), a.message] for a in report.alerts]
        console.print(make_table(f"{report.triggered} triggered, {report.near} within {fmt_pct(frac, signed=False)}",
                                 ["status", "source", "tranche", "rule", "instrument", "level", "date", "close",
                                  "distance", "detail"], rows))
        for w in report.warnings:
            err_console.print(f"warning: {w}", highlight=False, soft_wrap=True)
    if json_file is not None:
        alerts.write_json(report, json_file)
    if webhook and (report.triggered or report.near):
        alerts.post_webhook(report, webhook)
    if report.triggered:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(trade_app, name="trade")
    app.add_typer(journal_app, name="journal")
    app.command("watch")(watch_cmd)
