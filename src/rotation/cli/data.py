"""``rotation data ...``: fill, list, show and check the local store."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from rotation.cli.common import (
    EndOpt,
    JsonOpt,
    StartOpt,
    StoreOpt,
    console,
    err_console,
    fmt_num,
    make_table,
    parse_date,
    print_json,
    read_store,
    write_store,
)
from rotation.data.importer import ImportOptions, import_paths
from rotation.data.positioning_check import stored_positioning_findings
from rotation.data.splits import stored_splits
from rotation.data.symbols import normalize_symbol
from rotation.data.validate import check_bars

data_app = typer.Typer(help="Fill, list, show and check the local store of daily bars.", no_args_is_help=True)


@data_app.command("import")
def import_cmd(
    paths: Annotated[list[Path], typer.Argument(help="CSV/TXT/Parquet files or folders.")],
    store: StoreOpt = None,
    keep_bad: Annotated[
        bool, typer.Option("--keep-bad", help="Keep rows that break a hard rule (flagged by `data check`).")
    ] = False,
    symbol: Annotated[
        str | None, typer.Option("--symbol", help="Symbol for a single file whose name is not the symbol.")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Import daily bars (and other known data files) in one transaction.

    Re-importing the same data changes nothing; overlapping data updates only
    the rows that differ.  A bad file aborts the whole import (nothing written).
    """
    with write_store(store) as st, Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        console=err_console, transient=True, disable=json_out or not err_console.is_terminal,
    ) as progress:
        task = progress.add_task("reading", total=None)

        def on_file(path: Path, kind: str) -> None:
            progress.update(task, description=f"reading {path.name} ({kind})", advance=1)

        def on_write(n: int) -> None:
            progress.update(task, description=f"writing {n} file(s) to {st.path}")
            err_console.print(f"writing {n} file(s) to {st.path}", highlight=False)

        report = import_paths(
            st, paths, ImportOptions(keep_bad=keep_bad, symbol=symbol), on_file=on_file, on_write=on_write
        )
    if json_out:
        print_json(
            {
                "store": report.store,
                "total": report.total,
                "by_kind": report.by_kind(),
                "files": [
                    {"path": f.path, "kind": f.kind, "counts": f.counts, "notes": f.notes} for f in report.files
                ],
                "skipped": [{"path": p, "reason": r} for p, r in report.skipped],
            }
        )
        return
    rows = []
    for f in report.files:
        t = f.total
        rows.append([f.path.name, f.kind, ", ".join(f.counts) if len(f.counts) <= 3 else f"{len(f.counts)} series",
                     t.added, t.changed, t.unchanged, "; ".join(f.notes)])
    console.print(make_table(f"Imported into {report.store}", ["file", "kind", "symbols", "added", "changed", "unchanged", "notes"], rows))
    for path, reason in report.skipped:
        console.print(f"skipped {path}: {reason}")
    t = report.total
    console.print(f"{t.added} rows added, {t.changed} changed, {t.unchanged} unchanged")


@data_app.command("list")
def list_cmd(store: StoreOpt = None, json_out: JsonOpt = False) -> None:
    """Every symbol in the store: first and last date, rows, source; then positioning and sentiment data."""
    from rotation.data.positioning import positioning_summary

    with read_store(store) as st:
        summary = st.summary()
        datasets = positioning_summary(st)
    if json_out:
        print_json(summary)
        return
    rows = [[r["symbol"], r["first_date"], r["last_date"], r["rows"], r["source"]] for r in summary.iter_rows(named=True)]
    console.print(make_table(f"{len(rows)} symbols", ["symbol", "first", "last", "rows", "source"], rows))
    if not datasets.is_empty():
        rows = [[r["dataset"], r["markets"], r["first_date"], r["last_date"], r["last_release"], r["rows"]]
                for r in datasets.iter_rows(named=True)]
        console.print(make_table("Positioning and sentiment", ["data", "markets", "first", "last", "last released", "rows"], rows))


