"""``rotation demo``: fill the demo's own store from the embedded sample and write the evening report."""

from __future__ import annotations

import shlex
import webbrowser
from pathlib import Path
from typing import Annotated

import typer

from rotation.cli.common import JsonOpt, console, err_console, print_json


def _next_steps(store: Path, html: Path, plan: Path | None) -> list[str]:
    quoted = shlex.quote(str(store))
    lines = [
        "Try next, on the demo store (every command reads it with --store or $ROTATION_STORE):",
        f"  export ROTATION_STORE={quoted}      # this shell only; `unset ROTATION_STORE` returns to your own store",
        "  rotation measure NVDA --from ath --to 2024-07-26",
        "  rotation events --pair RUT:NDX --on 2024-07-11",
        "  rotation rrg --universe sectors --benchmark SPY --as-of 2024-07-12 --tail 6",
        "  rotation breadth --universe sp500 --as-of 2024-07-11",
        "  rotation valuation NVDA --as-of 2024-06-20",
        "  rotation positioning flows RTY --from 2024-07-12 --to 2024-07-19",
        "  rotation alerts examples/alerts.toml --as-of 2024-07-11    # from a clone of the repository",
    ]
    if plan is not None:
        lines.append(f"  rotation trade replay {shlex.quote(str(plan))}")
    lines += [
        f"  rotation report --store {quoted} --as-of 2024-07-26 --format text",
        f"  rotation serve --store {quoted}",
        f"The report: {html}",
        "Live data, in your own store: rotation data update --universe core --provider yahoo, "
        "rotation data update --positioning, then rotation report",
        "(see README.md). The demo store holds a sample (2023-01-03..2024-12-31): ranks are within that window.",
    ]
    return lines


def demo_cmd(
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="HTML report to write (default: rotation-demo-2024-07-26.html).")
    ] = None,
    open_: Annotated[bool, typer.Option("--open", help="Open the report in the default browser.")] = False,
    store: Annotated[
        Path | None,
        typer.Option("--store", help="Where to write the demo store (default: demo-sample.duckdb in the user "
                                     "data dir; never $ROTATION_STORE, so it never mixes with your data)."),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """A first run with no network: fill the demo store from the embedded sample, write the report as of 2024-07-26.

    The store is (re)built from the sample on every run, in its own file; the
    report goes to an offline HTML file and to the terminal, followed by the
    commands to try next.
    """
    from rotation.data.sample import DEMO_AS_OF, demo_store_path, fill_store, sample_plans
    from rotation.data.store import Store
    from rotation.report.build import ReportOptions, build_report
    from rotation.report.html import write_html

    target = (store or demo_store_path()).expanduser()

    def progress(i: int, n: int, table: str) -> None:
        err_console.print(f"filling the demo store {target} from the embedded sample: {table} ({i + 1}/{n})",
                          highlight=False, soft_wrap=True)

    filled = fill_store(target, on_part=progress)
    err_console.print(f"demo store ready: {sum(filled.rows.values()):,} rows in {len(filled.rows)} tables",
                      highlight=False)
    plans = sample_plans()
    with Store(filled.store, read_only=True) as st:
        report = build_report(st, DEMO_AS_OF, options=ReportOptions(plans=plans))
    html = write_html(report, out or Path(f"rotation-demo-{DEMO_AS_OF.isoformat()}.html"))
    steps = _next_steps(filled.store, html, plans[0] if plans else None)
    if json_out:
        from rotation.report.model import report_dict

        print_json({"store": filled.store, "sample": filled.sample, "rows": filled.rows, "html": html,
                    "next": steps, "report": report_dict(report)})
    else:
        from rotation.report.terminal import WIDTH, print_report

        con = console if console.width <= WIDTH else type(console)(
            width=WIDTH, highlight=False, soft_wrap=False, force_terminal=console.is_terminal
        )
        print_report(report, con)
        console.print()
        for line in steps:
            console.print(line, highlight=False, soft_wrap=True, markup=False)
    if open_:
        webbrowser.open(html.resolve().as_uri())


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the root app."""
    app.command("demo")(demo_cmd)
