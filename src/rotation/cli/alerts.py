"""``rotation alerts RULES.toml``: evaluate alert rules on rotation, print and deliver what fired."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from rotation.cli.common import (
    AsOfOpt,
    JsonOpt,
    StoreOpt,
    console,
    err_console,
    parse_date,
    print_json,
)
from rotation.errors import ConfigError

if TYPE_CHECKING:
    from rotation.alerts.evaluate import Firing
    from rotation.alerts.run import AlertRun


def _print_run(run: AlertRun) -> None:
    """One line per alert (unwrapped: a terminal, a log file and a cron mail read the same)."""
    day = run.as_of.isoformat()
    again = f" ({len(run.repeats)} fired before, not repeated)" if run.repeats else ""
    if not run.fired:
        console.print(f"{day}: nothing new fired{again}", highlight=False, soft_wrap=True)
        return
    console.print(f"{day}: {len(run.fired)} alert(s) fired{again}", highlight=False, soft_wrap=True)
    for f in run.fired:
        console.print(f"  [{f.kind}] {f.rule}: {f.message}", highlight=False, soft_wrap=True, markup=False)


def alerts_cmd(
    rules: Annotated[Path, typer.Argument(help=escape("Rules file (TOML): [[spread]], [[rrg]], [[breadth]], [[positioning]], [[stops]], [delivery]."))],
    as_of: AsOfOpt = None,
    from_: Annotated[
        str | None, typer.Option("--from", help="Replay every session from this date to --as-of, in order (YYYY-MM-DD).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Evaluate and print only: no delivery, the state is neither read nor written.")
    ] = False,
    reset: Annotated[bool, typer.Option("--reset", help="First forget what this rules file fired before.")] = False,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Evaluate alert rules as of a date; print what fired, deliver it (webhook, e-mail), remember it.

    Each event fires once: the store keeps what was sent (table alert_state), and
    --as-of replays a day of history into the same state, --from D every session from D on.  Exit 1 when something new
    fired, 0 when nothing did, 2 on a bad rules file or store.
    """
    from rotation.alerts import state
    from rotation.alerts.deliver import payload
    from rotation.alerts.rules import load_rules
    from rotation.alerts.run import check, commit, deliver, rules_id, sessions
    from rotation.data.store import Store

    notes_seen: set[str] = set()

    ruleset = load_rules(rules)
    day = parse_date(as_of, "--as-of")
    start = parse_date(from_, "--from")
    fired: list[Firing] = []
    with Store(store, read_only=dry_run) as st:
        if reset and not dry_run:
            gone = state.forget(st, rules_id(ruleset))
            err_console.print(f"forgot {gone} alert(s) fired before by {rules}", highlight=False)
        days: list[date | None] = list(sessions(st, start, day)) if start else [day]
        if start and not days:
            raise ConfigError(f"--from {start}: no stored session between it and {day or 'the latest'}")
        runs = []
        for d in days:
            run = check(st, ruleset, d, use_state=not dry_run)
            runs.append(run)
            for note in run.notes:
                if note not in notes_seen:
                    notes_seen.add(note)
                    err_console.print(f"note: {note}", highlight=False, soft_wrap=True)
            if not json_out:
                _print_run(run)
            if not dry_run:
                for line in deliver(run):
                    err_console.print(f"sent: {line}", highlight=False)
                commit(st, run)
            fired.extend(run.fired)
    if json_out:
        docs = []
        for run in runs:
            doc = payload(run.fired, run.as_of, run.rules_id)
            doc["repeats"] = [{"rule": f.rule, "key": f.key, "date": f.event_date.isoformat()} for f in run.repeats]
            doc["notes"] = list(run.notes)
            docs.append(doc)
        print_json(docs[0] if not start else docs)
    if fired:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``alerts`` to the root app."""
    app.command("alerts")(alerts_cmd)