@data_app.command("show")
def show_cmd(
    symbol: Annotated[str, typer.Argument(help="Symbol (aliases such as RUT work).")],
    start: StartOpt = None,
    end: EndOpt = None,
    tail: Annotated[int, typer.Option("--tail", min=1, help="Rows to show when no range is given.")] = 20,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """The bars of one symbol (the last --tail rows unless --from/--to)."""
    with read_store(store) as st:
        frame = st.bars(symbol, parse_date(start, "--from"), parse_date(end, "--to"))
    if start is None and end is None:
        frame = frame.tail(tail)
    if json_out:
        print_json(frame)
        return
    rows = [[r["date"], *(fmt_num(r[c]) for c in ("open", "high", "low", "close", "adj_close")),
             fmt_num(r["volume"], 0)] for r in frame.iter_rows(named=True)]
    console.print(make_table(normalize_symbol(symbol), ["date", "open", "high", "low", "close", "adj_close", "volume"], rows))


@data_app.command("check")
def check_cmd(
    symbols: Annotated[list[str] | None, typer.Argument(help="Symbols to check (default: all).")] = None,
    store: StoreOpt = None,
    rule: Annotated[list[str] | None, typer.Option("--rule", help="Only these rules.")] = None,
    details: Annotated[bool, typer.Option("--details/--summary", help="List every finding.")] = True,
    json_out: JsonOpt = False,
) -> None:
    """Validate stored bars (and, without SYMBOLS, stored positioning); exit 1 when anything is found.

    Rules: non_positive_price, non_finite_price, absurd_price,
    ohlc_inconsistent, duplicate_date, future_date, bad_volume, price_jump
    (hard: an import refuses them); missing_session, non_session_bar,
    split_like_jump, stale_bar, missing_adj_close (warnings).  Positioning:
    positioning_duplicate_week, positioning_release_date (errors), positioning_gap (warning).
    """
    with read_store(store) as st:
        frame = st.bars(symbols if symbols else st.symbols())
        splits = stored_splits(st, frame["symbol"].unique().to_list())
        stored_positioning = [] if symbols else stored_positioning_findings(st)
    findings = check_bars(frame, splits=splits) + stored_positioning
    if rule:
        findings = [f for f in findings if f.rule in set(rule)]
    if json_out:
        print_json({"findings": findings, "count": len(findings)})
    else:
        if details:
            rows = [[f.symbol, f.date, f.rule, f.severity, f.message] for f in findings]
            console.print(make_table(f"{len(findings)} finding(s)", ["symbol", "date", "rule", "severity", "detail"], rows))
        counts = Counter((f.symbol, f.rule) for f in findings)
        console.print(make_table("Summary", ["symbol", "rule", "count"], [[s, r, n] for (s, r), n in sorted(counts.items())]))
    if findings:
        raise typer.Exit(1)


@data_app.command("update")
def update_cmd(
    symbols: Annotated[list[str] | None, typer.Argument(help="Symbols (default: every stored symbol).")] = None,
    universe: Annotated[
        list[str] | None, typer.Option("--universe", help="Add the symbols of a universe (repeatable).")
    ] = None,
    provider: Annotated[str, typer.Option("--provider", help="yahoo (needs the yahoo extra) or stooq.")] = "yahoo",
    end: EndOpt = None,
    fundamentals: Annotated[
        bool, typer.Option("--fundamentals", help="Fetch SEC companyfacts for the symbols instead of bars.")
    ] = False,
    sec_user_agent: Annotated[
        str | None,
        typer.Option("--user-agent", envvar="ROTATION_SEC_USER_AGENT",
                     help="'Name email' that SEC requires in the User-Agent (with --fundamentals)."),
    ] = None,
    positioning: Annotated[
        bool, typer.Option("--positioning", help="Fetch the CFTC's TFF files (current and missing years) instead of bars.")
    ] = False,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Download new bars (from the last stored date on) for symbols, universes or the whole store.

    An empty store with nothing named fetches the default universes (core,
    sectors, styles, megacaps).  Each symbol is one transaction; a failed symbol
    is reported (exit 1) while the others are stored.  With --fundamentals, the
    symbols' SEC companyfacts (default: the megacaps) are fetched (rate-limited) and
    stored in one transaction.
    With --positioning, the CFTC's Traders in Financial Futures zips of the current
    year and of every year missing from the store are fetched, one transaction per year.
    """
    from rotation.data.providers import get_provider
    from rotation.data.universes import load_universe
    from rotation.data.update import DEFAULT_UNIVERSES, SymbolUpdate, update_symbols

    names: list[str] = list(symbols or [])
    for name in universe or []:
        names.extend(load_universe(name).symbols)
    if fundamentals:
        # Nothing named: the megacaps, the universe the report's valuation section reads.
        _update_fundamentals(store, names or list(load_universe("megacaps").symbols), sec_user_agent, json_out)
        return
    if positioning:
        _update_positioning(store, json_out)
        return
    source = get_provider(provider)
    with write_store(store) as st:
        if not names:
            names = st.symbols()
        if not names:
            for name in DEFAULT_UNIVERSES:
                names.extend(load_universe(name).symbols)
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            console=err_console, transient=True, disable=json_out,
        ) as progress:
            task = progress.add_task(f"updating from {source.name}", total=len(dict.fromkeys(names)))

            def on_symbol(result: SymbolUpdate) -> None:
                progress.update(task, advance=1, description=f"{result.symbol}")
                if not result.ok:
                    err_console.print(f"[red]failed[/] {escape(result.symbol)}: {escape(str(result.error))}",
                                      markup=True)

            report = update_symbols(st, source, names, end=parse_date(end, "--to"), on_symbol=on_symbol)
    if json_out:
        print_json(report)
    else:
        rows = [
            [r.symbol, r.start or "(full)", *(
                (r.counts.added, r.counts.changed, r.counts.unchanged) if r.counts else ("-", "-", "-")
            ), "full refetch (adjustments re-based)" if r.full_refetch else (r.error or "ok")]
            for r in report.results
        ]
        console.print(make_table(f"Update from {report.provider}", ["symbol", "from", "added", "changed", "unchanged", "status"], rows))
    if report.failed:
        raise typer.Exit(1)


def _update_fundamentals(store: Path | None, names: list[str], user_agent: str | None, json_out: bool) -> None:
    from rotation.data.providers.sec import update_fundamentals
    from rotation.errors import ConfigError

    if not names:
        raise ConfigError("--fundamentals: name the symbols whose SEC filings to fetch (e.g. NVDA AAPL)")
    with write_store(store) as st:
        counts = update_fundamentals(st, names, user_agent=user_agent)
    if json_out:
        print_json(counts)
        return
    rows = [[key, c.added, c.changed, c.unchanged] for key, c in counts.items()]
    console.print(make_table("SEC companyfacts", ["table", "added", "changed", "unchanged"], rows))


@data_app.command("verify")
def verify_cmd(store: StoreOpt = None, json_out: JsonOpt = False) -> None:
    """Read every table of the store; exit 1 when any does not read back (the file is damaged)."""
    from rotation.data.verify import verify_store

    check = verify_store(store)
    if json_out:
        print_json({"store": check.path, "ok": check.ok, "damaged": check.damaged, "tables": check.tables})
    else:
        rows = [[t.table, "-" if t.rows is None else f"{t.rows:,}", "ok" if t.ok else f"DAMAGED: {t.error}"]
                for t in check.tables]
        console.print(make_table(f"store {check.path}", ["table", "rows", "status"], rows))
        if check.ok:
            console.print(f"all {len(check.tables)} tables read back")
        else:
            console.print(f"{len(check.damaged)} of {len(check.tables)} table(s) do not read back: "
                          f"{', '.join(check.damaged)}; rebuild the store by importing your files into a "
                          "new one: `rotation data import DIR --store NEW.duckdb`", soft_wrap=True)
    if not check.ok:
        raise typer.Exit(1)


def _update_positioning(store: Path | None, json_out: bool) -> None:
    from rotation.data.providers.cftc import YearUpdate, update_positioning

    def on_year(result: YearUpdate) -> None:
        if not result.ok:
            err_console.print(f"[red]failed[/] {result.year}: {result.error}", markup=True)

    with write_store(store) as st:
        report = update_positioning(st, on_year=on_year)
    if json_out:
        print_json(report)
    else:
        rows = [
            [r.year, *((r.counts.added, r.counts.changed, r.counts.unchanged) if r.counts else ("-", "-", "-")),
             r.error or "ok"]
            for r in report.results
        ]
        console.print(make_table("CFTC Traders in Financial Futures", ["year", "added", "changed", "unchanged", "status"], rows))
    if report.failed:
        raise typer.Exit(1)


@data_app.command("export")
def export_cmd(
    folder: Annotated[Path, typer.Argument(help="Destination folder (created).")],
    store: StoreOpt = None,
) -> None:
    """Export all bars to Parquet, partitioned by symbol (for Dask or other tools)."""
    with read_store(store) as st:
        n = st.export_parquet(folder)
    console.print(f"exported {n} rows to {folder}")


def register(app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")
